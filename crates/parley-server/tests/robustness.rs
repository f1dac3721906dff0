//! Bad input on every write route of the OpenAPI document, slow clients and idle connections, and
//! the timeout: each answered 4xx as `application/problem+json` naming what is wrong, nothing
//! appended, and the server keeps answering everyone else.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::{Database, Server, request};

const UKRAINE: &str = "ukraine-2025.toml";

/// A request's content type, `If-Match` and body, and the status and code it must get.
type Case<'a> = (&'a str, Option<&'a str>, &'a [u8], u16, &'a str);

/// Every write route of the server's OpenAPI document (a POST tagged `writes`; the job routes,
/// which record nothing and take no `If-Match`, are tried by `tests/live.rs`).
fn write_routes(server: &Server) -> Vec<String> {
    let document = server.get("", "/api/v1/openapi.json").json();
    let paths = document["paths"].as_object().unwrap();
    let is_write = |item: &serde_json::Value| item["post"]["tags"].as_array().is_some_and(|tags| tags.iter().any(|tag| tag == "writes"));
    let routes: Vec<String> =
        paths.iter().filter(|(_, item)| is_write(item)).map(|(path, _)| path.replace("{id}", &server.negotiation)).collect();
    assert!(routes.len() >= 8, "{routes:?}");
    routes
}

#[test]
fn bad_input_on_every_write_route_is_a_problem_and_appends_nothing() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let (seq, hash) = server.head();
    let bearer = format!("Bearer {}", server.token("admin"));
    let quoted = format!("\"{hash}\"");
    let deep = "[".repeat(100_000);
    let huge = format!("{{\"note\": \"{}\"}}", "x".repeat(parley_server::writes::MAX_BODY_BYTES + 10));
    for path in write_routes(&server) {
        let toml = path.ends_with("/import");
        let own_type = if toml { "application/toml" } else { "application/json" };
        let cases: Vec<Case<'_>> = vec![
            (own_type, None, b"{}", 428, "if_match_required"),
            ("text/plain", Some(&quoted), b"{}", 415, "unsupported_media_type"),
            ("", Some(&quoted), b"{}", 415, "unsupported_media_type"),
            (own_type, Some(&quoted), huge.as_bytes(), 413, "body_too_large"),
        ];
        for (content_type, if_match, body, status, code) in cases {
            let mut headers = vec![("Authorization", bearer.as_str())];
            if !content_type.is_empty() {
                headers.push(("Content-Type", content_type));
            }
            if let Some(if_match) = if_match {
                headers.push(("If-Match", if_match));
            }
            let answer = request(server.address, "POST", &path, &headers, body);
            assert_eq!((answer.status, answer.code().as_str()), (status, code), "{path} {content_type} {if_match:?}: {answer:?}");
        }
        let headers = [("Authorization", bearer.as_str()), ("Content-Type", own_type), ("If-Match", quoted.as_str())];
        if toml {
            let answer = request(server.address, "POST", &path, &headers, b"[negotiation\nid = ");
            assert_eq!((answer.status, answer.code().as_str()), (422, "invalid"), "{path}: {answer:?}");
            assert!(!answer.json()["errors"].as_array().unwrap().is_empty(), "{path}: {}", answer.body);
            continue;
        }
        for body in ["{", "{\"", "not json", ""] {
            let answer = request(server.address, "POST", &path, &headers, body.as_bytes());
            assert_eq!((answer.status, answer.code().as_str()), (400, "malformed_json"), "{path} {body:.20}: {answer:?}");
        }
        // 100,000 `[`: refused within the parser's recursion limit (or at the first array, where
        // the body must be an object), never a stack overflow.
        let answer = request(server.address, "POST", &path, &headers, deep.as_bytes());
        assert!(matches!((answer.status, answer.code().as_str()), (400, "malformed_json") | (422, "invalid")), "{path}: {answer:?}");
        // Wrong types and unknown fields are 422 naming a field (a missing one is named before an
        // unknown one).
        for body in [r#"{"zzz_unknown": 1}"#, r#"{"party": 17}"#, r#"[1, 2]"#, "17"] {
            let answer = request(server.address, "POST", &path, &headers, body.as_bytes());
            assert_eq!((answer.status, answer.code().as_str()), (422, "invalid"), "{path} {body}: {answer:?}");
            if body.starts_with('{') {
                let problem = answer.json();
                let fields: Vec<&str> =
                    problem["errors"].as_array().unwrap().iter().map(|error| error["field"].as_str().unwrap()).collect();
                assert!(!fields.is_empty() && fields.iter().all(|field| !field.is_empty()), "{path} {body}: {fields:?}");
            }
        }
    }
    assert_eq!(server.head(), (seq, hash), "a refused write appended");
}

