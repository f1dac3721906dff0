//! `parley serve` as a real process: every read of the API is byte for byte what the matching
//! command prints with `--json --viewer V` (or `log --json`, `export`) on the same database, for
//! every viewer of every bundled scenario; `parley token` creates, lists and revokes; SIGTERM
//! stops the server cleanly.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use common::{http, parley, run, serve, succeeds};

const SCENARIOS: [&str; 3] = ["ukraine-2025.toml", "dockworkers-2026.toml", "iran-nuclear-2013-2016.toml"];

fn get(address: SocketAddr, token: &str, path: &str) -> http::Answer {
    http::request(address, "GET", path, &[("Authorization", &format!("Bearer {token}"))], b"")
}

#[test]
fn every_read_equals_the_commands_output_for_every_viewer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("parley.db").display().to_string();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    let mut cases = Vec::new();
    for file in SCENARIOS {
        succeeds(&["import", &format!("{root}/{file}"), "--db", &db]);
        let negotiation = parley_core::scenario::parse(&std::fs::read_to_string(format!("{root}/{file}")).unwrap()).unwrap().negotiation;
        let mut viewers =
            vec![("admin".to_owned(), "all".to_owned()), ("mediator".into(), "mediator".into()), ("public".into(), "public".into())];
        viewers.extend(negotiation.parties.iter().map(|party| (party.id.clone(), party.id.clone())));
        for (role, viewer) in viewers {
            let token = succeeds(&["token", "create", "--db", &db, "--negotiation", &negotiation.id, "--as", &role]).trim().to_owned();
            assert!(token.starts_with("parley_") && !token.contains('\n'), "{token}");
            cases.push((negotiation.id.clone(), viewer, token));
        }
    }
    let served = serve(&db);
    let mut compared = 0;
    for (id, viewer, token) in &cases {
        let from_db = ["--db", db.as_str(), "--negotiation", id.as_str(), "--viewer", viewer.as_str()];
        let reads: [(&str, Vec<&str>); 7] = [
            ("status", vec!["status", "--json"]),
            ("status?as_of=start", vec!["status", "--json", "--as-of", "start"]),
            ("diff?from=start&to=now", vec!["diff", "start", "now", "--json"]),
            ("claims", vec!["claims", "--json"]),
            ("analysis", vec!["analyze", "--json"]),
            ("frontier", vec!["frontier", "--json"]),
            ("export", vec!["export"]),
        ];
        for (route, command) in reads {
            let mut args = command.clone();
            if command[0] == "export" {
                args.extend(["--db", db.as_str(), "--viewer", viewer.as_str(), id.as_str()]);
            } else {
                args.extend(from_db);
            }
            let cli = run(&args);
            let answer = get(served.address, token, &format!("/api/v1/negotiations/{id}/{route}"));
            if cli.status.success() {
                assert_eq!(answer.status, 200, "{id} {viewer} {route}: {}", answer.body);
                let printed = String::from_utf8_lossy(&cli.stdout).into_owned();
                if route == "export" {
                    // The command's first line names the database and the head's number; the
                    // server's names neither (`docs/api.md`). The rest is the same.
                    let rest = |text: &str| text.split_once('\n').map(|(_, rest)| rest.to_owned()).unwrap_or_default();
                    assert_eq!(rest(&answer.body), rest(&printed), "{id} {viewer} {route}");
                    assert!(answer.body.starts_with(&format!("# `{id}` as served to viewer ")), "{}", answer.body);
                    assert!(!answer.body.contains(db.as_str()), "{id} {viewer}: the export names the server's database");
                } else {
                    assert_eq!(answer.body, printed, "{id} {viewer} {route}");
                }
                compared += 1;
            } else {
                // The command refuses (e.g. no preferences to build a frontier from): so does the API.
                assert!((400..500).contains(&answer.status), "{id} {viewer} {route}: {answer:?}");
            }
        }
        let log = succeeds(&["log", "--json", "--db", &db, "--negotiation", id, "--viewer", viewer]);
        let events = get(served.address, token, &format!("/api/v1/negotiations/{id}/events"));
        assert_eq!(events.body, log, "{id} {viewer} events");
        // The scenario read is the viewer's export, as JSON: the same record.
        let exported = succeeds(&["export", "--db", &db, "--viewer", viewer, id]);
        let scenario = get(served.address, token, &format!("/api/v1/negotiations/{id}/scenario")).json();
        let expected = parley_core::scenario::parse(&exported).unwrap().negotiation;
        assert_eq!(scenario, serde_json::to_value(&expected).unwrap(), "{id} {viewer} scenario");
    }
    assert!(compared > 100, "only {compared} reads compared");
}

