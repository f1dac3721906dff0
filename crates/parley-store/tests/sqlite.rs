//! The SQLite event store: the shared backend suite, plus schema upgrades and bad files.

mod suite;

use std::path::Path;

use parley_store::sqlite::SqliteStore;
use parley_store::{EventStore, StoreError, verify};
use suite::{Target, event};

fn fresh() -> Target {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("record.db").display().to_string();
    Target { url, guard: Some(dir), database: None }
}

backend_suite!(fresh, true);

#[test]
fn schema_upgrades_from_the_first_version() {
    let target = fresh();
    let path = Path::new(&target.url);
    {
        let mut old = SqliteStore::open_at(path, true, 1).unwrap();
        assert_eq!(old.schema_version().unwrap(), 1);
        old.append("n", 0, vec![event("a", "1"), event("a", "2")], None).unwrap();
    }
    let mut store = SqliteStore::open(path, false).unwrap();
    assert_eq!(store.schema_version().unwrap(), parley_store::sqlite::SCHEMA_VERSION);
    assert_eq!(store.events("n").unwrap().len(), 2);
    assert!(store.connection().execute("DELETE FROM events", []).is_err(), "the upgrade added the append-only triggers");
    store.append("n", 2, vec![event("a", "3")], None).unwrap();
    verify(&store.events("n").unwrap()).unwrap();
}

#[test]
fn bad_databases_are_refused_untouched() {
    let target = fresh();
    let path = Path::new(&target.url);
    let dir = target.guard.as_ref().unwrap();
    // A newer schema.
    {
        SqliteStore::open(path, true).unwrap().connection().execute("INSERT INTO schema_migrations VALUES (99, 'future')", []).unwrap();
    }
    let error = SqliteStore::open(path, false).unwrap_err();
    assert!(matches!(error, StoreError::NewerSchema { found: 99, .. }), "{error}");
    // A file that is not a database.
    let garbage = dir.path().join("garbage.db");
    let bytes = b"this is not a database, it is a letter to the editor\n".repeat(200);
    std::fs::write(&garbage, &bytes).unwrap();
    let error = SqliteStore::open(&garbage, true).unwrap_err();
    assert!(matches!(error, StoreError::NotADatabase { .. }), "{error}");
    assert_eq!(std::fs::read(&garbage).unwrap(), bytes, "nothing written");
    // Someone else's database.
    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign).unwrap().execute_batch("CREATE TABLE customers (id INTEGER)").unwrap();
    let error = SqliteStore::open(&foreign, true).unwrap_err();
    assert!(error.to_string().contains("customers"), "{error}");
    // A missing file when not creating.
    let error = SqliteStore::open(&dir.path().join("absent.db"), false).unwrap_err();
    assert!(matches!(error, StoreError::Missing { .. }), "{error}");
    assert!(!dir.path().join("absent.db").exists());
}

/// The kill -9 test cannot tell synchronous commits from the OS cache (the cache survives the
/// process); what makes an acknowledged append survive the machine stopping is these settings.
#[test]
fn commits_are_synchronous_in_wal_mode() {
    let target = fresh();
    let store = SqliteStore::open(Path::new(&target.url), true).unwrap();
    let synchronous: i64 = store.connection().pragma_query_value(None, "synchronous", |row| row.get(0)).unwrap();
    let journal: String = store.connection().pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
    assert_eq!((synchronous, journal.as_str()), (2, "wal"), "synchronous = FULL, journal_mode = WAL");
}

/// SQLite keeps a value of any type in any column: an event rewritten as bytes that are not even
/// text, or with a seq that is not a number, is reported by verify at that event rather than
/// failing the read of the log.
#[test]
fn rows_of_the_wrong_type_are_reported_not_fatal() {
    for (sql, bad) in [("UPDATE events SET payload = X'00ff' WHERE seq = 6", 6), ("UPDATE events SET seq = 'six' WHERE seq = 6", 6)] {
        let target = fresh();
        let mut store = target.open();
        let id = suite::scenario("ukraine-2025.toml").id;
        suite::import(&mut *store, &suite::scenario("ukraine-2025.toml"));
        target.drop_triggers();
        target.sql(sql).unwrap();
        let events = store.events(&id).unwrap();
        let error = verify(&events).unwrap_err();
        // The damaged event itself, or (when its seq is damaged) the one found in its place.
        assert!((bad..=bad + 1).contains(&error.seq), "{sql}: {error}");
    }
}

/// A read that would leave a checkpoint never waits for another writer (the busy timeout is ten
/// seconds): it goes on without one, and the next read leaves it.
#[test]
fn reads_do_not_wait_for_a_writer_to_save_a_checkpoint() {
    let target = fresh();
    let mut store = target.open();
    let negotiation = suite::scenario("ukraine-2025.toml");
    suite::long_history(&mut *store, &negotiation, 1_000);
    let writer = rusqlite::Connection::open(&target.url).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    store.fold(&negotiation.id, None).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "the read waited {:?}", started.elapsed());
    assert!(store.checkpoints(&negotiation.id).unwrap().is_empty(), "no checkpoint while another writer holds the lock");
    writer.execute_batch("ROLLBACK").unwrap();
    store.fold(&negotiation.id, None).unwrap();
    assert_eq!(store.checkpoints(&negotiation.id).unwrap().len(), 1);
}
