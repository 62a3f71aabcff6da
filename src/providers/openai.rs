//! OpenAI and OpenAI-compatible servers, through async-openai.
