//! Who may start jobs, and how many: a token that only reads (public, or any read-only token)
//! starts none (403); a token may have [`PER_TOKEN`] jobs queued or running, a viewer of a
//! negotiation [`PER_VIEWER`] (other viewers' jobs never count), and one more is a 429 problem
//! with `Retry-After`, until one ends.

mod support;

use std::time::{Duration, Instant};

use parley_server::job_limits::{PER_TOKEN, PER_VIEWER, RETRY_AFTER_SECONDS};
use support::{Answer, Database, Server};

const UKRAINE: &str = "ukraine-2025.toml";

/// A job that runs long enough for the submissions after it to find it unfinished (jobs run one
/// at a time in a process: those after it wait, queued).
const LONG: &str = r#"{"agents":["boulware","conceder","linear","tit-for-tat"],"reps":3,"rounds":1000}"#;

/// A job that ends at once.
const SHORT: &str = r#"{"agents":["boulware","conceder"],"rounds":10}"#;

/// Submits a tournament; a job started is added to `jobs` as (token, location).
fn submit(server: &Server, jobs: &mut Vec<(String, String)>, token: &str, body: &str) -> Answer {
    let answer = server.post(token, &server.path("tournaments"), "", body);
    if answer.status == 202 {
        jobs.push((token.to_owned(), answer.header("location").unwrap().to_owned()));
    }
    answer
}

fn a_write_token(server: &Server, viewer: &str) -> String {
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    let new = parley_store::NewToken { negotiation: server.negotiation.clone(), viewer: viewer.into(), write: true, label: "more".into() };
    store.create_token(&new).unwrap().secret
}

fn wait_until_every_job_ends(server: &Server, jobs: &[(String, String)]) {
    let deadline = Instant::now() + Duration::from_secs(120);
    for (token, location) in jobs {
        loop {
            let state = server.get(token, location).json()["state"].as_str().unwrap_or_default().to_owned();
            if state == "done" || state == "failed" {
                break;
            }
            assert!(Instant::now() < deadline, "{location} is still {state}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn readers_start_no_jobs_and_a_token_and_a_viewer_have_bounded_jobs() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    for reader in ["public", "public-ro", "admin-ro", "mediator-ro", "UA-ro"] {
        for route in ["simulations", "tournaments"] {
            let answer = server.post(server.token(reader), &server.path(route), "", SHORT);
            assert_eq!((answer.status, answer.code().as_str()), (403, "forbidden"), "{route} by {reader}: {answer:?}");
        }
    }

    let mut jobs = Vec::new();
    let mediator = server.token("mediator").to_owned();
    assert_eq!(submit(&server, &mut jobs, &mediator, LONG).status, 202);
    for _ in 1..PER_TOKEN {
        assert_eq!(submit(&server, &mut jobs, &mediator, SHORT).status, 202);
    }
    let refused = submit(&server, &mut jobs, &mediator, SHORT);
    assert_eq!((refused.status, refused.code().as_str()), (429, "too_many_jobs"), "{refused:?}");
    assert_eq!(refused.header("retry-after"), Some(RETRY_AFTER_SECONDS.to_string().as_str()));
    assert_eq!(refused.header("content-type"), Some("application/problem+json"));
    assert!(refused.body.contains("this token has"), "{refused:?}");
    // An invalid request holds no place.
    let invalid = submit(&server, &mut jobs, server.token("admin"), r#"{"agents":["boulware"],"reps":4000000000}"#);
    assert_eq!(invalid.status, 422, "{invalid:?}");

    // Other tokens of the same viewer, up to its bound.
    let mut others = vec![a_write_token(&server, "mediator")];
    while (others.len() + 1) * PER_TOKEN < PER_VIEWER {
        others.push(a_write_token(&server, "mediator"));
    }
    for (index, token) in others.iter().enumerate() {
        let places = PER_TOKEN.min(PER_VIEWER - (index + 1) * PER_TOKEN);
        for _ in 0..places {
            assert_eq!(submit(&server, &mut jobs, token, SHORT).status, 202, "{}", jobs.len());
        }
    }
    assert_eq!(jobs.len(), PER_VIEWER);
    let fresh = a_write_token(&server, "mediator");
    let refused = submit(&server, &mut jobs, &fresh, SHORT);
    assert_eq!((refused.status, refused.code().as_str()), (429, "too_many_jobs"), "{refused:?}");
    assert!(refused.body.contains("this token's viewer has"), "{refused:?}");
    // Another viewer of the negotiation is not told of the mediator's jobs: its own start.
    assert_eq!(submit(&server, &mut jobs, server.token("admin"), SHORT).status, 202);

    // Once the jobs have ended, their places are free again.
    wait_until_every_job_ends(&server, &jobs);
    let mut again = Vec::new();
    assert_eq!(submit(&server, &mut again, &mediator, SHORT).status, 202);
    assert_eq!(submit(&server, &mut again, &fresh, SHORT).status, 202);
    wait_until_every_job_ends(&server, &again);
}
