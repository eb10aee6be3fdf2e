//! One statement-to-table conversion: column names and types plus rows as JSON.
//!
//! Both ways a statement result arrives end here: a [`StatementResponse`] whose first inline
//! chunk is all a caller shows ([`StatementTable::from_response`]), and a decoded
//! [`ResultStream`] read up to a row cap ([`StatementTable::collect`]).

use futures::{StreamExt as _, TryStreamExt as _};
use serde::Serialize;
use serde_json::Value;

use super::{ResultColumn, SqlValue, StatementResponse};
use crate::Result;
use crate::api::ResultStream;

/// One column of a [`StatementTable`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TableColumn {
    /// Column name.
    pub name: String,
    /// Full type text (`decimal(10,2)`), or the type family (`INT`) when the server sent none.
    pub type_text: String,
}

impl From<&ResultColumn> for TableColumn {
    fn from(c: &ResultColumn) -> Self {
        Self {
            name: c.name.clone(),
            type_text: c
                .type_text
                .clone()
                .unwrap_or_else(|| c.type_name.to_string()),
        }
    }
}

/// A statement result as a table.
///
/// `truncated` is `true` when the server says more rows exist than it sent: the manifest's
/// `truncated` (a `row_limit` or byte limit cut the result) or, for
/// [`from_response`](Self::from_response), a further chunk. Rows beyond a caller's own cap are
/// not counted here; the caller compares `rows.len()` with its cap.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct StatementTable {
    /// The statement id.
    pub statement_id: String,
    /// Columns in position order.
    pub columns: Vec<TableColumn>,
    /// Rows, one JSON value per column.
    pub rows: Vec<Vec<Value>>,
    /// More rows exist than the server sent.
    pub truncated: bool,
}

impl StatementTable {
    /// The first inline chunk of a `SUCCEEDED` JSON_ARRAY response, cells as the server's text
    /// (JSON strings) or `null`; a response without a result is an empty table.
    ///
    /// ```
    /// use databricks_client::models::{StatementResponse, StatementTable};
    /// let resp: StatementResponse = serde_json::from_value(serde_json::json!({
    ///     "statement_id": "s1",
    ///     "status": {"state": "SUCCEEDED"},
    ///     "manifest": {"schema": {"columns": [{"name": "n", "type_name": "INT"}]}},
    ///     "result": {"data_array": [["1"], [null]], "next_chunk_index": 1}
    /// })).unwrap();
    /// let t = StatementTable::from_response(resp);
    /// assert_eq!(t.columns[0].type_text, "INT");
    /// assert_eq!(t.rows, vec![vec![serde_json::json!("1")], vec![serde_json::Value::Null]]);
    /// assert!(t.truncated);
    /// ```
    pub fn from_response(resp: StatementResponse) -> Self {
        let columns = resp
            .manifest
            .as_ref()
            .and_then(|m| m.schema.as_ref())
            .map(|s| s.columns.iter().map(TableColumn::from).collect())
            .unwrap_or_default();
        let truncated = resp.manifest.as_ref().is_some_and(|m| m.truncated)
            || resp
                .result
                .as_ref()
                .is_some_and(|r| r.next_chunk_index.is_some());
        let rows = resp
            .result
            .and_then(|r| r.data_array)
            .unwrap_or_default()
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|cell| cell.map_or(Value::Null, Value::String))
                    .collect()
            })
            .collect();
        Self {
            statement_id: resp.statement_id,
            columns,
            rows,
            truncated,
        }
    }

    /// Reads at most `max_rows` decoded rows of `stream` (numbers as numbers, decimals as
    /// text; see [`SqlValue::to_json`](super::SqlValue::to_json)). Dropping the rest of the
    /// stream cancels the statement when the stream was opened with `cancel_on_drop`.
    ///
    /// # Errors
    /// The first error of the stream (a chunk that could not be fetched or decoded).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::models::{ExecuteStatementRequest, StatementTable};
    /// let stream = client.statements().query(ExecuteStatementRequest::new("wh", "SELECT 1")).await?;
    /// let table = StatementTable::collect(stream, 100).await?;
    /// println!("{} rows", table.rows.len());
    /// # Ok(()) }
    /// ```
    pub async fn collect(stream: ResultStream, max_rows: usize) -> Result<Self> {
        Self::collect_with(stream, max_rows, SqlValue::to_json).await
    }

    /// [`collect`](Self::collect) with the caller's typed cells: `cell` turns each decoded
    /// [`SqlValue`] into the JSON the caller stores (e.g. integers beyond 2^53 as text). Columns,
    /// the statement id and `truncated` are read as in `collect`.
    ///
    /// # Errors
    /// The first error of the stream (a chunk that could not be fetched or decoded).
    ///
    /// ```no_run
    /// # async fn run(client: databricks_client::WorkspaceClient) -> databricks_client::Result<()> {
    /// use databricks_client::models::{ExecuteStatementRequest, SqlValue, StatementTable};
    /// let stream = client.statements().query(ExecuteStatementRequest::new("wh", "SELECT 1")).await?;
    /// let table = StatementTable::collect_with(stream, 100, |v: &SqlValue| match v {
    ///     SqlValue::Int(n) => serde_json::Value::String(n.to_string()),
    ///     other => other.to_json(),
    /// })
    /// .await?;
    /// # let _ = table;
    /// # Ok(()) }
    /// ```
    pub async fn collect_with(
        stream: ResultStream,
        max_rows: usize,
        mut cell: impl FnMut(&SqlValue) -> Value,
    ) -> Result<Self> {
        let statement_id = stream.statement_id().to_owned();
        let columns = stream.columns().iter().map(TableColumn::from).collect();
        let truncated = stream.manifest().truncated;
        let rows = stream
            .take(max_rows)
            .map_ok(|r| r.values().iter().map(&mut cell).collect())
            .try_collect()
            .await?;
        Ok(Self {
            statement_id,
            columns,
            rows,
            truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_response_is_an_empty_table() {
        let t = StatementTable::from_response(StatementResponse::default());
        assert!(t.columns.is_empty() && t.rows.is_empty() && !t.truncated);
    }

    #[test]
    fn type_text_wins_over_the_family() {
        let mut c = ResultColumn::new("d", super::super::ColumnTypeName::Decimal);
        c.type_text = Some("decimal(10,2)".to_owned());
        assert_eq!(TableColumn::from(&c).type_text, "decimal(10,2)");
        c.type_text = None;
        assert_eq!(TableColumn::from(&c).type_text, "DECIMAL");
    }
}
