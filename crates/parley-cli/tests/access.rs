//! A database that cannot be written is still read (`docs/store.md`, "Reading without write
//! access"), a database path is always a file, and store errors say what failed once.
//!
//! The read-only mount and the full disk are real: each test makes a private mount namespace
//! (`unshare -m`) with a read-only bind mount or a small tmpfs filled to the last byte, so nothing
//! outside the test sees them. Where the machine allows no mount namespace, the test says so on
//! stderr and checks what it can without one.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{parley, scenario, stderr, stdout};
use parley_store::sqlite::SqliteStore;

/// The read commands, each of which must answer the same from a database it cannot write.
const READS: &[&[&str]] =
    &[&["status"], &["status", "--json"], &["log"], &["export"], &["verify"], &["claims"], &["diff", "2025-11-20", "2025-12-05"]];

fn run_in(dir: &Path, args: &[&str]) -> Output {
    parley().current_dir(dir).args(args).output().expect("the parley binary runs")
}

/// Whether this machine lets the test make a private mount namespace.
fn namespaces() -> bool {
    let works = Command::new("unshare").args(["-m", "true"]).output().is_ok_and(|output| output.status.success());
    if !works {
        eprintln!("no mount namespace here (`unshare -m` refused): the mount cases are not run");
    }
    works
}

/// Runs `script` under `sh` in a private mount namespace, with `$1` the parley binary, `$2` the
/// directory holding `p.db`, `$3` an empty directory to mount on and `$4` a scenario to import.
fn in_namespace(script: &str, args: &[&str]) -> Output {
    Command::new("unshare").args(["-m", "sh", "-c", script, "sh", env!("CARGO_BIN_EXE_parley")]).args(args).output().expect("unshare runs")
}

/// Every read command on `$DB`, each command's stdout followed by its end marker (and its exit
/// code when not 0): the same text [`expected_reads`] builds.
const READ_SCRIPT: &str = r#"
for args in "status" "status --json" "log" "export" "verify" "claims" "diff 2025-11-20 2025-12-05"; do
    "$1" $args --db "$DB" || echo "exit $? from $args"
    echo "-- end of $args"
done
"#;

/// What the read commands print from a writable copy of the database.
fn expected_reads(db: &Path) -> String {
    let mut expected = String::new();
    for args in READS {
        let mut full: Vec<&str> = args.to_vec();
        let db = db.display().to_string();
        full.extend(["--db", &db]);
        let output = parley().args(&full).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{full:?}: {}", stderr(&output));
        expected.push_str(&stdout(&output));
        expected.push_str(&format!("-- end of {}\n", args.join(" ")));
    }
    expected
}

/// Checks that `printed` is `expected`, showing the first line where they part and stderr.
fn same_reads(printed: &str, expected: &str, output: &Output, place: &str) {
    if printed == expected {
        return;
    }
    let at =
        printed.lines().zip(expected.lines()).position(|(a, b)| a != b).unwrap_or(printed.lines().count().min(expected.lines().count()));
    panic!(
        "reads from {place} differ from reads of the same file at line {at}:\n  got:      {:?}\n  expected: {:?}\nstderr:\n{}",
        printed.lines().nth(at),
        expected.lines().nth(at),
        stderr(output)
    );
}

fn imported() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let output = run_in(dir.path(), &["import", &scenario("ukraine-2025.toml"), "--db", "p.db"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    dir
}

fn event_count(db: &Path) -> i64 {
    let store = SqliteStore::open(db, false).unwrap();
    store.connection().query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0)).unwrap()
}

