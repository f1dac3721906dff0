//! The record in a database: import, the same answers as the file, log, verify, signatures.

mod common;

use common::{parley, scenario, stderr, stdout};
use parley_store::sqlite::SqliteStore;

fn run_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    parley().current_dir(dir).args(args).output().expect("the parley binary runs")
}

/// Imports the 2025 scenario into `db` and checks that status, diff and claims read from it print
/// exactly what they print from the file.
fn answers_as_the_file_does(dir: &std::path::Path, db: &str) {
    let file = scenario("ukraine-2025.toml");
    let output = run_in(dir, &["import", &file, "--db", db, "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(summary["appended"].as_u64().unwrap() > 100);
    for (from_file, from_db) in [
        (vec!["status", &file, "--json"], vec!["status", "--db", db, "--json"]),
        (
            vec!["status", &file, "--as-of", "geneva", "--viewer", "public"],
            vec!["status", "--db", db, "--as-of", "geneva", "--viewer", "public"],
        ),
        (vec!["diff", &file, "kyiv-delivery", "geneva", "--json"], vec!["diff", "--db", db, "kyiv-delivery", "geneva", "--json"]),
        (vec!["claims", &file, "--json"], vec!["claims", "--db", db, "--json"]),
    ] {
        let a = run_in(dir, &from_file);
        let b = run_in(dir, &from_db);
        assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
        assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
        assert_eq!(stdout(&a), stdout(&b), "{from_db:?}");
    }
    let verified = run_in(dir, &["verify", "--db", db]);
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));

    // Exported, the record reads back as the same negotiation: the same answers from the new
    // file, and importing it into the database it came from appends nothing.
    let exported = run_in(dir, &["export", "ukraine-2025", "--db", db, "-o", "exported.toml", "--json"]);
    assert_eq!(exported.status.code(), Some(0), "{}", stderr(&exported));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&exported)).unwrap();
    assert_eq!(summary["event"], serde_json::json!(160), "{summary}");
    for command in [vec!["status", "--json"], vec!["claims", "--json"], vec!["diff", "kyiv-delivery", "geneva", "--json"]] {
        let (name, rest) = command.split_first().unwrap();
        let original: Vec<&str> = [*name, file.as_str()].into_iter().chain(rest.iter().copied()).collect();
        let written: Vec<&str> = [*name, "exported.toml"].into_iter().chain(rest.iter().copied()).collect();
        let (a, b) = (run_in(dir, &original), run_in(dir, &written));
        assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
        assert_eq!(stdout(&a), stdout(&b), "{written:?}");
    }
    assert!(!std::fs::read_to_string(dir.join("exported.toml")).unwrap().contains("# A partial record"));
    #[cfg(unix)]
    {
        // Overwriting keeps the file's permissions: a private export stays private.
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("exported.toml");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(run_in(dir, &["export", "--db", db, "-o", "exported.toml"]).status.code(), Some(0));
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let again = run_in(dir, &["import", "exported.toml", "--db", db, "--json"]);
    let summary: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(summary["appended"], serde_json::json!(0), "{summary}");
}

