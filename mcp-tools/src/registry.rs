//! The tool registry: composes toolsets, prefixes names, filters, enforces read-only mode, and
//! passes every result through redaction and the output budget.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use crate::audit::{AuditLog, AuditRecord, millis, now_rfc3339, redact_text, sanitize_arguments};
use crate::budget::OutputBudget;
use crate::quotas::{ANONYMOUS_PRINCIPAL, Admission, Quotas};
use crate::redact::Redactions;
use crate::{DynTool, ToolContext, ToolError, ToolOutput, ToolSpec, Toolset};
use crate::{MAX_QUOTED_BYTES, Metrics};

/// Why a [`Registry`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Two tools end up with the same name.
    #[error("two tools are named `{name}`; give the registry a prefix or leave one toolset out")]
    DuplicateName {
        /// The clashing name.
        name: String,
    },
    /// A name breaks the MCP rules (1–128 characters of `A-Z a-z 0-9 _ . -`).
    #[error(
        "tool name `{name}` is invalid: use 1-128 characters from A-Z, a-z, 0-9, `_`, `.` and `-`"
    )]
    InvalidName {
        /// The bad name.
        name: String,
    },
    /// An allowlist entry matches no tool.
    #[error("allowlist entry `{name}` matches no tool; available tools: {available}")]
    UnknownAllowlistEntry {
        /// The entry.
        name: String,
        /// Comma-separated names of all tools before filtering.
        available: String,
    },
}

/// An entry: the served spec (possibly prefixed) and the tool.
#[derive(Debug)]
struct Entry {
    spec: ToolSpec,
    tool: DynTool,
    toolset: Option<String>,
}

/// The set of tools a server offers, in a stable order (toolsets in the order they were added,
/// tools in each toolset's order).
///
/// Cheap to clone (an `Arc` inside).
///
/// ```
/// # use mcp_tools::{Registry, ToolContext};
/// # async fn demo(toolset: std::sync::Arc<dyn mcp_tools::Toolset>) -> Result<(), Box<dyn std::error::Error>> {
/// let registry = Registry::builder()
///     .toolset(toolset)
///     .prefix("sales_")
///     .read_only(true)
///     .build()?;
/// for spec in registry.specs() {
///     println!("{}", spec.name());
/// }
/// let out = registry
///     .call("sales_list_models", serde_json::json!({}), ToolContext::new())
///     .await?;
/// println!("{}", out.text);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    visible: Vec<Entry>,
    index: HashMap<String, usize>,
    /// Served names of write tools hidden by read-only mode.
    hidden_writes: BTreeSet<String>,
    redactions: Redactions,
    budget: OutputBudget,
    audit: Option<AuditLog>,
    quotas: Option<Quotas>,
    metrics: Option<Metrics>,
}

impl Registry {
    /// A builder.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    /// The visible tools' specs, in stable order.
    pub fn specs(&self) -> impl Iterator<Item = &ToolSpec> {
        self.inner.visible.iter().map(|e| &e.spec)
    }

    /// The spec of a visible tool.
    pub fn get(&self, name: &str) -> Option<&ToolSpec> {
        self.inner
            .index
            .get(name)
            .and_then(|&i| self.inner.visible.get(i))
            .map(|e| &e.spec)
    }

    /// The name of the toolset a visible tool came from (`None` for tools added one by one).
    pub fn toolset_of(&self, name: &str) -> Option<&str> {
        self.inner
            .index
            .get(name)
            .and_then(|&i| self.inner.visible.get(i))
            .and_then(|e| e.toolset.as_deref())
    }

    /// Number of visible tools.
    pub fn len(&self) -> usize {
        self.inner.visible.len()
    }

    /// The byte budget of each channel of a result (see [`RegistryBuilder::max_output_bytes`]).
    pub fn max_output_bytes(&self) -> usize {
        self.inner.budget.max_bytes()
    }

    /// Whether no tool is visible.
    pub fn is_empty(&self) -> bool {
        self.inner.visible.is_empty()
    }

