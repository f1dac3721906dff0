//! Writing a negotiation as a scenario file and reading it back gives the same record: for the
//! bundled scenarios, and for them with every free text and real replaced by arbitrary ones and
//! arbitrary revisions withdrawing values, with or without the items split between documents, and
//! with or without readouts and stances on them, and with or without phases, schedules of
//! values, red lines scoped to phases and claims about a phase.

use parley_core::date::Date;
use parley_core::document::{Document, DocumentEvent, DocumentKind, DocumentState};
use parley_core::model::{ClaimKind, Moment, Negotiation, Position, Stance, Valuation, Visibility};
use parley_core::readout::Readout;
use parley_core::scenario;
use parley_core::writer::to_toml;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const SCENARIOS: [(&str, &str); 9] = [
    ("ukraine-2025.toml", include_str!("../../../scenarios/ukraine-2025.toml")),
    ("dockworkers-2026.toml", include_str!("../../../scenarios/dockworkers-2026.toml")),
    ("iran-nuclear-2013-2016.toml", include_str!("../../../scenarios/iran-nuclear-2013-2016.toml")),
    // Month and year dates, a round held over several days.
    ("dates.toml", include_str!("../../parley-cli/tests/cases/dates.toml")),
    // Deadlines, extended, stated met or judged by their item.
    ("deadlines.toml", include_str!("../../parley-cli/tests/cases/deadlines.toml")),
    // A host, members' bodies, statements attributed to members.
    ("parties.toml", include_str!("../../parley-cli/tests/cases/parties.toml")),
    // Blocs holding stances and red lines, bloc visibility.
    ("blocs.toml", include_str!("../../parley-cli/tests/cases/blocs.toml")),
    // Secret rounds, hidden items and statements.
    ("channels.toml", include_str!("../../parley-cli/tests/cases/channels.toml")),
    // Obligations with due dates.
    ("implementation.toml", include_str!("../../parley-cli/tests/cases/implementation.toml")),
];

fn parse(name: &str, text: &str) -> Negotiation {
    match scenario::parse(text) {
        Ok(loaded) => loaded.negotiation,
        Err(problems) => {
            let rendered: Vec<String> = problems.iter().map(|problem| problem.render(name)).collect();
            panic!("{name} does not parse:\n{}\n--- text ---\n{text}", rendered.join("\n"))
        }
    }
}

/// The whole record as JSON, the one notion of equality every model type supports.
fn json(negotiation: &Negotiation) -> serde_json::Value {
    serde_json::to_value(negotiation).unwrap()
}

fn assert_round_trips(name: &str, negotiation: &Negotiation) -> Result<(), TestCaseError> {
    let written = to_toml(negotiation);
    let again = parse(name, &written);
    prop_assert_eq!(json(&again), json(negotiation), "{} changed on the way through:\n{}", name, written);
    // Writing is a fixpoint: the text of the text is the text.
    prop_assert_eq!(to_toml(&again), written);
    Ok(())
}

#[test]
fn bundled_scenarios_read_back_unchanged() {
    for (name, text) in SCENARIOS {
        let negotiation = parse(name, text);
        assert_round_trips(name, &negotiation).unwrap();
    }
}

/// Text with everything TOML makes awkward: quotes, backslashes, line breaks of both kinds,
/// control characters, triple quotes, non-ASCII, and the empty string.
fn awkward_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        Just(String::new()),
        Just("\"\"\" inside ''' and \\ and \\n".to_owned()),
        Just("line one\r\nline two\nline three\n".to_owned()),
        Just("tab\there, bell\u{7}, nul\u{0}, del\u{7f}, ü, 北京, 🕊".to_owned()),
        "[ -~\n\t]{0,40}",
    ]
}

