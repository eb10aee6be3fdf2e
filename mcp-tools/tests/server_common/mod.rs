//! Shared helpers of the `server_*` tests: a small server with a `whoami` tool, a raw
//! Streamable HTTP client over reqwest, and signing keys for JWTs
//! (EdDSA, RS256, ES256).
#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_tools::rmcp_adapter::McpServer;
use mcp_tools::server::{HttpConfig, HttpServer};
use mcp_tools::{FnTool, Registry, ToolContext, ToolOutput, ToolSpec};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// Arguments of `whoami`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct WhoamiArgs {}

/// Result of `whoami`.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Whoami {
    /// The caller's name.
    pub name: String,
    /// How the caller was authenticated.
    pub method: String,
}

/// Arguments of `sleep`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct SleepArgs {
    /// Milliseconds to sleep.
    pub ms: u64,
}

/// A server with `whoami` (the caller's principal) and `sleep`.
pub fn mcp_server() -> McpServer {
    let whoami = FnTool::new(
        ToolSpec::new::<WhoamiArgs, Whoami>("whoami", "The authenticated caller."),
        |_a: WhoamiArgs, ctx: ToolContext| async move {
            let (name, method) = match ctx.principal() {
                Some(p) => (p.name.clone(), p.method.clone()),
                None => ("none".to_owned(), "none".to_owned()),
            };
            ToolOutput::structured(name.clone(), &Whoami { name, method })
        },
    );
    let sleep = FnTool::new(
        ToolSpec::new::<SleepArgs, Whoami>("sleep", "Sleeps, then answers."),
        |a: SleepArgs, _ctx: ToolContext| async move {
            tokio::time::sleep(std::time::Duration::from_millis(a.ms)).await;
            ToolOutput::structured(
                "slept",
                &Whoami {
                    name: "slept".into(),
                    method: "none".into(),
                },
            )
        },
    );
    let registry = Registry::builder()
        .tool(whoami)
        .tool(sleep)
        .build()
        .expect("registry");
    McpServer::new(registry, "server-test", "0.0.1")
}

/// A running server; dropping `stop` (or sending on it) shuts it down.
pub struct Running {
    pub addr: SocketAddr,
    pub stop: Option<oneshot::Sender<()>>,
    pub done: tokio::task::JoinHandle<Result<(), mcp_tools::server::ServeError>>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.done.await.expect("join").expect("clean shutdown");
    }
}

/// Binds `config` (its address should be `127.0.0.1:0`) and serves in the background.
pub async fn start(config: HttpConfig) -> Running {
    let http = HttpServer::bind(mcp_server(), config).await.expect("bind");
    let addr = http.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let done = tokio::spawn(http.run(async move {
        let _ = stopped.await;
    }));
    Running {
        addr,
        stop: Some(stop),
        done,
    }
}

pub fn loopback() -> HttpConfig {
    HttpConfig::new("127.0.0.1:0".parse().expect("addr"))
}

/// One HTTP answer: status, headers, and the JSON-RPC message (JSON or the last SSE `data:`).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    pub message: Option<Value>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// POSTs one JSON-RPC message to `url` with optional bearer `token` and session id.
pub async fn post(url: &str, token: Option<&str>, session: Option<&str>, body: &Value) -> Answer {
    let client = reqwest::Client::new();
    let mut req = client
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .header("mcp-protocol-version", "2025-06-18")
        .body(body.to_string());
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(session) = session {
        req = req.header("mcp-session-id", session);
    }
    let response = req.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.expect("body");
    let message = serde_json::from_str::<Value>(&body).ok().or_else(|| {
        body.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .rfind(|m| m.get("id").is_some())
    });
    Answer {
        status,
        headers,
        body,
        message,
    }
}

pub fn initialize(id: u64) -> Value {
    json!({
        "jsonrpc": "2.0", "id": id, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "server-test", "version": "0"}
        }
    })
}

pub fn initialized() -> Value {
    json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
}

pub fn tools_list(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": {}})
}

pub fn call(id: u64, name: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": name, "arguments": arguments}})
}

