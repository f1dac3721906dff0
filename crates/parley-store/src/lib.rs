//! The negotiation record as an append-only, tamper-evident event log.
//!
//! Every change — a party, an issue, a round, an item (with its revisions), a stance, a red line,
//! a statement, a preference profile, a demand, a party's public key — is an [`Event`]: an upsert or
//! a deletion of one entity, with its actor and the time it was recorded. Each event carries the
//! SHA-256 hash of the one before it and its own, so editing, deleting, inserting or reordering any
//! stored event breaks the chain; once a party registers a key, its own events must carry its
//! ed25519 signature over the hash, so that not even a full rewrite of the chain can forge them,
//! and [`head::HeadStatement`]s signed outside the log catch one cut short. [`fold`] derives the
//! [`Negotiation`] from the events; the foundation's engines then give status, diffs and claims.
//!
//! Storage is behind [`store::EventStore`]; [`sqlite::SqliteStore`] keeps a local file (WAL mode,
//! synchronous commits) and [`postgres::PgStore`] a shared PostgreSQL database; [`open`] picks one
//! from a path or a `postgres://` URL.

pub mod chain;
pub mod content;
pub mod event;
pub mod head;
pub mod jobs;
mod pg_tls;
pub mod postgres;
pub mod sqlite;
pub mod store;
pub mod tokens;

pub use chain::{VerifyError, verify, verify_checkpoints};
pub use event::{Event, NewEvent, Op, changes, fold};
pub use jobs::{Job, JobStore};
pub use parley_core::model::Negotiation;
pub use store::{Checkpoint, EventStore, Group, KeyStatus, StoreError};
pub use tokens::{IssuedToken, NewToken, Store, Token, TokenAndHead, TokenStore, open_serving_store, open_store};

/// Opens the store a `--db` value names: a `postgres://` or `postgresql://` URL, or a SQLite file
/// path (created when `create` is set).
pub fn open(target: &str, create: bool) -> Result<Box<dyn EventStore>, StoreError> {
    if postgres::is_url(target) {
        Ok(Box::new(postgres::PgStore::open(target)?))
    } else {
        Ok(Box::new(sqlite::SqliteStore::open(std::path::Path::new(target), create)?))
    }
}

/// Opens an existing store only to read it: a SQLite file that cannot be written (a read-only
/// directory or mount, a full disk) is opened read-only rather than refused.
pub fn open_read(target: &str) -> Result<Box<dyn EventStore>, StoreError> {
    if postgres::is_url(target) {
        Ok(Box::new(postgres::PgStore::open(target)?))
    } else {
        Ok(Box::new(sqlite::SqliteStore::open_read(std::path::Path::new(target))?))
    }
}
