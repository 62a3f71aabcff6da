//! One component per route.
//!
//! The chat (`/`, `/c/:id`, and the not-found page) is in the main WASM module. Every other page,
//! the login page included, is a lazy route: its code is a chunk that the browser fetches the first
//! time the page is shown (`.ci/build-site.sh` splits the bundle; on a direct load the server names
//! the chunks in `<link rel="preload">`). So the chat does not download the pipeline builder or the
//! admin pages (docs/BENCHMARKS.md, "Browser bundle"). The login page is lazy too: someone logged in
//! never needs it, and its forms cost the main module more than its chunk costs a first visit.

mod admin;
mod api_keys;
mod chat;
mod connections;
mod conversation;
mod import_conversations;
mod kb_detail;
mod knowledge;
mod login;
mod models;
mod new_chat;
mod not_found;
mod ollama_models;
mod pipeline;
mod pipeline_run;
mod pipelines;
mod register;
mod settings;
mod signup_notice;

use admin::AdminPage;
pub use chat::ChatPage;
use connections::ConnectionsPage;
pub use conversation::ConversationPage;
use kb_detail::KbPage;
use knowledge::KnowledgePage;
use login::LoginPage;
use models::ModelsPage;
pub use new_chat::NewChat;
pub use not_found::NotFound;
use ollama_models::OllamaModelsPage;
use pipeline::PipelinePage;
use pipeline_run::RunPage;
use pipelines::PipelinesPage;
use register::RegisterPage;
use settings::SettingsPage;

use leptos::prelude::*;

/// `$route`: the lazy route (`view={Lazy::<$route>::new()}`) that shows `$page`. Its data is
/// created by the page itself once its chunk is there, as for an eager page.
macro_rules! lazy_page {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        #[doc = concat!("The lazily loaded route of [`", stringify!($page), "`].")]
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(this: Self) -> AnyView {
                let $route = this;
                view! { <$page/> }.into_any()
            }
        }
    )*};
}

lazy_page! {
    LoginRoute => LoginPage,
    RegisterRoute => RegisterPage,
    KnowledgeRoute => KnowledgePage,
    KbRoute => KbPage,
    SettingsRoute => SettingsPage,
    PipelinesRoute => PipelinesPage,
    PipelineRoute => PipelinePage,
    RunRoute => RunPage,
    AdminRoute => AdminPage,
    ConnectionsRoute => ConnectionsPage,
    ModelsRoute => ModelsPage,
    OllamaModelsRoute => OllamaModelsPage,
}
