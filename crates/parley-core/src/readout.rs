//! Competing versions of a text: besides the joint text of an item, a party can publish its own
//! unilateral readout of it (the US and Iranian fact sheets of 2015 that disagreed), with the
//! values it says were agreed. A stance can then be on a party's readout rather than on the joint
//! text. The status compares every readout with the joint text and with the others, value by value.

use serde::{Deserialize, Serialize};

use crate::model::{Moment, Value, Visibility, deserialize_values, serialize_values};

/// A party's own account of an item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Readout {
    pub party: String,
    pub text: String,
    /// Values the party says the item sets, typed by each issue's kind.
    #[serde(serialize_with = "serialize_values", deserialize_with = "deserialize_values")]
    pub proposes: Vec<(String, Value)>,
    /// Issues the party describes in words rather than as a value ("enrichment continues").
    #[serde(serialize_with = "serialize_texts", deserialize_with = "deserialize_texts")]
    pub describes: Vec<(String, String)>,
    pub at: Moment,
    pub source: String,
    pub visibility: Visibility,
}

/// What one party's readout says on an issue.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reading {
    pub party: String,
    /// The value it gives, if it gives one.
    pub value: Option<Value>,
    /// What it says in words, if it describes the issue instead.
    pub text: Option<String>,
}

impl Reading {
    /// The reading as people read it: the value, or the words in quotes.
    pub fn show(&self) -> String {
        match (&self.value, &self.text) {
            (Some(value), _) => value.to_string(),
            (None, Some(text)) => format!("\"{text}\""),
            (None, None) => "—".to_owned(),
        }
    }
}

/// An issue on which readouts differ from the joint text or from each other.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Discrepancy {
    pub issue: String,
    /// The joint text's value, if it proposes one.
    pub joint: Option<Value>,
    /// Every readout that speaks of the issue, in the order of the parties.
    pub readings: Vec<Reading>,
}

/// A readout in force at a point, in a status.
#[derive(Clone, Debug, Serialize)]
pub struct ReadoutStatus {
    pub party: String,
    /// When it was given: a round id or a date.
    pub since: String,
    pub text: String,
    /// Its text differs from the joint text's current one.
    pub text_differs: bool,
    #[serde(serialize_with = "serialize_values")]
    pub proposes: Vec<(String, Value)>,
    #[serde(serialize_with = "serialize_texts")]
    pub describes: Vec<(String, String)>,
    pub source: String,
}

/// Serialises `(issue, words)` pairs as a JSON object in their order.
pub fn serialize_texts<S: serde::Serializer>(pairs: &[(String, String)], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(pairs.iter().map(|(issue, words)| (issue, words)))
}

/// Reads what [`serialize_texts`] writes.
pub fn deserialize_texts<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<(String, String)>, D::Error> {
    let map: std::collections::BTreeMap<String, String> = Deserialize::deserialize(deserializer)?;
    Ok(map.into_iter().collect())
}

/// The issues, in the order met, on which the readouts differ from the joint values or from each
/// other (an issue no readout speaks of is not compared).
pub fn discrepancies(joint: &[(String, Value)], readouts: &[ReadoutStatus]) -> Vec<Discrepancy> {
    let mut issues: Vec<&str> = Vec::new();
    for readout in readouts {
        let named =
            readout.proposes.iter().map(|(issue, _)| issue.as_str()).chain(readout.describes.iter().map(|(issue, _)| issue.as_str()));
        for issue in named {
            if !issues.contains(&issue) {
                issues.push(issue);
            }
        }
    }
    let mut found = Vec::new();
    for issue in issues {
        let joint_value = joint.iter().find(|(proposed, _)| proposed == issue).map(|(_, value)| value.clone());
        let readings: Vec<Reading> = readouts
            .iter()
            .filter_map(|readout| {
                let value = readout.proposes.iter().find(|(named, _)| named == issue).map(|(_, value)| value.clone());
                let text = readout.describes.iter().find(|(named, _)| named == issue).map(|(_, text)| text.clone());
                (value.is_some() || text.is_some()).then(|| Reading { party: readout.party.clone(), value, text })
            })
            .collect();
        let agrees = readings.iter().all(|reading| reading.text.is_none() && reading.value == joint_value);
        if !agrees {
            found.push(Discrepancy { issue: issue.to_owned(), joint: joint_value, readings });
        }
    }
    found
}

/// A party's stance on another's (or its own) readout of an item.
#[derive(Clone, Debug, Serialize)]
pub struct ReadoutStance {
    pub party: String,
    /// Whose readout.
    pub readout: String,
    pub position: crate::model::Position,
    pub since: String,
    pub source: String,
    pub note: String,
}

impl crate::status::Record<'_> {
    /// The readouts of item `index` in force at `at`, where they differ from the joint values of
    /// `current` and from each other, and the stances on them.
    pub(crate) fn readouts_status(
        &self,
        index: usize,
        at: crate::timeline::Instant,
        current: &crate::status::ItemVersion<'_>,
    ) -> (Vec<ReadoutStatus>, Vec<Discrepancy>, Vec<ReadoutStance>) {
        let label = crate::status::Record::moment_label;
        let readouts: Vec<ReadoutStatus> = self
            .readouts_at(index, at)
            .into_iter()
            .map(|readout| ReadoutStatus {
                party: readout.party.clone(),
                since: label(&readout.at),
                text: readout.text.clone(),
                text_differs: !readout.text.is_empty() && readout.text != current.text,
                proposes: readout.proposes.clone(),
                describes: readout.describes.clone(),
                source: readout.source.clone(),
            })
            .collect();
        let discrepancies = discrepancies(&current.proposes, &readouts);
        let stances = self
            .readout_stances_at(index, at)
            .into_iter()
            .map(|stance| ReadoutStance {
                party: stance.party.clone(),
                readout: stance.readout.clone(),
                position: stance.position,
                since: label(&stance.at),
                source: stance.source.clone(),
                note: stance.note.clone(),
            })
            .collect();
        (readouts, discrepancies, stances)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readout(party: &str, proposes: Vec<(&str, Value)>, describes: Vec<(&str, &str)>) -> ReadoutStatus {
        ReadoutStatus {
            party: party.to_owned(),
            since: String::new(),
            text: String::new(),
            text_differs: false,
            proposes: proposes.into_iter().map(|(issue, value)| (issue.to_owned(), value)).collect(),
            describes: describes.into_iter().map(|(issue, text)| (issue.to_owned(), text.to_owned())).collect(),
            source: String::new(),
        }
    }

    #[test]
    fn readouts_agreeing_with_the_joint_values_are_no_discrepancy() {
        let joint = vec![("cap".to_owned(), Value::Real(5.0))];
        let same = [readout("A", vec![("cap", Value::Real(5.0))], vec![]), readout("B", vec![("cap", Value::Real(5.0))], vec![])];
        assert!(discrepancies(&joint, &same).is_empty());
        let differing = [
            readout("A", vec![("cap", Value::Real(3.67))], vec![]),
            readout("B", vec![], vec![("cap", "enrichment continues")]),
            readout("C", vec![("other", Value::Bool(true))], vec![]),
        ];
        let found = discrepancies(&joint, &differing);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].issue, "cap");
        assert_eq!(found[0].joint, Some(Value::Real(5.0)));
        let shown: Vec<String> = found[0].readings.iter().map(Reading::show).collect();
        assert_eq!(shown, ["3.67", "\"enrichment continues\""]);
        // A value the joint text does not give at all differs from it.
        assert_eq!(found[1].issue, "other");
        assert_eq!(found[1].joint, None);
    }
}
