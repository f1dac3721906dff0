//! The `[[phases]]` section, schedules in `proposes` (`issue = { phase = value, .. }`), a red
//! line's `phases` and a value claim's `phase`.

use toml_spanner::Value as Toml;

use super::{
    Cx, Fields, Refs, Registry, Spanned, check_ref, opt_date, opt_string, opt_string_list, req_id, tables, text, value_of, wrong_type,
};
use crate::model::{Keyword, Value};
use crate::phase::{DurationUnit, Phase, PhaseStart, PhaseValue, Schedule};

const PHASE_FIELDS: &[&str] = &["id", "name", "description", "date", "round", "after", "source"];

/// The phases, in order. Each starts at entry into force (the first, when it names no start), on
/// a `date`, at a `round`, or `after` a duration; starts of one form must come in order.
pub(super) fn read_phases(cx: &mut Cx<'_>, root: &Fields<'_, '_>, refs: &Refs<'_>) -> Vec<Phase> {
    let mut registry = Registry::new("phase");
    let mut phases: Vec<Phase> = Vec::new();
    // The last start of each comparable form seen: (days after entry, date or round's day).
    let mut last_after: Option<f64> = None;
    let mut last_day: Option<crate::date::Date> = None;
    for (index, fields) in tables(cx, root, "phases", PHASE_FIELDS).into_iter().enumerate() {
        fields.finish(cx);
        let id = req_id(cx, &fields, "id", "phase");
        let name = text(cx, &fields, "name");
        let description = text(cx, &fields, "description");
        let source = text(cx, &fields, "source");
        let given: Vec<&str> = ["date", "round", "after"].into_iter().filter(|key| fields.has(key)).collect();
        if given.len() > 1 {
            let span = fields.get(given[1]).map_or(fields.span.clone(), |node| node.span().range());
            let message = format!("a phase starts one way: `{}` or `{}` (expected one of date, round, after)", given[0], given[1]);
            cx.error(fields.path_of(given[1]), span, message);
            continue;
        }
        let starts = match given.first().copied() {
            None if index == 0 => Some(PhaseStart::EntryIntoForce),
            None => {
                let message = "a phase after the first needs its start (expected `date`, `round` or `after = \"5 years\"`)";
                cx.error(fields.path(), fields.span.clone(), message);
                None
            }
            Some("date") => opt_date(cx, &fields, "date").map(|date| PhaseStart::Date { date: date.into_inner() }),
            Some("round") => opt_string(cx, &fields, "round").and_then(|round| {
                let ids = refs.negotiation.rounds.iter().map(|known| known.id.as_str());
                if !check_ref(cx, fields.path_of("round"), &round, "round", ids) {
                    return None;
                }
                // Phases are seen by every viewer, as issues are: a secret round would leak.
                if refs.negotiation.round(round.get_ref()).is_some_and(|known| !known.visibility.is_public()) {
                    let message =
                        format!("round `{}` is not public: a phase, which every viewer sees, cannot start at it", round.get_ref());
                    cx.error(fields.path_of("round"), round.span(), message);
                    return None;
                }
                Some(PhaseStart::Round { round: round.into_inner() })
            }),
            Some(_) => read_after(cx, &fields),
        };
        if let Some(id) = id.as_ref().filter(|id| id.get_ref() == LAPSES) {
            let message = format!("`{LAPSES}` is the word a schedule uses for a sunset (expected another id for the phase)");
            cx.error(fields.path_of("id"), id.span(), message);
            continue;
        }
        let (Some(id), Some(starts)) = (id, starts) else { continue };
        // In order: later durations, later dates (a round counts by its day).
        let day = match &starts {
            PhaseStart::Date { date } => Some(*date),
            PhaseStart::Round { round } => refs.negotiation.round(round).and_then(|round| round.effective_date()),
            _ => None,
        };
        let key = given.first().copied().unwrap_or("id");
        let span = fields.get(key).map_or(fields.span.clone(), |node| node.span().range());
        if let Some(after) = starts.days_after_entry() {
            if index > 0 && (last_after.is_some_and(|last| after <= last) || after == 0.0) {
                cx.error(fields.path_of(key), span.clone(), "the phase starts no later than the one before it (expected phases in order)");
            }
            last_after = Some(after);
        }
        if let Some(day) = day {
            if last_day.is_some_and(|last| day <= last) {
                cx.error(fields.path_of(key), span, "the phase starts no later than the one before it (expected phases in order)");
            }
            last_day = Some(day);
        }
        if registry.add(cx, fields.path_of("id"), &id) {
            phases.push(Phase { id: id.into_inner(), name, description, starts, source });
        }
    }
    phases
}

