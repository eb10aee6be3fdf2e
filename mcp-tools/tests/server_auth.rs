//! Inbound authentication over real HTTP on loopback: API keys, OAuth access tokens checked
//! against a JWKS served by wiremock, the RFC 9728 metadata document, and a canary showing no
//! credential reaches logs, errors or responses.
#![cfg(feature = "server")]

mod server_common;

use std::time::Duration;

use mcp_tools::server::{ApiKey, ApiKeys, Auth, OAuthConfig, ServeError};
use serde_json::{Value, json};
use server_common::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY_CI: &str = "ci-key-0123456789abcdef-CANARY";
const KEY_AGENT: &str = "agent-key-abcdefghijklmnop-CANARY";

fn api_keys() -> Auth {
    Auth::ApiKeys(
        ApiKeys::new()
            .with_key(ApiKey::new("ci", KEY_CI.to_owned().into()).expect("key"))
            .with_key(ApiKey::new("agent", KEY_AGENT.to_owned().into()).expect("key")),
    )
}

#[tokio::test]
async fn api_keys_gate_the_mcp_endpoint() {
    logs();
    let server = start(loopback().with_auth(api_keys())).await;
    let url = server.url("/mcp");

    let none = post(&url, None, None, &initialize(1)).await;
    assert_eq!(none.status, 401, "{}", none.body);
    let challenge = none.header("www-authenticate").expect("challenge");
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(
        !challenge.contains("error="),
        "no credential, no error code: {challenge}"
    );

    let wrong = post(&url, Some("not-a-key-0123456789"), None, &initialize(1)).await;
    assert_eq!(wrong.status, 401);
    let challenge = wrong.header("www-authenticate").expect("challenge");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert_eq!(
        serde_json::from_str::<Value>(&wrong.body).expect("json")["error"],
        "invalid_token"
    );

    let basic = reqwest::Client::new()
        .post(&url)
        .basic_auth("ci", Some(KEY_CI))
        .body(initialize(1).to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(basic.status(), 401);

    // The right key: a session works, and tools see the key's name as the principal.
    for (key, name) in [(KEY_CI, "ci"), (KEY_AGENT, "agent")] {
        let session = open_session(&url, Some(key)).await;
        let list = post(&url, Some(key), session.as_deref(), &tools_list(2)).await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert_eq!(tool_names(&list), ["whoami", "sleep"]);
        let who = post(
            &url,
            Some(key),
            session.as_deref(),
            &call(3, "whoami", json!({})),
        )
        .await;
        let result = &who.message.as_ref().expect("answer")["result"]["structuredContent"];
        assert_eq!(result, &json!({"name": name, "method": "api_key"}));
        // The session of one key does not serve a request without a key.
        if session.is_some() {
            let stolen = post(&url, None, session.as_deref(), &tools_list(4)).await;
            assert_eq!(stolen.status, 401);
        }
    }
    // No metadata document without OAuth.
    let metadata = reqwest::get(server.url("/.well-known/oauth-protected-resource"))
        .await
        .expect("get");
    assert_eq!(metadata.status(), 404);
    server.shutdown().await;
}

#[tokio::test]
async fn no_auth_is_loopback_only() {
    logs();
    let public = mcp_tools::server::HttpConfig::new("0.0.0.0:0".parse().expect("addr"))
        .with_allowed_hosts(["mcp.example.com"]);
    let Err(e) = mcp_tools::server::HttpServer::bind(mcp_server(), public.clone()).await else {
        panic!("a public bind without auth must be refused");
    };
    assert!(matches!(e, ServeError::NoAuthOnPublicAddress { .. }), "{e}");
    assert!(e.to_string().contains("--insecure-no-auth"), "{e}");
    // With keys, or the explicit opt-in, it binds.
    let with_keys = public.clone().with_auth(api_keys());
    mcp_tools::server::HttpServer::bind(mcp_server(), with_keys)
        .await
        .expect("keys on a public bind");
    mcp_tools::server::HttpServer::bind(mcp_server(), public.insecure_no_auth(true))
        .await
        .expect("explicit opt-in");
    // Loopback without auth serves, and the tools see an anonymous caller.
    let server = start(loopback()).await;
    let url = server.url("/mcp");
    let session = open_session(&url, None).await;
    let who = post(
        &url,
        None,
        session.as_deref(),
        &call(2, "whoami", json!({})),
    )
    .await;
    assert_eq!(
        who.message.as_ref().expect("answer")["result"]["structuredContent"]["method"],
        "anonymous"
    );
    server.shutdown().await;
}

const ISSUER: &str = "https://issuer.test";

/// A wiremock issuer serving `keys` as its JWKS (at most `times` times when given).
async fn mount_jwks(issuer: &MockServer, keys: &[&SigningKey], times: Option<u64>) {
    let jwks = json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()});
    let mut mock = Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks));
    if let Some(n) = times {
        mock = mock.up_to_n_times(n);
    }
    mock.mount(issuer).await;
}

