//! Choosing models by name: the `--models` flag, `spec.semanticModels`, a toolset's allow-list.
//!
//! Providers list models under their qualified names (`main.sales.revenue_metrics` on
//! Databricks, `SALES.PUBLIC.REVENUE_METRICS` on Snowflake) while people and manifests name them
//! short (`revenue_metrics`). A [`ModelSelector`] accepts both: a selector matches a model when,
//! compared case-insensitively, it equals the model's full name or a dot-aligned suffix of it
//! (`revenue_metrics`, `sales.revenue_metrics`, `main.sales.revenue_metrics` all select
//! `main.sales.revenue_metrics`; `metrics` does not). A short name that two schemas share selects
//! both. Selectors that match nothing are reported by [`ModelSelector::select`] instead of being
//! ignored.
//!
//! ```
//! use datasource_model::ModelSelector;
//!
//! let selector = ModelSelector::new(["revenue_metrics", "Customer_360", "missing"]);
//! let names = ["main.sales.revenue_metrics", "main.sales.customer_360", "main.sales.orders"];
//! let selection = selector.select(names, |n| *n);
//! assert_eq!(selection.selected, ["main.sales.revenue_metrics", "main.sales.customer_360"]);
//! assert_eq!(selection.not_found, ["missing"]);
//! ```

/// Whether `selector` names the model called `name`: equal, or equal to a dot-aligned suffix of
/// it, ignoring case. Blank selectors match nothing.
pub fn selector_matches(selector: &str, name: &str) -> bool {
    let selector = selector.trim();
    if selector.is_empty() {
        return false;
    }
    let selector = selector.to_lowercase();
    let name = name.trim().to_lowercase();
    if name == selector {
        return true;
    }
    // Dot-aligned suffix: `sales.revenue_metrics` in `main.sales.revenue_metrics`, not
    // `metrics` in `revenue_metrics`.
    name.len() > selector.len()
        && name.ends_with(selector.as_str())
        && name.as_bytes()[name.len() - selector.len() - 1] == b'.'
}

/// A set of model selectors; empty selects every model. Cheap to clone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ModelSelector {
    selectors: Vec<String>,
}

impl ModelSelector {
    /// Selects the models named by `selectors` (short or qualified names, any case). Blank
    /// entries (from `--models=a,,b`) are dropped and surrounding whitespace is trimmed;
    /// duplicates (ignoring case) are kept once.
    pub fn new<I, S>(selectors: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut kept: Vec<String> = Vec::new();
        for s in selectors {
            let s = s.as_ref().trim();
            if s.is_empty() || kept.iter().any(|k| k.to_lowercase() == s.to_lowercase()) {
                continue;
            }
            kept.push(s.to_owned());
        }
        Self { selectors: kept }
    }

    /// Selects every model.
    pub fn all() -> Self {
        Self::default()
    }

    /// True when no selector was given: every model is selected.
    pub fn is_all(&self) -> bool {
        self.selectors.is_empty()
    }

    /// The selectors, as given (trimmed, blanks and duplicates dropped).
    pub fn selectors(&self) -> &[String] {
        &self.selectors
    }

    /// Whether the model called `name` is selected.
    pub fn matches(&self, name: &str) -> bool {
        self.is_all() || self.selectors.iter().any(|s| selector_matches(s, name))
    }

    /// Keeps the items whose name is selected, in their order, and reports the selectors that
    /// matched none of `items`.
    pub fn select<T, I, F>(&self, items: I, name: F) -> Selection<T>
    where
        I: IntoIterator<Item = T>,
        F: Fn(&T) -> &str,
    {
        let mut used = vec![false; self.selectors.len()];
        let mut selected = Vec::new();
        for item in items {
            if self.is_all() {
                selected.push(item);
                continue;
            }
            let mut hit = false;
            for (i, s) in self.selectors.iter().enumerate() {
                if selector_matches(s, name(&item)) {
                    used[i] = true;
                    hit = true;
                }
            }
            if hit {
                selected.push(item);
            }
        }
        let not_found = self
            .selectors
            .iter()
            .zip(used)
            .filter(|(_, used)| !used)
            .map(|(s, _)| s.clone())
            .collect();
        Selection {
            selected,
            not_found,
        }
    }
}

