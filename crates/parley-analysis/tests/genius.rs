//! GENIUS files: the whole shared corpus, agreement with NegMAS where its semantics equal
//! GENIUS's, round trips, and bad input.
//!
//! The corpus lives in the shared data folder beside the repository (`../shared/data`); where it is
//! absent the corpus tests print a notice and check nothing else.

use std::path::{Path, PathBuf};

use parley_analysis::frontier::{FrontierError, FrontierOptions, frontier};
use parley_analysis::genius::{GeniusFile, LoadOptions, Loaded, load, load_folder};
use parley_analysis::solutions::solve;

fn data() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if path.is_dir() {
        Some(path)
    } else {
        eprintln!("notice: {} is absent; skipping the corpus checks", path.display());
        None
    }
}

fn read_folder(folder: &Path) -> Vec<GeniusFile> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|extension| extension == "xml") {
            files.push(GeniusFile::new(path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
    files
}

fn load_dir(folder: &Path) -> Result<Loaded, parley_analysis::genius::GeniusError> {
    load_folder(&folder.display().to_string(), read_folder(folder), None, &LoadOptions::default())
}

fn folders(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(directory) = stack.pop() {
        let mut has_xml = false;
        for entry in std::fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|extension| extension == "xml") {
                has_xml = true;
            }
        }
        if has_xml {
            found.push(directory);
        }
    }
    found.sort();
    found
}

#[test]
fn every_corpus_folder_loads_or_names_what_is_wrong() {
    let Some(data) = data() else { return };
    let folders = folders(&data.join("genius"));
    assert_eq!(folders.len(), 178, "the corpus has 178 domain folders");
    let mut broken = Vec::new();
    for folder in &folders {
        match load_dir(folder) {
            Ok(loaded) => {
                assert!(!loaded.problem.parties.is_empty(), "{}", folder.display());
                assert!(!loaded.problem.space.issues.is_empty(), "{}", folder.display());
            }
            Err(error) => broken.push((folder.file_name().unwrap().to_string_lossy().into_owned(), error)),
        }
    }
    // LaptopConv's second profile describes an issue of values its domain does not have, and
    // laptopdomainNoBayes holds one profile, which is no negotiation. (ItexvsCypress gives Cypress a
    // reservation value below 0: it loads, with a located warning.)
    broken.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<&str> = broken.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["LaptopConv", "laptopdomainNoBayes"], "{broken:#?}");
    let itex = folders.iter().find(|folder| folder.ends_with("ItexvsCypress")).expect("ItexvsCypress");
    let loaded = load_dir(itex).expect("ItexvsCypress loads");
    assert!(
        loaded.warnings.iter().any(|warning| warning.contains("Cypress.xml") && warning.contains("reservation value -0.0355")),
        "{:?}",
        loaded.warnings
    );
    let (_, error) = &broken[0];
    assert!(error.file.ends_with("Laptop-C-prof2.xml"), "{error}");
    assert!(error.line.is_some());
    assert!(error.message.contains("issue `Laptop`"), "{error}");
    let (_, error) = &broken[1];
    assert!(error.message.contains("only one profile"), "{error}");
}

#[test]
fn non_one_based_issue_indices_work() {
    let Some(data) = data() else { return };
    // FitnessA numbers its issues from 2.
    let loaded = load_dir(&data.join("genius/scenarios/anac/y2012/FitnessA")).unwrap();
    let frontier = frontier(&loaded.problem, &FrontierOptions::default()).unwrap();
    assert!(!frontier.points.is_empty());
    // Five issues (NegMAS's lenient loader inserts a sixth, dummy one) and 3520 outcomes.
    assert_eq!(loaded.problem.space.issues.len(), 5);
    assert_eq!(loaded.problem.space.count().to_string(), "3520");
}

