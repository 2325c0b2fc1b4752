//! A hit's metadata, parsed from its stored JSON only when it is read.

use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// The record's other scalar fields (`title`, `date`, …) of a hit from a JSON Lines source;
/// empty for other sources.
///
/// It dereferences to a [`serde_json::Map`]. The index stores it as JSON, which is parsed
/// on first access: parsing is a good part of the cost of turning a stored paragraph into a
/// hit, and most callers read the metadata of a few hits, or of none.
///
/// ```
/// let metadata = zhen::Metadata::from_json(r#"{"title":"反人口贩运法","year":2021}"#);
/// assert_eq!(metadata["title"], "反人口贩运法");
/// assert_eq!(metadata.get("year").and_then(|y| y.as_u64()), Some(2021));
/// assert!(zhen::Metadata::default().is_empty());
/// ```
#[derive(Clone, Default)]
pub struct Metadata {
    /// The stored JSON object; `None` when the paragraph has no metadata.
    json: Option<String>,
    parsed: OnceLock<Map<String, Value>>,
}

impl Metadata {
    /// Metadata from the JSON text of an object. Text that is not a JSON object reads as
    /// empty metadata.
    pub fn from_json(json: impl Into<String>) -> Metadata {
        Metadata {
            json: Some(json.into()),
            parsed: OnceLock::new(),
        }
    }

    /// The fields, parsed on the first call.
    pub fn as_map(&self) -> &Map<String, Value> {
        self.parsed.get_or_init(|| match &self.json {
            Some(json) => serde_json::from_str(json).unwrap_or_default(),
            None => Map::new(),
        })
    }

    /// Whether there are no fields; answered without parsing when nothing is stored.
    pub fn is_empty(&self) -> bool {
        match (&self.json, self.parsed.get()) {
            (None, None) => true,
            _ => self.as_map().is_empty(),
        }
    }
}

impl Deref for Metadata {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Map<String, Value> {
        self.as_map()
    }
}

impl From<Map<String, Value>> for Metadata {
    fn from(map: Map<String, Value>) -> Metadata {
        Metadata {
            json: None,
            parsed: OnceLock::from(map),
        }
    }
}

impl PartialEq for Metadata {
    fn eq(&self, other: &Metadata) -> bool {
        self.as_map() == other.as_map()
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_map().fmt(f)
    }
}

/// Serialises as the JSON object of its fields.
impl Serialize for Metadata {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_map().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_json_reads_as_its_fields_and_serialises_back_to_them() {
        let json = r#"{"category":"DLC","id":"law-00398-0029","title":"北京市种子条例"}"#;
        let metadata = Metadata::from_json(json);
        assert!(!metadata.is_empty());
        assert_eq!(metadata.len(), 3);
        assert_eq!(metadata["title"], "北京市种子条例");
        assert_eq!(serde_json::to_string(&metadata).unwrap(), json);
        let map: Map<String, Value> = serde_json::from_str(json).unwrap();
        let from_map = Metadata::from(map);
        assert!(!from_map.is_empty());
        assert_eq!(serde_json::to_string(&from_map).unwrap(), json);
        assert_eq!(from_map, metadata);
        assert!(Metadata::from(Map::new()).is_empty());
    }

    #[test]
    fn nothing_stored_or_unreadable_json_is_empty_metadata() {
        assert!(Metadata::default().is_empty());
        assert_eq!(serde_json::to_string(&Metadata::default()).unwrap(), "{}");
        let broken = Metadata::from_json("{\"title\":");
        assert!(broken.is_empty());
        assert!(Metadata::from_json("[1, 2]").is_empty());
    }
}
