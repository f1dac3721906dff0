//! The negotiation record as plain data.
//!
//! Everything here is what a scenario file (or, later, an event log) says; nothing is derived.
//! Derived views — status at a date, diffs, claim verdicts — live in their own modules and take a
//! `&Negotiation`.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::expr::Expr;

/// A record's stances: shared by chunks between copies of the record ([`SharedVec`]).
pub type Stances = SharedVec<std::sync::Arc<Stance>>;

pub use crate::shared::SharedVec;

/// One set of talks: parties, the framework document, rounds, stances, red lines and statements.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Negotiation {
    pub id: String,
    pub title: String,
    pub description: String,
    /// Parties whose acceptance makes a deal. Defaults to every principal.
    pub signatories: Vec<String>,
    pub parties: Vec<Party>,
    pub issues: Vec<Issue>,
    pub items: Vec<Item>,
    pub rounds: Vec<Round>,
    /// Shared: a copy of the record (a viewer's view, the record at a later head) shares the
    /// stances it keeps, by chunks, instead of copying each, and a long record is mostly stances.
    pub stances: Stances,
    pub red_lines: Vec<RedLine>,
    pub statements: Vec<Statement>,
    /// Parties' valuations of issues (usually confidential).
    pub preferences: Vec<Preference>,
    /// Parties' stated demands: the value each wants on an issue.
    pub demands: Vec<Demand>,
    /// Dates by which something must be done, and their extensions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deadlines: Vec<crate::deadline::Deadline>,
    /// Parties negotiating together, which may hold stances and red lines jointly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocs: Vec<crate::bloc::Bloc>,
    /// What the signed text requires of whom, by when (implementation monitoring).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub obligations: Vec<Obligation>,
    /// Dated assessments of how far each obligation is implemented.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub implementation: Vec<Assessment>,
    /// Where the record's facts come from; a `source` field holding a source's id refers to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    /// The negotiated texts items belong to; empty for a file with one implicit document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<crate::document::Document>,
    /// The periods of the agreement's life, in order; empty when its provisions do not change
    /// over time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<crate::phase::Phase>,
}

impl Negotiation {
    /// A copy of the record with `stances` instead of its own (the rest is cloned; the stances are
    /// what is large in a long record).
    pub fn with_stances(&self, stances: Stances) -> Negotiation {
        let Negotiation {
            id,
            title,
            description,
            signatories,
            parties,
            issues,
            items,
            rounds,
            stances: _,
            red_lines,
            statements,
            preferences,
            demands,
            deadlines,
            blocs,
            obligations,
            implementation,
            sources,
            documents,
            phases,
        } = self;
        Negotiation {
            id: id.clone(),
            title: title.clone(),
            description: description.clone(),
            signatories: signatories.clone(),
            parties: parties.clone(),
            issues: issues.clone(),
            items: items.clone(),
            rounds: rounds.clone(),
            stances,
            red_lines: red_lines.clone(),
            statements: statements.clone(),
            preferences: preferences.clone(),
            demands: demands.clone(),
            deadlines: deadlines.clone(),
            blocs: blocs.clone(),
            obligations: obligations.clone(),
            implementation: implementation.clone(),
            sources: sources.clone(),
            documents: documents.clone(),
            phases: phases.clone(),
        }
    }

    pub fn party(&self, id: &str) -> Option<&Party> {
        self.parties.iter().find(|party| party.id == id)
    }

    pub fn issue(&self, id: &str) -> Option<&Issue> {
        self.issues.iter().find(|issue| issue.id == id)
    }

    pub fn item(&self, number: u32) -> Option<&Item> {
        self.items.iter().find(|item| item.number == number)
    }

    /// Item `number` of `document` (`""` for the implicit document of a file without documents).
    pub fn item_in(&self, document: &str, number: u32) -> Option<&Item> {
        self.items.iter().find(|item| item.number == number && item.document == document)
    }

    pub fn document(&self, id: &str) -> Option<&crate::document::Document> {
        self.documents.iter().find(|document| document.id == id)
    }

    /// Whether items must be told apart by document (`DOC:N`).
    pub fn has_several_documents(&self) -> bool {
        self.documents.len() > 1
    }

    /// How an item is referred to: `N`, or `DOC:N` when the record has several documents.
    pub fn item_label(&self, item: &Item) -> String {
        crate::document::item_label(&item.document, item.number, self.has_several_documents())
    }

