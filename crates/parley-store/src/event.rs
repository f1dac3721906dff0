//! Events, the changes a scenario implies, and the negotiation they fold into.

use std::collections::HashMap;

use parley_core::model::{Assessment, Demand, Item, Moment, Negotiation, Obligation, Party, Preference, RedLine, Round, Stance, Statement};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// What an event does to its entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    Upsert,
    Delete,
}

impl Op {
    pub fn keyword(self) -> &'static str {
        match self {
            Op::Upsert => "upsert",
            Op::Delete => "delete",
        }
    }
}

/// Every entity kind an event can be about.
pub const KINDS: &[&str] = &[
    "negotiation",
    "party",
    "issue",
    "round",
    "item",
    "stance",
    "red-line",
    "statement",
    "preference",
    "demand",
    "key",
    "obligation",
    "assessment",
];

/// An event to append: the chain fields are filled in by the store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// The entity kind: `negotiation`, `party`, `issue`, `round`, `item`, `stance`, `red-line`,
    /// `statement`, `preference`, `demand` or `key`.
    pub kind: String,
    /// The entity's key within its kind (an id, an item number, a party).
    pub key: String,
    pub op: Op,
    /// Who made the change: a party id, or `import` for a scenario file's neutral content.
    pub actor: String,
    /// The entity (canonical JSON), `null` for a deletion.
    pub payload: Json,
}

/// A stored event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub negotiation: String,
    /// 1, 2, 3, ... within the negotiation.
    pub seq: u64,
    pub kind: String,
    pub key: String,
    pub op: Op,
    pub actor: String,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub recorded_at: String,
    pub payload: Json,
    /// Hex SHA-256 of the previous event (64 zeros for the first).
    pub prev_hash: String,
    pub hash: String,
    /// Hex ed25519 signature of the hash by the actor's registered key, if signed.
    pub signature: Option<String>,
}

/// An event row as a backend stores it, all text, before interpretation.
#[derive(Debug)]
pub struct StoredRow {
    pub negotiation: String,
    pub seq: i64,
    pub kind: String,
    pub key: String,
    pub op: String,
    pub actor: String,
    pub recorded_at: String,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
    pub signature: Option<String>,
}

impl From<StoredRow> for Event {
    /// Reads a row however it was altered, so that `verify` can report the damage instead of the
    /// read failing: an unknown op is kept in the kind (which then fails the hash check), and a
    /// payload that is not JSON is kept as a JSON string.
    fn from(row: StoredRow) -> Event {
        let (op, kind) = match row.op.as_str() {
            "upsert" => (Op::Upsert, row.kind),
            "delete" => (Op::Delete, row.kind),
            other => (Op::Upsert, format!("{}?op={other}", row.kind)),
        };
        Event {
            negotiation: row.negotiation,
            seq: row.seq as u64,
            kind,
            key: row.key,
            op,
            actor: row.actor,
            recorded_at: row.recorded_at,
            payload: serde_json::from_str(&row.payload).unwrap_or(Json::String(row.payload)),
            prev_hash: row.prev_hash,
            hash: row.hash,
            signature: row.signature,
        }
    }
}

impl Op {
    /// The op a stored text names; anything but `delete` folds as an upsert (and fails `verify`).
    pub fn from_stored(text: &str) -> Op {
        if text == "delete" { Op::Delete } else { Op::Upsert }
    }
}

/// One entity of a negotiation as the log keys it.
struct Entity {
    kind: &'static str,
    key: String,
    actor: String,
    /// The entity's JSON, written so that equal texts mean equal entities.
    text: String,
}

/// The JSON text of any model value (they all serialise; a failure would be a bug, seen as a change).
fn text_of(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A stance's content as the log has always keyed it: its JSON with object keys sorted (the text
/// of a `serde_json::Value`), written directly. Destructuring makes a new field a compile error
/// here, and a test checks the text against the `Value` route.
fn stance_content(stance: &Stance) -> String {
    let Stance { party, item, position, at, source, visibility, note } = stance;
    #[derive(Serialize)]
    struct Sorted<'a> {
        at: &'a Moment,
        item: u32,
        note: &'a str,
        party: &'a str,
        position: parley_core::model::Position,
        source: &'a str,
        visibility: parley_core::model::Visibility,
    }
    text_of(&Sorted { at, item: *item, note, party, position: *position, source, visibility: *visibility })
}

