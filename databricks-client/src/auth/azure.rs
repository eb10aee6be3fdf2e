//! Azure Databricks through Entra ID (databricks-api.md §1.7): `azure-client-secret`,
//! `azure-msi` and `azure-cli`. Each obtains a token for the Azure Databricks application
//! (`2ff814a6-3304-4ab8-85cb-cd0e6f879c1d`); service principals also send an Azure Resource
//! Manager token as `X-Databricks-Azure-SP-Management-Token`, and the workspace's ARM resource
//! id goes into `X-Databricks-Azure-Workspace-Resource-Id` when known.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::cache::{Clock, Fetched, RefreshingToken, TokenSource};
use super::exec::{HELPER_TIMEOUT, first_line, run};
use super::oauth::{TokenRequest, auth_error, request_token};
use super::{CredentialsProvider, bearer};
use crate::error::{Error, Result};

/// The application id of Azure Databricks in Entra ID.
pub(crate) const AZURE_DATABRICKS_RESOURCE: &str = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";
/// The default Azure Instance Metadata Service token endpoint.
pub(crate) const DEFAULT_MSI_ENDPOINT: &str =
    "http://169.254.169.254/metadata/identity/oauth2/token";
const MANAGEMENT_HEADER: &str = "x-databricks-azure-sp-management-token";
const RESOURCE_ID_HEADER: &str = "x-databricks-azure-workspace-resource-id";

/// Entra ID login and Resource Manager endpoints of one Azure cloud (`ARM_ENVIRONMENT`).
#[derive(Debug, Clone)]
pub(crate) struct AzureCloud {
    pub(crate) login: Url,
    pub(crate) management_resource: String,
}

impl AzureCloud {
    /// `PUBLIC` (default), `USGOVERNMENT` or `CHINA`.
    pub(crate) fn named(name: Option<&str>) -> Result<Self> {
        let upper = name.map(|n| n.trim().to_ascii_uppercase());
        let (login, management) = match upper.as_deref() {
            None | Some("" | "PUBLIC" | "AZUREPUBLICCLOUD") => (
                "https://login.microsoftonline.com/",
                "https://management.core.windows.net/",
            ),
            Some("USGOVERNMENT" | "AZUREUSGOVERNMENTCLOUD") => (
                "https://login.microsoftonline.us/",
                "https://management.core.usgovcloudapi.net/",
            ),
            Some("CHINA" | "AZURECHINACLOUD") => (
                "https://login.chinacloudapi.cn/",
                "https://management.core.chinacloudapi.cn/",
            ),
            Some(other) => {
                return Err(Error::Config(format!(
                    "azure_environment `{other}` is unknown; use PUBLIC, USGOVERNMENT or CHINA \
                     (ARM_ENVIRONMENT)"
                )));
            }
        };
        Ok(Self {
            login: Url::parse(login).map_err(|e| Error::Config(e.to_string()))?,
            management_resource: management.to_owned(),
        })
    }
}

/// Azure credentials: a Databricks-resource token, optionally a management token, and the
/// workspace resource id header.
#[derive(Clone)]
pub(crate) struct AzureCredentials {
    auth_type: &'static str,
    databricks: RefreshingToken,
    management: Option<RefreshingToken>,
    resource_id: Option<String>,
}

impl fmt::Debug for AzureCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureCredentials")
            .field("auth_type", &self.auth_type)
            .field("resource_id", &self.resource_id)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl CredentialsProvider for AzureCredentials {
    fn auth_type(&self) -> &str {
        self.auth_type
    }

    async fn headers(&self) -> Result<HeaderMap> {
        let mut headers = bearer(self.auth_type, &self.databricks.token().await?)?;
        if let Some(management) = &self.management {
            let token = management.token().await?;
            let mut value = HeaderValue::try_from(token.expose_secret()).map_err(|_| {
                auth_error(
                    self.auth_type,
                    "the management token is not a valid header value".to_owned(),
                )
            })?;
            value.set_sensitive(true);
            headers.insert(HeaderName::from_static(MANAGEMENT_HEADER), value);
        }
        if let Some(id) = &self.resource_id
            && let Ok(value) = HeaderValue::try_from(id.as_str())
        {
            headers.insert(HeaderName::from_static(RESOURCE_ID_HEADER), value);
        }
        Ok(headers)
    }
}

