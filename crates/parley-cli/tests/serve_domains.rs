//! `parley serve --domains DIR` as a real process: a simulation job on a domain of the catalogue
//! gives what `parley simulate FOLDER --json` gives on the same files (but for the seconds it
//! took), and `--demo` offers the GENIUS domains bundled in the repository (`testdata/`).

#[path = "../../parley-server/tests/support/http.rs"]
mod http;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

struct Served {
    child: Child,
    address: SocketAddr,
    lines: Vec<String>,
    /// Kept open: the server writes its remaining lines here (a closed pipe would stop it).
    _rest: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `parley serve ARGS` on a free port, with the first `lines` lines it prints.
fn serve(args: &[&str], lines: usize) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap()).lines();
    let printed: Vec<String> = (0..lines).map(|_| reader.next().unwrap().unwrap()).collect();
    let url = printed[0].split_whitespace().nth(2).unwrap_or_else(|| panic!("no URL in {:?}", printed[0]));
    let address = url.trim_start_matches("http://").parse().unwrap();
    Served { child, address, lines: printed, _rest: reader }
}

fn parley(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_parley")).args(args).output().unwrap();
    assert!(output.status.success(), "parley {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn get(address: SocketAddr, token: &str, path: &str) -> http::Answer {
    http::request(address, "GET", path, &[("Authorization", &format!("Bearer {token}"))], b"")
}

fn without_seconds(mut report: serde_json::Value) -> serde_json::Value {
    report.as_object_mut().unwrap().remove("seconds");
    report
}

#[test]
fn a_domain_job_gives_what_parley_simulate_gives_on_the_same_folder() {
    let dir = tempfile::tempdir().unwrap();
    let domains = dir.path().join("domains");
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/negmas-generated");
    for name in ["gen2p_1e3", "gen3p_1e3"] {
        std::fs::create_dir_all(domains.join(name)).unwrap();
        for entry in std::fs::read_dir(bundled.join(name)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, domains.join(name).join(path.file_name().unwrap())).unwrap();
        }
    }
    let db = dir.path().join("parley.db").display().to_string();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/ukraine-2025.toml");
    parley(&["import", scenario, "--db", &db]);
    let token = parley(&["token", "create", "--db", &db, "--negotiation", "ukraine-2025", "--as", "mediator", "--write"]).trim().to_owned();
    let served = serve(&["--db", &db, "--domains", &domains.display().to_string()], 1);

    for (name, agents) in [("gen2p_1e3", vec!["boulware", "micro"]), ("gen3p_1e3", vec!["conceder", "linear", "tit-for-tat"])] {
        let body = serde_json::json!({ "agents": agents, "domain": name, "seed": 5, "rounds": 80 }).to_string();
        let headers = [("Authorization", format!("Bearer {token}")), ("Content-Type", "application/json".to_owned())];
        let headers: Vec<(&str, &str)> = headers.iter().map(|(key, value)| (*key, value.as_str())).collect();
        let started = http::request(served.address, "POST", "/api/v1/negotiations/ukraine-2025/simulations", &headers, body.as_bytes());
        assert_eq!(started.status, 202, "{}", started.body);
        let location = started.header("location").unwrap().to_owned();
        let mut report = serde_json::Value::Null;
        for _ in 0..600 {
            report = get(served.address, &token, &location).json();
            if report["state"] != "queued" && report["state"] != "running" {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert_eq!(report["state"], "done", "{report}");
        let folder = domains.join(name).display().to_string();
        let simulated = parley(&["simulate", &folder, "--agents", &agents.join(","), "--seed", "5", "--rounds", "80", "--json"]);
        let simulated: serde_json::Value = serde_json::from_str(&simulated).unwrap();
        assert_eq!(without_seconds(report["result"].clone()), without_seconds(simulated), "{name}");
    }
}

#[test]
fn the_demo_offers_the_bundled_genius_domains() {
    // The URL line, the negotiation line, then a token per role (the admin's first).
    let served = serve(&["--demo"], 3);
    let admin = served.lines[2].split_whitespace().nth(2).unwrap().to_owned();
    let listed = get(served.address, &admin, "/api/v1/domains").json();
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|domain| domain["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["gen2p_1e3", "gen2p_1e4", "gen3p_1e3"]);
    assert!(listed.as_array().unwrap().iter().all(|domain| domain["error"].is_null()), "{listed}");
}
