#!/usr/bin/env bash
# The test command from README.md: every crate, every feature, doc tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-features --locked
