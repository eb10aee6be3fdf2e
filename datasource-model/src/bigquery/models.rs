//! Request and response shapes of the BigQuery REST API v2, as written in the discovery
//! document (`QueryRequest`, `QueryResponse`, `GetQueryResultsResponse`, `Job`, `Table`, …).
//! Only the fields this provider uses; unknown fields are ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `QueryRequest` (body of `jobs.query`).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryRequest {
    pub(crate) query: String,
    /// Always `false`: GoogleSQL (the API default is legacy SQL).
    pub(crate) use_legacy_sql: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) default_dataset: Option<DatasetReference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_results: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) timeout_ms: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) parameter_mode: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) query_parameters: Vec<QueryParameter>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) dry_run: bool,
    /// int64 as a decimal string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) maximum_bytes_billed: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) job_creation_mode: Option<String>,
}

/// `DatasetReference`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DatasetReference {
    #[serde(default)]
    pub(crate) project_id: String,
    #[serde(default)]
    pub(crate) dataset_id: String,
}

/// `TableReference`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TableReference {
    #[serde(default)]
    pub(crate) table_id: String,
}

/// `QueryParameter` with a scalar `QueryParameterType` / `QueryParameterValue`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryParameter {
    pub(crate) name: String,
    pub(crate) parameter_type: QueryParameterType,
    pub(crate) parameter_value: QueryParameterValue,
}

/// `QueryParameterType` (scalar).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct QueryParameterType {
    #[serde(rename = "type")]
    pub(crate) type_: &'static str,
}

/// `QueryParameterValue` (scalar; an absent `value` is SQL NULL).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct QueryParameterValue {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) value: Option<String>,
}

/// `JobReference`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobReference {
    #[serde(default)]
    pub(crate) project_id: String,
    #[serde(default)]
    pub(crate) job_id: String,
    #[serde(default)]
    pub(crate) location: Option<String>,
}

/// `ErrorProto`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorProto {
    #[serde(default)]
    pub(crate) reason: Option<String>,
    #[serde(default)]
    pub(crate) location: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
}

/// `TableSchema`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct TableSchema {
    #[serde(default)]
    pub(crate) fields: Vec<TableFieldSchema>,
}

/// `TableFieldSchema`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct TableFieldSchema {
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default, rename = "type")]
    pub(crate) type_: String,
    #[serde(default)]
    pub(crate) mode: Option<String>,
    #[serde(default)]
    pub(crate) fields: Vec<Self>,
    #[serde(default)]
    pub(crate) description: Option<String>,
}

/// `QueryResponse` (from `jobs.query`) and `GetQueryResultsResponse` (from
/// `jobs.getQueryResults`): the fields both share, plus `queryId`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryResponse {
    #[serde(default)]
    pub(crate) job_complete: Option<bool>,
    #[serde(default)]
    pub(crate) job_reference: Option<JobReference>,
    #[serde(default)]
    pub(crate) query_id: Option<String>,
    #[serde(default)]
    pub(crate) schema: Option<TableSchema>,
    #[serde(default)]
    pub(crate) rows: Vec<Row>,
    /// uint64 as a decimal string.
    #[serde(default)]
    pub(crate) total_rows: Option<String>,
    #[serde(default)]
    pub(crate) page_token: Option<String>,
    /// int64 as a decimal string.
    #[serde(default)]
    pub(crate) total_bytes_processed: Option<String>,
}

impl QueryResponse {
    /// `jobComplete`; a dry run answer omits it and counts as complete.
    pub(crate) fn is_complete(&self) -> bool {
        self.job_complete.unwrap_or(true)
    }
    /// The next page token, if there is one.
    pub(crate) fn next_page(&self) -> Option<&str> {
        self.page_token.as_deref().filter(|t| !t.is_empty())
    }
}

/// One row: `{"f": [{"v": …}, …]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Row {
    #[serde(default)]
    pub(crate) f: Vec<CellValue>,
}

/// One cell: `{"v": …}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct CellValue {
    #[serde(default)]
    pub(crate) v: Value,
}

/// `Job` (from `jobs.get` and `jobs.cancel`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Job {
    #[serde(default)]
    pub(crate) status: Option<JobStatus>,
    #[serde(default)]
    pub(crate) statistics: Option<JobStatistics>,
}

/// `JobStatus`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobStatus {
    /// `PENDING`, `RUNNING` or `DONE`.
    #[serde(default)]
    pub(crate) state: Option<String>,
    #[serde(default)]
    pub(crate) error_result: Option<ErrorProto>,
}

/// `JobStatistics` (the part used here).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobStatistics {
    #[serde(default)]
    pub(crate) total_bytes_processed: Option<String>,
}

/// `JobCancelResponse`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct JobCancelResponse {
    #[serde(default)]
    pub(crate) job: Option<Job>,
}

/// `Dataset` (the part used here).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Dataset {
    #[serde(default)]
    pub(crate) location: Option<String>,
}

/// `Table` (the part used here).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Table {
    #[serde(default)]
    pub(crate) table_reference: Option<TableReference>,
    #[serde(default)]
    pub(crate) schema: Option<TableSchema>,
}

/// `TableList`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TableList {
    #[serde(default)]
    pub(crate) tables: Vec<Table>,
    #[serde(default)]
    pub(crate) next_page_token: Option<String>,
}

/// The error envelope: `{"error": {"code", "message", "status", "errors": [ErrorProto]}}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ErrorEnvelope {
    #[serde(default)]
    pub(crate) error: ErrorBody,
}

/// The body inside [`ErrorEnvelope`].
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) errors: Vec<ErrorProto>,
}

/// Parse an int64/uint64 carried as a JSON string.
pub(crate) fn int64(text: Option<&str>) -> Option<u64> {
    text.and_then(|t| t.trim().parse().ok())
}
