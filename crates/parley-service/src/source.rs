//! Where a negotiation comes from, and opening it.

use std::path::{Path, PathBuf};

use parley_core::diagnostic::Diagnostic;
use parley_core::model::Negotiation;
use parley_core::scenario;

use crate::ServiceError;

/// Where a negotiation is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A scenario file; `-` is standard input. Read within [`crate::input::MAX_INPUT_BYTES`].
    File(PathBuf),
    /// A scenario's text already in memory (a request body, a bundled example), with the name
    /// its diagnostics are shown under.
    Text {
        /// The name shown in diagnostics.
        name: String,
        /// The scenario TOML.
        text: String,
    },
    /// A negotiation recorded in a database (a SQLite path or a `postgres://` URL): the one named,
    /// or the only one the database holds.
    Database {
        /// The database, as `--db` gives it.
        db: String,
        /// The negotiation's id; `None` picks the only one.
        negotiation: Option<String>,
    },
}

/// A negotiation as opened, with what its reader warned about.
#[derive(Debug)]
pub struct Opened {
    /// The whole record: every viewer's operations start from it.
    pub negotiation: Negotiation,
    /// The name the source is shown by (a path, `<stdin>`, a database's location with any
    /// password redacted).
    pub name: String,
    /// The scenario reader's warnings (none for a database), to render with
    /// [`Diagnostic::render`] and `name`.
    pub warnings: Vec<Diagnostic>,
}

/// Opens a negotiation. A scenario that does not parse is [`ServiceError::Invalid`] with every
/// problem found; a database's negotiation is its folded log.
pub fn open(source: &Source) -> Result<Opened, ServiceError> {
    match source {
        Source::File(path) => parse(read_text(path)?, display_name(path)),
        Source::Text { name, text } => parse_text(text, name.clone()),
        Source::Database { db, negotiation } => {
            let mut store = crate::open_read(db)?;
            let id = crate::choose(&mut *store, negotiation.as_deref())?;
            let negotiation = store.negotiation(&id, None).map_err(ServiceError::store)?;
            // The store's location, not `db`: a PostgreSQL URL's password is redacted there.
            Ok(Opened { negotiation, name: store.location().to_owned(), warnings: Vec::new() })
        }
    }
}

fn parse(text: String, name: String) -> Result<Opened, ServiceError> {
    parse_text(&text, name)
}

fn parse_text(text: &str, name: String) -> Result<Opened, ServiceError> {
    match scenario::parse(text) {
        Ok(loaded) => Ok(Opened { negotiation: loaded.negotiation, name, warnings: loaded.warnings }),
        Err(problems) => Err(ServiceError::Invalid { name, problems }),
    }
}

/// Reads a file (or standard input for `-`) as UTF-8 text, within the input limit; text that is
/// not UTF-8 is refused with the line and column of the first bad byte.
pub fn read_text(path: &Path) -> Result<String, ServiceError> {
    let bytes = crate::input::read_bytes(path)?;
    String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let bytes = error.as_bytes();
        // Everything before the bad byte is valid text: count lines and characters there.
        let before = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
        let shown = bytes.get(offset).map_or(String::new(), |byte| format!(" 0x{byte:02X}"));
        ServiceError::BadInput(format!(
            "{}:{line}:{column}: not UTF-8 text (invalid byte{shown} at byte offset {offset}); save the file as UTF-8",
            path.display()
        ))
    })
}

/// The name a file is shown by in diagnostics.
pub fn display_name(path: &Path) -> String {
    if path == Path::new("-") { "<stdin>".to_owned() } else { path.display().to_string() }
}
