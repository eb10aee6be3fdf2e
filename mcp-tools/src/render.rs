//! Shared renderings of library values as tool output: one statement table, one run state.

use databricks_client::models::StatementTable;
use databricks_client::models::jobs::RunState;
use schemars::JsonSchema;
use serde::Serialize;

use crate::{Column, MoreRows, TableResult};

/// A statement result as a [`TableResult`] of at most `cap` rows: `truncated` when more rows
/// came back than `cap` or the server says more exist; `more` builds the continuation from the
/// statement id and the offset of the first row not returned.
pub(crate) fn statement_table(
    table: StatementTable,
    cap: usize,
    more: impl FnOnce(String, u64) -> MoreRows,
) -> TableResult {
    let StatementTable {
        statement_id,
        columns,
        rows,
        truncated,
        ..
    } = table;
    let columns = columns
        .into_iter()
        .map(|c| Column::new(c.name, Some(c.type_text)))
        .collect();
    TableResult::from_rows(columns, rows, cap, 0, truncated, |off| {
        more(statement_id, off)
    })
}

/// The state of a run or task run, as every tool shows it.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub(crate) struct RunStateInfo {
    /// `QUEUED`, `PENDING`, `RUNNING`, `TERMINATING`, `TERMINATED`, `SKIPPED`,
    /// `INTERNAL_ERROR`, `BLOCKED` or `WAITING_FOR_RETRY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) life_cycle_state: Option<String>,
    /// Once finished: `SUCCESS`, `FAILED`, `TIMEDOUT`, `CANCELED`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) result_state: Option<String>,
    /// The server's message about the state (why it failed, why it is queued).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state_message: Option<String>,
}

impl RunStateInfo {
    /// The legacy `state` of a run or task run (an empty message counts as none).
    pub(crate) fn from_state(state: Option<&RunState>) -> Self {
        let Some(st) = state else {
            return Self::default();
        };
        Self {
            life_cycle_state: st.life_cycle_state.as_ref().map(ToString::to_string),
            result_state: st.result_state.as_ref().map(ToString::to_string),
            state_message: st.state_message.clone().filter(|m| !m.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_table_is_capped_and_continued() {
        let t: StatementTable = StatementTable::from_response(
            serde_json::from_value(serde_json::json!({
                "statement_id": "s1",
                "manifest": {"schema": {"columns": [{"name": "n", "type_name": "INT"}]}},
                "result": {"data_array": [["1"], ["2"], ["3"]]}
            }))
            .unwrap(),
        );
        let r = statement_table(t, 2, |id, off| MoreRows::new(Some(id), off, "page"));
        assert_eq!(r.row_count, 2);
        assert!(r.truncated);
        let more = r.more.unwrap();
        assert_eq!((more.statement_id.as_deref(), more.offset), (Some("s1"), 2));
        assert_eq!(r.columns[0].type_name.as_deref(), Some("INT"));
    }

    #[test]
    fn an_empty_state_message_is_none() {
        let st: RunState = serde_json::from_value(serde_json::json!({
            "life_cycle_state": "RUNNING", "state_message": ""
        }))
        .unwrap();
        let info = RunStateInfo::from_state(Some(&st));
        assert_eq!(info.life_cycle_state.as_deref(), Some("RUNNING"));
        assert!(info.state_message.is_none() && info.result_state.is_none());
    }
}
