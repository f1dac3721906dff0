//! The SQLite backend: one file, WAL journal, synchronous commits.
//!
//! A commit returns only once the WAL is synced (`synchronous = FULL`), so an acknowledged append
//! survives the writer being killed or the machine losing power. Appends take the write lock up
//! front (`BEGIN IMMEDIATE`), compare the head with the caller's expectation and either write all
//! events or none.
//!
//! Reading needs no write access: [`SqliteStore::open_read`] falls back to a read-only connection
//! when the file, its directory or its file system cannot be written (or the disk is full), and
//! checkpoints, which are only a cache, are then neither saved nor needed.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::chain::seal_presigned_for_storage;
use crate::event::{Event, Folder, Op, Payload, StoredRow};
use crate::store::{Checkpoint, DISTINCT_NEGOTIATIONS, EventStore, Group, KEY_STATUS, KeyStatus, StoreError, clamp, now_utc};

/// The schema, one forward-only step per entry: `(version, SQL)`.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_events.sql")),
    (2, include_str!("../migrations/0002_append_only.sql")),
    (3, include_str!("../migrations/0003_checkpoints.sql")),
    (4, include_str!("../migrations/0004_tokens_jobs.sql")),
    (5, include_str!("../migrations/0005_job_owners.sql")),
    (6, include_str!("../migrations/0006_key_index.sql")),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// How long an operation waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct SqliteStore {
    connection: Connection,
    location: String,
    /// Opened read-only ([`SqliteStore::open_read`]'s fallback): appends are refused and
    /// checkpoints not saved.
    read_only: bool,
}

