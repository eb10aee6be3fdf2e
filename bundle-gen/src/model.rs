//! The typed `databricks.yml` model.
//!
//! Every struct keeps fields it does not model in `extra`, so reading a bundle and writing it
//! again loses nothing. Jobs are typed with the client's job settings; other resource kinds are
//! kept as opaque values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Job settings as accepted by the Jobs API (and by a bundle's job resource): the client's
/// model, which keeps unknown fields.
pub use databricks_client::models::jobs::JobSettings;

/// Unknown fields, kept verbatim.
pub type Extra = Map<String, Value>;

fn is_false(b: &bool) -> bool {
    !*b
}

/// A whole bundle configuration (root file plus included files, merged).
///
/// ```
/// use bundle_gen::{Bundle, Target, TargetMode, Variable};
/// let b = Bundle::new("sales_etl")
///     .with_variable("catalog", Variable::new("main").with_description("Target catalog"))
///     .with_target("dev", Target::new(TargetMode::Development).with_default(true));
/// assert_eq!(b.bundle.name, "sales_etl");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Bundle {
    /// `bundle:` section.
    pub bundle: BundleInfo,
    /// `include:` globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// `variables:` declarations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, Variable>,
    /// `artifacts:` (opaque).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub artifacts: BTreeMap<String, Value>,
    /// `workspace:` settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<Workspace>,
    /// `presets:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presets: Option<Presets>,
    /// Top-level `permissions:`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<Permission>,
    /// Top-level `run_as:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as: Option<RunAs>,
    /// `sync:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<SyncConfig>,
    /// `resources:`.
    #[serde(default, skip_serializing_if = "Resources::is_empty")]
    pub resources: Resources,
    /// `targets:`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub targets: BTreeMap<String, Target>,
    /// Other top-level keys (`experimental`, `scripts`, `python`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Bundle {
    /// A bundle with a name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            bundle: BundleInfo::new(name),
            ..Self::default()
        }
    }

    /// Adds an `include:` glob.
    pub fn with_include(mut self, glob: impl Into<String>) -> Self {
        self.include.push(glob.into());
        self
    }

    /// Declares a variable.
    pub fn with_variable(mut self, name: impl Into<String>, v: Variable) -> Self {
        self.variables.insert(name.into(), v);
        self
    }

    /// Adds a target.
    pub fn with_target(mut self, name: impl Into<String>, t: Target) -> Self {
        self.targets.insert(name.into(), t);
        self
    }

    /// Adds a job resource.
    pub fn with_job(mut self, key: impl Into<String>, job: Job) -> Self {
        self.resources.jobs.insert(key.into(), job);
        self
    }

    /// Sets `workspace:`.
    pub fn with_workspace(mut self, w: Workspace) -> Self {
        self.workspace = Some(w);
        self
    }

    /// Adds a top-level permission.
    pub fn with_permission(mut self, p: Permission) -> Self {
        self.permissions.push(p);
        self
    }

    /// Sets `run_as:`.
    pub fn with_run_as(mut self, r: RunAs) -> Self {
        self.run_as = Some(r);
        self
    }
}

/// The `bundle:` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BundleInfo {
    /// Bundle name (required).
    #[serde(default)]
    pub name: String,
    /// Reserved identifier written by `bundle init`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Deployment engine (`direct` or `terraform`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// Compute override for all job tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    /// Required CLI version constraint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub databricks_cli_version: Option<String>,
    /// Other fields (`deployment`, `git`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl BundleInfo {
    /// Bundle info with a name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

/// A variable declaration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Variable {
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `complex` for map/list values.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<VariableType>,
    /// Default value (absent = required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Resolve a name to an id at deploy time (`{warehouse: "Shared"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<BTreeMap<String, String>>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Variable {
    /// A simple variable with a string default.
    pub fn new(default: impl Into<String>) -> Self {
        Self {
            default: Some(Value::String(default.into())),
            ..Self::default()
        }
    }

    /// A required variable (no default).
    pub fn required() -> Self {
        Self::default()
    }

    /// A complex variable (`type: complex`) with a map/list default.
    pub fn complex(default: Value) -> Self {
        Self {
            kind: Some(VariableType::Complex),
            default: Some(default),
            ..Self::default()
        }
    }

    /// A lookup variable, e.g. `Variable::lookup("warehouse", "Shared Serverless")`.
    pub fn lookup(kind: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            lookup: Some(BTreeMap::from([(kind.into(), name.into())])),
            ..Self::default()
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }
}

/// Variable type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum VariableType {
    /// Map or list values.
    Complex,
}