/// Reads the answer to a request already written on `stream`.
fn answer_of(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    String::from_utf8_lossy(&raw).into_owned()
}

#[test]
fn idle_and_slow_connections_do_not_stop_the_others() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    // Hundreds of connections that send nothing, or half a request head, or a body that never
    // ends: the server still answers a normal request at once.
    let mut held = Vec::new();
    for index in 0..300 {
        let mut stream = TcpStream::connect(server.address).unwrap();
        match index % 3 {
            0 => {}
            1 => stream.write_all(b"GET /api/v1/negotiations HTTP/1.1\r\nHost: x\r\nAuthor").unwrap(),
            _ => {
                let head = format!(
                    "POST {} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{",
                    server.path("stances"),
                    server.token("UA")
                );
                stream.write_all(head.as_bytes()).unwrap();
            }
        }
        held.push(stream);
    }
    let started = Instant::now();
    for _ in 0..20 {
        let answer = server.get(server.token("public"), &server.path("status"));
        assert_eq!(answer.status, 200);
    }
    assert!(started.elapsed() < Duration::from_secs(10), "20 reads took {:?} beside idle connections", started.elapsed());
    assert_eq!(server.get("", "/healthz").status, 200);
    drop(held);
}

/// Regression: after the request timeout the server answered 408 with an empty body, not a
/// problem like every other error.
#[test]
fn a_request_over_the_timeout_is_a_408_problem() {
    let db = Database::sqlite();
    let booted = Server::start(db, UKRAINE);
    let token = booted.token("UA").to_owned();
    let path = booted.path("stances");
    let state = parley_server::AppState::open(&booted.db.url).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let limits = parley_server::Limits { request_timeout: Duration::from_millis(500) };
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        runtime.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let _ = parley_server::serve_with(listener, state, limits, std::future::pending()).await;
        });
    });
    // A body that stops halfway: the handler waits for it until the timeout.
    let mut stream = TcpStream::connect(address).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nIf-Match: \"1\"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"party\":"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let text = answer_of(&mut stream);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.to_ascii_lowercase().contains("content-type: application/problem+json"), "{text}");
    assert!(text.contains("\"code\": \"timeout\""), "{text}");
    // Nothing was recorded, and a normal request is answered within the timeout.
    let answer = request(address, "GET", "/healthz", &[], b"");
    assert_eq!(answer.status, 200);
}

/// The job routes (a POST tagged `jobs`) refuse bad bodies as the writes do, and start nothing.
#[test]
fn bad_input_on_every_job_route_is_a_problem() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let bearer = format!("Bearer {}", server.token("admin"));
    let document = server.get("", "/api/v1/openapi.json").json();
    let is_job = |item: &serde_json::Value| item["post"]["tags"].as_array().is_some_and(|tags| tags.iter().any(|tag| tag == "jobs"));
    let routes: Vec<String> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, item)| is_job(item))
        .map(|(path, _)| path.replace("{id}", &server.negotiation))
        .collect();
    assert!(routes.len() >= 2, "{routes:?}");
    let deep = "[".repeat(100_000);
    let huge = format!("{{\"note\": \"{}\"}}", "x".repeat(parley_server::writes::MAX_BODY_BYTES + 10));
    let cases: [(&str, &[u8], u16, &str); 6] = [
        ("text/plain", b"{}", 415, "unsupported_media_type"),
        ("application/json", huge.as_bytes(), 413, "body_too_large"),
        ("application/json", b"{", 400, "malformed_json"),
        ("application/json", b"not json", 400, "malformed_json"),
        ("application/json", b"{\"no_such_field\": 1}", 422, "invalid"),
        ("application/json", deep.as_bytes(), 400, "malformed_json"),
    ];
    for path in &routes {
        for (content_type, body, status, code) in cases {
            let headers = [("Authorization", bearer.as_str()), ("Content-Type", content_type)];
            let answer = request(server.address, "POST", path, &headers, body);
            let deep_ok = body.len() == deep.len() && (answer.status, answer.code().as_str()) == (422, "invalid");
            assert!(
                deep_ok || (answer.status, answer.code().as_str()) == (status, code),
                "{path} {content_type} {:.30}: {answer:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
