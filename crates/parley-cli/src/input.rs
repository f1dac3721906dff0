//! Reading what the commands name: a scenario (a file, standard input, the bundled example, or a
//! database), the viewer, a head statement. Opening is the service's; this module prints the
//! reader's warnings and problems to standard error.

use std::path::Path;

use anyhow::Result;
use parley_core::model::Negotiation;
use parley_core::visibility::Viewer;
use parley_store::head::HeadStatement;

use crate::BadInput;

/// The example read when no file is named.
const BUNDLED_EXAMPLE: &str = include_str!("../../../scenarios/ukraine-2025.toml");
const BUNDLED_NAME: &str = "scenarios/ukraine-2025.toml (bundled)";

/// The text of a scenario and the name to show for it.
pub fn read_source(path: Option<&Path>) -> Result<(String, String)> {
    match path {
        None => Ok((BUNDLED_EXAMPLE.to_owned(), BUNDLED_NAME.to_owned())),
        Some(path) => Ok((read_text(path)?, parley_service::display_name(path))),
    }
}

/// Reads a file (or standard input for `-`) as UTF-8 text.
pub fn read_text(path: &Path) -> Result<String> {
    Ok(parley_service::read_text(path)?)
}

/// Loads a scenario, printing its warnings (or all its problems) to standard error.
pub fn load(path: Option<&Path>) -> Result<Negotiation> {
    let source = match path {
        None => parley_service::Source::Text { name: BUNDLED_NAME.to_owned(), text: BUNDLED_EXAMPLE.to_owned() },
        Some(path) => parley_service::Source::File(path.to_owned()),
    };
    match parley_service::open(&source) {
        Ok(opened) => {
            for warning in &opened.warnings {
                to_stderr!(line "{}", warning.render(&opened.name));
            }
            Ok(opened.negotiation)
        }
        Err(parley_service::ServiceError::Invalid { name, problems }) => {
            for problem in &problems {
                to_stderr!(line "{}", problem.render(&name));
            }
            Err(parley_service::ServiceError::Invalid { name, problems }.into())
        }
        Err(error) => Err(error.into()),
    }
}

/// The record a command names: a scenario file (or the bundled example), or a negotiation in a
/// database with `--db`; never both.
pub fn record_of(file: Option<&Path>, from_db: &crate::FromDb) -> Result<Negotiation> {
    match &from_db.db {
        Some(db) => {
            if let Some(file) = file {
                return Err(BadInput(format!("give either a scenario file ({}) or --db, not both", file.display())).into());
            }
            let source = parley_service::Source::Database { db: db.clone(), negotiation: from_db.negotiation.clone() };
            Ok(parley_service::open(&source)?.negotiation)
        }
        None => load(file),
    }
}

pub fn viewer_of(negotiation: &Negotiation, text: &str) -> Result<Viewer> {
    Ok(parley_service::viewer(negotiation, text)?)
}

/// A head statement file whose signatures hold.
pub fn read_statement(file: &Path) -> Result<HeadStatement> {
    let text = read_text(file)?;
    let statement: HeadStatement = serde_json::from_str(&text)
        .map_err(|error| BadInput(format!("{}: not a head statement written by `parley head`: {error}", file.display())))?;
    statement.check().map_err(|error| BadInput(format!("{}: {error}", file.display())))?;
    Ok(statement)
}