#[test]
fn an_imported_scenario_answers_as_the_file_does_on_postgres() {
    let Some(url) = std::env::var("PARLEY_TEST_PG_URL").ok().filter(|url| !url.is_empty()) else {
        eprintln!("PARLEY_TEST_PG_URL is not set: skipping the PostgreSQL test (.ci/run starts a server)");
        return;
    };
    let database = format!("parley_cli_{}", std::process::id());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {database}")).unwrap();
    client.batch_execute(&format!("CREATE DATABASE {database}")).unwrap();
    let db = format!("{}/{database}", url.rsplit_once('/').unwrap().0);
    let dir = tempfile::tempdir().unwrap();
    answers_as_the_file_does(dir.path(), &db);
    // A wrong password is the user's input: exit 2, and the password is not echoed.
    let (user_part, host_part) = db.split_once('@').unwrap();
    let wrong = format!("{}:wrong-secret@{host_part}", user_part.rsplit_once(':').unwrap().0);
    let output = run_in(dir.path(), &["verify", "--db", &wrong]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(!stderr(&output).contains("wrong-secret"), "{}", stderr(&output));
    // Nobody listening: a failure, exit 1.
    assert_eq!(run_in(dir.path(), &["verify", "--db", "postgres://u:p@127.0.0.1:9/x"]).status.code(), Some(1));
    client.batch_execute(&format!("DROP DATABASE {database} WITH (FORCE)")).unwrap();
}

#[test]
fn postgres_over_tls_answers_and_a_certificate_from_another_ca_exits_1() {
    let url = std::env::var("PARLEY_TEST_PG_URL").ok().filter(|url| !url.is_empty());
    let ca = std::env::var("PARLEY_TEST_PG_CA").ok().filter(|ca| std::path::Path::new(ca).exists());
    let (Some(url), Some(ca)) = (url, ca) else {
        eprintln!("PARLEY_TEST_PG_URL or PARLEY_TEST_PG_CA is not set: skipping the PostgreSQL TLS test (.ci/run sets both)");
        return;
    };
    let database = format!("parley_cli_tls_{}", std::process::id());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {database}")).unwrap();
    client.batch_execute(&format!("CREATE DATABASE {database}")).unwrap();
    let db = format!("{}/{database}", url.rsplit_once('/').unwrap().0);
    let dir = tempfile::tempdir().unwrap();
    answers_as_the_file_does(dir.path(), &format!("{db}?sslmode=verify-full&sslrootcert={ca}"));
    let other = concat!(env!("CARGO_MANIFEST_DIR"), "/../parley-store/tests/data/other-ca.crt");
    let output = run_in(dir.path(), &["verify", "--db", &format!("{db}?sslmode=verify-full&sslrootcert={other}")]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("not signed by a CA in sslrootcert"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("parley-test"), "the password is masked: {}", stderr(&output));
    client.batch_execute(&format!("DROP DATABASE {database} WITH (FORCE)")).unwrap();
}

#[test]
fn an_imported_scenario_answers_as_the_file_does() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("ukraine-2025.toml");
    answers_as_the_file_does(dir.path(), "parley.db");
    assert!(dir.path().join("parley.db").exists());

    let again = run_in(dir.path(), &["import", &file]);
    assert!(stdout(&again).contains("nothing appended"), "{}", stdout(&again));

    let log = run_in(dir.path(), &["log", "--kind", "red-line", "--json"]);
    assert_eq!(stdout(&log).lines().count(), 8, "one event per red line");
    assert!(stdout(&log).contains("ru-troop-cap"));

    // Mediator-only red lines and preferences stay hidden from the public and from the other side.
    for viewer in ["public", "UA"] {
        let log = run_in(dir.path(), &["log", "--viewer", viewer, "--json"]);
        assert_eq!(log.status.code(), Some(0), "{}", stderr(&log));
        let text = stdout(&log);
        for secret in ["ru-troop-cap", "ru-all-of-donbas", "cap_binding and troop_cap"] {
            assert!(!text.contains(secret), "{viewer} sees {secret}");
        }
        // Nothing of a hidden event shows (not its actor, kind, key or position), nor any number
        // or hash, which count and cover hidden events: the log equals the log of a database that
        // only ever held what the viewer may see (times of recording aside).
        let shown: Vec<serde_json::Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        for event in &shown {
            for field in ["seq", "hash", "prev_hash", "signature"] {
                assert!(event.get(field).is_none(), "{viewer} sees the {field} of {event}");
            }
        }
        let (viewed, viewed_db) = (format!("{viewer}.toml"), format!("{viewer}.db"));
        let export = run_in(dir.path(), &["export", "--viewer", viewer, "-o", &viewed]);
        assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
        let separate = run_in(dir.path(), &["import", &viewed, "--db", &viewed_db]);
        assert_eq!(separate.status.code(), Some(0), "{}", stderr(&separate));
        let untimed = |text: &str| -> Vec<serde_json::Value> {
            text.lines()
                .map(|line| {
                    let mut event: serde_json::Value = serde_json::from_str(line).unwrap();
                    event.as_object_mut().unwrap().remove("recorded_at");
                    event
                })
                .collect()
        };
        let of_export = run_in(dir.path(), &["log", "--db", &viewed_db, "--viewer", viewer, "--json"]);
        assert_eq!(untimed(&text), untimed(&stdout(&of_export)), "{viewer}: the log depends on hidden events");
        let plain = run_in(dir.path(), &["log", "--viewer", viewer]);
        assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
        assert!(!stdout(&plain).contains("hidden") && !stdout(&plain).contains("ru-troop-cap"), "{}", stdout(&plain));
        assert!(text.contains("ua-no-withdrawal"), "public red lines stay visible");
        let status = run_in(dir.path(), &["status", "--db", "parley.db", "--viewer", viewer, "--json"]);
        assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
        assert!(!stdout(&status).contains("ru-troop-cap"), "{viewer}");
        let export = run_in(dir.path(), &["export", "--viewer", viewer]);
        assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
        for secret in ["ru-troop-cap", "ru-all-of-donbas", "cap_binding and troop_cap", "[[preferences]]\nparty = \"RU\""] {
            assert!(!stdout(&export).contains(secret), "export for {viewer} shows {secret}");
        }
        assert!(stdout(&export).contains("ua-no-withdrawal"), "public red lines are exported");
        assert!(stdout(&export).contains("# A partial record"), "says it is partial");
    }
    let mediator = run_in(dir.path(), &["log", "--viewer", "mediator", "--json"]);
    assert!(stdout(&mediator).contains("ru-troop-cap"));
}

/// A secret round, what happened in it and hidden statements and items never appear in the log,
/// status or export shown to a viewer outside the channel; a participant and the host see them.
#[test]
fn secret_channels_stay_out_of_the_log_status_and_export_of_outsiders() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/channels.toml").display().to_string();
    assert_eq!(run_in(dir.path(), &["import", &file]).status.code(), Some(0));
    for viewer in ["public", "P5", "mediator"] {
        for command in [
            &["log", "--json", "--viewer", viewer][..],
            &["export", "--viewer", viewer],
            &["claims", "--db", "parley.db", "--viewer", viewer],
        ] {
            let output = run_in(dir.path(), command);
            assert_eq!(output.status.code(), Some(0), "{command:?}: {}", stderr(&output));
            for secret in ["muscat", "Enrichment at 5 percent", "Iran accepted the enrichment text"] {
                assert!(!stdout(&output).contains(secret), "{command:?} shows {secret}");
            }
        }
    }
    for viewer in ["IR", "OM"] {
        let output = run_in(dir.path(), &["log", "--json", "--viewer", viewer]);
        assert!(stdout(&output).contains("muscat") && stdout(&output).contains("Enrichment at 5 percent"), "{viewer}");
    }
}

