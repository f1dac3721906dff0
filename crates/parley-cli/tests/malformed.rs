//! Every file in `tests/malformed/` is a broken scenario whose `# expect: LINE:COL: FIELD: MESSAGE`
//! lines say what `parley check` must report. Each must exit 2 (bad input), never panic, and print
//! each expectation as `FILE:LINE:COL: FIELD: MESSAGE...`.

mod common;

use std::path::Path;

use common::{run, stderr, stdout};

#[test]
fn malformed_scenarios_are_reported_where_they_are_wrong() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let mut files: Vec<_> = std::fs::read_dir(&directory).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 20, "expected at least 20 malformed fixtures, found {}", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let path = file.display().to_string();
        let text = std::fs::read_to_string(file).unwrap();
        let expectations: Vec<&str> = text.lines().filter_map(|line| line.strip_prefix("# expect: ")).collect();
        assert!(!expectations.is_empty(), "{path} has no `# expect:` line");
        let output = run(&["check", &path]);
        let errors = stderr(&output);
        if output.status.code() != Some(2) {
            failures.push(format!("{path}: exit code {:?}, expected 2\n{errors}", output.status.code()));
        }
        for expected in expectations {
            let wanted = format!("{path}:{expected}");
            if !errors.lines().any(|line| line.starts_with(&wanted)) {
                failures.push(format!("{path}: missing `{expected}` in:\n{errors}"));
            }
        }
        // The same problems, as JSON.
        let json = run(&["check", &path, "--json"]);
        assert_eq!(json.status.code(), Some(2), "{path} --json");
        let report: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
        assert_eq!(report["ok"], false, "{path}");
        let first = &report["errors"][0];
        assert!(first["line"].is_u64() && first["column"].is_u64() && first["message"].is_string(), "{path}: {first}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
