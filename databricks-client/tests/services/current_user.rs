use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{client, ok_json};

#[tokio::test]
async fn me_returns_the_scim_user() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .and(header("authorization", "Bearer dapi-test"))
        .respond_with(ok_json(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"],
            "id": "1234567890",
            "userName": "someone@example.com",
            "displayName": "Some One",
            "active": true,
            "emails": [{"type": "work", "value": "someone@example.com", "primary": true}],
            "name": {"givenName": "Some", "familyName": "One"},
            "groups": [{"display": "admins", "type": "direct", "value": "42", "$ref": "Groups/42"}],
            "entitlements": [{"value": "allow-cluster-create"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let me = client(&server).current_user().me().await.unwrap();
    assert_eq!(me.user_name, "someone@example.com");
    assert_eq!(me.display_name.as_deref(), Some("Some One"));
    assert_eq!(me.primary_email(), Some("someone@example.com"));
    assert_eq!(me.groups[0].display.as_deref(), Some("admins"));
    assert!(me.extra.contains_key("name"));
}

#[tokio::test]
async fn me_with_a_bad_token_is_unauthenticated() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/preview/scim/v2/Me"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error_code": "401",
            "message": "Credential was not sent or was of an unsupported type for this API."
        })))
        .mount(&server)
        .await;
    let err = client(&server).current_user().me().await.unwrap_err();
    assert!(err.is_unauthenticated(), "{err:?}");
}
