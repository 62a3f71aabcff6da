//! The `ConverseStream` call for a [`ChatRequest`].
//!
//! Converse has no system role: system text goes in the `system` field. Turns must alternate and
//! the first must be the user's, so neighbours with the same role are joined (`turns.rs`) and an
//! assistant turn left at the start (its question trimmed away with older history) is dropped.
//! `maxTokens`, `temperature` and `topP` go in `inferenceConfig`; Converse has no `seed`, so a
//! requested one is dropped.

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::operation::converse_stream::builders::ConverseStreamFluentBuilder;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ImageBlock, ImageFormat, ImageSource, InferenceConfiguration, Message,
    SystemContentBlock,
};

use crate::providers::turns::{Turn, TurnRole, split_system};
use crate::providers::{ChatRequest, ProviderError};

/// What is sent, before it becomes the SDK's types.
#[derive(Debug, PartialEq)]
pub(super) struct Conversation {
    pub model: String,
    pub system: Option<String>,
    pub turns: Vec<Turn>,
    pub max_tokens: u32,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub stop: Vec<String>,
}

/// The conversation for `request`; `default_max_tokens` when it names no limit.
pub(super) fn conversation(request: ChatRequest, default_max_tokens: u32) -> Conversation {
    let (system, mut turns) = split_system(request.messages);
    let leading = turns.iter().take_while(|t| t.role == TurnRole::Assistant).count();
    turns.drain(..leading);
    Conversation {
        model: request.model,
        system,
        turns,
        // Bedrock takes at least 1.
        max_tokens: request.max_tokens.unwrap_or(default_max_tokens).max(1),
        // Converse's range is 0 to 1, OpenAI's (which `/v1` callers use) 0 to 2: a hotter request
        // gets the hottest Bedrock has rather than a refusal.
        temperature: request.temperature.map(|t| t.clamp(0.0, 1.0)),
        top_p: request.top_p.map(|p| p.clamp(0.0, 1.0)),
        stop: request.stop,
    }
}

impl Conversation {
    /// The SDK call, ready to send.
    pub fn converse_stream(self, client: &Client) -> Result<ConverseStreamFluentBuilder, ProviderError> {
        let inference = InferenceConfiguration::builder()
            .max_tokens(i32::try_from(self.max_tokens).unwrap_or(i32::MAX))
            .set_temperature(self.temperature)
            .set_top_p(self.top_p)
            .set_stop_sequences((!self.stop.is_empty()).then_some(self.stop))
            .build();
        Ok(client
            .converse_stream()
            .model_id(self.model)
            .set_system(self.system.map(|text| vec![SystemContentBlock::Text(text)]))
            .set_messages(Some(messages(self.turns)?))
            .inference_config(inference))
    }
}

fn messages(turns: Vec<Turn>) -> Result<Vec<Message>, ProviderError> {
    turns
        .into_iter()
        .map(|turn| {
            let role = match turn.role {
                TurnRole::User => ConversationRole::User,
                TurnRole::Assistant => ConversationRole::Assistant,
            };
            let failed = |e: aws_sdk_bedrockruntime::error::BuildError| {
                ProviderError::Failed(format!("the Bedrock request could not be built: {e}"))
            };
            // Images first, then the text (as Bedrock's examples put them).
            let mut content = Vec::with_capacity(turn.images.len() + 1);
            for image in turn.images {
                let format = match image.media_type.as_str() {
                    "image/jpeg" => ImageFormat::Jpeg,
                    "image/gif" => ImageFormat::Gif,
                    "image/webp" => ImageFormat::Webp,
                    _ => ImageFormat::Png,
                };
                let source = ImageSource::Bytes(Blob::new(image.data.to_vec()));
                content.push(ContentBlock::Image(
                    ImageBlock::builder().format(format).source(source).build().map_err(failed)?,
                ));
            }
            content.push(ContentBlock::Text(turn.content));
            // Only fails for a missing role or content, which are both set.
            Message::builder().role(role).set_content(Some(content)).build().map_err(failed)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{ChatMessage, Role};

    fn turn(role: TurnRole, content: &str) -> Turn {
        Turn::text(role, content)
    }

    #[test]
    fn system_text_goes_apart_and_turns_alternate_starting_with_the_user() {
        let request = ChatRequest::new(
            "amazon.nova-lite-v1:0",
            vec![
                ChatMessage::new(Role::Assistant, "A reply whose question was trimmed"),
                ChatMessage::new(Role::System, "Sources: [1] a"),
                ChatMessage::new(Role::User, "Hi"),
                ChatMessage::new(Role::User, "Anyone?"),
                ChatMessage::new(Role::System, "Be brief."),
                ChatMessage::new(Role::Assistant, "Hello"),
                ChatMessage::new(Role::User, "Bye"),
            ],
        );
        let conversation = conversation(request, 4096);
        assert_eq!(conversation.system.as_deref(), Some("Sources: [1] a\n\nBe brief."));
        let expected =
            [turn(TurnRole::User, "Hi\n\nAnyone?"), turn(TurnRole::Assistant, "Hello"), turn(TurnRole::User, "Bye")];
        assert_eq!(conversation.turns, expected);
    }

    #[test]
    fn limits_are_defaulted_and_clamped_and_a_seed_is_dropped() {
        let mut request = ChatRequest::new("m", vec![ChatMessage::new(Role::User, "Hi")]);
        request.seed = Some(7);
        request.temperature = Some(1.5);
        request.top_p = Some(0.9);
        let defaulted = conversation(request.clone(), 4096);
        assert_eq!((defaulted.max_tokens, defaulted.temperature, defaulted.top_p), (4096, Some(1.0), Some(0.9)));
        request.max_tokens = Some(0);
        assert_eq!(conversation(request, 4096).max_tokens, 1);
    }

    #[test]
    fn turns_become_text_blocks_with_their_roles() {
        let built = messages(vec![turn(TurnRole::User, "Hi"), turn(TurnRole::Assistant, "Hello")]).unwrap_or_default();
        let roles: Vec<&ConversationRole> = built.iter().map(Message::role).collect();
        assert_eq!(roles, [&ConversationRole::User, &ConversationRole::Assistant]);
        assert_eq!(built[1].content(), [ContentBlock::Text("Hello".into())]);
    }
}