/// Overwrites every free-text field (in order) with the next of `texts`, cycling.
fn retext(negotiation: &mut Negotiation, texts: &[String]) {
    let mut next = {
        let mut index = 0;
        move || {
            index += 1;
            texts[index % texts.len()].clone()
        }
    };
    negotiation.description = next();
    for party in &mut negotiation.parties {
        party.name = next();
        party.description = next();
        for member in &mut party.members {
            member.title = next();
            member.body = next();
        }
    }
    for bloc in &mut negotiation.blocs {
        bloc.name = next();
        bloc.description = next();
    }
    for issue in &mut negotiation.issues {
        issue.name = next();
        issue.description = next();
    }
    for round in &mut negotiation.rounds {
        round.title = next();
        round.venue = next();
        round.summary = next();
    }
    for item in &mut negotiation.items {
        item.topic = next();
        item.text = next();
        for revision in &mut item.revisions {
            revision.text = Some(next());
            revision.note = next();
            revision.source = next();
        }
    }
    for stance in &mut negotiation.stances {
        let stance = std::sync::Arc::make_mut(stance);
        stance.source = next();
        stance.note = next();
    }
    for red_line in &mut negotiation.red_lines {
        red_line.description = next();
        red_line.source = next();
    }
    for statement in &mut negotiation.statements {
        statement.venue = next();
        statement.outlet = next();
        statement.source = next();
        for claim in &mut statement.claims {
            claim.note = next();
        }
    }
    for deadline in &mut negotiation.deadlines {
        deadline.title = next();
        deadline.purpose = next();
        deadline.source = next();
        for extension in &mut deadline.extensions {
            extension.reason = next();
        }
    }
}

/// Overwrites every weight, evaluation and reservation with the next of `reals`, cycling.
fn rereal(negotiation: &mut Negotiation, reals: &[f64]) {
    let mut index = 0;
    let mut next = move || {
        index += 1;
        reals[index % reals.len()]
    };
    for preference in &mut negotiation.preferences {
        preference.reservation = next();
        for issue in &mut preference.issues {
            issue.weight = next();
            match &mut issue.valuation {
                Valuation::Linear { .. } => {}
                Valuation::Table { values } => values.iter_mut().for_each(|(_, score)| *score = next()),
                Valuation::Elements { elements, .. } => elements.iter_mut().for_each(|(_, amount)| *amount = next()),
            }
        }
    }
}

/// Makes the revisions picked by `flags` (cycling) withdraw every issue their item settles and
/// they do not propose.
fn withdraw(negotiation: &mut Negotiation, flags: &[bool]) {
    let mut index = 0;
    for item in &mut negotiation.items {
        for revision in &mut item.revisions {
            index += 1;
            if flags[index % flags.len()] {
                revision.withdraws = item
                    .settles
                    .iter()
                    .filter(|issue| !revision.proposes.iter().any(|(proposed, _)| proposed == *issue))
                    .cloned()
                    .collect();
            }
        }
    }
}

