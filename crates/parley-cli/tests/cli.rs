//! The `parley` binary as a user meets it: help, exit codes, JSON, colour, pipes.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{parley, run, scenario, stderr, stdout, workspace_root};

#[test]
fn help_teaches_with_examples() {
    let output = run(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    for word in ["check", "status", "diff", "claims", "Examples:", "Exit codes"] {
        assert!(help.contains(word), "--help lacks {word}:\n{help}");
    }
    for command in ["check", "status", "diff", "claims"] {
        let output = run(&[command, "--help"]);
        assert_eq!(output.status.code(), Some(0));
        assert!(stdout(&output).contains("Examples:"), "{command} --help has no examples");
    }
    assert_eq!(run(&["--version"]).status.code(), Some(0));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(run(&["status", "--as-of"]).status.code(), Some(2));
    assert_eq!(run(&["diff", "geneva"]).status.code(), Some(2));
    assert_eq!(run(&["diff", "a", "b", "c", "d"]).status.code(), Some(2));
}

#[test]
fn the_2025_talks_are_not_accepted_and_three_items_are_blocked() {
    let output = run(&["status", &scenario("ukraine-2025.toml"), "--as-of", "abu-dhabi", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let status: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(status["framework"]["accepted"], false);
    for (number, topic) in [(6, "troop cap"), (7, "NATO"), (21, "territory")] {
        let item = status["items"].as_array().unwrap().iter().find(|item| item["number"] == number).unwrap();
        assert_eq!(item["state"], "blocked", "item {number} ({topic})");
    }
}

#[test]
fn the_ukrainians_have_agreed_claim_is_contradicted_citing_the_blocked_items() {
    let output = run(&["claims", &scenario("ukraine-2025.toml"), "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let statement = report["statements"].as_array().unwrap().iter().find(|statement| statement["id"] == "us-official-agreed").unwrap();
    let claim = statement["claims"].as_array().unwrap().iter().find(|claim| claim["kind"] == "accepts").unwrap();
    assert_eq!(claim["verdict"], "contradicted");
    assert_eq!(claim["third_party"], true);
    let cited: Vec<u64> = claim["evidence"].as_array().unwrap().iter().filter_map(|evidence| evidence["item"].as_u64()).collect();
    for item in [6, 7, 21] {
        assert!(cited.contains(&item), "item {item} not cited: {cited:?}");
    }
}

#[test]
fn bad_input_exits_2_and_names_the_problem() {
    let missing = run(&["status", "/nonexistent/talks.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read /nonexistent/talks.toml"));

    let unknown_round = run(&["status", &scenario("ukraine-2025.toml"), "--as-of", "genva"]);
    assert_eq!(unknown_round.status.code(), Some(2));
    assert!(
        stderr(&unknown_round).contains("neither a round nor a date (expected a round id such as `geneva`"),
        "{}",
        stderr(&unknown_round)
    );

    let planned = run(&["status", &scenario("ukraine-2025.toml"), "--as-of", "white-house"]);
    assert_eq!(planned.status.code(), Some(2));
    assert!(stderr(&planned).contains("planned"));

    let viewer = run(&["status", &scenario("ukraine-2025.toml"), "--viewer", "XX"]);
    assert_eq!(viewer.status.code(), Some(2));
    assert!(stderr(&viewer).contains("unknown viewer `XX`"));

    let directory = tempfile::tempdir().unwrap();
    let binary = directory.path().join("binary.toml");
    std::fs::write(&binary, [0x5b, 0xff, 0xfe, 0x5d]).unwrap();
    let output = run(&["check", binary.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not UTF-8"));

    let invalid = directory.path().join("invalid.toml");
    std::fs::write(&invalid, "[negotiation]\nid = \"x\"\n").unwrap();
    for command in ["status", "claims"] {
        let output = run(&[command, invalid.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{command}");
        assert!(stderr(&output).contains("invalid.toml:1:1: negotiation.title: missing field `title`"), "{}", stderr(&output));
        assert!(stdout(&output).is_empty(), "nothing computed from an invalid file");
    }
}

#[test]
fn without_a_file_commands_read_the_bundled_example() {
    let output = run(&["status", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let status: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(status["negotiation"], "ukraine-2025");
    let diff = run(&["diff", "geneva", "abu-dhabi", "--json"]);
    assert_eq!(diff.status.code(), Some(0), "{}", stderr(&diff));
    assert!(stdout(&run(&["check"])).contains("(bundled): ok"));
}

#[test]
fn reads_standard_input() {
    let text = std::fs::read(scenario("dockworkers-2026.toml")).unwrap();
    let mut child = parley().args(["status", "-", "--json"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let status: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(status["negotiation"], "dockworkers-2026");
}

#[test]
fn no_colour_unless_asked_or_on_a_terminal() {
    let file = scenario("ukraine-2025.toml");
    let piped = run(&["status", &file]);
    assert!(!stdout(&piped).contains('\x1b'), "colour when stdout is not a terminal");
    let forced = run(&["status", &file, "--color", "always"]);
    assert!(stdout(&forced).contains("\x1b["), "--color always gives colour");
    let never = parley().args(["status", &file, "--color", "never"]).output().unwrap();
    assert!(!stdout(&never).contains('\x1b'));
    // On a terminal (a pseudo-terminal from util-linux's `script`), auto colours unless NO_COLOR
    // is set and not empty.
    let on_terminal = |no_color: Option<&str>| -> String {
        let mut command = std::process::Command::new("script");
        command.args(["-qec", &format!("{} status {file}", env!("CARGO_BIN_EXE_parley")), "/dev/null"]).env_remove("NO_COLOR");
        if let Some(value) = no_color {
            command.env("NO_COLOR", value);
        }
        stdout(&command.stdin(Stdio::null()).output().expect("script runs"))
    };
    assert!(on_terminal(None).contains("\x1b["), "auto colours a terminal");
    assert!(on_terminal(Some("")).contains("\x1b["), "an empty NO_COLOR does not count");
    assert!(!on_terminal(Some("1")).contains('\x1b'), "NO_COLOR turns colour off");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    // Standard output is a pipe whose reader is gone before the command starts, so the first
    // write fails (a reader that quits early, as `parley status | head -1` does).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output =
        parley().args(["status", &scenario("ukraine-2025.toml"), "--json"]).stdout(writer).stderr(Stdio::piped()).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
}

#[test]
fn json_output_is_valid_for_every_command() {
    let file = scenario("ukraine-2025.toml");
    for args in [
        vec!["check", &file, "--json"],
        vec!["status", &file, "--json"],
        vec!["diff", &file, "kyiv-delivery", "now", "--json"],
        vec!["claims", &file, "--json"],
    ] {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
        serde_json::from_str::<serde_json::Value>(&stdout(&output)).unwrap_or_else(|error| panic!("{args:?}: {error}"));
    }
}

#[test]
fn confidential_red_lines_never_reach_other_viewers() {
    // The mediator-visible red lines of the 2025 scenario hold numbers and towns that only the
    // mediator and their owners may see.
    let file = scenario("ukraine-2025.toml");
    let secrets = [
        "ru-all-of-donbas",
        "ru-troop-cap",
        "ua-troop-floor",
        "troop_cap >= 800000",
        "troop_cap <= 600000",
        "reservation\": 0.3",
        "\"utility\"",
        "surplus",
        "200000 apart",
    ];
    for viewer in ["public", "E3", "NATO"] {
        for args in [
            vec!["status", &file, "--json", "--viewer", viewer],
            vec!["status", &file, "--viewer", viewer],
            vec!["status", &file, "--as-of", "geneva", "--viewer", viewer],
            vec!["diff", &file, "start", "now", "--json", "--viewer", viewer],
            vec!["claims", &file, "--json", "--viewer", viewer],
            vec!["claims", &file, "--viewer", viewer],
            vec!["analyze", &file, "--json", "--viewer", viewer],
            vec!["analyze", &file, "--viewer", viewer, "--as-of", "abu-dhabi"],
        ] {
            let output = run(&args);
            assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
            let text = stdout(&output);
            for secret in secrets {
                assert!(!text.contains(secret), "{args:?} shows `{secret}`");
            }
        }
    }
    // Russia sees its own, not Ukraine's; the mediator sees both.
    let russia = stdout(&run(&["status", &file, "--json", "--viewer", "RU"]));
    assert!(russia.contains("ru-troop-cap") && !russia.contains("ua-troop-floor"));
    let ukraine = stdout(&run(&["status", &file, "--json", "--viewer", "UA"]));
    assert!(ukraine.contains("ua-troop-floor") && !ukraine.contains("ru-troop-cap"));
    let mediator = stdout(&run(&["status", &file, "--json", "--viewer", "US"]));
    assert!(mediator.contains("ua-troop-floor") && mediator.contains("ru-troop-cap"));
}

#[test]
fn frontier_plot_and_genius_export_work_end_to_end() {
    let file = scenario("dockworkers-2026.toml");
    let csv = run(&["frontier", &file, "--csv", "--as-of", "second"]);
    assert_eq!(csv.status.code(), Some(0), "{}", stderr(&csv));
    let text = stdout(&csv);
    assert!(text.starts_with("union,employers,wage_increase,"), "{text}");
    assert!(text.lines().count() > 2);

    let directory = tempfile::tempdir().unwrap();
    let svg = directory.path().join("space.svg");
    let plot = run(&["plot", &file, "--as-of", "second", "-o", svg.to_str().unwrap()]);
    assert_eq!(plot.status.code(), Some(0), "{}", stderr(&plot));
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(picture.starts_with("<svg") && picture.trim_end().ends_with("</svg>"));
    assert!(picture.contains(">P</text>"), "the proposal is drawn");

    // GENIUS profiles cannot hold red lines: the export says so.
    let genius = directory.path().join("genius");
    let export = run(&["to-genius", &file, "--as-of", "second", "-o", genius.to_str().unwrap()]);
    assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
    assert!(stderr(&export).contains("cannot hold red lines"), "{}", stderr(&export));
    // Without red lines, written as GENIUS files and read back, the problem has the same frontier.
    let mut negotiation = parley_core::scenario::parse(&std::fs::read_to_string(&file).unwrap()).unwrap().negotiation;
    negotiation.red_lines.clear();
    let file = directory.path().join("no-red-lines.toml");
    std::fs::write(&file, parley_core::writer::to_toml(&negotiation)).unwrap();
    let file = file.to_str().unwrap().to_owned();
    let genius = directory.path().join("genius-unconstrained");
    let export = run(&["to-genius", &file, "--as-of", "second", "-o", genius.to_str().unwrap()]);
    assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
    let original = run(&["frontier", &file, "--as-of", "second", "--json"]);
    let copy = run(&["frontier", genius.to_str().unwrap(), "--parties", "union,employers", "--json"]);
    assert_eq!(copy.status.code(), Some(0), "{}", stderr(&copy));
    let utilities = |output: &std::process::Output| -> Vec<serde_json::Value> {
        let value: serde_json::Value = serde_json::from_str(&stdout(output)).unwrap();
        value["points"].as_array().unwrap().iter().map(|point| point["utilities"].clone()).collect()
    };
    assert_eq!(utilities(&original), utilities(&copy));
}

#[test]
fn analyze_refuses_what_it_cannot_do_with_exit_2() {
    let directory = tempfile::tempdir().unwrap();
    let output = run(&["analyze", directory.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no GENIUS domain file"), "{}", stderr(&output));
    let no_preferences = run(&["frontier", &scenario("ukraine-2025.toml"), "--viewer", "public"]);
    assert_eq!(no_preferences.status.code(), Some(2));
    assert!(stderr(&no_preferences).contains("fewer than two parties with preferences"), "{}", stderr(&no_preferences));
}

#[test]
fn simulate_and_tournament_from_the_command_line() {
    let file = scenario("dockworkers-2026.toml");
    let simulate = run(&["simulate", &file, "--as-of", "second", "--agents", "boulware,conceder", "--json"]);
    assert_eq!(simulate.status.code(), Some(0), "{}", stderr(&simulate));
    let session: serde_json::Value = serde_json::from_str(&stdout(&simulate)).unwrap();
    assert_eq!(session["agents"], serde_json::json!(["boulware", "conceder"]));
    assert!(session["rounds"].as_u64().unwrap() >= 1);

    let unknown = run(&["simulate", &file, "--agents", "boulware,haggler"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown agent `haggler` (known agents: boulware, linear"), "{}", stderr(&unknown));
    for args in [
        vec!["simulate", &file, "--agents", "boulware,conceder", "--parties", "union,employer"],
        vec!["frontier", &file, "--parties", "union,employer"],
        vec!["analyze", &file, "--parties", "union,employer"],
    ] {
        let typo = run(&args);
        assert_eq!(typo.status.code(), Some(2), "{args:?}");
        assert!(stderr(&typo).contains("unknown party `employer` in --parties"), "{args:?}: {}", stderr(&typo));
    }
    let zero = run(&["simulate", &file, "--agents", "boulware,conceder", "--rounds", "0"]);
    assert_eq!(zero.status.code(), Some(2));
    let count = run(&["simulate", &file, "--agents", "boulware"]);
    assert_eq!(count.status.code(), Some(2));
    assert!(stderr(&count).contains("1 agent for 2 parties"), "{}", stderr(&count));

    let directory = tempfile::tempdir().unwrap();
    let trace = directory.path().join("trace.csv");
    let traced = run(&["simulate", &file, "--agents", "micro,linear", "--trace", trace.to_str().unwrap()]);
    assert_eq!(traced.status.code(), Some(0), "{}", stderr(&traced));
    let svg = directory.path().join("trace.svg");
    let plotted = run(&["plot-trace", trace.to_str().unwrap(), "-o", svg.to_str().unwrap()]);
    assert_eq!(plotted.status.code(), Some(0), "{}", stderr(&plotted));
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<polyline"));

    // Party names that need quoting in CSV and escaping in SVG. (Regression: the trace header was
    // written unquoted and read back by splitting on commas, and names went into SVG raw.)
    let genius = directory.path().join("genius");
    let exported = run(&["to-genius", &file, "-o", genius.to_str().unwrap()]);
    assert_eq!(exported.status.code(), Some(0), "{}", stderr(&exported));
    std::fs::rename(genius.join("employers.xml"), genius.join("Ports, Inc & co.xml")).unwrap();
    std::fs::rename(genius.join("union.xml"), genius.join("union <dockers>.xml")).unwrap();
    let odd_trace = directory.path().join("odd.csv");
    let traced = run(&["simulate", genius.to_str().unwrap(), "--agents", "boulware,conceder", "--trace", odd_trace.to_str().unwrap()]);
    assert_eq!(traced.status.code(), Some(0), "{}", stderr(&traced));
    assert!(std::fs::read_to_string(&odd_trace).unwrap().starts_with("round,proposer,\"u_Ports, Inc & co\",u_union <dockers>,"));
    let odd_svg = directory.path().join("odd.svg");
    let plotted = run(&["plot-trace", odd_trace.to_str().unwrap(), "-o", odd_svg.to_str().unwrap()]);
    assert_eq!(plotted.status.code(), Some(0), "{}", stderr(&plotted));
    let drawn = std::fs::read_to_string(&odd_svg).unwrap();
    assert!(drawn.contains("utility of Ports, Inc &amp; co") && drawn.contains("union &lt;dockers&gt;"), "{drawn}");
    assert!(!drawn.contains("<dockers>") && !drawn.contains("& co"));

    // A tournament in one run equals the merge of its three shards, to the last bit. (Regression:
    // reading shard JSON without exact float parsing moved some distances by an ulp.)
    let whole = directory.path().join("whole");
    let agents = "boulware,conceder,tit-for-tat,micro";
    let args = |output: &std::path::Path, shard: Option<&str>| {
        let mut args = vec![
            "tournament".to_owned(),
            "--agents".into(),
            agents.into(),
            "--scenarios".into(),
            file.clone(),
            "--reps".into(),
            "2".into(),
            "-o".into(),
            output.display().to_string(),
        ];
        if let Some(shard) = shard {
            args.extend(["--shard".to_owned(), shard.to_owned()]);
        }
        args
    };
    let output = parley().args(args(&whole, None)).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("negotiations per second"));
    for name in ["results.json", "results.csv", "ranking.txt"] {
        assert!(whole.join(name).is_file(), "{name}");
    }
    let mut shards = Vec::new();
    for shard in 0..3 {
        let folder = directory.path().join(format!("shard{shard}"));
        let output = parley().args(args(&folder, Some(&format!("{shard}/3")))).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        shards.push(folder.display().to_string());
    }
    let merged = directory.path().join("merged");
    let mut merge = vec!["merge".to_owned()];
    merge.extend(shards.iter().cloned());
    merge.extend(["-o".to_owned(), merged.display().to_string()]);
    let output = parley().args(&merge).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(merged.join("results.json")).unwrap(), std::fs::read_to_string(whole.join("results.json")).unwrap());
    let incomplete = parley().args(["merge", &shards[0], "-o", directory.path().join("bad").to_str().unwrap()]).output().unwrap();
    assert_eq!(incomplete.status.code(), Some(2));
    assert!(stderr(&incomplete).contains("missing"), "{}", stderr(&incomplete));
}

/// Writing a diagnostic to a standard error nobody reads any more (a closed pipe) panicked with
/// exit 101 instead of the command's own exit code.
#[test]
fn a_closed_standard_error_does_not_crash_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[negotiation]\nid = \"x\"\n").unwrap();
    // A pipe whose read end is closed before the command starts: every write to it fails.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = parley().arg("check").arg(&bad).stdout(Stdio::null()).stderr(writer).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn simulate_names_the_party_that_walked_away() {
    let file = scenario("dockworkers-2026.toml");
    let mut walked = 0;
    for seed in 0..12 {
        let seed = seed.to_string();
        let output = run(&["simulate", &file, "--agents", "random,random", "--seed", &seed, "--json"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let result: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        match result["ended_by"].as_str() {
            Some(party) => {
                walked += 1;
                assert!(result["agreement"].is_null(), "{result}");
                assert!(["union", "employers"].contains(&party), "{party}");
                let text = stdout(&run(&["simulate", &file, "--agents", "random,random", "--seed", &seed]));
                assert!(text.contains(&format!("ended the negotiation in round {}", result["rounds"])), "{text}");
            }
            None => assert!(result["ended_by"].is_null()),
        }
    }
    assert!(walked > 0, "random agents walk away 10% of the time");
}

/// Every simulation argument a user can get wrong is refused with exit 2 and a message naming it,
/// before anything is computed.
#[test]
fn bad_simulation_arguments_exit_2() {
    let file = scenario("dockworkers-2026.toml");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let not_results = dir.path().join("notes.json");
    std::fs::write(&not_results, "{\"hello\": 1}").unwrap();
    let not_trace = dir.path().join("trace.csv");
    std::fs::write(&not_trace, "a,b\n1,2\n").unwrap();
    let empty_trace = dir.path().join("empty.csv");
    std::fs::write(&empty_trace, "").unwrap();
    let bad_row = dir.path().join("bad-row.csv");
    std::fs::write(&bad_row, "round,proposer,u_a,u_b\n1,a,x,0.5\n").unwrap();
    for (args, expected) in [
        (vec!["simulate", &file, "--agents", "boulware,conceder", "--time-limit=-1"], "is not a positive number of seconds"),
        (vec!["simulate", &file, "--agents", "boulware,conceder", "--time-limit", "0"], "is not a positive number of seconds"),
        (vec!["simulate", &file, "--agents", "boulware,conceder", "--time-limit", "soon"], "is not a positive number of seconds"),
        (vec!["simulate", &file, "--agents", "boulware,conceder", "--protocol", "auction"], "unknown protocol `auction`"),
        (vec!["tournament", "--agents", "boulware", "--scenarios", &file, "--rounds", "0", "-o", out], "--rounds"),
        (vec!["tournament", "--agents", "boulware", "--scenarios", &file, "--shard", "3/2", "-o", out], "expected I/N with 0 <= I < N"),
        (vec!["tournament", "--agents", "boulware", "--scenarios", &file, "--shard", "x", "-o", out], "expected I/N with 0 <= I < N"),
        (vec!["merge", not_results.to_str().unwrap(), "-o", out], "not a tournament result"),
        (vec!["plot-trace", not_trace.to_str().unwrap(), "-o", out], "not a trace"),
        (vec!["plot-trace", empty_trace.to_str().unwrap(), "-o", out], "empty trace"),
        (vec!["plot-trace", bad_row.to_str().unwrap(), "-o", out], "bad-row.csv:2: malformed trace row"),
    ] {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }
    assert!(!dir.path().join("out").exists(), "nothing was written");
}

// Regression: counts of one read "1 points", "after 1 offers", "1 rounds", "1 frontier points",
// "over 1 negotiations" (and "1 agents", which simulate_and_tournament_from_the_command_line
// checks).
#[test]
fn counts_of_one_take_the_singular_in_frontier_simulate_plot_and_tournament() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/one-of-each.toml");
    let file = file.to_str().unwrap();
    let frontier = stdout(&run(&["frontier", file, "--as-of", "r1"]));
    assert!(frontier.starts_with("one-of-each — Pareto frontier: 1 point (utilities of A, B)\n"), "{frontier}");
    let agreement = stdout(&run(&["simulate", file, "--as-of", "r1", "--agents", "boulware,boulware", "--rounds", "1"]));
    assert!(agreement.contains("\nAgreement in round 1 of 1 after 1 offer:\n"), "{agreement}");
    let no_agreement = stdout(&run(&["simulate", file, "--agents", "boulware,boulware", "--rounds", "1"]));
    assert!(no_agreement.contains("\nNo agreement after 1 round and 2 offers\n"), "{no_agreement}");

    let directory = tempfile::tempdir().unwrap();
    let path = |name: &str| directory.path().join(name).to_str().unwrap().to_owned();
    let traced =
        stdout(&run(&["simulate", file, "--as-of", "r1", "--agents", "boulware,boulware", "--rounds", "1", "--trace", &path("t.csv")]));
    assert!(traced.ends_with(&format!("Trace of 1 offer written to {}\n", path("t.csv"))), "{traced}");
    let plotted = stdout(&run(&["plot-trace", &path("t.csv"), "-o", &path("t.svg")]));
    assert_eq!(plotted, format!("wrote {} (1 offer)\n", path("t.svg")));
    let plot = stdout(&run(&["plot", file, "--as-of", "r1", "-o", &path("p.svg")]));
    assert_eq!(plot, format!("wrote {} (1 frontier point, 2 parties)\n", path("p.svg")));
    let shard = ["--agents", "boulware,conceder", "--reps", "1", "--no-self-play", "--no-rotate", "--rounds", "1", "--shard", "0/2"];
    let tournament = run(&[&["tournament", "--scenarios", file, "-o", &path("shard")][..], &shard[..]].concat());
    let tournament = stdout(&tournament);
    assert!(tournament.starts_with("1 negotiation (2 in the whole tournament) in "), "{tournament}");
    assert!(tournament.contains("\nAgreement rate 0.000 over 1 negotiation\n"), "{tournament}");
}

#[test]
fn positions_draws_each_partys_trajectory() {
    let file = workspace_root().join("crates/parley-cli/tests/cases/positions.toml").display().to_string();
    let directory = tempfile::tempdir().unwrap();
    let svg = directory.path().join("positions.svg");
    let output = run(&["positions", &file, "-o", svg.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(picture.starts_with("<svg") && picture.trim_end().ends_with("</svg>"));
    // Two ordered issues with two parties each: a line per party per issue, a band for a range.
    assert_eq!(picture.matches("<polyline").count(), 6, "{picture}");
    assert!(picture.contains("Annual concession fee (M EUR) — gap 10 (converging)"), "{picture}");
    assert!(picture.contains("city: 55") && picture.contains("operator: 20-years to 30-years"), "{picture}");
}

/// Outputs destroyed what they replaced: `-o` wrote a temporary sibling and renamed it over the
/// target, so a symbolic link became a regular file and a device node (even /dev/null) a file.
#[test]
fn outputs_write_through_links_and_into_devices_and_refuse_directories() {
    let file = scenario("dockworkers-2026.toml");
    let directory = tempfile::tempdir().unwrap();
    // A link is written through: the link stays, the file it names gets the content.
    let real = directory.path().join("real.svg");
    let link = directory.path().join("link.svg");
    std::fs::write(&real, "old").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let plot = run(&["plot", &file, "-o", link.to_str().unwrap()]);
        assert_eq!(plot.status.code(), Some(0), "{}", stderr(&plot));
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
        assert!(std::fs::read_to_string(&real).unwrap().starts_with("<svg"), "the linked file holds the plot");
        // A dangling link: its target is created.
        let dangling = directory.path().join("dangling.svg");
        std::os::unix::fs::symlink(directory.path().join("new.svg"), &dangling).unwrap();
        assert_eq!(run(&["plot", &file, "-o", dangling.to_str().unwrap()]).status.code(), Some(0));
        assert!(directory.path().join("new.svg").exists());
        // A device is written into and stays a device.
        use std::os::unix::fs::FileTypeExt;
        let null = run(&["plot", &file, "-o", "/dev/null"]);
        assert_eq!(null.status.code(), Some(0), "{}", stderr(&null));
        assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
        if std::path::Path::new("/dev/full").exists() {
            let full = run(&["positions", &file, "-o", "/dev/full"]);
            assert_eq!(full.status.code(), Some(1), "a full device is a failure to write: {}", stderr(&full));
            assert!(stderr(&full).contains("/dev/full"), "{}", stderr(&full));
            assert!(std::fs::metadata("/dev/full").unwrap().file_type().is_char_device());
        }
    }
    // A directory is refused, untouched.
    let refused = run(&["plot", &file, "-o", directory.path().to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("is a directory"), "{}", stderr(&refused));
    assert!(directory.path().is_dir());
}

/// A tournament writes its three result files together: all are written and synced before any is
/// renamed into place, so one that cannot be written (a directory in its way) leaves the others as
/// they were, and no temporary file behind; a replaced file keeps its permissions.
#[test]
fn tournament_results_are_replaced_together_or_not_at_all() {
    let file = scenario("dockworkers-2026.toml");
    let directory = tempfile::tempdir().unwrap();
    let output = directory.path().join("results");
    std::fs::create_dir(&output).unwrap();
    std::fs::write(output.join("results.json"), "old").unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(output.join("results.json"), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    std::fs::create_dir(output.join("ranking.txt")).unwrap();
    let args = ["tournament", "--scenarios", &file, "--agents", "boulware,conceder", "--reps", "1", "--rounds", "5", "-o"];
    let refused = run(&[&args[..], &[output.to_str().unwrap()]].concat());
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("ranking.txt is a directory"), "{}", stderr(&refused));
    assert_eq!(std::fs::read_to_string(output.join("results.json")).unwrap(), "old");
    assert!(!output.join("results.csv").exists());
    let left: Vec<String> =
        std::fs::read_dir(&output).unwrap().map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(left.iter().all(|name| !name.contains(".tmp-")), "{left:?}");

    std::fs::remove_dir(output.join("ranking.txt")).unwrap();
    let written = run(&[&args[..], &[output.to_str().unwrap()]].concat());
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(output.join("results.json")).unwrap()).unwrap();
    assert!(json["results"].as_array().is_some_and(|results| !results.is_empty()), "{json}");
    assert!(std::fs::read_to_string(output.join("results.csv")).unwrap().lines().count() > 1);
    assert!(std::fs::read_to_string(output.join("ranking.txt")).unwrap().starts_with("Agreement rate "));
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(output.join("results.json")).unwrap().permissions()) & 0o777,
        0o600
    );
}

/// Escape sequences and carriage returns in titles, notes and quotes were printed raw, even with
/// `--color never`, so a scenario could paint a fake "CONSISTENT" line. Text output escapes every
/// control character; JSON keeps the text exact.
#[test]
fn terminal_control_characters_in_the_record_are_escaped_in_text_output() {
    let hostile = "\u{1b}[32mCONSISTENT\u{1b}[0m\r\u{202e}";
    let text = format!(
        r#"[negotiation]
id = "t"
title = "Talks {hostile}"

[[parties]]
id = "A"
name = "A {hostile}"
role = "principal"

[[rounds]]
id = "r1"
date = 2026-01-01
summary = "{hostile}"

[[items]]
number = 1
title = "Item {hostile}"
round = "r1"

[[stances]]
party = "A"
item = 1
position = "accepts"
round = "r1"
note = "{hostile}"

[[statements]]
id = "s"
speaker = "Someone {hostile}"
party = "A"
date = 2026-01-02
quote = "{hostile}"
claims = [{{ kind = "item-agreed", item = 1, note = "{hostile}" }}]
"#
    )
    .replace('\u{1b}', "\\u001b")
    .replace('\r', "\\r")
    .replace('\u{202e}', "\\u202e");
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("hostile.toml");
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap();
    for args in [
        vec!["status", file, "--color", "never"],
        vec!["status", file, "--color", "always"],
        vec!["claims", file],
        vec!["diff", file, "start", "now"],
        vec!["positions", file],
    ] {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
        let shown = stdout(&output);
        assert!(!shown.contains('\r') && !shown.contains('\u{202e}'), "{args:?} prints a raw control character:\n{shown:?}");
        // The only escape sequences are the colours `--color always` adds.
        assert!(!shown.contains("\u{1b}[32mCONSISTENT"), "{args:?} lets the record paint:\n{shown:?}");
        if args[0] != "positions" {
            assert!(shown.contains("\\u{1b}[32mCONSISTENT"), "{args:?} does not show the text escaped: {shown:?}");
        }
    }
    // JSON keeps the text exact.
    let json = stdout(&run(&["status", file, "--json"]));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["title"], "Talks \u{1b}[32mCONSISTENT\u{1b}[0m\r\u{202e}");
    // Errors quoting the record are escaped too.
    let broken = directory.path().join("broken.toml");
    std::fs::write(&broken, "[negotiation]\nid = \"t\"\ntitle = \"T\"\n[[parties]]\nid = \"A\"\nrole = \"\\u001b[2Jprincipal\"\n").unwrap();
    let output = run(&["check", broken.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!stderr(&output).contains('\u{1b}'), "{:?}", stderr(&output));
}

/// Messages that said the wrong thing: `--help > /dev/full` exited 0 though nothing was written,
/// `keygen ""` wrote a key for nobody, and an item number past 32 bits was "out of range
/// (expected 1 or more)".
#[test]
fn messages_say_what_went_wrong() {
    if std::path::Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let output = parley().arg("--help").stdout(full).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert!(stderr(&output).contains("writing the help"), "{}", stderr(&output));
    }
    let directory = tempfile::tempdir().unwrap();
    let key = directory.path().join("nobody.key");
    let output = run(&["keygen", "", "-o", key.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("party id is empty") && !key.exists(), "{}", stderr(&output));
    let file = directory.path().join("big.toml");
    std::fs::write(&file, "[negotiation]\nid = \"t\"\ntitle = \"T\"\n[[parties]]\nid = \"A\"\nrole = \"principal\"\n[[items]]\nnumber = 9223372036854775807\ntitle = \"x\"\n").unwrap();
    let output = run(&["check", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("out of range (expected 1 to 4294967295)"), "{}", stderr(&output));
}
