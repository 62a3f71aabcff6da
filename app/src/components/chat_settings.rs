//! The parameters panel of a conversation: its system prompt, sampling parameters and how answers
//! from attached knowledge are made (quoted or written), saved for
//! the conversation and, when asked, as the preset the user's new conversations start from.
//! Loaded when first opened (nothing to fetch for readers who never open it).

use leptos::prelude::*;

use super::{TextField, field_error, top_error, use_hydrated};
use crate::{
    api::chat_settings::{chat_settings, save_chat_settings},
    dto::ChatSettingsForm,
};

/// The fields the server may name in an error (shown beside them; anything else goes on top).
const FIELDS: &[&str] = &[
    "system",
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "answer_style",
];

/// The panel's text, one signal per field.
#[derive(Clone, Copy)]
struct Fields {
    system: RwSignal<String>,
    temperature: RwSignal<String>,
    top_p: RwSignal<String>,
    max_tokens: RwSignal<String>,
    stop: RwSignal<String>,
    seed: RwSignal<String>,
    presence_penalty: RwSignal<String>,
    frequency_penalty: RwSignal<String>,
    answer_style: RwSignal<String>,
}

impl Fields {
    fn new() -> Self {
        let s = || RwSignal::new(String::new());
        Self {
            system: s(),
            temperature: s(),
            top_p: s(),
            max_tokens: s(),
            stop: s(),
            seed: s(),
            presence_penalty: s(),
            frequency_penalty: s(),
            answer_style: s(),
        }
    }

    fn fill(self, f: ChatSettingsForm) {
        self.system.set(f.system);
        self.temperature.set(f.temperature);
        self.top_p.set(f.top_p);
        self.max_tokens.set(f.max_tokens);
        self.stop.set(f.stop);
        self.seed.set(f.seed);
        self.presence_penalty.set(f.presence_penalty);
        self.frequency_penalty.set(f.frequency_penalty);
        self.answer_style.set(f.answer_style);
    }

    fn read(self) -> ChatSettingsForm {
        ChatSettingsForm {
            system: self.system.get_untracked(),
            temperature: self.temperature.get_untracked(),
            top_p: self.top_p.get_untracked(),
            max_tokens: self.max_tokens.get_untracked(),
            stop: self.stop.get_untracked(),
            seed: self.seed.get_untracked(),
            presence_penalty: self.presence_penalty.get_untracked(),
            frequency_penalty: self.frequency_penalty.get_untracked(),
            answer_style: self.answer_style.get_untracked(),
        }
    }
}

#[component]
pub fn ChatSettingsPanel(conversation_id: String) -> impl IntoView {
    let hydrated = use_hydrated();
    let id = StoredValue::new(conversation_id);
    let open = RwSignal::new(false);
    let f = Fields::new();
    let for_new_chats = RwSignal::new(false);
    let load = Action::new(move |_: &()| chat_settings(id.get_value()));
    let save = Action::new(move |(form, for_new): &(ChatSettingsForm, bool)| {
        save_chat_settings(id.get_value(), form.clone(), *for_new)
    });
    // What the server stored (trimmed, canonical numbers) replaces what was typed.
    Effect::new(move |_| {
        if let Some(Ok(form)) = load.value().get() {
            f.fill(form);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(form)) = save.value().get() {
            f.fill(form);
        }
    });
    let toggle = move |_| {
        open.update(|o| *o = !*o);
        if open.get_untracked() && load.value().with_untracked(Option::is_none) && !load.pending().get_untracked() {
            load.dispatch(());
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch((f.read(), for_new_chats.get_untracked()));
    };
    let error = move |field: &'static str| Signal::derive(move || field_error(save.value().get(), field));
    let saved = move || {
        save.value().get().and_then(Result::ok).map(|_| {
            let note = if for_new_chats.get_untracked() {
                "Saved. The next question, and your new chats, use these."
            } else {
                "Saved. The next question uses these."
            };
            view! { <p class="muted" role="status" data-testid="params-saved">{note}</p> }
        })
    };
    let problem = move || {
        top_error(save.value().get(), FIELDS)
            .or_else(|| load.value().get().and_then(Result::err).map(|e| e.to_string()))
            .map(|e| view! { <p class="form-error" role="alert">{e}</p> })
    };
    view! {
        <div class="chat-settings">
            <button
                type="button"
                class="button small ghost"
                data-testid="params-toggle"
                aria-expanded=move || open.get().to_string()
                disabled=move || !hydrated.get()
                on:click=toggle
            >
                "Parameters"
            </button>
            <form class="card params-panel" hidden=move || !open.get() data-testid="params-panel" on:submit=on_submit>
                <div class="field">
                    <label for="param-system">"System prompt (sent first with every question)"</label>
                    <textarea
                        id="param-system"
                        data-testid="param-system"
                        rows="3"
                        prop:value=move || f.system.get()
                        on:input=move |ev| f.system.set(event_target_value(&ev))
                    ></textarea>
                    {move || error("system").get().map(|m| view! { <p class="field-error">{m}</p> })}
                </div>
                <p class="muted">"Blank: the model's default."</p>
                <div class="params-grid">
                    <TextField label="Temperature (0–2)" testid="param-temperature" value=f.temperature server=error("temperature")/>
                    <TextField label="Top p (0–1)" testid="param-top-p" value=f.top_p server=error("top_p")/>
                    <TextField label="Max tokens" testid="param-max-tokens" value=f.max_tokens server=error("max_tokens")/>
                    <TextField label="Seed" testid="param-seed" value=f.seed server=error("seed")/>
                    <TextField
                        label="Presence penalty (−2–2)"
                        testid="param-presence"
                        value=f.presence_penalty
                        server=error("presence_penalty")
                    />
                    <TextField
                        label="Frequency penalty (−2–2)"
                        testid="param-frequency"
                        value=f.frequency_penalty
                        server=error("frequency_penalty")
                    />
                </div>
                <div class="field">
                    <label for="param-stop">"Stop sequences (one per line, at most 4)"</label>
                    <textarea
                        id="param-stop"
                        data-testid="param-stop"
                        rows="2"
                        prop:value=move || f.stop.get()
                        on:input=move |ev| f.stop.set(event_target_value(&ev))
                    ></textarea>
                    {move || error("stop").get().map(|m| view! { <p class="field-error">{m}</p> })}
                </div>
                <div class="field">
                    <label for="param-answer-style">"Answers from attached knowledge"</label>
                    <select
                        id="param-answer-style"
                        data-testid="param-answer-style"
                        prop:value=move || f.answer_style.get()
                        on:change=move |ev| f.answer_style.set(event_target_value(&ev))
                    >
                        <option value="">"The model's way (local models quote)"</option>
                        <option value="quote">"Quote the documents: exact sentences, at once"</option>
                        <option value="generate">"Write an answer from them"</option>
                    </select>
                    {move || error("answer_style").get().map(|m| view! { <p class="field-error">{m}</p> })}
                </div>
                <label>
                    <input
                        type="checkbox"
                        data-testid="param-for-new-chats"
                        prop:checked=move || for_new_chats.get()
                        on:change=move |ev| for_new_chats.set(event_target_checked(&ev))
                    />
                    " Also start my new chats with these"
                </label>
                {problem}
                {saved}
                <div class="form-actions">
                    <button
                        type="submit"
                        class="button primary small"
                        data-testid="save-params"
                        disabled=move || !hydrated.get() || save.pending().get() || load.pending().get()
                    >
                        "Save parameters"
                    </button>
                </div>
            </form>
        </div>
    }
    // Erased: the conversation page nests this panel in a view whose type is already deep.
    .into_any()
}