/// What [`ModelSelector::select`] kept, and which selectors found nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Selection<T> {
    /// The selected items, in input order.
    pub selected: Vec<T>,
    /// Selectors that matched no item, in the order given.
    pub not_found: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUALIFIED: &str = "main.sales.revenue_metrics";

    #[test]
    fn every_form_of_a_name_selects_the_model() {
        for selector in [
            "revenue_metrics",
            "REVENUE_METRICS",
            "Revenue_Metrics",
            "sales.revenue_metrics",
            "SALES.revenue_metrics",
            "main.sales.revenue_metrics",
            "MAIN.SALES.REVENUE_METRICS",
            "  revenue_metrics  ",
            "\trevenue_metrics\n",
        ] {
            assert!(selector_matches(selector, QUALIFIED), "{selector:?}");
        }
    }

    #[test]
    fn partial_or_foreign_names_do_not_select() {
        for selector in [
            "",
            "   ",
            "metrics",
            "_metrics",
            "revenue",
            "es.revenue_metrics",
            "ales.revenue_metrics",
            "other.revenue_metrics",
            "main.sales",
            "main",
            ".revenue_metrics",
            "x.main.sales.revenue_metrics",
            "revenue_metrics.",
            "main.sales.revenue_metrics2",
            "revenue metrics",
        ] {
            assert!(!selector_matches(selector, QUALIFIED), "{selector:?}");
        }
    }

    #[test]
    fn short_names_match_short_model_names() {
        assert!(selector_matches("orders", "orders"));
        assert!(selector_matches("ORDERS", "orders"));
        assert!(!selector_matches("main.sales.orders", "orders"));
        assert!(!selector_matches("order", "orders"));
    }

    #[test]
    fn unicode_names_compare_case_insensitively() {
        assert!(selector_matches("umsätze", "main.verkauf.UMSÄTZE"));
        assert!(selector_matches("VERKAUF.umsätze", "main.verkauf.Umsätze"));
        assert!(!selector_matches("sätze", "main.verkauf.umsätze"));
    }

    #[test]
    fn the_proposal_flags_select_both_databricks_views() {
        let selector = ModelSelector::new("revenue_metrics,customer_360".split(','));
        let listed = [
            "main.sales.revenue_metrics",
            "main.sales.orders_metrics",
            "main.sales.customer_360",
        ];
        let s = selector.select(listed, |n| *n);
        assert_eq!(
            s.selected,
            ["main.sales.revenue_metrics", "main.sales.customer_360"]
        );
        assert!(s.not_found.is_empty());
    }

    #[test]
    fn a_short_name_in_two_schemas_selects_both() {
        let selector = ModelSelector::new(["revenue_metrics"]);
        let listed = [
            "main.sales.revenue_metrics",
            "main.finance.revenue_metrics",
            "main.finance.costs",
        ];
        let s = selector.select(listed, |n| *n);
        assert_eq!(
            s.selected,
            ["main.sales.revenue_metrics", "main.finance.revenue_metrics"]
        );
        // A qualified selector picks one.
        let one = ModelSelector::new(["finance.revenue_metrics"]).select(listed, |n| *n);
        assert_eq!(one.selected, ["main.finance.revenue_metrics"]);
    }

    #[test]
    fn selectors_matching_nothing_are_reported_in_order() {
        let selector = ModelSelector::new(["nope", "revenue_metrics", "main.other.x", "Nope2"]);
        let s = selector.select(["main.sales.revenue_metrics"], |n| *n);
        assert_eq!(s.selected, ["main.sales.revenue_metrics"]);
        assert_eq!(s.not_found, ["nope", "main.other.x", "Nope2"]);
        let empty = selector.select(Vec::<&str>::new(), |n| *n);
        assert!(empty.selected.is_empty());
        assert_eq!(empty.not_found.len(), 4);
    }

    #[test]
    fn an_empty_selector_selects_everything_and_reports_nothing() {
        for selector in [
            ModelSelector::all(),
            ModelSelector::new(Vec::<String>::new()),
            ModelSelector::new(["", " ", ""]),
        ] {
            assert!(selector.is_all());
            assert!(selector.matches("anything.at.all"));
            let s = selector.select(["a", "b.c"], |n| *n);
            assert_eq!(s.selected, ["a", "b.c"]);
            assert!(s.not_found.is_empty());
        }
    }

    #[test]
    fn blanks_and_case_duplicates_are_dropped() {
        let selector = ModelSelector::new([" a ", "", "A", "b", "a"]);
        assert_eq!(selector.selectors(), ["a", "b"]);
    }

    #[test]
    fn every_selector_matching_an_item_is_marked_used() {
        let selector = ModelSelector::new(["revenue_metrics", "sales.revenue_metrics"]);
        let s = selector.select(["main.sales.revenue_metrics"], |n| *n);
        assert!(s.not_found.is_empty());
        assert_eq!(s.selected.len(), 1, "an item is kept once");
    }

    /// Property-style: for generated qualified names, every dot-aligned suffix in any case
    /// selects, and every non-aligned suffix does not.
    #[test]
    fn suffix_property_over_generated_names() {
        let parts = ["main", "Sales", "rev_2024", "x", "customer_360", "ümlaut"];
        let mut checked = 0;
        for a in parts {
            for b in parts {
                for c in parts {
                    let name = format!("{a}.{b}.{c}");
                    for suffix in [c.to_owned(), format!("{b}.{c}"), name.clone()] {
                        assert!(selector_matches(&suffix, &name), "{suffix} / {name}");
                        assert!(selector_matches(&suffix.to_uppercase(), &name));
                        assert!(selector_matches(
                            &suffix.to_lowercase(),
                            &name.to_uppercase()
                        ));
                        checked += 1;
                    }
                    // Cut inside a segment: never aligned, never a match (unless equal).
                    let chars: Vec<char> = c.chars().collect();
                    if chars.len() > 1 {
                        let inner: String = chars[1..].iter().collect();
                        assert!(!selector_matches(&inner, &name), "{inner} / {name}");
                        assert!(!selector_matches(&format!("{b}{inner}"), &name));
                    }
                    assert!(!selector_matches(&format!("{name}.more"), &name));
                }
            }
        }
        assert!(checked > 300);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn segment() -> impl Strategy<Value = String> {
            "[A-Za-z_][A-Za-z0-9_]{0,11}"
        }

        fn name() -> impl Strategy<Value = Vec<String>> {
            prop::collection::vec(segment(), 1..4)
        }

        fn flip_case(s: &str, mask: u64) -> String {
            s.chars()
                .enumerate()
                .map(|(i, c)| {
                    if mask >> (i % 64) & 1 == 1 {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect()
        }

        proptest! {
            /// Every dot-aligned suffix of a qualified name, in any case, selects it.
            #[test]
            fn aligned_suffixes_select(parts in name(), cut in 0usize..4, mask in any::<u64>()) {
                let full = parts.join(".");
                let from = cut.min(parts.len() - 1);
                let suffix = parts[from..].join(".");
                prop_assert!(selector_matches(&flip_case(&suffix, mask), &full));
                prop_assert!(selector_matches(&suffix, &flip_case(&full, mask)));
            }

            /// A selector that ends inside a segment, or names a longer path, never selects.
            #[test]
            fn unaligned_or_longer_selectors_do_not_select(
                parts in name(),
                extra in segment(),
                skip in 1usize..6,
            ) {
                let full = parts.join(".");
                let last = &parts[parts.len() - 1];
                if last.chars().count() > skip {
                    let inner: String = last.chars().skip(skip).collect();
                    prop_assert!(!selector_matches(&inner, &full), "{inner} / {full}");
                }
                let longer = format!("{extra}.{full}");
                prop_assert!(!selector_matches(&longer, &full));
                let longer = format!("{full}.{extra}");
                prop_assert!(!selector_matches(&longer, &full));
            }

            /// `select` keeps exactly the matching items, in order, and reports exactly the
            /// selectors that matched none.
            #[test]
            fn select_agrees_with_matches(
                names in prop::collection::vec(name(), 0..8),
                selectors in prop::collection::vec(prop::collection::vec(segment(), 1..3), 0..5),
            ) {
                let names: Vec<String> = names.iter().map(|p| p.join(".")).collect();
                let selectors: Vec<String> = selectors.iter().map(|p| p.join(".")).collect();
                let selector = ModelSelector::new(&selectors);
                let selection = selector.select(names.iter(), |n| n.as_str());
                let expected: Vec<&String> =
                    names.iter().filter(|n| selector.matches(n)).collect();
                prop_assert_eq!(&selection.selected, &expected);
                for s in selector.selectors() {
                    let used = names.iter().any(|n| selector_matches(s, n));
                    prop_assert_eq!(!used, selection.not_found.contains(s));
                }
            }
        }
    }
}
