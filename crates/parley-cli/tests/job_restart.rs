//! A job outlives its server only as a failure with a reason: a `parley serve` killed (SIGKILL)
//! in the middle of a tournament job is restarted, and the job is then reported `failed`, saying
//! why, rather than `running` for ever or gone.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn parley(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_parley")).args(args).output().unwrap();
    assert!(output.status.success(), "parley {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

struct Served {
    child: Child,
    address: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &str) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(["serve", "--db", db, "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let url = first.split_whitespace().nth(2).unwrap_or_else(|| panic!("no URL in {first:?}"));
    Served { child, address: url.trim_start_matches("http://").to_owned() }
}

/// Status and body of one request.
fn request(address: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.split(' ').nth(1).unwrap().parse().unwrap(), body.to_owned())
}

#[test]
fn a_job_of_a_killed_server_is_reported_failed_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("parley.db").display().to_string();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    parley(&["import", &format!("{root}/ukraine-2025.toml"), "--db", &db]);
    let token = parley(&["token", "create", "--db", &db, "--negotiation", "ukraine-2025", "--as", "mediator", "--write"]);
    let token = token.trim();
    let first = serve(&db);
    // Long enough to be running when the server dies.
    let body = r#"{"agents":["boulware","conceder","linear","tit-for-tat"],"reps":2000,"rounds":1000}"#;
    let (status, submitted) = request(&first.address, "POST", "/api/v1/negotiations/ukraine-2025/tournaments", token, body);
    assert_eq!(status, 202, "{submitted}");
    let job: serde_json::Value = serde_json::from_str(&submitted).unwrap();
    let path = format!("/api/v1/negotiations/ukraine-2025/jobs/{}", job["id"].as_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, body) = request(&first.address, "GET", &path, token, "");
        if body.contains("\"running\"") {
            break;
        }
        assert!(Instant::now() < deadline && body.contains("\"queued\""), "{body}");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(first); // SIGKILL: no chance to record anything
    let second = serve(&db);
    let (status, body) = request(&second.address, "GET", &path, token, "");
    assert_eq!(status, 200);
    assert!(body.contains("\"running\""), "a fresh heartbeat is not yet a lost job: {body}");
    // Once its heartbeat is older than the limit (10 s), any reader reports it failed.
    std::thread::sleep(Duration::from_secs(11));
    let (_, body) = request(&second.address, "GET", &path, token, "");
    let job: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(job["state"], "failed", "{body}");
    assert!(job["error"].as_str().unwrap().contains("stopped before it finished"), "{body}");
}