/// Initializes a session (stateful servers answer a session id) and returns it.
pub async fn open_session(url: &str, token: Option<&str>) -> Option<String> {
    let init = post(url, token, None, &initialize(1)).await;
    assert_eq!(init.status, 200, "initialize: {}", init.body);
    let session = init.header("mcp-session-id").map(str::to_owned);
    let ack = post(url, token, session.as_deref(), &initialized()).await;
    assert_eq!(ack.status, 202, "initialized: {}", ack.body);
    session
}

/// The tool names of a `tools/list` answer.
pub fn tool_names(answer: &Answer) -> Vec<String> {
    let message = answer.message.as_ref().expect("a JSON-RPC answer");
    message["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_owned())
        .collect()
}

/// The signature algorithms the tests sign tokens with: EdDSA, and the two most issuers use
/// (RS256: Entra ID, Okta, Keycloak, Auth0 by default; ES256).
#[derive(Clone, Copy, Debug)]
pub enum KeyKind {
    /// Ed25519 (`EdDSA`).
    Ed25519,
    /// RSA 2048 with SHA-256 (`RS256`).
    Rs256,
    /// ECDSA P-256 with SHA-256 (`ES256`).
    Es256,
}

/// A signing key and its public JWK.
pub struct SigningKey {
    pub kid: String,
    kind: KeyKind,
    encoding: jsonwebtoken::EncodingKey,
    jwk: Value,
}

impl SigningKey {
    /// A fresh Ed25519 key.
    pub fn generate(kid: &str) -> Self {
        Self::generate_kind(kid, KeyKind::Ed25519)
    }

    /// A fresh key of `kind`.
    pub fn generate_kind(kid: &str, kind: KeyKind) -> Self {
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::signature::{
            ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair,
        };
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let (encoding, jwk) = match kind {
            KeyKind::Ed25519 => {
                let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("key");
                let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("pair");
                (
                    jsonwebtoken::EncodingKey::from_ed_der(pkcs8.as_ref()),
                    json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA",
                        "x": b64(pair.public_key().as_ref())}),
                )
            }
            KeyKind::Es256 => {
                let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .expect("key");
                let pair =
                    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
                        .expect("pair");
                // The uncompressed point: 0x04 ‖ x (32 bytes) ‖ y (32 bytes).
                let point = pair.public_key().as_ref();
                assert_eq!(point.len(), 65, "uncompressed P-256 point");
                (
                    jsonwebtoken::EncodingKey::from_ec_der(pkcs8.as_ref()),
                    json!({"kty": "EC", "crv": "P-256", "alg": "ES256",
                        "x": b64(&point[1..33]), "y": b64(&point[33..])}),
                )
            }
            KeyKind::Rs256 => {
                let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                    .expect("key");
                let pkcs8 =
                    AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'_>>::as_der(&pair).expect("der");
                let pem = format!(
                    "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                    base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref())
                );
                let public = pair.public_key();
                (
                    jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).expect("rsa pem"),
                    json!({"kty": "RSA", "alg": "RS256",
                        "n": b64(public.modulus().big_endian_without_leading_zero()),
                        "e": b64(public.exponent().big_endian_without_leading_zero())}),
                )
            }
        };
        let mut jwk = jwk;
        jwk["kid"] = json!(kid);
        jwk["use"] = json!("sig");
        Self {
            kid: kid.to_owned(),
            kind,
            encoding,
            jwk,
        }
    }

    /// The public JWK (with `kid`, `alg` and `use`).
    pub fn jwk(&self) -> Value {
        self.jwk.clone()
    }

    /// A token with these claims, signed by this key (`kid` in the header unless `None`).
    pub fn sign(&self, claims: &Value, kid: Option<&str>) -> String {
        let alg = match self.kind {
            KeyKind::Ed25519 => jsonwebtoken::Algorithm::EdDSA,
            KeyKind::Rs256 => jsonwebtoken::Algorithm::RS256,
            KeyKind::Es256 => jsonwebtoken::Algorithm::ES256,
        };
        let mut header = jsonwebtoken::Header::new(alg);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign")
    }
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// Everything logged by this test binary (all levels, all targets).
pub fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    Arc::clone(LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buffer);
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || LogWriter(Arc::clone(&writer)))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        buffer
    }))
}

pub struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