impl SqliteStore {
    /// Opens the database at `path`, creating it when `create` is set and it does not exist, and
    /// brings its schema up to date. A database of a newer schema is refused untouched.
    pub fn open(path: &Path, create: bool) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_at(path, create, SCHEMA_VERSION)
    }

    /// As [`SqliteStore::open`], migrating only up to `version` (for upgrade tests).
    pub fn open_at(path: &Path, create: bool, version: i64) -> Result<SqliteStore, StoreError> {
        let location = path.display().to_string();
        check_location(path, &location)?;
        if !create && !path.exists() {
            return Err(StoreError::Missing { location });
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let sqlite = |source| StoreError::Sqlite { location: location.clone(), error: source };
        // This SQLite reads any name starting with `file:` as a URI; `./file:…` is only a path.
        let relative;
        let path = if path.to_str().is_some_and(|text| text.starts_with("file:")) {
            relative = Path::new(".").join(path);
            relative.as_path()
        } else {
            path
        };
        let connection = Connection::open_with_flags(path, flags).map_err(sqlite)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
        stable_plans(&connection).map_err(sqlite)?;
        let mut store = SqliteStore { connection, location, read_only: false };
        store.prepare(version)?;
        Ok(store)
    }

    /// The same store reading the file through SQLite's page cache instead of a memory map. A
    /// map suits one process reading a long log; for many connections of one server to a log
    /// they keep appending to it costs more than it saves: each append grows the file, and the
    /// next read on every other connection maps it anew, unmapping the old map on every core
    /// (measured under `bench/server-load.sh`: reads 10-20 % faster without it).
    pub fn unmapped(self) -> Result<SqliteStore, StoreError> {
        self.connection.pragma_update(None, "mmap_size", 0).map_err(|source| self.error(source))?;
        Ok(self)
    }

    /// Opens an existing database for reading: as [`SqliteStore::open`] when it can be written
    /// (so that its schema is brought up to date and checkpoints are kept), else read-only — in a
    /// read-only directory or mount, or on a full disk. A database whose schema would need an
    /// upgrade cannot be read without write access, and says so.
    pub fn open_read(path: &Path) -> Result<SqliteStore, StoreError> {
        match SqliteStore::open(path, false) {
            Err(StoreError::Sqlite { .. }) => SqliteStore::open_read_only(path),
            other => other,
        }
    }

    fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
        let location = path.display().to_string();
        let sqlite = |source| StoreError::Sqlite { location: location.clone(), error: source };
        let absolute =
            std::path::absolute(path).map_err(|error| StoreError::Io { location: location.clone(), detail: error.to_string() })?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        // Our own URI, built from the path: the path itself is never read as one.
        let attempt = |query: &str| -> rusqlite::Result<Connection> {
            let connection = Connection::open_with_flags(format!("file:{}?{query}", uri_path(&absolute)), flags)?;
            stable_plans(&connection)?;
            connection.query_row("SELECT COUNT(*) FROM sqlite_master", [], |row| row.get::<_, i64>(0))?;
            Ok(connection)
        };
        let connection = match attempt("mode=ro") {
            Ok(connection) => connection,
            // A WAL database whose shared-memory index cannot be created (a read-only directory)
            // or grown (a full disk): read the file as it stands, which is sound only while no WAL
            // file holds commits.
            Err(error)
                if matches!(
                    error.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::SystemIoFailure | rusqlite::ErrorCode::DiskFull)
                ) =>
            {
                let mut wal = absolute.clone().into_os_string();
                wal.push("-wal");
                if std::fs::metadata(&wal).is_ok_and(|wal| wal.len() > 0) {
                    return Err(StoreError::Io {
                        location,
                        detail: format!(
                            "its newest commits are still in {} and cannot be read without write access to its directory",
                            Path::new(&wal).display()
                        ),
                    });
                }
                attempt("immutable=1").map_err(sqlite)?
            }
            Err(error) => return Err(sqlite(error)),
        };
        connection.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
        let store = SqliteStore { connection, location, read_only: true };
        let current = store.schema_on_disk()?;
        if current < SCHEMA_VERSION {
            return Err(StoreError::Io {
                location: store.location.clone(),
                detail: format!(
                    "it has schema version {current}, older than this build's {SCHEMA_VERSION}, and upgrading it needs write access, which it lacks"
                ),
            });
        }
        Ok(store)
    }

    /// The raw connection, for tests and benchmarks that need to go around the log.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    fn error(&self, source: rusqlite::Error) -> StoreError {
        let corrupt = matches!(source.sqlite_error_code(), Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt));
        if corrupt {
            StoreError::NotADatabase { location: self.location.clone(), detail: source.to_string() }
        } else {
            StoreError::Sqlite { location: self.location.clone(), error: source }
        }
    }

    /// The schema version the file holds (0 for an empty file), refusing a corrupt file, a
    /// foreign database and a newer schema.
    fn schema_on_disk(&self) -> Result<i64, StoreError> {
        let tables: Vec<String> = {
            let mut statement =
                self.connection.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").map_err(|source| self.error(source))?;
            let rows = statement.query_map([], |row| row.get(0)).map_err(|source| self.error(source))?;
            rows.collect::<Result<_, _>>().map_err(|source| self.error(source))?
        };
        let ours = tables.iter().any(|name| name == "schema_migrations");
        if !ours && !tables.is_empty() {
            return Err(StoreError::NotADatabase {
                location: self.location.clone(),
                detail: format!("it holds other tables ({}) and no schema_migrations", tables.join(", ")),
            });
        }
        let current: i64 = if ours {
            self.connection
                .query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |row| row.get(0))
                .map_err(|source| self.error(source))?
        } else {
            0
        };
        if current > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema { location: self.location.clone(), found: current, supported: SCHEMA_VERSION });
        }
        Ok(current)
    }

    fn prepare(&mut self, target: i64) -> Result<(), StoreError> {
        // Reading the schema first: a corrupt file or a foreign database fails here, before any write.
        let current = self.schema_on_disk()?;
        let journal: String =
            self.connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).map_err(|source| self.error(source))?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NotADatabase {
                location: self.location.clone(),
                detail: format!("cannot switch to WAL (journal mode {journal})"),
            });
        }
        self.connection.pragma_update(None, "synchronous", "FULL").map_err(|source| self.error(source))?;
        // Rebuilding a long history reads the whole log: map it rather than copy it page by page.
        self.connection.pragma_update(None, "mmap_size", 256 * 1024 * 1024).map_err(|source| self.error(source))?;
        self.connection.pragma_update(None, "cache_size", -64 * 1024).map_err(|source| self.error(source))?;
        if current >= target {
            return Ok(());
        }
        let location = self.location.clone();
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|source| StoreError::Sqlite { location: location.clone(), error: source })?;
        let sqlite = |source| StoreError::Sqlite { location: location.clone(), error: source };
        transaction
            .execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            .map_err(sqlite)?;
        // Re-read under the write lock: another process may have migrated meanwhile.
        let current: i64 =
            transaction.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |row| row.get(0)).map_err(sqlite)?;
        for (version, sql) in MIGRATIONS.iter().filter(|(version, _)| *version > current && *version <= target) {
            transaction.execute_batch(sql).map_err(sqlite)?;
            transaction
                .execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)", params![version, now_utc()])
                .map_err(sqlite)?;
        }
        transaction.commit().map_err(sqlite)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.connection
            .query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |row| row.get(0))
            .map_err(|source| self.error(source))
    }
}