// ----- azure-client-secret -------------------------------------------------------------------

struct ClientSecretSource {
    endpoint: Url,
    client_id: String,
    client_secret: SecretString,
    resource: String,
    http: reqwest::Client,
}

#[async_trait]
impl TokenSource for ClientSecretSource {
    async fn fetch(&self) -> Result<Fetched> {
        let fix = format!(
            "check ARM_CLIENT_ID (`{}`), ARM_CLIENT_SECRET and ARM_TENANT_ID, and that the \
             service principal may use the workspace",
            self.client_id
        );
        request_token(
            &self.http,
            TokenRequest {
                auth_type: "azure-client-secret",
                endpoint: &self.endpoint,
                basic: None,
                form: &[
                    ("grant_type", "client_credentials"),
                    ("client_id", self.client_id.as_str()),
                    ("client_secret", self.client_secret.expose_secret()),
                    ("resource", self.resource.as_str()),
                ],
                fix: &fix,
            },
        )
        .await
    }
}

/// Settings shared by the Azure constructors.
pub(crate) struct AzureParams {
    pub(crate) cloud: AzureCloud,
    pub(crate) resource_id: Option<String>,
    pub(crate) http: reqwest::Client,
    pub(crate) clock: Arc<dyn Clock>,
}

impl AzureCredentials {
    /// `azure-client-secret`: Entra ID client credentials (v1 endpoint with `resource`).
    pub(crate) fn client_secret(
        params: AzureParams,
        tenant_id: &str,
        client_id: &str,
        client_secret: SecretString,
    ) -> Result<Self> {
        let endpoint = params
            .cloud
            .login
            .join(&format!("{}/oauth2/token", tenant_id.trim()))
            .map_err(|e| {
                Error::Config(format!("ARM_TENANT_ID `{tenant_id}` is not usable: {e}"))
            })?;
        let source = |resource: &str| ClientSecretSource {
            endpoint: endpoint.clone(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.clone(),
            resource: resource.to_owned(),
            http: params.http.clone(),
        };
        Ok(Self {
            auth_type: "azure-client-secret",
            databricks: RefreshingToken::new(
                "azure-client-secret",
                source(AZURE_DATABRICKS_RESOURCE),
                Arc::clone(&params.clock),
            ),
            management: Some(RefreshingToken::new(
                "azure-client-secret",
                source(&params.cloud.management_resource),
                Arc::clone(&params.clock),
            )),
            resource_id: params.resource_id,
        })
    }

    /// `azure-msi`: the managed identity of the VM / container, from IMDS.
    pub(crate) fn msi(params: AzureParams, endpoint: Url, client_id: Option<String>) -> Self {
        let source = |resource: &str| MsiSource {
            endpoint: endpoint.clone(),
            resource: resource.to_owned(),
            client_id: client_id.clone(),
            http: params.http.clone(),
        };
        Self {
            auth_type: "azure-msi",
            databricks: RefreshingToken::new(
                "azure-msi",
                source(AZURE_DATABRICKS_RESOURCE),
                Arc::clone(&params.clock),
            ),
            management: Some(RefreshingToken::new(
                "azure-msi",
                source(&params.cloud.management_resource),
                Arc::clone(&params.clock),
            )),
            resource_id: params.resource_id,
        }
    }

    /// `azure-cli`: `az account get-access-token` for the signed-in user.
    pub(crate) fn cli(
        params: AzureParams,
        program: PathBuf,
        tenant_id: Option<String>,
        path_var: Option<String>,
    ) -> Self {
        let source = AzCliSource {
            program,
            resource: AZURE_DATABRICKS_RESOURCE.to_owned(),
            tenant_id,
            path_var,
        };
        Self {
            auth_type: "azure-cli",
            databricks: RefreshingToken::new("azure-cli", source, params.clock),
            management: None,
            resource_id: params.resource_id,
        }
    }
}

// ----- azure-msi -----------------------------------------------------------------------------

struct MsiSource {
    endpoint: Url,
    resource: String,
    client_id: Option<String>,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct MsiToken {
    access_token: String,
    #[serde(default)]
    expires_on: Option<serde_json::Value>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

fn as_u64(v: Option<&serde_json::Value>) -> Option<u64> {
    match v? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[async_trait]
impl TokenSource for MsiSource {
    async fn fetch(&self) -> Result<Fetched> {
        let mut url = self.endpoint.clone();
        url.query_pairs_mut()
            .append_pair("api-version", "2018-02-01")
            .append_pair("resource", &self.resource);
        if let Some(id) = &self.client_id {
            url.query_pairs_mut().append_pair("client_id", id);
        }
        let resp = self
            .http
            .get(url.clone())
            .header("Metadata", "true")
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| Error::Auth {
                auth_type: "azure-msi".to_owned(),
                message: "could not reach the Azure Instance Metadata Service; azure-msi only \
                          works on Azure VMs/containers with a managed identity"
                    .to_owned(),
                source: Some(Box::new(Error::transport("GET", url.path(), e))),
            })?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| Error::Auth {
            auth_type: "azure-msi".to_owned(),
            message: "could not read the IMDS token response".to_owned(),
            source: Some(Box::new(Error::transport("GET", url.path(), e))),
        })?;
        if !status.is_success() {
            return Err(auth_error(
                "azure-msi",
                format!(
                    "IMDS refused a token for `{}` (HTTP {status}); assign a managed identity \
                     to this resource (and set ARM_CLIENT_ID for a user-assigned one) and grant \
                     it access to the workspace",
                    self.resource
                ),
            ));
        }
        let parsed: MsiToken = serde_json::from_slice(&body)
            .map_err(|e| auth_error("azure-msi", format!("unexpected IMDS token response: {e}")))?;
        let access = SecretString::from(parsed.access_token);
        Ok(
            match (
                as_u64(parsed.expires_on.as_ref()),
                as_u64(parsed.expires_in.as_ref()),
            ) {
                (Some(epoch), _) => Fetched::until_unix(access, epoch),
                (None, Some(secs)) => Fetched {
                    access,
                    lifetime: Duration::from_secs(secs),
                },
                (None, None) => Fetched {
                    access,
                    lifetime: Duration::from_secs(3600),
                },
            },
        )
    }
}

// ----- azure-cli -----------------------------------------------------------------------------

struct AzCliSource {
    program: PathBuf,
    resource: String,
    tenant_id: Option<String>,
    path_var: Option<String>,
}

#[async_trait]
impl TokenSource for AzCliSource {
    async fn fetch(&self) -> Result<Fetched> {
        let mut args = vec![
            "account".to_owned(),
            "get-access-token".to_owned(),
            "--resource".to_owned(),
            self.resource.clone(),
            "--output".to_owned(),
            "json".to_owned(),
        ];
        if let Some(tenant) = &self.tenant_id {
            args.push("--tenant".to_owned());
            args.push(tenant.clone());
        }
        let out = run(
            "azure-cli",
            self.program.clone(),
            args,
            self.path_var.clone(),
            HELPER_TIMEOUT,
        )
        .await?;
        if !out.success {
            let detail = first_line(&out.stderr);
            let fix = if out.stderr.contains("az login") {
                "the Azure CLI is not logged in: run `az login`"
            } else {
                "run `az login` (with --tenant for the workspace's tenant)"
            };
            return Err(auth_error(
                "azure-cli",
                format!("`az account get-access-token` failed ({detail}); {fix}"),
            ));
        }
        #[derive(Deserialize)]
        struct AzToken {
            #[serde(rename = "accessToken")]
            access_token: String,
            #[serde(default)]
            expires_on: Option<serde_json::Value>,
        }
        let parsed: AzToken = serde_json::from_slice(&out.stdout).map_err(|e| {
            auth_error(
                "azure-cli",
                format!("`az account get-access-token` printed unexpected JSON: {e}"),
            )
        })?;
        let access = SecretString::from(parsed.access_token);
        Ok(match as_u64(parsed.expires_on.as_ref()) {
            Some(epoch) => Fetched::until_unix(access, epoch),
            // Azure CLI < 2.54 prints only a local-time `expiresOn`; refresh conservatively.
            None => Fetched {
                access,
                lifetime: Duration::from_secs(300),
            },
        })
    }
}

/// Parses an Entra ID token response (exposed for symmetry with the other sources' tests).
#[cfg(test)]
fn parse_aad(body: &[u8]) -> Result<Fetched> {
    super::oauth::parse_token_response("azure-client-secret", body)
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::auth::cache::tests::ManualClock;
    use crate::auth::cli::tests::script;
    use wiremock::matchers::{body_string_contains, header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn params(clock: Arc<ManualClock>, login: Option<&str>) -> AzureParams {
        let mut cloud = AzureCloud::named(None).unwrap();
        if let Some(login) = login {
            cloud.login = Url::parse(login).unwrap();
        }
        AzureParams {
            cloud,
            resource_id: Some(
                "/subscriptions/s/resourceGroups/g/providers/Microsoft.Databricks/workspaces/w"
                    .to_owned(),
            ),
            http: reqwest::Client::new(),
            clock,
        }
    }

    async fn aad_mock(server: &MockServer, resource: &str, token: &str, expect: u64) {
        Mock::given(method("POST"))
            .and(path("/tenant-1/oauth2/token"))
            .and(body_string_contains("grant_type=client_credentials"))
            .and(body_string_contains("client_id=azure-sp"))
            .and(body_string_contains("client_secret=azure-secret"))
            .and(body_string_contains(format!(
                "resource={}",
                url::form_urlencoded::byte_serialize(resource.as_bytes()).collect::<String>()
            )))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "token_type": "Bearer", "expires_in": "3599", "access_token": token
            })))
            .expect(expect)
            .mount(server)
            .await;
    }

    #[tokio::test]
    async fn client_secret_sends_both_tokens_and_the_resource_id() {
        let server = MockServer::start().await;
        aad_mock(&server, AZURE_DATABRICKS_RESOURCE, "dbx-aad", 1).await;
        aad_mock(
            &server,
            "https://management.core.windows.net/",
            "mgmt-aad",
            1,
        )
        .await;
        let clock = ManualClock::new();
        let creds = AzureCredentials::client_secret(
            params(Arc::clone(&clock), Some(&format!("{}/", server.uri()))),
            "tenant-1",
            "azure-sp",
            SecretString::from("azure-secret".to_owned()),
        )
        .unwrap();
        for _ in 0..3 {
            let headers = creds.headers().await.unwrap();
            assert_eq!(headers["authorization"], "Bearer dbx-aad");
            assert_eq!(headers[MANAGEMENT_HEADER], "mgmt-aad");
            assert!(headers[MANAGEMENT_HEADER].is_sensitive());
            assert!(
                headers[RESOURCE_ID_HEADER]
                    .to_str()
                    .unwrap()
                    .ends_with("/workspaces/w")
            );
        }
        server.verify().await;
        // Expiry: both are fetched again.
        server.reset().await;
        aad_mock(&server, AZURE_DATABRICKS_RESOURCE, "dbx-aad-2", 1).await;
        aad_mock(
            &server,
            "https://management.core.windows.net/",
            "mgmt-aad-2",
            1,
        )
        .await;
        clock.advance(Duration::from_secs(3600));
        let headers = creds.headers().await.unwrap();
        assert_eq!(headers["authorization"], "Bearer dbx-aad-2");
        server.verify().await;
    }

    #[tokio::test]
    async fn client_secret_refusal_names_the_variables() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
                "error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."
            })))
            .mount(&server)
            .await;
        let creds = AzureCredentials::client_secret(
            params(ManualClock::new(), Some(&format!("{}/", server.uri()))),
            "tenant-1",
            "azure-sp",
            SecretString::from("azure-secret".to_owned()),
        )
        .unwrap();
        let err = creds.headers().await.unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(
            text.contains("AADSTS7000215") && text.contains("ARM_CLIENT_SECRET"),
            "{text}"
        );
        assert!(!text.contains("azure-secret"), "{text}");
    }

    #[tokio::test]
    async fn msi_asks_imds_with_the_metadata_header() {
        let server = MockServer::start().await;
        let expires_on = (SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600)
            .to_string();
        for (resource, token) in [
            (AZURE_DATABRICKS_RESOURCE, "msi-dbx"),
            ("https://management.core.windows.net/", "msi-mgmt"),
        ] {
            Mock::given(method("GET"))
                .and(path("/metadata/identity/oauth2/token"))
                .and(header("Metadata", "true"))
                .and(query_param("api-version", "2018-02-01"))
                .and(query_param("resource", resource))
                .and(query_param("client_id", "uami"))
                .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                    "access_token": token, "expires_on": expires_on, "expires_in": "3599",
                    "resource": resource, "token_type": "Bearer"
                })))
                .expect(1)
                .mount(&server)
                .await;
        }
        let creds = AzureCredentials::msi(
            params(ManualClock::new(), None),
            Url::parse(&format!("{}/metadata/identity/oauth2/token", server.uri())).unwrap(),
            Some("uami".to_owned()),
        );
        let headers = creds.headers().await.unwrap();
        assert_eq!(headers["authorization"], "Bearer msi-dbx");
        assert_eq!(headers[MANAGEMENT_HEADER], "msi-mgmt");
        creds.headers().await.unwrap();
        server.verify().await;

        let unreachable = AzureCredentials::msi(
            params(ManualClock::new(), None),
            Url::parse("http://127.0.0.1:9/metadata/identity/oauth2/token").unwrap(),
            None,
        );
        let err = unreachable.headers().await.unwrap_err();
        assert!(err.to_string().contains("managed identity"), "{err}");
    }

    #[tokio::test]
    async fn cli_runs_az_and_explains_az_login() {
        let dir = tempfile::tempdir().unwrap();
        let az = script(
            dir.path(),
            "az",
            r#"echo "$@" > "$(dirname "$0")/args"
printf '{"accessToken":"az-token","expiresOn":"2030-01-01 00:00:00.000000","expires_on":%s,"subscription":"s","tenant":"t","tokenType":"Bearer"}' $(( $(date +%s) + 3600 ))"#,
        );
        let creds = AzureCredentials::cli(
            params(ManualClock::new(), None),
            az,
            Some("tenant-1".to_owned()),
            None,
        );
        let headers = creds.headers().await.unwrap();
        assert_eq!(headers["authorization"], "Bearer az-token");
        assert!(headers.get(MANAGEMENT_HEADER).is_none());
        let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
        assert_eq!(
            args.trim(),
            format!(
                "account get-access-token --resource {AZURE_DATABRICKS_RESOURCE} --output json --tenant tenant-1"
            )
        );

        let logged_out = script(
            dir.path(),
            "az-out",
            "echo \"ERROR: Please run 'az login' to setup account.\" >&2; exit 1",
        );
        let creds = AzureCredentials::cli(params(ManualClock::new(), None), logged_out, None, None);
        let err = creds.headers().await.unwrap_err();
        assert!(
            err.to_string().contains("not logged in: run `az login`"),
            "{err}"
        );
    }

    #[test]
    fn entra_expires_in_may_be_a_string() {
        let f = parse_aad(br#"{"access_token":"x","expires_in":"120"}"#).unwrap();
        assert_eq!(f.lifetime, Duration::from_secs(120));
    }
}