/// The `workspace:` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Workspace {
    /// Workspace URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// `~/.databrickscfg` profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Root of the deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_path: Option<String>,
    /// Where artifacts are uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_path: Option<String>,
    /// Other fields (`file_path`, `state_path`, auth fields, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Workspace {
    /// A workspace with a host.
    pub fn with_host(host: impl Into<String>) -> Self {
        Self {
            host: Some(host.into()),
            ..Self::default()
        }
    }

    /// Sets `root_path`.
    pub fn with_root_path(mut self, p: impl Into<String>) -> Self {
        self.root_path = Some(p.into());
        self
    }
}

/// `presets:`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Presets {
    /// Prefix for resource names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<String>,
    /// Tags merged into resources.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// `PAUSED` or `UNPAUSED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_pause_status: Option<String>,
    /// Other presets.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A permission entry (exactly one principal).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Permission {
    /// `CAN_VIEW`, `CAN_RUN`, `CAN_MANAGE` (top level) or a resource-specific level.
    pub level: String,
    /// User principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Group principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// Service principal (application id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_name: Option<String>,
}

impl Permission {
    /// A permission for a group.
    pub fn group(level: impl Into<String>, group: impl Into<String>) -> Self {
        Self {
            level: level.into(),
            group_name: Some(group.into()),
            ..Self::default()
        }
    }

    /// A permission for a user.
    pub fn user(level: impl Into<String>, user: impl Into<String>) -> Self {
        Self {
            level: level.into(),
            user_name: Some(user.into()),
            ..Self::default()
        }
    }
}

/// `run_as:` identity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunAs {
    /// A user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// A service principal application id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_name: Option<String>,
}

impl RunAs {
    /// Runs as a service principal.
    pub fn service_principal(id: impl Into<String>) -> Self {
        Self {
            service_principal_name: Some(id.into()),
            ..Self::default()
        }
    }

    /// Runs as a user.
    pub fn user(name: impl Into<String>) -> Self {
        Self {
            user_name: Some(name.into()),
            ..Self::default()
        }
    }
}

/// `sync:`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SyncConfig {
    /// Paths to sync (default `.`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Globs added back after `.gitignore`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Globs excluded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

/// `resources:`: jobs typed, every other kind kept as opaque values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Resources {
    /// Jobs by resource key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub jobs: BTreeMap<String, Job>,
    /// Other kinds (`pipelines`, `schemas`, …) by kind, then key.
    #[serde(flatten)]
    pub other: BTreeMap<String, BTreeMap<String, Value>>,
}

impl Resources {
    /// True when no resource is defined.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty() && self.other.values().all(BTreeMap::is_empty)
    }
}

/// A job resource: job settings plus bundle-only fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Job {
    /// Job-specific permissions (`CAN_VIEW`, `CAN_MANAGE_RUN`, `CAN_MANAGE`, `IS_OWNER`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<Permission>,
    /// `lifecycle: {prevent_destroy: true}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Value>,
    /// The job settings.
    #[serde(flatten)]
    pub settings: JobSettings,
}

impl Job {
    /// A job resource from settings.
    pub fn new(settings: JobSettings) -> Self {
        Self {
            settings,
            ..Self::default()
        }
    }

    /// Adds a permission.
    pub fn with_permission(mut self, p: Permission) -> Self {
        self.permissions.push(p);
        self
    }
}

/// Deployment mode of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TargetMode {
    /// Personal, prefixed, paused deployments.
    Development,
    /// Shared production deployments.
    Production,
}

/// A deployment target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Target {
    /// Selected when no `-t` is given.
    #[serde(default, skip_serializing_if = "is_false")]
    pub default: bool,
    /// `development` or `production`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<TargetMode>,
    /// Workspace overrides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<Workspace>,
    /// Variable values (shorthand `name: value` or `{default|lookup}` mappings).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, Value>,
    /// Presets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presets: Option<Presets>,
    /// run_as override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as: Option<RunAs>,
    /// Permissions override.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<Permission>,
    /// Resource overrides (merged by key into the root resources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Value>,
    /// Other fields (`bundle`, `sync`, `artifacts`, `git`, `cluster_id`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Target {
    /// A target with a mode.
    pub fn new(mode: TargetMode) -> Self {
        Self {
            mode: Some(mode),
            ..Self::default()
        }
    }

    /// Marks it as the default target.
    pub fn with_default(mut self, d: bool) -> Self {
        self.default = d;
        self
    }

    /// Sets the workspace.
    pub fn with_workspace(mut self, w: Workspace) -> Self {
        self.workspace = Some(w);
        self
    }

    /// Sets a variable value for this target.
    pub fn with_variable(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// Adds a permission.
    pub fn with_permission(mut self, p: Permission) -> Self {
        self.permissions.push(p);
        self
    }

    /// Sets run_as.
    pub fn with_run_as(mut self, r: RunAs) -> Self {
        self.run_as = Some(r);
        self
    }
}
