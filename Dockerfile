# syntax=docker/dockerfile:1
# Images of the MCP servers and the DataSource controller (all example binaries of this
# workspace). One build stage compiles all three; each final stage is a minimal, non-root
# runtime with one binary:
#
#   docker build --target datasource-mcp-server -t ghcr.io/databricks-rs/datasource-mcp-server:0.1.0 .
#   docker build --target databricks-mcp-server -t ghcr.io/databricks-rs/databricks-mcp-server:0.1.0 .
#   docker build --target datasource-controller -t ghcr.io/databricks-rs/datasource-controller:0.1.0 .
#
# The names match what the controller's generated kagent manifests use
# (datasource-model/src/kubernetes/validate.rs DEFAULT_IMAGE, controller.rs). See
# docs/deployment.md for flags, authentication and probes.

ARG RUST_VERSION=1.94

FROM rust:${RUST_VERSION}-slim-bookworm AS builder
WORKDIR /src
# cmake/clang-free: aws-lc-rs uses its prebuilt NASM objects; the C parts need a C compiler only.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential pkg-config \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release -p examples --all-features \
        --example datasource-mcp-server \
        --example databricks-mcp-server \
        --example datasource-controller \
    && mkdir -p /out \
    && cp target/release/examples/datasource-mcp-server \
          target/release/examples/databricks-mcp-server \
          target/release/examples/datasource-controller /out/

# glibc, CA certificates and a `nonroot` user (uid 65532); no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
USER 65532:65532
ENV RUST_LOG=info
# Streamable HTTP port used by the generated manifests (`--port=8080`) and health probes.
EXPOSE 8080

# Both servers: the generated manifests run this image with `command:
# /usr/local/bin/databricks-mcp-server` for Databricks DataSources and
# `/usr/local/bin/datasource-mcp-server` for the others.
FROM runtime AS datasource-mcp-server
COPY --from=builder /out/datasource-mcp-server /out/databricks-mcp-server /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/datasource-mcp-server"]

FROM runtime AS databricks-mcp-server
COPY --from=builder /out/databricks-mcp-server /usr/local/bin/databricks-mcp-server
ENTRYPOINT ["/usr/local/bin/databricks-mcp-server"]

FROM runtime AS datasource-controller
COPY --from=builder /out/datasource-controller /usr/local/bin/datasource-controller
ENTRYPOINT ["/usr/local/bin/datasource-controller"]
