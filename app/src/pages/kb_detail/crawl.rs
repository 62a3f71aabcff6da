//! "Crawl a website": a start page or a sitemap.xml, how many pages and how deep. The job it
//! starts becomes the one the progress panel follows.

use leptos::prelude::*;

use crate::{
    api::kb::jobs::start_crawl,
    components::{TextField, field_error, top_error, use_hydrated},
    dto::JobDto,
    error::AppError,
};

const FIELDS: &[&str] = &["url", "max_pages", "max_depth"];

/// A number field's text: empty means "the server's default".
fn parse_limit(raw: &str, field: &str) -> Result<Option<usize>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse().map(Some).map_err(|_| AppError::invalid(field, "enter a whole number"))
}

#[component]
pub fn CrawlForm(kb_id: String, job: RwSignal<Option<JobDto>>) -> impl IntoView {
    let hydrated = use_hydrated();
    let url = RwSignal::new(String::new());
    let max_pages = RwSignal::new("200".to_string());
    let max_depth = RwSignal::new("5".to_string());
    let submitted = RwSignal::new(false);
    let crawl = Action::new(move |(url, pages, depth): &(String, String, String)| {
        let (kb_id, url, pages, depth) = (kb_id.clone(), url.clone(), pages.clone(), depth.clone());
        async move {
            let max_pages = parse_limit(&pages, "max_pages")?;
            let max_depth = parse_limit(&depth, "max_depth")?;
            start_crawl(kb_id, url, max_pages, max_depth).await
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(started)) = crawl.value().get() {
            job.set(Some(started));
        }
    });
    let url_check = Signal::derive(move || {
        let u = url.get();
        let u = u.trim();
        if u.starts_with("http://") || u.starts_with("https://") {
            None
        } else {
            Some("give a full address like https://www.example.com/".to_string())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        if url_check.get_untracked().is_none() {
            crawl.dispatch((url.get_untracked(), max_pages.get_untracked(), max_depth.get_untracked()));
        }
    };
    let server = move |field: &'static str| Signal::derive(move || field_error(crawl.value().get(), field));
    view! {
        <form class="crawl-form" method="post" on:submit=on_submit novalidate data-testid="crawl-form">
            <h3>"Crawl a website"</h3>
            <fieldset disabled=move || !hydrated.get() || crawl.pending().get()>
                <TextField
                    label="Start page or sitemap.xml"
                    testid="crawl-url"
                    kind="url"
                    value=url
                    check=url_check
                    server=server("url")
                    submitted
                />
                <div class="field-row">
                    <TextField label="Max pages" testid="crawl-max-pages" kind="number" value=max_pages server=server("max_pages")/>
                    <TextField label="Max depth" testid="crawl-max-depth" kind="number" value=max_depth server=server("max_depth")/>
                </div>
                <button type="submit" class="button primary" data-testid="crawl-start">
                    {move || if crawl.pending().get() { "Starting…" } else { "Crawl" }}
                </button>
            </fieldset>
            {move || {
                top_error(crawl.value().get(), FIELDS).map(|e| view! { <p class="form-error" role="alert">{e}</p> })
            }}
        </form>
    }
}
