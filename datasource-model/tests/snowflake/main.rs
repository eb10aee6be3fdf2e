//! The Snowflake provider over wiremock: SQL API v2 (partitions, 202 progressions, 408/422,
//! 429, gzip, cancel), key-pair JWT auth, semantic-view discovery, Cortex Analyst, and the
//! conformance suite. Response bodies follow `sqlapi.yaml` / `cortex-analyst.yaml`.

#![cfg(feature = "snowflake")]

mod fake;

use std::io::Write;
use std::sync::Arc;

use datasource_model::{
    DataSource, Filter, KeyPairSigner, ModelScope, QueryOptions, SemanticQuery, SnowflakeAuth,
    SnowflakeConfig, SnowflakeSource, SqlParameter, SqlRequest,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use fake::{FakeSnowflake, HANDLE, result_set};

const KEY: &str = include_str!("fixtures/rsa_key.p8");
const KEY_ENCRYPTED: &str = include_str!("fixtures/rsa_key_encrypted.p8");
const PUBLIC_KEY: &str = include_str!("fixtures/rsa_key.pub");
/// Passphrase of `fixtures/rsa_key_encrypted.p8` (a test fixture, also the canary below).
const PASSPHRASE: &str = "canary-passphrase-7f3e";
/// Computed once, independently of this crate, with the OpenSSL 3.0 CLI:
/// `openssl rsa -in fixtures/rsa_key.p8 -pubout -outform DER | openssl dgst -sha256 -binary | base64`
/// (the fixtures were made with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`
/// and `openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:canary-passphrase-7f3e`).
const FINGERPRINT: &str = "SHA256:e48EOl6o6/RTUTJtum7BXvFGrl4FF0TPlmALsBsdbvk=";

const PAT: &str = "canary-token-4b1d9c";

fn config(server: &MockServer) -> SnowflakeConfig {
    SnowflakeConfig::new("myorg-acct", "WH", "SALES", SnowflakeAuth::pat(PAT))
        .with_host(server.uri())
        .with_schema("PUBLIC")
        .with_role("ANALYST")
}

fn source(server: &MockServer) -> SnowflakeSource {
    SnowflakeSource::from_config(&config(server), Some(100))
        .unwrap()
        .with_fast_retries()
}

fn body(r: &Request) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_default()
}

async fn posts(server: &MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == "POST")
        .collect()
}

fn gzip(v: &Value) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(v.to_string().as_bytes()).unwrap();
    e.finish().unwrap()
}

// ------------------------------------------------------------------------------------------
// Key-pair JWT
// ------------------------------------------------------------------------------------------

