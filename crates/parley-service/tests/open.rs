//! Opening negotiations and resolving viewers through the service, as any front end does.

use parley_core::visibility::Viewer;
use parley_service::{ServiceError, Source, as_of, open, viewer};

fn scenario(name: &str) -> Source {
    Source::File(format!("{}/../../scenarios/{name}", env!("CARGO_MANIFEST_DIR")).into())
}

#[test]
fn a_file_and_its_text_open_to_the_same_record() {
    let from_file = open(&scenario("ukraine-2025.toml")).expect("the bundled scenario opens");
    let text = std::fs::read_to_string(format!("{}/../../scenarios/ukraine-2025.toml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let from_text = open(&Source::Text { name: "body".to_owned(), text }).expect("its text opens");
    assert_eq!(parley_core::writer::to_toml(&from_file.negotiation), parley_core::writer::to_toml(&from_text.negotiation));
    assert_eq!(from_text.name, "body");
}

#[test]
fn a_broken_scenario_is_bad_input_with_every_problem() {
    let source = Source::Text { name: "broken.toml".to_owned(), text: "[negotiation]\nid = 3\n".to_owned() };
    let error = open(&source).expect_err("it does not parse");
    assert!(error.is_bad_input());
    let ServiceError::Invalid { name, problems } = &error else { panic!("not Invalid: {error:?}") };
    assert_eq!(name, "broken.toml");
    assert!(!problems.is_empty());
    assert!(error.to_string().starts_with("broken.toml: "), "{error}");
    assert!(error.to_string().ends_with("found; nothing was computed"), "{error}");
}

#[test]
fn a_missing_file_is_bad_input() {
    let error = open(&Source::File("/nonexistent/parley.toml".into())).expect_err("no such file");
    assert!(error.is_bad_input());
    assert!(error.to_string().starts_with("cannot read /nonexistent/parley.toml: "), "{error}");
}

#[test]
fn viewers_resolve_keywords_and_parties_and_name_the_parties_when_unknown() {
    let negotiation = open(&scenario("ukraine-2025.toml")).unwrap().negotiation;
    assert_eq!(viewer(&negotiation, "all").unwrap(), Viewer::Everything);
    assert_eq!(viewer(&negotiation, "public").unwrap(), Viewer::Public);
    assert_eq!(viewer(&negotiation, "UA").unwrap(), Viewer::Party("UA".to_owned()));
    let error = viewer(&negotiation, "XX").expect_err("no such party");
    assert!(error.is_bad_input());
    assert!(error.to_string().starts_with("unknown viewer `XX` (expected all, public, mediator or a party: US, "), "{error}");
}

#[test]
fn an_unknown_round_names_the_argument() {
    let negotiation = open(&scenario("ukraine-2025.toml")).unwrap().negotiation;
    assert!(as_of(&negotiation, "now").is_ok());
    let error = as_of(&negotiation, "no-such-round").expect_err("no such round");
    assert!(error.is_bad_input());
    assert!(error.to_string().starts_with("--as-of: "), "{error}");
}

#[test]
fn a_bloc_is_not_a_viewer_its_members_are() {
    let path = format!("{}/../parley-cli/tests/cases/blocs.toml", env!("CARGO_MANIFEST_DIR"));
    let negotiation = open(&Source::File(path.into())).unwrap().negotiation;
    assert_eq!(viewer(&negotiation, "CN").unwrap(), Viewer::Party("CN".to_owned()));
    let error = viewer(&negotiation, "G77").expect_err("a bloc sees through its members");
    assert!(error.is_bad_input());
    assert!(error.to_string().starts_with("unknown viewer `G77`"), "{error}");
}
