//! The PostgreSQL backend, for records shared by a team.
//!
//! Appends run in one transaction holding a per-negotiation advisory lock, compare the head with the
//! caller's expectation and write all events or none; the primary key (negotiation, seq) backs this
//! up. A commit returns once PostgreSQL has flushed it (the server's default `synchronous_commit`).

use postgres::error::SqlState;
use postgres::{Client, NoTls};

use crate::chain::seal_presigned_for_storage;
use crate::event::{Event, Folder, Op, Payload, StoredRow};
use crate::pg_tls;
use crate::store::{Checkpoint, DISTINCT_NEGOTIATIONS, EventStore, Group, KEY_STATUS, KeyStatus, StoreError, clamp, now_utc};

/// The schema, one forward-only step per entry: `(version, SQL)`.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_events.sql")),
    (2, include_str!("../migrations/postgres/0002_append_only.sql")),
    (3, include_str!("../migrations/postgres/0003_checkpoints.sql")),
    (4, include_str!("../migrations/postgres/0004_tokens_jobs.sql")),
    (5, include_str!("../migrations/postgres/0005_job_owners.sql")),
    (6, include_str!("../migrations/postgres/0006_key_index.sql")),
];

/// Whether a `--db` value names PostgreSQL (a `postgres://` or `postgresql://` URL).
pub fn is_url(target: &str) -> bool {
    target.starts_with("postgres://") || target.starts_with("postgresql://")
}

/// The channel every append notifies (`NOTIFY parley_appended, 'NEGOTIATION'`).
pub const NOTIFY_CHANNEL: &str = "parley_appended";

/// The schema version this build writes (the same numbering as SQLite's).
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Serialises migrations across processes (an arbitrary constant key).
const MIGRATION_LOCK: i64 = 0x7061_726c_6579;

pub struct PgStore {
    client: Client,
    location: String,
    /// The statements every request runs (the head, a token), prepared once per connection: a
    /// query given as text is prepared on each run, one more round trip and one more parse. A
    /// prepared statement that fails (say, once another process changed the schema) fails its
    /// request, and the server does not reuse a store whose request failed.
    prepared: std::collections::HashMap<String, postgres::Statement>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("location", &self.location).finish_non_exhaustive()
    }
}

/// The URL without its password (given as `user:password@` or as a `password=` parameter), for
/// messages.
pub fn redact(url: &str) -> String {
    let (address, query) = match url.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (url, None),
    };
    let mut redacted = match address.split_once("://").and_then(|(scheme, rest)| Some((scheme, rest.split_once('@')?))) {
        Some((scheme, (credentials, host))) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => address.to_owned(),
        },
        None => address.to_owned(),
    };
    if let Some(query) = query {
        let parameters: Vec<String> = query
            .split('&')
            .map(|parameter| if parameter.starts_with("password=") { "password=***".to_owned() } else { parameter.to_owned() })
            .collect();
        redacted.push('?');
        redacted.push_str(&parameters.join("&"));
    }
    redacted
}

