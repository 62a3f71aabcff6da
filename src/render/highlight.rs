//! Code blocks highlighted with CSS classes (`hl-…`), and the stylesheet for them: a light theme,
//! and a dark one under `prefers-color-scheme: dark`.

use std::sync::LazyLock;

use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

const STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };
/// Longest language label shown (an info string can be anything).
const MAX_LANG_CHARS: usize = 32;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// A fenced or indented code block as HTML: a head with the language and a copy button, then the
/// code, highlighted when the language (the info string's first word) is known.
pub(super) fn code_block(info: &str, code: &str) -> String {
    let lang = info.split_whitespace().next().unwrap_or("");
    let lang: String = lang.chars().take(MAX_LANG_CHARS).collect();
    let syntax = (!lang.is_empty()).then(|| SYNTAXES.find_syntax_by_token(&lang)).flatten();
    let body = match syntax {
        Some(syntax) => {
            let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, &SYNTAXES, STYLE);
            let highlighted = LinesWithEndings::from(code)
                .try_for_each(|line| generator.parse_html_for_line_which_includes_newline(line));
            match highlighted {
                Ok(()) => generator.finalize(),
                Err(_) => escaped(code),
            }
        }
        None => escaped(code),
    };
    format!(
        "<div class=\"code-block\"><div class=\"code-head\"><span class=\"code-lang\">{}</span>\
         <button type=\"button\" class=\"copy-code\">Copy</button></div><pre class=\"code\"><code>{body}</code></pre></div>",
        escaped(&lang)
    )
}

/// `text` as HTML text (pulldown-cmark's own escaping).
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    pulldown_cmark::html::push_html(&mut out, std::iter::once(pulldown_cmark::Event::Text(text.into())));
    out
}

/// The highlighting stylesheet (served as `/highlight.css`).
pub fn stylesheet() -> &'static str {
    static CSS: LazyLock<String> = LazyLock::new(|| {
        let themes = ThemeSet::load_defaults();
        let css = |name: &str| {
            themes.themes.get(name).and_then(|t| css_for_theme_with_class_style(t, STYLE).ok()).unwrap_or_default()
        };
        format!(
            "/* Code highlighting (syntect's {light} and {dark}). */\n{}\n@media (prefers-color-scheme: dark) {{\n{}\n}}\n",
            css(LIGHT),
            css(DARK),
            light = LIGHT,
            dark = DARK,
        )
    });
    &CSS
}

const LIGHT: &str = "InspiredGitHub";
const DARK: &str = "base16-ocean.dark";