#[test]
fn verify_names_the_first_tampered_event_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("ukraine-2025.toml");
    assert_eq!(run_in(dir.path(), &["import", &file]).status.code(), Some(0));
    {
        let store = SqliteStore::open(&dir.path().join("parley.db"), false).unwrap();
        store
            .connection()
            .execute_batch("DROP TRIGGER events_no_update; UPDATE events SET payload = replace(payload, 'de-facto', 'de-jure') WHERE kind = 'item' AND key = '21'")
            .unwrap();
    }
    let output = run_in(dir.path(), &["verify"]);
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    assert!(stdout(&output).contains("BAD") && stdout(&output).contains("edited"), "{}", stdout(&output));
}

#[test]
fn a_party_signs_its_own_events() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("ukraine-2025.toml");
    let keygen = run_in(dir.path(), &["keygen", "UA", "-o", "ua.key"]);
    assert_eq!(keygen.status.code(), Some(0), "{}", stderr(&keygen));
    assert_eq!(run_in(dir.path(), &["keygen", "UA", "-o", "ua.key"]).status.code(), Some(2), "never overwrites a key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(dir.path().join("ua.key")).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let output = run_in(dir.path(), &["import", &file, "--sign", "UA=ua.key", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    // UA's stances, red lines, statements, preferences and demands, plus its key.
    assert!(summary["signed"].as_u64().unwrap() > 10, "{summary}");
    let verified: serde_json::Value = serde_json::from_str(&stdout(&run_in(dir.path(), &["verify", "--json"]))).unwrap();
    assert_eq!(verified["negotiations"][0]["signed"], summary["signed"]);
    assert_eq!(run_in(dir.path(), &["import", &file, "--sign", "XX=ua.key"]).status.code(), Some(2));

    // Signing again with the same key registers nothing new; a second key for UA is refused
    // (it would need the first key's signature), and the chain still verifies.
    let again = run_in(dir.path(), &["import", &file, "--sign", "UA=ua.key", "--json"]);
    let again: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(again["appended"], serde_json::json!(0), "{again}");
    assert_eq!(run_in(dir.path(), &["keygen", "UA", "-o", "ua2.key"]).status.code(), Some(0));
    let other = run_in(dir.path(), &["import", &file, "--sign", "UA=ua2.key"]);
    assert_eq!(other.status.code(), Some(2), "{}", stderr(&other));
    assert!(stderr(&other).contains("already signs with key"), "{}", stderr(&other));
    assert_eq!(run_in(dir.path(), &["verify"]).status.code(), Some(0));
}

#[test]
fn bad_databases_exit_2_and_stay_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("notes.db");
    std::fs::write(&garbage, "minutes of the meeting\n".repeat(100)).unwrap();
    let before = std::fs::read(&garbage).unwrap();
    for args in [
        vec!["import", &scenario("ukraine-2025.toml")[..], "--db", "notes.db"],
        vec!["status", "--db", "notes.db"],
        vec!["verify", "--db", "notes.db"],
        vec!["log", "--db", "missing.db"],
        vec!["status", "--db", "missing.db"],
    ] {
        let output = run_in(dir.path(), &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).starts_with("error: "), "{}", stderr(&output));
    }
    assert_eq!(std::fs::read(&garbage).unwrap(), before);
    assert!(!dir.path().join("missing.db").exists());
    // Both a file and --db is ambiguous.
    assert_eq!(run_in(dir.path(), &["status", &scenario("ukraine-2025.toml"), "--db", "x.db"]).status.code(), Some(2));
}