/// `after = "5 years"`: a positive whole number of days, weeks, months or years.
fn read_after(cx: &mut Cx<'_>, fields: &Fields<'_, '_>) -> Option<PhaseStart> {
    let text = opt_string(cx, fields, "after")?;
    let words: Vec<&str> = text.get_ref().split_whitespace().collect();
    let amount = words.first().and_then(|number| number.parse::<u32>().ok()).filter(|amount| *amount > 0);
    let unit = words.get(1).and_then(|word| {
        let plural = if word.ends_with('s') { (*word).to_owned() } else { format!("{word}s") };
        DurationUnit::ALL.iter().copied().find(|unit| unit.keyword() == plural)
    });
    match (amount, unit, words.len()) {
        (Some(amount), Some(unit), 2) => Some(PhaseStart::After { amount, unit }),
        _ => {
            let message = format!(
                "`{}` is not a duration (expected a positive whole number and one of days, weeks, months, years, such as \"5 years\")",
                text.get_ref()
            );
            cx.error(fields.path_of("after"), text.span(), message);
            None
        }
    }
}

/// An item's or revision's `proposes`: one value per issue, or a schedule
/// `{ first-phase = value, later-phase = value, .. }` that must give the first phase's value.
pub(super) fn read_proposal(
    cx: &mut Cx<'_>,
    fields: &Fields<'_, '_>,
    refs: &Refs<'_>,
    settles: &[String],
) -> (Vec<(String, Value)>, Vec<Schedule>) {
    let Some(node) = fields.get("proposes") else {
        return (Vec::new(), Vec::new());
    };
    let Toml::Table(table) = node.value() else {
        wrong_type(cx, fields.path_of("proposes"), node, "a table such as { troop_cap = 800000 }");
        return (Vec::new(), Vec::new());
    };
    let mut proposal = Vec::new();
    let mut schedules = Vec::new();
    for (key, value) in table.iter() {
        let issue_id = key.name;
        let path = format!("{}.{issue_id}", fields.path_of("proposes"));
        let Some(issue) = refs.issue(cx, || path.clone(), &Spanned::new(key.span.range(), issue_id.to_owned())) else { continue };
        if !settles.iter().any(|settled| settled == issue_id) {
            cx.error(
                path,
                key.span.range(),
                format!("the item proposes a value for `{issue_id}` but does not settle it (add it to `settles`)"),
            );
            continue;
        }
        let Toml::Table(schedule) = value.value() else {
            match value_of(value, &issue.kind) {
                Ok(value) => proposal.push((issue_id.to_owned(), value)),
                Err(message) => cx.error(path, value.span().range(), message),
            }
            continue;
        };
        let phases = &refs.negotiation.phases;
        if phases.is_empty() {
            let message = format!("a schedule of values needs phases (declare [[phases]], or give `{issue_id}` one value)");
            cx.error(path, value.span().range(), message);
            continue;
        }
        let Some((first, changes)) = read_schedule(cx, &path, (issue, value.span().range()), schedule, phases) else { continue };
        proposal.push((issue_id.to_owned(), first));
        if !changes.is_empty() {
            schedules.push(Schedule { issue: issue_id.to_owned(), changes });
        }
    }
    (proposal, schedules)
}