#[test]
fn jwt_fingerprint_and_claims_match_an_independent_vector() {
    let signer = KeyPairSigner::from_pem(
        "myorg-acct.us-east-1",
        "svc_user",
        &SecretString::from(KEY),
        None,
    )
    .unwrap();
    assert_eq!(signer.fingerprint(), FINGERPRINT);
    let token = signer.sign(1_700_000_000).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    let decoded = jsonwebtoken::decode::<Value>(
        token.expose_secret(),
        &jsonwebtoken::DecodingKey::from_rsa_pem(PUBLIC_KEY.as_bytes()).unwrap(),
        &validation,
    )
    .unwrap();
    assert_eq!(decoded.header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(
        decoded.claims,
        json!({
            "iss": format!("MYORG-ACCT.SVC_USER.{FINGERPRINT}"),
            "sub": "MYORG-ACCT.SVC_USER",
            "iat": 1_700_000_000u64,
            "exp": 1_700_000_000u64 + 59 * 60,
        })
    );

    // The encrypted variant has the same public key.
    let enc = KeyPairSigner::from_pem(
        "myorg-acct",
        "svc_user",
        &SecretString::from(KEY_ENCRYPTED),
        Some(&SecretString::from(PASSPHRASE)),
    )
    .unwrap();
    assert_eq!(enc.fingerprint(), FINGERPRINT);
    let err = KeyPairSigner::from_pem(
        "myorg-acct",
        "svc_user",
        &SecretString::from(KEY_ENCRYPTED),
        Some(&SecretString::from("wrong")),
    )
    .unwrap_err();
    assert!(err.to_string().contains("passphrase"), "{err}");
    let err =
        KeyPairSigner::from_pem("a", "u", &SecretString::from(KEY_ENCRYPTED), None).unwrap_err();
    assert!(err.to_string().contains("passphrase_env"), "{err}");
    assert!(!format!("{enc:?}").contains("PRIVATE"));
}

#[tokio::test]
async fn keypair_requests_carry_the_jwt_and_remint_once_on_401() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("rsa_key.p8");
    std::fs::write(&key_path, KEY).unwrap();
    Mock::given(method("POST"))
        .and(path("/api/v2/statements"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"code": "390144", "message": "JWT token is invalid."})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/statements"))
        .and(header(
            "X-Snowflake-Authorization-Token-Type",
            "KEYPAIR_JWT",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(result_set(
            json!([{"name": "N", "type": "fixed", "scale": 0, "precision": 38, "nullable": false}]),
            json!([["1"]]),
            None,
        )))
        .mount(&server)
        .await;
    let cfg = SnowflakeConfig::new(
        "myorg-acct",
        "WH",
        "SALES",
        SnowflakeAuth::keypair_file(&key_path),
    )
    .with_host(server.uri())
    .with_user("svc_user");
    let s = SnowflakeSource::from_config(&cfg, None).unwrap();
    let r = s
        .execute_sql(&SqlRequest::new("SELECT 1 AS N"), &QueryOptions::new())
        .await
        .unwrap();
    assert_eq!(r.rows, vec![vec![json!(1)]]);
    let reqs = posts(&server).await;
    assert_eq!(reqs.len(), 2, "one 401, one re-minted retry");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    for r in &reqs {
        let auth = r.headers.get("authorization").unwrap().to_str().unwrap();
        let token = auth.strip_prefix("Bearer ").unwrap();
        let claims = jsonwebtoken::decode::<Value>(
            token,
            &jsonwebtoken::DecodingKey::from_rsa_pem(PUBLIC_KEY.as_bytes()).unwrap(),
            &validation,
        )
        .unwrap()
        .claims;
        assert_eq!(claims["sub"], "MYORG-ACCT.SVC_USER");
        assert!(
            r.headers
                .get("user-agent")
                .is_some_and(|v| v.to_str().unwrap().starts_with("datasource-model/"))
        );
    }
}

// ------------------------------------------------------------------------------------------
// SQL API v2 behaviour
// ------------------------------------------------------------------------------------------

fn numbers_meta() -> Value {
    json!([
        {"name": "N", "type": "fixed", "precision": 38, "scale": 0, "nullable": false},
        {"name": "BIG", "type": "FIXED", "precision": 38, "scale": 0, "nullable": true},
        {"name": "PRICE", "type": "fixed", "precision": 10, "scale": 2, "nullable": true}
    ])
}

async fn mount_partitions(server: &MockServer) {
    let partitions = json!([{"rowCount": 2, "uncompressedSize": 100}, {"rowCount": 2, "uncompressedSize": 100}, {"rowCount": 1, "uncompressedSize": 50}]);
    Mock::given(method("POST"))
        .and(path("/api/v2/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(result_set(
            numbers_meta(),
            json!([["1", "9007199254740993", "0.10"], ["2", null, "1.00"]]),
            Some(partitions),
        )))
        .mount(server)
        .await;
    // Partition 1 is gzip-encoded, as Snowflake sends later partitions.
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/statements/{HANDLE}")))
        .and(query_param("partition", "1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .insert_header("content-type", "application/json")
                .set_body_bytes(gzip(
                    &json!({"data": [["3", "-3", "2.50"], ["4", "4", "3.75"]]}),
                )),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/statements/{HANDLE}")))
        .and(query_param("partition", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [["5", "12345678901234567890", "99999999.99"]]})),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn three_partitions_read_in_order_with_exact_numbers() {
    let server = MockServer::start().await;
    mount_partitions(&server).await;
    let s = source(&server);
    let r = s
        .execute_sql(
            &SqlRequest::new("SELECT N, BIG, PRICE FROM T ORDER BY N"),
            &QueryOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(r.row_count, 5);
    assert!(!r.truncated);
    let n: Vec<Value> = r.rows.iter().map(|row| row[0].clone()).collect();
    assert_eq!(n, [json!(1), json!(2), json!(3), json!(4), json!(5)]);
    assert_eq!(r.rows[0][1], json!("9007199254740993"));
    assert_eq!(r.rows[1][1], Value::Null);
    assert_eq!(r.rows[4][1], json!("12345678901234567890"));
    assert_eq!(r.rows[4][2], json!("99999999.99"));
    assert_eq!(r.columns[2].raw_type, "NUMBER(10,2)");
    assert_eq!(r.stats.total_rows, Some(5));
    assert_eq!(r.query_id.as_deref(), Some(HANDLE));
}

#[tokio::test]
async fn the_cap_stops_reading_partitions_and_truncated_is_exact() {
    let server = MockServer::start().await;
    mount_partitions(&server).await;
    let s = source(&server);
    let sql = SqlRequest::new("SELECT N, BIG, PRICE FROM T ORDER BY N");
    let r = s
        .execute_sql(&sql, &QueryOptions::new().with_max_rows(3))
        .await
        .unwrap();
    assert_eq!(r.row_count, 3);
    assert!(r.truncated);
    let gets: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .map(|r| r.url.query().unwrap_or_default().to_string())
        .collect();
    assert_eq!(gets, ["partition=1"], "partition 2 must not be fetched");
    // Exactly the number of rows: not truncated.
    let r = s
        .execute_sql(&sql, &QueryOptions::new().with_max_rows(5))
        .await
        .unwrap();
    assert_eq!(r.row_count, 5);
    assert!(!r.truncated);
}

#[tokio::test]
async fn accepted_202_is_polled_to_200() {
    let server = MockServer::start().await;
    let running = json!({"code": "333334", "message": "Asynchronous execution in progress. Use provided query id to perform query monitoring and management.", "statementHandle": HANDLE, "statementStatusUrl": format!("/api/v2/statements/{HANDLE}")});
    Mock::given(method("POST"))
        .and(path("/api/v2/statements"))
        .respond_with(ResponseTemplate::new(202).set_body_json(running.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/statements/{HANDLE}")))
        .respond_with(ResponseTemplate::new(202).set_body_json(running))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/statements/{HANDLE}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(result_set(
            json!([{"name": "D", "type": "date", "nullable": true}]),
            json!([["19723"]]),
            None,
        )))
        .mount(&server)
        .await;
    let s = source(&server);
    let r = s
        .execute_sql(
            &SqlRequest::new("SELECT CURRENT_DATE() AS D"),
            &QueryOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(r.rows, vec![vec![json!("2024-01-01")]]);
    let gets = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .count();
    assert_eq!(gets, 3);

    // get_statement reports the same statement.
    let st = s.get_statement(HANDLE).await.unwrap();
    assert_eq!(st.state, datasource_model::StatementState::Succeeded);
    assert_eq!(st.result.unwrap().row_count, 1);
}

#[tokio::test]
async fn a_statement_still_running_is_a_timeout_with_its_handle() {
    let server = MockServer::start().await;
    let running = json!({"code": "333334", "message": "Asynchronous execution in progress.", "statementHandle": HANDLE});
    Mock::given(method("POST"))
        .and(path("/api/v2/statements"))
        .respond_with(ResponseTemplate::new(202).set_body_json(running.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/statements/{HANDLE}")))
        .respond_with(ResponseTemplate::new(202).set_body_json(running))
        .mount(&server)
        .await;
    let s = source(&server);
    let err = s
        .execute_sql(
            &SqlRequest::new("SELECT SYSTEM$WAIT(60)"),
            &QueryOptions::new().with_timeout_ms(30),
        )
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    match &err {
        datasource_model::Error::Timeout { query_id, .. } => {
            assert_eq!(query_id.as_deref(), Some(HANDLE));
        }
        other => panic!("{other}"),
    }
    let st = s.get_statement(HANDLE).await.unwrap();
    assert_eq!(st.state, datasource_model::StatementState::Running);
}

#[tokio::test]
async fn cancel_posts_to_the_cancel_endpoint() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v2/statements/{HANDLE}/cancel")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "code": "000604", "sqlState": "57014", "message": "successfully canceled",
            "statementHandle": HANDLE, "statementStatusUrl": format!("/api/v2/statements/{HANDLE}")
        })))
        .expect(1)
        .mount(&server)
        .await;
    let other = "11111111-2222-4333-8444-555555555555";
    Mock::given(method("POST"))
        .and(path(format!("/api/v2/statements/{other}/cancel")))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "code": "000605", "sqlState": "01000", "message": "Identified SQL statement is not currently executing.",
            "statementHandle": other
        })))
        .mount(&server)
        .await;
    let s = source(&server);
    s.cancel(HANDLE).await.unwrap();
    let err = s.cancel(other).await.unwrap_err();
    assert!(err.to_string().contains("not currently executing"), "{err}");
    assert!(err.to_string().contains(other), "{err}");
}