    /// Calls a tool by its served name.
    ///
    /// Unknown names give [`ToolError::UnknownTool`]; write tools hidden by read-only mode give
    /// [`ToolError::WriteDisabled`]; argument errors that tools report as
    /// [`ToolError::InvalidParams`] are returned as is (adapters turn them into `isError`).
    ///
    /// Every result and every error message is redacted, then held to the output budget
    /// ([`RegistryBuilder::max_output_bytes`]).
    ///
    /// With [`RegistryBuilder::quotas`], a call over a quota does not run and is answered with
    /// an `isError` result saying when to retry. With [`RegistryBuilder::audit`] and
    /// [`RegistryBuilder::metrics`], every call (refused and unknown ones included) writes one
    /// audit line and is counted.
    pub async fn call(
        &self,
        name: &str,
        args: Value,
        ctx: ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let inner = &self.inner;
        if inner.audit.is_none() && inner.metrics.is_none() && inner.quotas.is_none() {
            return self.dispatch(name, args, ctx).await;
        }
        let principal = ctx.principal().cloned();
        let who = principal
            .as_ref()
            .map_or(ANONYMOUS_PRINCIPAL, |p| &p.name)
            .to_owned();
        let entry = inner.index.get(name).and_then(|&i| inner.visible.get(i));
        // Written on every path, also when the caller drops the call (outcome `cancelled`).
        let mut record = CallRecord {
            inner: Arc::clone(inner),
            started: Instant::now(),
            name: name.to_owned(),
            known: entry.is_some() || inner.hidden_writes.contains(name),
            auth: principal.map_or_else(|| "none".to_owned(), |p| p.method.clone()),
            arguments: inner
                .audit
                .as_ref()
                .map(|_| sanitize_arguments(&args, &inner.redactions)),
            principal: who,
            done: false,
        };
        let admission = match (entry, &inner.quotas) {
            (Some(entry), Some(quotas)) => {
                quotas.admit(&record.principal, entry.tool.spec().name())
            }
            _ => Admission::Admitted(None),
        };
        let (result, refused) = match admission {
            Admission::Admitted(permit) => {
                let result = self.dispatch(name, args, ctx).await;
                drop(permit);
                (result, None)
            }
            Admission::Refused { reason, message } => (
                Ok(inner.budget.apply(ToolOutput::error(message))),
                Some(reason),
            ),
        };
        let outcome = refused.unwrap_or_else(|| outcome_of(&result));
        if let (Some(metrics), Some(reason)) = (&inner.metrics, refused) {
            metrics.record_refusal(reason);
        }
        record.emit(outcome, Some(&result));
        result
    }

    /// Looks the tool up, runs it, redacts and budgets the result.
    async fn dispatch(
        &self,
        name: &str,
        args: Value,
        ctx: ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let Some(entry) = self
            .inner
            .index
            .get(name)
            .and_then(|&i| self.inner.visible.get(i))
        else {
            if self.inner.hidden_writes.contains(name) {
                return Err(ToolError::WriteDisabled {
                    tool: name.to_owned(),
                });
            }
            return Err(self.inner.budget.apply_error(ToolError::UnknownTool {
                name: name.to_owned(),
            }));
        };
        tracing::debug!(tool = name, "tool call");
        let inner = &self.inner;
        match entry.tool.call(args, ctx).await {
            Ok(out) => Ok(inner.budget.apply(inner.redactions.apply(out))),
            Err(e) => Err(inner.budget.apply_error(inner.redactions.apply_error(e))),
        }
    }
}

/// One call's audit line and metrics, emitted once: when the call returns, or with outcome
/// `cancelled` when its future is dropped first.
struct CallRecord {
    inner: Arc<Inner>,
    started: Instant,
    name: String,
    /// Whether the name is served (or hidden by read-only mode): others are labelled `unknown`.
    known: bool,
    principal: String,
    auth: String,
    arguments: Option<Value>,
    done: bool,
}