    pub fn round(&self, id: &str) -> Option<&Round> {
        self.rounds.iter().find(|round| round.id == id)
    }

    pub fn is_signatory(&self, party: &str) -> bool {
        self.signatories.iter().any(|signatory| signatory == party)
    }

    /// Puts everything a file lists as a table in declaration order: every item's and revision's
    /// proposed values and every preference's issues in the order the issues are declared, and a
    /// valuation's options or elements in the order its issue declares them. That is the one order
    /// that survives any serialisation (a JSON object does not keep its key order), and it makes
    /// two records that differ only in how a file ordered a table's keys equal.
    pub fn order_by_declaration(&mut self) {
        let position = |id: &str| self.issues.iter().position(|issue| issue.id == id).unwrap_or(usize::MAX);
        let order = |pairs: &mut Vec<(String, Value)>| pairs.sort_by_key(|(issue, _)| position(issue));
        for item in &mut self.items {
            order(&mut item.proposes);
            for revision in &mut item.revisions {
                order(&mut revision.proposes);
            }
            for readout in &mut item.readouts {
                order(&mut readout.proposes);
                readout.describes.sort_by_key(|(issue, _)| position(issue));
            }
        }
        for preference in &mut self.preferences {
            preference.issues.sort_by_key(|entry| position(&entry.issue));
            for entry in &mut preference.issues {
                let declared: Vec<&str> = match self.issues.iter().find(|issue| issue.id == entry.issue).map(|issue| &issue.kind) {
                    Some(IssueKind::Choice { options, .. }) => options.iter().map(String::as_str).collect(),
                    Some(IssueKind::Subset { elements }) => elements.iter().map(String::as_str).collect(),
                    Some(IssueKind::YesNo) => vec!["yes", "no"],
                    _ => Vec::new(),
                };
                let rank = |name: &str| declared.iter().position(|known| *known == name).unwrap_or(usize::MAX);
                match &mut entry.valuation {
                    Valuation::Table { values } => values.sort_by_key(|(name, _)| rank(name)),
                    Valuation::Elements { elements, .. } => elements.sort_by_key(|(name, _)| rank(name)),
                    Valuation::Linear { .. } => {}
                }
            }
        }
    }

    /// The display name of a party, or its id when it has none.
    pub fn party_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.party(id).map_or(id, |party| party.name.as_str())
    }
}

/// An enumeration written in scenario files (and JSON) as one of a fixed set of words: the reader
/// accepts exactly these, and the writer writes them.
pub trait Keyword: Copy + 'static {
    /// Every value, in the order the format documents them.
    const ALL: &'static [Self];
    /// The word for this value.
    fn keyword(self) -> &'static str;
}

#[macro_export]
#[doc(hidden)]
macro_rules! keywords {
    ($type:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $crate::model::Keyword for $type {
            const ALL: &'static [Self] = &[$($type::$variant),+];
            fn keyword(self) -> &'static str {
                match self {
                    $($type::$variant => $word),+
                }
            }
        }
    };
}

pub(crate) use keywords;

keywords!(Role {
    Mediator => "mediator",
    Principal => "principal",
    Stakeholder => "stakeholder",
    Observer => "observer",
    Host => "host",
});
keywords!(RoundKind { Meeting => "meeting", Shuttle => "shuttle", PublishedText => "published-text" });
keywords!(Visibility { Public => "public", Mediator => "mediator", Private => "private", Bloc => "bloc" });
keywords!(Attribution { Named => "named", Anonymous => "anonymous" });
keywords!(Disclosure { Nothing => "nothing", Conflicts => "conflicts" });

impl Keyword for Position {
    const ALL: &'static [Self] = &Position::ALL;
    fn keyword(self) -> &'static str {
        Position::keyword(self)
    }
}

/// Someone at (or around) the table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Party {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// Free text; left out of the JSON when empty, so records written before it existed compare equal.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub members: Vec<Member>,
}

/// A person who speaks or acts for a party.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub title: String,
    /// The body the member speaks from: leader, government, ministry, parliament, negotiator...
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Drafts and revises the framework; its acceptance is not needed.
    Mediator,
    /// A party whose acceptance a deal needs (a default signatory).
    Principal,
    /// Affected and consulted, not a signatory.
    Stakeholder,
    /// Watches; takes no part.
    Observer,
    /// Hosts rounds (a facilitating state); sees only what is public or its own, never what
    /// parties confided to mediators, and does not sign.
    Host,
}

