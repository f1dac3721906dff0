//! Events, the changes a scenario implies, and the negotiation they fold into.

use std::collections::HashMap;
use std::sync::Arc;

use parley_core::bloc::Bloc;
use parley_core::deadline::Deadline;
use parley_core::model::{
    Assessment, Demand, Item, Moment, Negotiation, Obligation, Party, Preference, RedLine, Round, Source, Stance, Stances, Statement,
};
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
    "deadline",
    "bloc",
    "obligation",
    "assessment",
    "source",
    "document",
    "phases",
];

/// An event to append: the chain fields are filled in by the store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// The entity kind: `negotiation`, `party`, `issue`, `round`, `item`, `stance`, `red-line`,
    /// `statement`, `preference`, `demand`, `key`, `document`, `deadline` or `bloc`.
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
    /// Who recorded it over the server: the label of the token that made the write (empty
    /// otherwise). Hashed after `prev_hash` only when not empty, so older events hash as before.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
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
    pub label: Option<String>,
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
            label: row.label.unwrap_or_default(),
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
    let Stance { party, item, position, at, source, visibility, note, document, version, readout, bloc } = stance;
    #[derive(Serialize)]
    struct Sorted<'a> {
        at: &'a Moment,
        // Absent when none, so that stances without it keep their keys.
        #[serde(skip_serializing_if = "Option::is_none")]
        bloc: Option<&'a str>,
        // Left out when empty, as the model leaves it out: stances of files without documents
        // keep the keys they always had.
        #[serde(skip_serializing_if = "str::is_empty")]
        document: &'a str,
        item: u32,
        note: &'a str,
        party: &'a str,
        position: parley_core::model::Position,
        #[serde(skip_serializing_if = "str::is_empty")]
        readout: &'a str,
        source: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        version: &'a Option<usize>,
        visibility: parley_core::model::Visibility,
    }
    text_of(&Sorted {
        at,
        bloc: bloc.as_deref(),
        document,
        item: *item,
        note,
        party,
        position: *position,
        readout,
        source,
        version,
        visibility: *visibility,
    })
}

/// The SHA-256 (hex) of a stance's content: the part before `#` of its event key, which `verify`
/// recomputes from the payload.
pub fn stance_digest(stance: &Stance) -> String {
    crate::chain::sha256_hex(stance_content(stance).as_bytes())
}

/// The event [`changes`] yields for `stance` added at the end of `current`'s stances, built
/// without diffing whole records: keyed by its content and by how many equal stances precede it.
pub fn stance_added(current: &Negotiation, stance: &Stance) -> NewEvent {
    stance_added_among(current.stances.iter().map(|held| &**held), stance)
}