impl CallRecord {
    fn emit(&mut self, outcome: &'static str, result: Option<&Result<ToolOutput, ToolError>>) {
        if self.done {
            return;
        }
        self.done = true;
        let inner = &self.inner;
        let duration = self.started.elapsed();
        let (rows, bytes) = match result {
            Some(Ok(out)) => size_of(out),
            _ => (None, 0),
        };
        if let Some(metrics) = &inner.metrics {
            // Metrics label unknown names as `unknown`: clients choose them, labels stay few.
            let label = if self.known { &self.name } else { "unknown" };
            metrics.record_call(label, outcome, duration, rows, bytes);
        }
        let Some(audit) = &inner.audit else {
            return;
        };
        let (statement_id, run_id) = match result {
            Some(Ok(out)) => ids_of(out),
            _ => (None, None),
        };
        let error = match result {
            Some(Ok(out)) if out.is_error => Some(out.text.clone()),
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        }
        .map(|text| cut(&redact_text(&text, &inner.redactions)));
        audit.write(&AuditRecord {
            time: now_rfc3339(),
            principal: &self.principal,
            auth: &self.auth,
            tool: cut(&redact_text(&self.name, &inner.redactions)),
            arguments: self.arguments.take().unwrap_or(Value::Null),
            outcome,
            duration_ms: millis(duration),
            rows,
            bytes,
            statement_id,
            run_id,
            error,
        });
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        self.emit("cancelled", None);
    }
}

/// The outcome label of a call that ran (or could not be routed).
fn outcome_of(result: &Result<ToolOutput, ToolError>) -> &'static str {
    match result {
        Ok(out) if out.is_error => "error",
        Ok(_) => "ok",
        Err(ToolError::InvalidParams { .. }) => "invalid_params",
        Err(ToolError::WriteDisabled { .. }) => "write_disabled",
        Err(ToolError::UnknownTool { .. }) => "unknown_tool",
        Err(_) => "internal",
    }
}

/// Rows (a structured `row_count`, else the length of `rows`) and bytes (text plus serialized
/// structured content) of a result.
fn size_of(out: &ToolOutput) -> (Option<u64>, u64) {
    let structured = out.structured.as_ref();
    let rows = structured.and_then(|v| {
        v.get("row_count").and_then(Value::as_u64).or_else(|| {
            v.get("rows")
                .and_then(Value::as_array)
                .map(|r| r.len() as u64)
        })
    });
    let structured_bytes = structured.map_or(0, |v| v.to_string().len());
    (rows, (out.text.len() + structured_bytes) as u64)
}

/// The statement id and run id a result names (top level, or one object down).
fn ids_of(out: &ToolOutput) -> (Option<String>, Option<String>) {
    let Some(v) = out.structured.as_ref() else {
        return (None, None);
    };
    let find = |keys: &[&str]| -> Option<String> {
        let direct = |o: &Value| {
            keys.iter().find_map(|k| o.get(*k)).and_then(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        direct(v).or_else(|| v.as_object()?.values().find_map(direct))
    };
    (
        find(&["statement_id", "query_id"]).map(|s| cut(&s)),
        find(&["run_id"]).map(|s| cut(&s)),
    )
}

/// The head of a text kept in an audit line.
fn cut(text: &str) -> String {
    if text.len() <= MAX_QUOTED_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_QUOTED_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}…[truncated: {} more bytes]",
        &text[..end],
        text.len() - end
    )
}

/// Builds a [`Registry`].
#[derive(Debug, Default)]
pub struct RegistryBuilder {
    tools: Vec<(Option<String>, DynTool)>,
    prefix: Option<String>,
    allow: Option<Vec<String>>,
    read_only: bool,
    redactions: Redactions,
    max_output_bytes: Option<usize>,
    audit: Option<AuditLog>,
    quotas: Option<Quotas>,
    metrics: Option<Metrics>,
}

impl RegistryBuilder {
    /// Writes one audit line per tool call to `audit` (see [`AuditLog`]).
    pub fn audit(mut self, audit: AuditLog) -> Self {
        self.audit = Some(audit);
        self
    }

    /// Enforces `quotas` before every call (see [`Quotas`]).
    pub fn quotas(mut self, quotas: Quotas) -> Self {
        self.quotas = Some(quotas);
        self
    }

    /// Counts every call in `metrics` (see [`Metrics`]).
    pub fn metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Adds every tool of a toolset.
    pub fn toolset(mut self, toolset: Arc<dyn Toolset>) -> Self {
        let name = toolset.name().to_owned();
        self.tools
            .extend(toolset.tools().into_iter().map(|t| (Some(name.clone()), t)));
        self
    }

    /// Adds one tool.
    pub fn tool(mut self, tool: DynTool) -> Self {
        self.tools.push((None, tool));
        self
    }

