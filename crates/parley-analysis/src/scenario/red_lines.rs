//! Red lines: can they all hold, the minimal sets that cannot, zones of agreement, and the one
//! declassification — conflicts of red lines whose parties disclose them.

use std::collections::BTreeSet;

use parley_core::expr::{Expr, rank_value};
use parley_core::model::{Demand, Disclosure, IssueKind, Negotiation, Value};
use parley_core::status::Record;
use parley_core::timeline::Point;
use parley_core::visibility::Viewer;

use super::{
    AcceptableRange, Conflict, Domains, PositionRange, RedLineFindings, RedLineRef, ScenarioOptions, Settled, Zone, Zopa, named_issues,
    red_lines_in_force,
};

/// Whether the red lines `indices` can all hold, with `pinned` fixed to a value; `None` when the
/// search is too large.
pub(super) fn decide(
    negotiation: &Negotiation,
    indices: &[usize],
    domains: &Domains<'_>,
    limit: f64,
    pinned: Option<(&str, &Value)>,
) -> Option<bool> {
    let mut issues: Vec<String> = Vec::new();
    for &index in indices {
        for issue in negotiation.red_lines[index].expr.issues() {
            if !issues.iter().any(|known| known == issue) && pinned.is_none_or(|(name, _)| name != issue) {
                issues.push(issue.to_owned());
            }
        }
    }
    // Every issue a red line names has a domain (open, unsettled or fixed); an issue without one
    // would be a bug, and an empty list proves nothing holds rather than that anything does.
    let lists: Vec<&[Value]> = issues.iter().map(|issue| domains.of(issue).unwrap_or(&[])).collect();
    let size: f64 = lists.iter().map(|list| list.len() as f64).product();
    if size > limit {
        return None;
    }
    if lists.iter().any(|list| list.is_empty()) {
        return Some(false);
    }
    // Rank the red lines and the candidate values once, not at every assignment tried.
    let kind = |issue: &str| domains.kind(issue);
    let rank = |issue: &str, value: &Value| rank_value(kind(issue).as_ref(), value.clone());
    let expressions: Vec<Expr> = indices.iter().map(|&index| negotiation.red_lines[index].expr.ranked(&kind)).collect();
    let ranked_lists: Vec<Vec<Option<Value>>> =
        issues.iter().zip(&lists).map(|(issue, list)| list.iter().map(|value| rank(issue, value)).collect()).collect();
    let pinned = pinned.map(|(name, value)| (name, rank(name, value)));
    let mut position = vec![0usize; lists.len()];
    loop {
        let value_of = |issue: &str| -> Option<Value> {
            if let Some((name, value)) = &pinned {
                if *name == issue {
                    return value.clone();
                }
            }
            issues.iter().position(|known| known == issue).and_then(|slot| ranked_lists[slot][position[slot]].clone())
        };
        if expressions.iter().all(|expr| expr.evaluate(&value_of) == Some(true)) {
            return Some(true);
        }
        let mut slot = lists.len();
        loop {
            if slot == 0 {
                return Some(false);
            }
            slot -= 1;
            position[slot] += 1;
            if position[slot] < lists[slot].len() {
                break;
            }
            position[slot] = 0;
        }
    }
}

/// Satisfiability of the red lines in force and their minimal conflicts; every red line is one
/// the caller's record lets its reader see.
pub(super) fn findings(
    negotiation: &Negotiation,
    in_force: &[usize],
    domains: &Domains<'_>,
    options: &ScenarioOptions,
    warnings: &mut Vec<String>,
) -> RedLineFindings {
    let (all_can_hold, sets) = conflict_sets(negotiation, in_force, domains, options, warnings);
    let conflicts = sets.into_iter().map(|set| describe(negotiation, &set, domains, &|_| true)).collect();
    RedLineFindings { considered: in_force.len(), all_can_hold, conflicts }
}

