//! The ids of the entities a write creates (rounds, red lines, statements), chosen so that no
//! answer to a writer depends on an entity hidden from it.
//!
//! Ids share one namespace per section of the record, hidden entities included, so a writer
//! choosing an id could learn from a refusal that a hidden entity holds it ("duplicate red line").
//! So only a token whose viewer sees the whole record (`admin`) may name the id of what it
//! creates; any other writer leaves `id` out (or empty), and a write that names one is refused
//! before anything else is looked at — the same answer whatever the record holds. The server
//! then assigns the id: a prefix naming the section and 64 bits in hex,
//!
//! - from the operating system (`getrandom`) for an ordinary write, drawn again while it is taken
//!   (a clash is a chance of one in 2^64 per entity, and drawing again tells the writer nothing);
//! - for a signed write (`crate::signing`), which is made twice — prepared, then sent with the
//!   party's signatures over the prepared events, the id among them — derived instead from what
//!   both requests share: the SHA-256 of the negotiation, the writer's viewer, the head it named
//!   (`If-Match`) and the entity's content. The writer can compute it but not steer it: another
//!   viewer's or another head's write derives another id, so it can be taken only by this
//!   viewer's own identical write against the same view head (or by an admin's choice, who
//!   sees everything), and is then refused.
//!
//! The id is returned in the write's answer (`id`) and its `Location`.
//!
//! For the same reason a party's writer naming another party's entity (a demand, stance, red
//! line, preference or statement of another party) is refused for that ([`foreign`]) before the
//! record's checks: the whole record's checks would otherwise tell it of a hidden entity that
//! the new one clashes with (another party's private demand on the same issue and moment).

use axum::http::{HeaderValue, header};
use axum::response::Response;
use parley_core::model::Negotiation;
use sha2::{Digest, Sha256};

use crate::auth::Role;
use crate::error::{ApiError, Code};
use crate::signing::Signing;
use crate::writes::Change;

/// Where an assigned id comes from.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// Drawn from the operating system.
    Random,
    /// Derived from the write's content and the head it names (a signed write, or its prepare).
    Derived {
        /// The negotiation written to.
        negotiation: &'a str,
        /// The writer's viewer.
        viewer: &'a str,
        /// The head the write names (`If-Match`).
        head: &'a str,
    },
}

impl<'a> Source<'a> {
    /// The source for a write made with `signing`.
    pub fn of(signing: &Signing, negotiation: &'a str, viewer: &'a str, head: &'a str) -> Source<'a> {
        match signing {
            Signing::None => Source::Random,
            Signing::Prepare | Signing::Signed(_) => Source::Derived { negotiation, viewer, head },
        }
    }
}

/// The message of a refused client-chosen id.
pub const NAMED_BY_CLIENT: &str =
    "ids of new entities are assigned by the server: leave `id` out (only a token that sees the whole record names one)";

/// `change` with the id of the entity it creates settled, and that id; `None` for a change that
/// creates no entity with an id. `sees_everything`: the writer's viewer sees the whole record
/// (`whole`), so it may name the id itself.
pub fn assign(
    change: &Change,
    sees_everything: bool,
    source: Source<'_>,
    whole: &Negotiation,
) -> Result<Option<(Change, String)>, ApiError> {
    let Some((section, given)) = created(change) else {
        return Ok(None);
    };
    if !given.is_empty() {
        if sees_everything {
            return Ok(Some((change.clone(), given.to_owned())));
        }
        return Err(ApiError::field("id", NAMED_BY_CLIENT));
    }
    let taken = |id: &str| taken(whole, section, id);
    let id = match source {
        Source::Random => loop {
            let id = random(section)?;
            if !taken(&id) {
                break id;
            }
        },
        Source::Derived { negotiation, viewer, head } => {
            let id = derived(section, negotiation, viewer, head, change)?;
            if taken(&id) {
                return Err(ApiError::field("id", "this write was recorded already against this head: re-read and retry"));
            }
            id
        }
    };
    let mut change = change.clone();
    match &mut change {
        Change::Round(round) => round.id.clone_from(&id),
        Change::RedLine(red_line) => red_line.id.clone_from(&id),
        Change::Statement(statement) => statement.id.clone_from(&id),
        _ => {}
    }
    Ok(Some((change, id)))
}

/// Refuses (403) a party's writer naming another party's entity: the refusal the events'
/// check would give, given before the record's checks, so that it never depends on what the
/// whole record holds.
pub fn foreign(change: &Change, role: &Role, viewer: &str) -> Result<(), ApiError> {
    let Role::Party(party) = role else {
        return Ok(());
    };
    let (kind, owner) = match change {
        Change::Stance(stance) => ("stance", Some(stance.party.as_str())),
        Change::RedLine(red_line) => ("red-line", Some(red_line.party.as_str())),
        Change::Demand(demand) => ("demand", Some(demand.party.as_str())),
        Change::Preference(preference) => ("preference", Some(preference.party.as_str())),
        Change::Statement(statement) => ("statement", statement.party.as_deref()),
        _ => return Ok(()),
    };
    let owner = owner.unwrap_or("import");
    if owner == party {
        return Ok(());
    }
    Err(ApiError::new(Code::Forbidden, format!("a `{viewer}` token may not record this {kind} (it would be `{owner}`'s)")))
}

/// Adds `Location` to a write's answer: the `scenario` read, the new entity as fragment.
pub fn locate(response: &mut Response, negotiation: &str, change: &Change, id: Option<&str>) {
    let (Some((section, _)), Some(id)) = (created(change), id) else {
        return;
    };
    let location = format!("/api/v1/negotiations/{negotiation}/scenario#{section}/{id}");
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
}

/// The section (as the `scenario` read names it) and the given id of the entity `change` creates.
fn created(change: &Change) -> Option<(&'static str, &str)> {
    match change {
        Change::Round(round) => Some(("rounds", &round.id)),
        Change::RedLine(red_line) => Some(("red_lines", &red_line.id)),
        Change::Statement(statement) => Some(("statements", &statement.id)),
        _ => None,
    }
}

/// The prefix of the ids the server assigns in `section`.
fn prefix(section: &str) -> &'static str {
    match section {
        "rounds" => "round",
        "red_lines" => "red-line",
        _ => "statement",
    }
}

