//! Ingestion for knowledge bases: documents (files, crawled pages) become blocks, blocks become
//! chunks that keep their heading path for citations.

pub mod chunk;
pub mod html;
pub mod markdown;

pub use chunk::{Block, Chunk, ChunkConfig, Document, chunk};
pub use markdown::{markdown_to_blocks, text_to_blocks};
