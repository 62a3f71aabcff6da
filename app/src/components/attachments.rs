//! Files on messages. Under a question: chips that open to a preview (the image, or the start of
//! the text highlighted) with the name, size and a download link. In the composer: an Attach
//! button that uploads each chosen file to `POST /api/v1/attachments` at once (the server checks
//! it by content and says what is wrong), and the files waiting to go with the message.

use leptos::{html, prelude::*};

use crate::dto::AttachmentDto;

/// A size the way upload dialogs show it: "31.2 MB", "800 KB", "12 bytes".
pub fn format_size(bytes: i64) -> String {
    let bytes = bytes.max(0) as f64;
    for (unit, name) in [(1e9, "GB"), (1e6, "MB"), (1e3, "KB")] {
        if bytes >= unit {
            let v = (bytes / unit * 10.0).round() / 10.0;
            return if v.fract() == 0.0 { format!("{v:.0} {name}") } else { format!("{v:.1} {name}") };
        }
    }
    format!("{bytes} bytes")
}

/// The files a message carries.
#[component]
pub fn AttachmentChips(attachments: Vec<AttachmentDto>) -> impl IntoView {
    (!attachments.is_empty()).then(|| {
        view! {
            <ul class="attachments" data-testid="attachments">
                {attachments.into_iter().map(|a| view! { <li><AttachmentChip a/></li> }).collect_view()}
            </ul>
        }
    })
}

#[component]
fn AttachmentChip(a: AttachmentDto) -> impl IntoView {
    let url = a.url();
    let size = format_size(a.size_bytes);
    let preview = if a.is_image() {
        view! { <img class="attachment-image" src=url.clone() alt=a.name.clone() loading="lazy"/> }.into_any()
    } else {
        // Rendered and sanitised by the server (`webplus::render::file_preview`).
        view! { <div class="attachment-preview" inner_html=a.preview_html.clone().unwrap_or_default()></div> }
            .into_any()
    };
    view! {
        <details class="attachment" data-testid="attachment">
            <summary>
                <span class="attachment-name">{a.name.clone()}</span>
                <span class="muted">{size}</span>
            </summary>
            <div class="attachment-body">
                {preview}
                <a href=url download=a.name.clone() data-testid="attachment-download">"Download"</a>
            </div>
        </details>
    }
}

/// The composer's part: the Attach button and the files waiting to be sent (each removable).
/// `uploading` counts uploads under way (sending waits for them); `error` is the last refusal.
#[component]
pub fn PendingAttachments(
    files: RwSignal<Vec<AttachmentDto>>,
    uploading: RwSignal<usize>,
    error: RwSignal<Option<String>>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    // Plain tasks, not Actions: a `File` is a browser object (`!Send`).
    let on_change = move |_| {
        let Some(el) = input.get_untracked() else { return };
        let Some(list) = el.files() else { return };
        error.set(None);
        for i in 0..list.length() {
            let Some(file) = list.item(i) else { continue };
            uploading.update(|n| *n += 1);
            leptos::task::spawn_local(async move {
                let name = file.name();
                let url = format!("/api/v1/attachments?name={}", js_sys::encode_uri_component(&name));
                let declared = file.type_();
                let declared = (!declared.is_empty()).then_some(declared);
                let sent = super::post_body(&url, &file, declared.as_deref(), &format!("{name} could not be attached"))
                    .await
                    .and_then(|v| serde_json::from_value::<AttachmentDto>(v).map_err(|e| e.to_string()));
                match sent {
                    Ok(a) => {
                        files.try_update(|fs| fs.push(a));
                    }
                    Err(e) => {
                        error.try_set(Some(e));
                    }
                }
                uploading.try_update(|n| *n = n.saturating_sub(1));
            });
        }
        // The same file can be chosen again (after removing it).
        el.set_value("");
    };
    view! {
        <div class="pending-attachments">
            <label class="button attach-button" class:disabled=move || disabled.get()>
                <span>"Attach"</span>
                <input
                    type="file"
                    multiple
                    class="visually-hidden"
                    node_ref=input
                    data-testid="attach-input"
                    aria-label="Attach files"
                    disabled=move || disabled.get()
                    on:change=on_change
                />
            </label>
            <Show when=move || { uploading.get() > 0 }>
                <span class="muted" data-testid="uploading">"Uploading…"</span>
            </Show>
            <For each=move || files.get() key=|a| a.id.clone() let:a>
                <span class="chip" data-testid="pending-attachment">
                    <span>{a.name.clone()}</span>
                    <span class="muted">{format_size(a.size_bytes)}</span>
                    <button
                        type="button"
                        class="chip-remove"
                        aria-label=format!("Remove {}", a.name)
                        on:click={
                            let id = a.id.clone();
                            move |_| files.update(|fs| fs.retain(|f| f.id != id))
                        }
                    >
                        "×"
                    </button>
                </span>
            </For>
        </div>
    }
    // Erased: the composer's view type is otherwise too deep for the compiler.
    .into_any()
}