/// A decision variable the framework settles.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Issue {
    pub id: String,
    pub name: String,
    pub description: String,
    pub kind: IssueKind,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum IssueKind {
    /// One option out of a list; `ordered` options can be compared with `<` and `>`.
    Choice { options: Vec<String>, ordered: bool },
    /// A whole number in `min..=max`, in multiples of `step` from `min`.
    Integer { min: i64, max: i64, step: i64, unit: String },
    /// A real number in `min..=max`.
    Real { min: f64, max: f64, unit: String },
    /// Any subset of named elements (for example, territories).
    Subset { elements: Vec<String> },
    /// Yes or no.
    YesNo,
}

impl IssueKind {
    /// The word used in scenario files.
    pub fn keyword(&self) -> &'static str {
        match self {
            IssueKind::Choice { .. } => "choice",
            IssueKind::Integer { .. } => "integer",
            IssueKind::Real { .. } => "real",
            IssueKind::Subset { .. } => "subset",
            IssueKind::YesNo => "yes-no",
        }
    }

    /// Position of a value on this issue's order: the number itself for numeric issues, the
    /// option's position for ordered choices; `None` for unordered issues.
    pub fn rank(&self, value: &Value) -> Option<f64> {
        match (self, value) {
            (IssueKind::Integer { .. }, Value::Integer(number)) => Some(*number as f64),
            (IssueKind::Real { .. }, Value::Real(number)) => Some(*number),
            (IssueKind::Choice { options, ordered: true }, Value::Choice(option)) => {
                options.iter().position(|name| name == option).map(|rank| rank as f64)
            }
            _ => None,
        }
    }

    /// The unit of a distance of `number` on this issue's order, with a leading space: ` option`
    /// or ` options` for choices, the issue's unit for numbers (`1 year`), nothing without one.
    pub fn distance_unit(&self, number: f64) -> String {
        match self {
            IssueKind::Choice { .. } if number == 1.0 => " option".to_owned(),
            IssueKind::Choice { .. } => " options".to_owned(),
            IssueKind::Integer { unit, .. } | IssueKind::Real { unit, .. } if !unit.is_empty() => {
                format!(" {}", unit_after(number, unit))
            }
            _ => String::new(),
        }
    }

    /// Whether values of this issue are ordered (numbers, ordered choices).
    pub fn is_ordered(&self) -> bool {
        matches!(self, IssueKind::Integer { .. } | IssueKind::Real { .. } | IssueKind::Choice { ordered: true, .. })
    }

    /// Why `value` is not in this issue's domain, if it is not.
    pub fn check(&self, value: &Value) -> Result<(), String> {
        match (self, value) {
            (IssueKind::Choice { options, .. }, Value::Choice(option)) => {
                if options.contains(option) {
                    Ok(())
                } else {
                    Err(format!("option \"{option}\" is not one of {}", quoted_list(options)))
                }
            }
            (IssueKind::Integer { min, max, step, .. }, Value::Integer(number)) => {
                if number < min || number > max {
                    Err(format!("{number} is outside {min}..={max}"))
                } else if (i128::from(*number) - i128::from(*min)) % i128::from(*step) != 0 {
                    Err(format!("{number} is not {min} plus a multiple of the step {step}"))
                } else {
                    Ok(())
                }
            }
            (IssueKind::Real { min, max, .. }, Value::Real(number)) => {
                if !number.is_finite() || number < min || number > max {
                    Err(format!("{number} is outside {min}..={max}"))
                } else {
                    Ok(())
                }
            }
            (IssueKind::Subset { elements }, Value::Set(chosen)) => match chosen.iter().find(|element| !elements.contains(element)) {
                Some(unknown) => Err(format!("\"{unknown}\" is not one of {}", quoted_list(elements))),
                None => Ok(()),
            },
            (IssueKind::YesNo, Value::Bool(_)) => Ok(()),
            (kind, value) => Err(format!(
                "{} value does not fit {} issue",
                crate::scenario::with_article(value.kind_name()),
                crate::scenario::with_article(kind.keyword())
            )),
        }
    }
}

/// Serialises `(issue, value)` pairs as a JSON object in their order: `{"troop_cap": 800000}`.
pub fn serialize_values<S: serde::Serializer>(pairs: &[(String, Value)], serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (issue, value) in pairs {
        map.serialize_entry(issue, value)?;
    }
    map.end()
}

