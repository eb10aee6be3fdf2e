//! Unity Catalog models (API 2.1, notes §4.10).
//!
//! Response models tolerate unknown fields and keep them in `extra`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::open_enum::open_enum;
use super::statements::opt_lenient_i64;

open_enum! {
    /// `table_type` of a UC table. The list keeps growing, so unknown values are kept.
    pub enum TableType {
        /// Managed table.
        Managed = "MANAGED",
        /// External table.
        External = "EXTERNAL",
        /// SQL view.
        View = "VIEW",
        /// Materialized view.
        MaterializedView = "MATERIALIZED_VIEW",
        /// Streaming table.
        StreamingTable = "STREAMING_TABLE",
        /// Metric view (YAML-defined semantic layer object).
        MetricView = "METRIC_VIEW",
        /// Foreign (federated) table.
        Foreign = "FOREIGN",
        /// Managed shallow clone.
        ManagedShallowClone = "MANAGED_SHALLOW_CLONE",
        /// External shallow clone.
        ExternalShallowClone = "EXTERNAL_SHALLOW_CLONE",
    }
}

impl TableType {
    /// `true` for `METRIC_VIEW`.
    pub fn is_metric_view(&self) -> bool {
        matches!(self, Self::MetricView)
    }

    /// `true` for views of any kind (`VIEW`, `MATERIALIZED_VIEW`, `METRIC_VIEW`).
    pub fn is_view(&self) -> bool {
        matches!(self, Self::View | Self::MaterializedView | Self::MetricView)
    }
}

/// A catalog (`CatalogInfo`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CatalogInfo {
    /// Catalog name.
    #[serde(default)]
    pub name: String,
    /// Full name (same as `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// `MANAGED_CATALOG`, `DELTASHARING_CATALOG`, `FOREIGN_CATALOG`, … (kept as text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_type: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Owner principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Properties.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// Managed storage root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_root: Option<String>,
    /// `true` when the caller may only browse metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browse_only: Option<bool>,
    /// Metastore id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metastore_id: Option<String>,
    /// Creation time (epoch ms).
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<i64>,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Last update time (epoch ms).
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_at: Option<i64>,
    /// Last updater.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    /// Other fields (`options`, `isolation_mode`, `securable_type`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A schema (`SchemaInfo`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SchemaInfo {
    /// Schema name.
    #[serde(default)]
    pub name: String,
    /// Parent catalog.
    #[serde(default)]
    pub catalog_name: String,
    /// `catalog.schema`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Owner principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Properties.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// Schema id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_id: Option<String>,
    /// Managed storage root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_root: Option<String>,
    /// Creation time (epoch ms).
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<i64>,
    /// Last update time (epoch ms).
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_at: Option<i64>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A table, view or metric view (`TableInfo`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TableInfo {
    /// Table name.
    #[serde(default)]
    pub name: String,
    /// Parent catalog.
    #[serde(default)]
    pub catalog_name: String,
    /// Parent schema.
    #[serde(default)]
    pub schema_name: String,
    /// `catalog.schema.table`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// Table type (open enum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_type: Option<TableType>,
    /// `DELTA`, `PARQUET`, … (kept as text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_source_format: Option<String>,
    /// Columns (absent with `omit_columns=true`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnInfo>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Owner principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Properties.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// Storage location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_location: Option<String>,
    /// SQL text of a view, or the YAML body of a metric view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_definition: Option<String>,
    /// Table id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_id: Option<String>,
    /// `true` when the caller may only browse metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browse_only: Option<bool>,
    /// Creation time (epoch ms).
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<i64>,
    /// Last update time (epoch ms).
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_at: Option<i64>,
    /// Other fields (`view_dependencies`, `table_constraints`, `row_filter`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TableInfo {
    /// `true` when `table_type == METRIC_VIEW`.
    pub fn is_metric_view(&self) -> bool {
        self.table_type
            .as_ref()
            .is_some_and(TableType::is_metric_view)
    }

    /// `full_name`, or `catalog.schema.name` when the server omitted it.
    pub fn qualified_name(&self) -> String {
        self.full_name
            .clone()
            .unwrap_or_else(|| format!("{}.{}.{}", self.catalog_name, self.schema_name, self.name))
    }

    /// The column called `name` (case-insensitive).
    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// A column of a table (`ColumnInfo`); embedded in [`TableInfo`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ColumnInfo {
    /// Column name.
    #[serde(default)]
    pub name: String,
    /// 0-based position.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub position: Option<i64>,
    /// Type text (`decimal(10,2)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_text: Option<String>,
    /// Type family (`INT`, `DECIMAL`, `TIMESTAMP_NTZ`, `VARIANT`, … kept as text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    /// Spark JSON type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_json: Option<String>,
    /// Decimal precision.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub type_precision: Option<i64>,
    /// Decimal scale.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub type_scale: Option<i64>,
    /// Interval qualifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_interval_type: Option<String>,
    /// Nullability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullable: Option<bool>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Partition index, for partition columns.
    #[serde(
        default,
        deserialize_with = "opt_lenient_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub partition_index: Option<i64>,
    /// Other fields (`mask`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A function (`FunctionInfo`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunctionInfo {
    /// Function name.
    #[serde(default)]
    pub name: String,
    /// `catalog.schema.function`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// Parent catalog.
    #[serde(default)]
    pub catalog_name: String,
    /// Parent schema.
    #[serde(default)]
    pub schema_name: String,
    /// Return type family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// Full return type text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_data_type: Option<String>,
    /// Input parameters (`{parameters: […]}`), kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_params: Option<Value>,
    /// Return parameters (table functions), kept as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_params: Option<Value>,
    /// `SQL` or `EXTERNAL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routine_body: Option<String>,
    /// Body text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routine_definition: Option<String>,
    /// Language of an external body (`Python`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_language: Option<String>,
    /// Deterministic flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deterministic: Option<bool>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Owner principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Function id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_id: Option<String>,
    /// Other fields (`security_type`, `sql_data_access`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A volume (`VolumeInfo`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VolumeInfo {
    /// Volume name.
    #[serde(default)]
    pub name: String,
    /// Parent catalog.
    #[serde(default)]
    pub catalog_name: String,
    /// Parent schema.
    #[serde(default)]
    pub schema_name: String,
    /// `catalog.schema.volume`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// `MANAGED` or `EXTERNAL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_type: Option<String>,
    /// Storage location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_location: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Owner principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Volume id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_id: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of `table-summaries` (cheap bulk discovery).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TableSummary {
    /// `catalog.schema.table`.
    #[serde(default)]
    pub full_name: String,
    /// Table type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_type: Option<TableType>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TableSummary {
    /// `true` when `table_type == METRIC_VIEW`.
    pub fn is_metric_view(&self) -> bool {
        self.table_type
            .as_ref()
            .is_some_and(TableType::is_metric_view)
    }
}

/// Body of `POST /api/2.1/unity-catalog/catalogs`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateCatalog {
    /// Catalog name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Managed storage root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_root: Option<String>,
    /// Properties.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// Other fields (`provider_name`, `share_name`, `connection_name`, `options`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CreateCatalog {
    /// A catalog called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
    /// Sets the comment.
    #[must_use]
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }
    /// Sets the storage root.
    #[must_use]
    pub fn with_storage_root(mut self, storage_root: impl Into<String>) -> Self {
        self.storage_root = Some(storage_root.into());
        self
    }
    /// Adds a property.
    #[must_use]
    pub fn with_property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }
}