/// Refuses locations SQLite would take for something other than a file: an empty path (a private
/// temporary database) and `:memory:`, where an import would be acknowledged and then lost.
fn check_location(path: &Path, location: &str) -> Result<(), StoreError> {
    let detail = match path.as_os_str().to_str() {
        Some("") => "an empty path names no file",
        Some(":memory:") => {
            "SQLite keeps `:memory:` in memory only, so the record would be lost on exit; name a file (`./:memory:` for one of that name)"
        }
        _ => return Ok(()),
    };
    Err(StoreError::NotADatabase { location: format!("`{location}`"), detail: detail.to_owned() })
}

/// `path` as the path part of a `file:` URI: every byte but unreserved ones and `/` percent-encoded.
fn uri_path(path: &Path) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().replace('\\', "/").into_bytes();
    let mut encoded = String::with_capacity(bytes.len());
    for byte in bytes {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

// SQLite keeps whatever value a row is given, whatever its column's type. Stored rows are read
// leniently — any value as text, any non-integer as an impossible number — so that a damaged row
// reaches the checks that report it (verify, and a checkpoint's own validity) instead of failing the
// read of the whole log.

fn lenient_text(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<String> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(index)? {
        ValueRef::Null => String::new(),
        ValueRef::Integer(number) => number.to_string(),
        ValueRef::Real(number) => number.to_string(),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => String::from_utf8_lossy(bytes).into_owned(),
    })
}