/// Splits the items between two documents (every other item to the second), with lifecycles,
/// links, and every stance and claim pointing at its item's document.
fn split_into_documents(negotiation: &mut Negotiation, note: &str) {
    let date = |day| Moment::Date(Date::new(2020, 1, day).unwrap());
    let event =
        |state, day, until: Option<Date>| DocumentEvent { state, at: date(day), until, note: note.to_owned(), source: String::new() };
    negotiation.documents = vec![
        Document {
            id: "interim".to_owned(),
            title: "Interim".to_owned(),
            kind: DocumentKind::Interim,
            supersedes: None,
            implements: None,
            description: note.to_owned(),
            events: vec![
                event(DocumentState::Agreed, 1, None),
                event(DocumentState::InForce, 2, None),
                event(DocumentState::Extended, 3, Some(Date::new(2021, 1, 1).unwrap())),
                event(DocumentState::Superseded, 20, None),
            ],
        },
        Document {
            id: "final".to_owned(),
            title: "Final".to_owned(),
            kind: DocumentKind::SideLetter,
            supersedes: Some("interim".to_owned()),
            implements: Some("interim".to_owned()),
            description: String::new(),
            events: vec![event(DocumentState::Draft, 4, None), event(DocumentState::Rejected, 5, None)],
        },
    ];
    let document_of = |number: u32| if number % 2 == 1 { "interim".to_owned() } else { "final".to_owned() };
    for item in &mut negotiation.items {
        item.document = document_of(item.number);
    }
    negotiation.items.sort_by_key(|item| (item.number % 2 == 0, item.number));
    for stance in &mut negotiation.stances {
        let stance = std::sync::Arc::make_mut(stance);
        stance.document = document_of(stance.item);
    }
    // An obligation's items belong to one document: those of its first item's.
    for obligation in &mut negotiation.obligations {
        if let Some(&first) = obligation.items.first() {
            obligation.document = document_of(first);
            obligation.items.retain(|&number| document_of(number) == document_of(first));
        }
    }
    for deadline in &mut negotiation.deadlines {
        if let Some(item) = deadline.item {
            deadline.document = document_of(item);
        }
    }
    for statement in &mut negotiation.statements {
        for claim in &mut statement.claims {
            match &mut claim.kind {
                ClaimKind::ItemAgreed { item, document, .. } | ClaimKind::Stance { item, document, .. } => *document = document_of(*item),
                ClaimKind::Accepts { document, .. } => *document = "final".to_owned(),
                _ => {}
            }
        }
    }
}

/// Gives every item a readout by the first party (its values, and its other settled issues in
/// `words`), a stance of the last party on that readout, and one on the item's first version.
fn add_readouts(negotiation: &mut Negotiation, words: &str) {
    let Some(party) = negotiation.parties.first().map(|party| party.id.clone()) else { return };
    let last = negotiation.parties.last().map(|party| party.id.clone()).unwrap();
    let later = |day| Moment::Date(Date::new(2030, 1, day).unwrap());
    for (index, item) in negotiation.items.iter_mut().enumerate() {
        let described = item.settles.iter().filter(|issue| !item.proposes.iter().any(|(proposed, _)| proposed == *issue));
        item.readouts.push(Readout {
            party: party.clone(),
            text: words.to_owned(),
            proposes: item.proposes.clone(),
            describes: described.map(|issue| (issue.clone(), words.to_owned())).collect(),
            at: later(1),
            source: words.to_owned(),
            visibility: if index % 2 == 0 { Visibility::Public } else { Visibility::Mediator },
        });
        for (version, readout) in [(None, party.clone()), (Some(0), String::new())] {
            negotiation.stances.push(std::sync::Arc::new(Stance {
                party: last.clone(),
                item: item.number,
                position: Position::Opposes,
                at: later(2),
                source: String::new(),
                visibility: Visibility::Public,
                note: words.to_owned(),
                document: item.document.clone(),
                version,
                readout,
                bloc: None,
            }));
        }
    }
}

