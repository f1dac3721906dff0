//! The workbench's dashboard on the benchmark negotiation (the generator of
//! `parley-core/benches/status.rs`: 500 items, 12 parties, 200 rounds, 50,000 stances): the time
//! to answer `GET /n/large` over real HTTP on a warm server (fold cached, as in steady use), and
//! the page's weight. Run with `cargo bench -p parley-server --bench web`; the figures are in
//! `docs/web.md`.

#[path = "../tests/support/http.rs"]
mod http;

use std::time::{Duration, Instant};

use parley_store::{NewToken, open_store};

const ITEMS: usize = 500;
const PARTIES: usize = 12;
const ROUNDS: usize = 200;
const STANCES: usize = 50_000;
const SAMPLES: usize = 20;

/// A deterministic generator (a 64-bit LCG), so every run measures the same file.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % bound
    }
}

fn large_scenario() -> String {
    let mut random = Lcg(42);
    let mut text = String::with_capacity(8 << 20);
    text.push_str("[negotiation]\nid = \"large\"\ntitle = \"Generated\"\n\n");
    for party in 0..PARTIES {
        let role = if party < 4 {
            "principal"
        } else if party == 4 {
            "mediator"
        } else {
            "stakeholder"
        };
        text.push_str(&format!("[[parties]]\nid = \"P{party}\"\nrole = \"{role}\"\n\n"));
    }
    for issue in 0..50 {
        text.push_str(&format!("[[issues]]\nid = \"x{issue}\"\nkind = \"integer\"\nmin = 0\nmax = 100\n\n"));
    }
    for round in 0..ROUNDS {
        let day = 1 + round / 2;
        text.push_str(&format!(
            "[[rounds]]\nid = \"r{round}\"\ndate = {}\n\n",
            format_args!("2025-{:02}-{:02}", 1 + (day - 1) / 28, 1 + (day - 1) % 28)
        ));
    }
    for item in 1..=ITEMS {
        text.push_str(&format!("[[items]]\nnumber = {item}\ntitle = \"Item {item}\"\ntext = \"Text of item {item}.\"\n"));
        if item <= 50 {
            text.push_str(&format!("settles = [\"x{}\"]\nproposes = {{ x{} = {} }}\n", item - 1, item - 1, random.next(101)));
        }
        let mut round = random.next(ROUNDS / 4);
        text.push_str(&format!("round = \"r{round}\"\n"));
        for _ in 0..random.next(4) {
            round += 1 + random.next(30);
            if round >= ROUNDS {
                break;
            }
            text.push_str(&format!("[[items.revisions]]\nround = \"r{round}\"\ntext = \"Revised in r{round}.\"\n"));
            if item <= 50 {
                text.push_str(&format!("proposes = {{ x{} = {} }}\n", item - 1, random.next(101)));
            }
        }
        text.push('\n');
    }
    let positions = ["accepts", "accepts-with-reservations", "undecided", "opposes", "red-line"];
    for _ in 0..STANCES {
        // Stances come late enough to follow their item's introduction (items start by r50).
        let round = ROUNDS / 4 + random.next(ROUNDS - ROUNDS / 4);
        text.push_str(&format!(
            "[[stances]]\nparty = \"P{}\"\nitem = {}\nposition = \"{}\"\nround = \"r{round}\"\n\n",
            random.next(PARTIES),
            1 + random.next(ITEMS),
            positions[random.next(positions.len())]
        ));
    }
    for party in 0..4 {
        for line in 0..10 {
            let issue = random.next(50);
            let op = if random.next(2) == 0 { ">=" } else { "<=" };
            text.push_str(&format!(
                "[[red_lines]]\nid = \"rl{party}-{line}\"\nparty = \"P{party}\"\nexpr = \"x{issue} {op} {}\"\n\n",
                random.next(101)
            ));
        }
    }
    text
}

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
