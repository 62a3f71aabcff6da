//! A conversation's settings reach the model: the system prompt first (kept when history is
//! fitted), the parameters as set, the user's preset copied into new conversations, and a
//! parameter the provider does not take named on the reply instead of sent.

use super::*;
use crate::{
    chat::{Chat, ChatSettings},
    storage::MessageStatus,
};

#[tokio::test]
async fn settings_reach_the_model_and_new_conversations_start_from_the_preset() {
    let w = world().await;
    let db = w.sitechat.db().clone();
    let provider = Arc::new(Recording::default());
    let catalog = ModelCatalog::start(db.clone(), Registry::new(vec![provider.clone()])).await.unwrap();
    let chat = Chat::new(db.clone(), Answers::new(catalog, w.sitechat.clone(), None), "r");

    // No preset yet: a new conversation has no settings, and nothing is sent but the question.
    let plain = chat.create_conversation(&w.owner, None, None).await.unwrap();
    assert_eq!(chat.settings(&w.owner, &plain.id).await.unwrap(), ChatSettings::default());

    let preset = ChatSettings {
        system: Some("Answer in French.".into()),
        params: Params { temperature: Some(0.3), seed: Some(7), max_tokens: Some(64), ..Params::default() },
        answer_style: None,
    };
    let saved = chat.save_preset(&w.owner, preset.clone()).await.unwrap();
    assert_eq!(saved, preset);
    assert_eq!(chat.preset(&w.owner).await.unwrap(), preset);
    // The preset is a starting point: the conversation made before it keeps its own settings.
    assert_eq!(chat.settings(&w.owner, &plain.id).await.unwrap(), ChatSettings::default());
    let conv = chat.create_conversation(&w.owner, None, None).await.unwrap();
    assert_eq!(chat.settings(&w.owner, &conv.id).await.unwrap(), preset);

    let reply = chat.send_message(&w.owner, &conv.id, "Hello?", None, &[]).await.unwrap().reply.row;
    let mut live = chat.generations().subscribe(&w.owner, &reply.id).expect("just started");
    live.wait_for(|s| s.status != MessageStatus::Streaming).await.unwrap();
    let sent = provider.0.lock().unwrap().pop().expect("the model was called");
    assert_eq!(
        sent.messages.iter().map(|m| (m.role, m.content.as_str())).collect::<Vec<_>>(),
        [(Role::System, "Answer in French."), (Role::User, "Hello?")]
    );
    assert_eq!((sent.temperature, sent.max_tokens, sent.seed), (Some(0.3), Some(64), None));
    let stored = chat.message(&w.owner, &reply.id).await.unwrap();
    assert_eq!(stored.dropped_params.as_deref(), Some("seed"), "the reply says what was not sent");

    // Changing the conversation's settings changes the next question, not the preset.
    let cooler =
        ChatSettings { params: Params { temperature: Some(1.5), ..Params::default() }, ..ChatSettings::default() };
    chat.save_settings(&w.owner, &conv.id, cooler).await.unwrap();
    let reply = chat.send_message(&w.owner, &conv.id, "Again?", None, &[]).await.unwrap().reply.row;
    let mut live = chat.generations().subscribe(&w.owner, &reply.id).expect("just started");
    live.wait_for(|s| s.status != MessageStatus::Streaming).await.unwrap();
    let sent = provider.0.lock().unwrap().pop().expect("the model was called");
    assert_eq!((sent.messages[0].role, sent.temperature, sent.seed), (Role::User, Some(1.5), None));
    assert_eq!(chat.message(&w.owner, &reply.id).await.unwrap().dropped_params, None);
    assert_eq!(chat.preset(&w.owner).await.unwrap(), preset);

    // Out of range: refused by field, and nothing changes. Someone else's conversation: not found.
    let hot = ChatSettings { params: Params { top_p: Some(0.0), ..Params::default() }, ..ChatSettings::default() };
    assert!(matches!(chat.save_settings(&w.owner, &conv.id, hot).await, Err(Error::Invalid(v)) if v.field == "top_p"));
    assert_eq!(chat.settings(&w.owner, &conv.id).await.unwrap().params.temperature, Some(1.5));
    let stranger = db.create_user("s2@example.com", "h", None, UserStatus::Active).await.unwrap().id;
    let theirs = chat.save_settings(&stranger, &conv.id, ChatSettings::default()).await;
    assert!(matches!(theirs, Err(Error::NotFound(_))));
    assert!(matches!(chat.settings(&stranger, &conv.id).await, Err(Error::NotFound(_))));
}