fn lenient_integer(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<i64> {
    Ok(match row.get_ref(index)? {
        rusqlite::types::ValueRef::Integer(number) => number,
        _ => -1,
    })
}

fn checkpoint_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Checkpoint> {
    Ok(Checkpoint {
        seq: lenient_integer(row, 0)? as u64,
        hash: lenient_text(row, 1)?,
        format: lenient_integer(row, 2)?,
        state: lenient_text(row, 3)?,
    })
}

fn stored_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRow> {
    Ok(StoredRow {
        negotiation: lenient_text(row, 0)?,
        seq: lenient_integer(row, 1)?,
        kind: lenient_text(row, 2)?,
        key: lenient_text(row, 3)?,
        op: lenient_text(row, 4)?,
        actor: lenient_text(row, 5)?,
        recorded_at: lenient_text(row, 6)?,
        payload: lenient_text(row, 7)?,
        prev_hash: lenient_text(row, 8)?,
        hash: lenient_text(row, 9)?,
        signature: match row.get_ref(10)? {
            rusqlite::types::ValueRef::Null => None,
            _ => Some(lenient_text(row, 10)?),
        },
        label: match row.get_ref(11)? {
            rusqlite::types::ValueRef::Null => None,
            _ => Some(lenient_text(row, 11)?),
        },
    })
}

impl EventStore for SqliteStore {
    fn location(&self) -> &str {
        &self.location
    }

    fn negotiations(&mut self) -> Result<Vec<String>, StoreError> {
        let mut statement = self.connection.prepare(DISTINCT_NEGOTIATIONS).map_err(|source| self.error(source))?;
        let rows = statement.query_map([], |row| row.get(0)).map_err(|source| self.error(source))?;
        rows.collect::<Result<_, _>>().map_err(|source| self.error(source))
    }

    fn head(&mut self, negotiation: &str) -> Result<Option<(u64, String)>, StoreError> {
        // Cached: every read asks for the head (parsing the statement each time cost more than
        // running it).
        self.connection
            .prepare_cached("SELECT seq, hash FROM events WHERE negotiation = ?1 ORDER BY seq DESC LIMIT 1")
            .and_then(|mut statement| statement.query_row([negotiation], |row| Ok((row.get::<_, i64>(0)? as u64, row.get(1)?))).optional())
            .map_err(|source| self.error(source))
    }

    fn events(&mut self, negotiation: &str) -> Result<Vec<Event>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT negotiation, seq, kind, key, op, actor, recorded_at, payload, prev_hash, hash, signature, label
                 FROM events WHERE negotiation = ?1 ORDER BY seq",
            )
            .map_err(|source| self.error(source))?;
        let rows = statement.query_map([negotiation], stored_row).map_err(|source| self.error(source))?;
        rows.map(|row| row.map(Event::from).map_err(|source| self.error(source))).collect()
    }

    fn apply_events(&mut self, negotiation: &str, after: u64, up_to: Option<u64>, folder: &mut Folder) -> Result<u64, StoreError> {
        // Straight from the stored text into the model types, without building JSON trees.
        let location = self.location.clone();
        let sqlite = |source| StoreError::Sqlite { location: location.clone(), error: source };
        let mut statement = self
            .connection
            .prepare_cached("SELECT seq, kind, key, op, payload FROM events WHERE negotiation = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq")
            .map_err(sqlite)?;
        let mut rows = statement.query(params![negotiation, clamp(after), up_to.map_or(i64::MAX, clamp)]).map_err(sqlite)?;
        let fold_error = |source| StoreError::Fold { negotiation: negotiation.to_owned(), source };
        let mut applied = 0;
        while let Some(row) = rows.next().map_err(sqlite)? {
            let seq: i64 = row.get(0).map_err(sqlite)?;
            let column = |index: usize| -> Result<&str, StoreError> {
                row.get_ref(index)
                    .and_then(|value| value.as_str().map_err(Into::into))
                    .map_err(|source| StoreError::Sqlite { location: location.clone(), error: source })
            };
            let op = Op::from_stored(column(3)?);
            folder.apply(seq as u64, column(1)?, column(2)?, op, Payload::Text(column(4)?)).map_err(fold_error)?;
            applied += 1;
        }
        Ok(applied)
    }

    fn key_status(&mut self, negotiation: &str, party: &str) -> Result<KeyStatus, StoreError> {
        // The planner, without statistics, would scan the negotiation's log by sequence instead.
        let sql = KEY_STATUS.replace("{1}", "?1").replace("{2}", "?2").replace("FROM events", "FROM events INDEXED BY events_keys");
        let newest: Option<(String, String)> = self
            .connection
            .prepare_cached(&sql)
            .and_then(|mut statement| {
                statement
                    .query_row([negotiation, party], |row| Ok((row.get(0)?, row.get::<_, Option<String>>(1)?.unwrap_or_default())))
                    .optional()
            })
            .map_err(|source| self.error(source))?;
        Ok(KeyStatus::of(newest))
    }

    fn hash_at(&mut self, negotiation: &str, seq: u64) -> Result<Option<String>, StoreError> {
        self.connection
            .prepare_cached("SELECT hash FROM events WHERE negotiation = ?1 AND seq = ?2")
            .and_then(|mut statement| statement.query_row(params![negotiation, clamp(seq)], |row| row.get(0)).optional())
            .map_err(|source| self.error(source))
    }

    fn checkpoints(&mut self, negotiation: &str) -> Result<Vec<Checkpoint>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT seq, hash, format, state FROM checkpoints WHERE negotiation = ?1 ORDER BY seq")
            .map_err(|source| self.error(source))?;
        let rows = statement.query_map([negotiation], checkpoint_row).map_err(|source| self.error(source))?;
        rows.collect::<Result<_, _>>().map_err(|source| self.error(source))
    }

    fn checkpoint(&mut self, negotiation: &str, up_to: Option<u64>) -> Result<Option<Checkpoint>, StoreError> {
        self.connection
            .query_row(
                "SELECT seq, hash, format, state FROM checkpoints WHERE negotiation = ?1 AND seq <= ?2 ORDER BY seq DESC LIMIT 1",
                params![negotiation, up_to.map_or(i64::MAX, clamp)],
                checkpoint_row,
            )
            .optional()
            .map_err(|source| self.error(source))
    }

    fn save_checkpoint(&mut self, negotiation: &str, checkpoint: &Checkpoint) -> Result<bool, StoreError> {
        if self.read_only {
            return Ok(false);
        }
        let location = self.location.clone();
        let sqlite = |source| StoreError::Sqlite { location: location.clone(), error: source };
        // Never wait for a writer: a checkpoint is worth less than the reader's time.
        self.connection.busy_timeout(Duration::ZERO).map_err(sqlite)?;
        let saved = (|| -> rusqlite::Result<bool> {
            let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Only a usable checkpoint (this layout, its event's hash) is worth keeping over this one.
            let newest: Option<i64> = transaction.query_row(
                "SELECT MAX(c.seq) FROM checkpoints c JOIN events e ON e.negotiation = c.negotiation AND e.seq = c.seq AND e.hash = c.hash
                 WHERE c.negotiation = ?1 AND c.format = ?2 AND typeof(c.state) = 'text'",
                params![negotiation, checkpoint.format],
                |row| row.get(0),
            )?;
            if newest.is_some_and(|newest| newest >= clamp(checkpoint.seq)) {
                return Ok(false);
            }
            transaction.execute("DELETE FROM checkpoints WHERE negotiation = ?1", [negotiation])?;
            transaction.execute(
                "INSERT INTO checkpoints (negotiation, seq, hash, format, state, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![negotiation, clamp(checkpoint.seq), checkpoint.hash, checkpoint.format, checkpoint.state, now_utc()],
            )?;
            transaction.commit()?;
            Ok(true)
        })();
        self.connection.busy_timeout(BUSY_TIMEOUT).map_err(sqlite)?;
        match saved {
            Ok(saved) => Ok(saved),
            Err(error) if error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => Ok(false),
            Err(error) => Err(sqlite(error)),
        }
    }

    fn append_groups(&mut self, negotiation: &str, expected: u64, groups: Vec<Group<'_>>) -> Result<Vec<Vec<Event>>, StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly { location: self.location.clone() });
        }
        let location = self.location.clone();
        let sqlite = |source| StoreError::Sqlite { location: location.clone(), error: source };
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
        let mut head: Option<(u64, String)> = transaction
            .query_row("SELECT seq, hash FROM events WHERE negotiation = ?1 ORDER BY seq DESC LIMIT 1", [negotiation], |row| {
                Ok((row.get::<_, i64>(0)? as u64, row.get(1)?))
            })
            .optional()
            .map_err(sqlite)?;
        let actual = head.as_ref().map_or(0, |(seq, _)| *seq);
        if actual != expected {
            return Err(StoreError::Conflict { negotiation: negotiation.to_owned(), expected, actual });
        }
        let mut appended = Vec::with_capacity(groups.len());
        for Group { events, signer, presigned, label } in groups {
            let recorded_at = presigned.map_or_else(now_utc, |presigned| presigned.recorded_at.clone());
            let sealed = seal_presigned_for_storage(negotiation, head.clone(), events, &recorded_at, signer, presigned, label);
            // The label column only when there is a label: a database of an older schema (opened
            // by upgrade tests at their version) is written as before.
            let insert = if label.is_empty() {
                "INSERT INTO events (negotiation, seq, kind, key, op, actor, recorded_at, payload, prev_hash, hash, signature)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            } else {
                "INSERT INTO events (negotiation, seq, kind, key, op, actor, recorded_at, payload, prev_hash, hash, signature, label)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            };
            let mut insert = transaction.prepare_cached(insert).map_err(sqlite)?;
            for (event, payload) in &sealed {
                let (seq, op) = (event.seq as i64, event.op.keyword());
                let mut values = params![
                    event.negotiation,
                    seq,
                    event.kind,
                    event.key,
                    op,
                    event.actor,
                    event.recorded_at,
                    payload,
                    event.prev_hash,
                    event.hash,
                    event.signature,
                    event.label,
                ]
                .to_vec();
                if label.is_empty() {
                    values.pop();
                }
                insert.execute(values.as_slice()).map_err(sqlite)?;
            }
            if let Some((event, _)) = sealed.last() {
                head = Some((event.seq, event.hash.clone()));
            }
            appended.push(sealed.into_iter().map(|(event, _)| event).collect());
        }
        transaction.commit().map_err(sqlite)?;
        Ok(appended)
    }
}

/// Query plans that do not depend on the values bound: without this, this SQLite (built with
/// STAT4) marks a statement comparing a column with a parameter to be prepared again whenever the
/// parameter is bound anew, so a cached statement was parsed again on every use (the head read on
/// every request among them).
fn stable_plans(connection: &Connection) -> rusqlite::Result<()> {
    connection.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map(drop)
}

#[cfg(test)]
mod tests {
    use super::SqliteStore;

    fn mmap_size(store: &SqliteStore) -> i64 {
        store.connection.query_row("PRAGMA mmap_size", [], |row| row.get(0)).unwrap()
    }

    /// A store opened for a server reads without the map; one opened otherwise maps the file.
    #[test]
    fn a_serving_connection_reads_without_the_memory_map() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        let mapped = SqliteStore::open(&path, true).unwrap();
        assert!(mmap_size(&mapped) > 0);
        let unmapped = SqliteStore::open(&path, false).unwrap().unmapped().unwrap();
        assert_eq!(mmap_size(&unmapped), 0);
        assert_eq!(mmap_size(&mapped), 256 * 1024 * 1024, "set per connection");
    }
}