/// Reads what [`serialize_values`] writes, keeping the order.
pub fn deserialize_values<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<(String, Value)>, D::Error> {
    struct Pairs;
    impl<'de> serde::de::Visitor<'de> for Pairs {
        type Value = Vec<(String, Value)>;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("a map of issue values")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut pairs = Vec::new();
            while let Some(entry) = map.next_entry::<String, Value>()? {
                pairs.push(entry);
            }
            Ok(pairs)
        }
    }
    deserializer.deserialize_map(Pairs)
}

pub(crate) fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("\"{name}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// An issue's unit after a number: a plural unit of one word ("years", "hours") in the singular
/// after 1 ("1 year"); any other unit as written.
pub fn unit_after(number: f64, unit: &str) -> &str {
    let plural = unit.len() > 3 && unit.ends_with('s') && !unit.ends_with("ss") && unit.chars().all(|c| c.is_alphabetic());
    if number == 1.0 && plural { &unit[..unit.len() - 1] } else { unit }
}

/// A value of an issue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Choice(String),
    Integer(i64),
    Real(f64),
    Set(BTreeSet<String>),
    Bool(bool),
}

impl Value {
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Choice(_) => "text",
            Value::Integer(_) => "integer",
            Value::Real(_) => "real",
            Value::Set(_) => "list",
            Value::Bool(_) => "yes/no",
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Choice(option) => write!(f, "{option}"),
            Value::Integer(number) => write!(f, "{number}"),
            Value::Real(number) => f.write_str(&crate::display::real(*number)),
            Value::Set(elements) => {
                let names: Vec<&str> = elements.iter().map(String::as_str).collect();
                write!(f, "{{{}}}", names.join(", "))
            }
            Value::Bool(true) => write!(f, "yes"),
            Value::Bool(false) => write!(f, "no"),
        }
    }
}

/// When something happened: in a round, on a date, or from the start of the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Moment {
    Start,
    Round(String),
    Date(Date),
}

impl Moment {
    /// The start of the record (a serde default).
    pub fn start() -> Moment {
        Moment::Start
    }

    pub fn is_start(&self) -> bool {
        *self == Moment::Start
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Moment::Start => f.write_str("start"),
            Moment::Round(round) => f.write_str(round),
            Moment::Date(date) => write!(f, "{date}"),
        }
    }
}

/// A numbered point of the framework document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Item {
    /// Unique within its document.
    pub number: u32,
    /// The document the item belongs to; empty in a file without documents.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub document: String,
    /// Parties' own unilateral accounts of the item, besides its joint text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readouts: Vec<crate::readout::Readout>,
    pub title: String,
    pub topic: String,
    pub text: String,
    /// Issues this item settles; its `proposes` may only name these.
    pub settles: Vec<String>,
    #[serde(serialize_with = "serialize_values", deserialize_with = "deserialize_values")]
    pub proposes: Vec<(String, Value)>,
    /// When the item entered the framework.
    pub introduced: Moment,
    /// Who drafted it.
    pub by: Option<String>,
    pub revisions: Vec<Revision>,
    /// Who may see the item (default public); its owner is its drafter, `by`.
    #[serde(default, skip_serializing_if = "Visibility::is_public")]
    pub visibility: Visibility,
    /// Issues whose value changes in later phases: `proposes` holds the first phase's value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<crate::phase::Schedule>,
}

/// A change to an item made in a round.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Revision {
    pub round: String,
    pub by: Option<String>,
    pub title: Option<String>,
    pub text: Option<String>,
    #[serde(serialize_with = "serialize_values", deserialize_with = "deserialize_values")]
    pub proposes: Vec<(String, Value)>,
    /// The item is taken out of the framework (it no longer needs agreement).
    pub removed: bool,
    /// A removed item is put back.
    pub restored: bool,
    pub note: String,
    pub source: String,
    /// Issues whose proposed value this revision takes back: the item then proposes nothing for
    /// them until a later revision proposes a value again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withdraws: Vec<String>,
    /// Schedules for issues of `proposes` (which holds their first phase's value); an issue the
    /// revision proposes without a schedule has one value in every phase again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<crate::phase::Schedule>,
}

