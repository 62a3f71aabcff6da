//! Ingestion for knowledge bases: documents (uploaded files, crawled pages) become blocks, blocks become
//! chunks that keep their heading path for citations.

pub mod chunk;
pub mod files;
pub mod html;
pub mod markdown;
pub mod plain_text;

pub use chunk::{Block, Chunk, ChunkConfig, Document, chunk};
pub use files::{ExtractedFile, FileError, FileKind, FileLimits, extract as extract_file, sniff as sniff_file};
pub use markdown::markdown_to_blocks;
pub use plain_text::text_to_blocks;
