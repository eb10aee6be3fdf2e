//! Shared renderings of library values as tool output: one statement table, one run state,
//! one run.

use databricks_client::models::jobs::{Run, RunState};
use databricks_client::models::{StatementResponse, StatementTable};
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

/// The rows of a `SUCCEEDED` statement response (first chunk, inline JSON) shaped to `cap`
/// rows: the one statement-to-table conversion ([`StatementTable::from_response`]) and its
/// rendering, continued by statement id and offset with `hint`.
pub(crate) fn response_table(resp: StatementResponse, cap: usize, hint: &str) -> TableResult {
    statement_table(StatementTable::from_response(resp), cap, |id, off| {
        MoreRows::new(Some(id), off, hint)
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

    /// The state on one line, as every tool prints it and reports it as progress:
    /// `LIFE_CYCLE[/RESULT][: message]` (`-` when the server sent no life-cycle state).
    pub(crate) fn line(&self) -> String {
        let mut s = self
            .life_cycle_state
            .clone()
            .unwrap_or_else(|| "-".to_owned());
        if let Some(r) = &self.result_state {
            s.push('/');
            s.push_str(r);
        }
        if let Some(m) = &self.state_message {
            s.push_str(": ");
            s.push_str(m);
        }
        s
    }
}

/// The state line of a run ([`RunStateInfo::line`]): the progress message of every wait on a
/// run.
pub(crate) fn run_state_line(run: &Run) -> String {
    RunStateInfo::from_state(run.state.as_ref()).line()
}

/// A run as text, the same in every tool that reports one: `run <id> | <state line>`, the run
/// page URL, then one line per task run (`- <task_key> (<run id>) <state line>`).
pub(crate) fn run_text(run: &Run) -> String {
    let mut text = format!("run {} | {}", run.run_id, run_state_line(run));
    if let Some(u) = &run.run_page_url {
        text.push_str(&format!("\n{u}"));
    }
    for t in &run.tasks {
        text.push_str(&format!(
            "\n- {} ({}) {}",
            t.task_key,
            t.run_id,
            RunStateInfo::from_state(t.state.as_ref()).line()
        ));
    }
    text
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
        assert_eq!(info.line(), "RUNNING");
    }

    #[test]
    fn a_run_is_one_text() {
        let run: Run = serde_json::from_value(serde_json::json!({
            "run_id": 7,
            "state": {"life_cycle_state": "TERMINATED", "result_state": "FAILED",
                      "state_message": "boom"},
            "run_page_url": "https://h/#job/1/run/7",
            "tasks": [{"run_id": 8, "task_key": "ingest",
                       "state": {"life_cycle_state": "TERMINATED", "result_state": "FAILED"}}]
        }))
        .unwrap();
        assert_eq!(
            run_text(&run),
            "run 7 | TERMINATED/FAILED: boom\nhttps://h/#job/1/run/7\n- ingest (8) TERMINATED/FAILED"
        );
        assert_eq!(run_state_line(&run), "TERMINATED/FAILED: boom");
        let bare: Run = serde_json::from_value(serde_json::json!({"run_id": 9})).unwrap();
        assert_eq!(run_text(&bare), "run 9 | -");
    }
}
