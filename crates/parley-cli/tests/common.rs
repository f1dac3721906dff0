//! Helpers shared by the CLI tests: run the real `parley` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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
