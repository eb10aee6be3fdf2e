//! Benchmarks for the workspace crates.
//!
//! Benchmarks live under `benches/benches/` and are run with `cargo bench -p benches`. Every
//! claim is a ratio against a baseline measured in the same run, recorded in
//! `docs/performance.md`; nothing here is a timed unit test.
