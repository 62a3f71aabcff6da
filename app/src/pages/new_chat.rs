//! `/`: pick a model and write the first message; sending creates the conversation.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::{
    api::{
        chat::{create_conversation, send_message},
        kb::access::attach_kbs,
    },
    components::{ChatCtx, Composer, KbPicker},
    dto::{AttachmentDto, ConversationDetail, MessagePage, ModelDto},
    error::AppError,
};

#[component]
pub fn NewChat() -> impl IntoView {
    let ctx = expect_context::<ChatCtx>();
    let navigate = use_navigate();
    let models = ctx.models;
    let model = RwSignal::new(String::new());
    let draft = RwSignal::new(String::new());
    let kbs = RwSignal::new(Vec::<String>::new());
    let files = RwSignal::new(Vec::<AttachmentDto>::new());
    let last_sent = StoredValue::new((String::new(), Vec::new()));

    let start = Action::new(|(model, content, kbs, attached): &(String, String, Vec<String>, Vec<String>)| {
        let model = (!model.is_empty()).then(|| model.clone());
        let (content, kbs, attached) = (content.clone(), kbs.clone(), attached.clone());
        async move {
            let created = create_conversation(None, model).await?;
            // Attached before the first message, so its answer already uses them.
            let knowledge_bases = if kbs.is_empty() { kbs } else { attach_kbs(created.id.clone(), kbs).await? };
            let sent = send_message(created.id, content, None, attached).await?;
            Ok::<_, AppError>(ConversationDetail {
                conversation: sent.conversation,
                page: MessagePage {
                    messages: sent.user.into_iter().chain([sent.reply]).collect(),
                    ..Default::default()
                },
                knowledge_bases,
            })
        }
    });
    Effect::new(move |_| match start.value().get() {
        Some(Ok(detail)) => {
            let path = format!("/c/{}", detail.conversation.id);
            // Handed over so the conversation page follows the reply at once, without a fetch.
            ctx.handoff.set(Some(detail));
            ctx.refresh();
            navigate(&path, Default::default());
        }
        // Give the text and files back to fix and resend (both were cleared when sent).
        Some(Err(_)) if draft.with_untracked(String::is_empty) => {
            let (text, attached) = last_sent.get_value();
            draft.set(text);
            files.set(attached);
        }
        _ => {}
    });
    let on_send = Callback::new(move |text: String| {
        let attached = files.get_untracked();
        last_sent.set_value((text.clone(), attached.clone()));
        draft.set(String::new());
        files.set(Vec::new());
        let ids = attached.into_iter().map(|a| a.id).collect();
        start.dispatch((model.get_untracked(), text, kbs.get_untracked(), ids));
    });

    let picker = move || {
        Suspend::new(async move {
            // Without the list, the server's default model still works.
            let options: Vec<ModelDto> = models.await.unwrap_or_default();
            view! {
                <select
                    class="model-picker"
                    data-testid="model-picker"
                    aria-label="Model"
                    on:change=move |ev| model.set(event_target_value(&ev))
                >
                    <option value="">"Default model"</option>
                    {options
                        .into_iter()
                        .map(|m| {
                            let label = if m.name == m.id { format!("{} ({})", m.id, m.provider) } else { format!("{} ({})", m.name, m.id) };
                            view! { <option value=m.id>{label}</option> }
                        })
                        .collect_view()}
                </select>
            }
        })
    };

    view! {
        <Title text="New chat · Web+"/>
        <section class="conversation">
            <header class="conversation-header">
                <h1>"New chat"</h1>
            </header>
            <div class="messages">
                <p class="empty-hint">"Ask anything. Your conversation is saved in the sidebar."</p>
            </div>
            <Composer
                draft
                sending=start.pending()
                streaming=Signal::stored(false)
                error=Signal::derive(move || {
                    start.value().get().and_then(Result::err).map(|e| e.to_string())
                })
                on_send
                on_stop=Callback::new(|_| {})
                files
            >
                <Suspense fallback=|| ()>{picker}</Suspense>
                <KbPicker selected=kbs/>
            </Composer>
        </section>
    }
}