#[test]
fn huge_nonlinear_domains_are_refused_with_an_estimate() {
    let Some(data) = data() else { return };
    let loaded = load_dir(&data.join("genius/scenarios/other/S-1NAGUNL-255")).unwrap();
    assert_eq!(loaded.problem.space.count().to_string(), format!("1{}", "0".repeat(50)));
    match frontier(&loaded.problem, &FrontierOptions::default()) {
        Err(FrontierError::TooManyOutcomes { outcomes, .. }) => assert!(outcomes > 9.9e49),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// NegMAS 0.16.0's values (`shared/data/negmas-baseline.md`) on domains NegMAS wrote itself, where
/// its semantics equal GENIUS's. Columns: Nash, egalitarian (NegMAS's `kalai_points`),
/// Kalai–Smorodinsky, utilitarian, and NegMAS's frontier size (rational outcomes only).
#[allow(clippy::type_complexity)]
const NEGMAS: &[(&str, &[f64], &[f64], &[f64], &[f64], usize)] = &[
    ("gen2p_1e3", &[0.9972, 0.9825], &[0.9972, 0.9825], &[0.9972, 0.9825], &[0.9972, 0.9825], 7),
    ("gen2p_1e4", &[0.9296, 0.9372], &[0.9296, 0.9372], &[0.9296, 0.9372], &[0.8728, 1.0], 7),
    ("gen2p_1e5", &[0.8773, 0.8961], &[0.9193, 0.7681], &[0.8834, 0.8814], &[0.8773, 0.8961], 18),
    ("gen2p_1e6", &[0.9023, 0.8271], &[0.8611, 0.8544], &[0.8611, 0.8544], &[0.7759, 0.9672], 32),
    ("gen3p_1e3", &[0.8257, 0.8155, 0.774], &[0.811, 0.758, 0.8306], &[0.811, 0.758, 0.8306], &[0.8257, 0.8155, 0.774], 76),
    ("gen3p_1e4", &[0.8312, 0.9326, 0.7598], &[0.9592, 0.7745, 0.7007], &[0.8429, 0.7184, 0.7782], &[0.8312, 0.9326, 0.7598], 68),
    ("gen3p_1e5", &[0.921, 0.7411, 0.8412], &[0.8483, 0.8123, 0.8247], &[0.8483, 0.8123, 0.8247], &[0.921, 0.7411, 0.8412], 87),
    ("gen3p_1e6", &[0.934, 0.8013, 0.8914], &[0.8188, 0.7249, 0.9469], &[0.8412, 0.8227, 0.8891], &[0.934, 0.8013, 0.8914], 277),
];

fn close(found: &[f64], expected: &[f64]) -> bool {
    // The baseline prints four significant digits.
    found.len() == expected.len() && found.iter().zip(expected).all(|(a, b)| (a - b).abs() <= 6e-5 * b.abs().max(1.0))
}

#[test]
fn agrees_with_negmas_where_the_semantics_agree() {
    // NegMAS's own domains are small and kept in the repository, so this always runs.
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/negmas-generated");
    for &(name, nash, egalitarian, kalai_smorodinsky, utilitarian, frontier_size) in NEGMAS {
        let loaded = load_dir(&data.join(name)).unwrap();
        let frontier = frontier(&loaded.problem, &FrontierOptions::default()).unwrap();
        let solutions = solve(&frontier, &loaded.problem.reservations());
        let utilities = |point: &Option<parley_analysis::frontier::Point>| point.as_ref().unwrap().utilities.clone();
        assert!(close(&utilities(&solutions.nash), nash), "{name} nash {:?}", utilities(&solutions.nash));
        assert!(close(&utilities(&solutions.egalitarian), egalitarian), "{name} egalitarian");
        assert!(close(&utilities(&solutions.utilitarian), utilitarian), "{name} utilitarian");
        // NegMAS minimises the spread of relative gains instead of maximising the smallest one; with
        // two parties both pick the same point, with three they may not (docs/analysis.md).
        if nash.len() == 2 {
            assert!(close(&utilities(&solutions.kalai_smorodinsky), kalai_smorodinsky), "{name} kalai-smorodinsky");
        }
        // NegMAS's frontier holds rational outcomes only.
        assert_eq!(solutions.rational_frontier_points, frontier_size, "{name} frontier size");
    }
}

fn domain(issues: &str) -> GeniusFile {
    GeniusFile::new(
        "domain.xml",
        format!(
            "<negotiation_template><utility_space><objective index=\"0\" name=\"o\">{issues}</objective></utility_space></negotiation_template>"
        ),
    )
}

const TWO_ISSUES: &str = r#"<issue index="1" name="colour" type="discrete"><item index="1" value="red"/><item index="2" value="blue"/></issue>
<issue index="2" name="size" type="integer" lowerbound="1" upperbound="3"/>"#;

fn profile(body: &str) -> GeniusFile {
    GeniusFile::new("profile.xml", format!("<utility_space>\n<objective index=\"0\" name=\"o\">\n{body}\n</objective>\n</utility_space>"))
}

const GOOD_BODY: &str = r#"<issue index="1" name="colour" type="discrete"><item value="red" evaluation="4"/><item value="blue" evaluation="8"/></issue>
<issue index="2" name="size" type="integer"><evaluator ftype="linear" offset="0.2" slope="0.5"/></issue>
<weight index="1" value="0.6"/><weight index="2" value="0.4"/>"#;

#[test]
fn genius_semantics_of_evaluations() {
    let loaded = load(&domain(TWO_ISSUES), &[profile(GOOD_BODY)], &LoadOptions::default()).unwrap();
    let party = &loaded.problem.parties[0];
    // Discrete: round(e)/round(max e) = 4/8, 8/8. Integer: clip(0.2 + 0.5·(x − 1)) = 0.2, 0.7, 1.0.
    let utility = |outcome: &[u32]| party.utility.evaluate(outcome);
    assert_eq!(utility(&[0, 0]), 0.6 * 0.5 + 0.4 * 0.2);
    assert_eq!(utility(&[1, 2]), 0.6 * 1.0 + 0.4 * 1.0);
    assert_eq!(utility(&[1, 1]), 0.6 * 1.0 + 0.4 * 0.7);
}

#[test]
fn bad_input_is_named_with_file_and_line() {
    let cases: &[(&str, &str)] = &[
        (r#"<issue index="1" name="colour"><item value="red" evaluation="4"/>"#, "malformed XML"),
        (&GOOD_BODY.replace("<weight index=\"2\" value=\"0.4\"/>", ""), "issue 2 `size` has no <weight>"),
        (&GOOD_BODY.replace("value=\"0.4\"", "value=\"-0.4\""), "weight of issue 2 is negative"),
        (&GOOD_BODY.replace("evaluation=\"8\"", "evaluation=\"NaN\""), "is not a finite number"),
        (&GOOD_BODY.replace("evaluation=\"8\"", "evaluation=\"inf\""), "is not a finite number"),
        (&GOOD_BODY.replace("evaluation=\"8\"", "evaluation=\"-8\""), "negative evaluation"),
        (&GOOD_BODY.replace("value=\"blue\"", "value=\"green\""), "issue `colour` has no value `green` in the domain"),
        (&GOOD_BODY.replace("index=\"2\" name=\"size\"", "index=\"7\" name=\"weight\""), "issue 7 `weight` is not in the domain"),
        (&GOOD_BODY.replace("0.6", "0").replace("0.4", "0"), "every outcome has utility 0"),
    ];
    for (body, message) in cases {
        let error = load(&domain(TWO_ISSUES), &[profile(body)], &LoadOptions::default()).expect_err(message);
        assert_eq!(error.file, "profile.xml", "{message}");
        assert!(error.line.is_some(), "{message}: {error}");
        assert!(error.to_string().contains(message), "expected `{message}` in `{error}`");
    }
    let absurd = domain(r#"<issue index="1" name="n" type="integer" lowerbound="0" upperbound="999999999999"/>"#);
    let error = load(&absurd, &[], &LoadOptions::default()).unwrap_err();
    assert!(error.message.contains("too large to analyse"), "{error}");
    let empty = GeniusFile::new("empty.xml", "");
    assert!(load(&empty, &[], &LoadOptions::default()).unwrap_err().message.contains("no root element"));
}

#[test]
fn export_round_trips_every_additive_corpus_domain() {
    use parley_analysis::genius::export;
    use parley_analysis::plot::sample_utilities;
    let Some(data) = data() else { return };
    let mut checked = 0;
    for folder in folders(&data.join("genius")) {
        let Ok(loaded) = load_dir(&folder) else { continue };
        if !loaded.problem.is_additive() {
            continue;
        }
        let exported = export(&loaded.problem, &loaded.domain_name).unwrap();
        let domain = GeniusFile::new("exported-domain.xml", exported.domain);
        let profiles: Vec<GeniusFile> =
            exported.profiles.into_iter().map(|(name, text)| GeniusFile::new(format!("{name}.xml"), text)).collect();
        let again = load(&domain, &profiles, &LoadOptions::default()).unwrap_or_else(|error| panic!("{}: {error}", folder.display()));
        assert_eq!(again.problem.space.count(), loaded.problem.space.count(), "{}", folder.display());
        let before = sample_utilities(&loaded.problem, 300);
        let after = sample_utilities(&again.problem, 300);
        for (a, b) in before.iter().zip(&after) {
            for (x, y) in a.iter().zip(b) {
                assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{}: {x} became {y}", folder.display());
            }
        }
        assert_eq!(again.problem.reservations(), loaded.problem.reservations(), "{}", folder.display());
        checked += 1;
    }
    assert!(checked > 100, "round-tripped {checked} domains");
}