/// The SHA-256 (hex) of a stance's content: the part before `#` of its event key, which `verify`
/// recomputes from the payload.
pub fn stance_digest(stance: &Stance) -> String {
    crate::chain::sha256_hex(stance_content(stance).as_bytes())
}

/// The entities of a negotiation in dependency order.
fn entities(negotiation: &Negotiation) -> Vec<Entity> {
    let entity = |kind, key: String, actor: &str, text| Entity { kind, key, actor: actor.to_owned(), text };
    let mut entities = Vec::with_capacity(
        1 + negotiation.parties.len()
            + negotiation.issues.len()
            + negotiation.rounds.len()
            + negotiation.items.len()
            + negotiation.stances.len(),
    );
    let header = Header {
        id: negotiation.id.clone(),
        title: negotiation.title.clone(),
        description: negotiation.description.clone(),
        signatories: negotiation.signatories.clone(),
    };
    entities.push(entity("negotiation", negotiation.id.clone(), "import", text_of(&header)));
    for party in &negotiation.parties {
        entities.push(entity("party", party.id.clone(), "import", text_of(party)));
    }
    for issue in &negotiation.issues {
        entities.push(entity("issue", issue.id.clone(), "import", text_of(issue)));
    }
    for round in &negotiation.rounds {
        entities.push(entity("round", round.id.clone(), "import", text_of(round)));
    }
    for item in &negotiation.items {
        // Proposed values are kept in the order the issues are declared, which a file may change
        // without changing the item: compared as a JSON tree's text (object keys sorted).
        let text = serde_json::to_value(item).map(|tree| tree.to_string()).unwrap_or_default();
        entities.push(entity("item", item.number.to_string(), item.by.as_deref().unwrap_or("import"), text));
    }
    // Stances are facts at moments: keyed by their content, so re-importing the same stance twice
    // is one entity, and a stance can appear more than once only if it differs.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for stance in &negotiation.stances {
        let digest = stance_digest(stance);
        let count = seen.entry(digest.clone()).and_modify(|count| *count += 1).or_insert(1);
        let key = format!("{digest}#{count}");
        entities.push(entity("stance", key, &stance.party, text_of(stance)));
    }
    for red_line in &negotiation.red_lines {
        entities.push(entity("red-line", red_line.id.clone(), &red_line.party, text_of(red_line)));
    }
    for statement in &negotiation.statements {
        entities.push(entity("statement", statement.id.clone(), statement.party.as_deref().unwrap_or("import"), text_of(statement)));
    }
    for preference in &negotiation.preferences {
        // Its issues and options follow the issues' declaration order, which a file may change
        // without changing the valuation: compared (and stored) by name instead.
        let mut canonical = preference.clone();
        canonical.issues.sort_by(|a, b| a.issue.cmp(&b.issue));
        for entry in &mut canonical.issues {
            match &mut entry.valuation {
                parley_core::model::Valuation::Table { values } => values.sort_by(|a, b| a.0.cmp(&b.0)),
                parley_core::model::Valuation::Elements { elements, .. } => elements.sort_by(|a, b| a.0.cmp(&b.0)),
                parley_core::model::Valuation::Linear { .. } => {}
            }
        }
        entities.push(entity("preference", preference.party.clone(), &preference.party, text_of(&canonical)));
    }
    for demand in &negotiation.demands {
        // Undated demands keep the key they always had; a dated one is keyed by its moment too, so
        // that a party's demands on an issue over time are separate entities.
        let key = match &demand.at {
            Moment::Start => format!("{}/{}", demand.party, demand.issue),
            Moment::Round(round) => format!("{}/{}@round:{round}", demand.party, demand.issue),
            Moment::Date(date) => format!("{}/{}@date:{date}", demand.party, demand.issue),
        };
        entities.push(entity("demand", key, &demand.party, text_of(demand)));
    }
    for obligation in &negotiation.obligations {
        entities.push(entity("obligation", obligation.id.clone(), "import", text_of(obligation)));
    }
    for assessment in &negotiation.implementation {
        let key = match &assessment.at {
            Moment::Start => assessment.obligation.clone(),
            Moment::Round(round) => format!("{}@round:{round}", assessment.obligation),
            Moment::Date(date) => format!("{}@date:{date}", assessment.obligation),
        };
        entities.push(entity("assessment", key, "import", text_of(assessment)));
    }
    entities
}

