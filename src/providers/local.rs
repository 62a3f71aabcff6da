//! The local default provider: models run in-process with candle.
