//! Bounded work on every input, and results that are never NaN or infinite (`docs/cli.md`,
//! Limits). Every hostile input is built here in a temporary folder; each refusal is checked to
//! come quickly (a generous wall-clock bound for a loaded machine) and to name what raises it.

mod common;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::{parley, stderr, stdout};

/// Well above the work any refusal here takes (under a second), for a loaded CI machine.
const QUICKLY: Duration = Duration::from_secs(10);

/// Runs `parley` with these arguments and checks it finished within [`QUICKLY`].
fn quick(args: &[&str]) -> Output {
    let started = Instant::now();
    let output = parley().args(args).output().expect("the parley binary runs");
    let elapsed = started.elapsed();
    assert!(elapsed < QUICKLY, "parley {args:?} took {elapsed:?}\n{}", stderr(&output));
    output
}

fn refused(output: &Output, words: &[&str]) {
    assert_eq!(output.status.code(), Some(2), "expected a refusal (exit 2):\n{}\n{}", stdout(output), stderr(output));
    let message = stderr(output);
    for word in words {
        assert!(message.contains(word), "the refusal does not say `{word}`:\n{message}");
    }
}

/// A tiny deterministic stream of evaluations in (0, 1].
fn evaluation(seed: usize) -> f64 {
    let mixed = (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) % 1000;
    (mixed + 1) as f64 / 1000.0
}

/// A GENIUS domain of `issues` discrete issues of `values` values each.
fn domain(issues: usize, values: usize) -> String {
    let mut text = String::from("<negotiation_template><utility_space><objective index=\"0\" name=\"hostile\">\n");
    for issue in 1..=issues {
        write!(text, "<issue index=\"{issue}\" name=\"i{issue}\" type=\"discrete\">").unwrap();
        for value in 0..values {
            write!(text, "<item index=\"{}\" value=\"v{value}\"/>", value + 1).unwrap();
        }
        text.push_str("</issue>\n");
    }
    text.push_str("</objective></utility_space></negotiation_template>\n");
    text
}

/// An additive profile over [`domain`]`(issues, values)` with its own evaluations.
fn profile(issues: usize, values: usize, party: usize, reservation: &str) -> String {
    let mut text = String::from("<utility_space><objective index=\"0\" name=\"hostile\">\n");
    for issue in 1..=issues {
        write!(text, "<issue index=\"{issue}\" name=\"i{issue}\" type=\"discrete\">").unwrap();
        for value in 0..values {
            let evaluation = evaluation(party * 1_000_003 + issue * 1009 + value);
            write!(text, "<item value=\"v{value}\" evaluation=\"{evaluation}\"/>").unwrap();
        }
        writeln!(text, "</issue><weight index=\"{issue}\" value=\"{}\"/>", 1.0 / issues as f64).unwrap();
    }
    writeln!(text, "</objective><reservation value=\"{reservation}\"/></utility_space>").unwrap();
    text
}

/// A folder with the domain and `parties` additive profiles `p1.xml`, `p2.xml`, ...
fn genius_folder(issues: usize, values: usize, parties: usize) -> tempfile::TempDir {
    genius_folder_reserving(issues, values, parties, "0")
}

/// [`genius_folder`] with every party's reservation value at `reservation`.
fn genius_folder_reserving(issues: usize, values: usize, parties: usize, reservation: &str) -> tempfile::TempDir {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("domain.xml"), domain(issues, values)).unwrap();
    for party in 1..=parties {
        std::fs::write(folder.path().join(format!("p{party}.xml")), profile(issues, values, party, reservation)).unwrap();
    }
    folder
}

fn path(folder: &tempfile::TempDir) -> &str {
    folder.path().to_str().unwrap()
}

