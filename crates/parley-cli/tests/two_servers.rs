//! Two `parley serve` processes on one PostgreSQL (`PARLEY_TEST_PG_URL`; skipped with a notice
//! without it): writes go through both, and an event-stream subscriber on each is pushed every
//! event within a second, whichever process took the write (`NOTIFY`/`LISTEN`).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::{Served, serve, succeeds};

/// The `data:` lines of a stream, read for up to `within` or until `count` arrived.
fn pushed(reader: &mut BufReader<TcpStream>, count: usize, within: Duration) -> Vec<String> {
    let deadline = Instant::now() + within;
    let mut found = Vec::new();
    let mut line = String::new();
    while found.len() < count {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else { break };
        reader.get_ref().set_read_timeout(Some(left.max(Duration::from_millis(1)))).unwrap();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) if line.ends_with('\n') => {
                if let Some(data) = line.strip_prefix("data:") {
                    found.push(data.trim().to_owned());
                }
                line.clear();
            }
            _ => {}
        }
    }
    found
}

fn subscribe(address: SocketAddr, token: &str) -> BufReader<TcpStream> {
    let mut stream = TcpStream::connect(address).unwrap();
    let path = "/api/v1/negotiations/ukraine-2025/events/stream";
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\r\n").unwrap();
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.contains(" 200 "), "{status}");
    reader
}

/// A write through `served`, against the token's head there; its answer's JSON.
fn post(served: &Served, token: &str, route: &str, body: &str) -> serde_json::Value {
    let bearer = format!("Bearer {token}");
    let listed = served.request("GET", "/api/v1/negotiations", &[("Authorization", bearer.as_str())], "").json();
    let head = format!("\"{}\"", listed[0]["head"].as_str().unwrap());
    let path = format!("/api/v1/negotiations/ukraine-2025/{route}");
    let headers = [("Authorization", bearer.as_str()), ("If-Match", head.as_str()), ("Content-Type", "application/json")];
    let answer = served.request("POST", &path, &headers, body);
    assert!(answer.status == 201 || answer.status == 200, "{answer:?}");
    answer.json()
}

#[test]
fn subscribers_of_two_servers_on_one_postgresql_see_every_write() {
    let Some(server) = std::env::var("PARLEY_TEST_PG_URL").ok().filter(|url| !url.is_empty()) else {
        let _ = std::io::stderr().write_all(b"PARLEY_TEST_PG_URL is not set: skipping the two-server PostgreSQL test\n");
        return;
    };
    let name = format!("parley_two_servers_{}", std::process::id());
    let mut admin = postgres::Client::connect(&server, postgres::NoTls).unwrap();
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let db = format!("{}/{name}", server.rsplit_once('/').unwrap().0);
    {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
        succeeds(&["import", &format!("{root}/ukraine-2025.toml"), "--db", &db]);
        let token = |viewer: &str| succeeds(&["token", "create", "--db", &db, "--negotiation", "ukraine-2025", "--as", viewer, "--write"]);
        let (mediator, party) = (token("mediator"), token("UA"));
        let (mediator, party) = (mediator.trim(), party.trim());
        let (first, second) = (serve(&db), serve(&db));
        let mut on_first = subscribe(first.address, mediator);
        let mut on_second = subscribe(second.address, mediator);
        post(
            &first,
            party,
            "stances",
            r#"{"party":"UA","item":1,"position":"opposes","at":{"date":"2026-01-15"},"source":"test","visibility":"public","note":"first"}"#,
        );
        let line = post(
            &second,
            party,
            "red-lines",
            r#"{"party":"UA","expression":"nato != \"renounced\"","description":"second","visibility":"public","since":"start","until":null,"source":""}"#,
        );
        for reader in [&mut on_first, &mut on_second] {
            let events = pushed(reader, 2, Duration::from_secs(1));
            assert_eq!(events.len(), 2, "{events:?}");
            assert!(events[0].contains("\"stance\"") && events[0].contains("first"), "{events:?}");
            assert!(events[1].contains(line["id"].as_str().unwrap()), "{events:?}");
        }
    }
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
