//! Bounded mutation fuzzing of every parser, on stable Rust: scenario files, red-line expressions,
//! GENIUS XML and stored events. Each target mutates its seeds (the bundled scenarios, the
//! snapshot cases and malformed fixtures, the red lines they hold, the GENIUS test domains, the
//! events of an import) for a fixed time — `PARLEY_FUZZ_SECONDS` per target, 2 by default, more in
//! `.ci/run` — and requires that no input panics and that every input is answered quickly. The
//! random stream is seeded (`PARLEY_FUZZ_SEED`, 1 by default) so that a failure can be replayed;
//! the failing input is printed.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use parley_analysis::genius::{GeniusFile, LoadOptions};
use parley_core::expr::Expr;
use parley_store::event::{Folder, Op, Payload};

/// Longest any single input may take (a generous bound for a loaded machine in a debug build).
const PER_INPUT: Duration = Duration::from_secs(5);

/// The seeded stream the simulations use (SplitMix64), for picking mutations.
struct Stream(parley_sim::rng::Rng);

impl Stream {
    fn below(&mut self, bound: usize) -> usize {
        self.0.below(bound.max(1) as u64) as usize
    }
}

/// Tokens that tend to reach corners of the parsers.
const TOKENS: &[&str] = &[
    "[[",
    "]]",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "'",
    "'''",
    "\"\"\"",
    "=",
    ",",
    "\n",
    "\r\n",
    "\\",
    "\\u0000",
    "#",
    ".",
    "-1",
    "0",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "1e309",
    "-1e309",
    "nan",
    "inf",
    "1.5",
    "2025-13-45",
    "2025-02-30",
    "2013-03",
    "2013",
    "1979-05-27T07:32:00Z",
    "true",
    "false",
    "and",
    "or",
    "not",
    "implies",
    "in",
    "subset",
    "superset",
    "==",
    "!=",
    "<=",
    ">=",
    "<",
    ">",
    "(",
    ")",
    "<utility_space>",
    "</utility_space>",
    "<issue",
    "/>",
    "&amp;",
    "&#0;",
    "<![CDATA[",
    "]]>",
    "<?xml version=\"1.0\"?>",
    "value=\"",
    "index=\"",
    "weight",
    "evaluator",
    "\u{1b}[2J",
    "\u{202e}",
    "🕊",
];