impl PgStore {
    /// The statement `sql`, prepared on this connection the first time it is asked for.
    /// Only a few fixed statements are asked for, so the cache stays small.
    pub(crate) fn statement(&mut self, sql: &str) -> Result<postgres::Statement, postgres::Error> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.prepared.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Connects to the database at `url` (`postgres://user:password@host:port/database`) and
    /// brings its schema up to date. A database of a newer schema is refused untouched.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        PgStore::open_at(url, SCHEMA_VERSION)
    }

    /// As [`PgStore::open`], migrating only up to `version` (for upgrade tests).
    pub fn open_at(url: &str, version: i64) -> Result<PgStore, StoreError> {
        let location = redact(url);
        let (url, tls) = pg_tls::parse(url).map_err(|detail| StoreError::Tls { location: location.clone(), detail })?;
        let client = match tls {
            pg_tls::Mode::Plain => Client::connect(&url, NoTls),
            pg_tls::Mode::Tls(config) => Client::connect(&url, pg_tls::RustlsConnect(config)),
        }
        .map_err(|source| connect_error(&location, source))?;
        let mut store = PgStore { client, location, prepared: std::collections::HashMap::new() };
        store.prepare(version)?;
        Ok(store)
    }

    /// The raw client, for tests and benchmarks that need to go around the log.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    fn error(&self, source: postgres::Error) -> StoreError {
        StoreError::Postgres { location: self.location.clone(), error: source }
    }

    fn current_version(client: &mut impl postgres::GenericClient) -> Result<Option<i64>, postgres::Error> {
        let exists: bool = client.query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])?.get(0);
        if !exists {
            return Ok(None);
        }
        Ok(Some(client.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])?.get(0)))
    }

    fn prepare(&mut self, target: i64) -> Result<(), StoreError> {
        let current = PgStore::current_version(&mut self.client).map_err(|source| self.error(source))?;
        if let Some(found) = current.filter(|found| *found > SCHEMA_VERSION) {
            return Err(StoreError::NewerSchema { location: self.location.clone(), found, supported: SCHEMA_VERSION });
        }
        if current.unwrap_or(0) >= target {
            return Ok(());
        }
        let location = self.location.clone();
        let postgres = |source| StoreError::Postgres { location: location.clone(), error: source };
        let mut transaction = self.client.transaction().map_err(postgres)?;
        transaction.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(postgres)?;
        transaction
            .batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)")
            .map_err(postgres)?;
        // Re-read under the lock: another process may have migrated meanwhile.
        let current = PgStore::current_version(&mut transaction).map_err(postgres)?.unwrap_or(0);
        for (version, sql) in MIGRATIONS.iter().filter(|(version, _)| *version > current && *version <= target) {
            transaction.batch_execute(sql).map_err(postgres)?;
            transaction
                .execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", &[version, &now_utc()])
                .map_err(postgres)?;
        }
        transaction.commit().map_err(postgres)
    }

    /// The schema version of the database.
    pub fn schema_version(&mut self) -> Result<i64, StoreError> {
        PgStore::current_version(&mut self.client).map(Option::unwrap_or_default).map_err(|source| self.error(source))
    }
}

/// The columns of an event row, each a parameter of an `INSERT`.
const COLUMNS: usize = 12;

/// Rows written by one `INSERT` (12 parameters each, within PostgreSQL's 65,535).
pub const ROWS_PER_INSERT: usize = 1_000;

/// An op as a statement parameter (a promoted constant, so it lives as long as the statement).
fn op_parameter(op: Op) -> &'static (dyn postgres::types::ToSql + Sync) {
    match op {
        Op::Upsert => &"upsert",
        Op::Delete => &"delete",
    }
}

/// `INSERT INTO events ... VALUES (...), (...)` for `rows` rows.
pub fn insert_statement(rows: usize) -> String {
    insert_statement_of(rows, COLUMNS - 1)
}

/// `insert_statement` of the first `columns` columns (the label, the last, only with one).
fn insert_statement_of(rows: usize, columns: usize) -> String {
    let names = ["negotiation", "seq", "kind", "key", "op", "actor", "recorded_at", "payload", "prev_hash", "hash", "signature", "label"];
    let mut sql = format!("INSERT INTO events ({}) VALUES ", names[..columns].join(", "));
    for row in 0..rows {
        let first = row * columns;
        let placeholders: Vec<String> = (first + 1..=first + columns).map(|number| format!("${number}")).collect();
        sql.push_str(if row == 0 { "(" } else { ", (" });
        sql.push_str(&placeholders.join(", "));
        sql.push(')');
    }
    sql
}

fn checkpoint_row(row: &postgres::Row) -> Checkpoint {
    Checkpoint { seq: row.get::<_, i64>(0) as u64, hash: row.get(1), format: row.get(2), state: row.get(3) }
}

/// A connection failure: a refused or unreachable server, or rejected credentials.
fn connect_error(location: &str, source: postgres::Error) -> StoreError {
    let rejected = matches!(
        source.code(),
        Some(code) if *code == SqlState::INVALID_PASSWORD || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION || *code == SqlState::INVALID_CATALOG_NAME
    );
    let detail = source.as_db_error().map_or_else(|| source.to_string(), |db| db.message().to_owned());
    if detail.starts_with("error performing TLS handshake") {
        StoreError::Tls { location: location.to_owned(), detail: pg_tls::explain(&source) }
    } else if rejected {
        StoreError::Rejected { location: location.to_owned(), detail }
    } else {
        StoreError::Unreachable { location: location.to_owned(), detail }
    }
}