/// Whether all the red lines can hold and every minimal set that cannot (up to the size limit). A
/// proven conflict decides the first answer even when the whole search was out of reach.
fn conflict_sets(
    negotiation: &Negotiation,
    in_force: &[usize],
    domains: &Domains<'_>,
    options: &ScenarioOptions,
    warnings: &mut Vec<String>,
) -> (Option<bool>, Vec<Vec<usize>>) {
    let mut all_can_hold = decide(negotiation, in_force, domains, options.max_assignments, None);
    let mut conflicts: Vec<Vec<usize>> = Vec::new();
    if all_can_hold == Some(true) {
        return (all_can_hold, conflicts);
    }
    // Minimal unsatisfiable sets, by increasing size; a conflict must be connected through shared
    // issues, and no superset of a known conflict is minimal.
    let issues_of = |index: usize| -> BTreeSet<&str> { negotiation.red_lines[index].expr.issues().into_iter().collect() };
    let mut frontier: Vec<Vec<usize>> = in_force.iter().map(|&index| vec![index]).collect();
    let mut undetermined = false;
    for size in 1..=options.max_conflict_size.min(in_force.len()) {
        // Connected sets grow by any red line sharing an issue with a member, not only by later
        // ones: {r0, r1, r2} may be connected only through r2. Sorted sets, deduplicated.
        let mut next = BTreeSet::new();
        for set in &frontier {
            if conflicts.iter().any(|conflict| conflict.iter().all(|member| set.contains(member))) {
                continue;
            }
            match decide(negotiation, set, domains, options.max_assignments, None) {
                Some(false) => conflicts.push(set.clone()),
                Some(true) => {
                    if size < options.max_conflict_size {
                        let shared: BTreeSet<&str> = set.iter().flat_map(|&index| issues_of(index)).collect();
                        for &candidate in in_force {
                            if !set.contains(&candidate) && issues_of(candidate).iter().any(|issue| shared.contains(issue)) {
                                let mut grown = set.clone();
                                grown.push(candidate);
                                grown.sort_unstable();
                                next.insert(grown);
                            }
                        }
                    }
                }
                None => undetermined = true,
            }
        }
        frontier = next.into_iter().collect();
    }
    if !conflicts.is_empty() {
        all_can_hold = Some(false);
    }
    if undetermined {
        warnings.push("some sets of red lines span too many combinations to check; their conflicts may be missing".to_owned());
    }
    if all_can_hold == Some(false) && conflicts.is_empty() {
        warnings
            .push(format!("the red lines cannot all hold, but no conflict of at most {} red lines explains it", options.max_conflict_size));
    }
    (all_can_hold, conflicts)
}