/// As [`stance_added`], given `candidates`: stances of `current` among which are all those with
/// `stance`'s party, item, document and note (any others are passed over), so that a caller who
/// keeps them grouped need not look at every stance.
pub fn stance_added_among<'a>(candidates: impl Iterator<Item = &'a Stance>, stance: &Stance) -> NewEvent {
    let content = stance_content(stance);
    // Equal content means equal fields: compare the cheap ones (the item number first) before
    // the content.
    let equal = candidates
        .filter(|held| {
            held.item == stance.item && held.party == stance.party && held.document == stance.document && held.note == stance.note
        })
        .filter(|held| stance_content(held) == content)
        .count();
    let key = format!("{}#{}", crate::chain::sha256_hex(content.as_bytes()), equal + 1);
    let payload = serde_json::from_str(&text_of(stance)).unwrap_or(Json::Null);
    NewEvent { kind: "stance".to_owned(), key, op: Op::Upsert, actor: stance.party.clone(), payload }
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
    for bloc in &negotiation.blocs {
        entities.push(entity("bloc", bloc.id.clone(), "import", text_of(bloc)));
    }
    for issue in &negotiation.issues {
        entities.push(entity("issue", issue.id.clone(), "import", text_of(issue)));
    }
    for round in &negotiation.rounds {
        entities.push(entity("round", round.id.clone(), "import", text_of(round)));
    }
    for document in &negotiation.documents {
        entities.push(entity("document", document.id.clone(), "import", text_of(document)));
    }
    if !negotiation.phases.is_empty() {
        // The phases are one entity: their order is their meaning.
        entities.push(entity("phases", "phases".to_owned(), "import", text_of(&negotiation.phases)));
    }
    for item in &negotiation.items {
        // Proposed values are kept in the order the issues are declared, which a file may change
        // without changing the item: compared as a JSON tree's text (object keys sorted).
        let text = serde_json::to_value(item).map(|tree| tree.to_string()).unwrap_or_default();
        // Items of a document are keyed `DOC:N`; a file without documents keeps the plain number.
        let key = parley_core::document::item_label(&item.document, item.number, true);
        entities.push(entity("item", key, item.by.as_deref().unwrap_or("import"), text));
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
    for source in &negotiation.sources {
        entities.push(entity("source", source.id.clone(), "import", text_of(source)));
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
    for deadline in &negotiation.deadlines {
        entities.push(entity("deadline", deadline.id.clone(), "import", text_of(deadline)));
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
#[derive(Clone)]
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

    /// A copy holding the live entities alone, in order, without their keys: enough to
    /// [`Collection::values`] it, at a fraction of a whole copy's cost.
    fn values_only(&self) -> Collection<T>
    where
        T: Clone,
    {
        Collection { entries: self.entries.iter().filter(|entry| entry.is_some()).cloned().collect(), index: HashMap::new() }
    }

    fn is_empty(&self) -> bool {
        self.index.is_empty()
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

/// The stances, kept as [`Collection`] keeps other entities (first-insertion order, replaced in
/// place), but in a list without holes that the negotiations materialised from the folder share
/// by chunks ([`Stances`]): a deletion only marks its place, and the marked places are closed up
/// before the list is next shared. Handing the stances out then costs one count per chunk, not
/// one per stance, however long the record.
#[derive(Clone, Default)]
struct StanceCollection {
    /// The stances in order, with those deleted since the last closing up still in place.
    live: Stances,
    /// Each live stance's key and place in `live`; the one place keys are kept.
    index: HashMap<String, usize>,
    /// The places in `live` of stances deleted since the last closing up.
    dead: Vec<usize>,
}

impl StanceCollection {
    fn upsert(&mut self, key: &str, stance: Arc<Stance>) {
        match self.index.get(key) {
            Some(&place) => self.live[place] = stance,
            None => {
                self.index.insert(key.to_owned(), self.live.len());
                self.live.push(stance);
            }
        }
    }

    fn delete(&mut self, key: &str) {
        if let Some(place) = self.index.remove(key) {
            self.dead.push(place);
        }
    }

    /// Closes up the places of deleted stances (the list before the first of them stays shared)
    /// and renumbers the later places.
    fn close_up(&mut self) {
        if self.dead.is_empty() {
            return;
        }
        let mut dead = std::mem::take(&mut self.dead);
        dead.sort_unstable();
        let mut place = 0;
        self.live.retain(|_| {
            let kept = dead.binary_search(&place).is_err();
            place += 1;
            kept
        });
        for place in self.index.values_mut() {
            *place -= dead.partition_point(|&gone| gone < *place);
        }
    }

    /// The live stances in order, sharing the list's chunks.
    fn shared(&mut self) -> Stances {
        self.close_up();
        self.live.clone()
    }
}

/// Stances in a snapshot, usually most of it: each as a flat array
/// `[key, party, item, position, at, source, visibility, note]`, without field names to write
/// and match. `item` is the number, or `"DOC:N"` for an item of a document (an object when the
/// stance names a version or a readout); a ninth element, the bloc it is shared with, comes only
/// when it names one (so that checkpoints written before it existed read as they are).
mod compact_stances {
    use std::collections::HashMap;
    use std::fmt;

    use std::sync::Arc;

    use parley_core::model::{Stance, Visibility};
    use serde::ser::SerializeTuple;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::StanceCollection;

    /// What a stance is on, as a snapshot row holds it: the item number; `"DOC:N"` for an item
    /// of a document; an object when the stance names a version or a readout.
    #[derive(serde::Serialize, Deserialize)]
    #[serde(untagged)]
    enum ItemKey {
        Number(u32),
        Qualified(String),
        Target { document: String, item: u32, version: Option<usize>, readout: String },
    }

    /// (document, item, version, readout).
    type Target = (String, u32, Option<usize>, String);

    impl ItemKey {
        fn of(stance: &Stance) -> ItemKey {
            if stance.version.is_some() || !stance.readout.is_empty() {
                ItemKey::Target {
                    document: stance.document.clone(),
                    item: stance.item,
                    version: stance.version,
                    readout: stance.readout.clone(),
                }
            } else if stance.document.is_empty() {
                ItemKey::Number(stance.item)
            } else {
                ItemKey::Qualified(format!("{}:{}", stance.document, stance.item))
            }
        }

        fn split<E: serde::de::Error>(self) -> Result<Target, E> {
            match self {
                ItemKey::Number(number) => Ok((String::new(), number, None, String::new())),
                ItemKey::Qualified(text) => text
                    .rsplit_once(':')
                    .and_then(|(document, number)| Some((document.to_owned(), number.parse().ok()?, None, String::new())))
                    .ok_or_else(|| E::custom(format!("`{text}` is not an item reference"))),
                ItemKey::Target { document, item, version, readout } => Ok((document, item, version, readout)),
            }
        }
    }

    struct RowOut<'a>(&'a str, &'a Stance);

    impl Serialize for RowOut<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let RowOut(key, stance) = self;
            let mut row = serializer.serialize_tuple(if stance.bloc.is_some() { 9 } else { 8 })?;
            row.serialize_element(key)?;
            row.serialize_element(&stance.party)?;
            row.serialize_element(&ItemKey::of(stance))?;
            row.serialize_element(&stance.position)?;
            row.serialize_element(&stance.at)?;
            row.serialize_element(&stance.source)?;
            row.serialize_element(&stance.visibility)?;
            row.serialize_element(&stance.note)?;
            if let Some(bloc) = &stance.bloc {
                row.serialize_element(bloc)?;
            }
            row.end()
        }
    }

    struct RowIn(String, Stance);

    impl<'de> Deserialize<'de> for RowIn {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RowIn, D::Error> {
            struct Visitor;
            impl<'de> serde::de::Visitor<'de> for Visitor {
                type Value = RowIn;

                fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                    formatter.write_str("a stance row of 8 or 9 elements")
                }

                fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<RowIn, A::Error> {
                    fn next<'de, T: Deserialize<'de>, A: serde::de::SeqAccess<'de>>(seq: &mut A, index: usize) -> Result<T, A::Error> {
                        seq.next_element()?.ok_or_else(|| serde::de::Error::invalid_length(index, &"8 or 9 elements"))
                    }
                    let key: String = next(&mut seq, 0)?;
                    let party = next(&mut seq, 1)?;
                    let target: ItemKey = next(&mut seq, 2)?;
                    let (document, item, version, readout) = target.split()?;
                    let position = next(&mut seq, 3)?;
                    let at = next(&mut seq, 4)?;
                    let source = next(&mut seq, 5)?;
                    let visibility: Visibility = next(&mut seq, 6)?;
                    let note = next(&mut seq, 7)?;
                    let bloc = seq.next_element()?;
                    Ok(RowIn(key, Stance { party, item, position, at, source, visibility, note, document, version, readout, bloc }))
                }
            }
            deserializer.deserialize_seq(Visitor)
        }
    }

    pub fn serialize<S: Serializer>(stances: &StanceCollection, serializer: S) -> Result<S::Ok, S::Error> {
        // The index holds the live stances alone (a deleted one's place is not kept).
        let mut keys: Vec<(usize, &str)> = stances.index.iter().map(|(key, place)| (*place, key.as_str())).collect();
        keys.sort_unstable();
        serializer.collect_seq(keys.into_iter().map(|(place, key)| RowOut(key, &stances.live[place])))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<StanceCollection, D::Error> {
        let rows: Vec<RowIn> = Vec::deserialize(deserializer)?;
        let mut stances = StanceCollection { index: HashMap::with_capacity(rows.len()), ..StanceCollection::default() };
        for RowIn(key, stance) in rows {
            if stances.index.insert(key, stances.live.len()).is_some() {
                return Err(serde::de::Error::custom("a stance key appears twice"));
            }
            stances.live.push(Arc::new(stance));
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

#[derive(Clone, Serialize, Deserialize)]
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
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Folder {
    /// The sequence number of the last event applied (0 for none).
    seq: u64,
    header: Option<Header>,
    parties: Collection<Party>,
    issues: Collection<parley_core::model::Issue>,
    rounds: Collection<Round>,
    items: Collection<Item>,
    /// Shared with the negotiations materialised from it ([`Folder::negotiation`]).
    #[serde(with = "compact_stances")]
    stances: StanceCollection,
    red_lines: Collection<RedLine>,
    statements: Collection<Statement>,
    preferences: Collection<Preference>,
    demands: Collection<Demand>,
    /// Absent from checkpoints written before deadlines existed, and from those with none.
    #[serde(default = "Collection::new", skip_serializing_if = "Collection::is_empty")]
    deadlines: Collection<Deadline>,
    /// Absent from checkpoints written before blocs existed, and from those with none.
    #[serde(default = "Collection::new", skip_serializing_if = "Collection::is_empty")]
    blocs: Collection<Bloc>,
    #[serde(default)]
    obligations: Collection<Obligation>,
    #[serde(default)]
    assessments: Collection<Assessment>,
    #[serde(default)]
    sources: Collection<Source>,
    /// Absent from checkpoints written before documents existed.
    #[serde(default = "Collection::new")]
    documents: Collection<parley_core::document::Document>,
    /// The phases, in order; absent from checkpoints of records without phases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phases: Option<Vec<parley_core::phase::Phase>>,
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
            stances: StanceCollection::default(),
            red_lines: Collection::new(),
            statements: Collection::new(),
            preferences: Collection::new(),
            demands: Collection::new(),
            deadlines: Collection::new(),
            blocs: Collection::new(),
            obligations: Collection::new(),
            assessments: Collection::new(),
            sources: Collection::new(),
            documents: Collection::new(),
            phases: None,
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
            "deadline" => apply!(self.deadlines),
            "bloc" => apply!(self.blocs),
            "obligation" => apply!(self.obligations),
            "assessment" => apply!(self.assessments),
            "source" => apply!(self.sources),
            "document" => apply!(self.documents),
            "phases" => {
                self.phases = match op {
                    Op::Upsert => Some(payload.decode().map_err(|error| failed(error.to_string()))?),
                    Op::Delete => None,
                }
            }
            "key" => {}
            other => return Err(failed(format!("unknown event kind `{other}`"))),
        }
        Ok(())
    }

    /// The negotiation folded so far, keeping the folder to apply later events to (a server's
    /// incremental fold); the same as [`Folder::finish`] on a copy. Its stances share the
    /// folder's by chunks (the places of stances deleted since are closed up first).
    pub fn negotiation(&mut self) -> Result<Option<Negotiation>, FoldError> {
        // The entities alone: the keys (one string per entity) are not needed to finish.
        let copy = Folder {
            seq: self.seq,
            header: self.header.clone(),
            parties: self.parties.values_only(),
            issues: self.issues.values_only(),
            rounds: self.rounds.values_only(),
            items: self.items.values_only(),
            stances: StanceCollection { live: self.stances.shared(), ..StanceCollection::default() },
            red_lines: self.red_lines.values_only(),
            statements: self.statements.values_only(),
            preferences: self.preferences.values_only(),
            demands: self.demands.values_only(),
            deadlines: self.deadlines.values_only(),
            blocs: self.blocs.values_only(),
            obligations: self.obligations.values_only(),
            assessments: self.assessments.values_only(),
            sources: self.sources.values_only(),
            documents: self.documents.values_only(),
            phases: self.phases.clone(),
        };
        copy.finish()
    }

    /// The negotiation, or `None` when no header event has been applied.
    pub fn finish(mut self) -> Result<Option<Negotiation>, FoldError> {
        let Some(header) = self.header else { return Ok(None) };
        let red_lines = self.red_lines.values();
        let documents = self.documents.values();
        let mut items = self.items.values();
        // As the reader orders them: by document, in the documents' order, then by number.
        let position = |id: &str| documents.iter().position(|document| document.id == id).unwrap_or(0);
        items.sort_by_key(|item| (position(&item.document), item.number));
        let mut negotiation = Negotiation {
            id: header.id,
            title: header.title,
            description: header.description,
            signatories: header.signatories,
            parties: self.parties.values(),
            issues: self.issues.values(),
            items,
            rounds: self.rounds.values(),
            stances: {
                self.stances.close_up();
                self.stances.live
            },
            red_lines,
            statements: self.statements.values(),
            preferences: self.preferences.values(),
            demands: self.demands.values(),
            deadlines: self.deadlines.values(),
            blocs: self.blocs.values(),
            obligations: self.obligations.values(),
            implementation: self.assessments.values(),
            sources: self.sources.values(),
            documents,
            phases: self.phases.unwrap_or_default(),
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
    use proptest::prelude::*;

    /// A stance told apart by its note.
    fn stance(note: u32) -> Stance {
        Stance {
            party: "P".to_owned(),
            item: 1,
            position: Position::Accepts,
            at: Moment::Start,
            source: String::new(),
            visibility: Visibility::Public,
            note: note.to_string(),
            document: String::new(),
            version: None,
            readout: String::new(),
            bloc: None,
        }
    }

    proptest! {
        /// Stances upserted and deleted in any order, the record materialised from the folder
        /// at any points between: each record holds the live stances in first-insertion order
        /// (as a list with holes would), a record handed out earlier never changes afterwards
        /// (its chunks are shared with the folder), and a snapshot restores the same state.
        #[test]
        fn shared_stances_fold_as_a_list_with_holes(
            ops in proptest::collection::vec((0u8..4, 0u32..300, 0u32..1000), 1..700)
        ) {
            let mut folder = super::Folder::new();
            let header = serde_json::json!({"id": "n", "title": "t", "description": "", "signatories": []});
            folder.apply(1, "negotiation", "n", super::Op::Upsert, super::Payload::Json(&header)).unwrap();
            // The model: (key, note) in order, a deleted key's place removed.
            let mut model: Vec<(u32, u32)> = Vec::new();
            let mut handed: Vec<(parley_core::model::Negotiation, Vec<u32>)> = Vec::new();
            for (seq, &(kind, key, note)) in ops.iter().enumerate() {
                let seq = seq as u64 + 2;
                match kind {
                    0 => {
                        folder.apply(seq, "stance", &key.to_string(), super::Op::Delete, super::Payload::Text("null")).unwrap();
                        model.retain(|&(held, _)| held != key);
                    }
                    1 => {
                        let negotiation = folder.negotiation().unwrap().unwrap();
                        handed.push((negotiation, model.iter().map(|&(_, note)| note).collect()));
                    }
                    _ => {
                        let payload = serde_json::to_value(stance(note)).unwrap();
                        folder.apply(seq, "stance", &key.to_string(), super::Op::Upsert, super::Payload::Json(&payload)).unwrap();
                        match model.iter_mut().find(|(held, _)| *held == key) {
                            Some(entry) => entry.1 = note,
                            None => model.push((key, note)),
                        }
                    }
                }
            }
            let notes = |negotiation: &parley_core::model::Negotiation| -> Vec<u32> {
                negotiation.stances.iter().map(|stance| stance.note.parse().unwrap()).collect()
            };
            for (negotiation, expected) in &handed {
                prop_assert_eq!(&notes(negotiation), expected);
            }
            let wanted: Vec<u32> = model.iter().map(|&(_, note)| note).collect();
            let restored = super::Folder::restore(&folder.snapshot()).unwrap();
            prop_assert_eq!(restored.snapshot(), folder.snapshot());
            prop_assert_eq!(notes(&folder.negotiation().unwrap().unwrap()), wanted.clone());
            prop_assert_eq!(notes(&restored.finish().unwrap().unwrap()), wanted.clone());
            prop_assert_eq!(notes(&folder.finish().unwrap().unwrap()), wanted);
        }
    }

    /// The event built for one added stance is the one `changes` finds by diffing whole records:
    /// for every stance of the bundled scenarios added again (a second equal stance, keyed `#2`),
    /// and for each added to the record without it.
    #[test]
    fn stance_added_is_what_changes_yields() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        for name in ["ukraine-2025.toml", "dockworkers-2026.toml", "iran-nuclear-2013-2016.toml"] {
            let text = std::fs::read_to_string(root.join(name)).unwrap();
            let negotiation = parley_core::scenario::parse(&text).unwrap().negotiation;
            for (index, stance) in negotiation.stances.iter().enumerate().step_by(7) {
                let mut wanted = negotiation.clone();
                wanted.stances.push(stance.clone());
                assert_eq!(super::changes(Some(&negotiation), &wanted), vec![super::stance_added(&negotiation, stance)], "{name} #{index}");
                let mut without = negotiation.clone();
                let removed = without.stances.remove(index);
                let mut with = without.clone();
                with.stances.push(removed.clone());
                let diffed: Vec<_> = super::changes(Some(&without), &with).into_iter().filter(|event| event.kind == "stance").collect();
                assert!(diffed.contains(&super::stance_added(&without, &removed)), "{name} #{index}");
            }
        }
    }

    /// Events written before rounds had an `end`, records had deadlines and blocs, and stances,
    /// red lines, demands and preferences could name a bloc (by the release before them, from
    /// `tests/data/old-events.toml` and the bundled dockworkers scenario) must still verify, fold,
    /// and be what an import of the same file writes today: an absent new field changes no payload
    /// and so no hash.
    #[test]
    fn events_written_before_deadlines_blocs_and_round_spans_still_verify_and_match() {
        let fixtures = [
            (include_str!("../tests/data/old-events.jsonl"), include_str!("../tests/data/old-events.toml")),
            (include_str!("../tests/data/dockworkers-2026-events.jsonl"), include_str!("../../../scenarios/dockworkers-2026.toml")),
        ];
        for (log, text) in fixtures {
            let events: Vec<super::Event> = log.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
            assert_eq!(crate::chain::verify(&events), Ok(0));
            let folded = super::fold(&events, None).unwrap().unwrap();
            let negotiation = parley_core::scenario::parse(text).unwrap().negotiation;
            assert!(super::changes(Some(&folded), &negotiation).is_empty(), "{}", negotiation.id);
            let written: Vec<(String, serde_json::Value)> =
                super::changes(None, &negotiation).into_iter().map(|event| (event.key, event.payload)).collect();
            let stored: Vec<(String, serde_json::Value)> = events.into_iter().map(|event| (event.key, event.payload)).collect();
            assert_eq!(written, stored, "{}", negotiation.id);
        }
    }

    #[test]
    fn stance_content_is_the_sorted_json_text() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        let mut stances = Vec::new();
        for name in ["ukraine-2025.toml", "dockworkers-2026.toml"] {
            let text = std::fs::read_to_string(root.join(name)).unwrap();
            stances.extend(parley_core::scenario::parse(&text).unwrap().negotiation.stances.iter().map(|stance| (**stance).clone()));
        }
        let date = parley_core::date::Date::new(2026, 3, 1).unwrap();
        for (at, bloc) in [(Moment::Start, None), (Moment::Date(date), Some("X".to_owned())), (Moment::Round("r \"1\"".to_owned()), None)] {
            stances.push(Stance {
                party: "P\u{e9}".to_owned(),
                item: 7,
                position: Position::RedLine,
                at,
                source: "a \\ b\n".to_owned(),
                visibility: Visibility::Mediator,
                note: String::new(),
                document: String::new(),
                version: None,
                readout: String::new(),
                bloc,
            });
        }
        // A stance on an item of a document.
        let mut of_document = stances.last().unwrap().clone();
        of_document.document = "jpoa".to_owned();
        stances.push(of_document.clone());
        // Stances on a named version and on a party's readout.
        of_document.version = Some(2);
        stances.push(of_document.clone());
        of_document.version = None;
        of_document.readout = "US".to_owned();
        stances.push(of_document);
        for stance in &stances {
            assert_eq!(super::stance_content(stance), serde_json::to_value(stance).unwrap().to_string());
        }
    }
}
