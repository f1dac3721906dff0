//! A job outlives its server only as a failure with a reason: a `parley serve` killed (SIGKILL)
//! in the middle of a tournament job is restarted, and the job is then reported `failed`, saying
//! why, rather than `running` for ever or gone.

mod common;

use std::time::{Duration, Instant};

use common::{serve, succeeds};

#[test]
fn a_job_of_a_killed_server_is_reported_failed_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("parley.db").display().to_string();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    succeeds(&["import", &format!("{root}/ukraine-2025.toml"), "--db", &db]);
    let token = succeeds(&["token", "create", "--db", &db, "--negotiation", "ukraine-2025", "--as", "mediator", "--write"]);
    let token = token.trim();
    let first = serve(&db);
    // Long enough to be running when the server dies.
    let body = r#"{"agents":["boulware","conceder","linear","tit-for-tat"],"reps":2000,"rounds":1000}"#;
    let bearer = format!("Bearer {token}");
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
    let submitted = first.request("POST", "/api/v1/negotiations/ukraine-2025/tournaments", &headers, body);
    assert_eq!(submitted.status, 202, "{submitted:?}");
    let job = submitted.json();
    let path = format!("/api/v1/negotiations/ukraine-2025/jobs/{}", job["id"].as_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let body = first.request("GET", &path, &headers, "").body;
        if body.contains("\"running\"") {
            break;
        }
        assert!(Instant::now() < deadline && body.contains("\"queued\""), "{body}");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(first); // SIGKILL: no chance to record anything
    let second = serve(&db);
    let answer = second.request("GET", &path, &headers, "");
    let (status, body) = (answer.status, answer.body);
    assert_eq!(status, 200);
    assert!(body.contains("\"running\""), "a fresh heartbeat is not yet a lost job: {body}");
    // Once its heartbeat is older than the limit (10 s), any reader reports it failed.
    std::thread::sleep(Duration::from_secs(11));
    let answer = second.request("GET", &path, &headers, "");
    let (job, body) = (answer.json(), answer.body);
    assert_eq!(job["state"], "failed", "{body}");
    assert!(job["error"].as_str().unwrap().contains("stopped before it finished"), "{body}");
}
