//! Red lines: can they all hold, the minimal sets that cannot, zones of agreement, and the one
//! declassification — conflicts of red lines whose parties disclose them.

use std::collections::{BTreeMap, BTreeSet};

use parley_core::expr::Expr;
use parley_core::model::{Demand, Disclosure, IssueKind, Negotiation, Value};
use parley_core::status::Record;
use parley_core::timeline::Point;
use parley_core::visibility::Viewer;

use super::{
    AcceptableRange, Conflict, PositionRange, RedLineFindings, RedLineRef, ScenarioOptions, Settled, Zone, Zopa, red_lines_in_force,
};
use crate::redlines::{ConflictOptions, Problem, ProjectedValues};

/// The red lines `in_force` compiled for the decision procedure: issues fixed at their agreed
/// values, every other issue a red line names ranging over its whole domain. Constraint `k` is the
/// red line `in_force[k]`.
pub(super) fn compile(negotiation: &Negotiation, in_force: &[usize], settled: &Settled) -> Option<Problem> {
    let fixed: BTreeMap<String, Value> = settled.fixed.iter().cloned().collect();
    let expressions: Vec<Expr> = in_force.iter().map(|&index| negotiation.red_lines[index].expr.clone()).collect();
    // Every red line of a parsed record names known issues with values of their types.
    Problem::new(&negotiation.issues, &fixed, &expressions).ok()
}

/// Satisfiability of the red lines in force and their minimal conflicts; every red line is one
/// the caller's record lets its reader see.
pub(super) fn findings(
    negotiation: &Negotiation,
    in_force: &[usize],
    settled: &Settled,
    options: &ScenarioOptions,
    warnings: &mut Vec<String>,
) -> RedLineFindings {
    let (all_can_hold, sets) = conflict_sets(negotiation, in_force, settled, options, warnings);
    let conflicts = sets.into_iter().map(|set| describe(negotiation, &set, settled, &|_| true)).collect();
    RedLineFindings { considered: in_force.len(), all_can_hold, conflicts }
}

/// Whether all the red lines can hold and every minimal set that cannot (up to the size limit),
/// as indices into the record's red lines. A proven conflict decides the first answer even when
/// the whole search ran out of budget.
fn conflict_sets(
    negotiation: &Negotiation,
    in_force: &[usize],
    settled: &Settled,
    options: &ScenarioOptions,
    warnings: &mut Vec<String>,
) -> (Option<bool>, Vec<Vec<usize>>) {
    let Some(problem) = compile(negotiation, in_force, settled) else {
        warnings.push("the red lines could not be compiled for analysis".to_owned());
        return (None, Vec::new());
    };
    let constraints: Vec<usize> = (0..in_force.len()).collect();
    let found = problem.conflicts(&constraints, &ConflictOptions { max_size: options.max_conflict_size, budget: options.budget });
    let all_can_hold = found.verdict.holds();
    if all_can_hold.is_none() {
        warnings.push(format!(
            "deciding whether all {} red lines can hold took more than the budget of {} steps (`budget` in the analysis options)",
            in_force.len(),
            options.budget.steps
        ));
    }
    if !found.complete {
        warnings.push(format!(
            "the search for conflicts of up to {} red lines ran out of its budget; some may be missing",
            options.max_conflict_size
        ));
    }
    if all_can_hold == Some(false) && found.minimal.is_empty() && found.complete {
        warnings
            .push(format!("the red lines cannot all hold, but no conflict of at most {} red lines explains it", options.max_conflict_size));
    }
    let sets = found.minimal.into_iter().map(|set| set.into_iter().map(|constraint| in_force[constraint]).collect()).collect();
    (all_can_hold, sets)
}

