//! Live updates and jobs over real HTTP on 127.0.0.1: the event stream (what each viewer is
//! pushed, and how fast), and simulations and tournaments as jobs (their results, their
//! visibility, and a job whose process stopped). Every test runs on SQLite, and again on
//! PostgreSQL when `PARLEY_TEST_PG_URL` is set.

#[macro_use]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use support::{Database, Server};

const UKRAINE: &str = "ukraine-2025.toml";

const PUBLIC_STANCE: &str =
    r#"{"party":"UA","item":1,"position":"opposes","at":{"date":"2026-01-15"},"source":"test","visibility":"public","note":"posted"}"#;
const PRIVATE_RED_LINE: &str = r#"{"party":"UA","expression":"nato != \"renounced\"","description":"kept to ourselves","visibility":"private","since":"start","until":null,"source":""}"#;

/// One Server-Sent Event: its `id` and `data`.
#[derive(Debug, PartialEq)]
struct Pushed {
    id: String,
    data: String,
}

/// A subscriber to `events/stream`, over HTTP/1.0 so that the body is the raw event text.
struct Subscriber {
    reader: BufReader<TcpStream>,
    line: String,
}

impl Subscriber {
    fn open(server: &Server, token: &str, last_event_id: Option<&str>) -> Subscriber {
        Subscriber::at(server.address, &server.path("events/stream"), token, last_event_id)
    }

