//! `/kb/:id`: one knowledge base. Its owner renames or deletes it, crawls a website or uploads
//! files into it (following the running job), manages its documents, shares and publishes it;
//! a reader of a share sees its documents.

mod crawl;
mod documents;
mod header;
mod job;
mod publish;
mod sharing;
mod upload;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::kb::{get_kb, list_documents},
    components::{current_user_resource, logged_in},
    dto::KbDetail,
    error::AppError,
};

#[component]
pub fn KbPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    // Resources are created here, not under the gate's `Suspense` (see `logged_in`).
    let me = current_user_resource();
    let detail = Resource::new(move || id.get(), get_kb);
    logged_in(me, move |_| {
        view! {
            <main class="page">
                <nav class="page-nav">
                    <a href="/kb">"← All knowledge bases"</a>
                </nav>
                <KbLoader detail/>
            </main>
        }
    })
}

#[component]
fn KbLoader(detail: Resource<Result<KbDetail, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <KbView detail=d/> }.into_any(),
                    Err(AppError::NotFound(_)) => {
                        view! { <p class="centered">"This knowledge base does not exist (any more)."</p> }
                            .into_any()
                    }
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn KbView(detail: KbDetail) -> impl IntoView {
    let KbDetail { kb, documents, jobs, shares } = detail;
    let kb_id = kb.id.clone();
    let documents = RwSignal::new(documents);
    // The job the progress panel follows: the latest one (running, or the last outcome).
    let job = RwSignal::new(jobs.into_iter().next());
    let refresh = Action::new(move |_: &()| list_documents(kb_id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(list)) = refresh.value().get() {
            documents.set(list);
        }
    });
    let on_changed = Callback::new(move |()| {
        refresh.dispatch(());
    });
    let (owned, id) = (kb.owned, kb.id.clone());
    // Each part type-erased: the whole page as one view type is too deep for the compiler.
    let add_content = owned.then(|| {
        view! {
            <section class="card">
                <h2>"Add content"</h2>
                <crawl::CrawlForm kb_id=id.clone() job/>
                <upload::Upload kb_id=id.clone() job/>
                <job::JobPanel job on_finished=on_changed/>
            </section>
        }
        .into_any()
    });
    let access = owned.then(|| {
        view! {
            <sharing::Sharing kb_id=id.clone() shares/>
            <publish::Publish kb_id=id.clone() public_id=kb.public_id.clone() allowed_origins=kb.allowed_origins.clone()/>
        }
        .into_any()
    });
    view! {
        <Title text=format!("{} · Knowledge · Web+", kb.name)/>
        {view! { <header::KbHeader kb=kb.clone() documents/> }.into_any()}
        {add_content}
        {view! { <documents::Documents kb_id=id.clone() documents owned on_changed/> }.into_any()}
        {access}
    }
}