    /// Prefixes every served name (generic names like `execute_sql` collide in aggregators).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        self.prefix = (!prefix.is_empty()).then_some(prefix);
        self
    }

    /// Serves only these tools. Entries may be the tool's own name or the prefixed name.
    pub fn allow<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allow = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// In read-only mode, tools that change data are neither listed nor callable.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Replaces `secret` (a token, a password) by `[REDACTED]` wherever it would appear in any
    /// tool's output, text or structured content: a last line of defence behind tools that never
    /// print credentials. Empty strings are ignored.
    pub fn redact_secret(mut self, secret: impl Into<String>) -> Self {
        self.redactions.push(secret.into());
        self
    }

    /// The byte budget of each channel of every tool result: the text content, the structured
    /// content (serialized) and error texts (default [`crate::DEFAULT_MAX_OUTPUT_BYTES`], 256 KiB;
    /// at least [`crate::MIN_MAX_OUTPUT_BYTES`]).
    ///
    /// A channel over budget is cut, never dropped: text keeps its head (an error text its head
    /// and tail), structured content stays valid JSON with its largest strings and arrays cut
    /// first. Every cut carries the marker `…[truncated: N more bytes]`; the result says it was
    /// truncated (`truncated: true` and a `_truncated` note in structured content, a line in the
    /// text) and how to get the rest. Error texts also quote at most
    /// [`crate::MAX_QUOTED_BYTES`] of any quoted value. Results within the budget are unchanged.
    pub fn max_output_bytes(mut self, bytes: usize) -> Self {
        self.max_output_bytes = Some(bytes);
        self
    }

    /// Builds the registry, checking names and the allowlist.
    pub fn build(self) -> Result<Registry, RegistryError> {
        let prefix = self.prefix.unwrap_or_default();
        let all: Vec<String> = self
            .tools
            .iter()
            .map(|(_, t)| t.spec().name().to_owned())
            .collect();
        if let Some(allow) = &self.allow {
            for name in allow {
                let known = all
                    .iter()
                    .any(|n| n == name || format!("{prefix}{n}") == *name);
                if !known {
                    return Err(RegistryError::UnknownAllowlistEntry {
                        name: name.clone(),
                        available: all.join(", "),
                    });
                }
            }
        }
        let mut visible = Vec::new();
        let mut index = HashMap::new();
        let mut hidden_writes = BTreeSet::new();
        let mut seen = BTreeSet::new();
        for (toolset, tool) in self.tools {
            let base = tool.spec().name().to_owned();
            let served = format!("{prefix}{base}");
            if !valid_name(&served) {
                return Err(RegistryError::InvalidName { name: served });
            }
            if !seen.insert(served.clone()) {
                return Err(RegistryError::DuplicateName { name: served });
            }
            if let Some(allow) = &self.allow
                && !allow.iter().any(|a| *a == base || *a == served)
            {
                continue;
            }
            if self.read_only && tool.spec().writes_data() {
                hidden_writes.insert(served);
                continue;
            }
            let spec = tool.spec().clone().with_name(served.clone());
            index.insert(served, visible.len());
            visible.push(Entry {
                spec,
                tool,
                toolset,
            });
        }
        Ok(Registry {
            inner: Arc::new(Inner {
                visible,
                index,
                hidden_writes,
                redactions: self.redactions,
                budget: self
                    .max_output_bytes
                    .map(OutputBudget::new)
                    .unwrap_or_default(),
                audit: self.audit,
                quotas: self.quotas,
                metrics: self.metrics,
            }),
        })
    }
}