#[test]
fn several_negotiations_need_a_choice_and_bad_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["ukraine-2025.toml", "dockworkers-2026.toml"] {
        assert_eq!(run_in(dir.path(), &["import", &scenario(name)]).status.code(), Some(0));
    }
    let ambiguous = run_in(dir.path(), &["status", "--db", "parley.db"]);
    assert_eq!(ambiguous.status.code(), Some(2));
    assert!(
        stderr(&ambiguous).contains("several negotiations") && stderr(&ambiguous).contains("dockworkers-2026"),
        "{}",
        stderr(&ambiguous)
    );
    let chosen = run_in(dir.path(), &["status", "--db", "parley.db", "--negotiation", "dockworkers-2026", "--json"]);
    assert_eq!(chosen.status.code(), Some(0), "{}", stderr(&chosen));
    let bogus = run_in(dir.path(), &["log", "--negotiation", "dockworkers-2026", "--kind", "stances"]);
    assert_eq!(bogus.status.code(), Some(2));
    assert!(stderr(&bogus).contains("red-line"), "lists the kinds: {}", stderr(&bogus));
    // An unknown negotiation is named, with those the database holds, whatever the command.
    for args in [
        vec!["log", "--negotiation", "nope"],
        vec!["export", "nope", "--up-to", "5"],
        vec!["status", "--db", "parley.db", "--negotiation", "nope"],
    ] {
        let unknown = run_in(dir.path(), &args);
        assert_eq!(unknown.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&unknown).contains("no negotiation `nope`") && stderr(&unknown).contains("dockworkers-2026"),
            "{}",
            stderr(&unknown)
        );
    }
    // --up-to must name an event of the log.
    for up_to in ["0", "100000"] {
        let out_of_range = run_in(dir.path(), &["export", "dockworkers-2026", "--up-to", up_to]);
        assert_eq!(out_of_range.status.code(), Some(2), "{}", stderr(&out_of_range));
        assert!(stderr(&out_of_range).contains("has events #1 to #"), "{}", stderr(&out_of_range));
    }
    // One event before the end of an import (its last demand) is a state of its own, and partial.
    let head = stdout(&run_in(dir.path(), &["log", "--negotiation", "dockworkers-2026"])).lines().count();
    let early = run_in(dir.path(), &["export", "dockworkers-2026", "--up-to", &(head - 1).to_string()]);
    assert_eq!(early.status.code(), Some(0), "{}", stderr(&early));
    assert!(stdout(&early).contains("# A partial record"), "{}", stdout(&early));

    let counts = |dir: &std::path::Path| -> serde_json::Value {
        let report: serde_json::Value = serde_json::from_str(&stdout(&run_in(dir, &["verify", "--json"]))).unwrap();
        report["negotiations"].clone()
    };
    let before = counts(dir.path());
    std::fs::write(dir.path().join("bad.key"), "not hex at all\n").unwrap();
    for spec in ["UA=absent.key", "UA=bad.key", "UA"] {
        let output = run_in(dir.path(), &["import", &scenario("ukraine-2025.toml"), "--sign", spec]);
        assert_eq!(output.status.code(), Some(2), "{spec}: {}", stderr(&output));
    }
    assert_eq!(counts(dir.path()), before, "refused imports wrote nothing");
}

/// A negotiation with a long history: the 2025 scenario plus `count` public stances, each on its
/// own date so that every one is a distinct event.
fn long_scenario(count: usize) -> String {
    let mut text = std::fs::read_to_string(scenario("ukraine-2025.toml")).unwrap();
    for n in 0..count {
        let position = ["accepts", "opposes", "undecided"][n % 3];
        let day = 1 + n % 28;
        text.push_str(&format!(
            "\n[[stances]]\nparty = \"{}\"\nitem = {}\nposition = \"{position}\"\ndate = 2026-02-{day:02}\nnote = \"stance {n}\"\n",
            ["UA", "RU"][n % 2],
            1 + n % 28
        ));
    }
    text
}

#[test]
fn long_histories_leave_checkpoints_that_verify_checks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("long.toml"), long_scenario(1_200)).unwrap();
    assert_eq!(run_in(dir.path(), &["import", "long.toml"]).status.code(), Some(0));
    let from_file = run_in(dir.path(), &["status", "long.toml", "--json"]);
    // The first read folds every event and leaves a checkpoint; the second starts from it.
    for _ in 0..2 {
        let from_db = run_in(dir.path(), &["status", "--db", "parley.db", "--json"]);
        assert_eq!(from_db.status.code(), Some(0), "{}", stderr(&from_db));
        assert_eq!(stdout(&from_db), stdout(&from_file));
    }
    let report: serde_json::Value = serde_json::from_str(&stdout(&run_in(dir.path(), &["verify", "--json"]))).unwrap();
    assert_eq!(report["negotiations"][0]["checkpoints"], serde_json::json!(1), "{report}");
    {
        let store = SqliteStore::open(&dir.path().join("parley.db"), false).unwrap();
        store.connection().execute_batch(r#"UPDATE checkpoints SET state = replace(state, '"opposes"', '"accepts"')"#).unwrap();
    }
    let output = run_in(dir.path(), &["verify"]);
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    assert!(stdout(&output).contains("checkpoint"), "{}", stdout(&output));
    // A checkpoint row of the wrong type (SQLite keeps whatever it is given): verify reports it,
    // reads go on without it, and the next read that folds enough replaces it.
    {
        let store = SqliteStore::open(&dir.path().join("parley.db"), false).unwrap();
        store.connection().execute_batch("UPDATE checkpoints SET state = X'7bff7d'").unwrap();
    }
    let output = run_in(dir.path(), &["verify"]);
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    assert!(stdout(&output).contains("does not read back"), "{}", stdout(&output));
    let from_db = run_in(dir.path(), &["status", "--db", "parley.db", "--json"]);
    assert_eq!(from_db.status.code(), Some(0), "{}", stderr(&from_db));
    assert_eq!(stdout(&from_db), stdout(&from_file));
    assert_eq!(run_in(dir.path(), &["verify"]).status.code(), Some(0));
}

