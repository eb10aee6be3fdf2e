//! Example binaries for the workspace. See `examples/README.md` for the `cargo run --example`
//! lines; each example composes the library crates and holds no business logic of its own.
