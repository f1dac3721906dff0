//! Access tokens: who may read or write one negotiation over the server.
//!
//! A token is 256 random bits from the operating system, shown once when it is created and
//! stored only as the SHA-256 hash of its text, so a copy of the database gives no usable token.
//! Each belongs to one negotiation and one viewer (`admin`, `mediator`, `public` or a party id),
//! may write or only read, and carries a label (who holds it, for the log). Lookups read the
//! database every time, so a revocation takes effect on the next request, in every process.

use sha2::{Digest, Sha256};

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::store::{EventStore, StoreError, now_utc};

/// The prefix of every token's text, so that a leaked one is recognisable in logs and scanners.
pub const TOKEN_PREFIX: &str = "parley_";

/// A token as stored: everything but its secret.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Token {
    /// A short public id, for listing and revoking.
    pub id: String,
    pub negotiation: String,
    /// `admin`, `mediator`, `public` or a party id.
    pub viewer: String,
    /// Whether the token may write (otherwise it only reads).
    pub write: bool,
    pub label: String,
    pub created_at: String,
    /// When it was revoked, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// What a new token is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    pub negotiation: String,
    pub viewer: String,
    pub write: bool,
    pub label: String,
}

/// A token just created, with its secret text: the only time the secret exists outside its holder.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: Token,
    /// The bearer text (`parley_` and 64 hex digits).
    pub secret: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken").field("token", &self.token).field("secret", &"***").finish()
    }
}

/// A token (none when unknown or revoked) and a log's head (none when the log is empty).
pub type TokenAndHead = (Option<Token>, Option<(u64, String)>);

/// Where tokens are kept: both backends, in the table of their fourth migration.
pub trait TokenStore {
    /// Creates a token and returns it with its secret.
    fn create_token(&mut self, new: &NewToken) -> Result<IssuedToken, StoreError>;

    /// The tokens of one negotiation (every negotiation when `None`), oldest first.
    fn tokens(&mut self, negotiation: Option<&str>) -> Result<Vec<Token>, StoreError>;

    /// Revokes the token `id`; `false` when there is none (or it was revoked already).
    fn revoke_token(&mut self, id: &str) -> Result<bool, StoreError>;

    /// The valid (not revoked) token whose secret text is `secret`.
    fn token_for(&mut self, secret: &str) -> Result<Option<Token>, StoreError>;

    /// [`TokenStore::token_for`] and the head of `negotiation`'s log ([`crate::EventStore::head`]),
    /// read by one statement: what every read of the server asks first.
    fn token_and_head(&mut self, secret: &str, negotiation: &str) -> Result<TokenAndHead, StoreError>;

    /// [`TokenStore::token_and_head`] for each `(secret, negotiation)` asked, in their order, or
    /// [`TokenStore::token_for`] alone (no head) where no negotiation is asked: one statement on
    /// PostgreSQL, so that many requests share a round trip. Each answer is the one those give
    /// alone.
    fn tokens_and_heads(&mut self, asked: &[(String, Option<String>)]) -> Result<Vec<TokenAndHead>, StoreError> {
        asked
            .iter()
            .map(|(secret, negotiation)| match negotiation {
                Some(negotiation) => self.token_and_head(secret, negotiation),
                None => Ok((self.token_for(secret)?, None)),
            })
            .collect()
    }
}

/// The columns [`TokenStore::token_and_head`] and [`TokenStore::tokens_and_heads`] read: the
/// token's (each null when there is none) and the head's (null when the log is empty).
macro_rules! token_and_head_columns {
    () => {
        "t.id, t.negotiation, t.viewer, t.can_write, t.label, t.created_at, t.revoked_at, h.seq, h.hash"
    };
}

/// The statement of [`TokenStore::token_and_head`] (one row that is always there), its
/// parameters named `$token` and `$head`.
macro_rules! token_and_head {
    ($token:literal, $head:literal) => {
        concat!(
            "SELECT ",
            token_and_head_columns!(),
            " FROM (SELECT 1) AS one",
            " LEFT JOIN tokens AS t ON t.secret_hash = ",
            $token,
            " AND t.revoked_at IS NULL LEFT JOIN (SELECT seq, hash FROM events WHERE negotiation = ",
            $head,
            " ORDER BY seq DESC LIMIT 1) AS h ON true"
        )
    };
}

/// A store of events, tokens and jobs, as the server and `parley token` open it.
pub trait Store: EventStore + TokenStore + crate::jobs::JobStore + Send {}

impl<T: EventStore + TokenStore + crate::jobs::JobStore + Send> Store for T {}

/// Opens the store a `--db` value names (as [`crate::open`]), with its tokens.
pub fn open_store(target: &str, create: bool) -> Result<Box<dyn Store>, StoreError> {
    if crate::postgres::is_url(target) {
        Ok(Box::new(PgStore::open(target)?))
    } else {
        Ok(Box::new(SqliteStore::open(std::path::Path::new(target), create)?))
    }
}

