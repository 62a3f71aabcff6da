//! Local models run in-process with candle: no network, no API key.
