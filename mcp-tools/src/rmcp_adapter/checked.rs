//! A line-delimited JSON-RPC transport (stdio, pipes) that answers what it cannot use.
//!
//! rmcp's own stdio transport drops a line that is not JSON (and one nested too deep, and
//! invalid UTF-8) without a word, so a client waiting on its request id hangs. This transport
//! reads the lines itself, checks each with [`crate::jsonrpc::check_message`], writes the
//! JSON-RPC error (`-32700` parse error, `-32600` invalid request, both `"id": null` when no id
//! can be read; `-32602` for a known method whose parameters do not fit) and goes on reading;
//! good messages go to rmcp unchanged.

use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;

use crate::jsonrpc::{
    Checked, INVALID_PARAMS, INVALID_REQUEST, MAX_MESSAGE_BYTES, Rejection, check_message, excerpt,
};

/// A server transport over a reader and a writer carrying one JSON-RPC message per line (stdin
/// and stdout for a stdio server), which answers malformed lines instead of dropping them.
///
/// ```no_run
/// use mcp_tools::Registry;
/// use mcp_tools::rmcp_adapter::{CheckedTransport, McpServer};
/// use rmcp::ServiceExt;
///
/// # async fn run(
/// #     registry: Registry,
/// #     input: tokio::io::DuplexStream,
/// #     output: tokio::io::DuplexStream,
/// # ) -> Result<(), Box<dyn std::error::Error>> {
/// let server = McpServer::new(registry, "my-server", "0.1.0");
/// // A binary passes `tokio::io::stdin()` and `tokio::io::stdout()` (tokio feature `io-std`).
/// let running = server.serve(CheckedTransport::new(input, output)).await?;
/// running.waiting().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct CheckedTransport<R, W> {
    read: BufReader<R>,
    /// The line being read; kept across cancelled `receive` calls so no bytes are lost.
    line: Vec<u8>,
    /// Dropping the rest of an oversized line until its newline.
    discarding: bool,
    max_line_bytes: usize,
    write: Arc<Mutex<Option<W>>>,
    /// Error answers being written; awaited before end of input is reported, so the answer to
    /// a last bad line is not lost when the transport closes.
    answering: Vec<tokio::task::JoinHandle<()>>,
}

enum LineRead {
    Line,
    Oversized,
    Eof,
    Io(std::io::Error),
}

impl<R, W> CheckedTransport<R, W>
where
    R: AsyncRead + Send + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    /// Reads requests from `read`, writes responses to `write`.
    pub fn new(read: R, write: W) -> Self {
        Self {
            read: BufReader::new(read),
            line: Vec::new(),
            discarding: false,
            max_line_bytes: MAX_MESSAGE_BYTES,
            write: Arc::new(Mutex::new(Some(write))),
            answering: Vec::new(),
        }
    }

    /// Answers a line longer than `bytes` with `-32600` and drops it without buffering it
    /// (default [`MAX_MESSAGE_BYTES`]).
    #[must_use]
    pub fn with_max_line_bytes(mut self, bytes: usize) -> Self {
        self.max_line_bytes = bytes;
        self
    }

    /// One `\n`-terminated line into `self.line`, never past `max_line_bytes`. Cancel-safe:
    /// `fill_buf` consumes nothing when dropped and the copy and `consume` are synchronous.
    async fn read_line(&mut self) -> LineRead {
        loop {
            let (consumed, done) = {
                let available = match self.read.fill_buf().await {
                    Ok(available) => available,
                    Err(e) => return LineRead::Io(e),
                };
                if available.is_empty() {
                    return LineRead::Eof;
                }
                let newline = available.iter().position(|b| *b == b'\n');
                let take = newline.map_or(available.len(), |i| i + 1);
                if self.discarding {
                    if newline.is_some() {
                        self.discarding = false;
                    }
                    (take, None)
                } else if self.line.len() + take > self.max_line_bytes.saturating_add(1) {
                    self.line.clear();
                    self.discarding = newline.is_none();
                    (take, Some(LineRead::Oversized))
                } else {
                    self.line.extend_from_slice(&available[..take]);
                    (take, newline.map(|_| LineRead::Line))
                }
            };
            self.read.consume(consumed);
            if let Some(done) = done {
                return done;
            }
        }
    }

    /// Writes `line` in the background: a rejection must reach the client even when this
    /// `receive` is cancelled, and never interleaves with a response (one writer lock).
    fn answer(&mut self, rejection: &Rejection) {
        tracing::debug!(code = rejection.code(), message = %rejection.message(), "answering a malformed message");
        let write = Arc::clone(&self.write);
        let line = rejection.to_line();
        self.answering.retain(|h| !h.is_finished());
        self.answering.push(tokio::spawn(async move {
            let mut guard = write.lock().await;
            if let Some(w) = guard.as_mut()
                && let Err(e) = write_line(w, &line).await
            {
                tracing::debug!(error = %e, "error response not delivered");
            }
        }));
    }

    /// Waits for the error answers still being written.
    async fn answered(&mut self) {
        while let Some(handle) = self.answering.pop() {
            let _ = handle.await;
        }
    }
}

