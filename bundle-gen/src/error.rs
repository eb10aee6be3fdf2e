//! Errors of this crate.

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while generating, parsing, writing or deploying a bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A YAML document could not be read into the bundle model.
    #[error("{file}:{line}:{column}: {message} (run the validator for details)")]
    Parse {
        /// File that failed.
        file: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// The model could not be rendered.
    #[error("could not render YAML: {0}")]
    Render(String),
    /// The input given by the caller is unusable (message names the fix).
    #[error("{0}")]
    InvalidInput(String),
    /// Reading or writing local files failed.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A local path was refused or a confined read/write failed.
    #[error(transparent)]
    Path(#[from] crate::confined::PathError),
    /// A workspace API call failed.
    #[error(transparent)]
    Client(#[from] databricks_client::Error),
    /// The `databricks` CLI is not installed.
    #[error(
        "the Databricks CLI (`databricks`) was not found on PATH; install it with \
         `curl -fsSL https://raw.githubusercontent.com/databricks/setup-cli/main/install.sh | sh` \
         or `brew tap databricks/tap && brew install databricks` (see \
         https://docs.databricks.com/dev-tools/cli/install.html)"
    )]
    CliNotFound,
    /// The `databricks` CLI exited with a failure.
    #[error("`databricks {command}` failed with {status}")]
    CliFailed {
        /// The sub-command that was run (e.g. `bundle deploy -t dev`).
        command: String,
        /// Exit status description.
        status: String,
    },
}

impl Error {
    /// True when the error came from the API and means "not found".
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Client(e) if e.is_not_found())
    }
}