fn taken(whole: &Negotiation, section: &str, id: &str) -> bool {
    match section {
        "rounds" => whole.rounds.iter().any(|round| round.id == id),
        "red_lines" => whole.red_lines.iter().any(|red_line| red_line.id == id),
        _ => whole.statements.iter().any(|statement| statement.id == id),
    }
}

fn random(section: &str) -> Result<String, ApiError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|error| ApiError::internal(format!("no randomness for an id: {error}")))?;
    Ok(format!("{}-{}", prefix(section), hex(&bytes)))
}

fn derived(section: &str, negotiation: &str, viewer: &str, head: &str, change: &Change) -> Result<String, ApiError> {
    let content = match change {
        Change::Round(round) => serde_json::to_string(round),
        Change::RedLine(red_line) => serde_json::to_string(red_line),
        Change::Statement(statement) => serde_json::to_string(statement),
        _ => Ok(String::new()),
    }
    .map_err(ApiError::internal)?;
    let mut hasher = Sha256::new();
    for part in ["parley id v1", negotiation, viewer, head, section, &content] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    Ok(format!("{}-{}", prefix(section), hex(&hasher.finalize()[..8])))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red_line(id: &str) -> Change {
        let line = r#"{"id":"ID","party":"UA","expression":"x == 1","description":"","visibility":"public","since":"start","until":null,"source":""}"#;
        Change::RedLine(serde_json::from_str(&line.replace("ID", id)).unwrap())
    }

    #[test]
    fn a_named_id_is_refused_unless_the_writer_sees_everything() {
        let whole = Negotiation::default();
        let error = assign(&red_line("taken"), false, Source::Random, &whole).unwrap_err();
        assert_eq!(error.errors[0].field, "id");
        let (_, id) = assign(&red_line("taken"), true, Source::Random, &whole).unwrap().unwrap();
        assert_eq!(id, "taken");
    }

    #[test]
    fn assigned_ids_are_random_or_derived_from_the_write() {
        let whole = Negotiation::default();
        let (_, first) = assign(&red_line(""), false, Source::Random, &whole).unwrap().unwrap();
        let (_, second) = assign(&red_line(""), false, Source::Random, &whole).unwrap().unwrap();
        assert!(first.starts_with("red-line-") && first.len() == "red-line-".len() + 16, "{first}");
        assert_ne!(first, second);
        let derive = |head| {
            let source = Source::Derived { negotiation: "n", viewer: "UA", head };
            assign(&red_line(""), false, source, &whole).unwrap().unwrap().1
        };
        assert_eq!(derive("a"), derive("a"));
        assert_ne!(derive("a"), derive("b"));
    }
}