async fn write_line<W: AsyncWrite + Unpin>(w: &mut W, line: &[u8]) -> std::io::Result<()> {
    w.write_all(line).await?;
    w.flush().await
}

/// The answer to a well-formed JSON-RPC object rmcp cannot read (`None`: a notification,
/// which gets no answer, as rmcp does for notifications it does not know).
fn typed_rejection(value: &Value, error: &serde_json::Error) -> Option<Rejection> {
    let id = value.get("id")?.clone();
    let detail = excerpt(&error.to_string());
    Some(match value.get("method").and_then(Value::as_str) {
        Some(method) => Rejection::new(
            INVALID_PARAMS,
            format!(
                "Invalid params for `{}`: {detail}; check the request against the MCP schema",
                excerpt(method)
            ),
            id,
        ),
        None => Rejection::new(
            INVALID_REQUEST,
            format!("Invalid Request: the response does not fit its request: {detail}"),
            id,
        ),
    })
}

impl<R, W> Transport<RoleServer> for CheckedTransport<R, W>
where
    R: AsyncRead + Send + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let write = Arc::clone(&self.write);
        async move {
            let mut line = serde_json::to_vec(&item)?;
            line.push(b'\n');
            let mut guard = write.lock().await;
            match guard.as_mut() {
                Some(w) => write_line(w, &line).await,
                None => Err(std::io::Error::new(
                    std::io::ErrorKind::NotConnected,
                    "the transport is closed",
                )),
            }
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            match self.read_line().await {
                LineRead::Line => {}
                LineRead::Oversized => {
                    self.answer(&Rejection::new(
                        INVALID_REQUEST,
                        format!(
                            "Invalid Request: the message is longer than {} bytes; send smaller arguments",
                            self.max_line_bytes
                        ),
                        Value::Null,
                    ));
                    continue;
                }
                // A trailing message without its newline is incomplete: nothing to deliver.
                LineRead::Eof => {
                    self.answered().await;
                    return None;
                }
                LineRead::Io(e) => {
                    tracing::error!(error = %e, "reading the MCP transport failed");
                    self.answered().await;
                    return None;
                }
            }
            let line = std::mem::take(&mut self.line);
            let body = line.strip_suffix(b"\n").unwrap_or(&line);
            let value = match check_message(body) {
                Ok(Checked::Message(value)) => value,
                Ok(Checked::Empty) => continue,
                Err(rejection) => {
                    self.answer(&rejection);
                    continue;
                }
            };
            match serde_json::from_value::<RxJsonRpcMessage<RoleServer>>(value.clone()) {
                Ok(message) => return Some(message),
                Err(error) => match typed_rejection(&value, &error) {
                    Some(rejection) => self.answer(&rejection),
                    None => tracing::debug!(%error, "ignoring a notification rmcp cannot read"),
                },
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        let mut guard = self.write.lock().await;
        if let Some(mut w) = guard.take() {
            w.shutdown().await?;
        }
        Ok(())
    }
}
