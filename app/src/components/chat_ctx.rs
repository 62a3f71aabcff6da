//! What the chat route's parts share: the data they show (loaded once, by the route) and what
//! changes it.

use leptos::prelude::*;

use crate::{
    api::{
        chat::{get_conversation, list_conversations, list_models},
        kb::list_kbs,
    },
    dto::{ConversationDetail, ConversationDto, ConversationPage, KbDto, ModelDto},
    error::AppError,
};

/// Created by the chat route (`ChatPage`) and provided as context to the sidebar and the child
/// routes. Every resource of those pages lives here: one created under a `Suspense` would be
/// created twice by server rendering (see `logged_in`), and the child routes render in the
/// `Outlet`, whose closure the router may call more than once.
#[derive(Clone, Copy)]
pub struct ChatCtx {
    /// Bumped to reload the first page of conversations.
    version: RwSignal<u64>,
    /// The first page of conversations (reloaded when `version` changes).
    pub conversations: Resource<Result<ConversationPage, AppError>>,
    /// Pages loaded with "Load more", after the first.
    pub more: RwSignal<Vec<ConversationDto>>,
    /// The cursor after `more`; `None` until "Load more" was used.
    pub more_cursor: RwSignal<Option<Option<String>>>,
    /// The open conversation (`None` on a new chat), following the URL.
    pub conversation: Resource<Result<Option<ConversationDetail>, AppError>>,
    /// The models a new chat can use.
    pub models: Resource<Result<Vec<ModelDto>, AppError>>,
    /// The knowledge bases the user can attach (for the pickers).
    pub kbs: Resource<Result<Vec<KbDto>, AppError>>,
    /// The last rename (id, title), so an open conversation's header follows it.
    pub renamed: RwSignal<Option<(String, String)>>,
    /// A conversation just started on `/`: its first messages, for `/c/:id` to show at once.
    pub handoff: RwSignal<Option<ConversationDetail>>,
    /// The search dialog is open (Ctrl+K, or the sidebar's button).
    pub search: RwSignal<bool>,
    /// On a phone-sized screen, the sidebar is open as a drawer over the page.
    pub drawer: RwSignal<bool>,
    /// The id of the conversation in the URL (None on a new chat).
    pub open: Memo<Option<String>>,
}

impl ChatCtx {
    /// `open`: the id of the conversation in the URL.
    pub fn new(open: Memo<Option<String>>) -> Self {
        let version = RwSignal::new(0);
        let handoff = RwSignal::new(None::<ConversationDetail>);
        let conversation = Resource::new(
            move || open.get(),
            move |id| async move {
                let Some(id) = id else { return Ok(None) };
                // Just started here: shown at once, without asking the server again.
                let handed = handoff.try_update_untracked(|h| h.take_if(|d| d.conversation.id == id)).flatten();
                match handed {
                    Some(detail) => Ok(Some(detail)),
                    None => get_conversation(id).await.map(Some),
                }
            },
        );
        Self {
            version,
            conversations: Resource::new(move || version.get(), |_| list_conversations(None)),
            more: RwSignal::new(Vec::new()),
            more_cursor: RwSignal::new(None),
            conversation,
            models: Resource::new(|| (), |_| list_models()),
            kbs: Resource::new(|| (), |_| list_kbs()),
            renamed: RwSignal::new(None),
            handoff,
            search: RwSignal::new(false),
            drawer: RwSignal::new(false),
            open,
        }
    }

    /// Tracks changes to the lists (for views that reload with them, as the archived list does).
    pub fn changes(&self) -> u64 {
        self.version.get()
    }

    /// Reloads the list from the top (after a send, rename or delete).
    pub fn refresh(&self) {
        self.more.set(Vec::new());
        self.more_cursor.set(None);
        self.version.update(|v| *v += 1);
    }

    /// Appends a page fetched with "Load more".
    pub fn add_page(&self, page: ConversationPage) {
        self.more.update(|m| m.extend(page.items));
        self.more_cursor.set(Some(page.next_cursor));
    }
}
