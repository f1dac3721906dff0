//! Helpers shared by the CLI tests: run the real `parley` binary, and `parley serve` as a
//! process, with the server's tests' HTTP client and test databases.

#![allow(dead_code)]

#[path = "../../../parley-server/tests/support/database.rs"]
pub mod database;
#[path = "../../../parley-server/tests/support/http.rs"]
pub mod http;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub fn parley() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_parley"));
    command.env_remove("NO_COLOR").stdin(Stdio::null());
    command
}

pub fn run(args: &[&str]) -> Output {
    parley().args(args).output().expect("the parley binary runs")
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

pub fn scenario(name: &str) -> String {
    workspace_root().join("scenarios").join(name).display().to_string()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// Runs `parley ARGS`, which must succeed; its standard output.
pub fn succeeds(args: &[&str]) -> String {
    let output = run(args);
    assert!(output.status.success(), "parley {args:?}: {}", stderr(&output));
    stdout(&output)
}

/// A `parley serve` process on a free port of 127.0.0.1, killed (SIGKILL: it records nothing
/// more) when dropped.
pub struct Served {
    pub child: Child,
    pub address: SocketAddr,
}

impl Served {
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// One request, as [`http::request`].
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> http::Answer {
        http::request(self.address, method, path, headers, body.as_bytes())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `parley serve` on the database `db`, once it is listening.
pub fn serve(db: &str) -> Served {
    let mut child =
        parley().args(["serve", "--db", db, "--bind", "127.0.0.1:0"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // "parley serve: http://127.0.0.1:PORT (database …)"
    let url = first.split_whitespace().nth(2).unwrap_or_else(|| panic!("no URL in {first:?}"));
    let address = url.trim_start_matches("http://").parse().unwrap_or_else(|_| panic!("no address in {first:?}"));
    Served { child, address }
}