/// Records of several documents (items numbered within each, stances on `DOC:N`, lifecycles) and
/// of readouts (stances on a readout or a named version) answer from a database as from their
/// files, and exported they import as nothing new.
#[test]
fn records_of_documents_and_readouts_answer_as_their_files_do() {
    for (name, documents) in [("documents.toml", 3), ("readouts.toml", 0)] {
        let dir = tempfile::tempdir().unwrap();
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases").join(name).display().to_string();
        let imported = run_in(dir.path(), &["import", &file, "--db", "record.db"]);
        assert_eq!(imported.status.code(), Some(0), "{}", stderr(&imported));
        let log = run_in(dir.path(), &["log", "--db", "record.db", "--kind", "document", "--json"]);
        assert_eq!(stdout(&log).lines().count(), documents, "one event per document");
        let commands = [
            vec!["status", "--json"],
            vec!["status", "--viewer", "public"],
            vec!["status", "--as-of", "2015-04-03"],
            vec!["diff", "start", "now", "--json"],
            vec!["claims", "--json"],
        ];
        for command in commands {
            let (command_name, rest) = command.split_first().unwrap();
            let from_file: Vec<&str> = [*command_name, file.as_str()].into_iter().chain(rest.iter().copied()).collect();
            let from_db: Vec<&str> = [*command_name, "--db", "record.db"].into_iter().chain(rest.iter().copied()).collect();
            let (a, b) = (run_in(dir.path(), &from_file), run_in(dir.path(), &from_db));
            assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
            assert_eq!(stdout(&a), stdout(&b), "{name}: {from_db:?}");
        }
        assert_eq!(run_in(dir.path(), &["verify", "--db", "record.db"]).status.code(), Some(0));
        // IR's readout confided to the mediator shows in no public output of the database.
        for command in [vec!["log", "--json"], vec!["log"], vec!["export"], vec!["status", "--json"]] {
            let public: Vec<&str> = command.iter().copied().chain(["--db", "record.db", "--viewer", "public"]).collect();
            if name == "readouts.toml" && command == ["log", "--json"] {
                // A stance on a public readout is public; one on a confided readout is not.
                let text = stdout(&run_in(dir.path(), &public));
                assert!(text.contains("The US fact sheet is not what was agreed."), "{text}");
            }
            let output = run_in(dir.path(), &public);
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
            assert!(!stdout(&output).contains("All sanctions are lifted"), "{name}: {public:?}");
        }
        let exported = run_in(dir.path(), &["export", "--db", "record.db", "-o", "exported.toml"]);
        assert_eq!(exported.status.code(), Some(0), "{}", stderr(&exported));
        let again = run_in(dir.path(), &["import", "exported.toml", "--db", "record.db", "--json"]);
        let summary: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
        assert_eq!(summary["appended"], serde_json::json!(0), "{name}: {summary}");
    }
}

