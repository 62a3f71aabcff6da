//! Web+ UI: Leptos components, routes and server functions.
//!
//! Built twice: with `ssr` into the server (rendering + server functions), with `hydrate` into the
//! WASM bundle. Server-only code is behind `ssr`.
// Leptos view types nest deeply; the conversation page exceeds the default limit in builds.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod dto;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    Lazy,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

/// The HTML document around the app (server-rendered).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=components::Theme::current().attribute()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "ssr")]
    set_content_security_policy();

    view! {
        <Stylesheet id="leptos" href="/pkg/webplus.css"/>
        <Stylesheet id="highlight" href="/highlight.css"/>
        <Title text="Web+"/>
        <Router>
            <Routes fallback=pages::NotFound>
                // One parent for `/` and `/c/:id`: the sidebar (and a reply being streamed)
                // stays mounted when the first message turns `/` into `/c/:id`.
                <ParentRoute path=path!("") view=pages::ChatPage>
                    <Route path=path!("") view=pages::NewChat/>
                    <Route path=path!("c/:id") view=pages::ConversationPage/>
                </ParentRoute>
                <Route path=path!("/login") view={Lazy::<pages::LoginRoute>::new()}/>
                <Route path=path!("/register") view={Lazy::<pages::RegisterRoute>::new()}/>
                <Route path=path!("/kb") view={Lazy::<pages::KnowledgeRoute>::new()}/>
                <Route path=path!("/kb/:id") view={Lazy::<pages::KbRoute>::new()}/>
                <Route path=path!("/settings") view={Lazy::<pages::SettingsRoute>::new()}/>
                <Route path=path!("/pipelines") view={Lazy::<pages::PipelinesRoute>::new()}/>
                <Route path=path!("/pipelines/:id") view={Lazy::<pages::PipelineRoute>::new()}/>
                <Route path=path!("/runs/:id") view={Lazy::<pages::RunRoute>::new()}/>
                <Route path=path!("/admin") view={Lazy::<pages::AdminRoute>::new()}/>
                <Route path=path!("/admin/connections") view={Lazy::<pages::ConnectionsRoute>::new()}/>
                <Route path=path!("/admin/models") view={Lazy::<pages::ModelsRoute>::new()}/>
                <Route path=path!("/admin/connections/:id/models") view={Lazy::<pages::OllamaModelsRoute>::new()}/>
            </Routes>
        </Router>
    }
}

/// A strict CSP for HTML pages: scripts only from us or carrying this response's nonce (the
/// hydration script), WASM allowed to compile, no inline styles, no framing.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    let (Some(nonce), Some(opts)) = (use_nonce(), use_context::<leptos_axum::ResponseOptions>()) else {
        return;
    };
    // `cargo leptos watch` reloads the page over a websocket on the reload port.
    let dev_reload =
        if std::env::var("LEPTOS_WATCH").is_ok() { " ws://127.0.0.1:3001 ws://localhost:3001" } else { "" };
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'{dev_reload}; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(v) = http::HeaderValue::from_str(&csp) {
        opts.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
    }
}
