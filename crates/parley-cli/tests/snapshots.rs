//! Data-driven snapshots. Each `tests/cases/NAME.toml` is a scenario whose `# run: ARGS` lines are
//! `parley` commands (the scenario file is put after the command word); their outputs together must
//! equal `tests/cases/NAME.out`. The bundled scenarios are run the same way with the commands in
//! `BUNDLED`. Set `UPDATE_SNAPSHOTS=1` to rewrite the `.out` files after a deliberate change, and
//! review the diff.

mod common;

use std::path::{Path, PathBuf};

use common::{parley, scenario};

const BUNDLED: &[(&str, &[&str])] = &[
    (
        "ukraine-2025",
        &[
            "check",
            "status --as-of kyiv-delivery",
            "status --as-of abu-dhabi",
            "status",
            "status --as-of 2025-12-31 --viewer public",
            "diff kyiv-delivery abu-dhabi",
            "diff abu-dhabi kyiv-briefing",
            "claims",
            "claims --viewer public --only contradicted",
            "analyze --as-of abu-dhabi",
            "analyze --as-of abu-dhabi --viewer public",
            "analyze --as-of kyiv-briefing --viewer E3",
        ],
    ),
    (
        "iran-nuclear-2013-2016",
        &[
            "check",
            "status --as-of geneva-2013",
            "status --as-of lausanne",
            "status --as-of 2015-04-10 --viewer public",
            "status --viewer IR",
            "status --viewer UK",
            "diff lausanne vienna-2015",
            "claims",
            "analyze --as-of 2015-04-10",
            "analyze --as-of 2015-04-10 --viewer FR",
            "positions",
            "implementation --as-of 2015-12-31",
            "implementation",
        ],
    ),
    (
        "dockworkers-2026",
        &[
            "check",
            "status --as-of second",
            "status",
            "diff opening mediation",
            "claims",
            "status --viewer public",
            "analyze",
            "analyze --as-of second --viewer union",
        ],
    ),
];

fn run_case(file: &Path, display: &str, runs: &[String]) -> String {
    let mut transcript = String::new();
    for run in runs {
        let mut words = run.split_whitespace();
        let command = words.next().expect("a command");
        let rest: Vec<&str> = words.collect();
        let output = parley().arg(command).arg(file).args(&rest).arg("--color=never").output().expect("parley runs");
        let code = output.status.code().map_or("signal".to_owned(), |code| code.to_string());
        transcript.push_str(&format!("$ parley {command} {display} {}\n", rest.join(" ")).replace(" \n", "\n"));
        // Paths differ between machines; show the file's name only.
        let full = file.display().to_string();
        transcript.push_str(&String::from_utf8_lossy(&output.stdout).replace(&full, display));
        let errors = String::from_utf8_lossy(&output.stderr).replace(&full, display);
        // A usage error means the case itself is wrong, not the behaviour it records.
        assert!(!errors.contains("unexpected argument"), "`parley {run}` is not a valid command line: {errors}");
        if !errors.is_empty() {
            transcript.push_str("--- stderr\n");
            transcript.push_str(&errors);
        }
        transcript.push_str(&format!("--- exit {code}\n\n"));
    }
    transcript
}

fn compare(expected_path: &Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(expected_path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(expected_path).unwrap_or_default();
    if expected != actual {
        let first_difference = expected.lines().zip(actual.lines()).position(|(left, right)| left != right);
        let line = first_difference.unwrap_or(expected.lines().count().min(actual.lines().count()));
        failures.push(format!(
            "{} differs from the actual output at line {}:\n  expected: {:?}\n  actual:   {:?}\n(run with UPDATE_SNAPSHOTS=1 to accept)",
            expected_path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>"),
        ));
    }
}

fn cases_directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

#[test]
fn fixture_scenarios_match_their_snapshots() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_directory())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "expected fixture scenarios in tests/cases");
    let mut failures = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let runs: Vec<String> = text.lines().filter_map(|line| line.strip_prefix("# run: ")).map(str::to_owned).collect();
        assert!(!runs.is_empty(), "{} has no `# run:` line", file.display());
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let actual = run_case(&file, &name, &runs);
        compare(&file.with_extension("out"), &actual, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn bundled_scenarios_match_their_snapshots() {
    let mut failures = Vec::new();
    for (name, runs) in BUNDLED {
        let file = PathBuf::from(scenario(&format!("{name}.toml")));
        let runs: Vec<String> = runs.iter().map(|run| (*run).to_owned()).collect();
        let actual = run_case(&file, &format!("scenarios/{name}.toml"), &runs);
        compare(&cases_directory().join(format!("{name}.out")), &actual, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
