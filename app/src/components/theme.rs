//! Light, dark, or as the system says. The choice is a cookie, so the server renders `<html>`
//! with it (no flash of the other theme); the CSS reads `data-theme` (main.css uses `light-dark()`,
//! `/highlight.css` scopes its dark rules the same way).

use leptos::prelude::*;

/// The cookie holding the choice (absent: follow the system).
pub const COOKIE: &str = "webplus_theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    fn parse(s: &str) -> Self {
        match s {
            "light" => Self::Light,
            "dark" => Self::Dark,
            _ => Self::System,
        }
    }

    /// The `data-theme` attribute (None: follow the system).
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            Self::System => None,
            Self::Light => Some("light"),
            Self::Dark => Some("dark"),
        }
    }

    fn next(self) -> Self {
        match self {
            Self::System => Self::Light,
            Self::Light => Self::Dark,
            Self::Dark => Self::System,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::System => "Theme: system",
            Self::Light => "Theme: light",
            Self::Dark => "Theme: dark",
        }
    }

    /// The choice in a `Cookie` header.
    pub fn from_cookie_header(header: &str) -> Self {
        header
            .split(';')
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == COOKIE)
            .map_or(Self::System, |(_, v)| Self::parse(v))
    }

    /// This request's choice (server) or the page's (browser, as the server rendered it).
    pub fn current() -> Self {
        #[cfg(feature = "ssr")]
        {
            use_context::<http::request::Parts>()
                .and_then(|p| p.headers.get(http::header::COOKIE)?.to_str().ok().map(Self::from_cookie_header))
                .unwrap_or(Self::System)
        }
        #[cfg(not(feature = "ssr"))]
        {
            document()
                .document_element()
                .and_then(|html| html.get_attribute("data-theme"))
                .map_or(Self::System, |v| Self::parse(&v))
        }
    }
}

/// Cycles system → light → dark; remembered for a year.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = RwSignal::new(Theme::current());
    let choose = move |_| {
        let next = theme.get_untracked().next();
        theme.set(next);
        apply(next);
    };
    view! {
        <button type="button" class="link-button theme-toggle" data-testid="theme-toggle" on:click=choose>
            {move || theme.get().label()}
        </button>
    }
}

/// Sets the page's attribute and the cookie.
fn apply(theme: Theme) {
    use wasm_bindgen::JsCast;
    let doc = document();
    if let Some(html) = doc.document_element() {
        let _ = match theme.attribute() {
            Some(v) => html.set_attribute("data-theme", v),
            None => html.remove_attribute("data-theme"),
        };
    }
    let cookie = match theme.attribute() {
        Some(v) => format!("{COOKIE}={v}; Path=/; Max-Age=31536000; SameSite=Lax"),
        None => format!("{COOKIE}=; Path=/; Max-Age=0; SameSite=Lax"),
    };
    if let Ok(html_doc) = doc.dyn_into::<web_sys::HtmlDocument>() {
        let _ = html_doc.set_cookie(&cookie);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_header_gives_the_choice_and_anything_else_is_the_system() {
        assert_eq!(Theme::from_cookie_header("a=1; webplus_theme=dark; b=2"), Theme::Dark);
        assert_eq!(Theme::from_cookie_header("webplus_theme=light"), Theme::Light);
        assert_eq!(Theme::from_cookie_header("webplus_theme=\"><script>"), Theme::System);
        assert_eq!(Theme::from_cookie_header("other_theme=dark"), Theme::System);
        assert_eq!(Theme::from_cookie_header(""), Theme::System);
    }
}