fn oauth(issuer: &MockServer, resource: &str) -> OAuthConfig {
    OAuthConfig::new(ISSUER, resource)
        .expect("oauth")
        .with_jwks_url(&format!("{}/jwks", issuer.uri()))
        .expect("jwks url")
        .with_required_scopes(["mcp:tools"])
}

fn claims(resource: &str, exp: u64, scope: &str) -> Value {
    json!({"iss": ISSUER, "aud": resource, "sub": "alice@example.com", "exp": exp,
        "iat": now(), "scope": scope})
}

async fn jwks_requests(issuer: &MockServer) -> usize {
    issuer
        .received_requests()
        .await
        .expect("recording")
        .iter()
        .filter(|r| r.url.path() == "/jwks")
        .count()
}

#[tokio::test]
async fn oauth_tokens_are_checked_against_the_issuer() {
    logs();
    let issuer = MockServer::start().await;
    let k1 = SigningKey::generate("k1");
    mount_jwks(&issuer, &[&k1], None).await;
    // The resource URL names the port only once the server is bound: bind a listener first to
    // learn a free port, then serve the resource there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        l.local_addr().expect("addr").port()
    };
    let resource = format!("http://127.0.0.1:{port}/mcp");
    let config =
        mcp_tools::server::HttpConfig::new(format!("127.0.0.1:{port}").parse().expect("addr"))
            .with_auth(Auth::OAuth(Box::new(oauth(&issuer, &resource))));
    let server = start(config).await;
    let url = server.url("/mcp");
    let metadata_url = format!("http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp");

    // No token: 401 pointing at the metadata document.
    let none = post(&url, None, None, &initialize(1)).await;
    assert_eq!(none.status, 401);
    assert_eq!(
        none.header("www-authenticate"),
        Some(format!("Bearer resource_metadata=\"{metadata_url}\"").as_str())
    );

    // The metadata document (RFC 9728), at the path-inserted URL and the bare one.
    for doc_url in [
        metadata_url.clone(),
        server.url("/.well-known/oauth-protected-resource"),
    ] {
        let doc: Value = reqwest::get(&doc_url)
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(
            doc,
            json!({
                "resource": resource,
                "authorization_servers": [ISSUER],
                "bearer_methods_supported": ["header"],
                "scopes_supported": ["mcp:tools"],
            })
        );
    }

    let valid = k1.sign(
        &claims(&resource, now() + 600, "openid mcp:tools"),
        Some("k1"),
    );
    let session = open_session(&url, Some(&valid)).await;
    let who = post(
        &url,
        Some(&valid),
        session.as_deref(),
        &call(2, "whoami", json!({})),
    )
    .await;
    assert_eq!(
        who.message.as_ref().expect("answer")["result"]["structuredContent"],
        json!({"name": "alice@example.com", "method": "oauth"})
    );

    let rejected = |token: String, why: &'static str| {
        let url = url.clone();
        let metadata_url = metadata_url.clone();
        async move {
            let answer = post(&url, Some(&token), None, &initialize(1)).await;
            assert_eq!(answer.status, 401, "{why}: {}", answer.body);
            let challenge = answer
                .header("www-authenticate")
                .expect("challenge")
                .to_owned();
            assert!(
                challenge.contains("error=\"invalid_token\""),
                "{why}: {challenge}"
            );
            assert!(challenge.contains(&metadata_url), "{why}: {challenge}");
            assert!(!answer.body.contains(&token), "{why}: the token is echoed");
            answer.body
        }
    };
    let body = rejected(
        k1.sign(
            &claims("https://other.example/mcp", now() + 600, "mcp:tools"),
            Some("k1"),
        ),
        "wrong audience",
    )
    .await;
    assert!(body.contains("audience"), "{body}");
    let body = rejected(
        k1.sign(&claims(&resource, now() - 3600, "mcp:tools"), Some("k1")),
        "expired",
    )
    .await;
    assert!(body.contains("expired"), "{body}");
    let mut wrong_issuer = claims(&resource, now() + 600, "mcp:tools");
    wrong_issuer["iss"] = json!("https://evil.test");
    rejected(k1.sign(&wrong_issuer, Some("k1")), "wrong issuer").await;
    let stranger = SigningKey::generate("k1");
    let body = rejected(
        stranger.sign(&claims(&resource, now() + 600, "mcp:tools"), Some("k1")),
        "signed by another key under a known kid",
    )
    .await;
    assert!(body.contains("signature"), "{body}");
    let unknown = SigningKey::generate("k9");
    let body = rejected(
        unknown.sign(&claims(&resource, now() + 600, "mcp:tools"), Some("k9")),
        "unknown kid",
    )
    .await;
    assert!(body.contains("kid"), "{body}");
    rejected("not.a.jwt".to_owned(), "garbage").await;

    // Unknown kids do not make the server hammer the issuer: one fetch so far (the refetch
    // for `k9` is rate limited by the default 60 s interval).
    assert_eq!(jwks_requests(&issuer).await, 1);

    // A valid token without the required scope: 403 insufficient_scope.
    let narrow = k1.sign(&claims(&resource, now() + 600, "openid"), Some("k1"));
    let answer = post(&url, Some(&narrow), None, &initialize(1)).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    let challenge = answer.header("www-authenticate").expect("challenge");
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(challenge.contains("scope=\"mcp:tools\""), "{challenge}");
    assert!(challenge.contains(&metadata_url), "{challenge}");
    server.shutdown().await;
}