#[tokio::test]
async fn a_422_surfaces_sql_state_code_and_handle() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/statements"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "code": "002003", "sqlState": "42S02",
            "message": "SQL compilation error:\nObject 'NOPE' does not exist or not authorized.",
            "statementHandle": HANDLE, "createdOn": 1_597_090_533_987u64
        })))
        .expect(1)
        .mount(&server)
        .await;
    let s = source(&server);
    let err = s
        .execute_sql(&SqlRequest::new("SELECT * FROM NOPE"), &QueryOptions::new())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(err.is_invalid_query(), "{text}");
    assert!(!err.is_retryable());
    for part in ["42S02", "002003", HANDLE, "does not exist"] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
}

#[tokio::test]
async fn a_408_is_a_timeout_with_the_handle() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/statements"))
        .respond_with(ResponseTemplate::new(408).set_body_json(json!({
            "code": "000630", "sqlState": "57014",
            "message": "Statement reached its statement or warehouse timeout of 10 second(s) and was canceled.",
            "statementHandle": HANDLE
        })))
        .mount(&server)
        .await;
    let err = source(&server)
        .execute_sql(&SqlRequest::new("SELECT 1"), &QueryOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, datasource_model::Error::Timeout { query_id: Some(h), .. } if h == HANDLE),
        "{err}"
    );
    assert!(err.to_string().contains("57014"), "{err}");
}