    fn at(address: SocketAddr, path: &str, token: &str, last_event_id: Option<&str>) -> Subscriber {
        let mut stream = TcpStream::connect(address).unwrap();
        let mut head = format!("GET {path} HTTP/1.0\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n");
        if let Some(id) = last_event_id {
            head.push_str(&format!("Last-Event-ID: {id}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        assert!(status.contains(" 200 "), "{status}");
        let mut content_type = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if line.to_ascii_lowercase().starts_with("content-type:") {
                content_type = line;
            }
        }
        assert!(content_type.contains("text/event-stream"), "{content_type}");
        Subscriber { reader, line: String::new() }
    }

    /// The next event within `within`, or `None`; comments (keep-alives) are skipped.
    fn next(&mut self, within: Duration) -> Option<Pushed> {
        let deadline = Instant::now() + within;
        let (mut id, mut data) = (String::new(), String::new());
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            self.reader.get_ref().set_read_timeout(Some(left.max(Duration::from_millis(1)))).unwrap();
            match self.reader.read_line(&mut self.line) {
                Ok(0) => return None,
                Ok(_) if self.line.ends_with('\n') => {
                    let line = std::mem::take(&mut self.line);
                    let line = line.trim_end_matches(['\r', '\n']);
                    if line.is_empty() {
                        if !data.is_empty() {
                            return Some(Pushed { id, data });
                        }
                    } else if let Some(value) = line.strip_prefix("id:") {
                        id = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                Ok(_) => {}
                Err(_) => {}
            }
        }
    }

    /// Whether the server closed the stream within `within`.
    fn ends_within(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            self.reader.get_ref().set_read_timeout(Some(Duration::from_millis(100))).unwrap();
            match self.reader.read_line(&mut self.line) {
                Ok(0) => return true,
                Ok(_) => self.line.clear(),
                Err(_) => {}
            }
        }
        false
    }
}

/// The head UA's writes name.
fn ua_head(server: &Server) -> String {
    server.view_head(server.token("UA"))
}

/// The `events` route's lines for `token`.
fn event_lines(server: &Server, token: &str) -> Vec<String> {
    let answer = server.get(token, &server.path("events"));
    assert_eq!(answer.status, 200);
    answer.body.lines().map(str::to_owned).collect()
}

fn a_subscriber_sees_another_tokens_write_within_a_second_redacted(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let mut public = Subscriber::open(&server, server.token("public"), None);
    let mut admin = Subscriber::open(&server, server.token("admin"), None);
    let posted = server.post(server.token("UA"), &server.path("stances"), &ua_head(&server), PUBLIC_STANCE);
    assert_eq!(posted.status, 201, "{posted:?}");
    let started = Instant::now();
    let pushed = public.next(Duration::from_secs(1)).expect("the public subscriber is pushed the stance within 1 s");
    assert!(started.elapsed() < Duration::from_secs(1));
    // Exactly the line the `events` route shows public, numbered by public's own count.
    let lines = event_lines(&server, server.token("public"));
    assert_eq!(pushed, Pushed { id: lines.len().to_string(), data: lines.last().unwrap().clone() });
    assert!(!pushed.data.contains("\"seq\"") && !pushed.data.contains("\"hash\""), "{}", pushed.data);
    let to_admin = admin.next(Duration::from_secs(1)).expect("the admin is pushed it too");
    assert_eq!(to_admin.data, *event_lines(&server, server.token("admin")).last().unwrap());
    assert_eq!(to_admin.id, server.head().0.to_string());
}

fn a_partys_private_event_never_reaches_publics_stream(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let before = event_lines(&server, server.token("public")).len();
    let mut public = Subscriber::open(&server, server.token("public"), None);
    let mut party = Subscriber::open(&server, server.token("UA"), None);
    let posted = server.post(server.token("UA"), &server.path("red-lines"), &ua_head(&server), PRIVATE_RED_LINE);
    assert_eq!(posted.status, 201, "{posted:?}");
    let secret_id = posted.json()["id"].as_str().unwrap().to_owned();
    let own = party.next(Duration::from_secs(1)).expect("UA is pushed its own red line");
    assert!(own.data.contains(&secret_id));
    // Public is pushed nothing for it (not even an empty message) ...
    assert_eq!(public.next(Duration::from_millis(1500)), None);
    // ... and the next event it may see follows its previous one without a gap.
    let posted = server.post(server.token("UA"), &server.path("stances"), &ua_head(&server), PUBLIC_STANCE);
    assert_eq!(posted.status, 201);
    let next = public.next(Duration::from_secs(1)).expect("the public stance");
    assert_eq!(next.id, (before + 1).to_string());
    assert!(!next.data.contains(&secret_id) && !next.data.contains("kept to ourselves"));
}

fn last_event_id_resumes_after_the_viewers_own_count(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let lines = event_lines(&server, server.token("public"));
    let resume = lines.len() - 2;
    let mut public = Subscriber::open(&server, server.token("public"), Some(&resume.to_string()));
    for (offset, line) in lines[resume..].iter().enumerate() {
        assert_eq!(public.next(Duration::from_secs(1)), Some(Pushed { id: (resume + offset + 1).to_string(), data: line.clone() }));
    }
    assert_eq!(public.next(Duration::from_millis(600)), None);
    let bad = support::request(
        server.address,
        "GET",
        &server.path("events/stream"),
        &[("Authorization", &format!("Bearer {}", server.token("public"))), ("Last-Event-ID", "seven")],
        b"",
    );
    assert_eq!((bad.status, bad.code().as_str()), (400, "bad_query"));
}

fn a_revoked_tokens_stream_ends_at_the_next_event(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    let listed = store.tokens(Some(&server.negotiation)).unwrap();
    let public = listed.iter().find(|token| token.viewer == "public" && !token.write).unwrap().id.clone();
    let mut subscriber = Subscriber::open(&server, server.token("public-ro"), None);
    assert!(store.revoke_token(&public).unwrap());
    let posted = server.post(server.token("UA"), &server.path("stances"), &ua_head(&server), PUBLIC_STANCE);
    assert_eq!(posted.status, 201);
    assert_eq!(subscriber.next(Duration::from_secs(1)), None);
    assert!(subscriber.ends_within(Duration::from_secs(2)));
}

/// A second server on the database of `Server`, with a state of its own, stopped when dropped.
struct SecondServer {
    address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SecondServer {
    fn beside(first: &Server) -> SecondServer {
        let state = parley_server::AppState::open(&first.db.url).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            runtime.block_on(async move {
                listener.set_nonblocking(true).unwrap();
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let shutdown = async move {
                    let _ = stopped.await;
                };
                parley_server::serve_on(listener, state, shutdown).await.unwrap();
            });
        });
        SecondServer { address, stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for SecondServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn a_write_through_another_server_reaches_this_servers_subscribers(fresh: &dyn Fn() -> Database) {
    // Two servers on one database, as two `parley serve` processes: each keeps its own
    // in-process state (no shared memory), so only the database carries the news.
    let first = Server::start(fresh(), UKRAINE);
    let second = SecondServer::beside(&first);
    let mut on_first = Subscriber::open(&first, first.token("mediator"), None);
    let mut on_second = Subscriber::at(second.address, &first.path("events/stream"), first.token("mediator"), None);
    let posted = first.post(first.token("UA"), &first.path("stances"), &ua_head(&first), PUBLIC_STANCE);
    assert_eq!(posted.status, 201);
    let bearer = format!("Bearer {}", first.token("UA"));
    let quoted = format!("\"{}\"", ua_head(&first));
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/json"), ("If-Match", quoted.as_str())];
    let body = PRIVATE_RED_LINE.replace("private", "public");
    let posted = support::request(second.address, "POST", &first.path("red-lines"), &headers, body.as_bytes());
    assert_eq!(posted.status, 201, "{posted:?}");
    for subscriber in [&mut on_first, &mut on_second] {
        let stance = subscriber.next(Duration::from_secs(1)).expect("the stance written through the first server");
        assert!(stance.data.contains("\"stance\""), "{}", stance.data);
        let red_line = subscriber.next(Duration::from_secs(1)).expect("the red line written through the second server");
        assert!(red_line.data.contains(posted.json()["id"].as_str().unwrap()), "{}", red_line.data);
    }
}

/// Polls a job until it is done or failed (at most a minute).
fn finished(server: &Server, token: &str, location: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = server.get(token, location);
        assert_eq!(answer.status, 200, "{answer:?}");
        let job = answer.json();
        if job["state"] == "done" || job["state"] == "failed" || Instant::now() > deadline {
            return job;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What `parley simulate --json --viewer VIEWER` reports, less its timing.
fn simulation_for(server: &Server, viewer: &str, agents: &[parley_sim::agents::AgentKind]) -> serde_json::Value {
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    let negotiation = store.negotiation(&server.negotiation, None).unwrap();
    let (source, _) = parley_service::scenario_problem(&negotiation, "now", viewer, None).unwrap();
    let request = parley_service::SessionRequest {
        agents: agents.to_vec(),
        protocol: parley_sim::session::Protocol::AlternatingOffers,
        rounds: 20,
        time_limit: None,
        seed: 3,
        trace: false,
    };
    let frontier = parley_analysis::frontier::FrontierOptions::default();
    let simulation = parley_service::simulate(&source, &request, &frontier).unwrap();
    let mut report = serde_json::to_value(parley_service::simulation_report(&source, &request, &simulation)).unwrap();
    report.as_object_mut().unwrap().remove("seconds");
    report
}

fn parties_seen_by(server: &Server, viewer: &str) -> usize {
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    let negotiation = store.negotiation(&server.negotiation, None).unwrap();
    parley_service::scenario_problem(&negotiation, "now", viewer, None).unwrap().0.problem.parties.len()
}

fn submit_simulation(server: &Server, token: &str, parties: usize) -> support::Answer {
    let agents = vec!["boulware"; parties];
    let body = serde_json::json!({"agents": agents, "rounds": 20, "seed": 3}).to_string();
    server.post(token, &server.path("simulations"), "", &body)
}

fn a_simulation_job_runs_to_done_with_the_clis_result(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    // The viewer rule: UA's view holds only its own preferences (RU's are the mediator's to
    // see), so UA's simulation is refused rather than run on data it may not see.
    let refused = submit_simulation(&server, server.token("UA"), 2);
    assert_eq!((refused.status, refused.code().as_str()), (422, "invalid"), "{refused:?}");
    assert!(refused.body.contains("fewer than two parties with preferences visible to viewer `UA`"), "{refused:?}");
    let parties = parties_seen_by(&server, "mediator");
    let submitted = submit_simulation(&server, server.token("mediator"), parties);
    assert_eq!(submitted.status, 202, "{submitted:?}");
    assert!(matches!(submitted.json()["state"].as_str(), Some("queued")));
    let location = submitted.header("location").unwrap().to_owned();
    let job = finished(&server, server.token("mediator-ro"), &location);
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["progress"], 1.0);
    let mut result = job["result"].clone();
    result.as_object_mut().unwrap().remove("seconds");
    let agents = vec![parley_sim::agents::AgentKind::Boulware; parties];
    assert_eq!(result, simulation_for(&server, "mediator", &agents));
}

fn a_tournament_job_runs_to_done(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let body = r#"{"agents":["boulware","conceder"],"rounds":10}"#;
    let submitted = server.post(server.token("mediator"), &server.path("tournaments"), "", body);
    assert_eq!(submitted.status, 202, "{submitted:?}");
    let job = finished(&server, server.token("mediator"), submitted.header("location").unwrap());
    assert_eq!(job["state"], "done", "{job}");
    assert!(job["result"]["results"].as_array().is_some_and(|results| !results.is_empty()), "{job}");
    let bad = server.post(server.token("mediator"), &server.path("tournaments"), "", r#"{"agents":["boulware"],"reps":4000000000}"#);
    assert_eq!((bad.status, bad.code().as_str()), (422, "invalid"), "{bad:?}");
}

fn unknown_jobs_and_other_viewers_jobs_are_not_found(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let unknown = server.get(server.token("UA"), &server.path("jobs/0123456789abcdef01234567"));
    assert_eq!((unknown.status, unknown.code().as_str()), (404, "not_found"));
    let submitted = submit_simulation(&server, server.token("mediator"), parties_seen_by(&server, "mediator"));
    assert_eq!(submitted.status, 202);
    let location = submitted.header("location").unwrap().to_owned();
    assert_eq!(server.get(server.token("mediator-ro"), &location).status, 200);
    for other in ["RU", "UA", "public", "admin"] {
        let answer = server.get(server.token(other), &location);
        assert_eq!(
            (answer.status, answer.body.replace(&location, "")),
            (unknown.status, unknown.body.replace(&server.path("jobs/0123456789abcdef01234567"), "")),
            "{other}"
        );
    }
    let bad = server.post(server.token("mediator"), &server.path("simulations"), "", r#"{"agents":["boulware"]}"#);
    assert_eq!((bad.status, bad.code().as_str()), (422, "invalid"));
    let unknown_agent = server.post(server.token("mediator"), &server.path("simulations"), "", r#"{"agents":["nobody"]}"#);
    assert_eq!(unknown_agent.json()["errors"][0]["field"], "agents[0]", "{unknown_agent:?}");
}

/// Regression guard for jobs lost on restart: a job left `running` by a process that stopped
/// (its heartbeat stale) must be reported failed with the reason, not shown running forever.
fn a_job_left_running_by_a_stopped_process_is_reported_failed(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    let job = parley_store::Job {
        id: "abandoned".into(),
        negotiation: server.negotiation.clone(),
        viewer: "UA".into(),
        kind: "simulation".into(),
        request: "{}".into(),
        state: "running".into(),
        progress: 0.5,
        result: None,
        error: None,
        owner: "a-process-that-stopped".into(),
        created_at: String::new(),
        updated_at: String::new(),
    };
    store.create_job(&job).unwrap();
    let location = server.path("jobs/abandoned");
    // Fresh heartbeat: still running as far as anyone can tell.
    assert_eq!(server.get(server.token("UA"), &location).json()["state"], "running");
    // The process stopped a while ago: its heartbeat is old.
    let old = "2000-01-01T00:00:00Z";
    if server.db.url.starts_with("postgres") {
        let mut client = ::postgres::Client::connect(&server.db.url, ::postgres::NoTls).unwrap();
        client.execute("UPDATE jobs SET heartbeat = $1 WHERE id = 'abandoned'", &[&old]).unwrap();
    } else {
        let connection = rusqlite::Connection::open(&server.db.url).unwrap();
        connection.execute("UPDATE jobs SET heartbeat = ?1 WHERE id = 'abandoned'", [old]).unwrap();
    }
    let answer = server.get(server.token("UA"), &location).json();
    assert_eq!(answer["state"], "failed", "{answer}");
    assert_eq!(answer["error"], parley_store::jobs::ORPHANED);
}

fn the_openapi_document_lists_the_stream_and_job_routes(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let document = server.get("", "/api/v1/openapi.json").json();
    let paths = document["paths"].as_object().unwrap();
    for (route, method) in [("events/stream", "get"), ("simulations", "post"), ("tournaments", "post"), ("jobs/{job}", "get")] {
        let path = format!("/api/v1/negotiations/{{id}}/{route}");
        assert!(paths.get(&path).is_some_and(|operations| operations.get(method).is_some()), "{path}");
    }
    let stances = &paths["/api/v1/negotiations/{id}/stances"]["post"]["parameters"];
    let names: Vec<&str> = stances.as_array().unwrap().iter().filter_map(|parameter| parameter["name"].as_str()).collect();
    assert!(names.contains(&"Parley-Sign") && names.contains(&"Parley-Signature"), "{names:?}");
}

on_both_backends!(
    a_subscriber_sees_another_tokens_write_within_a_second_redacted,
    a_partys_private_event_never_reaches_publics_stream,
    last_event_id_resumes_after_the_viewers_own_count,
    a_revoked_tokens_stream_ends_at_the_next_event,
    a_write_through_another_server_reaches_this_servers_subscribers,
    a_simulation_job_runs_to_done_with_the_clis_result,
    a_tournament_job_runs_to_done,
    unknown_jobs_and_other_viewers_jobs_are_not_found,
    a_job_left_running_by_a_stopped_process_is_reported_failed,
    the_openapi_document_lists_the_stream_and_job_routes,
);
