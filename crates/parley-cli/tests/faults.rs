//! A real `parley serve` process killed with SIGKILL in the middle of write load from several
//! clients, then restarted on the same database: every acknowledged write is there, with its
//! content, nothing else but the writes in flight at the kill, and the chain verifies — on SQLite,
//! and on PostgreSQL when `PARLEY_TEST_PG_URL` is set.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::database::{Database, postgres_server};
use common::http::request;
use common::{run, serve};
use parley_store::{NewToken, open_store};

const PARTIES: [&str; 4] = ["UA", "RU", "US", "E3"];

/// One stance by `party`, told apart by its note.
fn stance(party: &str, note: &str) -> String {
    format!(
        r#"{{"party":"{party}","item":3,"position":"opposes","at":{{"date":"2026-01-15"}},"source":"fault","visibility":"public","note":"{note}"}}"#
    )
}

fn acknowledged_writes_survive_a_kill(db: Database) {
    let text = std::fs::read_to_string(common::scenario("ukraine-2025.toml")).unwrap();
    let negotiation = parley_core::scenario::parse(&text).unwrap().negotiation;
    let mut store = open_store(&db.url, true).unwrap();
    store.import(&negotiation, None).unwrap();
    let tokens: Vec<(String, String)> = PARTIES
        .iter()
        .map(|party| {
            let new =
                NewToken { negotiation: negotiation.id.clone(), viewer: (*party).into(), write: true, label: format!("fault {party}") };
            ((*party).to_owned(), store.create_token(&new).unwrap().secret)
        })
        .collect();
    let (before, _) = store.head(&negotiation.id).unwrap().unwrap();
    drop(store);

    let mut server = serve(&db.url);
    let address = server.address;
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let attempted = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let killed = Arc::new(AtomicBool::new(false));
    let path = format!("/api/v1/negotiations/{}/stances", negotiation.id);
    let clients: Vec<_> = tokens
        .iter()
        .cloned()
        .enumerate()
        .map(|(client, (party, token))| {
            let (acknowledged, attempted, killed, path) = (acknowledged.clone(), attempted.clone(), killed.clone(), path.clone());
            std::thread::spawn(move || {
                let bearer = format!("Bearer {token}");
                let mut head = "\"0\"".to_owned();
                let mut count = 0;
                while !killed.load(Ordering::Relaxed) {
                    count += 1;
                    let note = format!("fault {client}-{count}");
                    attempted.lock().unwrap().push((party.clone(), note.clone()));
                    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/json"), ("If-Match", head.as_str())];
                    // A write the kill interrupts gets no answer: it is in flight, not acknowledged.
                    let Ok(answer) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        request(address, "POST", &path, &headers, stance(&party, &note).as_bytes())
                    })) else {
                        break;
                    };
                    match answer.status {
                        201 => acknowledged.lock().unwrap().push((party.clone(), note)),
                        412 => {}
                        other => panic!("{other}: {}", answer.body),
                    }
                    head = answer.header("etag").unwrap_or(&head).to_owned();
                }
            })
        })
        .collect();
    // Load until enough writes are acknowledged, then SIGKILL in the middle of it.
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 40 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    killed.store(true, Ordering::Relaxed);
    for client in clients {
        let _ = client.join();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 40, "only {} writes acknowledged", acknowledged.len());

    // Restarted on the same database: every acknowledged write is there, once, with its content.
    let server = serve(&db.url);
    assert_eq!(server.request("GET", "/readyz", &[], "").status, 200);
    let mut store = open_store(&db.url, false).unwrap();
    let events = store.events(&negotiation.id).unwrap();
    parley_store::verify(&events).unwrap();
    let recorded = store.negotiation(&negotiation.id, None).unwrap();
    let written: Vec<(String, String)> = recorded
        .stances
        .iter()
        .filter(|stance| stance.source == "fault")
        .map(|stance| (stance.party.clone(), stance.note.clone()))
        .collect();
    for write in &acknowledged {
        assert_eq!(written.iter().filter(|recorded| *recorded == write).count(), 1, "{write:?} acknowledged, not recorded once");
    }
    // Nothing else but writes that were sent (at most one in flight per client at the kill).
    let attempted = attempted.lock().unwrap().clone();
    assert!(written.iter().all(|write| attempted.contains(write)));
    assert!(written.len() <= acknowledged.len() + PARTIES.len(), "{} recorded, {} acknowledged", written.len(), acknowledged.len());
    // One event per recorded write, and the log verifies with the command too.
    assert_eq!(events.len() as u64 - before, written.len() as u64);
    let verified = run(&["verify", "--db", &db.url]);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
}

#[test]
fn acknowledged_writes_survive_a_kill_on_sqlite() {
    acknowledged_writes_survive_a_kill(Database::sqlite());
}

#[test]
fn acknowledged_writes_survive_a_kill_on_postgres() {
    match postgres_server() {
        Some(server) => acknowledged_writes_survive_a_kill(Database::postgres(&server)),
        None => {
            let _ =
                std::io::Write::write_all(&mut std::io::stderr(), b"PARLEY_TEST_PG_URL is not set: skipping the kill test on PostgreSQL\n");
        }
    }
}