impl EventStore for PgStore {
    fn location(&self) -> &str {
        &self.location
    }

    fn negotiations(&mut self) -> Result<Vec<String>, StoreError> {
        let rows = self.client.query(DISTINCT_NEGOTIATIONS, &[]).map_err(|source| self.error(source))?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    fn head(&mut self, negotiation: &str) -> Result<Option<(u64, String)>, StoreError> {
        let row = self
            .statement("SELECT seq, hash FROM events WHERE negotiation = $1 ORDER BY seq DESC LIMIT 1")
            .and_then(|statement| self.client.query_opt(&statement, &[&negotiation]))
            .map_err(|source| self.error(source))?;
        Ok(row.map(|row| (row.get::<_, i64>(0) as u64, row.get(1))))
    }

    fn events(&mut self, negotiation: &str) -> Result<Vec<Event>, StoreError> {
        let rows = self
            .client
            .query(
                "SELECT negotiation, seq, kind, key, op, actor, recorded_at, payload, prev_hash, hash, signature, label
                 FROM events WHERE negotiation = $1 ORDER BY seq",
                &[&negotiation],
            )
            .map_err(|source| self.error(source))?;
        Ok(rows
            .iter()
            .map(|row| {
                Event::from(StoredRow {
                    negotiation: row.get(0),
                    seq: row.get(1),
                    kind: row.get(2),
                    key: row.get(3),
                    op: row.get(4),
                    actor: row.get(5),
                    recorded_at: row.get(6),
                    payload: row.get(7),
                    prev_hash: row.get(8),
                    hash: row.get(9),
                    signature: row.get(10),
                    label: row.get(11),
                })
            })
            .collect())
    }

    fn apply_events(&mut self, negotiation: &str, after: u64, up_to: Option<u64>, folder: &mut Folder) -> Result<u64, StoreError> {
        use postgres::fallible_iterator::FallibleIterator;
        let location = self.location.clone();
        let postgres = |source| StoreError::Postgres { location: location.clone(), error: source };
        let (after, limit) = (clamp(after), up_to.map_or(i64::MAX, clamp));
        // Streamed: each row is folded as it arrives rather than the whole log held first.
        let statement = self
            .statement("SELECT seq, kind, key, op, payload FROM events WHERE negotiation = $1 AND seq > $2 AND seq <= $3 ORDER BY seq")
            .map_err(postgres)?;
        let mut rows =
            self.client.query_raw(&statement, [&negotiation as &(dyn postgres::types::ToSql + Sync), &after, &limit]).map_err(postgres)?;
        let fold_error = |source| StoreError::Fold { negotiation: negotiation.to_owned(), source };
        let mut applied = 0;
        while let Some(row) = rows.next().map_err(postgres)? {
            let seq: i64 = row.get(0);
            folder.apply(seq as u64, row.get(1), row.get(2), Op::from_stored(row.get(3)), Payload::Text(row.get(4))).map_err(fold_error)?;
            applied += 1;
        }
        Ok(applied)
    }

    fn key_status(&mut self, negotiation: &str, party: &str) -> Result<KeyStatus, StoreError> {
        let sql = KEY_STATUS.replace("{1}", "$1").replace("{2}", "$2");
        let row = self
            .statement(&sql)
            .and_then(|statement| self.client.query_opt(&statement, &[&negotiation, &party]))
            .map_err(|source| self.error(source))?;
        Ok(KeyStatus::of(row.map(|row| (row.get(0), row.get::<_, Option<String>>(1).unwrap_or_default()))))
    }

    fn hash_at(&mut self, negotiation: &str, seq: u64) -> Result<Option<String>, StoreError> {
        let row = self
            .statement("SELECT hash FROM events WHERE negotiation = $1 AND seq = $2")
            .and_then(|statement| self.client.query_opt(&statement, &[&negotiation, &clamp(seq)]))
            .map_err(|source| self.error(source))?;
        Ok(row.map(|row| row.get(0)))
    }

    fn checkpoints(&mut self, negotiation: &str) -> Result<Vec<Checkpoint>, StoreError> {
        let rows = self
            .client
            .query("SELECT seq, hash, format, state FROM checkpoints WHERE negotiation = $1 ORDER BY seq", &[&negotiation])
            .map_err(|source| self.error(source))?;
        Ok(rows.iter().map(checkpoint_row).collect())
    }

    fn checkpoint(&mut self, negotiation: &str, up_to: Option<u64>) -> Result<Option<Checkpoint>, StoreError> {
        let row = self
            .client
            .query_opt(
                "SELECT seq, hash, format, state FROM checkpoints WHERE negotiation = $1 AND seq <= $2 ORDER BY seq DESC LIMIT 1",
                &[&negotiation, &up_to.map_or(i64::MAX, clamp)],
            )
            .map_err(|source| self.error(source))?;
        Ok(row.as_ref().map(checkpoint_row))
    }

    fn save_checkpoint(&mut self, negotiation: &str, checkpoint: &Checkpoint) -> Result<bool, StoreError> {
        let location = self.location.clone();
        let postgres = |source| StoreError::Postgres { location: location.clone(), error: source };
        let mut transaction = self.client.transaction().map_err(postgres)?;
        // Never wait for another saver: a checkpoint is worth less than the reader's time.
        let locked: bool =
            transaction.query_one("SELECT pg_try_advisory_xact_lock(hashtext($1), 1)", &[&negotiation]).map_err(postgres)?.get(0);
        if !locked {
            return Ok(false);
        }
        // Only a usable checkpoint (this layout, its event's hash) is worth keeping over this one.
        let newest: Option<i64> = transaction
            .query_one(
                "SELECT MAX(c.seq) FROM checkpoints c JOIN events e ON e.negotiation = c.negotiation AND e.seq = c.seq AND e.hash = c.hash
                 WHERE c.negotiation = $1 AND c.format = $2",
                &[&negotiation, &checkpoint.format],
            )
            .map_err(postgres)?
            .get(0);
        if newest.is_some_and(|newest| newest >= clamp(checkpoint.seq)) {
            return Ok(false);
        }
        transaction.execute("DELETE FROM checkpoints WHERE negotiation = $1", &[&negotiation]).map_err(postgres)?;
        transaction
            .execute(
                "INSERT INTO checkpoints (negotiation, seq, hash, format, state, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&negotiation, &clamp(checkpoint.seq), &checkpoint.hash, &checkpoint.format, &checkpoint.state, &now_utc()],
            )
            .map_err(postgres)?;
        transaction.commit().map_err(postgres)?;
        Ok(true)
    }

    fn append_groups(&mut self, negotiation: &str, expected: u64, groups: Vec<Group<'_>>) -> Result<Vec<Vec<Event>>, StoreError> {
        let location = self.location.clone();
        let postgres = |source| StoreError::Postgres { location: location.clone(), error: source };
        // Prepared before the transaction holds the connection: the statements of every append,
        // and the one-row inserts of a group commit's stances (larger inserts run as text).
        let lock = self.statement("SELECT pg_advisory_xact_lock(hashtext($1))").map_err(postgres)?;
        let read_head =
            self.statement("SELECT seq, hash FROM events WHERE negotiation = $1 ORDER BY seq DESC LIMIT 1").map_err(postgres)?;
        let notify = self.statement("SELECT pg_notify($1, $2)").map_err(postgres)?;
        // By column count (without and with the label, which a log of an older schema lacks), for
        // the groups of one event only.
        let mut one_row: [Option<postgres::Statement>; 2] = [None, None];
        for group in groups.iter().filter(|group| group.events.len() == 1) {
            let columns = if group.label.is_empty() { COLUMNS - 1 } else { COLUMNS };
            if one_row[columns + 1 - COLUMNS].is_none() {
                one_row[columns + 1 - COLUMNS] = Some(self.statement(&insert_statement_of(1, columns)).map_err(postgres)?);
            }
        }
        let mut transaction = self.client.transaction().map_err(postgres)?;
        transaction.execute(&lock, &[&negotiation]).map_err(postgres)?;
        let mut head = transaction
            .query_opt(&read_head, &[&negotiation])
            .map_err(postgres)?
            .map(|row| (row.get::<_, i64>(0) as u64, row.get::<_, String>(1)));
        let actual = head.as_ref().map_or(0, |(seq, _)| *seq);
        if actual != expected {
            return Err(StoreError::Conflict { negotiation: negotiation.to_owned(), expected, actual });
        }
        let mut appended: Vec<Vec<Event>> = Vec::with_capacity(groups.len());
        for Group { events, signer, presigned, label } in groups {
            let recorded_at = presigned.map_or_else(now_utc, |presigned| presigned.recorded_at.clone());
            let sealed = seal_presigned_for_storage(negotiation, head.clone(), events, &recorded_at, signer, presigned, label);
            // The label column only when there is a label, as in SQLite.
            let columns = if label.is_empty() { COLUMNS - 1 } else { COLUMNS };
            let labels: Vec<&str> = sealed.iter().map(|(event, _)| event.label.as_str()).collect();
            // Many rows per statement: a round trip per row would dominate a large append.
            let seqs: Vec<i64> = sealed.iter().map(|(event, _)| clamp(event.seq)).collect();
            for ((rows, seqs), labels) in
                sealed.chunks(ROWS_PER_INSERT).zip(seqs.chunks(ROWS_PER_INSERT)).zip(labels.chunks(ROWS_PER_INSERT))
            {
                let mut parameters: Vec<&(dyn postgres::types::ToSql + Sync)> = Vec::with_capacity(rows.len() * columns);
                for (((event, payload), seq), label) in rows.iter().zip(seqs).zip(labels) {
                    parameters.extend_from_slice(&[
                        &event.negotiation,
                        seq,
                        &event.kind,
                        &event.key,
                        op_parameter(event.op),
                        &event.actor,
                        &event.recorded_at,
                        payload,
                        &event.prev_hash,
                        &event.hash,
                        &event.signature,
                        label,
                    ]);
                    parameters.truncate(parameters.len() - (COLUMNS - columns));
                }
                let inserted = match (rows.len(), &one_row[columns + 1 - COLUMNS]) {
                    (1, Some(statement)) => transaction.execute(statement, &parameters),
                    _ => transaction.execute(&insert_statement_of(rows.len(), columns), &parameters),
                };
                inserted.map_err(|source| {
                    if source.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                        // A writer that bypassed the advisory lock took these sequence numbers first:
                        // the head is at least the first of them (the aborted transaction cannot read it).
                        StoreError::Conflict { negotiation: negotiation.to_owned(), expected, actual: expected + 1 }
                    } else {
                        postgres(source)
                    }
                })?;
            }
            if let Some((event, _)) = sealed.last() {
                head = Some((event.seq, event.hash.clone()));
            }
            appended.push(sealed.into_iter().map(|(event, _)| event).collect());
        }
        if appended.iter().any(|events| !events.is_empty()) {
            // Wakes every server process's event streams (delivered on commit, only then): the
            // payload is the negotiation's id alone; a listener reads what changed itself.
            transaction.execute(&notify, &[&NOTIFY_CHANNEL, &negotiation]).map_err(postgres)?;
        }
        transaction.commit().map_err(postgres)?;
        Ok(appended)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted_wherever_the_url_puts_them() {
        for (url, expected) in [
            ("postgres://u:secret@h:5432/db", "postgres://u:***@h:5432/db"),
            ("postgres://u@h/db?password=secret&sslmode=disable", "postgres://u@h/db?password=***&sslmode=disable"),
            ("postgresql://u:a@h/db?application_name=x&password=b", "postgresql://u:***@h/db?application_name=x&password=***"),
            ("postgres://h/db", "postgres://h/db"),
        ] {
            assert_eq!(super::redact(url), expected);
            assert!(!super::redact(url).contains("secret"));
        }
    }
}
