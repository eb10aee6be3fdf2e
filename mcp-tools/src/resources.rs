//! MCP resources and prompts, independent of any MCP SDK.
//!
//! - A [`ResourceProvider`] lists resources page by page and reads them by URI;
//!   [`ResourceSet`] composes several behind one cursor. [`crate::WorkspaceResources`] serves
//!   Unity Catalog table schemas and workspace notebook sources.
//! - A [`PromptSet`] holds [`PromptTemplate`]s with `{argument}` placeholders;
//!   [`analysis_prompts`] is a ready set of data-analysis prompts.
//!
//! The rmcp adapter maps these onto `resources/list`, `resources/templates/list`,
//! `resources/read`, `prompts/list` and `prompts/get`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

/// One listed resource.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResourceInfo {
    /// The URI a client passes to `resources/read`.
    pub uri: String,
    /// A short name.
    pub name: String,
    /// A display title.
    pub title: Option<String>,
    /// What the resource holds.
    pub description: Option<String>,
    /// The MIME type of its contents.
    pub mime_type: Option<String>,
}

impl ResourceInfo {
    /// A resource with a URI and a name.
    pub fn new(uri: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            uri: uri.into(),
            name: name.into(),
            title: None,
            description: None,
            mime_type: None,
        }
    }

    /// Sets the title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the MIME type.
    pub fn with_mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
        self
    }
}

/// A URI template (RFC 6570) naming a family of resources a client may read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResourceTemplateInfo {
    /// The template, e.g. `databricks://tables/{catalog}/{schema}/{table}`.
    pub uri_template: String,
    /// A short name.
    pub name: String,
    /// What the resources hold.
    pub description: Option<String>,
    /// The MIME type of their contents.
    pub mime_type: Option<String>,
}

impl ResourceTemplateInfo {
    /// A template with a name.
    pub fn new(uri_template: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            uri_template: uri_template.into(),
            name: name.into(),
            description: None,
            mime_type: None,
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the MIME type.
    pub fn with_mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
        self
    }
}

/// One page of a resource listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ResourcePage {
    /// The resources of this page.
    pub resources: Vec<ResourceInfo>,
    /// Pass to the next `list` call to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl ResourcePage {
    /// A page.
    pub fn new(resources: Vec<ResourceInfo>, next_cursor: Option<String>) -> Self {
        Self {
            resources,
            next_cursor,
        }
    }
}

/// The contents of a read resource.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResourceContent {
    /// The URI read.
    pub uri: String,
    /// The MIME type.
    pub mime_type: Option<String>,
    /// The text.
    pub text: String,
}

impl ResourceContent {
    /// Text contents of `uri`.
    pub fn text(uri: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            uri: uri.into(),
            mime_type: None,
            text: text.into(),
        }
    }

    /// Sets the MIME type.
    pub fn with_mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
        self
    }
}

/// Why a resource could not be listed or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResourceError {
    /// No resource has this URI (unknown scheme, malformed, or the object does not exist).
    #[error("resource `{uri}` not found: {message}")]
    NotFound {
        /// The URI asked for.
        uri: String,
        /// Why, and what to do instead.
        message: String,
    },
    /// The cursor was not produced by this server (or the listing changed shape).
    #[error("invalid cursor `{cursor}`; start the listing again without a cursor")]
    InvalidCursor {
        /// The cursor received.
        cursor: String,
    },
    /// The backend failed (the message names the fix when one is known).
    #[error("{0}")]
    Backend(String),
}

impl ResourceError {
    /// A [`ResourceError::NotFound`].
    pub fn not_found(uri: impl Into<String>, message: impl Into<String>) -> Self {
        Self::NotFound {
            uri: uri.into(),
            message: message.into(),
        }
    }

    /// Whether the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

/// A source of MCP resources.
#[async_trait]
pub trait ResourceProvider: Send + Sync + fmt::Debug {
    /// The URI templates of the resources this provider can read.
    fn templates(&self) -> Vec<ResourceTemplateInfo>;

