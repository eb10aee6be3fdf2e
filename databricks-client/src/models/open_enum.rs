//! The crate-private [`open_enum!`] macro behind every "open" string enum of the models.

/// Defines an "open" string enum: the listed variants map to fixed wire strings, and any other
/// value is kept verbatim in an `Other(String)` variant, so new server-side values neither fail
/// decoding nor get lost when written back.
///
/// ```text
/// open_enum! {
///     /// Docs of the enum.
///     pub enum PauseStatus {
///         /// Docs of the variant.
///         Unpaused = "UNPAUSED",
///         /// ...
///         Paused = "PAUSED",
///     }
/// }
/// ```
///
/// The generated enum derives `Debug, Clone, PartialEq, Eq, Hash`, is `#[non_exhaustive]`, and
/// gets `as_str()`, `Display`, `FromStr` (infallible), `From<&str>`, `From<String>`, and string
/// `Serialize`/`Deserialize` that round-trip unknown values through `Other`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The wire value.
            $vis fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Other(s) => s.as_str(),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $( $wire => Self::$variant, )+
                    _ => Self::Other(s),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                // A visitor rather than `String`: a known value borrowed from the input
                // allocates nothing (only `Other` owns its text).
                struct OpenEnumVisitor;
                impl<'de> ::serde::de::Visitor<'de> for OpenEnumVisitor {
                    type Value = $name;
                    fn expecting(
                        &self,
                        f: &mut ::std::fmt::Formatter<'_>,
                    ) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(
                        self,
                        v: &str,
                    ) -> ::std::result::Result<$name, E> {
                        Ok($name::from(v))
                    }
                    fn visit_string<E: ::serde::de::Error>(
                        self,
                        v: String,
                    ) -> ::std::result::Result<$name, E> {
                        Ok($name::from(v))
                    }
                }
                deserializer.deserialize_str(OpenEnumVisitor)
            }
        }
    };
}
pub(crate) use open_enum;

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    open_enum! {
        /// A test enum.
        enum Fruit {
            /// An apple.
            Apple = "APPLE",
            /// A mixed-case wire value.
            BloodOrange = "bloodOrange",
        }
    }

    #[test]
    fn known_value_round_trips() {
        let fruit: Fruit = serde_json::from_str(r#""APPLE""#).unwrap();
        assert_eq!(fruit, Fruit::Apple);
        assert_eq!(fruit.as_str(), "APPLE");
        assert_eq!(fruit.to_string(), "APPLE");
        assert_eq!(serde_json::to_string(&fruit).unwrap(), r#""APPLE""#);

        let orange: Fruit = serde_json::from_str(r#""bloodOrange""#).unwrap();
        assert_eq!(orange, Fruit::BloodOrange);
        assert_eq!(serde_json::to_value(&orange).unwrap(), "bloodOrange");
    }

    #[test]
    fn unknown_value_round_trips_verbatim() {
        let fruit: Fruit = serde_json::from_str(r#""DRAGON_FRUIT""#).unwrap();
        assert_eq!(fruit, Fruit::Other("DRAGON_FRUIT".to_owned()));
        assert_eq!(fruit.as_str(), "DRAGON_FRUIT");
        assert_eq!(fruit.to_string(), "DRAGON_FRUIT");
        assert_eq!(serde_json::to_string(&fruit).unwrap(), r#""DRAGON_FRUIT""#);
        // Matching is exact: another spelling of a known value is kept as it was sent.
        let lower: Fruit = serde_json::from_value(serde_json::json!("apple")).unwrap();
        assert_eq!(lower, Fruit::Other("apple".to_owned()));
        assert_eq!(serde_json::to_value(&lower).unwrap(), "apple");
    }

    #[test]
    fn conversions_agree() {
        for wire in ["APPLE", "bloodOrange", "KIWI", ""] {
            let from_str = Fruit::from(wire);
            assert_eq!(Fruit::from(wire.to_owned()), from_str);
            assert_eq!(Fruit::from_str(wire), Ok(from_str.clone()));
            assert_eq!(wire.parse::<Fruit>().unwrap().as_str(), wire);
            assert_eq!(from_str.to_string(), wire);
        }
        assert_eq!(Fruit::from("KIWI".to_owned()), Fruit::Other("KIWI".into()));
        assert!(serde_json::from_str::<Fruit>("42").is_err());
    }
}