/// A meeting, a shuttle visit or the publication of a text.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Round {
    /// Absent in a server write's body when the server assigns it (`parley-server`'s `ids`).
    #[serde(default)]
    pub id: String,
    pub title: String,
    /// Absent only for a planned round whose date is not yet known.
    pub date: Option<Date>,
    pub planned: bool,
    pub venue: String,
    pub kind: RoundKind,
    pub participants: Vec<String>,
    pub summary: String,
    /// The last day of a round held over several days (talks in Vienna from `date` to `end`). The
    /// round's revisions and stances count from its end; see `docs/status.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Date>,
    /// Who may know of the round besides its participants (default public): a secret channel.
    #[serde(default, skip_serializing_if = "Visibility::is_public")]
    pub visibility: Visibility,
    /// The party whose channel it is, for `private` and `bloc` visibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// The one bloc a `bloc`-visible round is shared with (default: every bloc of `party`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bloc: Option<String>,
    /// The party hosting the round (often one with the `host` role); it knows of the round as its
    /// participants do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

impl Visibility {
    pub fn is_public(&self) -> bool {
        *self == Visibility::Public
    }
}

impl Round {
    /// The day the round counts from: its end when it spans several days, else its date.
    pub fn effective_date(&self) -> Option<Date> {
        self.end.or(self.date)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoundKind {
    Meeting,
    Shuttle,
    PublishedText,
}

/// A party's position on an item, recorded at a moment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Stance {
    pub party: String,
    pub item: u32,
    pub position: Position,
    pub at: Moment,
    pub source: String,
    pub visibility: Visibility,
    pub note: String,
    /// The document of the item; empty in a file without documents.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub document: String,
    /// The joint version the stance is on, when given explicitly (default: the version in force
    /// when it was taken).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<usize>,
    /// The party whose readout of the item the stance is on, rather than the joint text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub readout: String,
    /// The one bloc a `bloc`-visible entry is shared with (default: every bloc of its party).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bloc: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    Accepts,
    AcceptsWithReservations,
    Undecided,
    Opposes,
    RedLine,
}

impl Position {
    pub const ALL: [Position; 5] =
        [Position::Accepts, Position::AcceptsWithReservations, Position::Undecided, Position::Opposes, Position::RedLine];

    pub fn keyword(self) -> &'static str {
        match self {
            Position::Accepts => "accepts",
            Position::AcceptsWithReservations => "accepts-with-reservations",
            Position::Undecided => "undecided",
            Position::Opposes => "opposes",
            Position::RedLine => "red-line",
        }
    }

    pub fn is_acceptance(self) -> bool {
        matches!(self, Position::Accepts | Position::AcceptsWithReservations)
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// Who may see a stance or a red line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Visibility {
    /// Everyone.
    #[default]
    Public,
    /// The party itself and the mediators.
    Mediator,
    /// The party itself only.
    Private,
    /// The party itself and the members of its blocs (of one bloc, where the entry's `bloc` names
    /// it); mediators do not see it unless they are members.
    Bloc,
}

/// A hard constraint a party holds over one or more issues.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "StoredRedLine")]
pub struct RedLine {
    pub id: String,
    pub party: String,
    /// The constraint as written.
    pub expression: String,
    /// Parsed from `expression`; not serialised: reading a red line parses `expression` again, and
    /// fails when it does not parse (a red line must never read back as one that always holds).
    #[serde(skip_serializing)]
    pub expr: Expr,
    pub description: String,
    pub visibility: Visibility,
    /// When the party drew the line (default: from the start).
    pub since: Moment,
    /// When the party dropped it, if it did.
    pub until: Option<Moment>,
    pub source: String,
    /// The one bloc a `bloc`-visible entry is shared with (default: every bloc of its party).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bloc: Option<String>,
    /// What viewers who may not see the red line still learn of it (nothing by default). Left out
    /// of the JSON when nothing, so red lines stored before it existed hash as they did.
    #[serde(default, skip_serializing_if = "Disclosure::is_nothing")]
    pub disclose: Disclosure,
    /// How the party let the red line go at `until`: it lapsed (the default), or the party
    /// conceded it, reinterpreted it (as `replaced_by`) or withdrew it.
    #[serde(default, skip_serializing_if = "Ending::is_lapsed")]
    pub ending: Ending,
    /// Why it ended, in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// For a reinterpreted red line: the red line of the same party that replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The phases the red line is about; empty for every phase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<String>,
}

/// How a red line ended, distinct from its simply lapsing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    /// It stopped holding without the party giving it up (an agreed deadline passed, the issue
    /// moved on).
    #[default]
    Lapsed,
    /// The party gave it up in the bargaining.
    Conceded,
    /// The party reads it differently now: another red line replaces it.
    Reinterpreted,
    /// The party took it back, without a concession in return.
    Withdrawn,
}