/// Declares phases (a duration or a date after the first), gives the items and revisions picked
/// by `flags` (cycling) a schedule over them of values proposed somewhere for the issue (some
/// ending in a lapse), scopes
/// picked red lines to some phases and makes picked value claims about one phase.
fn add_phases(negotiation: &mut Negotiation, (count, flags, name): (usize, &[bool], &str)) {
    use parley_core::phase::{DurationUnit, Phase, PhaseStart, PhaseValue, Schedule};
    let mut next = {
        let mut index = 0;
        move || {
            index += 1;
            flags[index % flags.len()]
        }
    };
    let units = [DurationUnit::Days, DurationUnit::Weeks, DurationUnit::Months, DurationUnit::Years];
    negotiation.phases = (0..count)
        .map(|index| Phase {
            id: format!("phase-{index}"),
            name: name.to_owned(),
            description: if index % 2 == 0 { String::new() } else { name.to_owned() },
            starts: match index {
                0 => PhaseStart::EntryIntoForce,
                _ if index % 2 == 1 => PhaseStart::After { amount: 1000 * index as u32, unit: units[index % units.len()] },
                _ => PhaseStart::Date { date: Date::of_year(2100 + index as i32) },
            },
            source: if index % 3 == 1 { name.to_owned() } else { String::new() },
        })
        .collect();
    // Every value proposed anywhere for an issue: the schedules' values.
    let mut known: Vec<(String, parley_core::model::Value)> = Vec::new();
    for item in &negotiation.items {
        known.extend(item.proposes.iter().cloned());
        known.extend(item.revisions.iter().flat_map(|revision| revision.proposes.iter().cloned()));
    }
    let later: Vec<String> = negotiation.phases.iter().skip(1).map(|phase| phase.id.clone()).collect();
    let schedule = |proposes: &[(String, parley_core::model::Value)], next: &mut dyn FnMut() -> bool| -> Vec<Schedule> {
        let mut schedules = Vec::new();
        for (issue, _) in proposes {
            let values: Vec<_> = known.iter().filter(|(named, _)| named == issue).map(|(_, value)| value.clone()).collect();
            let mut changes: Vec<PhaseValue> = later
                .iter()
                .enumerate()
                .filter(|_| next())
                .map(|(index, phase)| PhaseValue { phase: phase.clone(), value: Some(values[index % values.len()].clone()) })
                .collect();
            // Sometimes a sunset: the provision lapses in the phase after the last change.
            let after = changes.last().and_then(|last| later.iter().position(|phase| *phase == last.phase)).map_or(0, |at| at + 1);
            if let Some(phase) = later.get(after).filter(|_| next()) {
                changes.push(PhaseValue { phase: phase.clone(), value: None });
            }
            if !changes.is_empty() {
                schedules.push(Schedule { issue: issue.clone(), changes });
            }
        }
        schedules
    };
    for item in &mut negotiation.items {
        item.schedules = schedule(&item.proposes, &mut next);
        for revision in &mut item.revisions {
            revision.schedules = schedule(&revision.proposes, &mut next);
        }
    }
    let ids: Vec<String> = negotiation.phases.iter().map(|phase| phase.id.clone()).collect();
    for red_line in &mut negotiation.red_lines {
        let scope: Vec<String> = ids.iter().filter(|_| next()).cloned().collect();
        if next() {
            red_line.phases = scope;
        }
    }
    for statement in &mut negotiation.statements {
        for claim in &mut statement.claims {
            // A readout gives one value: a claim about it names no phase.
            if let ClaimKind::Value(value) = &mut claim.kind
                && value.of != parley_core::claims::value::ValueSource::Readout
            {
                value.phase = next().then(|| ids[statement.quote.len() % ids.len()].clone());
            }
        }
    }
}

#[test]
fn any_text_and_any_real_read_back_unchanged() {
    let bases: Vec<(&str, Negotiation)> = SCENARIOS.iter().map(|(name, text)| (*name, parse(name, text))).collect();
    let strategy = (
        0..bases.len(),
        proptest::collection::vec(awkward_text(), 1..12),
        // Every real the format allows here (weights, evaluations, reservations lie in 0..1),
        // including the ones with the longest shortest representation.
        proptest::collection::vec(prop_oneof![0.0f64..=1.0, Just(0.1 + 0.2), Just(f64::MIN_POSITIVE), Just(1e-300)], 1..8),
        proptest::collection::vec(any::<bool>(), 1..6),
        proptest::option::of(awkward_text()),
        proptest::option::of(awkward_text()),
        proptest::option::of((1usize..5, proptest::collection::vec(any::<bool>(), 1..9), awkward_text())),
    );
    let mut runner = TestRunner::new(Config { cases: 200, ..Config::default() });
    runner
        .run(&strategy, |(base, texts, reals, withdrawals, documents, readouts, phases)| {
            let (name, negotiation) = &bases[base];
            let mut changed = negotiation.clone();
            retext(&mut changed, &texts);
            rereal(&mut changed, &reals);
            withdraw(&mut changed, &withdrawals);
            // A record that has documents of its own keeps them (splitting would renumber clashes).
            if let Some(note) = documents.filter(|_| changed.documents.is_empty()) {
                split_into_documents(&mut changed, &note);
            }
            if let Some(words) = readouts {
                add_readouts(&mut changed, &words);
            }
            if let Some((count, flags, phase_name)) = &phases {
                add_phases(&mut changed, (*count, flags, phase_name));
            }
            assert_round_trips(name, &changed)
        })
        .unwrap();
}