/// The events that turn the state `current` (folded from the log) into `wanted`: upserts of new or
/// changed entities, deletions of vanished ones. Importing the same scenario twice yields none.
pub fn changes(current: Option<&Negotiation>, wanted: &Negotiation) -> Vec<NewEvent> {
    let before = current.map(entities).unwrap_or_default();
    let after = entities(wanted);
    let before_index: HashMap<(&str, &str), &str> =
        before.iter().map(|entity| ((entity.kind, entity.key.as_str()), entity.text.as_str())).collect();
    let mut events = Vec::new();
    for entity in &after {
        if before_index.get(&(entity.kind, entity.key.as_str())) != Some(&entity.text.as_str()) {
            // The payload as stored and hashed: a JSON tree (object keys sorted).
            let payload = serde_json::from_str(&entity.text).unwrap_or(Json::Null);
            events.push(NewEvent {
                kind: entity.kind.to_owned(),
                key: entity.key.clone(),
                op: Op::Upsert,
                actor: entity.actor.clone(),
                payload,
            });
        }
    }
    let kept: std::collections::HashSet<(&str, &str)> = after.iter().map(|entity| (entity.kind, entity.key.as_str())).collect();
    // Dependents go first (a party's stances before the party), so that the state after every
    // event of the import is one a scenario file can hold.
    for entity in before.into_iter().rev().filter(|entity| !kept.contains(&(entity.kind, entity.key.as_str()))) {
        events.push(NewEvent { kind: entity.kind.to_owned(), key: entity.key, op: Op::Delete, actor: entity.actor, payload: Json::Null });
    }
    events
}

/// Why events do not fold into a negotiation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event {seq} ({kind} {key}): {message}")]
pub struct FoldError {
    pub seq: u64,
    pub kind: String,
    pub key: String,
    pub message: String,
}

/// Entities of one kind in first-insertion order, replaced in place by later upserts. Serialised as
/// the live `[key, entity]` pairs in that order (a deleted entity's place is not kept: a later
/// upsert of the same key goes to the end either way).
struct Collection<T> {
    entries: Vec<Option<T>>,
    /// Each live entity's key and slot; the one place keys are kept.
    index: HashMap<String, usize>,
}

impl<T> Default for Collection<T> {
    fn default() -> Collection<T> {
        Collection::new()
    }
}

impl<T> Collection<T> {
    fn new() -> Collection<T> {
        Collection { entries: Vec::new(), index: HashMap::new() }
    }

    fn upsert(&mut self, key: &str, value: T) {
        match self.index.get(key) {
            Some(&slot) => self.entries[slot] = Some(value),
            None => {
                self.index.insert(key.to_owned(), self.entries.len());
                self.entries.push(Some(value));
            }
        }
    }

    fn delete(&mut self, key: &str) {
        if let Some(slot) = self.index.remove(key) {
            self.entries[slot] = None;
        }
    }

    fn values(self) -> Vec<T> {
        self.entries.into_iter().flatten().collect()
    }
}

impl<T: Serialize> Serialize for Collection<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut keys: Vec<(usize, &str)> = self.index.iter().map(|(key, slot)| (*slot, key.as_str())).collect();
        keys.sort_unstable();
        serializer.collect_seq(keys.into_iter().filter_map(|(slot, key)| self.entries[slot].as_ref().map(|value| (key, value))))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Collection<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pairs: Vec<(String, T)> = Vec::deserialize(deserializer)?;
        let mut collection = Collection { entries: Vec::with_capacity(pairs.len()), index: HashMap::with_capacity(pairs.len()) };
        for (key, value) in pairs {
            let slot = collection.entries.len();
            if collection.index.insert(key, slot).is_some() {
                return Err(serde::de::Error::custom("a key appears twice"));
            }
            collection.entries.push(Some(value));
        }
        Ok(collection)
    }
}