/// As [`open_store`], for one of the many connections a server keeps to a log that they append
/// to while the others read: a SQLite file is read without the memory map
/// ([`SqliteStore::unmapped`]).
pub fn open_serving_store(target: &str, create: bool) -> Result<Box<dyn Store>, StoreError> {
    if crate::postgres::is_url(target) {
        open_store(target, create)
    } else {
        Ok(Box::new(SqliteStore::open(std::path::Path::new(target), create)?.unmapped()?))
    }
}

/// The SHA-256 hash of a token's text, as stored (hex).
pub fn secret_hash(secret: &str) -> String {
    crate::chain::hex(&Sha256::digest(secret.as_bytes()))
}

/// `count` random bytes from the operating system.
fn random(location: &str, count: usize) -> Result<Vec<u8>, StoreError> {
    let mut bytes = vec![0u8; count];
    getrandom::fill(&mut bytes)
        .map_err(|error| StoreError::Io { location: location.to_owned(), detail: format!("no randomness from the system: {error}") })?;
    Ok(bytes)
}

/// A fresh token: its id (8 random bytes, hex) and secret (32 random bytes, hex, prefixed).
fn issue(location: &str, new: &NewToken) -> Result<IssuedToken, StoreError> {
    let id = crate::chain::hex(&random(location, 8)?);
    let secret = format!("{TOKEN_PREFIX}{}", crate::chain::hex(&random(location, 32)?));
    let token = Token {
        id,
        negotiation: new.negotiation.clone(),
        viewer: new.viewer.clone(),
        write: new.write,
        label: new.label.clone(),
        created_at: now_utc(),
        revoked_at: None,
    };
    Ok(IssuedToken { token, secret })
}

/// The token columns, in the order `sqlite_token` and `postgres_token` read them (a macro, so that
/// whole statements can be built from it at compile time).
macro_rules! columns {
    () => {
        "id, negotiation, viewer, can_write, label, created_at, revoked_at"
    };
}
const COLUMNS: &str = columns!();

impl TokenStore for SqliteStore {
    fn create_token(&mut self, new: &NewToken) -> Result<IssuedToken, StoreError> {
        let issued = issue(self.location(), new)?;
        let token = &issued.token;
        self.connection()
            .execute(
                "INSERT INTO tokens (id, negotiation, viewer, can_write, label, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![
                    token.id,
                    token.negotiation,
                    token.viewer,
                    token.write,
                    token.label,
                    secret_hash(&issued.secret),
                    token.created_at
                ],
            )
            .map_err(|error| self.sqlite(error))?;
        Ok(issued)
    }

    fn tokens(&mut self, negotiation: Option<&str>) -> Result<Vec<Token>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM tokens WHERE ?1 IS NULL OR negotiation = ?1 ORDER BY created_at, id");
        let read = || -> rusqlite::Result<Vec<Token>> {
            let mut statement = self.connection().prepare(&sql)?;
            let rows = statement.query_map([negotiation], sqlite_token)?;
            rows.collect()
        };
        read().map_err(|error| self.sqlite(error))
    }

    fn revoke_token(&mut self, id: &str) -> Result<bool, StoreError> {
        let changed = self
            .connection()
            .execute("UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", rusqlite::params![id, now_utc()])
            .map_err(|error| self.sqlite(error))?;
        Ok(changed > 0)
    }

    fn token_for(&mut self, secret: &str) -> Result<Option<Token>, StoreError> {
        use rusqlite::OptionalExtension;
        let sql = format!("SELECT {COLUMNS} FROM tokens WHERE secret_hash = ?1 AND revoked_at IS NULL");
        // Cached: every request looks its token up.
        self.connection()
            .prepare_cached(&sql)
            .and_then(|mut statement| statement.query_row([secret_hash(secret)], sqlite_token).optional())
            .map_err(|error| self.sqlite(error))
    }

    fn token_and_head(&mut self, secret: &str, negotiation: &str) -> Result<TokenAndHead, StoreError> {
        const SQL: &str = token_and_head!("?1", "?2");
        let read = |row: &rusqlite::Row<'_>| {
            let token = match row.get::<_, Option<String>>(0)? {
                Some(_) => Some(sqlite_token(row)?),
                None => None,
            };
            let head = match (row.get::<_, Option<i64>>(7)?, row.get::<_, Option<String>>(8)?) {
                (Some(seq), Some(hash)) => Some((seq as u64, hash)),
                _ => None,
            };
            Ok((token, head))
        };
        self.connection()
            .prepare_cached(SQL)
            .and_then(|mut statement| statement.query_row(rusqlite::params![secret_hash(secret), negotiation], read))
            .map_err(|error| self.sqlite(error))
    }
}

impl SqliteStore {
    fn sqlite(&self, error: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { location: self.location().to_owned(), error }
    }
}