keywords!(Ending { Lapsed => "lapsed", Conceded => "conceded", Reinterpreted => "reinterpreted", Withdrawn => "withdrawn" });

impl Ending {
    pub fn is_lapsed(&self) -> bool {
        *self == Ending::Lapsed
    }
}

/// What a party lets viewers who may not see one of its red lines learn of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Disclosure {
    /// Nothing: for them the red line does not exist.
    #[default]
    Nothing,
    /// That it takes part in a conflict of red lines (the party and the issues it names), so that
    /// others learn that no deal satisfies everyone — never its id, expression or bounds.
    Conflicts,
}

impl Disclosure {
    pub fn is_nothing(&self) -> bool {
        *self == Disclosure::Nothing
    }
}

/// A red line as serialised: everything but the parsed expression.
#[derive(Deserialize)]
struct StoredRedLine {
    /// Absent in a server write's body when the server assigns it (`parley-server`'s `ids`).
    #[serde(default)]
    id: String,
    party: String,
    expression: String,
    description: String,
    visibility: Visibility,
    since: Moment,
    until: Option<Moment>,
    source: String,
    #[serde(default)]
    disclose: Disclosure,
    #[serde(default)]
    bloc: Option<String>,
    #[serde(default)]
    ending: Ending,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    replaced_by: Option<String>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    phases: Vec<String>,
}

impl TryFrom<StoredRedLine> for RedLine {
    type Error = String;

    fn try_from(stored: StoredRedLine) -> Result<RedLine, String> {
        let StoredRedLine {
            id,
            party,
            expression,
            description,
            visibility,
            since,
            until,
            source,
            disclose,
            bloc,
            ending,
            reason,
            replaced_by,
            note,
            phases,
        } = stored;
        let expr = Expr::parse(&expression).map_err(|error| format!("red line `{id}`: expression does not parse: {error}"))?;
        Ok(RedLine {
            id,
            party,
            expression,
            expr,
            description,
            visibility,
            since,
            until,
            source,
            disclose,
            bloc,
            ending,
            reason,
            replaced_by,
            note,
            phases,
        })
    }
}

/// How a party values the issues: `u = Σ weight · evaluation(value)`, evaluations in [0, 1].
#[derive(Clone, Serialize, Deserialize)]
pub struct Preference {
    pub party: String,
    pub visibility: Visibility,
    /// Utility of no agreement on the same scale (0 when absent).
    pub reservation: f64,
    pub issues: Vec<IssuePreference>,
    /// The one bloc a `bloc`-visible entry is shared with (default: every bloc of its party).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bloc: Option<String>,
}

// Private valuations never appear in debug output.
impl fmt::Debug for Preference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Preference").field("party", &self.party).field("visibility", &self.visibility).finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IssuePreference {
    pub issue: String,
    pub weight: f64,
    pub valuation: Valuation,
}

/// The evaluation of an issue's values, on a 0..1 scale.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Valuation {
    /// Numeric issues: 1 at `best`, 0 at `worst`, linear between and clipped beyond.
    Linear { best: f64, worst: f64 },
    /// Choice and yes-no issues: an evaluation per option (`yes`/`no`); unlisted ones count 0.
    Table { values: Vec<(String, f64)> },
    /// Subset issues: `empty` plus each chosen element's amount, clipped to [0, 1].
    Elements { empty: f64, elements: Vec<(String, f64)> },
}

impl Valuation {
    pub fn evaluate(&self, value: &Value) -> f64 {
        let evaluation = match (self, value) {
            (Valuation::Linear { best, worst }, Value::Integer(number)) => (*number as f64 - worst) / (best - worst),
            (Valuation::Linear { best, worst }, Value::Real(number)) => (number - worst) / (best - worst),
            (Valuation::Table { values }, Value::Choice(option)) => {
                values.iter().find(|(name, _)| name == option).map_or(0.0, |(_, evaluation)| *evaluation)
            }
            (Valuation::Table { values }, Value::Bool(flag)) => {
                let key = if *flag { "yes" } else { "no" };
                values.iter().find(|(name, _)| name == key).map_or(0.0, |(_, evaluation)| *evaluation)
            }
            (Valuation::Elements { empty, elements }, Value::Set(chosen)) => {
                empty + elements.iter().filter(|(name, _)| chosen.contains(name)).map(|(_, amount)| amount).sum::<f64>()
            }
            _ => 0.0,
        };
        evaluation.clamp(0.0, 1.0)
    }
}