/// One issue's schedule `{ phase = value, .., lapses = "phase" }`: the first phase's value and
/// the later phases' changes, a lapse last (`None` when wrong, already reported).
fn read_schedule(
    cx: &mut Cx<'_>,
    path: &str,
    (issue, span): (&crate::model::Issue, std::ops::Range<usize>),
    schedule: &toml_spanner::Table<'_>,
    phases: &[Phase],
) -> Option<(Value, Vec<PhaseValue>)> {
    let mut by_phase: Vec<Option<Value>> = vec![None; phases.len()];
    let mut lapse: Option<(usize, std::ops::Range<usize>)> = None;
    let mut fine = true;
    let known = || phases.iter().map(|known| known.id.as_str());
    for (phase, entry) in schedule.iter() {
        let entry_path = format!("{path}.{}", phase.name);
        if phase.name == LAPSES {
            // `lapses = "phase"`: from that phase on, the item proposes no value (a sunset).
            let Toml::String(named) = entry.value() else {
                wrong_type(cx, entry_path, entry, "the id of the phase from which the provision lapses");
                fine = false;
                continue;
            };
            let named = Spanned::new(entry.span().range(), named.to_string());
            match phases.iter().position(|known| known.id == *named.get_ref()) {
                Some(0) => {
                    cx.error(entry_path, named.span(), "a provision cannot lapse in the first phase (expected a later phase)");
                    fine = false;
                }
                Some(position) => lapse = Some((position, named.span())),
                None => {
                    check_ref(cx, entry_path, &named, "phase", known());
                    fine = false;
                }
            }
            continue;
        }
        let named = Spanned::new(phase.span.range(), phase.name.to_owned());
        let Some(position) = phases.iter().position(|known| known.id == phase.name) else {
            check_ref(cx, entry_path, &named, "phase", known());
            fine = false;
            continue;
        };
        match value_of(entry, &issue.kind) {
            Ok(value) => by_phase[position] = Some(value),
            Err(message) => {
                cx.error(entry_path, entry.span().range(), message);
                fine = false;
            }
        }
    }
    let Some(Some(first)) = by_phase.first().cloned() else {
        if fine {
            let message =
                format!("the schedule of `{}` gives no value for the first phase, `{}` (later phases inherit it)", issue.id, phases[0].id);
            cx.error(path, span, message);
        }
        return None;
    };
    if let Some((position, lapse_span)) = &lapse {
        if let Some(after) = by_phase.iter().enumerate().skip(*position).find_map(|(index, value)| value.as_ref().map(|_| index)) {
            let message = format!(
                "the schedule gives `{}` a value in phase `{}`, after it lapses (expected the lapse last)",
                issue.id, phases[after].id
            );
            cx.error(format!("{path}.{LAPSES}"), lapse_span.clone(), message);
            fine = false;
        }
    }
    if !fine {
        return None;
    }
    let mut changes: Vec<PhaseValue> = phases
        .iter()
        .zip(&by_phase)
        .skip(1)
        .filter_map(|(phase, value)| value.clone().map(|value| PhaseValue { phase: phase.id.clone(), value: Some(value) }))
        .collect();
    if let Some((position, _)) = lapse {
        changes.push(PhaseValue { phase: phases[position].id.clone(), value: None });
    }
    Some((first, changes))
}

/// The key of a schedule naming the phase from which its provision lapses; no phase has this id.
pub(super) const LAPSES: &str = "lapses";

/// A red line's `phases`: the declared phases it is about (`None` when wrong, already reported).
pub(super) fn red_line_phases(cx: &mut Cx<'_>, fields: &Fields<'_, '_>, refs: &Refs<'_>) -> Option<Vec<String>> {
    let Some(list) = opt_string_list(cx, fields, "phases") else {
        return if fields.has("phases") { None } else { Some(Vec::new()) };
    };
    let phases = &refs.negotiation.phases;
    let path = fields.path_of("phases");
    if list.is_empty() {
        let span = fields.get("phases").map_or(fields.span.clone(), |node| node.span().range());
        cx.error(path, span, "an empty list of phases (expected the ids of the phases the red line is about, or no `phases` for all)");
        return None;
    }
    let mut scope: Vec<String> = Vec::new();
    let mut fine = true;
    for (index, phase) in list.into_iter().enumerate() {
        let path = format!("{path}[{index}]");
        if !check_ref(cx, path.clone(), &phase, "phase", phases.iter().map(|known| known.id.as_str())) {
            fine = false;
        } else if scope.contains(phase.get_ref()) {
            cx.error(path, phase.span(), format!("phase `{}` is listed twice", phase.get_ref()));
            fine = false;
        } else {
            scope.push(phase.into_inner());
        }
    }
    // In phase order, whatever order the file lists them in.
    scope.sort_by_key(|id| phases.iter().position(|phase| phase.id == *id));
    fine.then_some(scope)
}

/// A value claim's `phase`: a declared phase (`Err` when wrong, already reported).
pub(super) fn claim_phase(
    cx: &mut Cx<'_>,
    fields: &Fields<'_, '_>,
    refs: &Refs<'_>,
    of: Option<crate::claims::value::ValueSource>,
) -> Result<Option<String>, ()> {
    let Some(phase) = opt_string(cx, fields, "phase") else {
        return if fields.has("phase") { Err(()) } else { Ok(None) };
    };
    if of == Some(crate::claims::value::ValueSource::Readout) {
        let message = "a readout gives one value, not one per phase (expected no `phase` with `of = \"readout\"`)";
        cx.error(fields.path_of("phase"), phase.span(), message);
        return Err(());
    }
    let ids = refs.negotiation.phases.iter().map(|known| known.id.as_str());
    if check_ref(cx, fields.path_of("phase"), &phase, "phase", ids) { Ok(Some(phase.into_inner())) } else { Err(()) }
}