/// Imports a scenario, mounts something at a fresh directory with `setup` (a shell fragment where
/// `$2` is the directory holding `p.db` and `$3` the mount point, leaving the database at
/// `$3/p.db`), runs every read command there and then an import. Returns the reads (with the mount
/// point named as the source directory, since export names the database it read), the import's
/// exit line, stderr, and the source database. `None` where the machine has no mount namespaces.
fn reads_under(setup: &str, place: &str) -> Option<(String, String, std::path::PathBuf, tempfile::TempDir)> {
    if !namespaces() {
        return None;
    }
    let source = imported();
    let mount = tempfile::tempdir().unwrap();
    let db = source.path().join("p.db");
    let expected = expected_reads(&db);
    let script =
        format!("{setup} || exit 99\nDB=\"$3/p.db\"\n{READ_SCRIPT}\n\"$1\" import \"$4\" --db \"$DB\" ; echo \"import exit $?\"\n");
    let output = in_namespace(
        &script,
        &[&source.path().display().to_string(), &mount.path().display().to_string(), &scenario("dockworkers-2026.toml")],
    );
    assert!(output.status.code() != Some(99), "the mount failed: {}", stderr(&output));
    let printed = stdout(&output).replace(&mount.path().display().to_string(), &source.path().display().to_string());
    let (reads, import) = printed.rsplit_once("import exit ").expect("the import ran");
    same_reads(reads, &expected, &output, place);
    Some((import.trim().to_owned(), stderr(&output), db, source))
}

#[test]
fn reads_work_on_a_read_only_mount() {
    let setup = r#"mount --bind "$2" "$3" && mount -o remount,ro,bind "$3""#;
    let Some((import, errors, db, _source)) = reads_under(setup, "a read-only mount") else { return };
    assert_eq!(import, "1", "an import into a read-only mount fails: {errors}");
    assert!(errors.contains("read and written"), "{errors}");
    assert_eq!(event_count(&db), 160, "nothing was written: the import holds 160 events");
}

#[test]
fn reads_work_on_a_full_disk() {
    let setup = r#"mount -t tmpfs -o size=2m tmpfs "$3" && cp "$2/p.db" "$3/p.db" &&
{ dd if=/dev/zero of="$3/fill" bs=4k 2>/dev/null; dd if=/dev/zero of="$3/fill2" bs=1 2>/dev/null; true; }"#;
    let Some((import, errors, _db, _source)) = reads_under(setup, "a full disk") else { return };
    assert_eq!(import, "1", "an import onto a full disk fails: {errors}");
    assert!(errors.contains("full"), "the failure says the disk may be full: {errors}");
}

#[test]
fn a_database_path_is_always_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("ukraine-2025.toml");
    for db in ["", ":memory:"] {
        let output = run_in(dir.path(), &["import", &file, "--db", db]);
        assert_eq!(output.status.code(), Some(2), "--db {db:?}: {}", stderr(&output));
        assert!(stderr(&output).contains("name") && !stderr(&output).contains("appended"), "{}", stderr(&output));
        assert_eq!(run_in(dir.path(), &["status", "--db", db]).status.code(), Some(2));
    }
    // A name that looks like a SQLite URI is a file of that name, not an in-memory database.
    let uri = "file:x.db?mode=memory";
    assert_eq!(run_in(dir.path(), &["import", &file, "--db", uri]).status.code(), Some(0));
    assert!(dir.path().join(uri).is_file(), "the record went to a file named {uri}");
    let status = run_in(dir.path(), &["status", "--db", uri]);
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().filter_map(Result::ok).filter(|entry| entry.file_name() == "x.db").count(), 0);
}