/// Dated demands, ranges and alternatives are separate entities in the log (a party's demands on an
/// issue over time), read back as written, and export to a file that answers the same and
/// re-imports with nothing appended.
#[test]
fn dated_demands_survive_the_store_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let file = common::workspace_root().join("crates/parley-cli/tests/cases/positions.toml").display().to_string();
    let imported = run_in(dir.path(), &["import", &file]);
    assert_eq!(imported.status.code(), Some(0), "{}", stderr(&imported));
    let log = stdout(&run_in(dir.path(), &["log", "--kind", "demand", "--json"]));
    let keys: Vec<String> =
        log.lines().map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["key"].as_str().unwrap().to_owned()).collect();
    assert!(keys.contains(&"city/fee@round:r1".to_owned()) && keys.contains(&"city/fee@date:2024-11-21".to_owned()), "{keys:?}");
    assert!(keys.contains(&"city/term".to_owned()), "an undated demand keeps its key: {keys:?}");
    // Every scenario command reads the database as it reads the file.
    for args in [["positions", "--json"], ["analyze", "--json"], ["status", "--json"]] {
        let from_file = run_in(dir.path(), &[args[0], &file, args[1]]);
        let from_db = run_in(dir.path(), &[args[0], "--db", "parley.db", args[1]]);
        assert_eq!(from_db.status.code(), Some(0), "{}", stderr(&from_db));
        assert_eq!(stdout(&from_file), stdout(&from_db), "{args:?}");
    }
    let dockworkers = scenario("dockworkers-2026.toml");
    assert_eq!(run_in(dir.path(), &["import", &dockworkers, "--db", "dock.db"]).status.code(), Some(0));
    for args in [vec!["frontier", "--json", "--as-of", "second"], vec!["analyze", "--viewer", "union"]] {
        let from_file = run_in(dir.path(), &[&[args[0], dockworkers.as_str()][..], &args[1..]].concat());
        let from_db = run_in(dir.path(), &[&[args[0], "--db", "dock.db"][..], &args[1..]].concat());
        assert_eq!(from_db.status.code(), Some(0), "{}", stderr(&from_db));
        assert_eq!(stdout(&from_file), stdout(&from_db), "{args:?}");
    }
    let plot = run_in(dir.path(), &["plot", "--db", "dock.db", "-o", "space.svg"]);
    assert_eq!(plot.status.code(), Some(0), "{}", stderr(&plot));
    let both = run_in(dir.path(), &["analyze", &dockworkers, "--db", "dock.db"]);
    assert_eq!(both.status.code(), Some(2), "a path and --db together are refused");
    assert_eq!(run_in(dir.path(), &["export", "-o", "again.toml"]).status.code(), Some(0));
    for command in ["positions", "analyze"] {
        let a = run_in(dir.path(), &[command, &file, "--json"]);
        let b = run_in(dir.path(), &[command, "again.toml", "--json"]);
        assert_eq!(stdout(&a).replace(&file, "F"), stdout(&b).replace("again.toml", "F"), "{command}");
    }
    let again = run_in(dir.path(), &["import", "again.toml", "--json"]);
    let summary: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(summary["appended"], serde_json::json!(0), "{summary}");
}

/// Obligations and their assessments are entities of the log: read back from the database and from
/// its export they answer as the file does, the chain verifies, and re-importing appends nothing.
#[test]
fn implementation_records_survive_the_store_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let file = common::workspace_root().join("crates/parley-cli/tests/cases/implementation.toml").display().to_string();
    assert_eq!(run_in(dir.path(), &["import", &file]).status.code(), Some(0));
    let kinds = stdout(&run_in(dir.path(), &["log", "--json"]));
    assert!(kinds.contains("\"kind\":\"obligation\"") && kinds.contains("\"key\":\"zones@date:2017-03-01\""), "{kinds}");
    for as_of in ["2017-01-31", "now"] {
        let from_file = run_in(dir.path(), &["implementation", &file, "--as-of", as_of, "--json"]);
        let from_db = run_in(dir.path(), &["implementation", "--db", "parley.db", "--as-of", as_of, "--json"]);
        assert_eq!(from_db.status.code(), Some(0), "{}", stderr(&from_db));
        assert_eq!(stdout(&from_file), stdout(&from_db));
    }
    assert_eq!(run_in(dir.path(), &["verify"]).status.code(), Some(0));
    assert_eq!(run_in(dir.path(), &["export", "-o", "again.toml"]).status.code(), Some(0));
    let again = run_in(dir.path(), &["implementation", "again.toml", "--json"]);
    assert_eq!(stdout(&again), stdout(&run_in(dir.path(), &["implementation", &file, "--json"])));
    let reimport = run_in(dir.path(), &["import", "again.toml", "--json"]);
    let summary: serde_json::Value = serde_json::from_str(&stdout(&reimport)).unwrap();
    assert_eq!(summary["appended"], serde_json::json!(0), "{summary}");
}