#[tokio::test]
async fn rate_limits_and_unavailability_are_retried_with_the_same_request_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/statements"))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/statements"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(result_set(
            json!([{"name": "OK", "type": "boolean", "nullable": false}]),
            json!([["true"]]),
            None,
        )))
        .with_priority(3)
        .mount(&server)
        .await;
    let s = source(&server);
    let r = s
        .execute_sql(
            &SqlRequest::new("SELECT TRUE AS OK"),
            &QueryOptions::new().with_request_id("7d7b1a7e-7c53-4c3e-9a7e-6b1f2d0c4e11"),
        )
        .await
        .unwrap();
    assert_eq!(r.rows, vec![vec![json!(true)]]);
    let reqs = posts(&server).await;
    assert_eq!(reqs.len(), 3);
    let queries: Vec<String> = reqs
        .iter()
        .map(|r| r.url.query().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        queries,
        [
            "requestId=7d7b1a7e-7c53-4c3e-9a7e-6b1f2d0c4e11",
            "requestId=7d7b1a7e-7c53-4c3e-9a7e-6b1f2d0c4e11&retry=true",
            "requestId=7d7b1a7e-7c53-4c3e-9a7e-6b1f2d0c4e11&retry=true",
        ]
    );
    for r in &reqs {
        for (h, v) in [
            ("content-type", "application/json"),
            ("accept", "application/json"),
            (
                "x-snowflake-authorization-token-type",
                "PROGRAMMATIC_ACCESS_TOKEN",
            ),
        ] {
            assert_eq!(
                r.headers.get(h).and_then(|x| x.to_str().ok()),
                Some(v),
                "{h}"
            );
        }
        assert!(r.headers.get("user-agent").is_some());
    }
    // Persistent 429s end as a retryable RateLimited error.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/statements"))
        .respond_with(ResponseTemplate::new(429))
        .mount(&server)
        .await;
    let err = source(&server)
        .execute_sql(&SqlRequest::new("SELECT 1"), &QueryOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(posts(&server).await.len(), 5, "1 attempt + 4 retries");
}

#[tokio::test]
async fn execute_sql_binds_parameters_positionally() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/statements"))
        .respond_with(ResponseTemplate::new(200).set_body_json(result_set(
            json!([{"name": "X", "type": "text", "nullable": true}]),
            json!([["a"]]),
            None,
        )))
        .mount(&server)
        .await;
    let s = source(&server);
    let req = SqlRequest::new("SELECT X FROM T WHERE X = ? AND N > ?")
        .with_parameter(SqlParameter::typed(
            "x",
            Some("a' OR 1=1 --".into()),
            datasource_model::DataType::String,
        ))
        .with_parameter(SqlParameter::typed(
            "n",
            Some("5".into()),
            datasource_model::DataType::Integer,
        ));
    s.execute_sql(&req, &QueryOptions::new()).await.unwrap();
    let b = body(&posts(&server).await[0]);
    insta::assert_json_snapshot!("execute_sql_body", b);
}

