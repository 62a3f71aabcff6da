//! In-process fakes of external services, speaking their real wire protocols. Tests and benchmarks only.
