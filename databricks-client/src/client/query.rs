//! Query-string encoding with the API's quirks (databricks-api.md §0): lowercase booleans,
//! repeated keys for arrays, dotted keys for nested objects, `None` skipped.

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

pub(crate) fn to_pairs<Q: Serialize + ?Sized>(query: &Q) -> Result<Vec<(String, String)>> {
    let value = serde_json::to_value(query)
        .map_err(|e| Error::InvalidArgument(format!("could not encode query parameters: {e}")))?;
    let mut pairs = Vec::new();
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                flatten(&key, value, &mut pairs);
            }
        }
        // A slice of (key, value) tuples serializes as an array of 2-element arrays.
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Array(mut kv) if kv.len() == 2 => {
                        let value = kv.pop().unwrap_or(Value::Null);
                        let key = match kv.pop() {
                            Some(Value::String(k)) => k,
                            other => {
                                return Err(Error::InvalidArgument(format!(
                                    "query keys must be strings, got {other:?}"
                                )));
                            }
                        };
                        flatten(&key, value, &mut pairs);
                    }
                    other => {
                        return Err(Error::InvalidArgument(format!(
                            "query parameters must be a map, a struct or (key, value) pairs, got {other}"
                        )));
                    }
                }
            }
        }
        Value::Null => {}
        other => {
            return Err(Error::InvalidArgument(format!(
                "query parameters must be a map, a struct or (key, value) pairs, got {other}"
            )));
        }
    }
    Ok(pairs)
}

fn flatten(key: &str, value: Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push((key.to_owned(), b.to_string())),
        Value::Number(n) => out.push((key.to_owned(), n.to_string())),
        Value::String(s) => out.push((key.to_owned(), s)),
        Value::Array(items) => {
            for item in items {
                flatten(key, item, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&format!("{key}.{k}"), v, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encodes_like_the_sdks() {
        #[derive(Serialize)]
        struct ListClusters {
            page_size: Option<u32>,
            page_token: Option<String>,
            filter_by: Filter,
            expand: bool,
        }
        #[derive(Serialize)]
        struct Filter {
            cluster_states: Vec<&'static str>,
            is_pinned: Option<bool>,
        }
        let pairs = to_pairs(&ListClusters {
            page_size: Some(50),
            page_token: None,
            filter_by: Filter {
                cluster_states: vec!["RUNNING", "PENDING"],
                is_pinned: Some(true),
            },
            expand: false,
        })
        .unwrap();
        // Key order depends on serde_json's map; the relative order of repeated keys does not.
        let mut s: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        s.sort_by_key(|p| p.split('=').next().map(str::to_owned));
        assert_eq!(
            s,
            [
                "expand=false",
                "filter_by.cluster_states=RUNNING",
                "filter_by.cluster_states=PENDING",
                "filter_by.is_pinned=true",
                "page_size=50"
            ]
        );
        assert_eq!(
            to_pairs(&[("job_id", "1")]).unwrap(),
            vec![("job_id".into(), "1".into())]
        );
        assert_eq!(to_pairs(&[("n", 1), ("m", 2)]).unwrap().len(), 2);
        assert!(to_pairs(&json!(5)).is_err());
    }
}