    /// Whether `uri` belongs to this provider (by scheme and prefix; existence is checked by
    /// [`ResourceProvider::read`]).
    fn handles(&self, uri: &str) -> bool;

    /// One page of resources, starting at `cursor` (`None`: the first page).
    async fn list(&self, cursor: Option<&str>) -> Result<ResourcePage, ResourceError>;

    /// Reads one resource.
    async fn read(&self, uri: &str) -> Result<Vec<ResourceContent>, ResourceError>;
}

/// Several [`ResourceProvider`]s listed one after the other behind one opaque cursor.
///
/// ```
/// use mcp_tools::ResourceSet;
/// let set = ResourceSet::new();
/// assert!(set.is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct ResourceSet {
    providers: Vec<Arc<dyn ResourceProvider>>,
}

impl ResourceSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a provider (listed after the ones added before).
    pub fn with_provider(mut self, provider: Arc<dyn ResourceProvider>) -> Self {
        self.providers.push(provider);
        self
    }

    /// Whether no provider was added.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// Every provider's templates.
    pub fn templates(&self) -> Vec<ResourceTemplateInfo> {
        self.providers.iter().flat_map(|p| p.templates()).collect()
    }

    /// One page. The cursor is `<provider index>/<provider cursor>`; a provider's last page
    /// continues with the next provider's first.
    pub async fn list(&self, cursor: Option<&str>) -> Result<ResourcePage, ResourceError> {
        let (mut index, mut inner) = match cursor {
            None => (0, None),
            Some(c) => {
                let bad = || ResourceError::InvalidCursor {
                    cursor: c.to_owned(),
                };
                let (i, rest) = c.split_once('/').ok_or_else(bad)?;
                let i: usize = i.parse().map_err(|_| bad())?;
                if i >= self.providers.len() {
                    return Err(bad());
                }
                (i, (!rest.is_empty()).then(|| rest.to_owned()))
            }
        };
        while let Some(provider) = self.providers.get(index) {
            let page = provider.list(inner.as_deref()).await?;
            let has_next_provider = index + 1 < self.providers.len();
            if page.resources.is_empty() && page.next_cursor.is_none() && has_next_provider {
                // This provider is exhausted: go straight on to the next one.
                index += 1;
                inner = None;
                continue;
            }
            let next_cursor = match page.next_cursor {
                Some(next) => Some(format!("{index}/{next}")),
                None if has_next_provider => Some(format!("{}/", index + 1)),
                None => None,
            };
            return Ok(ResourcePage::new(page.resources, next_cursor));
        }
        Ok(ResourcePage::default())
    }

    /// Reads `uri` from the provider that handles it.
    pub async fn read(&self, uri: &str) -> Result<Vec<ResourceContent>, ResourceError> {
        match self.providers.iter().find(|p| p.handles(uri)) {
            Some(p) => p.read(uri).await,
            None => Err(ResourceError::not_found(
                uri,
                "no provider serves this URI; call resources/list or resources/templates/list for valid URIs",
            )),
        }
    }
}

/// One argument of a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PromptArgumentSpec {
    /// The name, used as `{name}` in the template.
    pub name: String,
    /// What to pass.
    pub description: String,
    /// Whether it must be given.
    pub required: bool,
}

impl PromptArgumentSpec {
    /// A required argument.
    pub fn required(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            required: true,
        }
    }

    /// An optional argument (its placeholder becomes the default text when absent).
    pub fn optional(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            required: false,
        }
    }
}

/// A prompt template: a user message with `{argument}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PromptTemplate {
    /// The prompt's name.
    pub name: String,
    /// A display title.
    pub title: Option<String>,
    /// What the prompt is for.
    pub description: String,
    /// Its arguments.
    pub arguments: Vec<PromptArgumentSpec>,
    /// The message text with `{name}` placeholders.
    pub template: String,
    /// Text used for absent optional arguments, by name.
    pub defaults: BTreeMap<String, String>,
}

