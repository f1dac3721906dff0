//! Recording a negotiation and writing it back through the service.

use parley_service::{ServiceError, Source, choose, export, import, open, open_store};

fn ukraine() -> parley_core::model::Negotiation {
    let path = format!("{}/../../scenarios/ukraine-2025.toml", env!("CARGO_MANIFEST_DIR"));
    open(&Source::File(path.into())).expect("the bundled scenario opens").negotiation
}

#[test]
fn an_imported_record_exports_back_unchanged_and_a_second_import_appends_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let db = directory.path().join("parley.db").display().to_string();
    let negotiation = ukraine();
    let mut store = open_store(&db, true).unwrap();
    let first = import(&mut *store, &negotiation, None).unwrap();
    assert!(!first.appended.is_empty());
    assert_eq!(first.head, first.appended.last().unwrap().seq);
    let again = import(&mut *store, &negotiation, None).unwrap();
    assert!(again.appended.is_empty());
    assert_eq!(again.head, first.head);

    let id = choose(&mut *store, None).unwrap();
    let exported = export(&mut *store, &id, None, "all").unwrap();
    assert_eq!(exported.event, first.head);
    let read_back = parley_core::scenario::parse(&exported.text).expect("an export reads back").negotiation;
    assert_eq!(parley_core::writer::to_toml(&read_back), parley_core::writer::to_toml(&negotiation));

    // The database opened as a source answers as the file does.
    let recorded = open(&Source::Database { db, negotiation: None }).unwrap().negotiation;
    assert_eq!(parley_core::writer::to_toml(&recorded), parley_core::writer::to_toml(&negotiation));
}

#[test]
fn an_export_before_the_first_event_is_bad_input() {
    let directory = tempfile::tempdir().unwrap();
    let db = directory.path().join("parley.db").display().to_string();
    let mut store = open_store(&db, true).unwrap();
    import(&mut *store, &ukraine(), None).unwrap();
    let error = export(&mut *store, "ukraine-2025", Some(0), "all").expect_err("event 0 does not exist");
    assert!(matches!(error, ServiceError::BadInput(_)), "{error:?}");
    assert!(error.to_string().starts_with("--up-to 0: `ukraine-2025` has events #1 to #"), "{error}");
}

#[test]
fn a_freshly_imported_log_verifies() {
    let directory = tempfile::tempdir().unwrap();
    let db = directory.path().join("parley.db").display().to_string();
    let mut store = open_store(&db, true).unwrap();
    let imported = import(&mut *store, &ukraine(), None).unwrap();
    let reports = parley_service::verify(&mut *store, None).unwrap();
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert!(report.ok, "{report:?}");
    assert_eq!(report.negotiation, "ukraine-2025");
    assert_eq!(report.events as u64, imported.head);
    assert_eq!(report.head.as_deref(), Some(imported.appended.last().unwrap().hash.as_str()));
}
