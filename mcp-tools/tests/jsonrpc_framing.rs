//! Malformed JSON-RPC input gets a JSON-RPC answer: the SDK-free checks
//! (`mcp_tools::jsonrpc`) and the checked line transport of the rmcp adapter, driven over a
//! duplex pipe with raw bytes.
#![cfg(feature = "rmcp")]

use std::time::Duration;

use mcp_tools::Registry;
use mcp_tools::jsonrpc::{
    Checked, INVALID_REQUEST, MAX_JSON_DEPTH, PARSE_ERROR, Rejection, check_message,
};
use mcp_tools::rmcp_adapter::{CheckedTransport, McpServer};
use rmcp::ServiceExt;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf};

fn nested(depth: usize) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{{"name":"x","arguments":{{"a":{}1{}}}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// Lines that are not JSON, with the code each must be answered with (`id` null).
fn parse_errors() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("not JSON", b"hello there".to_vec()),
        ("a bare word", b"ping".to_vec()),
        (
            "truncated object",
            br#"{"jsonrpc":"2.0","id":1,"method":"ping""#.to_vec(),
        ),
        (
            "truncated string",
            br#"{"jsonrpc":"2.0","id":1,"method":"pi"#.to_vec(),
        ),
        ("open brace", b"{".to_vec()),
        (
            "trailing garbage",
            br#"{"jsonrpc":"2.0","id":1,"method":"ping"} x"#.to_vec(),
        ),
        (
            "two objects",
            br#"{"jsonrpc":"2.0","id":1,"method":"ping"}{}"#.to_vec(),
        ),
        (
            "single quotes",
            b"{'jsonrpc':'2.0','id':1,'method':'ping'}".to_vec(),
        ),
        (
            "trailing comma",
            br#"{"jsonrpc":"2.0","id":1,"method":"ping",}"#.to_vec(),
        ),
        (
            "invalid UTF-8 in a string",
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\xfe\"}".to_vec(),
        ),
        ("invalid UTF-8 alone", b"\xc3\x28".to_vec()),
        ("a lone continuation byte", b"\x80".to_vec()),
        ("nested 20,000 deep", nested(20_000).into_bytes()),
        (
            "nested 20,000 deep, unterminated",
            "[".repeat(20_000).into_bytes(),
        ),
        (
            "objects nested 20,000 deep",
            r#"{"a":"#.repeat(20_000).into_bytes(),
        ),
        (
            "nested one past the limit",
            nested(MAX_JSON_DEPTH).into_bytes(),
        ),
        ("NUL byte", b"\0".to_vec()),
    ]
}

