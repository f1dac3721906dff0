//! A viewer's operations compute from its view alone: each answers as the viewer's own export
//! read back does.

use parley_service::{ServiceError, Source, open, view};

fn ukraine() -> parley_core::model::Negotiation {
    let path = format!("{}/../../scenarios/ukraine-2025.toml", env!("CARGO_MANIFEST_DIR"));
    open(&Source::File(path.into())).expect("the bundled scenario opens").negotiation
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap()
}

#[test]
fn every_viewer_is_told_what_its_export_tells_it() {
    for viewer in ["all", "public", "mediator", "UA", "RU"] {
        let viewed = view(ukraine(), viewer).unwrap();
        let export = parley_core::writer::to_toml(viewed.negotiation());
        let exported = parley_core::scenario::parse(&export).expect("a view reads back").negotiation;
        let reread = view(exported, "all").unwrap();
        assert_eq!(json(&viewed.status("now").unwrap()), json(&reread.status("now").unwrap()), "{viewer}");
        assert_eq!(json(&viewed.diff("start", "now").unwrap()), json(&reread.diff("start", "now").unwrap()), "{viewer}");
        assert_eq!(json(&viewed.claims(None)), json(&reread.claims(None)), "{viewer}");
    }
}

#[test]
fn a_window_that_ends_before_it_starts_is_bad_input() {
    let viewed = view(ukraine(), "public").unwrap();
    let error = viewed.diff("now", "start").expect_err("backwards");
    assert!(matches!(error, ServiceError::BadInput(_)), "{error:?}");
}

#[test]
fn claims_filtered_by_verdict_keep_only_that_verdict() {
    use parley_core::claims::Verdict;
    let viewed = view(ukraine(), "all").unwrap();
    let report = viewed.claims(Some(Verdict::Contradicted));
    // The 2025 record holds contradicted claims: an empty report would pass the checks below.
    assert!(!report.statements.is_empty(), "no contradicted claim kept");
    assert!(report.statements.iter().all(|statement| !statement.claims.is_empty()));
    assert!(report.statements.iter().flat_map(|statement| &statement.claims).all(|claim| claim.verdict == Verdict::Contradicted));
}
