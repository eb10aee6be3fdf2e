//! Tenant catalogs: `create_catalog`, `get_catalog_status`.

use std::sync::Arc;

use databricks_client::models::CatalogInfo;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Shared, creates, lib_call};
use crate::{DynTool, FnTool, ToolAnnotations, ToolOutput, ToolSpec};

/// Arguments of `create_catalog`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CreateCatalogArgs {
    /// Tenant id: lowercase letters, digits and `_`.
    tenant_id: String,
    /// Catalog comment.
    #[serde(default)]
    comment: Option<String>,
}

/// Arguments naming a tenant.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TenantArgs {
    /// Tenant id: lowercase letters, digits and `_`.
    tenant_id: String,
}

/// A tenant catalog.
#[derive(Debug, Serialize, JsonSchema)]
struct CatalogStatus {
    /// Whether the catalog exists.
    exists: bool,
    /// Catalog name (`{prefix}{tenant_id}`).
    name: String,
    /// Whether this call created it (`create_catalog` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<bool>,
    /// Owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    /// Creation time (epoch ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<i64>,
    /// Comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

impl CatalogStatus {
    fn from_info(info: CatalogInfo, created: Option<bool>) -> Self {
        Self {
            exists: true,
            name: info.name,
            created,
            owner: info.owner,
            created_at: info.created_at,
            comment: info.comment,
        }
    }
}

pub(super) fn create_catalog(s: &Arc<Shared>) -> DynTool {
    let prefix = s.opts.policy.catalog_prefix();
    FnTool::with_state(
        s,
        ToolSpec::new::<CreateCatalogArgs, CatalogStatus>(
            "create_catalog",
            format!("Creates the Unity Catalog catalog of a tenant (`{prefix}<tenant_id>`). Idempotent: an existing catalog is reported, not an error."),
        )
        .with_title("Create tenant catalog")
        .with_annotations(creates()),
        |s, a: CreateCatalogArgs, _ctx| async move {
            const TOOL: &str = "create_catalog";
            let cat = lib_call!(
                TOOL,
                s.platform
                    .create_catalog(&a.tenant_id, a.comment.as_deref())
                    .await
            );
            let text = if cat.created {
                format!("Created catalog {}.", cat.value.name)
            } else {
                format!("Catalog {} already exists.", cat.value.name)
            };
            ToolOutput::structured(text, &CatalogStatus::from_info(cat.value, Some(cat.created)))
        },
    )
}

pub(super) fn get_catalog_status(s: &Arc<Shared>) -> DynTool {
    let prefix = s.opts.policy.catalog_prefix();
    FnTool::with_state(
        s,
        ToolSpec::new::<TenantArgs, CatalogStatus>(
            "get_catalog_status",
            format!("Tells whether the tenant's catalog (`{prefix}<tenant_id>`) exists, with owner and creation time."),
        )
        .with_title("Tenant catalog status")
        .with_annotations(ToolAnnotations::read_only()),
        |s, a: TenantArgs, _ctx| async move {
            const TOOL: &str = "get_catalog_status";
            match lib_call!(TOOL, s.platform.catalog(&a.tenant_id).await) {
                Some(info) => {
                    let st = CatalogStatus::from_info(info, None);
                    let text = format!(
                        "Catalog {} exists (owner {}).",
                        st.name,
                        st.owner.as_deref().unwrap_or("unknown")
                    );
                    ToolOutput::structured(text, &st)
                }
                None => {
                    let name = lib_call!(TOOL, s.platform.policy().catalog(&a.tenant_id));
                    ToolOutput::structured(
                        format!("Catalog {name} does not exist; create it with create_catalog."),
                        &CatalogStatus {
                            exists: false,
                            name,
                            created: None,
                            owner: None,
                            created_at: None,
                            comment: None,
                        },
                    )
                }
            }
        },
    )
}