fn sqlite_token(row: &rusqlite::Row<'_>) -> rusqlite::Result<Token> {
    Ok(Token {
        id: row.get(0)?,
        negotiation: row.get(1)?,
        viewer: row.get(2)?,
        write: row.get(3)?,
        label: row.get(4)?,
        created_at: row.get(5)?,
        revoked_at: row.get(6)?,
    })
}

fn postgres_token(row: &postgres::Row) -> Token {
    Token {
        id: row.get(0),
        negotiation: row.get(1),
        viewer: row.get(2),
        write: row.get(3),
        label: row.get(4),
        created_at: row.get(5),
        revoked_at: row.get(6),
    }
}

impl PgStore {
    fn postgres(&self, error: postgres::Error) -> StoreError {
        StoreError::Postgres { location: self.location().to_owned(), error }
    }
}

impl TokenStore for PgStore {
    fn create_token(&mut self, new: &NewToken) -> Result<IssuedToken, StoreError> {
        let issued = issue(self.location(), new)?;
        let token = &issued.token;
        let hash = secret_hash(&issued.secret);
        let result = self.client().execute(
            "INSERT INTO tokens (id, negotiation, viewer, can_write, label, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&token.id, &token.negotiation, &token.viewer, &token.write, &token.label, &hash, &token.created_at],
        );
        result.map_err(|error| self.postgres(error))?;
        Ok(issued)
    }

    fn tokens(&mut self, negotiation: Option<&str>) -> Result<Vec<Token>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM tokens WHERE $1::TEXT IS NULL OR negotiation = $1 ORDER BY created_at, id");
        let rows = self.client().query(&sql, &[&negotiation]);
        Ok(rows.map_err(|error| self.postgres(error))?.iter().map(postgres_token).collect())
    }

    fn revoke_token(&mut self, id: &str) -> Result<bool, StoreError> {
        let now = now_utc();
        let changed = self.client().execute("UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", &[&id, &now]);
        Ok(changed.map_err(|error| self.postgres(error))? > 0)
    }

    fn token_for(&mut self, secret: &str) -> Result<Option<Token>, StoreError> {
        const SQL: &str = concat!("SELECT ", columns!(), " FROM tokens WHERE secret_hash = $1 AND revoked_at IS NULL");
        let hash = secret_hash(secret);
        let row = self.statement(SQL).and_then(|statement| self.client().query_opt(&statement, &[&hash]));
        Ok(row.map_err(|error| self.postgres(error))?.as_ref().map(postgres_token))
    }

    fn token_and_head(&mut self, secret: &str, negotiation: &str) -> Result<TokenAndHead, StoreError> {
        const SQL: &str = token_and_head!("$1", "$2");
        let hash = secret_hash(secret);
        let row = self.statement(SQL).and_then(|statement| self.client().query_one(&statement, &[&hash, &negotiation]));
        let row = row.map_err(|error| self.postgres(error))?;
        Ok(postgres_token_and_head(&row))
    }

    fn tokens_and_heads(&mut self, asked: &[(String, Option<String>)]) -> Result<Vec<TokenAndHead>, StoreError> {
        // One row per pair asked (the tokens' hashes are unique), numbered by its place; no
        // negotiation (null) matches no event, so no head.
        const SQL: &str = concat!(
            "SELECT ",
            token_and_head_columns!(),
            ", asked.place",
            " FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS asked(secret_hash, negotiation, place)",
            " LEFT JOIN tokens AS t ON t.secret_hash = asked.secret_hash AND t.revoked_at IS NULL",
            " LEFT JOIN LATERAL (SELECT seq, hash FROM events WHERE negotiation = asked.negotiation ORDER BY seq DESC LIMIT 1) AS h ON true",
            " ORDER BY asked.place"
        );
        let hashes: Vec<String> = asked.iter().map(|(secret, _)| secret_hash(secret)).collect();
        let negotiations: Vec<Option<&str>> = asked.iter().map(|(_, negotiation)| negotiation.as_deref()).collect();
        let rows = self.statement(SQL).and_then(|statement| self.client().query(&statement, &[&hashes, &negotiations]));
        let rows = rows.map_err(|error| self.postgres(error))?;
        let places: Vec<i64> = rows.iter().map(|row| row.get(9)).collect();
        if !places.iter().copied().eq(1..=asked.len() as i64) {
            let detail = format!("{} answers to {} token lookups", rows.len(), asked.len());
            return Err(StoreError::Io { location: self.location().to_owned(), detail });
        }
        Ok(rows.iter().map(postgres_token_and_head).collect())
    }
}

/// A row of [`token_and_head_columns!`].
fn postgres_token_and_head(row: &postgres::Row) -> TokenAndHead {
    let token = row.get::<_, Option<String>>(0).map(|_| postgres_token(row));
    let head = match (row.get::<_, Option<i64>>(7), row.get::<_, Option<String>>(8)) {
        (Some(seq), Some(hash)) => Some((seq as u64, hash)),
        _ => None,
    };
    (token, head)
}