impl PromptTemplate {
    /// A template.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        template: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            title: None,
            description: description.into(),
            arguments: Vec::new(),
            template: template.into(),
            defaults: BTreeMap::new(),
        }
    }

    /// Sets the title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Adds an argument.
    pub fn with_argument(mut self, argument: PromptArgumentSpec) -> Self {
        self.arguments.push(argument);
        self
    }

    /// Sets the text used when an optional argument is absent.
    pub fn with_default(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.defaults.insert(name.into(), text.into());
        self
    }

    /// Fills the placeholders. Missing required arguments and unknown arguments are errors that
    /// name the expected arguments. Argument values are inserted verbatim, once: a value that
    /// itself contains `{x}` is not expanded again.
    pub fn render(&self, args: &BTreeMap<String, String>) -> Result<String, PromptError> {
        let expected = || {
            self.arguments
                .iter()
                .map(|a| {
                    if a.required {
                        a.name.clone()
                    } else {
                        format!("{} (optional)", a.name)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        for name in args.keys() {
            if !self.arguments.iter().any(|a| &a.name == name) {
                return Err(PromptError::InvalidArguments {
                    prompt: self.name.clone(),
                    message: format!("unknown argument `{name}`; expected: {}", expected()),
                });
            }
        }
        let mut values = BTreeMap::new();
        for a in &self.arguments {
            match args.get(&a.name).filter(|v| !v.trim().is_empty()) {
                Some(v) => {
                    values.insert(a.name.as_str(), v.as_str());
                }
                None if a.required => {
                    return Err(PromptError::InvalidArguments {
                        prompt: self.name.clone(),
                        message: format!(
                            "missing required argument `{}`; expected: {}",
                            a.name,
                            expected()
                        ),
                    });
                }
                None => {
                    let d = self.defaults.get(&a.name).map_or("", String::as_str);
                    values.insert(a.name.as_str(), d);
                }
            }
        }
        // One left-to-right pass over the template, so values are never re-expanded.
        let mut out = String::with_capacity(self.template.len());
        let mut rest = self.template.as_str();
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            match after.find('}') {
                Some(end) if values.contains_key(&after[..end]) => {
                    out.push_str(values.get(&after[..end]).copied().unwrap_or_default());
                    rest = &after[end + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Why a prompt could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PromptError {
    /// No prompt has this name.
    #[error("unknown prompt `{name}`; call prompts/list to see the prompts this server offers")]
    UnknownPrompt {
        /// The name asked for.
        name: String,
    },
    /// The arguments do not fit the prompt.
    #[error("invalid arguments for prompt `{prompt}`: {message}")]
    InvalidArguments {
        /// The prompt.
        prompt: String,
        /// What is wrong.
        message: String,
    },
}

/// A set of prompt templates in a stable order.
///
/// ```
/// use std::collections::BTreeMap;
/// let prompts = mcp_tools::analysis_prompts();
/// let args = BTreeMap::from([("table".to_owned(), "main.sales.orders".to_owned())]);
/// let text = prompts.render("explore_table", &args).unwrap();
/// assert!(text.contains("main.sales.orders"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct PromptSet {
    templates: Vec<PromptTemplate>,
}

impl PromptSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a template (a later template with the same name replaces the earlier one).
    pub fn with_template(mut self, template: PromptTemplate) -> Self {
        self.templates.retain(|t| t.name != template.name);
        self.templates.push(template);
        self
    }

    /// The templates.
    pub fn templates(&self) -> &[PromptTemplate] {
        &self.templates
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// The template named `name`.
    pub fn get(&self, name: &str) -> Option<&PromptTemplate> {
        self.templates.iter().find(|t| t.name == name)
    }

    /// Renders the prompt `name` with `args`.
    pub fn render(
        &self,
        name: &str,
        args: &BTreeMap<String, String>,
    ) -> Result<String, PromptError> {
        self.get(name)
            .ok_or_else(|| PromptError::UnknownPrompt {
                name: name.to_owned(),
            })?
            .render(args)
    }
}

/// Data-analysis prompts over the tools of this crate: exploring a table, analysing a metric,
/// comparing segments, and investigating a failed job run.
pub fn analysis_prompts() -> PromptSet {
    PromptSet::new()
        .with_template(
            PromptTemplate::new(
                "explore_table",
                "Profile a Unity Catalog table: its columns, size, value distributions and data-quality issues.",
                "Explore the table {table}.\n\
                 1. Read its schema (the resource databricks://tables/... for it, or get_table) and say what each column likely means.\n\
                 2. With read-only SQL (execute_dbsql), count rows, count nulls and distinct values per column, and show the ranges of numeric and date columns. Keep every query under {row_limit} rows.\n\
                 3. Report data-quality issues (nulls in keys, duplicates, out-of-range values) and three questions this table could answer.\n\
                 Focus: {focus}",
            )
            .with_title("Explore a table")
            .with_argument(PromptArgumentSpec::required("table", "Full table name, catalog.schema.table"))
            .with_argument(PromptArgumentSpec::optional("focus", "What to look at in particular"))
            .with_argument(PromptArgumentSpec::optional("row_limit", "Row cap per query (default 100)"))
            .with_default("focus", "a general profile")
            .with_default("row_limit", "100"),
        )
        .with_template(
            PromptTemplate::new(
                "analyze_metric",
                "Analyse how a metric of a semantic model moves over time and what drives it.",
                "Analyse the metric {metric} of the semantic model {model_name}.\n\
                 1. Call describe_model for {model_name} to learn its dimensions and time dimensions.\n\
                 2. With query_model, show {metric} by {time_grain} over {period}.\n\
                 3. Find the dimensions that explain the biggest changes (query_model grouped by each candidate dimension) and summarise the drivers with numbers.\n\
                 Say which figures come from which query.",
            )
            .with_title("Analyse a metric")
            .with_argument(PromptArgumentSpec::required("model_name", "The semantic model (see list_models)"))
            .with_argument(PromptArgumentSpec::required("metric", "The metric to analyse"))
            .with_argument(PromptArgumentSpec::optional("time_grain", "day, week, month, quarter or year (default month)"))
            .with_argument(PromptArgumentSpec::optional("period", "The period to cover (default the last 12 months)"))
            .with_default("time_grain", "month")
            .with_default("period", "the last 12 months"),
        )
        .with_template(
            PromptTemplate::new(
                "compare_segments",
                "Compare a metric between two segments of a dimension.",
                "Compare {metric} of the model {model_name} between {segment_a} and {segment_b} of the dimension {dimension}.\n\
                 Use query_model with a filter on {dimension} for each segment (or one query grouped by it), over the same period, and report absolute and relative differences, then the dimensions where the gap is largest.",
            )
            .with_title("Compare two segments")
            .with_argument(PromptArgumentSpec::required("model_name", "The semantic model"))
            .with_argument(PromptArgumentSpec::required("metric", "The metric to compare"))
            .with_argument(PromptArgumentSpec::required("dimension", "The dimension that defines the segments"))
            .with_argument(PromptArgumentSpec::required("segment_a", "The first value of the dimension"))
            .with_argument(PromptArgumentSpec::required("segment_b", "The second value of the dimension")),
        )
        .with_template(
            PromptTemplate::new(
                "investigate_job_run",
                "Find out why a job run failed or is slow, and propose a fix.",
                "Investigate the job run {run_id}.\n\
                 1. Call get_run for {run_id}: report its state, result and state message, and the tasks that failed or took longest.\n\
                 2. For a failed notebook task, export the notebook (export_notebook) and point to the cell that most likely failed.\n\
                 3. Propose a fix, and whether re-running (run_job with a new idempotency token) is safe.",
            )
            .with_title("Investigate a job run")
            .with_argument(PromptArgumentSpec::required("run_id", "The run id (from run_job or the Jobs UI)")),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn renders_defaults_and_rejects_bad_arguments() {
        let p = analysis_prompts();
        let text = p
            .render("explore_table", &args(&[("table", "main.s.t")]))
            .unwrap();
        assert!(
            text.contains("main.s.t") && text.contains("under 100 rows"),
            "{text}"
        );
        assert!(text.contains("Focus: a general profile"));
        let err = p.render("explore_table", &args(&[])).unwrap_err();
        assert!(
            err.to_string()
                .contains("missing required argument `table`"),
            "{err}"
        );
        let err = p
            .render("explore_table", &args(&[("table", "t"), ("nope", "x")]))
            .unwrap_err();
        assert!(err.to_string().contains("unknown argument `nope`"), "{err}");
        assert!(matches!(
            p.render("nope", &args(&[])),
            Err(PromptError::UnknownPrompt { .. })
        ));
    }

    #[test]
    fn values_are_not_expanded_twice() {
        let t = PromptTemplate::new("p", "d", "a={a} b={b} {unknown}")
            .with_argument(PromptArgumentSpec::required("a", "a"))
            .with_argument(PromptArgumentSpec::required("b", "b"));
        let out = t.render(&args(&[("a", "{b}"), ("b", "x")])).unwrap();
        assert_eq!(out, "a={b} b=x {unknown}");
    }

    #[derive(Debug)]
    struct Fixed {
        prefix: &'static str,
        items: Vec<&'static str>,
        page: usize,
    }

    #[async_trait]
    impl ResourceProvider for Fixed {
        fn templates(&self) -> Vec<ResourceTemplateInfo> {
            vec![ResourceTemplateInfo::new(
                format!("{}{{x}}", self.prefix),
                "t",
            )]
        }
        fn handles(&self, uri: &str) -> bool {
            uri.starts_with(self.prefix)
        }
        async fn list(&self, cursor: Option<&str>) -> Result<ResourcePage, ResourceError> {
            let start: usize =
                cursor
                    .map_or(Ok(0), str::parse)
                    .map_err(|_| ResourceError::InvalidCursor {
                        cursor: cursor.unwrap_or_default().to_owned(),
                    })?;
            let end = (start + self.page).min(self.items.len());
            let items = self.items[start.min(end)..end]
                .iter()
                .map(|i| ResourceInfo::new(format!("{}{i}", self.prefix), *i))
                .collect();
            Ok(ResourcePage::new(
                items,
                (end < self.items.len()).then(|| end.to_string()),
            ))
        }
        async fn read(&self, uri: &str) -> Result<Vec<ResourceContent>, ResourceError> {
            Ok(vec![ResourceContent::text(uri, "x")])
        }
    }

    #[tokio::test]
    async fn a_set_pages_through_every_provider() {
        let set = ResourceSet::new()
            .with_provider(Arc::new(Fixed {
                prefix: "a://",
                items: vec!["1", "2", "3"],
                page: 2,
            }))
            .with_provider(Arc::new(Fixed {
                prefix: "e://",
                items: vec![],
                page: 2,
            }))
            .with_provider(Arc::new(Fixed {
                prefix: "b://",
                items: vec!["4"],
                page: 2,
            }));
        let mut cursor = None;
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = set.list(cursor.as_deref()).await.unwrap();
            pages += 1;
            seen.extend(page.resources.into_iter().map(|r| r.uri));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
            assert!(pages < 10);
        }
        assert_eq!(seen, ["a://1", "a://2", "a://3", "b://4"]);
        assert_eq!(set.templates().len(), 3);
        assert!(set.read("b://4").await.is_ok());
        assert!(set.read("zz://1").await.unwrap_err().is_not_found());
        assert!(matches!(
            set.list(Some("9/")).await,
            Err(ResourceError::InvalidCursor { .. })
        ));
        assert!(matches!(
            set.list(Some("garbage")).await,
            Err(ResourceError::InvalidCursor { .. })
        ));
    }
}
