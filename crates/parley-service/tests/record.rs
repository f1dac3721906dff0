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

#[test]
fn the_log_a_viewer_sees_is_the_log_of_its_export() {
    use parley_service::LogView;
    let directory = tempfile::tempdir().unwrap();
    let whole = ukraine();
    let mut store = open_store(&directory.path().join("whole.db").display().to_string(), true).unwrap();
    import(&mut *store, &whole, None).unwrap();
    let events = store.events("ukraine-2025").unwrap();
    let everything = LogView::of(&mut *store, "ukraine-2025", &events, "all").unwrap();
    assert_eq!(everything.visible(&events, None).len(), events.len());
    for viewer in ["public", "UA"] {
        let log = LogView::of(&mut *store, "ukraine-2025", &events, viewer).unwrap();
        let shown: Vec<String> = log
            .redacted(&log.visible(&events, None))
            .iter()
            .map(|event| serde_json::to_string(&(event.kind, event.key, &event.payload)).unwrap())
            .collect();
        // The viewer's export, recorded on its own, logs the same entities with the same payloads.
        let exported = parley_core::visibility::view(&whole, log.viewer());
        let mut own = open_store(&directory.path().join(format!("{viewer}.db")).display().to_string(), true).unwrap();
        import(&mut *own, &exported, None).unwrap();
        let own_events = own.events("ukraine-2025").unwrap();
        let expected: Vec<String> = own_events
            .iter()
            .map(|event| serde_json::to_string(&(event.kind.as_str(), event.key.as_str(), &event.payload)).unwrap())
            .collect();
        assert!(shown.len() < events.len(), "{viewer} sees fewer events than the whole log");
        let mut shown_sorted = shown.clone();
        shown_sorted.sort();
        let mut expected_sorted = expected.clone();
        expected_sorted.sort();
        assert_eq!(shown_sorted, expected_sorted, "{viewer}");
    }
}