#[test]
fn a_store_error_is_told_once() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_in(dir.path(), &["import", &scenario("ukraine-2025.toml"), "--db", "no/such/dir/p.db"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert_eq!(message.matches("unable to open database file").count(), 1, "{message}");
    assert!(!message.contains("Error code"), "{message}");
}

#[test]
fn a_negative_event_number_is_shown_as_stored() {
    let dir = imported();
    let db = dir.path().join("p.db");
    {
        let store = SqliteStore::open(&db, false).unwrap();
        store.connection().execute_batch("DROP TRIGGER events_no_update; UPDATE events SET seq = -1 WHERE seq = 30").unwrap();
    }
    let output = run_in(dir.path(), &["verify", "--db", "p.db"]);
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    let printed = stdout(&output);
    assert!(printed.contains("-1") && !printed.contains("18446744073709551615"), "{printed}");
}

#[test]
fn input_that_is_not_utf8_is_located_by_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("latin1.toml"), b"[negotiation]\nid = \"t\"\ntitle = \"Gen\xe8ve\"\n").unwrap();
    let output = run_in(dir.path(), &["check", "latin1.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("latin1.toml:3:13: not UTF-8 text (invalid byte 0xE8"), "{}", stderr(&output));
}

#[test]
fn nesting_too_deep_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("deep.toml"), format!("x = {}{}\n", "[".repeat(5000), "]".repeat(5000))).unwrap();
    let output = run_in(dir.path(), &["check", "deep.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("nested too deeply") && !stderr(&output).contains("out of range"), "{}", stderr(&output));
}

#[test]
fn a_read_only_postgresql_role_reads_and_cannot_write() {
    let Some(url) = std::env::var("PARLEY_TEST_PG_URL").ok().filter(|url| !url.is_empty()) else {
        eprintln!("PARLEY_TEST_PG_URL is not set: skipping the PostgreSQL test (.ci/run starts a server)");
        return;
    };
    let database = format!("parley_ro_{}", std::process::id());
    let role = format!("parley_reader_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    // One statement per call: DROP and CREATE DATABASE cannot run inside a transaction.
    for statement in [
        format!("DROP DATABASE IF EXISTS {database}"),
        format!("DROP ROLE IF EXISTS {role}"),
        format!("CREATE DATABASE {database}"),
        format!("CREATE ROLE {role} LOGIN PASSWORD 'reader-secret'"),
    ] {
        admin.batch_execute(&statement).unwrap();
    }
    let (prefix, _) = url.rsplit_once('/').unwrap();
    let owner_db = format!("{prefix}/{database}");
    let dir = tempfile::tempdir().unwrap();
    let imported = run_in(dir.path(), &["import", &scenario("ukraine-2025.toml"), "--db", &owner_db]);
    assert_eq!(imported.status.code(), Some(0), "{}", stderr(&imported));
    {
        let mut owner = postgres::Client::connect(&owner_db, postgres::NoTls).unwrap();
        owner
            .batch_execute(&format!(
                "GRANT CONNECT ON DATABASE {database} TO {role}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"
            ))
            .unwrap();
    }
    // The reader's URL: the same server and database, the reader's credentials.
    let host = owner_db.split_once('@').unwrap().1;
    let reader_db = format!("postgres://{role}:reader-secret@{host}");
    for args in READS {
        let mut owner_args: Vec<&str> = args.to_vec();
        owner_args.extend(["--db", &owner_db]);
        let mut reader_args: Vec<&str> = args.to_vec();
        reader_args.extend(["--db", &reader_db]);
        let (owner, reader) = (run_in(dir.path(), &owner_args), run_in(dir.path(), &reader_args));
        assert_eq!(reader.status.code(), Some(0), "{args:?} as the reader: {}", stderr(&reader));
        // Export names the database it read, by its URL without the password.
        let masked = |text: String| text.replace(&role, "ROLE").replace("postgres:***", "ROLE:***");
        assert_eq!(masked(stdout(&reader)), masked(stdout(&owner)), "{args:?}");
    }
    let write = run_in(dir.path(), &["import", &scenario("dockworkers-2026.toml"), "--db", &reader_db]);
    assert_ne!(write.status.code(), Some(0), "a read-only role cannot import");
    assert!(!stderr(&write).contains("reader-secret"), "{}", stderr(&write));
    // The server's reason, told once.
    assert_eq!(stderr(&write).matches("permission denied").count(), 1, "{}", stderr(&write));
    assert!(!stderr(&write).contains("db error: db error"), "{}", stderr(&write));
    admin.batch_execute(&format!("DROP DATABASE {database} WITH (FORCE)")).unwrap();
    admin.batch_execute(&format!("DROP ROLE {role}")).unwrap();
}

#[test]
fn an_older_schema_on_a_read_only_mount_says_it_needs_an_upgrade() {
    if !namespaces() {
        return;
    }
    let source = tempfile::tempdir().unwrap();
    let mount = tempfile::tempdir().unwrap();
    // A database of the first schema version, which reading would have to migrate.
    drop(SqliteStore::open_at(&source.path().join("p.db"), true, 1).unwrap());
    let script = r#"mount --bind "$2" "$3" && mount -o remount,ro,bind "$3" || exit 99
"$1" status --db "$3/p.db""#;
    let output = in_namespace(script, &[&source.path().display().to_string(), &mount.path().display().to_string(), ""]);
    assert_ne!(output.status.code(), Some(99), "the mount failed: {}", stderr(&output));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("older than this build's") && stderr(&output).contains("write access"), "{}", stderr(&output));
}
