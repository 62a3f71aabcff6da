//! The local model against its real weights (fetched by `webplus models fetch`).