/// MCP tool-name rule (2025-11-25): 1–128 characters of `[A-Za-z0-9_.-]`.
fn valid_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Tool, ToolAnnotations, parse_args};
    use async_trait::async_trait;

    /// Echo arguments.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct EchoArgs {
        /// Text.
        text: String,
    }
    /// Echo result.
    #[derive(serde::Serialize, schemars::JsonSchema)]
    struct EchoOut {
        /// Text.
        text: String,
    }

    #[derive(Debug)]
    struct Echo(ToolSpec);

    #[async_trait]
    impl Tool for Echo {
        fn spec(&self) -> &ToolSpec {
            &self.0
        }
        async fn call(&self, args: Value, _ctx: ToolContext) -> Result<ToolOutput, ToolError> {
            let a: EchoArgs = parse_args(self.0.name(), args)?;
            ToolOutput::structured(a.text.clone(), &EchoOut { text: a.text })
        }
    }

    fn echo(name: &str, write: bool) -> DynTool {
        let mut spec = ToolSpec::new::<EchoArgs, EchoOut>(name, "echo");
        if write {
            spec = spec.with_annotations(ToolAnnotations::destructive());
        }
        Arc::new(Echo(spec))
    }

    #[derive(Debug)]
    struct Set(Vec<DynTool>);
    impl Toolset for Set {
        fn name(&self) -> &str {
            "set"
        }
        fn tools(&self) -> Vec<DynTool> {
            self.0.clone()
        }
    }

    fn set() -> Arc<dyn Toolset> {
        Arc::new(Set(vec![
            echo("zeta", false),
            echo("alpha", false),
            echo("drop_all", true),
        ]))
    }

    fn names(r: &Registry) -> Vec<String> {
        r.specs().map(|s| s.name().to_owned()).collect()
    }

    #[tokio::test]
    async fn stable_order_prefix_and_call() {
        let r = Registry::builder()
            .toolset(set())
            .prefix("x_")
            .build()
            .unwrap();
        assert_eq!(names(&r), ["x_zeta", "x_alpha", "x_drop_all"]);
        let out = r
            .call(
                "x_alpha",
                serde_json::json!({"text": "hi"}),
                ToolContext::new(),
            )
            .await
            .unwrap();
        assert_eq!(out.text, "hi");
        assert_eq!(out.structured, Some(serde_json::json!({"text": "hi"})));
        let err = r
            .call("alpha", Value::Null, ToolContext::new())
            .await
            .unwrap_err();
        assert!(err.is_unknown_tool());
    }

    #[tokio::test]
    async fn read_only_hides_and_rejects_writes() {
        let r = Registry::builder()
            .toolset(set())
            .read_only(true)
            .build()
            .unwrap();
        assert_eq!(names(&r), ["zeta", "alpha"]);
        assert!(r.get("drop_all").is_none());
        let err = r
            .call(
                "drop_all",
                serde_json::json!({"text": "x"}),
                ToolContext::new(),
            )
            .await
            .unwrap_err();
        assert_eq!(
            err,
            ToolError::WriteDisabled {
                tool: "drop_all".into()
            }
        );
    }

    #[tokio::test]
    async fn allowlist_filters_and_checks_entries() {
        let r = Registry::builder()
            .toolset(set())
            .prefix("p.")
            .allow(["alpha", "p.zeta"])
            .build()
            .unwrap();
        assert_eq!(names(&r), ["p.zeta", "p.alpha"]);
        let err = r
            .call("p.drop_all", Value::Null, ToolContext::new())
            .await
            .unwrap_err();
        assert!(err.is_unknown_tool());
        let bad = Registry::builder().toolset(set()).allow(["nope"]).build();
        assert!(matches!(
            bad,
            Err(RegistryError::UnknownAllowlistEntry { .. })
        ));
    }

    #[test]
    fn duplicates_and_bad_names_are_rejected() {
        let dup = Registry::builder().toolset(set()).toolset(set()).build();
        assert!(matches!(dup, Err(RegistryError::DuplicateName { .. })));
        let bad = Registry::builder().toolset(set()).prefix("a b").build();
        assert!(matches!(bad, Err(RegistryError::InvalidName { .. })));
    }

    #[tokio::test]
    async fn secrets_are_redacted_from_every_output() {
        let canary = "dapi-CANARY-0123456789";
        let r = Registry::builder()
            .toolset(set())
            .redact_secret(canary)
            .redact_secret("")
            .build()
            .unwrap();
        let out = r
            .call(
                "alpha",
                serde_json::json!({"text": format!("token={canary}")}),
                ToolContext::new(),
            )
            .await
            .unwrap();
        assert_eq!(out.text, "token=[REDACTED]");
        assert_eq!(
            out.structured,
            Some(serde_json::json!({"text": "token=[REDACTED]"}))
        );
        assert!(!format!("{r:?}").contains(canary));
    }

    #[tokio::test]
    async fn invalid_args_are_invalid_params() {
        let r = Registry::builder().toolset(set()).build().unwrap();
        let err = r
            .call("alpha", serde_json::json!({"txt": 1}), ToolContext::new())
            .await
            .unwrap_err();
        assert!(matches!(err, ToolError::InvalidParams { .. }));
        assert!(err.to_string().contains("text"), "{err}");
    }
}
