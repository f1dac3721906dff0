//! The PostgreSQL event store: the shared backend suite, plus schema upgrades and bad connections.
//!
//! Needs a server: `PARLEY_TEST_PG_URL=postgres://user:password@127.0.0.1:PORT/postgres` (what
//! `.ci/postgres.sh` prints). Each test works in a database of its own, created here. Without the
//! variable every test prints a notice and passes.

mod suite;

use std::sync::atomic::{AtomicUsize, Ordering};

use parley_store::postgres::PgStore;
use parley_store::{EventStore, StoreError, verify};
use suite::{Target, event};

fn server() -> Option<String> {
    match std::env::var("PARLEY_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("PARLEY_TEST_PG_URL is not set: skipping the PostgreSQL tests (.ci/run starts a server)");
            None
        }
    }
}

fn enabled() -> bool {
    server().is_some()
}

/// The server URL pointing at another database.
fn with_database(url: &str, database: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a URL ending in /DATABASE");
    format!("{base}/{database}")
}

/// A new, empty database on the test server.
fn fresh() -> Target {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let url = server().expect("checked by the caller");
    let database = format!("parley_test_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {database}")).unwrap();
    client.batch_execute(&format!("CREATE DATABASE {database}")).unwrap();
    Target { url: with_database(&url, &database), guard: None, database: Some((url, database)) }
}

backend_suite!(fresh, enabled());

#[test]
fn schema_upgrades_from_the_first_version() {
    if !enabled() {
        return;
    }
    let target = fresh();
    {
        let mut old = PgStore::open_at(&target.url, 1).unwrap();
        assert_eq!(old.schema_version().unwrap(), 1);
        old.append("n", 0, vec![event("a", "1"), event("a", "2")], None).unwrap();
    }
    let mut store = PgStore::open(&target.url).unwrap();
    assert_eq!(store.schema_version().unwrap(), parley_store::postgres::SCHEMA_VERSION);
    assert_eq!(store.events("n").unwrap().len(), 2);
    assert!(target.sql("DELETE FROM events").is_err(), "the upgrade added the append-only triggers");
    store.append("n", 2, vec![event("a", "3")], None).unwrap();
    verify(&store.events("n").unwrap()).unwrap();
}

#[test]
fn bad_connections_and_schemas_are_clear_errors() {
    let Some(url) = server() else { return };
    // A newer schema: refused, and left as it was.
    let target = fresh();
    PgStore::open(&target.url).unwrap();
    target.sql("INSERT INTO schema_migrations VALUES (99, 'future')").unwrap();
    let error = PgStore::open(&target.url).unwrap_err();
    assert!(matches!(error, StoreError::NewerSchema { found: 99, .. }), "{error}");

    // A wrong password: rejected, and the message does not repeat the password.
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let (scheme_and_user, _) = scheme_user.rsplit_once(':').unwrap();
    let wrong = format!("{scheme_and_user}:not-the-password@{rest}");
    let error = PgStore::open(&wrong).unwrap_err();
    assert!(matches!(error, StoreError::Rejected { .. }), "{error}");
    assert!(!error.to_string().contains("not-the-password"), "{error}");

    // A database that does not exist.
    let error = PgStore::open(&with_database(&url, "no_such_database_here")).unwrap_err();
    assert!(matches!(error, StoreError::Rejected { .. }), "{error}");

    // Nobody listening.
    let error = PgStore::open("postgres://postgres:secret@127.0.0.1:9/postgres").unwrap_err();
    assert!(matches!(error, StoreError::Unreachable { .. }), "{error}");
    assert!(!error.to_string().contains("secret"), "{error}");
}

/// A writer that bypasses the advisory lock and takes the next sequence number while an append is
/// between its head check and its insert: the append fails with a retryable conflict, not a raw
/// database error, and writes nothing.
#[test]
fn a_writer_around_the_lock_gives_a_conflict() {
    if !enabled() {
        return;
    }
    let target = fresh();
    let mut store = PgStore::open(&target.url).unwrap();
    let mut intruder = postgres::Client::connect(&target.url, postgres::NoTls).unwrap();
    let mut transaction = intruder.transaction().unwrap();
    transaction
        .execute(
            "INSERT INTO events (negotiation, seq, kind, key, op, actor, recorded_at, payload, prev_hash, hash)
             VALUES ('n', 1, 'statement', 'x', 'upsert', 'a', 't', '{}', '', '')",
            &[],
        )
        .unwrap();
    // The append sees no committed head, then waits on the intruder's uncommitted row.
    let appending = std::thread::spawn(move || store.append("n", 0, vec![event("a", "1")], None));
    std::thread::sleep(std::time::Duration::from_millis(300));
    transaction.commit().unwrap();
    let error = appending.join().unwrap().unwrap_err();
    assert!(matches!(error, StoreError::Conflict { expected: 0, .. }), "{error}");
    assert!(error.is_retryable());
    let mut store = target.open();
    assert_eq!(store.events("n").unwrap().len(), 1, "only the intruder's row");
}

