//! The current user (SCIM `Me`), handy as a health / connection check.

use crate::models::iam::User;
use crate::{Result, WorkspaceClient};

impl WorkspaceClient {
    /// The current-user API.
    ///
    /// ```no_run
    /// # async fn example() -> databricks_client::Result<()> {
    /// use databricks_client::WorkspaceClient;
    ///
    /// let client = WorkspaceClient::from_env()?;
    /// let me = client.current_user().me().await?;
    /// println!("connected as {}", me.user_name);
    /// # Ok(())
    /// # }
    /// ```
    pub fn current_user(&self) -> CurrentUserApi {
        CurrentUserApi {
            client: self.clone(),
        }
    }
}

/// Handle to the current-user API; cheap to clone. Get one with
/// [`WorkspaceClient::current_user`].
#[derive(Debug, Clone)]
pub struct CurrentUserApi {
    client: WorkspaceClient,
}

impl CurrentUserApi {
    /// The identity the client authenticates as (`GET /api/2.0/preview/scim/v2/Me`).
    pub async fn me(&self) -> Result<User> {
        self.client
            .get("/api/2.0/preview/scim/v2/Me")
            .send_json()
            .await
    }
}