/// A conflict as a viewer is told it: red lines `shown` by id and expression, the others by party.
fn describe(negotiation: &Negotiation, set: &[usize], domains: &Domains<'_>, shown: &dyn Fn(usize) -> bool) -> Conflict {
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
    // Issues with a single candidate are the agreed ones.
    let all_agreed = issues.iter().all(|issue| domains.of(issue).is_some_and(|values| values.len() == 1));
    let explanation = match (set.len(), all_agreed) {
        (1, true) => format!("{} is broken by the agreed value of {}", named[0], issues.join(", ")),
        (1, false) => format!("{} cannot hold for any value of {}", named[0], issues.join(", ")),
        (_, true) => format!("{} cannot all hold with the agreed values of {}", named.join(" and "), issues.join(", ")),
        (_, false) => {
            format!("{} cannot all hold together: no value of {} satisfies them all", named.join(" and "), issues.join(", "))
        }
    };
    Conflict { red_lines: refs, issues, explanation }
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
    let hidden: Vec<_> = negotiation
        .red_lines
        .iter()
        .filter(|red_line| red_line.disclose == Disclosure::Conflicts)
        .filter(|red_line| !viewer.may_see(negotiation, &red_line.party, red_line.visibility))
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
    let named = named_issues(&augmented, &in_force);
    let unsettled: Vec<String> = named.iter().filter(|issue| !settled.covers(issue)).cloned().collect();
    let mut ignored = Vec::new();
    let domains = Domains::new(&augmented, &settled, &unsettled, options, &mut ignored);
    let (_, sets) = conflict_sets(&augmented, &in_force, &domains, options, &mut ignored);
    sets.into_iter()
        .filter(|set| set.iter().any(|&index| index >= first_hidden))
        .map(|set| describe(&augmented, &set, &domains, &|index| index < first_hidden))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Zones of agreement on numeric and ordered issues.

/// Position of a value on its issue's order, for numeric and ordered choice issues.
fn rank(kind: &IssueKind, value: &Value) -> Option<f64> {
    match (kind, value) {
        (IssueKind::Integer { .. }, Value::Integer(number)) => Some(*number as f64),
        (IssueKind::Real { .. }, Value::Real(number)) => Some(*number),
        (IssueKind::Choice { options, ordered: true }, Value::Choice(option)) => {
            options.iter().position(|name| name == option).map(|rank| rank as f64)
        }
        _ => None,
    }
}

/// For each ordered issue not yet agreed that red lines or demands in force name: the values each
/// constrained party's red lines allow (the whole set of its red lines in force, every other issue
/// free), the values all allow, and where the parties' current demands stand.
pub(super) fn zones(
    negotiation: &Negotiation,
    in_force: &[usize],
    settled: &Settled,
    unsettled: &[String],
    domains: &Domains<'_>,
    current: &[&Demand],
    warnings: &mut Vec<String>,
) -> Vec<Zopa> {
    let mut zones = Vec::new();
    let undecided = settled.open.iter().chain(unsettled);
    let mut seen = BTreeSet::new();
    for issue_id in undecided {
        if !seen.insert(issue_id.as_str()) {
            continue;
        }
        let Some(issue) = negotiation.issue(issue_id) else { continue };
        let ordered = matches!(issue.kind, IssueKind::Integer { .. } | IssueKind::Real { .. } | IssueKind::Choice { ordered: true, .. });
        if !ordered {
            continue;
        }
        let Some(values) = domains.of(issue_id) else { continue };
        // Each party with a red line naming the issue: the values its red lines in force allow.
        let mut parties: Vec<(String, Vec<Value>)> = Vec::new();
        for party in &negotiation.parties {
            let names_issue = in_force.iter().any(|&index| {
                negotiation.red_lines[index].party == party.id && negotiation.red_lines[index].expr.issues().contains(&issue_id.as_str())
            });
            if !names_issue {
                continue;
            }
            // All of the party's red lines in force: one on another issue may bound this one.
            let mine: Vec<usize> = in_force.iter().copied().filter(|&index| negotiation.red_lines[index].party == party.id).collect();
            let mut acceptable = Vec::new();
            for value in values {
                match decide(negotiation, &mine, domains, 2_000_000.0, Some((issue_id, value))) {
                    Some(false) => {}
                    Some(true) => acceptable.push(value.clone()),
                    None => {
                        warnings.push(format!("zone of agreement on `{issue_id}`: {}'s red lines are too large to project", party.id));
                        acceptable.push(value.clone());
                    }
                }
            }
            parties.push((party.id.clone(), acceptable));
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
        let common: Vec<Value> =
            values.iter().filter(|value| parties.iter().all(|(_, acceptable)| acceptable.contains(value))).cloned().collect();
        let sorted = |list: &[Value]| -> (Option<Value>, Option<Value>) {
            let mut ranked: Vec<(f64, &Value)> =
                list.iter().filter_map(|value| rank(&issue.kind, value).map(|rank| (rank, value))).collect();
            ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
            (ranked.first().map(|(_, value)| (*value).clone()), ranked.last().map(|(_, value)| (*value).clone()))
        };
        let ranges: Vec<AcceptableRange> = parties
            .iter()
            .map(|(party, acceptable)| {
                let (low, high) = sorted(acceptable);
                AcceptableRange { party: party.clone(), low, high }
            })
            .collect();
        let name = &issue.name;
        let unit = match &issue.kind {
            IssueKind::Integer { unit, .. } | IssueKind::Real { unit, .. } if !unit.is_empty() => format!(" {unit}"),
            _ => String::new(),
        };
        let (zone, explanation) = if parties.is_empty() {
            let (low, high) = sorted(values);
            (Zone::Interval { low, high }, format!("no red line bounds {name}"))
        } else if common.is_empty() {
            // The gap between ranges: highest lower bound minus lowest upper bound.
            let bounds: Vec<(Option<f64>, Option<f64>)> = parties
                .iter()
                .map(|(_, acceptable)| {
                    let (low, high) = sorted(acceptable);
                    (low.and_then(|value| rank(&issue.kind, &value)), high.and_then(|value| rank(&issue.kind, &value)))
                })
                .collect();
            let highest_low = bounds.iter().filter_map(|(low, _)| *low).fold(f64::NEG_INFINITY, f64::max);
            let lowest_high = bounds.iter().filter_map(|(_, high)| *high).fold(f64::INFINITY, f64::min);
            let gap =
                (highest_low > lowest_high && highest_low.is_finite() && lowest_high.is_finite()).then_some(highest_low - lowest_high);
            let unit = match &issue.kind {
                IssueKind::Choice { .. } if gap == Some(1.0) => " option".to_owned(),
                IssueKind::Choice { .. } => " options".to_owned(),
                _ => unit.clone(),
            };
            let explanation = match gap {
                Some(gap) => format!("no zone of agreement on {name}: the acceptable ranges are {gap}{unit} apart"),
                None => format!("no zone of agreement on {name}"),
            };
            (Zone::None { gap }, explanation)
        } else {
            let (low, high) = sorted(&common);
            let explanation = match (&low, &high) {
                (Some(low), Some(high)) => format!("zone of agreement on {name}: {low} to {high}"),
                _ => format!("a zone of agreement on {name} exists"),
            };
            (Zone::Interval { low, high }, explanation)
        };
        let explanation = match positions_gap {
            None => explanation,
            Some(gap) if gap > 0.0 => {
                let unit = match &issue.kind {
                    IssueKind::Choice { .. } if gap == 1.0 => " option".to_owned(),
                    IssueKind::Choice { .. } => " options".to_owned(),
                    _ => unit,
                };
                format!("{explanation}; the current demands are {gap}{unit} apart")
            }
            Some(_) => format!("{explanation}; the current demands overlap"),
        };
        zones.push(Zopa { issue: issue_id.clone(), parties: ranges, positions, positions_gap, zone, explanation });
    }
    zones
}
