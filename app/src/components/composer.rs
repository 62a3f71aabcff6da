//! Where the user writes: Enter sends, Shift+Enter starts a new line, ↑ in an empty box edits the
//! last question; Stop while a reply streams (Esc too: the conversation page listens for it).

use leptos::{ev::KeyboardEvent, prelude::*};
use webplus::domain::MessageContent;

use super::{attachments::PendingAttachments, gate::use_hydrated};
use crate::dto::AttachmentDto;

#[component]
pub fn Composer(
    /// The text being written; the page clears it when sent and restores it on failure.
    draft: RwSignal<String>,
    /// A send is on its way to the server.
    #[prop(into)]
    sending: Signal<bool>,
    /// A reply is being generated: show Stop instead of Send.
    #[prop(into)]
    streaming: Signal<bool>,
    /// An error to show above the text (the last send failed...).
    #[prop(into, optional)]
    error: Signal<Option<String>>,
    on_send: Callback<String>,
    on_stop: Callback<()>,
    /// ↑ in the empty box: edit the user's last message (where there is one).
    #[prop(optional)]
    on_edit_last: Option<Callback<()>>,
    /// Files uploaded to go with the message (the page sends their ids and clears them).
    files: RwSignal<Vec<AttachmentDto>>,
    /// Shown beside the buttons (the model picker of a new conversation).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let check = RwSignal::new(None::<String>);
    let uploading = RwSignal::new(0usize);
    let upload_error = RwSignal::new(None::<String>);
    let submit = move || {
        if sending.get_untracked() || streaming.get_untracked() || uploading.get_untracked() > 0 {
            return;
        }
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        match MessageContent::parse(&text) {
            Ok(_) => {
                check.set(None);
                on_send.run(text);
            }
            Err(e) => check.set(Some(e.reason)),
        }
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        } else if ev.key() == "ArrowUp"
            && !(ev.shift_key() || ev.ctrl_key() || ev.alt_key() || ev.meta_key())
            && draft.with_untracked(String::is_empty)
            && let Some(edit_last) = on_edit_last
        {
            ev.prevent_default();
            edit_last.run(());
        }
    };
    let message = move || check.get().or_else(|| upload_error.get()).or_else(|| error.get());
    view! {
        <form
            class="composer"
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            {move || message().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <textarea
                data-testid="composer"
                aria-label="Message"
                placeholder="Write a message… (Enter sends, Shift+Enter adds a line, ↑ edits your last one)"
                rows="3"
                disabled=move || !hydrated.get()
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=on_keydown
            ></textarea>
            <div class="composer-bar">
                <PendingAttachments
                    files
                    uploading
                    error=upload_error
                    disabled=Signal::derive(move || !hydrated.get() || sending.get())
                />
                {children.map(|c| c())}
                <span class="spacer"></span>
                <Show
                    when=move || streaming.get()
                    fallback=move || {
                        view! {
                            <button
                                type="submit"
                                class="button primary"
                                data-testid="send"
                                disabled=move || !hydrated.get() || sending.get() || (uploading.get() > 0)
                            >
                                {move || if sending.get() { "Sending…" } else { "Send" }}
                            </button>
                        }
                    }
                >
                    <button
                        type="button"
                        class="button danger"
                        data-testid="stop"
                        on:click=move |_| on_stop.run(())
                    >
                        "Stop"
                    </button>
                </Show>
            </div>
        </form>
    }
}