/// One mutation of `input`, sometimes spliced with `other`.
fn mutate(stream: &mut Stream, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + stream.below(4) {
        let at = stream.below(out.len() + 1);
        match stream.below(6) {
            0 if !out.is_empty() => {
                let index = stream.below(out.len());
                out[index] ^= 1 << stream.below(8);
            }
            1 if !out.is_empty() => {
                let end = (at + 1 + stream.below(16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            2 if !out.is_empty() => {
                let start = stream.below(out.len());
                let end = (start + 1 + stream.below(64)).min(out.len());
                let copy = out[start..end].to_vec();
                out.splice(at..at, copy);
            }
            3 if !other.is_empty() => {
                let start = stream.below(other.len());
                let end = (start + 1 + stream.below(256)).min(other.len());
                out.splice(at..at, other[start..end].iter().copied());
            }
            _ => {
                let token = TOKENS[stream.below(TOKENS.len())];
                out.splice(at..at, token.bytes());
            }
        }
    }
    out
}

/// Runs `target` on mutations of `seeds` for the time budget; panics (naming the input) on a
/// panic or a slow input.
fn fuzz(name: &str, seeds: &[Vec<u8>], target: &dyn Fn(&[u8])) {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let seconds: u64 = std::env::var("PARLEY_FUZZ_SECONDS").ok().and_then(|text| text.parse().ok()).unwrap_or(2);
    let seed: u64 = std::env::var("PARLEY_FUZZ_SEED").ok().and_then(|text| text.parse().ok()).unwrap_or(1);
    let mut stream =
        Stream(parley_sim::rng::Rng::new(seed ^ name.bytes().fold(0u64, |hash, byte| hash.wrapping_mul(31).wrapping_add(u64::from(byte)))));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    // Every seed as it is, then mutations until the time is up.
    let mut inputs: Vec<Vec<u8>> = seeds.to_vec();
    while Instant::now() < deadline || !inputs.is_empty() {
        let input = match inputs.pop() {
            Some(input) => input,
            None => {
                let base = &seeds[stream.below(seeds.len())];
                let other = &seeds[stream.below(seeds.len())];
                mutate(&mut stream, base, other)
            }
        };
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| target(&input)));
        let took = started.elapsed();
        let shown = String::from_utf8_lossy(&input);
        assert!(outcome.is_ok(), "{name}: input #{runs} panics (seed {seed}):\n{shown}");
        assert!(took < PER_INPUT, "{name}: input #{runs} took {took:?} (seed {seed}):\n{shown}");
        runs += 1;
    }
    let notice = format!("fuzz {name}: {runs} inputs in {seconds} s, no panic, none slower than {PER_INPUT:?}\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
}

/// Every `.toml` under the directories given.
fn toml_files(directories: &[&Path]) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    for directory in directories {
        let mut entries: Vec<_> = std::fs::read_dir(directory).unwrap().map(|entry| entry.unwrap().path()).collect();
        entries.sort();
        files.extend(
            entries
                .into_iter()
                .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
                .map(|path| std::fs::read(path).unwrap()),
        );
    }
    files
}

fn case_directories() -> Vec<std::path::PathBuf> {
    let root = common::workspace_root();
    vec![root.join("scenarios"), root.join("crates/parley-cli/tests/cases"), root.join("crates/parley-cli/tests/malformed")]
}

#[test]
fn scenario_reader_survives_mutated_files() {
    let directories = case_directories();
    let seeds = toml_files(&directories.iter().map(|path| path.as_path()).collect::<Vec<_>>());
    fuzz("scenario", &seeds, &|input| {
        let text = String::from_utf8_lossy(input);
        if let Ok(loaded) = parley_core::scenario::parse(&text) {
            // What reads must also write and answer.
            let written = parley_core::writer::to_toml(&loaded.negotiation);
            assert!(parley_core::scenario::parse(&written).is_ok(), "what reads does not read back once written:\n{written}");
            let record = parley_core::status::Record::new(&loaded.negotiation);
            let _ = record.status(&parley_core::timeline::Point::now());
        }
    });
}

#[test]
fn red_line_parser_survives_mutated_expressions() {
    let directories = case_directories();
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    for file in toml_files(&directories.iter().map(|path| path.as_path()).collect::<Vec<_>>()) {
        if let Ok(loaded) = parley_core::scenario::parse(&String::from_utf8_lossy(&file)) {
            seeds.extend(loaded.negotiation.red_lines.iter().map(|red_line| red_line.expression.clone().into_bytes()));
        }
    }
    fuzz("red-line", &seeds, &|input| {
        if let Ok(expr) = Expr::parse(&String::from_utf8_lossy(input)) {
            let _ = expr.to_string();
            let _ = expr.evaluate(&|_| None);
        }
    });
}

#[test]
fn genius_reader_survives_mutated_domains() {
    let root = common::workspace_root().join("testdata/negmas-generated");
    let mut domains: Vec<Vec<(String, Vec<u8>)>> = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&root).unwrap().map(|entry| entry.unwrap().path()).collect();
    entries.sort();
    for folder in entries.into_iter().filter(|path| path.is_dir()) {
        let mut files: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|entry| entry.unwrap().path()).collect();
        files.sort();
        // The small domains only: a mutation of a million-outcome domain is slow to analyse, not wrong.
        if folder.ends_with("gen2p_1e3") || folder.ends_with("gen3p_1e3") {
            domains.push(files.iter().map(|path| (path.display().to_string(), std::fs::read(path).unwrap())).collect());
        }
    }
    // Seeds: each file of each domain; the target mutates one file of its domain at a time.
    let seeds: Vec<Vec<u8>> = domains.iter().flatten().map(|(_, text)| text.clone()).collect();
    let domains = &domains;
    fuzz("genius", &seeds, &|input| {
        // Put the mutated text in place of the file it most resembles (by length), in its domain.
        let (domain, slot) = domains
            .iter()
            .enumerate()
            .flat_map(|(domain, files)| files.iter().enumerate().map(move |(slot, (_, text))| (domain, slot, text.len())))
            .min_by_key(|(_, _, length)| length.abs_diff(input.len()))
            .map(|(domain, slot, _)| (domain, slot))
            .unwrap();
        let files: Vec<GeniusFile> = domains[domain]
            .iter()
            .enumerate()
            .map(|(index, (name, text))| {
                let text = if index == slot { input } else { text.as_slice() };
                GeniusFile::new(name.clone(), String::from_utf8_lossy(text).into_owned())
            })
            .collect();
        if let Ok(loaded) = parley_analysis::genius::load_folder("fuzz", files, None, &LoadOptions::default()) {
            let _ = parley_analysis::frontier::frontier(&loaded.problem, &parley_analysis::frontier::FrontierOptions::default());
        }
    });
}

#[test]
fn fold_survives_mutated_stored_events() {
    let text = std::fs::read_to_string(common::workspace_root().join("scenarios/iran-nuclear-2013-2016.toml")).unwrap();
    let negotiation = parley_core::scenario::parse(&text).unwrap().negotiation;
    let events = parley_store::event::changes(None, &negotiation);
    let seeds: Vec<Vec<u8>> =
        events.iter().map(|event| format!("{}\u{0}{}\u{0}{}", event.kind, event.key, event.payload).into_bytes()).collect();
    let events = &events;
    fuzz("stored-events", &seeds, &|input| {
        // A tampered event among the genuine ones: kind, key and payload text as a row holds them.
        let text = String::from_utf8_lossy(input);
        let mut parts = text.splitn(3, '\u{0}');
        let (kind, key, payload) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let mut folder = Folder::new();
        for (index, event) in events.iter().enumerate() {
            let _ = folder.apply(index as u64 + 1, &event.kind, &event.key, event.op, Payload::Json(&event.payload));
        }
        let _ = folder.apply(events.len() as u64 + 1, kind, key, Op::Upsert, Payload::Text(payload));
        if let Ok(Some(folded)) = folder.finish() {
            let _ = parley_core::writer::to_toml(&folded);
        }
    });
}