/// Stances in a snapshot, usually most of it: each as a flat array
/// `[key, party, item, position, at, source, visibility, note]`, without field names to write
/// and match.
mod compact_stances {
    use std::collections::HashMap;

    use parley_core::model::{Moment, Position, Stance, Visibility};
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Collection;

    type Row = (String, String, u32, Position, Moment, String, Visibility, String);

    pub fn serialize<S: Serializer>(stances: &Collection<Stance>, serializer: S) -> Result<S::Ok, S::Error> {
        let mut keys: Vec<(usize, &str)> = stances.index.iter().map(|(key, slot)| (*slot, key.as_str())).collect();
        keys.sort_unstable();
        serializer.collect_seq(keys.into_iter().filter_map(|(slot, key)| {
            stances.entries[slot].as_ref().map(|stance| {
                (key, &stance.party, stance.item, stance.position, &stance.at, &stance.source, stance.visibility, &stance.note)
            })
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Collection<Stance>, D::Error> {
        let rows: Vec<Row> = Vec::deserialize(deserializer)?;
        let mut stances = Collection { entries: Vec::with_capacity(rows.len()), index: HashMap::with_capacity(rows.len()) };
        for (key, party, item, position, at, source, visibility, note) in rows {
            let slot = stances.entries.len();
            if stances.index.insert(key, slot).is_some() {
                return Err(serde::de::Error::custom("a stance key appears twice"));
            }
            stances.entries.push(Some(Stance { party, item, position, at, source, visibility, note }));
        }
        Ok(stances)
    }
}

/// An event's payload as the fold reads it: parsed already, or the stored JSON text.
#[derive(Clone, Copy, Debug)]
pub enum Payload<'a> {
    Json(&'a Json),
    Text(&'a str),
}

impl Payload<'_> {
    fn decode<T: serde::de::DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        match self {
            Payload::Json(json) => T::deserialize(json),
            Payload::Text(text) => serde_json::from_str(text),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    id: String,
    title: String,
    description: String,
    signatories: Vec<String>,
}

/// Applies events one at a time; [`Folder::finish`] gives the negotiation they describe. Its state
/// can be saved ([`Folder::snapshot`]) and restored ([`Folder::restore`]) to continue folding later:
/// that is what a checkpoint holds.
#[allow(missing_debug_implementations)]
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Folder {
    /// The sequence number of the last event applied (0 for none).
    seq: u64,
    header: Option<Header>,
    parties: Collection<Party>,
    issues: Collection<parley_core::model::Issue>,
    rounds: Collection<Round>,
    items: Collection<Item>,
    #[serde(with = "compact_stances")]
    stances: Collection<Stance>,
    red_lines: Collection<RedLine>,
    statements: Collection<Statement>,
    preferences: Collection<Preference>,
    demands: Collection<Demand>,
    #[serde(default)]
    obligations: Collection<Obligation>,
    #[serde(default)]
    assessments: Collection<Assessment>,
}

impl Default for Folder {
    fn default() -> Folder {
        Folder::new()
    }
}

impl Folder {
    pub fn new() -> Folder {
        Folder {
            seq: 0,
            header: None,
            parties: Collection::new(),
            issues: Collection::new(),
            rounds: Collection::new(),
            items: Collection::new(),
            stances: Collection::new(),
            red_lines: Collection::new(),
            statements: Collection::new(),
            preferences: Collection::new(),
            demands: Collection::new(),
            obligations: Collection::new(),
            assessments: Collection::new(),
        }
    }

    /// The sequence number of the last event applied (0 for none).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Whether a negotiation header has been applied (whether [`Folder::finish`] gives one).
    pub fn has_negotiation(&self) -> bool {
        self.header.is_some()
    }

    /// The folded state as JSON text, to continue from with [`Folder::restore`].
    pub fn snapshot(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The folder a [`Folder::snapshot`] saved.
    pub fn restore(snapshot: &str) -> Result<Folder, serde_json::Error> {
        serde_json::from_str(snapshot)
    }

    /// Applies one event.
    pub fn apply(&mut self, seq: u64, kind: &str, key: &str, op: Op, payload: Payload<'_>) -> Result<(), FoldError> {
        self.seq = seq;
        let failed = |message: String| FoldError { seq, kind: kind.to_owned(), key: key.to_owned(), message };
        macro_rules! apply {
            ($collection:expr) => {
                match op {
                    Op::Delete => $collection.delete(key),
                    Op::Upsert => {
                        let value = payload.decode().map_err(|error| failed(error.to_string()))?;
                        $collection.upsert(key, value);
                    }
                }
            };
        }
        match kind {
            "negotiation" => {
                self.header = match op {
                    Op::Upsert => Some(payload.decode().map_err(|error| failed(error.to_string()))?),
                    Op::Delete => None,
                }
            }
            "party" => apply!(self.parties),
            "issue" => apply!(self.issues),
            "round" => apply!(self.rounds),
            "item" => apply!(self.items),
            "stance" => apply!(self.stances),
            "red-line" => apply!(self.red_lines),
            "statement" => apply!(self.statements),
            "preference" => apply!(self.preferences),
            "demand" => apply!(self.demands),
            "obligation" => apply!(self.obligations),
            "assessment" => apply!(self.assessments),
            "key" => {}
            other => return Err(failed(format!("unknown event kind `{other}`"))),
        }
        Ok(())
    }

    /// The negotiation, or `None` when no header event has been applied.
    pub fn finish(self) -> Result<Option<Negotiation>, FoldError> {
        let Some(header) = self.header else { return Ok(None) };
        let red_lines = self.red_lines.values();
        let mut items = self.items.values();
        items.sort_by_key(|item| item.number);
        let mut negotiation = Negotiation {
            id: header.id,
            title: header.title,
            description: header.description,
            signatories: header.signatories,
            parties: self.parties.values(),
            issues: self.issues.values(),
            items,
            rounds: self.rounds.values(),
            stances: self.stances.values(),
            red_lines,
            statements: self.statements.values(),
            preferences: self.preferences.values(),
            demands: self.demands.values(),
            obligations: self.obligations.values(),
            implementation: self.assessments.values(),
        };
        negotiation.order_by_declaration();
        Ok(Some(negotiation))
    }
}

/// The negotiation the events describe (events up to and including `up_to` when given).
pub fn fold(events: &[Event], up_to: Option<u64>) -> Result<Option<Negotiation>, FoldError> {
    let mut folder = Folder::new();
    for event in events.iter().filter(|event| up_to.is_none_or(|limit| event.seq <= limit)) {
        folder.apply(event.seq, &event.kind, &event.key, event.op, Payload::Json(&event.payload))?;
    }
    folder.finish()
}

#[cfg(test)]
mod tests {
    use parley_core::model::{Moment, Position, Stance, Visibility};

    /// Stance keys must stay what they were when written: the hash of the sorted-key JSON text.
    #[test]
    fn stance_content_is_the_sorted_json_text() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        let mut stances = Vec::new();
        for name in ["ukraine-2025.toml", "dockworkers-2026.toml"] {
            let text = std::fs::read_to_string(root.join(name)).unwrap();
            stances.extend(parley_core::scenario::parse(&text).unwrap().negotiation.stances);
        }
        let date = parley_core::date::Date::new(2026, 3, 1).unwrap();
        for at in [Moment::Start, Moment::Date(date), Moment::Round("r \"1\"".to_owned())] {
            stances.push(Stance {
                party: "P\u{e9}".to_owned(),
                item: 7,
                position: Position::RedLine,
                at,
                source: "a \\ b\n".to_owned(),
                visibility: Visibility::Mediator,
                note: String::new(),
            });
        }
        for stance in &stances {
            assert_eq!(super::stance_content(stance), serde_json::to_value(stance).unwrap().to_string());
        }
    }
}