/// What a party publicly (or confidentially) demands on an issue, from a moment on: one value, a
/// range (`value` to `up_to`) or alternatives (`value` or any of `alternatives`). A later demand of
/// the party on the issue replaces it, so each party × issue has a trajectory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Demand {
    pub party: String,
    pub issue: String,
    /// The value demanded; a range's low end; the first of alternatives.
    pub value: Value,
    pub visibility: Visibility,
    pub source: String,
    /// The one bloc a `bloc`-visible entry is shared with (default: every bloc of its party).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bloc: Option<String>,
    /// When the party stated it (from the start when absent). Left out of the JSON at the start,
    /// with the fields below when empty, so demands stored before they existed hash as they did.
    #[serde(default = "Moment::start", skip_serializing_if = "Moment::is_start")]
    pub at: Moment,
    /// A range's high end, for numeric and ordered issues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up_to: Option<Value>,
    /// Other values the party would take instead of `value` ("close or sell the terminal").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl Demand {
    /// Whether `value` gives the party what it demands: the value, one of the alternatives, or a
    /// value within the range (by the issue's order).
    pub fn is_met_by(&self, value: &Value, kind: &IssueKind) -> bool {
        if *value == self.value || self.alternatives.contains(value) {
            return true;
        }
        let Some(up_to) = &self.up_to else { return false };
        match (kind.rank(value), kind.rank(&self.value), kind.rank(up_to)) {
            (Some(rank), Some(low), Some(high)) => low <= rank && rank <= high,
            _ => false,
        }
    }

    /// The demand in words: `5`, `3 to 5`, `close or sell`.
    pub fn describe(&self) -> String {
        match (&self.up_to, self.alternatives.is_empty()) {
            (Some(up_to), _) => format!("{} to {up_to}", self.value),
            (None, false) => {
                let mut all = vec![self.value.to_string()];
                all.extend(self.alternatives.iter().map(Value::to_string));
                all.join(" or ")
            }
            (None, true) => self.value.to_string(),
        }
    }

    /// The lowest and highest ranks the demand covers, for numeric and ordered issues.
    pub fn span(&self, kind: &IssueKind) -> Option<(f64, f64)> {
        let ranks: Option<Vec<f64>> =
            std::iter::once(&self.value).chain(&self.up_to).chain(&self.alternatives).map(|value| kind.rank(value)).collect();
        let ranks = ranks?;
        let low = ranks.iter().copied().fold(f64::INFINITY, f64::min);
        let high = ranks.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        low.is_finite().then_some((low, high))
    }
}

/// Something someone said, with the checkable claims it makes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Statement {
    /// Absent in a server write's body when the server assigns it (`parley-server`'s `ids`).
    #[serde(default)]
    pub id: String,
    pub speaker: String,
    pub party: Option<String>,
    pub date: Date,
    /// The round the statement belongs to, if any; it is then checked against the record as of
    /// that round rather than the whole day.
    pub round: Option<String>,
    pub venue: String,
    pub outlet: String,
    pub attribution: Attribution,
    pub quote: String,
    pub source: String,
    pub claims: Vec<Claim>,
    /// The member of `party` the statement is attributed to, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Who may see the statement (default public); its owner is its `party`.
    #[serde(default, skip_serializing_if = "Visibility::is_public")]
    pub visibility: Visibility,
    /// The one bloc a `bloc`-visible statement is shared with (default: every bloc of `party`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bloc: Option<String>,
    /// Whether `quote` is the speaker's words, a paraphrase, or a translation.
    #[serde(default, skip_serializing_if = "QuoteKind::is_verbatim")]
    pub quote_kind: QuoteKind,
}

/// How a statement's quote renders what was said.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QuoteKind {
    /// The speaker's own words.
    #[default]
    Verbatim,
    /// Reported speech: what a source says the speaker said.
    Paraphrase,
    /// The speaker's words in translation.
    Translation,
}

keywords!(QuoteKind { Verbatim => "verbatim", Paraphrase => "paraphrase", Translation => "translation" });

impl QuoteKind {
    pub fn is_verbatim(&self) -> bool {
        *self == QuoteKind::Verbatim
    }
}

