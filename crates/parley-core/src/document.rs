//! The documents of a negotiation: an interim deal, a framework, a final agreement, side letters,
//! declarations. Every item belongs to one document, and each document has a lifecycle recorded
//! as dated events (drafted, agreed, signed, in force, extended, expired, superseded, rejected).
//!
//! A file without `[[documents]]` has one implicit document holding every item: its items carry an
//! empty `document` and nothing about documents is shown, so such files read as they always did.

use serde::{Deserialize, Serialize};

use crate::model::{Keyword, Moment};

/// One negotiated text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub kind: DocumentKind,
    /// The document this one replaces (the final deal superseding an interim one).
    pub supersedes: Option<String>,
    /// The document this one puts into effect (an implementing text of a framework).
    pub implements: Option<String>,
    pub description: String,
    /// Its lifecycle, in time order.
    pub events: Vec<DocumentEvent>,
}

/// What kind of text a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    Interim,
    Framework,
    Final,
    SideLetter,
    Declaration,
    Other,
}

/// A step in a document's lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentState {
    Draft,
    Agreed,
    Signed,
    InForce,
    Extended,
    Expired,
    Superseded,
    Rejected,
}

/// A dated change of a document's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentEvent {
    pub state: DocumentState,
    pub at: Moment,
    /// For `extended`: the date the document now runs until.
    pub until: Option<crate::date::Date>,
    pub note: String,
    pub source: String,
}

crate::model::keywords!(DocumentKind {
    Interim => "interim",
    Framework => "framework",
    Final => "final",
    SideLetter => "side-letter",
    Declaration => "declaration",
    Other => "other",
});

crate::model::keywords!(DocumentState {
    Draft => "draft",
    Agreed => "agreed",
    Signed => "signed",
    InForce => "in-force",
    Extended => "extended",
    Expired => "expired",
    Superseded => "superseded",
    Rejected => "rejected",
});

impl DocumentState {
    /// The states a document may move to from this one. A document's first event may be any
    /// state: records often begin with a text already agreed or signed.
    pub fn next(self) -> &'static [DocumentState] {
        use DocumentState::*;
        match self {
            Draft => &[Draft, Agreed, Signed, Rejected, Superseded],
            Agreed => &[Signed, InForce, Rejected, Superseded],
            Signed => &[InForce, Rejected, Superseded],
            InForce => &[Extended, Expired, Superseded],
            Extended => &[Extended, Expired, Superseded],
            // Terminal: a rejected or expired text is not revived; a new document replaces it.
            Expired | Superseded | Rejected => &[],
        }
    }

    /// Whether the document no longer binds anyone in this state.
    pub fn is_terminal(self) -> bool {
        self.next().is_empty()
    }
}

impl std::fmt::Display for DocumentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.keyword())
    }
}

/// How an item is written where it is referred to: `N` in a file with at most one document,
/// `DOC:N` otherwise.
pub fn item_label(document: &str, number: u32, several_documents: bool) -> String {
    if several_documents && !document.is_empty() { format!("{document}:{number}") } else { number.to_string() }
}

/// A document's status at a point: its items' states and its recorded lifecycle.
#[derive(Clone, Debug, Serialize)]
pub struct DocumentStatus {
    pub id: String,
    pub title: String,
    pub kind: DocumentKind,
    /// Derived from its items: accepted when every item in it is agreed.
    pub framework: crate::status::FrameworkStatus,
    /// The latest recorded lifecycle state by the point, if any.
    pub state: Option<DocumentState>,
    /// When that state was recorded: a round id or a date.
    pub since: Option<String>,
    /// For an extended document: the date it now runs until.
    pub until: Option<crate::date::Date>,
    pub supersedes: Option<String>,
    pub implements: Option<String>,
}

impl crate::status::Record<'_> {
    /// Every document's status at `at`, from the statuses of the items introduced by then.
    pub(crate) fn document_statuses(&self, at: crate::timeline::Instant, items: &[crate::status::ItemStatus]) -> Vec<DocumentStatus> {
        self.negotiation
            .documents
            .iter()
            .enumerate()
            .map(|(index, document)| {
                let event = self.document_event_at(index, at);
                DocumentStatus {
                    id: document.id.clone(),
                    title: document.title.clone(),
                    kind: document.kind,
                    framework: crate::status::FrameworkStatus::count(items.iter().filter(|item| item.document == document.id)),
                    state: event.map(|event| event.state),
                    since: event.map(|event| crate::status::Record::moment_label(&event.at)),
                    until: event.and_then(|event| event.until),
                    supersedes: document.supersedes.clone(),
                    implements: document.implements.clone(),
                }
            })
            .collect()
    }
}