/// `key rotate` and `key revoke` append signed key events; changes of a party with a key need its
/// signature; `head` signs and countersigns a statement that `verify --against` holds the log to,
/// naming a truncation (exit 3), and a statement whose signature does not hold is bad input.
#[test]
fn keys_rotate_and_revoke_and_head_statements_catch_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario("ukraine-2025.toml");
    for (party, key) in [("UA", "ua.key"), ("UA", "ua2.key"), ("W", "w.key")] {
        assert_eq!(run_in(dir.path(), &["keygen", party, "-o", key]).status.code(), Some(0));
    }
    let early = run_in(dir.path(), &["key", "revoke", "UA", "--key", "ua.key"]);
    assert_eq!(early.status.code(), Some(2), "no database yet");
    assert!(stderr(&early).contains("does not exist"), "{}", stderr(&early));
    assert_eq!(run_in(dir.path(), &["import", &file, "--sign", "UA=ua.key"]).status.code(), Some(0));

    // A change of UA's imported without its key is refused, nothing written.
    let text = std::fs::read_to_string(&file).unwrap();
    let changed = dir.path().join("changed.toml");
    std::fs::write(&changed, text.replacen("position = \"red-line\"", "position = \"accepts\"", 1)).unwrap();
    let changed = changed.display().to_string();
    let refused = run_in(dir.path(), &["import", &changed]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--sign UA=KEYFILE"), "{}", stderr(&refused));

    // A signed head statement, countersigned by a witness.
    let signed = run_in(dir.path(), &["head", "--sign", "UA=ua.key", "-o", "head.json"]);
    assert_eq!(signed.status.code(), Some(0), "{}", stderr(&signed));
    let countersigned = run_in(dir.path(), &["head", "--countersign", "head.json", "--sign", "W=w.key", "-o", "head.json"]);
    assert_eq!(countersigned.status.code(), Some(0), "{}", stderr(&countersigned));
    let held = run_in(dir.path(), &["verify", "--against", "head.json"]);
    assert_eq!(held.status.code(), Some(0), "{}", stdout(&held));
    assert!(stdout(&held).contains("holds the head #161 signed by UA, W"), "{}", stdout(&held));

    // Rotation with the old key, then UA's change signed by the new one; the old one is refused.
    let rotated = run_in(dir.path(), &["key", "rotate", "UA", "--old", "ua.key", "--new", "ua2.key"]);
    assert_eq!(rotated.status.code(), Some(0), "{}", stderr(&rotated));
    assert_eq!(run_in(dir.path(), &["import", &changed, "--sign", "UA=ua.key"]).status.code(), Some(2));
    assert_eq!(run_in(dir.path(), &["import", &changed, "--sign", "UA=ua2.key"]).status.code(), Some(0));
    assert_eq!(run_in(dir.path(), &["head", "--sign", "UA=ua2.key", "-o", "later.json"]).status.code(), Some(0));
    // Revocation with the current key: UA's changes are refused from then on.
    let stale = run_in(dir.path(), &["key", "revoke", "UA", "--key", "ua.key"]);
    assert_eq!(stale.status.code(), Some(2), "not the current key");
    assert!(stderr(&stale).contains("already signs with key"), "{}", stderr(&stale));
    assert_eq!(run_in(dir.path(), &["key", "revoke", "UA", "--key", "ua2.key"]).status.code(), Some(0));
    let after = run_in(dir.path(), &["import", &file, "--sign", "UA=ua2.key"]);
    assert_eq!(after.status.code(), Some(2));
    assert!(stderr(&after).contains("revoked"), "{}", stderr(&after));
    let verified = run_in(dir.path(), &["verify", "--against", "later.json"]);
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));

    // The newest events cut off: the chain still verifies alone, not against the later head.
    let later: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("later.json")).unwrap()).unwrap();
    let later_seq = later["seq"].as_u64().unwrap();
    {
        let store = SqliteStore::open(&dir.path().join("parley.db"), false).unwrap();
        store.connection().execute_batch(&format!("DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq >= {later_seq}")).unwrap();
    }
    assert_eq!(run_in(dir.path(), &["verify"]).status.code(), Some(0));
    let truncated = run_in(dir.path(), &["verify", "--against", "later.json"]);
    assert_eq!(truncated.status.code(), Some(3), "{}", stdout(&truncated));
    let expected = format!("event #{later_seq}: truncated: the log ends at event {}", later_seq - 1);
    assert!(stdout(&truncated).contains(&expected), "{}", stdout(&truncated));
    assert_eq!(run_in(dir.path(), &["verify", "--against", "head.json"]).status.code(), Some(0), "the earlier head is still held");

    // A statement edited after signing is refused as bad input.
    let edited = std::fs::read_to_string(dir.path().join("head.json")).unwrap().replace("\"seq\": 161", "\"seq\": 160");
    std::fs::write(dir.path().join("edited.json"), edited).unwrap();
    let refused = run_in(dir.path(), &["verify", "--against", "edited.json"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("signature does not match"), "{}", stderr(&refused));
    std::fs::write(dir.path().join("partial.json"), "{\"format\": \"parley-head/1\",\n \"seq\": 3}\n").unwrap();
    let refused = run_in(dir.path(), &["verify", "--against", "partial.json"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("missing field `negotiation` at line 2 column"), "{}", stderr(&refused));
}

/// The signature is not covered by the hash, so removing it needs no rehash at all: the simplest
/// form of the attack on a party's signed events, caught by `verify` (exit 3) at that event.
#[test]
fn verify_exits_3_when_a_signed_partys_event_loses_its_signature() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run_in(dir.path(), &["keygen", "UA", "-o", "ua.key"]).status.code(), Some(0));
    assert_eq!(run_in(dir.path(), &["import", &scenario("ukraine-2025.toml"), "--sign", "UA=ua.key"]).status.code(), Some(0));
    let seq: i64 = {
        let store = SqliteStore::open(&dir.path().join("parley.db"), false).unwrap();
        let seq = store
            .connection()
            .query_row("SELECT MAX(seq) FROM events WHERE actor = 'UA' AND kind = 'stance'", [], |row| row.get(0))
            .unwrap();
        store
            .connection()
            .execute_batch(&format!("DROP TRIGGER events_no_update; UPDATE events SET signature = NULL WHERE seq = {seq}"))
            .unwrap();
        seq
    };
    let output = run_in(dir.path(), &["verify"]);
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    assert!(stdout(&output).contains(&format!("BAD  ukraine-2025: event #{seq}: `UA` has a registered key")), "{}", stdout(&output));
}

