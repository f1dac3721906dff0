//! The workbench's dashboard on the benchmark negotiation (the generator shared with
//! `parley-core/benches/status.rs`, `parley-core/benches/support/large.rs`: 500 items, 12 parties, 200 rounds, 50,000 stances): the time
//! to answer `GET /n/large` over real HTTP on a warm server (fold cached, as in steady use), and
//! the page's weight. Run with `cargo bench -p parley-server --bench web`; the figures are in
//! `docs/web.md`.

#[path = "../tests/support/http.rs"]
mod http;
#[path = "../../parley-core/benches/support/large.rs"]
mod large;

use std::time::{Duration, Instant};

use large::large_scenario;
use parley_store::{NewToken, open_store};

const SAMPLES: usize = 20;

fn main() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let db = directory.path().join("bench.db").display().to_string();
    let negotiation = parley_core::scenario::parse(&large_scenario()).expect("the generated scenario is valid").negotiation;
    let mut store = open_store(&db, true).expect("a SQLite store");
    store.import(&negotiation, None).expect("imported");
    let mut tokens = Vec::new();
    for viewer in ["mediator", "P0", "public"] {
        let new = NewToken { negotiation: "large".to_owned(), viewer: viewer.to_owned(), write: false, label: viewer.to_owned() };
        tokens.push((viewer, store.create_token(&new).expect("a token").secret));
    }
    drop(store);
    breakdown(&negotiation);
    let state = parley_server::AppState::open(&db).expect("the state");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = listener.local_addr().expect("an address");
    std::thread::spawn(move || parley_server::serve(listener, state));
    let public = tokens.iter().find(|(viewer, _)| *viewer == "public").map(|(_, token)| token.clone()).unwrap_or_default();
    println!("dashboard of the 500-item, 12-party benchmark negotiation, {SAMPLES} requests each (median, max):");
    for (viewer, token) in &tokens {
        for path in ["/n/large", "/n/large?as_of=r100", "/n/large?as_of=2025-03-15"] {
            let cookie = format!("parley_session={token}");
            let mut times = Vec::new();
            let mut bytes = 0;
            for sample in 0..=SAMPLES {
                let started = Instant::now();
                let answer = http::request(address, "GET", path, &[("Cookie", &cookie)], b"");
                let elapsed = started.elapsed();
                assert_eq!(answer.status, 200, "{}", answer.body);
                bytes = answer.body.len();
                if sample == 0 && *viewer == "P0" && path == "/n/large" {
                    let _ = std::fs::write(std::env::temp_dir().join("parley-web-bench-dashboard.html"), &answer.body);
                }
                // The first request folds the log into the cache; steady use reads it from there.
                if sample > 0 {
                    times.push(elapsed);
                }
            }
            times.sort();
            let median = times[times.len() / 2];
            let max = times.last().copied().unwrap_or(Duration::ZERO);
            println!("  {viewer:<9} {path:<28} {:>7.1} ms {:>7.1} ms {:>8} bytes", ms(median), ms(max), bytes);
        }
    }
    other_pages(address, &public);
}

fn breakdown(negotiation: &parley_core::model::Negotiation) {
    let time = |what: &str, work: &dyn Fn()| {
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let started = Instant::now();
                work();
                started.elapsed()
            })
            .collect();
        times.sort();
        println!("  {what:<40} {:>7.1} ms", ms(times[2]));
    };
    println!("the parts of a dashboard, on the same negotiation:");
    time("the public's copy (view)", &|| drop(parley_service::view(negotiation.clone(), "public").unwrap()));
    let view = parley_service::view(negotiation.clone(), "public").unwrap();
    time("status as of now", &|| drop(view.status("now").unwrap()));
    time("diff from the last round to now", &|| drop(view.diff("r199", "now").unwrap()));
    time("diff from r99 to r100", &|| drop(view.diff("r99", "r100").unwrap()));
}

/// The other pages of the same negotiation, as the public, 3 requests each (median).
fn other_pages(address: std::net::SocketAddr, token: &str) {
    println!("the other pages, as the public (median of 3):");
    let cookie = format!("parley_session={token}");
    for path in ["/n/large/items/1", "/n/large/timeline", "/n/large/claims", "/n/large/analysis"] {
        let mut times: Vec<Duration> = Vec::new();
        let mut bytes = 0;
        for _ in 0..3 {
            let started = Instant::now();
            let answer = http::request(address, "GET", path, &[("Cookie", &cookie)], b"");
            times.push(started.elapsed());
            assert_eq!(answer.status, 200, "{path}: {}", answer.body);
            bytes = answer.body.len();
        }
        times.sort();
        println!("  {path:<28} {:>9.1} ms {:>8} bytes", ms(times[1]), bytes);
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
