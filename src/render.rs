//! Replies as safe HTML: CommonMark with GFM tables, task lists and strikethrough
//! (pulldown-cmark) through an allow-list sanitiser (ammonia), and code blocks highlighted with
//! CSS classes (syntect; the CSP forbids inline styles), which we build from escaped text alone.
//!
//! What a model writes is never trusted: raw HTML in the Markdown is shown as text, links keep
//! only `http`, `https` and `mailto` URLs and get `rel="noopener noreferrer nofollow"`, images
//! become links (nothing from another origin loads), and no class or style of its own survives.
//!
//! A grounded reply's `[n]` markers become links to its numbered sources ([`Citations`]).
//!
//! A reply is rendered as a list of top-level blocks ([`blocks`]); while it streams,
//! [`LiveBlocks`] re-renders only the block still being written, so the work per token does not
//! grow with the reply. A saved reply goes through the same splitter in one step.

mod blocks;
mod cite;
mod highlight;
mod markdown;
mod preview;
mod sanitize;

pub use blocks::{BlockUpdate, LiveBlocks, blocks};
pub use cite::Citations;
pub use highlight::stylesheet;
pub use markdown::to_html;
pub use preview::file_preview;

#[cfg(test)]
mod tests;