// Regression: `yes | parley check -` read standard input without end.
#[test]
fn endless_standard_input_is_refused_at_the_input_limit() {
    let started = Instant::now();
    let mut child = parley().args(["check", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let line = "y\n".repeat(1 << 15);
        // Until parley stops reading (the pipe breaks).
        while input.write_all(line.as_bytes()).is_ok() {}
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(started.elapsed() < QUICKLY, "took {:?}", started.elapsed());
    refused(&output, &["standard input", "268435456 bytes"]);
}

// Regression: `parley check /dev/zero` read the device without end.
#[cfg(unix)]
#[test]
fn endless_device_is_refused_at_the_input_limit() {
    refused(&quick(&["check", "/dev/zero"]), &["/dev/zero", "268435456 bytes"]);
}

// Regression: a regular file over the limit was read whole before it was refused.
#[test]
fn oversized_file_is_refused_before_it_is_read() {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("huge.toml");
    // Sparse: its size is what is checked; nothing of it need be read.
    std::fs::File::create(&file).unwrap().set_len(300 << 20).unwrap();
    refused(&quick(&["check", file.to_str().unwrap()]), &["314572800 bytes", "256 MiB"]);
}

// Regression: a FIFO named like a profile in a GENIUS folder blocked the load forever.
#[cfg(unix)]
#[test]
fn fifo_in_a_genius_folder_is_skipped_without_waiting() {
    let folder = genius_folder(2, 3, 2);
    let fifo = folder.path().join("p3.xml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    let output = quick(&["analyze", path(&folder)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("p3.xml: not a regular file; skipped"), "{}", stderr(&output));
    assert!(stdout(&output).contains("2 parties: p1, p2"), "{}", stdout(&output));
}

// Regression: a 100-issue × 100-value additive domain passed 10 GB, a 60 × 30 one took 20 s and
// 3.7 GB: each combination step's memory is now estimated before it is allocated.
#[test]
fn additive_frontier_beyond_the_memory_budget_is_refused_with_an_estimate() {
    let folder = genius_folder(60, 30, 2);
    let output = quick(&["frontier", path(&folder), "--max-memory", "1"]);
    refused(&output, &["bytes (limit 1048576 bytes)", "raise --max-memory (MiB) to at least"]);
}

// Regression: counting the rational outcomes of a 60 × 30 additive domain took 20 s and 3.7 GB
// (and of a 100 × 100 one, more than 10 GB); the count now stays within the same budget, or says
// it was not counted. (A smaller budget than the default keeps this test quick in a debug build.)
#[test]
fn rational_count_stays_within_the_budget() {
    let folder = genius_folder_reserving(60, 30, 2, "0.4");
    let output = quick(&["analyze", path(&folder), "--max-memory", "16"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("Rational outcomes: not counted"), "{}", stdout(&output));
}

// Regression: 6 parties over 20 issues × 4 values ran for minutes.
#[test]
fn many_party_frontier_stops_at_its_work_budget() {
    let folder = genius_folder(20, 4, 6);
    refused(
        &quick(&["frontier", path(&folder), "--max-work", "2000000"]),
        &["comparisons or hyper-rectangle tests (it ran out of them)", "--max-work"],
    );
}

/// A nonlinear profile of `rectangles` hyper-rectangles on the first integer issue (0..=99).
fn rectangles_profile(rectangles: usize) -> String {
    let mut text = String::from("<utility_space type=\"nonlinear\"><utility maxutility=\"1\"><ufun type=\"PLAIN\" weight=\"1\">\n");
    for rectangle in 0..rectangles {
        let low = rectangle % 90;
        writeln!(
            text,
            "<hyperRectangle utility=\"{}\"><INCLUDES index=\"1\" min=\"{low}\" max=\"{}\"/></hyperRectangle>",
            evaluation(rectangle),
            low + 9
        )
        .unwrap();
    }
    text.push_str("</ufun></utility></utility_space>\n");
    text
}

fn integer_domain(issues: usize) -> String {
    let mut text = String::from("<negotiation_template><utility_space><objective index=\"0\" name=\"boxes\">\n");
    for issue in 1..=issues {
        writeln!(text, "<issue index=\"{issue}\" name=\"n{issue}\" type=\"integer\" lowerbound=\"0\" upperbound=\"99\"/>").unwrap();
    }
    text.push_str("</objective></utility_space></negotiation_template>\n");
    text
}

// Regression: nonlinear domains of 20,000 hyper-rectangles passed the size check, which counted
// outcomes only.
#[test]
fn hyper_rectangles_count_in_the_size_check() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("domain.xml"), integer_domain(3)).unwrap();
    for party in ["a", "b"] {
        std::fs::write(folder.path().join(format!("{party}.xml")), rectangles_profile(20_000)).unwrap();
    }
    refused(&quick(&["frontier", path(&folder)]), &["hyper-rectangle tests (estimated 4.000e10)", "--max-work"]);
    // The agents list the same outcomes: `simulate` ran for minutes.
    refused(&quick(&["simulate", path(&folder), "--agents", "boulware,conceder"]), &["4.000e10 hyper-rectangle tests", "--max-work"]);
}

// Regression: `tournament --reps 4294967295` listed every job first (4 GB).
#[test]
fn tournament_with_too_many_repetitions_is_refused_before_listing_jobs() {
    let folder = genius_folder(2, 3, 2);
    let output = tempfile::tempdir().unwrap();
    let args = ["tournament", "--agents", "boulware,conceder", "--scenarios", path(&folder), "--reps", "4294967295", "-o"];
    let mut args = args.to_vec();
    args.push(path(&output));
    refused(&quick(&args), &["34359738360 negotiations", "limit 1000000", "--reps"]);
    // 8 × 20,000 negotiations of 100,000 rounds each: within the job limit, past the rounds one.
    let args = ["tournament", "--agents", "boulware,conceder", "--scenarios", path(&folder), "--reps", "20000", "--rounds", "100000"];
    let mut args = args.to_vec();
    args.extend(["-o", path(&output)]);
    refused(&quick(&args), &["could run 16000000000 rounds (160000 negotiations × --rounds 100000; limit 1000000000)"]);
}

// Regression: `tournament --threads 100000` was accepted.
#[test]
fn tournament_threads_out_of_range_are_refused() {
    let folder = genius_folder(2, 3, 2);
    let output = tempfile::tempdir().unwrap();
    for threads in ["100000", "0"] {
        let args = ["tournament", "--agents", "boulware", "--scenarios", path(&folder), "--threads", threads, "-o", path(&output)];
        refused(&quick(&args), &[&format!("--threads {threads}: expected 1 to")]);
    }
}

// Regression: a GENIUS reservation value outside [0, 1] was accepted silently.
#[test]
fn reservation_outside_the_unit_interval_is_a_located_warning() {
    // A real ANAC profile (ItexvsCypress) has a reservation value just below 0: it is used as
    // written, with a warning that says where, and nothing becomes NaN.
    let folder = genius_folder(2, 3, 1);
    let bad = profile(2, 3, 2, "1.5");
    std::fs::write(folder.path().join("p2.xml"), &bad).unwrap();
    let line = bad.lines().position(|line| line.contains("<reservation")).unwrap() + 1;
    let output = quick(&["analyze", path(&folder)]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let errors = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(errors.contains(&format!("p2.xml:{line}:")) && errors.contains("reservation value 1.5 is outside [0, 1]"), "{errors}");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
}

// Regression: a nonlinear profile with no terms was accepted (every utility 0).
#[test]
fn profile_with_no_terms_is_a_located_error() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("domain.xml"), integer_domain(1)).unwrap();
    std::fs::write(folder.path().join("a.xml"), rectangles_profile(3)).unwrap();
    std::fs::write(folder.path().join("b.xml"), "<utility_space type=\"nonlinear\">\n<utility maxutility=\"1\"></utility></utility_space>")
        .unwrap();
    refused(&quick(&["analyze", path(&folder)]), &["b.xml:2:1:", "no <hyperRectangle>"]);
}

// Regression: weights large enough to make utilities infinite were accepted ("utility inf").
#[test]
fn utilities_that_overflow_are_a_located_error() {
    let folder = genius_folder(2, 3, 1);
    std::fs::write(folder.path().join("p2.xml"), profile(2, 3, 2, "0").replace("value=\"0.5\"", "value=\"1.7e308\"")).unwrap();
    refused(&quick(&["analyze", path(&folder)]), &["p2.xml:1:1:", "overflows to infinity"]);
}

// Regression: one profile, and `--parties p1,p1` (or `UA,UA` on a scenario), ran as negotiations.
#[test]
fn fewer_than_two_distinct_parties_are_refused() {
    let folder = genius_folder(2, 3, 1);
    refused(&quick(&["analyze", path(&folder)]), &["only one profile (p1)", "at least two parties"]);
    let folder = genius_folder(2, 3, 2);
    refused(&quick(&["analyze", path(&folder), "--parties", "p1,p1"]), &["`p1` is named twice in --parties"]);
    // The same for a scenario (the bundled one): `--parties UA,UA` ran, and so did one party.
    refused(&quick(&["analyze", "--parties", "UA,UA"]), &["`UA` is named twice in --parties"]);
    refused(&quick(&["frontier", "--parties", "UA"]), &["--parties UA: a negotiation needs at least two parties"]);
}

// Regression: a session with no rational outcome printed "to Nash NaN".
#[test]
fn distances_to_missing_solutions_print_none() {
    let folder = genius_folder(2, 3, 1);
    // No outcome reaches this party's reservation value of 1 (its best is below 1).
    std::fs::write(folder.path().join("p2.xml"), profile(2, 3, 2, "1")).unwrap();
    let output = quick(&["simulate", path(&folder), "--agents", "boulware,conceder"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
    assert!(text.contains("to Nash none (no outcome is rational for every party)"), "{text}");
}

fn write_scenario(folder: &Path, name: &str, issues: &str, red_lines: &str) -> String {
    let text = format!(
        "[negotiation]\nid = \"hostile\"\ntitle = \"Hostile red lines\"\n\n[[parties]]\nid = \"A\"\nrole = \"principal\"\n\n\
         [[parties]]\nid = \"B\"\nrole = \"principal\"\n\n{issues}\n{red_lines}"
    );
    let file = folder.join(name);
    std::fs::write(&file, text).unwrap();
    file.display().to_string()
}

// Regression: red-line analysis of these tiny files ran for minutes and gigabytes (200 one-test red
// lines on one integer; two red lines over 24 yes-no issues).
#[test]
fn hostile_red_line_files_finish_within_seconds() {
    let folder = tempfile::tempdir().unwrap();
    let mut red_lines = String::new();
    for index in 0..200 {
        let party = if index % 2 == 0 { "A" } else { "B" };
        writeln!(red_lines, "[[red_lines]]\nid = \"r{index}\"\nparty = \"{party}\"\nexpr = \"x != {}\"\n", index * 3).unwrap();
    }
    let integer = "[[issues]]\nid = \"x\"\nkind = \"integer\"\nmin = 0\nmax = 1000\n";
    let one_integer = write_scenario(folder.path(), "integer.toml", integer, &red_lines);
    let mut issues = String::new();
    for index in 0..24 {
        writeln!(issues, "[[issues]]\nid = \"b{index}\"\nkind = \"yes-no\"\n").unwrap();
    }
    let pairs = |negated: &str| -> String {
        (0..12).map(|pair| format!("({negated}b{} or {negated}b{})", 2 * pair, 2 * pair + 1)).collect::<Vec<_>>().join(" and ")
    };
    let red_lines = format!(
        "[[red_lines]]\nid = \"a\"\nparty = \"A\"\nexpr = \"{}\"\n\n[[red_lines]]\nid = \"b\"\nparty = \"B\"\nexpr = \"{}\"\n",
        pairs(""),
        pairs("not ")
    );
    let yes_no = write_scenario(folder.path(), "yes-no.toml", &issues, &red_lines);
    for file in [one_integer, yes_no] {
        let output = quick(&["analyze", &file]);
        assert_eq!(output.status.code(), Some(0), "{file}:\n{}", stderr(&output));
        assert!(stdout(&output).contains("red lines hold together?"), "{}", stdout(&output));
    }
}

// Regression: a real issue over a range too wide to divide gave values NaN and inf ("a = inf" in
// the solutions, "a: NaN to inf" in descriptions).
#[test]
fn real_issue_too_wide_to_divide_is_a_located_error() {
    let folder = tempfile::tempdir().unwrap();
    let domain = "<negotiation_template><utility_space><objective index=\"0\" name=\"r\">\n\
        <issue index=\"1\" name=\"a\" type=\"real\"><range lowerbound=\"-1.7e308\" upperbound=\"1.7e308\"/></issue>\n\
        </objective></utility_space></negotiation_template>\n";
    std::fs::write(folder.path().join("domain.xml"), domain).unwrap();
    for party in ["x", "y"] {
        let profile = "<utility_space><objective index=\"0\" name=\"r\"><issue index=\"1\" name=\"a\" type=\"real\">\
            <evaluator ftype=\"linear\" parameter0=\"0.5\" parameter1=\"0\"/></issue><weight index=\"1\" value=\"1\"/>\
            </objective></utility_space>";
        std::fs::write(folder.path().join(format!("{party}.xml")), profile).unwrap();
    }
    let output = quick(&["analyze", path(&folder)]);
    refused(&output, &["domain.xml:2:1:", "real issue `a`: the range -1.7e308 to 1.7e308 is too wide to divide"]);
    assert!(!stderr(&output).contains("NaN"));
}

// Regression: `import --sign PARTY=/dev/zero` read the key file without end.
#[cfg(unix)]
#[test]
fn endless_key_file_is_refused_at_the_input_limit() {
    let folder = tempfile::tempdir().unwrap();
    let db = folder.path().join("parley.db");
    let scenario = common::scenario("ukraine-2025.toml");
    let output = quick(&["import", &scenario, "--db", db.to_str().unwrap(), "--sign", "UA=/dev/zero"]);
    refused(&output, &["--sign UA=/dev/zero: /dev/zero is larger than 268435456 bytes"]);
    // The same for the key and head-statement files of `head` and `verify --against`.
    let output = quick(&["head", "--db", db.to_str().unwrap(), "--sign", "UA=/dev/zero"]);
    refused(&output, &["/dev/zero is larger than 268435456 bytes"]);
    let output = quick(&["verify", "--db", db.to_str().unwrap(), "--against", "/dev/zero"]);
    refused(&output, &["/dev/zero is larger than 268435456 bytes"]);
}

// Regression: `simulate --rounds 4294967295` between two hard-liners ran for most of an hour,
// keeping every offer.
#[test]
fn rounds_beyond_the_limit_are_refused() {
    let folder = genius_folder(2, 3, 2);
    let output = quick(&["simulate", path(&folder), "--agents", "hardliner,hardliner", "--rounds", "4294967295"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--rounds"), "{}", stderr(&output));
    let output = quick(&["simulate", path(&folder), "--agents", "hardliner,hardliner", "--rounds", "100000"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn analyze_on_a_scenario_keeps_to_the_frontier_budget() {
    let file = common::scenario("dockworkers-2026.toml");
    let output = quick(&["analyze", &file, "--max-work", "1", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("raise --max-memory (MiB) or --max-work"), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(report["bargaining"].is_null(), "no frontier past the budget: {}", report["bargaining"]);
    // The default budget computes it.
    let output = quick(&["analyze", &file, "--json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(report["bargaining"]["frontier_size"].as_u64().is_some_and(|size| size > 0), "{}", report["bargaining"]);
}