/// A conflict as a viewer is told it: red lines `shown` by id and expression, the others by party.
fn describe(negotiation: &Negotiation, set: &[usize], settled: &Settled, shown: &dyn Fn(usize) -> bool) -> Conflict {
    let mut issues: Vec<String> = Vec::new();
    for &index in set {
        for issue in negotiation.red_lines[index].expr.issues() {
            if !issues.iter().any(|known| known == issue) {
                issues.push(issue.to_owned());
            }
        }
    }
    let refs: Vec<RedLineRef> = set
        .iter()
        .map(|&index| {
            let red_line = &negotiation.red_lines[index];
            let visible = shown(index);
            RedLineRef {
                party: red_line.party.clone(),
                id: visible.then(|| red_line.id.clone()),
                expression: visible.then(|| red_line.expression.clone()),
            }
        })
        .collect();
    let named: Vec<String> = refs
        .iter()
        .map(|reference| match &reference.id {
            Some(id) => format!("{}'s red line {id}", negotiation.party_name(&reference.party)),
            None => format!("a confidential red line of {} (disclosed)", negotiation.party_name(&reference.party)),
        })
        .collect();
    let all_agreed = issues.iter().all(|issue| settled.fixed_value(issue).is_some());
    let explanation = match (set.len(), all_agreed) {
        (1, true) => format!("{} is broken by the agreed value of {}", named[0], issues.join(", ")),
        (1, false) => format!("{} cannot hold for any value of {}", named[0], issues.join(", ")),
        (_, true) => format!("{} cannot all hold with the agreed values of {}", named.join(" and "), issues.join(", ")),
        (_, false) if issues.len() == 1 => {
            format!("{} cannot all hold together: no value of {} satisfies them all", named.join(" and "), issues[0])
        }
        (_, false) => {
            format!("{} cannot all hold together: no values of {} satisfy them all", named.join(" and "), and_list(&issues))
        }
    };
    Conflict { red_lines: refs, issues, explanation }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A conflict of red lines `set` told to a reader who sees them all (for phases' narrowing).
pub(super) fn describe_all(negotiation: &Negotiation, set: &[usize], settled: &Settled) -> Conflict {
    describe(negotiation, set, settled, &|_| true)
}

/// The conflicts that red lines hidden from the viewer but disclosed by their parties
/// (`disclose = "conflicts"`) take part in, among those and the red lines the viewer sees, as the
/// viewer sees the framework. The only analysis that reads beyond the viewer's view; it tells the
/// hidden red lines' parties and issues, nothing else.
pub(super) fn disclosed_conflicts(
    negotiation: &Negotiation,
    visible: &Negotiation,
    viewer: &Viewer,
    as_of: &Point,
    options: &ScenarioOptions,
) -> Vec<Conflict> {
    if *viewer == Viewer::Everything {
        return Vec::new();
    }
    // Hidden: what the view left out (one definition, the view's). A red line drawn or dropped in a
    // round the viewer may not know of is not disclosed: when it holds would tell of that round.
    let shown: BTreeSet<&str> = visible.red_lines.iter().map(|red_line| red_line.id.as_str()).collect();
    let known_round = |moment: &parley_core::model::Moment| match moment {
        parley_core::model::Moment::Round(round) => visible.round(round).is_some(),
        _ => true,
    };
    let hidden: Vec<_> = negotiation
        .red_lines
        .iter()
        .filter(|red_line| red_line.disclose == Disclosure::Conflicts && !shown.contains(red_line.id.as_str()))
        .filter(|red_line| known_round(&red_line.since) && red_line.until.as_ref().is_none_or(known_round))
        .cloned()
        .collect();
    if hidden.is_empty() {
        return Vec::new();
    }
    let first_hidden = visible.red_lines.len();
    let mut augmented = visible.clone();
    augmented.red_lines.extend(hidden);
    // Which issues are open or agreed: as the viewer sees the framework.
    let status = Record::new(visible).status(as_of);
    let settled = Settled::new(visible, &status);
    let in_force = red_lines_in_force(&augmented, as_of);
    if !in_force.iter().any(|&index| index >= first_hidden) {
        return Vec::new();
    }
    let mut ignored = Vec::new();
    let phased = super::phases::expand(&augmented, &status, &in_force, &settled, &[]).ok().flatten();
    let (augmented, settled) = match phased {
        Some(phased) => (phased.negotiation, phased.settled),
        None => (augmented, settled),
    };
    let (_, sets) = conflict_sets(&augmented, &in_force, &settled, options, &mut ignored);
    sets.into_iter()
        .filter(|set| set.iter().any(|&index| index >= first_hidden))
        .map(|set| describe(&augmented, &set, &settled, &|index| index < first_hidden))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Zones of agreement on numeric and ordered issues.

/// Values of an ordered issue as a union of intervals on its order (option positions for ordered
/// choices), each `(low, low_open, high, high_open)`, sorted and disjoint.
#[derive(Clone, Debug, PartialEq)]
struct Intervals(Vec<(f64, bool, f64, bool)>);

impl Intervals {
    fn of(projection: &ProjectedValues, kind: &IssueKind) -> Intervals {
        Intervals(match projection {
            ProjectedValues::Integers(ranges) => ranges.iter().map(|&(low, high)| (low as f64, false, high as f64, false)).collect(),
            ProjectedValues::Reals(intervals) => {
                intervals.iter().map(|interval| (interval.low, interval.low_open, interval.high, interval.high_open)).collect()
            }
            ProjectedValues::Options(options) => {
                // Runs of neighbouring options are one interval.
                let mut runs: Vec<(f64, bool, f64, bool)> = Vec::new();
                for rank in options.iter().filter_map(|option| kind.rank(&Value::Choice(option.clone()))) {
                    match runs.last_mut() {
                        Some(run) if run.2 + 1.0 == rank => run.2 = rank,
                        _ => runs.push((rank, false, rank, false)),
                    }
                }
                runs
            }
            ProjectedValues::Flags(_) => Vec::new(),
        })
    }

    fn intersect(&self, other: &Intervals) -> Intervals {
        let mut out = Vec::new();
        for &(a_low, a_low_open, a_high, a_high_open) in &self.0 {
            for &(b_low, b_low_open, b_high, b_high_open) in &other.0 {
                let (low, low_open) = match a_low.total_cmp(&b_low) {
                    std::cmp::Ordering::Less => (b_low, b_low_open),
                    std::cmp::Ordering::Greater => (a_low, a_low_open),
                    std::cmp::Ordering::Equal => (a_low, a_low_open || b_low_open),
                };
                let (high, high_open) = match a_high.total_cmp(&b_high) {
                    std::cmp::Ordering::Less => (a_high, a_high_open),
                    std::cmp::Ordering::Greater => (b_high, b_high_open),
                    std::cmp::Ordering::Equal => (a_high, a_high_open || b_high_open),
                };
                if low < high || (low == high && !low_open && !high_open) {
                    out.push((low, low_open, high, high_open));
                }
            }
        }
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        Intervals(out)
    }

    fn hull(&self) -> Option<(f64, f64)> {
        Some((self.0.first()?.0, self.0.last()?.2))
    }

    /// The values in words: `400000 to 600000`, `0 to 2 and 5 to 10`, `above 3 to 10`.
    fn describe(&self, kind: &IssueKind) -> String {
        if self.0.is_empty() {
            return "nothing acceptable".to_owned();
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|&(low, low_open, high, high_open)| {
                let low_text = value_at(kind, low).map_or_else(|| parley_core::display::real(low), |value| value.to_string());
                let high_text = value_at(kind, high).map_or_else(|| parley_core::display::real(high), |value| value.to_string());
                match (low == high, low_open, high_open) {
                    (true, _, _) => low_text,
                    (false, false, false) => format!("{low_text} to {high_text}"),
                    (false, true, false) => format!("above {low_text} to {high_text}"),
                    (false, false, true) => format!("{low_text} to below {high_text}"),
                    (false, true, true) => format!("above {low_text} to below {high_text}"),
                }
            })
            .collect();
        parts.join(" and ")
    }
}

/// The value at a position of an ordered issue.
fn value_at(kind: &IssueKind, position: f64) -> Option<Value> {
    match kind {
        IssueKind::Integer { .. } => Some(Value::Integer(position as i64)),
        IssueKind::Real { .. } => Some(Value::Real(position)),
        IssueKind::Choice { options, ordered: true } => options.get(position as usize).map(|option| Value::Choice(option.clone())),
        _ => None,
    }
}

/// For each ordered issue not yet agreed that red lines or demands in force name: the values each
/// constrained party's red lines allow (all its red lines in force together, every other issue
/// free, exactly, by the decision procedure's projection), the values all allow, and where the
/// parties' current demands stand.
pub(super) fn zones(
    negotiation: &Negotiation,
    in_force: &[usize],
    settled: &Settled,
    unsettled: &[String],
    current: &[&Demand],
    options: &ScenarioOptions,
    warnings: &mut Vec<String>,
) -> Vec<Zopa> {
    let problem = compile(negotiation, in_force, settled);
    let mut zones = Vec::new();
    let undecided = settled.open.iter().chain(unsettled);
    let mut seen = BTreeSet::new();
    for issue_id in undecided {
        if !seen.insert(issue_id.as_str()) {
            continue;
        }
        let Some(issue) = negotiation.issue(issue_id) else { continue };
        if !issue.kind.is_ordered() {
            continue;
        }
        // Each party with a red line naming the issue: the values its red lines in force allow.
        let mut parties: Vec<(String, Intervals)> = Vec::new();
        for party in &negotiation.parties {
            // A party holds its own red lines and those of the blocs it belongs to.
            let holds = |index: usize| negotiation.holds_for(&negotiation.red_lines[index].party, &party.id);
            let names_issue =
                in_force.iter().any(|&index| holds(index) && negotiation.red_lines[index].expr.issues().contains(&issue_id.as_str()));
            let Some(problem) = problem.as_ref().filter(|_| names_issue) else { continue };
            // All of the party's red lines in force: one on another issue may bound this one.
            let mine: Vec<usize> = (0..in_force.len()).filter(|&constraint| holds(in_force[constraint])).collect();
            match problem.projection(issue_id, &mine, &options.budget) {
                Ok(projection) => {
                    if !projection.complete {
                        warnings.push(format!(
                            "zone of agreement on `{issue_id}`: projecting {}'s red lines ran out of budget; its range shows only values proven acceptable",
                            party.id
                        ));
                    }
                    parties.push((party.id.clone(), Intervals::of(&projection.values, &issue.kind)));
                }
                Err(error) => warnings.push(format!("zone of agreement on `{issue_id}`: {error}")),
            }
        }
        let mut positions: Vec<PositionRange> = current
            .iter()
            .filter(|demand| demand.issue == *issue_id)
            .filter_map(|demand| {
                let (low, high) = demand.span(&issue.kind)?;
                Some(PositionRange { party: demand.party.clone(), demand: demand.describe(), low, high })
            })
            .collect();
        positions.sort_by_key(|position| negotiation.parties.iter().position(|party| party.id == position.party));
        if parties.is_empty() && positions.is_empty() {
            continue;
        }
        let positions_gap = (positions.len() >= 2).then(|| {
            let highest_low = positions.iter().map(|position| position.low).fold(f64::NEG_INFINITY, f64::max);
            let lowest_high = positions.iter().map(|position| position.high).fold(f64::INFINITY, f64::min);
            (highest_low - lowest_high).max(0.0)
        });
        let ranges: Vec<AcceptableRange> = parties
            .iter()
            .map(|(party, acceptable)| {
                let (low, high) =
                    acceptable.hull().map_or((None, None), |(low, high)| (value_at(&issue.kind, low), value_at(&issue.kind, high)));
                AcceptableRange { party: party.clone(), low, high, values: acceptable.describe(&issue.kind) }
            })
            .collect();
        let name = &issue.name;
        let unit_after = |number: f64| issue.kind.distance_unit(number);
        let common = parties.iter().skip(1).fold(parties.first().map(|(_, acceptable)| acceptable.clone()), |common, (_, acceptable)| {
            common.map(|common| common.intersect(acceptable))
        });
        let (zone, explanation) = match &common {
            None => {
                let whole = domain_hull(&issue.kind);
                (Zone::Interval { low: whole.0, high: whole.1 }, format!("no red line bounds {name}"))
            }
            Some(common) if common.0.is_empty() => {
                // The gap between ranges: highest lower bound minus lowest upper bound.
                let hulls: Vec<(f64, f64)> = parties.iter().filter_map(|(_, acceptable)| acceptable.hull()).collect();
                let highest_low = hulls.iter().map(|(low, _)| *low).fold(f64::NEG_INFINITY, f64::max);
                let lowest_high = hulls.iter().map(|(_, high)| *high).fold(f64::INFINITY, f64::min);
                let gap = (hulls.len() == parties.len() && highest_low > lowest_high).then_some(highest_low - lowest_high);
                let explanation = match gap {
                    Some(gap) => format!("no zone of agreement on {name}: the acceptable ranges are {gap}{} apart", unit_after(gap)),
                    None => format!("no zone of agreement on {name}"),
                };
                (Zone::None { gap }, explanation)
            }
            Some(common) => {
                let (low, high) =
                    common.hull().map_or((None, None), |(low, high)| (value_at(&issue.kind, low), value_at(&issue.kind, high)));
                (Zone::Interval { low, high }, format!("zone of agreement on {name}: {}", common.describe(&issue.kind)))
            }
        };
        let explanation = match positions_gap {
            None => explanation,
            Some(gap) if gap > 0.0 => format!("{explanation}; the current demands are {gap}{} apart", unit_after(gap)),
            Some(_) => format!("{explanation}; the current demands overlap"),
        };
        zones.push(Zopa { issue: issue_id.clone(), parties: ranges, positions, positions_gap, zone, explanation });
    }
    zones
}

/// An ordered issue's lowest and highest values.
fn domain_hull(kind: &IssueKind) -> (Option<Value>, Option<Value>) {
    match kind {
        IssueKind::Integer { min, max, step, .. } => {
            let top = min + (max - min) / step * step;
            (Some(Value::Integer(*min)), Some(Value::Integer(top)))
        }
        IssueKind::Real { min, max, .. } => (Some(Value::Real(*min)), Some(Value::Real(*max))),
        IssueKind::Choice { options, .. } => {
            (options.first().map(|option| Value::Choice(option.clone())), options.last().map(|option| Value::Choice(option.clone())))
        }
        _ => (None, None),
    }
}