/// A store whose backend the server cut (`pg_terminate_backend`, as a restart or an
/// administrator does) reports a lost connection on its next statement, and keeps reporting it;
/// an error of the statement itself (a conflicting append) is not one.
#[test]
fn a_cut_backend_is_a_lost_connection_and_a_conflict_is_not() {
    if !enabled() {
        return;
    }
    let target = fresh();
    let mut store = PgStore::open(&target.url).unwrap();
    store.append("n", 0, vec![event("a", "1")], None).unwrap();
    let conflict = store.append("n", 0, vec![event("a", "2")], None).unwrap_err();
    assert!(matches!(conflict, StoreError::Conflict { .. }) && !conflict.is_connection_lost(), "{conflict}");
    let mut admin = postgres::Client::connect(&target.url, postgres::NoTls).unwrap();
    let cut: i64 = admin
        .query_one(
            // Client backends only: an autovacuum worker visiting the database is no connection of
            // the store's.
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(cut, 1, "the store holds one connection");
    for _ in 0..2 {
        let lost = store.head("n").unwrap_err();
        assert!(lost.is_connection_lost(), "{lost}");
    }
}

/// The CA that signed the test server's certificate (`.ci/postgres.sh` writes it), or `None` with a
/// notice when TLS cannot be tested.
fn tls_server() -> Option<(String, String)> {
    let url = server()?;
    match std::env::var("PARLEY_TEST_PG_CA") {
        Ok(ca) if !ca.is_empty() && std::path::Path::new(&ca).exists() => Some((url, ca)),
        _ => {
            eprintln!("PARLEY_TEST_PG_CA is not set to the server's CA certificate: skipping the TLS tests (.ci/run sets it)");
            None
        }
    }
}

/// `url` with its query parameters set to `parameters`.
fn with_query(url: &str, parameters: &str) -> String {
    format!("{}?{parameters}", url.split_once('?').map_or(url, |(address, _)| address))
}

#[test]
fn verify_full_against_the_servers_ca_round_trips() {
    let Some((_, ca)) = tls_server() else { return };
    let target = fresh();
    let url = with_query(&target.url, &format!("sslmode=verify-full&sslrootcert={ca}"));
    let mut store = PgStore::open(&url).unwrap_or_else(|error| panic!("{error}"));
    let in_tls: bool = store.client().query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap().get(0);
    assert!(in_tls, "the connection is encrypted");
    let original = suite::scenario("dockworkers-2026.toml");
    assert!(suite::import(&mut store, &original) > 0);
    let folded = store.negotiation(&original.id, None).unwrap();
    assert_eq!(suite::json(&folded), suite::json(&original));
    verify(&store.events(&original.id).unwrap()).unwrap();
    // Through the URL the CLI hands over, too.
    let mut again = parley_store::open(&url, true).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(again.negotiations().unwrap(), vec![original.id.clone()]);
}

#[test]
fn require_encrypts_without_checking_the_certificate() {
    if tls_server().is_none() {
        return;
    }
    let target = fresh();
    // The certificate's CA is not given: `require` does not check it.
    let mut store = PgStore::open(&with_query(&target.url, "sslmode=require")).unwrap_or_else(|error| panic!("{error}"));
    let in_tls: bool = store.client().query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap().get(0);
    assert!(in_tls);
    store.append("n", 0, vec![event("a", "1")], None).unwrap();
    verify(&store.events("n").unwrap()).unwrap();
    // And a plain connection still works beside it.
    let mut plain = PgStore::open(&with_query(&target.url, "sslmode=disable")).unwrap();
    let in_tls: Option<bool> =
        plain.client().query_opt("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap().map(|row| row.get(0));
    assert_eq!(in_tls, Some(false));
}

#[test]
fn verify_full_refuses_a_certificate_from_another_ca() {
    let Some((url, _)) = tls_server() else { return };
    let other = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/other-ca.crt");
    let error = PgStore::open(&with_query(&url, &format!("sslmode=verify-full&sslrootcert={other}"))).unwrap_err();
    assert!(matches!(error, StoreError::Tls { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("not signed by a CA in sslrootcert") && message.contains("127.0.0.1"), "{message}");
    assert!(!message.contains("parley-test") && message.contains(":***@"), "the password is masked: {message}");
}

#[test]
fn verify_full_refuses_a_host_name_the_certificate_does_not_name() {
    let Some((url, ca)) = tls_server() else { return };
    // Connect to the server's address but check the certificate for another name.
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let (_, port_and_database) = rest.split_once(':').unwrap();
    let wrong = format!("{scheme_user}@db.example.invalid:{port_and_database}");
    let error = PgStore::open(&with_query(&wrong, &format!("hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={ca}"))).unwrap_err();
    assert!(matches!(error, StoreError::Tls { .. }), "{error}");
    assert!(error.to_string().contains("not valid for name \"db.example.invalid\""), "{error}");
}

#[test]
fn bad_tls_settings_are_refused_before_connecting() {
    let error = PgStore::open("postgres://postgres:secret@127.0.0.1:9/postgres?sslmode=verify-full").unwrap_err();
    assert!(matches!(error, StoreError::Tls { .. }), "{error}");
    assert!(error.to_string().contains("needs sslrootcert=PATH"), "{error}");
    assert!(!error.to_string().contains("secret"), "{error}");
}