/// The algorithms real issuers sign with: RS256 (Entra ID, Okta, Keycloak, Auth0) and ES256,
/// beside EdDSA, each checked against its JWK; a token whose header names another key's kid
/// (a different key type) is refused.
#[tokio::test]
async fn rs256_and_es256_tokens_are_verified_against_their_jwks() {
    logs();
    let issuer = MockServer::start().await;
    let rsa = SigningKey::generate_kind("rsa", KeyKind::Rs256);
    let ec = SigningKey::generate_kind("ec", KeyKind::Es256);
    let ed = SigningKey::generate_kind("ed", KeyKind::Ed25519);
    mount_jwks(&issuer, &[&rsa, &ec, &ed], None).await;
    let resource = "http://127.0.0.1/mcp";
    let server = start(loopback().with_auth(Auth::OAuth(Box::new(oauth(&issuer, resource))))).await;
    let url = server.url("/mcp");
    let valid = claims(resource, now() + 600, "mcp:tools");

    for key in [&rsa, &ec, &ed] {
        let token = key.sign(&valid, Some(&key.kid));
        let session = open_session(&url, Some(&token)).await;
        let who = post(
            &url,
            Some(&token),
            session.as_deref(),
            &call(2, "whoami", json!({})),
        )
        .await;
        assert_eq!(
            who.message.as_ref().expect("answer")["result"]["structuredContent"],
            json!({"name": "alice@example.com", "method": "oauth"}),
            "{}: {}",
            key.kid,
            who.body
        );
    }
    // Signed with the RSA key but naming the EC key, or the other way round: refused.
    for (signer, named) in [(&rsa, "ec"), (&ec, "rsa"), (&ed, "rsa")] {
        let token = signer.sign(&valid, Some(named));
        let answer = post(&url, Some(&token), None, &initialize(1)).await;
        assert_eq!(
            answer.status, 401,
            "{} as {named}: {}",
            signer.kid, answer.body
        );
        assert!(!answer.body.contains(&token), "the token is echoed");
    }
    // An expired RS256 token is refused like any other.
    let expired = rsa.sign(&claims(resource, now() - 3600, "mcp:tools"), Some("rsa"));
    let answer = post(&url, Some(&expired), None, &initialize(1)).await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert!(answer.body.contains("expired"), "{}", answer.body);
    server.shutdown().await;
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_after_rotation() {
    logs();
    let issuer = MockServer::start().await;
    let old = SigningKey::generate("old");
    let new = SigningKey::generate("new");
    // First fetch: only the old key; later fetches: both (the issuer rotated).
    mount_jwks(&issuer, &[&old], Some(1)).await;
    mount_jwks(&issuer, &[&old, &new], None).await;
    let resource = "http://127.0.0.1/mcp";
    let config = loopback().with_auth(Auth::OAuth(Box::new(
        oauth(&issuer, resource).with_min_jwks_refetch_interval(Duration::ZERO),
    )));
    let server = start(config).await;
    let url = server.url("/mcp");
    let token = old.sign(&claims(resource, now() + 600, "mcp:tools"), Some("old"));
    assert_eq!(
        post(&url, Some(&token), None, &initialize(1)).await.status,
        200
    );
    assert_eq!(jwks_requests(&issuer).await, 1);
    let token = new.sign(&claims(resource, now() + 600, "mcp:tools"), Some("new"));
    let answer = post(&url, Some(&token), None, &initialize(1)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(jwks_requests(&issuer).await, 2);
    // Known kids are served from the cache.
    assert_eq!(
        post(&url, Some(&token), None, &initialize(1)).await.status,
        200
    );
    assert_eq!(jwks_requests(&issuer).await, 2);
    server.shutdown().await;
}

/// Canary: the API keys and bearer tokens used here never show up in logs (all levels),
/// error messages or response bodies and headers.
#[tokio::test]
async fn credentials_never_leak() {
    let logs = logs();
    let issuer = MockServer::start().await;
    let key = SigningKey::generate("k1");
    mount_jwks(&issuer, &[&key], None).await;
    let resource = "http://127.0.0.1/mcp";
    let token = key.sign(&claims(resource, now() + 600, "mcp:tools"), Some("k1"));
    let expired = key.sign(&claims(resource, now() - 3600, "mcp:tools"), Some("k1"));

    let keyed = start(loopback().with_auth(api_keys())).await;
    let oauthed =
        start(loopback().with_auth(Auth::OAuth(Box::new(oauth(&issuer, resource))))).await;
    // Identity pass-through keeps the caller's token for the tools: still never shown.
    let passthrough = start(
        loopback()
            .with_auth(Auth::OAuth(Box::new(oauth(&issuer, resource))))
            .with_identity_passthrough(true),
    )
    .await;
    let mut seen = String::new();
    // The right credential on its server opens a session and calls a tool.
    for (server, credential) in [
        (&keyed, KEY_CI),
        (&oauthed, token.as_str()),
        (&passthrough, token.as_str()),
    ] {
        let url = server.url("/mcp");
        let session = open_session(&url, Some(credential)).await;
        let who = post(
            &url,
            Some(credential),
            session.as_deref(),
            &call(2, "whoami", json!({})),
        )
        .await;
        assert_eq!(who.status, 200);
        seen.push_str(&who.body);
    }
    // Every credential on every server and method, accepted or not.
    for server in [&keyed, &oauthed, &passthrough] {
        let url = server.url("/mcp");
        for credential in [
            KEY_CI,
            "wrong-key-CANARY-0123456789",
            token.as_str(),
            expired.as_str(),
        ] {
            for body in [initialize(1), tools_list(2), call(3, "whoami", json!({}))] {
                let answer = post(&url, Some(credential), None, &body).await;
                seen.push_str(&answer.body);
                for (name, value) in &answer.headers {
                    seen.push_str(&format!("{name}: {value:?}\n"));
                }
            }
        }
    }
    // Errors of refused configurations.
    let short = ApiKey::new("x", "CANARY".to_owned().into()).unwrap_err();
    seen.push_str(&short.to_string());
    seen.push_str(&format!(
        "{:?}",
        ApiKey::new("ci", KEY_CI.to_owned().into())
    ));
    seen.push_str(&format!("{:?}", api_keys()));
    keyed.shutdown().await;
    oauthed.shutdown().await;
    passthrough.shutdown().await;

    let logged = String::from_utf8(logs.lock().expect("logs").clone()).expect("utf-8");
    assert!(
        logged.contains("refused an MCP request"),
        "logs were captured: {logged}"
    );
    for secret in [
        KEY_CI,
        KEY_AGENT,
        "CANARY",
        token.as_str(),
        expired.as_str(),
    ] {
        assert!(
            !logged.contains(secret),
            "a credential was logged: {secret}"
        );
        assert!(
            !seen.contains(secret),
            "a credential was answered: {secret}"
        );
    }
}
