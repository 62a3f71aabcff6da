//! Who is logged in: the gate in front of private pages, the log-out button, hydration state.

use std::sync::Arc;

use leptos::{either::EitherOf3, prelude::*};
use leptos_router::components::Redirect;

use crate::{
    api::auth::{current_user, logout},
    dto::UserInfo,
    error::AppError,
};

/// False while the page is server-rendered HTML, true once the WASM has taken over.
///
/// Forms keep their controls disabled until then: a click before hydration would submit the
/// plain HTML form (and end-to-end tests wait for enabled controls, so they cannot race it).
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}

/// The signed-in user (`None` for a visitor), as a private page reads it.
pub type CurrentUser = Resource<Result<Option<UserInfo>, AppError>>;

/// Looks up the signed-in user. Call it once, at the top of a route component.
///
/// Blocking, so the server answers a visitor with a redirect before any HTML, and hydration sees
/// the same user the server rendered with.
pub fn current_user_resource() -> CurrentUser {
    Resource::new_blocking(|| (), |_| current_user())
}

/// Renders `page(user)` for a logged-in user and sends anyone else to `/login`.
///
/// `page` runs inside a `Suspend`, and server rendering walks a `Suspense`'s children more than
/// once (a dry run to find what it waits for, then the real render). So `page` only builds views:
/// a `Resource` created in it (or in a component it renders) would be created twice on the server
/// and once in the browser, shifting every later resource's hydration id onto another's data,
/// which is a hydration panic. Route components create their resources (and `me`) first, at
/// their top, and pass them in. The same holds for every `Suspense`/`Transition` in the app.
pub fn logged_in<V>(me: CurrentUser, page: impl Fn(UserInfo) -> V + Send + Sync + 'static) -> impl IntoView
where
    V: IntoView + 'static,
{
    let page = Arc::new(page);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let page = Arc::clone(&page);
                Suspend::new(async move {
                    match me.await {
                        Ok(Some(user)) => EitherOf3::A(page(user)),
                        Ok(None) => EitherOf3::B(view! { <Redirect path="/login"/> }),
                        Err(e) => EitherOf3::C(view! {
                            <main class="centered">
                                <p class="form-error" role="alert">{e.to_string()}</p>
                                <a href="/login">"Log in"</a>
                            </main>
                        }),
                    }
                })
            }}
        </Suspense>
    }
}

/// Ends the session on the server, then reloads on `/login` so no state of this user survives.
#[component]
pub fn LogoutButton() -> impl IntoView {
    let action = Action::new(|_: &()| logout());
    // Like every control: disabled until hydrated, or a click on the server-rendered button does
    // nothing (seen in an end-to-end run that clicked right after a reload).
    let hydrated = use_hydrated();
    Effect::new(move |_| {
        // Even if the server call failed, the cookies may be gone: start over either way.
        if action.value().get().is_some() {
            let _ = window().location().set_href("/login");
        }
    });
    view! {
        <button
            type="button"
            class="button ghost"
            data-testid="logout"
            disabled=move || !hydrated.get() || action.pending().get()
            on:click=move |_| {
                action.dispatch(());
            }
        >
            "Log out"
        </button>
    }
}
