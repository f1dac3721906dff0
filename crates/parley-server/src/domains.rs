//! The domain catalogue: GENIUS domains the server's operator put on its disk
//! (`parley serve --domains DIR`), which simulations and tournaments may run on besides the
//! record's own problem.
//!
//! Clients name an entry of the catalogue, never a path: the server reads only the folders it
//! was started with, found when it starts. Each entry is one folder holding a domain file and
//! its profiles (`parley simulate FOLDER` reads the same folder the same way, through
//! `parley_service::load_genius_folder`); a folder that cannot be read is listed with the
//! reader's error and cannot be chosen. The catalogue is public: every token sees the same list.

use std::path::{Path, PathBuf};

use parley_service::ProblemSource;
use serde::Serialize;

use crate::error::{ApiError, Code};

/// The GENIUS domains of this server, in name order.
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    entries: Vec<Entry>,
}

/// One folder of the catalogue, as clients see it (no path: where it lies is the server's).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Domain {
    /// What a job's `domain` field names: the folder's name.
    pub name: String,
    /// The domain's own name (from its domain file), once read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The profiles' parties, in the order agents are given (file-name order).
    pub parties: Vec<String>,
    /// How many issues the domain has.
    pub issues: usize,
    /// The number of outcomes, exactly (a decimal integer).
    pub outcomes: String,
    /// Why the folder cannot be used (it is then listed, but no job runs on it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug)]
struct Entry {
    shown: Domain,
    folder: PathBuf,
}

impl Catalogue {
    /// The catalogue of the folders under each of `directories`: every subfolder holding XML
    /// files is an entry (and a directory that itself holds XML files is one). A directory that
    /// cannot be listed is an error (the server should not start); a folder whose files cannot be
    /// read is an entry with its error.
    pub fn scan(directories: &[PathBuf]) -> Result<Catalogue, String> {
        let mut folders = Vec::new();
        for directory in directories {
            let listed = std::fs::read_dir(directory).map_err(|error| format!("--domains {}: {error}", directory.display()))?;
            if holds_xml(directory) {
                folders.push(directory.clone());
            }
            let mut inside: Vec<PathBuf> = listed.filter_map(Result::ok).map(|entry| entry.path()).filter(|path| path.is_dir()).collect();
            inside.sort();
            folders.extend(inside.into_iter().filter(|folder| holds_xml(folder)));
        }
        let mut entries: Vec<Entry> = Vec::new();
        for folder in folders {
            let name = folder.file_name().map_or_else(|| folder.display().to_string(), |name| name.to_string_lossy().into_owned());
            let mut shown = describe(&name, &folder);
            if let Some(first) = entries.iter().find(|entry| entry.shown.name == name) {
                // Names are what clients choose by: a second folder of the same name is listed,
                // and never chosen in place of the first.
                shown = Domain {
                    error: Some(format!("another folder of the catalogue is named `{name}` ({} is used)", first.folder.display())),
                    domain: None,
                    parties: Vec::new(),
                    issues: 0,
                    outcomes: "0".to_owned(),
                    name,
                };
            }
            entries.push(Entry { shown, folder });
        }
        entries.sort_by(|a, b| a.shown.name.cmp(&b.shown.name));
        Ok(Catalogue { entries })
    }

    /// Every entry, readable or not, in name order.
    pub fn domains(&self) -> Vec<Domain> {
        self.entries.iter().map(|entry| entry.shown.clone()).collect()
    }

    /// The readable entry named `name`, if any.
    pub fn get(&self, name: &str) -> Option<&Domain> {
        self.entries.iter().map(|entry| &entry.shown).find(|shown| shown.name == name && shown.error.is_none())
    }

    /// Reads the domain named `name` (`field` names the request's field in errors): exactly what
    /// `parley simulate FOLDER` reads. A name that is not a readable entry of the catalogue is
    /// refused as such: it is never taken for a path.
    pub fn problem(&self, name: &str, field: &str) -> Result<ProblemSource, ApiError> {
        let entry = self.entries.iter().find(|entry| entry.shown.name == name && entry.shown.error.is_none());
        let Some(entry) = entry else {
            let names: Vec<&str> =
                self.entries.iter().filter(|entry| entry.shown.error.is_none()).map(|entry| entry.shown.name.as_str()).collect();
            let known =
                if names.is_empty() { "this server offers no domains".to_owned() } else { format!("expected one of {}", names.join(", ")) };
            return Err(ApiError::field(field, format!("no domain `{name}` in the catalogue ({known}; see GET /api/v1/domains)")));
        };
        let source = parley_service::load_genius_folder(&entry.folder, None)
            .map_err(|error| ApiError::new(Code::Invalid, format!("domain `{name}` cannot be read: {error}")))?;
        Ok(ProblemSource::genius(source.name, source.problem))
    }
}

fn holds_xml(folder: &Path) -> bool {
    std::fs::read_dir(folder).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|entry| entry.path().extension().is_some_and(|extension| extension.eq_ignore_ascii_case("xml")))
    })
}

/// Reads `folder` once, for the listing.
fn describe(name: &str, folder: &Path) -> Domain {
    match parley_service::load_genius_folder(folder, None) {
        Ok(source) => Domain {
            name: name.to_owned(),
            domain: Some(source.name),
            parties: source.problem.parties.iter().map(|party| party.name.clone()).collect(),
            issues: source.problem.space.issues.len(),
            outcomes: source.problem.space.count().to_string(),
            error: None,
        },
        Err(error) => Domain {
            name: name.to_owned(),
            domain: None,
            parties: Vec::new(),
            issues: 0,
            outcomes: "0".to_owned(),
            // The reader names files by path; the listing is public, so only the folder's name shows.
            error: Some(error.to_string().replace(&folder.display().to_string(), name)),
        },
    }
}