/// `log --viewer` showed a visible statement's stored claims whole, so a claim about a red line
/// the viewer may not see (the Iran scenario's `us-stockpile`) named it. For every bundled scenario
/// and viewer, the log must equal the log of a database holding only that viewer's export.
#[test]
fn log_for_a_viewer_equals_the_log_of_its_export_on_every_bundled_scenario() {
    let untimed = |text: &str| -> Vec<serde_json::Value> {
        text.lines()
            .map(|line| {
                let mut event: serde_json::Value = serde_json::from_str(line).unwrap();
                event.as_object_mut().unwrap().remove("recorded_at");
                event
            })
            .collect()
    };
    let cases = [
        ("iran-nuclear-2013-2016.toml", &["public", "FR", "IR", "US", "OM", "RU"][..]),
        ("dockworkers-2026.toml", &["public", "union", "employers"][..]),
        // Secret rounds, hidden items, readouts, blocs and deadlines.
        ("cases/channels.toml", &["public", "mediator", "IR", "US"][..]),
        ("cases/readouts.toml", &["public", "US", "IR"][..]),
        ("cases/blocs.toml", &["public", "TV", "CN", "FR"][..]),
        ("cases/deadlines.toml", &["public", "UK"][..]),
    ];
    for (name, viewers) in cases {
        let dir = tempfile::tempdir().unwrap();
        let file = match name.strip_prefix("cases/") {
            Some(case) => common::workspace_root().join("crates/parley-cli/tests/cases").join(case).display().to_string(),
            None => scenario(name),
        };
        assert_eq!(run_in(dir.path(), &["import", &file]).status.code(), Some(0));
        for viewer in viewers {
            let log = run_in(dir.path(), &["log", "--viewer", viewer, "--json"]);
            assert_eq!(log.status.code(), Some(0), "{}", stderr(&log));
            let (viewed, viewed_db) = (format!("{viewer}.toml"), format!("{viewer}.db"));
            let export = run_in(dir.path(), &["export", "--viewer", viewer, "-o", &viewed]);
            assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
            assert_eq!(run_in(dir.path(), &["import", &viewed, "--db", &viewed_db]).status.code(), Some(0));
            let of_export = run_in(dir.path(), &["log", "--db", &viewed_db, "--viewer", viewer, "--json"]);
            assert_eq!(untimed(&stdout(&log)), untimed(&stdout(&of_export)), "{name}, {viewer}: the log depends on what it may not see");
        }
    }
}

/// A phased record (phases, schedules with a lapse, red lines and a claim about phases) answers
/// from a database as from its file, records its phases as one event, and exports to a file that
/// re-imports without a change.
#[test]
fn a_phased_record_answers_from_the_database_as_from_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/phases.toml").display().to_string();
    let imported = run_in(dir.path(), &["import", &file]);
    assert_eq!(imported.status.code(), Some(0), "{}", stderr(&imported));
    for command in [
        vec!["status", "--as-of", "r1", "--json"],
        vec!["diff", "r1", "r2", "--json"],
        vec!["claims", "--json"],
        vec!["analyze", "--as-of", "r1", "--json"],
    ] {
        let (name, rest) = command.split_first().unwrap();
        let from_file: Vec<&str> = [*name, file.as_str()].into_iter().chain(rest.iter().copied()).collect();
        let from_db: Vec<&str> = [*name, "--db", "parley.db"].into_iter().chain(rest.iter().copied()).collect();
        let (a, b) = (run_in(dir.path(), &from_file), run_in(dir.path(), &from_db));
        assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
        assert_eq!(stdout(&a), stdout(&b), "{from_db:?}");
    }
    let log = run_in(dir.path(), &["log", "--kind", "phases", "--json"]);
    assert_eq!(stdout(&log).lines().count(), 1, "the phases are one event");
    let exported = run_in(dir.path(), &["export", "-o", "exported.toml"]);
    assert_eq!(exported.status.code(), Some(0), "{}", stderr(&exported));
    let again = run_in(dir.path(), &["import", "exported.toml", "--json"]);
    let summary: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(summary["appended"], serde_json::json!(0), "{summary}");
}

#[test]
fn rotating_or_revoking_a_key_never_registered_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run_in(dir.path(), &["import", &scenario("ukraine-2025.toml")]).status.code(), Some(0));
    assert_eq!(run_in(dir.path(), &["keygen", "RU", "-o", "ru.key"]).status.code(), Some(0));
    assert_eq!(run_in(dir.path(), &["keygen", "RU", "-o", "ru2.key"]).status.code(), Some(0));
    let before = stdout(&run_in(dir.path(), &["log", "--json"]));
    for args in [vec!["key", "rotate", "RU", "--old", "ru.key", "--new", "ru2.key"], vec!["key", "revoke", "RU", "--key", "ru.key"]] {
        let output = run_in(dir.path(), &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains("has no key registered"), "{}", stderr(&output));
    }
    assert_eq!(stdout(&run_in(dir.path(), &["log", "--json"])), before, "nothing was written");
}
