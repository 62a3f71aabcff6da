//! Server rendering of the public pages: no panic, and the selectors end-to-end tests rely on.
#![cfg(feature = "ssr")]

use leptos::prelude::*;
use leptos_router::location::RequestUrl;

fn render(path: &str) -> String {
    let owner = Owner::new();
    owner.set();
    provide_context(RequestUrl::new(path));
    let html = view! { <app::App/> }.to_html();
    drop(owner);
    html
}

#[test]
fn the_register_page_has_its_fields_and_meter() {
    let html = render("/register");
    for id in ["email", "password", "password-confirm", "submit", "strength"] {
        assert!(html.contains(&format!("data-testid=\"{id}\"")), "{id} in {html}");
    }
    assert!(!html.contains("style="), "no inline style: {html}");
}

#[test]
fn the_login_page_links_to_register() {
    let html = render("/login");
    assert!(html.contains("data-testid=\"submit\""), "{html}");
    assert!(html.contains("href=\"/register\""), "{html}");
}
