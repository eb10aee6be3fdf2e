//! `~/.databrickscfg`: an INI file whose sections are profiles (databricks-api.md §1.3).
//!
//! Rules, as in the official SDKs: full-line `#`/`;` comments only; keys are the attribute names
//! of [`ConfigKey`](super::ConfigKey) (unknown keys such as the CLI's `jobs-api-version` are
//! ignored); `[__settings__]` is reserved and may name a `default_profile`; a named profile does
//! **not** inherit `[DEFAULT]`.

use std::collections::BTreeMap;
use std::path::Path;

/// The reserved settings section.
pub(crate) const SETTINGS_SECTION: &str = "__settings__";
/// The fallback profile.
pub(crate) const DEFAULT_PROFILE: &str = "DEFAULT";

/// A selected profile: its name and keys.
pub(crate) type Profile<'a> = (String, &'a BTreeMap<String, String>);

/// A parsed config file: sections in file order, each a map of lower-case keys to values.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ConfigFile {
    sections: Vec<(String, BTreeMap<String, String>)>,
}

impl ConfigFile {
    /// Parses INI text. Malformed lines are reported with their line number.
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Self, String> {
        let mut file = Self::default();
        let mut current: Option<usize> = None;
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let Some(name) = rest.strip_suffix(']') else {
                    return Err(format!(
                        "{}:{}: section header `{line}` is missing `]`",
                        path.display(),
                        index + 1
                    ));
                };
                let name = name.trim().to_owned();
                current = Some(match file.sections.iter().position(|(n, _)| *n == name) {
                    Some(i) => i,
                    None => {
                        file.sections.push((name, BTreeMap::new()));
                        file.sections.len() - 1
                    }
                });
                continue;
            }
            let Some((key, value)) = line.split_once(['=', ':']) else {
                return Err(format!(
                    "{}:{}: expected `key = value`, found `{}`",
                    path.display(),
                    index + 1,
                    // Never echo a whole line: it may be a secret without its key.
                    line.chars().take(12).collect::<String>()
                ));
            };
            let Some(section) = current.and_then(|i| file.sections.get_mut(i)) else {
                return Err(format!(
                    "{}:{}: `{}` appears before any [section]",
                    path.display(),
                    index + 1,
                    key.trim()
                ));
            };
            section
                .1
                .insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        Ok(file)
    }

    /// The keys of one section, if it exists.
    pub(crate) fn section(&self, name: &str) -> Option<&BTreeMap<String, String>> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, keys)| keys)
    }

    /// Profile names (every section but `__settings__`).
    pub(crate) fn profiles(&self) -> Vec<&str> {
        self.sections
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| *n != SETTINGS_SECTION)
            .collect()
    }

    /// Picks the profile: explicit → `[__settings__] default_profile` → `[DEFAULT]` if it has
    /// keys → none. An explicitly requested profile that does not exist is an error.
    pub(crate) fn select(
        &self,
        requested: Option<&str>,
        path: &Path,
    ) -> Result<Option<Profile<'_>>, String> {
        if let Some(name) = requested {
            if name == SETTINGS_SECTION {
                return Err(format!(
                    "`{SETTINGS_SECTION}` is reserved in {} and cannot be used as a profile",
                    path.display()
                ));
            }
            return match self.section(name) {
                Some(keys) => Ok(Some((name.to_owned(), keys))),
                None => Err(format!(
                    "profile `{name}` not found in {}; available profiles: {}. Set DATABRICKS_CONFIG_PROFILE to one of them",
                    path.display(),
                    display_list(&self.profiles())
                )),
            };
        }
        if let Some(default) = self
            .section(SETTINGS_SECTION)
            .and_then(|s| s.get("default_profile"))
        {
            return match self.section(default) {
                Some(keys) => Ok(Some((default.clone(), keys))),
                None => Err(format!(
                    "[{SETTINGS_SECTION}] default_profile = {default} in {}, but there is no such profile; available: {}",
                    path.display(),
                    display_list(&self.profiles())
                )),
            };
        }
        Ok(self
            .section(DEFAULT_PROFILE)
            .filter(|keys| !keys.is_empty())
            .map(|keys| (DEFAULT_PROFILE.to_owned(), keys)))
    }
}

fn display_list(items: &[&str]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# a comment
[__settings__]
default_profile = dev

[DEFAULT]
host  = https://adb-123.4.azuredatabricks.net
token = dapi-default

[dev]
host          = https://dbc-abc.cloud.databricks.com
client_id     = 6f1c
client_secret = dose
jobs-api-version = 2.1
";

    #[test]
    fn parses_sections_and_selects_default_profile() {
        let f = ConfigFile::parse(TEXT, Path::new("cfg")).unwrap();
        assert_eq!(f.profiles(), vec!["DEFAULT", "dev"]);
        let (name, keys) = f.select(None, Path::new("cfg")).unwrap().unwrap();
        assert_eq!(name, "dev");
        // A named profile does not inherit [DEFAULT].
        assert!(!keys.contains_key("token"));
        assert_eq!(keys.get("client_id").map(String::as_str), Some("6f1c"));
    }

    #[test]
    fn missing_requested_profile_lists_available() {
        let f = ConfigFile::parse(TEXT, Path::new("cfg")).unwrap();
        let err = f.select(Some("prod"), Path::new("cfg")).unwrap_err();
        assert!(err.contains("DEFAULT, dev"), "{err}");
        assert!(f.select(Some("__settings__"), Path::new("cfg")).is_err());
    }

    #[test]
    fn default_section_is_a_fallback_only_when_not_empty() {
        let f = ConfigFile::parse("[DEFAULT]\n[x]\nhost=h\n", Path::new("c")).unwrap();
        assert!(f.select(None, Path::new("c")).unwrap().is_none());
    }

    #[test]
    fn malformed_lines_are_errors_without_echoing_secrets() {
        let err =
            ConfigFile::parse("[a]\ndapi-secret-value-without-key\n", Path::new("c")).unwrap_err();
        assert!(err.contains("c:2"), "{err}");
        assert!(!err.contains("secret-value"), "{err}");
        assert!(ConfigFile::parse("host = x\n", Path::new("c")).is_err());
    }
}