/// Where something in the record comes from: a document, an article, a transcript. Any `source`
/// field of the record that holds a source's id refers to it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Source {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub outlet: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    pub reliability: Reliability,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// How far a source can be relied on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reliability {
    /// The text itself, or its authors' own publication.
    Primary,
    /// An official statement about it (a government's fact sheet, a communiqué).
    Official,
    /// Reporting by a named outlet.
    Reported,
    /// Unconfirmed or anonymous reporting.
    Unconfirmed,
}

keywords!(Reliability { Primary => "primary", Official => "official", Reported => "reported", Unconfirmed => "unconfirmed" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attribution {
    Named,
    Anonymous,
}

/// A checkable assertion made in a statement.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claim {
    pub kind: ClaimKind,
    /// The statement asserts the opposite ("it would be wrong to say Ukraine accepted").
    pub negated: bool,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ClaimKind {
    /// The party accepts the framework (as of a round's version, or as it stands), or one
    /// document of it.
    Accepts {
        party: String,
        version: Option<String>,
        /// The document accepted; empty for the whole framework.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        document: String,
    },
    /// An item is agreed.
    ItemAgreed {
        item: u32,
        /// The item's document; empty in a file without documents.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        document: String,
        /// The round whose version of the item is meant; none for the version of the statement.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
    },
    /// A party holds a given position on an item.
    Stance {
        party: String,
        item: u32,
        position: Position,
        /// The item's document; empty in a file without documents.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        document: String,
        /// The round whose version of the item is meant; none for the version of the statement.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
    },
    /// What remains open involves no red line.
    DifferencesMinor,
    /// At least this share of the items is agreed.
    Progress { at_least: f64 },
    /// An issue's value compares so with a given value ("the troop cap is 800,000").
    Value(crate::claims::value::ValueClaim),
    /// A red line holds: the framework's proposed values do not violate it.
    RedLineHolds { red_line: String },
}

impl ClaimKind {
    pub fn keyword(&self) -> &'static str {
        match self {
            ClaimKind::Accepts { .. } => "accepts",
            ClaimKind::ItemAgreed { .. } => "item-agreed",
            ClaimKind::Stance { .. } => "stance",
            ClaimKind::DifferencesMinor => "differences-minor",
            ClaimKind::Progress { .. } => "progress",
            ClaimKind::Value(_) => "value",
            ClaimKind::RedLineHolds { .. } => "red-line-holds",
        }
    }

    /// The party the claim is about, when it is about one.
    pub fn subject(&self) -> Option<&str> {
        match self {
            ClaimKind::Accepts { party, .. } | ClaimKind::Stance { party, .. } => Some(party),
            _ => None,
        }
    }
}

/// Something a signed text requires someone to do, by a date: a milestone of implementation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Obligation {
    pub id: String,
    pub description: String,
    /// The items whose text creates it (numbers within `document`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<u32>,
    /// The document of those items; empty in a file without documents.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub document: String,
    /// Who must act (a party), if one is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// When it is due, if a date is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// How far an obligation was implemented as of a moment, on the Peace Accords Matrix's scale.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Assessment {
    pub obligation: String,
    pub at: Moment,
    pub score: Score,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The Peace Accords Matrix's implementation scale: 0 not initiated, 1 minimal, 2 intermediate, 3
/// complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Score {
    NotInitiated,
    Minimal,
    Intermediate,
    Complete,
}

keywords!(Score { NotInitiated => "not-initiated", Minimal => "minimal", Intermediate => "intermediate", Complete => "complete" });

impl Score {
    /// The scale's number, 0 to 3.
    pub fn points(self) -> u8 {
        self as u8
    }

    /// The score with `points` (0 to 3).
    pub fn from_points(points: i64) -> Option<Score> {
        Score::ALL.get(usize::try_from(points).ok()?).copied()
    }
}

impl Negotiation {
    /// The source a `source` field refers to, when it holds a declared source's id.
    pub fn source(&self, reference: &str) -> Option<&Source> {
        self.sources.iter().find(|source| source.id == reference)
    }

    /// A `source` field as a reader should see it: a declared source by its title, outlet, date and
    /// reliability; any other text as written.
    pub fn source_label(&self, reference: &str) -> String {
        match self.source(reference) {
            None => reference.to_owned(),
            Some(source) => {
                let mut details: Vec<String> = Vec::new();
                if !source.outlet.is_empty() {
                    details.push(source.outlet.clone());
                }
                if let Some(date) = source.date {
                    details.push(date.to_string());
                }
                details.push(source.reliability.keyword().to_owned());
                format!("{} ({})", source.title, details.join(", "))
            }
        }
    }
}