/// Valid JSON that is not a request object: (`name`, line, code, answered id).
fn invalid_requests() -> Vec<(&'static str, &'static str, i64, Value)> {
    vec![
        ("empty array", "[]", INVALID_REQUEST, Value::Null),
        (
            "a batch",
            r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
            INVALID_REQUEST,
            Value::Null,
        ),
        ("a number", "42", INVALID_REQUEST, Value::Null),
        ("a string", r#""hello""#, INVALID_REQUEST, Value::Null),
        ("null", "null", INVALID_REQUEST, Value::Null),
        ("a boolean", "true", INVALID_REQUEST, Value::Null),
        ("an empty object", "{}", INVALID_REQUEST, Value::Null),
        (
            "wrong version",
            r#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#,
            INVALID_REQUEST,
            json!(3),
        ),
        (
            "no version",
            r#"{"id":"four","method":"ping"}"#,
            INVALID_REQUEST,
            json!("four"),
        ),
        (
            "object id",
            r#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#,
            INVALID_REQUEST,
            Value::Null,
        ),
        (
            "array id",
            r#"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#,
            INVALID_REQUEST,
            Value::Null,
        ),
        (
            "numeric method",
            r#"{"jsonrpc":"2.0","id":5,"method":7}"#,
            INVALID_REQUEST,
            json!(5),
        ),
        (
            "no method",
            r#"{"jsonrpc":"2.0","id":6}"#,
            INVALID_REQUEST,
            json!(6),
        ),
    ]
}

#[test]
fn every_parse_error_is_refused_with_minus_32700_and_a_null_id() {
    for (name, line) in parse_errors() {
        let rejection = check_message(&line).expect_err(name);
        assert_eq!(rejection.code(), PARSE_ERROR, "{name}: {rejection}");
        assert_eq!(rejection.id(), &Value::Null, "{name}");
        let answer = rejection.to_json();
        assert_eq!(answer["jsonrpc"], "2.0");
        assert_eq!(answer["error"]["code"], PARSE_ERROR);
        assert!(answer.as_object().is_some_and(|o| o.contains_key("id")));
        assert!(
            answer.to_string().len() < 600,
            "{name}: the answer echoes little input: {answer}"
        );
    }
}

#[test]
fn every_invalid_request_is_refused_with_minus_32600() {
    for (name, line, code, id) in invalid_requests() {
        let rejection = check_message(line.as_bytes()).expect_err(name);
        assert_eq!(rejection.code(), code, "{name}: {rejection}");
        assert_eq!(rejection.id(), &id, "{name}");
    }
}

#[test]
fn good_messages_blank_lines_bom_and_crlf_pass() {
    for line in [
        r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","id":"a","method":"tools/list","params":{}}"#,
        r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
        r#"{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"x"}}"#,
        "\u{feff}{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r",
        "  {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}  ",
        r#"{"jsonrpc":"2.0","id":1,"method":"x","params":{"s":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}}"#,
    ] {
        assert!(
            matches!(check_message(line.as_bytes()), Ok(Checked::Message(_))),
            "{line}"
        );
    }
    // Nesting up to the limit is accepted.
    assert!(matches!(
        check_message(nested(MAX_JSON_DEPTH - 5).as_bytes()),
        Ok(Checked::Message(_))
    ));
    for blank in ["", " ", "\t", "\r", "  \r", "\u{feff}"] {
        assert_eq!(
            check_message(blank.as_bytes()),
            Ok(Checked::Empty),
            "{blank:?}"
        );
    }
}

#[test]
fn rejections_serialize_as_one_json_rpc_line() {
    let r = Rejection::new(PARSE_ERROR, "Parse error: x", Value::Null);
    let line = r.to_line();
    assert_eq!(line.last(), Some(&b'\n'));
    assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
    let v: Value = serde_json::from_slice(&line).expect("JSON");
    assert_eq!(
        v,
        json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Parse error: x"}})
    );
}

/// A raw client of a server served through `CheckedTransport` on a duplex pipe.
struct Raw {
    write: WriteHalf<DuplexStream>,
    read: BufReader<ReadHalf<DuplexStream>>,
}

impl Raw {
    async fn start(max_line_bytes: Option<usize>) -> Self {
        let (server_io, client_io) = tokio::io::duplex(1 << 16);
        let (r, w) = tokio::io::split(server_io);
        let mut transport = CheckedTransport::new(r, w);
        if let Some(max) = max_line_bytes {
            transport = transport.with_max_line_bytes(max);
        }
        let registry = Registry::builder().build().expect("registry");
        let server = McpServer::new(registry, "framing-test", "0.0.0");
        tokio::spawn(async move {
            if let Ok(running) = server.serve(transport).await {
                let _ = running.waiting().await;
            }
        });
        let (read, write) = tokio::io::split(client_io);
        Self {
            write,
            read: BufReader::new(read),
        }
    }

    async fn send(&mut self, line: &[u8]) {
        self.write.write_all(line).await.expect("write");
        self.write.write_all(b"\n").await.expect("write");
        self.write.flush().await.expect("flush");
    }

    async fn recv(&mut self) -> Value {
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(10), self.read.read_line(&mut line))
            .await
            .expect("an answer within 10 s (a dropped message hangs the client)")
            .expect("read");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("answer is JSON ({e}): {line}"))
    }

    /// The next `n` answers, in any order.
    async fn recv_n(&mut self, n: usize) -> Vec<Value> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(self.recv().await);
        }
        out
    }

    async fn initialize(&mut self) {
        self.send(
            br#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}"#,
        )
        .await;
        let init = self.recv().await;
        assert_eq!(init["id"], 0, "{init}");
        assert!(init.get("result").is_some(), "{init}");
        self.send(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            .await;
    }

    /// Sends `bad` then a ping with `ping_id`; returns (the error answer, the ping's answer).
    async fn bad_then_ping(&mut self, bad: &[u8], ping_id: u64) -> (Value, Value) {
        self.send(bad).await;
        self.send(format!(r#"{{"jsonrpc":"2.0","id":{ping_id},"method":"ping"}}"#).as_bytes())
            .await;
        let answers = self.recv_n(2).await;
        let (errors, pings): (Vec<Value>, Vec<Value>) =
            answers.into_iter().partition(|a| a.get("error").is_some());
        assert_eq!(errors.len(), 1, "one error answer: {errors:?} {pings:?}");
        assert_eq!(pings.len(), 1);
        assert_eq!(pings[0]["id"], ping_id, "{:?}", pings[0]);
        (
            errors.into_iter().next().unwrap_or_default(),
            pings.into_iter().next().unwrap_or_default(),
        )
    }
}

#[tokio::test]
async fn parse_errors_are_answered_and_the_session_goes_on() {
    let mut raw = Raw::start(None).await;
    raw.initialize().await;
    for (i, (name, line)) in parse_errors().into_iter().enumerate() {
        let (error, _) = raw.bad_then_ping(&line, 100 + i as u64).await;
        assert_eq!(error["jsonrpc"], "2.0", "{name}");
        assert_eq!(error["id"], Value::Null, "{name}: {error}");
        assert!(
            error.as_object().is_some_and(|o| o.contains_key("id")),
            "{name}: `id: null` is present"
        );
        assert_eq!(error["error"]["code"], PARSE_ERROR, "{name}: {error}");
    }
}

#[tokio::test]
async fn invalid_requests_are_answered_with_their_id() {
    let mut raw = Raw::start(None).await;
    raw.initialize().await;
    for (i, (name, line, code, id)) in invalid_requests().into_iter().enumerate() {
        let (error, _) = raw.bad_then_ping(line.as_bytes(), 200 + i as u64).await;
        assert_eq!(error["error"]["code"], code, "{name}: {error}");
        assert_eq!(error["id"], id, "{name}: {error}");
    }
}

#[tokio::test]
async fn a_known_method_with_bad_params_is_answered_with_its_id() {
    let mut raw = Raw::start(None).await;
    raw.initialize().await;
    raw.send(
        br#"{"jsonrpc":"2.0","id":"bad-call","method":"tools/call","params":{"arguments":{}}}"#,
    )
    .await;
    let answer = raw.recv().await;
    assert_eq!(answer["id"], "bad-call", "{answer}");
    assert!(answer.get("error").is_some(), "{answer}");
}

#[tokio::test]
async fn blank_lines_and_bad_notifications_get_no_answer() {
    let mut raw = Raw::start(None).await;
    raw.initialize().await;
    for line in [
        &b""[..],
        b"   ",
        b"\r",
        b"\t \r",
        br#"{"jsonrpc":"2.0","method":"notifications/progress","params":"not an object"}"#,
        br#"{"jsonrpc":"2.0","method":"vendor/unknown-notification"}"#,
    ] {
        raw.send(line).await;
    }
    raw.send(br#"{"jsonrpc":"2.0","id":"after","method":"ping"}"#)
        .await;
    let answer = raw.recv().await;
    assert_eq!(
        answer["id"], "after",
        "nothing answered before the ping: {answer}"
    );
    assert!(answer.get("result").is_some(), "{answer}");
}

#[tokio::test]
async fn bad_lines_before_initialize_do_not_break_the_handshake() {
    let mut raw = Raw::start(None).await;
    raw.send(b"garbage").await;
    raw.send(b"[]").await;
    let answers = raw.recv_n(2).await;
    let codes: Vec<Value> = answers.iter().map(|a| a["error"]["code"].clone()).collect();
    assert!(codes.contains(&json!(PARSE_ERROR)) && codes.contains(&json!(INVALID_REQUEST)));
    raw.initialize().await;
    raw.send(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .await;
    let tools = raw.recv().await;
    assert_eq!(tools["id"], 1, "{tools}");
    assert!(tools["result"]["tools"].is_array(), "{tools}");
}

#[tokio::test]
async fn oversized_lines_are_answered_without_being_buffered() {
    let mut raw = Raw::start(Some(1024)).await;
    raw.initialize().await;
    for size in [1025usize, 4096, 200_000] {
        let big = format!(
            r#"{{"jsonrpc":"2.0","id":9,"method":"ping","params":{{"pad":"{}"}}}}"#,
            "x".repeat(size)
        );
        let (error, _) = raw.bad_then_ping(big.as_bytes(), size as u64).await;
        assert_eq!(error["error"]["code"], INVALID_REQUEST, "{error}");
        assert_eq!(error["id"], Value::Null);
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("1024 bytes")),
            "{error}"
        );
    }
    // A line just under the limit is still served.
    let fits = format!(
        r#"{{"jsonrpc":"2.0","id":"fits","method":"ping","params":{{"_meta":{{"pad":"{}"}}}}}}"#,
        "x".repeat(900)
    );
    raw.send(fits.as_bytes()).await;
    let answer = raw.recv().await;
    assert_eq!(answer["id"], "fits", "{answer}");
}

#[tokio::test]
async fn a_byte_order_mark_and_crlf_are_accepted() {
    let mut raw = Raw::start(None).await;
    raw.initialize().await;
    raw.send(b"\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"id\":\"bom\",\"method\":\"ping\"}\r")
        .await;
    let answer = raw.recv().await;
    assert_eq!(answer["id"], "bom", "{answer}");
    assert!(answer.get("result").is_some(), "{answer}");
}

/// `printf 'garbage\n' | server`: the answer to a last bad line is written before the server
/// closes, for every kind of bad line.
#[tokio::test]
async fn a_bad_last_line_is_answered_before_end_of_input() {
    for (name, line) in parse_errors() {
        let mut raw = Raw::start(None).await;
        raw.send(&line).await;
        raw.write.shutdown().await.expect("shutdown");
        let answer = raw.recv().await;
        assert_eq!(answer["error"]["code"], PARSE_ERROR, "{name}: {answer}");
        assert_eq!(answer["id"], Value::Null, "{name}");
    }
}