/// A date of any precision: a day, a month or a year.
fn any_date() -> impl Strategy<Value = Date> {
    use parley_core::date::Date;
    prop_oneof![
        (1000i32..3000, 1u8..=12, 1u8..=28).prop_map(|(year, month, day)| Date::new(year, month, day).unwrap()),
        (1000i32..3000, 1u8..=12).prop_map(|(year, month)| Date::of_month(year, month).unwrap()),
        (1000i32..3000).prop_map(Date::of_year),
    ]
}

#[test]
fn dates_of_any_precision_read_back_unchanged() {
    let bases: Vec<(&str, Negotiation)> = SCENARIOS.iter().map(|(name, text)| (*name, parse(name, text))).collect();
    let strategy = (0..bases.len(), proptest::collection::vec(any_date(), 1..6), 1i64..400);
    let mut runner = TestRunner::new(Config { cases: 200, ..Config::default() });
    runner
        .run(&strategy, |(base, dates, span)| {
            let (name, negotiation) = &bases[base];
            let mut changed = negotiation.clone();
            // Statements' dates only order the claims; the latest round may end any day after it
            // starts without reordering the rounds.
            for (index, statement) in changed.statements.iter_mut().enumerate() {
                statement.date = dates[index % dates.len()];
            }
            // A month or year due date was written as a bare TOML value that does not parse.
            for (index, obligation) in changed.obligations.iter_mut().enumerate() {
                obligation.due = Some(dates[(index + 1) % dates.len()]);
            }
            if let Some(last) = changed.rounds.iter_mut().filter(|round| round.date.is_some()).max_by_key(|round| round.effective_date()) {
                let start = last.date.unwrap().last_day().days_since_epoch();
                last.end = Some(Date::from_days_since_epoch(start.max(last.effective_date().unwrap().days_since_epoch()) + span));
            }
            assert_round_trips(name, &changed)
        })
        .unwrap();
}

/// A red line's disclosure setting is written back, and left out when it discloses nothing.
#[test]
fn red_line_disclosure_round_trips() {
    let (name, text) = SCENARIOS[0];
    let mut negotiation = parse(name, text);
    negotiation.red_lines[0].disclose = parley_core::model::Disclosure::Conflicts;
    assert!(to_toml(&negotiation).contains("disclose = \"conflicts\""));
    assert_round_trips(name, &negotiation).unwrap();
    negotiation.red_lines[0].disclose = parley_core::model::Disclosure::Nothing;
    assert!(!to_toml(&negotiation).contains("disclose"));
}

/// Every snapshot case of the command line (each exercising a part of the format) reads back
/// unchanged: dated demands, ranges and alternatives, obligations and assessments among them.
#[test]
fn every_case_file_reads_back_unchanged() {
    let cases = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../parley-cli/tests/cases");
    let mut checked = 0;
    for entry in std::fs::read_dir(&cases).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|extension| extension == "toml") {
            let name = path.display().to_string();
            let negotiation = parse(&name, &std::fs::read_to_string(&path).unwrap());
            assert_round_trips(&name, &negotiation).unwrap();
            checked += 1;
        }
    }
    assert!(checked >= 8, "found only {checked} case files in {}", cases.display());
}