/// Body of `POST /api/2.1/unity-catalog/schemas`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateSchema {
    /// Schema name.
    pub name: String,
    /// Parent catalog.
    pub catalog_name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Managed storage root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_root: Option<String>,
    /// Properties.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

impl CreateSchema {
    /// A schema `name` in `catalog_name`.
    pub fn new(catalog_name: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            catalog_name: catalog_name.into(),
            ..Self::default()
        }
    }
    /// Sets the comment.
    #[must_use]
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }
}

/// Body of `POST /api/2.1/unity-catalog/volumes`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateVolume {
    /// Parent catalog.
    pub catalog_name: String,
    /// Parent schema.
    pub schema_name: String,
    /// Volume name.
    pub name: String,
    /// `MANAGED` or `EXTERNAL`.
    pub volume_type: String,
    /// Storage location (EXTERNAL only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_location: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl CreateVolume {
    /// A managed volume `catalog.schema.name`.
    pub fn managed(
        catalog_name: impl Into<String>,
        schema_name: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            catalog_name: catalog_name.into(),
            schema_name: schema_name.into(),
            name: name.into(),
            volume_type: "MANAGED".to_owned(),
            storage_location: None,
            comment: None,
        }
    }
    /// An external volume at `storage_location`.
    pub fn external(
        catalog_name: impl Into<String>,
        schema_name: impl Into<String>,
        name: impl Into<String>,
        storage_location: impl Into<String>,
    ) -> Self {
        Self {
            volume_type: "EXTERNAL".to_owned(),
            storage_location: Some(storage_location.into()),
            ..Self::managed(catalog_name, schema_name, name)
        }
    }
    /// Sets the comment.
    #[must_use]
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_info_detects_metric_views_and_keeps_unknown_types() {
        let t: TableInfo = serde_json::from_value(serde_json::json!({
            "name": "orders_mv", "catalog_name": "main", "schema_name": "sales",
            "full_name": "main.sales.orders_mv", "table_type": "METRIC_VIEW",
            "columns": [{"name": "month", "type_name": "TIMESTAMP", "position": 0},
                        {"name": "revenue", "type_text": "decimal(38,2) measure", "type_name": "DECIMAL"}],
            "view_definition": "version: 1.1\nsource: main.sales.orders\n",
            "view_dependencies": {"dependencies": []}
        }))
        .unwrap();
        assert!(t.is_metric_view());
        assert_eq!(
            t.column("REVENUE").unwrap().type_name.as_deref(),
            Some("DECIMAL")
        );
        assert!(t.extra.contains_key("view_dependencies"));

        let t: TableInfo = serde_json::from_value(serde_json::json!({
            "name": "x", "catalog_name": "c", "schema_name": "s", "table_type": "HOLOGRAPHIC"
        }))
        .unwrap();
        assert!(!t.is_metric_view());
        assert_eq!(t.table_type, Some(TableType::Other("HOLOGRAPHIC".into())));
        assert_eq!(t.qualified_name(), "c.s.x");
        let back = serde_json::to_value(&t).unwrap();
        assert_eq!(back["table_type"], "HOLOGRAPHIC");
    }
}