// ------------------------------------------------------------------------------------------
// Semantic views
// ------------------------------------------------------------------------------------------

#[tokio::test]
async fn describe_reads_information_schema_and_the_ddl() {
    let server = MockServer::start().await;
    FakeSnowflake::mount(&server).await;
    let s = source(&server);
    let d = s.describe_model("REVENUE_METRICS").await.unwrap();
    assert_eq!(d.name, "SALES.PUBLIC.REVENUE_METRICS");
    assert_eq!(d.description.as_deref(), Some("Revenue KPIs"));
    assert_eq!(d.tables.len(), 2);
    assert_eq!(d.tables[0].source, "SALES.PUBLIC.CUSTOMERS");
    assert_eq!(d.tables[1].primary_key, ["ORDER_ID"]);
    let region = d.dimension("region").unwrap();
    assert_eq!(region.table.as_deref(), Some("customers"));
    assert_eq!(region.synonyms, ["territory"]);
    assert!(d.dimension("order_date").unwrap().is_time);
    assert_eq!(
        d.metric("total_revenue").unwrap().data_type,
        datasource_model::DataType::Decimal
    );
    assert_eq!(d.relationships.len(), 1);
    assert_eq!(d.relationships[0].to, "customers");
    assert_eq!(d.native.unwrap().format, "snowflake_semantic_view_ddl");
    let err = s.describe_model("NOPE").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn describe_falls_back_to_describe_semantic_view() {
    let server = MockServer::start().await;
    FakeSnowflake::without_information_schema()
        .mount_on(&server)
        .await;
    let s = source(&server);
    let d = s
        .describe_model("SALES.PUBLIC.REVENUE_METRICS")
        .await
        .unwrap();
    assert_eq!(
        d.dimension_names(),
        ["orders.order_date", "customers.region"]
    );
    assert_eq!(d.metric_names(), ["orders.total_revenue"]);
    assert_eq!(d.relationships[0].from_columns, ["CUSTOMER_ID"]);
    assert_eq!(d.tables[0].source, "SALES.PUBLIC.ORDERS");
    let models = s.list_models(&ModelScope::new()).await.unwrap();
    assert_eq!(models[0].name, "SALES.PUBLIC.REVENUE_METRICS");
}

#[tokio::test]
async fn injection_shaped_members_and_values_end_as_errors_or_bindings() {
    let server = MockServer::start().await;
    FakeSnowflake::mount(&server).await;
    let s = source(&server);
    for bad in ["region\" --", "x; DROP TABLE t", "a)b"] {
        let q = SemanticQuery::new("REVENUE_METRICS")
            .with_metrics(["total_revenue"])
            .with_dimensions([bad]);
        let err = s.query_model(&q, &QueryOptions::new()).await.unwrap_err();
        assert!(err.is_invalid_query(), "{bad}: {err}");
    }
    for bad in ["REVENUE_METRICS; DROP TABLE x", "a\"b"] {
        let err = s.describe_model(bad).await.unwrap_err();
        assert!(err.is_invalid_query(), "{bad}: {err}");
    }
    assert!(
        !posts(&server).await.iter().any(|r| body(r)["statement"]
            .as_str()
            .unwrap_or_default()
            .contains("SEMANTIC_VIEW(")),
        "hostile members never reach Snowflake"
    );
    let q = SemanticQuery::new("REVENUE_METRICS")
        .with_metrics(["total_revenue"])
        .with_dimensions(["region"])
        .with_filter(Filter::equals("region", "x' OR '1'='1"))
        .with_filter(Filter::gt("total_revenue", "0); DROP TABLE t; --"));
    let err = s.query_model(&q, &QueryOptions::new()).await.unwrap_err();
    assert!(
        err.is_invalid_query(),
        "a non-number metric filter is refused: {err}"
    );
    let q = SemanticQuery::new("REVENUE_METRICS")
        .with_metrics(["total_revenue"])
        .with_dimensions(["region"])
        .with_filter(Filter::equals("region", "x' OR '1'='1"))
        .with_filter(Filter::gt("total_revenue", "100"));
    let r = s
        .query_model(&q, &QueryOptions::new().with_max_rows(10))
        .await
        .unwrap();
    assert_eq!(r.row_count, 0);
    let sent: Vec<Value> = posts(&server)
        .await
        .iter()
        .map(body)
        .filter(|b| {
            b["statement"]
                .as_str()
                .unwrap_or_default()
                .contains("SEMANTIC_VIEW(")
        })
        .collect();
    assert_eq!(sent.len(), 1);
    insta::assert_json_snapshot!("query_model_body", sent[0]);
}

#[tokio::test]
async fn ask_uses_cortex_analyst_and_runs_the_sql_with_the_cap() {
    let server = MockServer::start().await;
    FakeSnowflake::mount(&server).await;
    let cfg = config(&server).with_cortex_analyst(Some("REVENUE_METRICS".into()));
    let s = SnowflakeSource::from_config(&cfg, Some(2)).unwrap();
    let a = s
        .ask(
            "What is revenue by region?",
            &datasource_model::AskOptions::new(),
        )
        .await
        .unwrap();
    assert!(a.text.unwrap().contains("revenue by region"));
    assert!(a.sql.unwrap().contains("SEMANTIC_VIEW"));
    let r = a.result.unwrap();
    assert_eq!(r.row_count, 2);
    assert!(r.truncated);
    assert_eq!(a.suggestions, ["What is revenue by month?"]);
    assert_eq!(a.warnings, ["Assumed the current fiscal year."]);
    let req = posts(&server)
        .await
        .into_iter()
        .find(|r| r.url.path() == "/api/v2/cortex/analyst/message")
        .unwrap();
    insta::assert_json_snapshot!("analyst_body", body(&req));
}

// ------------------------------------------------------------------------------------------
// Conformance
// ------------------------------------------------------------------------------------------

#[cfg(feature = "conformance")]
#[tokio::test]
async fn conformance_suite_over_wiremock() {
    use datasource_model::conformance;

    let server = MockServer::start().await;
    FakeSnowflake::mount(&server).await;
    let cfg = config(&server).with_cortex_analyst(None);
    let s: Arc<datasource_model::DynDataSource> = Arc::new(
        SnowflakeSource::from_config(&cfg, Some(100))
            .unwrap()
            .with_fast_retries(),
    );
    let fixture = conformance::Fixture::new(
        "SALES.PUBLIC.REVENUE_METRICS",
        "total_revenue",
        "region",
        "EMEA",
    )
    .with_time_dimension("order_date")
    .with_sql("SELECT REGION, COUNTRY FROM SALES.PUBLIC.CUSTOMERS ORDER BY CUSTOMER_ID")
    .with_question("What is revenue by region?");
    conformance::run_all(s, &fixture).await;
}

/// Exact `truncated` with 2,834 groups, under the source's cap of 100 and without one.
#[cfg(feature = "conformance")]
#[tokio::test]
async fn conformance_truncation_with_many_groups() {
    use datasource_model::conformance;

    let server = MockServer::start().await;
    FakeSnowflake::with_groups(2_834).mount_on(&server).await;
    let cfg = config(&server).with_cortex_analyst(None);
    let fixture = conformance::Fixture::new(
        "SALES.PUBLIC.REVENUE_METRICS",
        "total_revenue",
        "region",
        "R00001",
    )
    .with_groups(2_834);
    for cap in [Some(100), None] {
        let s: Arc<datasource_model::DynDataSource> = Arc::new(
            SnowflakeSource::from_config(&cfg, cap)
                .unwrap()
                .with_fast_retries(),
        );
        conformance::truncation(&s, &fixture).await;
    }
}

/// Issue 13's shape (`limit` = cap = 100): the SQL asks for 101 rows and the result says
/// truncated exactly when more than 100 groups exist.
#[tokio::test]
async fn limit_equal_to_the_cap_reports_cut_groups() {
    for (groups, truncated) in [(2_834, true), (101, true), (100, false), (99, false)] {
        let server = MockServer::start().await;
        FakeSnowflake::with_groups(groups).mount_on(&server).await;
        let q = SemanticQuery::new("REVENUE_METRICS")
            .with_metrics(["total_revenue"])
            .with_dimensions(["region"])
            .with_limit(100);
        let r = source(&server)
            .query_model(&q, &QueryOptions::new().with_max_rows(100))
            .await
            .unwrap();
        assert_eq!(r.row_count, groups.min(100) as u64, "{groups} groups");
        assert_eq!(r.truncated, truncated, "{groups} groups");
        let sql = r.sql.unwrap_or_default();
        assert!(sql.ends_with("LIMIT 101"), "{sql}");
    }
}