#[test]
fn tokens_are_listed_without_secrets_and_revoked_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("parley.db").display().to_string();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    succeeds(&["import", &format!("{root}/ukraine-2025.toml"), "--db", &db]);
    let token =
        succeeds(&["token", "create", "--db", &db, "--negotiation", "ukraine-2025", "--as", "UA", "--write", "--label", "Kyiv desk"]);
    let token = token.trim();
    let unknown = run(&["token", "create", "--db", &db, "--negotiation", "ukraine-2025", "--as", "XX"]);
    assert_eq!(unknown.status.code(), Some(2), "an unknown viewer is refused");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("expected admin, mediator, public or a party"));
    let listed = succeeds(&["token", "list", "--db", &db, "--json"]);
    assert!(!listed.contains(token), "the list never shows a secret");
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["label"], "Kyiv desk");
    assert_eq!(listed[0]["write"], true);
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    let table = succeeds(&["token", "list", "--db", &db]);
    assert!(table.contains(&id) && table.contains("Kyiv desk") && !table.contains(token), "{table}");
    let served = serve(&db);
    let path = "/api/v1/negotiations/ukraine-2025/status";
    assert_eq!(get(served.address, token, path).status, 200);
    succeeds(&["token", "revoke", "--db", &db, &id]);
    assert_eq!(get(served.address, token, path).status, 401, "revocation takes effect on the next request");
    assert_eq!(run(&["token", "revoke", "--db", &db, &id]).status.code(), Some(2), "revoking twice is refused");
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.db").display().to_string();
    // The database is created when absent.
    let mut served = serve(&db);
    assert_eq!(http::request(served.address, "GET", "/readyz", &[], b"").status, 200);
    let pid = served.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = served.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(std::path::Path::new(&db).exists());
}

#[test]
fn the_demo_prints_a_token_per_role_and_its_logs_never_hold_one() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let mut child = parley()
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first.split_whitespace().nth(2).unwrap().to_owned();
    let address: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    lines.next().unwrap().unwrap();
    // admin, mediator, the six parties, public: "ROLE ACCESS TOKEN URL/sign-in?token=TOKEN".
    let mut tokens = Vec::new();
    for _ in 0..9 {
        let line = lines.next().unwrap().unwrap();
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[3], format!("{url}/sign-in?token={}", fields[2]), "{line}");
        tokens.push((fields[0].to_owned(), fields[1].to_owned(), fields[2].to_owned()));
    }
    let roles: Vec<&str> = tokens.iter().map(|(role, ..)| role.as_str()).collect();
    assert_eq!(roles, ["admin", "mediator", "US", "UA", "RU", "E3", "NATO", "IAEA", "public"]);
    assert!(tokens.iter().all(|(role, access, _)| access == if role == "public" { "reads" } else { "writes" }));
    for (role, _, token) in &tokens {
        let answer = get(address, token, "/api/v1/negotiations/ukraine-2025/status");
        assert_eq!(answer.status, 200, "{role}");
        // A token in a query string (the workbench's sign-in link) is not logged either.
        http::request(address, "GET", &format!("/sign-in?token={token}"), &[], b"");
    }
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(child.wait().unwrap().success());
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("/api/v1/negotiations/ukraine-2025/status") && logged.contains("200"), "{logged}");
    for (role, _, token) in &tokens {
        assert!(!logged.contains(token.as_str()), "{role}'s token is in the log");
    }
}
