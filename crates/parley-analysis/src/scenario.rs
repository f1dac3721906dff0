//! Analysis of a scenario file's negotiation over the issues still open: can all red lines hold
//! together (and if not, which minimal sets collide), the zone of agreement on each numeric or
//! ordered issue, and — from the parties' preferences — the frontier, bargaining solutions and an
//! evaluation of the current proposal with its skew.
//!
//! Red-line questions are answered on the whole record and then **redacted** for the viewer: a
//! conflict or a missing zone of agreement is reported, but no bound or expression the viewer may
//! not see. Preference-based results are computed on the viewer's own view of the record, so no
//! confidential valuation can shape them.

use std::collections::BTreeSet;

use parley_core::expr::{Expr, Literal, rank_value};
use parley_core::model::{Issue, IssueKind, Negotiation, Value};
use parley_core::status::{ItemState, Record};
use parley_core::timeline::Point;
use parley_core::visibility::{Viewer, view};
use serde::Serialize;

use crate::frontier::{FrontierOptions, frontier};
use crate::solutions::solve;
use crate::space::{Additive, IssueSpace, Label, OutcomeSpace, Party, Problem, Utility};

/// Limits that keep the analysis bounded on any input.
#[derive(Clone, Debug)]
pub struct ScenarioOptions {
    /// Subset issues with more elements than this are not enumerated (2^n values).
    pub max_subset_elements: usize,
    /// Integer issues with more values than this are represented by their breakpoints only.
    pub max_integer_values: i64,
    /// Refuse a red-line satisfiability check needing more assignments than this.
    pub max_assignments: f64,
    /// Conflicts are searched up to this many red lines at once.
    pub max_conflict_size: usize,
    /// Restrict the bargaining analysis to these parties (in this order).
    pub parties: Option<Vec<String>>,
}

impl Default for ScenarioOptions {
    fn default() -> ScenarioOptions {
        ScenarioOptions {
            max_subset_elements: 16,
            max_integer_values: 2_000,
            max_assignments: 20_000_000.0,
            max_conflict_size: 4,
            parties: None,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ScenarioAnalysis {
    pub negotiation: String,
    pub as_of: Point,
    pub viewer: String,
    /// Issues settled by items not yet agreed (and not removed).
    pub open_issues: Vec<String>,
    /// Issues settled by agreed items, with the agreed value.
    #[serde(serialize_with = "parley_core::model::serialize_values")]
    pub fixed: Vec<(String, Value)>,
    pub red_lines: RedLineFindings,
    pub zopa: Vec<Zopa>,
    pub bargaining: Option<Bargaining>,
    pub proposal: Option<ProposalReport>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RedLineFindings {
    /// Red lines in force that constrain open issues.
    pub considered: usize,
    /// `Some(true)`: some outcome satisfies every red line; `Some(false)`: none does; `None`: the
    /// check was out of reach (see warnings).
    pub all_can_hold: Option<bool>,
    /// Every minimal set of red lines that cannot hold together (up to the size limit).
    pub conflicts: Vec<Conflict>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Conflict {
    pub red_lines: Vec<RedLineRef>,
    pub issues: Vec<String>,
    pub explanation: String,
}

/// A red line as the viewer may see it.
#[derive(Clone, Debug, Serialize)]
pub struct RedLineRef {
    pub party: String,
    /// `None` when the viewer may not see this red line.
    pub id: Option<String>,
    pub expression: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Zopa {
    pub issue: String,
    /// Each constrained party's acceptable range (bounds hidden when confidential).
    pub parties: Vec<AcceptableRange>,
    pub zone: Zone,
    pub explanation: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct AcceptableRange {
    pub party: String,
    /// `None` when the viewer may not see what bounds it, or when nothing is acceptable.
    pub low: Option<Value>,
    pub high: Option<Value>,
    pub confidential: bool,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Zone {
    /// Values every constrained party can accept: from `low` to `high` (bounds hidden when they
    /// would reveal a confidential red line).
    Interval { low: Option<Value>, high: Option<Value> },
    /// No value is acceptable to all; `gap` is the distance between the ranges when it may be told.
    None { gap: Option<f64> },
}

#[derive(Clone, Debug, Serialize)]
pub struct Bargaining {
    pub parties: Vec<String>,
    pub n_outcomes: String,
    pub frontier_size: usize,
    pub reservation: Vec<f64>,
    pub solutions: Vec<NamedSolution>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NamedSolution {
    pub name: String,
    pub utilities: Option<Vec<f64>>,
    #[serde(serialize_with = "parley_core::model::serialize_values")]
    pub outcome: Vec<(String, Value)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProposalReport {
    /// The framework's proposed value of each open issue.
    #[serde(serialize_with = "parley_core::model::serialize_values")]
    pub values: Vec<(String, Value)>,
    /// Open issues without a proposed value.
    pub missing: Vec<String>,
    /// Each party's utility, reservation value and share of the total surplus (when complete and
    /// the preferences are visible).
    pub utilities: Vec<PartyEvaluation>,
    pub on_frontier: Option<bool>,
    /// An outcome every party weakly prefers and one strictly, when the proposal is not optimal.
    pub improvement: Option<NamedSolution>,
    pub skew: Vec<IssueSkew>,
    pub summary: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct PartyEvaluation {
    pub party: String,
    pub utility: f64,
    pub reservation: f64,
    pub surplus_share: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct IssueSkew {
    pub issue: String,
    pub proposed: Value,
    /// Parties whose stated demand the proposal matches.
    pub matches: Vec<String>,
    /// Every visible demand on the issue.
    #[serde(serialize_with = "serialize_demands")]
    pub demands: Vec<(String, Value)>,
}

fn serialize_demands<S: serde::Serializer>(demands: &[(String, Value)], serializer: S) -> Result<S::Ok, S::Error> {
    parley_core::model::serialize_values(demands, serializer)
}

/// Analyses a negotiation as of a point, for a viewer.
pub fn analyse(negotiation: &Negotiation, as_of: &Point, viewer: &Viewer, options: &ScenarioOptions) -> ScenarioAnalysis {
    let mut warnings = Vec::new();
    // Red lines in force come from the whole record (findings about them are redacted below);
    // which issues are open or settled, and what is proposed, only from what the viewer may see —
    // a private acceptance must not show as a settled issue.
    let visible = view(negotiation, viewer);
    let visible_status = Record::new(&visible).status(as_of);
    let (open_issues, fixed) = open_and_fixed(&visible, &visible_status);

    let domains = Domains::new(negotiation, &open_issues, &fixed, options, &mut warnings);
    let timeline = parley_core::timeline::Timeline::new(&negotiation.rounds);
    let in_force: Vec<usize> = (0..negotiation.red_lines.len())
        .filter(|&index| timeline.in_force(&negotiation.red_lines[index], as_of.instant))
        .filter(|&index| negotiation.red_lines[index].expr.issues().iter().any(|issue| open_issues.iter().any(|open| open == issue)))
        .collect();

    let red_lines = red_line_findings(negotiation, &in_force, &domains, viewer, options, &mut warnings);
    let zopa = zones(negotiation, &in_force, &open_issues, &domains, viewer, &mut warnings);

    // Preferences: only what the viewer may see — and over candidate values drawn only from what
    // the viewer may see, or hidden red lines' breakpoints and hidden demands would show in them.
    let visible_domains = Domains::new(&visible, &open_issues, &fixed, options, &mut Vec::new());
    let (bargaining, proposal) =
        preference_analysis(&visible, &visible_status.proposed, &open_issues, &fixed, &visible_domains, options, &mut warnings);

    ScenarioAnalysis {
        negotiation: negotiation.id.clone(),
        as_of: as_of.clone(),
        viewer: viewer.to_string(),
        open_issues,
        fixed,
        red_lines,
        zopa,
        bargaining,
        proposal,
        warnings,
    }
}

// ---------------------------------------------------------------------------------------------
// Issue domains as finite candidate lists.

struct Domains<'n> {
    negotiation: &'n Negotiation,
    /// Candidate values per issue id (fixed issues: their one value).
    values: Vec<(String, Vec<Value>)>,
}

impl<'n> Domains<'n> {
    fn new(
        negotiation: &'n Negotiation,
        open: &[String],
        fixed: &[(String, Value)],
        options: &ScenarioOptions,
        warnings: &mut Vec<String>,
    ) -> Domains<'n> {
        let mut values = Vec::new();
        for issue in &negotiation.issues {
            if let Some((_, value)) = fixed.iter().find(|(id, _)| *id == issue.id) {
                values.push((issue.id.clone(), vec![value.clone()]));
            } else if open.contains(&issue.id) {
                values.push((issue.id.clone(), candidates(negotiation, issue, options, warnings)));
            }
        }
        Domains { negotiation, values }
    }

    fn of(&self, issue: &str) -> Option<&[Value]> {
        self.values.iter().find(|(id, _)| id == issue).map(|(_, values)| values.as_slice())
    }

    fn kind(&self, issue: &str) -> Option<IssueKind> {
        self.negotiation.issue(issue).map(|issue| issue.kind.clone())
    }
}

/// The values worth trying for an issue: all of them when few; otherwise the breakpoints of the
/// red lines' comparisons and a point between each pair, which decide every comparison exactly.
fn candidates(negotiation: &Negotiation, issue: &Issue, options: &ScenarioOptions, warnings: &mut Vec<String>) -> Vec<Value> {
    match &issue.kind {
        IssueKind::Choice { options: names, .. } => names.iter().map(|name| Value::Choice(name.clone())).collect(),
        IssueKind::YesNo => vec![Value::Bool(false), Value::Bool(true)],
        IssueKind::Subset { elements } => {
            if elements.len() > options.max_subset_elements {
                warnings.push(format!(
                    "issue `{}` has {} elements: only the empty set, each single element and the full set are tried",
                    issue.id,
                    elements.len()
                ));
                let mut sets = vec![BTreeSet::new(), elements.iter().cloned().collect()];
                sets.extend(elements.iter().map(|element| BTreeSet::from([element.clone()])));
                return sets.into_iter().map(Value::Set).collect();
            }
            (0u32..(1u32 << elements.len()))
                .map(|mask| {
                    Value::Set(
                        elements.iter().enumerate().filter(|(bit, _)| mask & (1 << bit) != 0).map(|(_, name)| name.clone()).collect(),
                    )
                })
                .collect()
        }
        IssueKind::Integer { min, max, step, .. } => {
            let count = (i128::from(*max) - i128::from(*min)) / i128::from(*step) + 1;
            if count <= i128::from(options.max_integer_values) {
                return (0..count as i64).map(|index| Value::Integer(min + index * step)).collect();
            }
            // In i128: any i64 range and step, and any literal, stay exact and never overflow.
            let (min, max, step) = (i128::from(*min), i128::from(*max), i128::from(*step));
            let mut points: BTreeSet<i128> = BTreeSet::from([min, max]);
            // A coarse grid for bargaining, and every value anyone proposed or demanded.
            let steps = (count - 1).min(20);
            for index in 0..=steps {
                points.insert(min + ((max - min) / step * index / steps.max(1)) * step);
            }
            for value in mentioned(negotiation, &issue.id) {
                if let Value::Integer(number) = value {
                    points.insert(i128::from(number));
                }
            }
            for literal in literals(negotiation, &issue.id) {
                // A saturating conversion: a literal beyond the range snaps to its end or is skipped.
                let center = literal.round() as i128;
                for point in [center.saturating_sub(step), center, center.saturating_add(step)] {
                    // Snap to the step grid inside the range.
                    let snapped = min + ((point - min).max(0) / step) * step;
                    if (min..=max).contains(&snapped) {
                        points.insert(snapped);
                        if snapped + step <= max {
                            points.insert(snapped + step);
                        }
                    }
                }
            }
            // Every point lies in min..=max, so within i64.
            points.into_iter().filter_map(|point| i64::try_from(point).ok()).map(Value::Integer).collect()
        }
        IssueKind::Real { min, max, .. } => {
            // Breakpoints of the red lines and a point between each pair decide every comparison;
            // a grid of 21 points and every value anyone proposed or demanded serve bargaining.
            let mut points: Vec<f64> = vec![*min, *max];
            points.extend(literals(negotiation, &issue.id).into_iter().filter(|literal| (*min..=*max).contains(literal)));
            points.sort_by(f64::total_cmp);
            points.dedup();
            let mut all = points.clone();
            all.extend(points.windows(2).map(|pair| (pair[0] + pair[1]) / 2.0));
            all.extend((0..=20).map(|index| min + (max - min) * f64::from(index) / 20.0));
            all.extend(mentioned(negotiation, &issue.id).into_iter().filter_map(|value| match value {
                Value::Real(number) => Some(number),
                _ => None,
            }));
            all.sort_by(f64::total_cmp);
            all.dedup();
            all.into_iter().map(Value::Real).collect()
        }
    }
}

/// Values of an issue that items propose (in any version) or parties demand.
fn mentioned(negotiation: &Negotiation, issue: &str) -> Vec<Value> {
    let mut values = Vec::new();
    for item in &negotiation.items {
        let proposals = item.proposes.iter().chain(item.revisions.iter().flat_map(|revision| revision.proposes.iter()));
        values.extend(proposals.filter(|(id, _)| id == issue).map(|(_, value)| value.clone()));
    }
    values.extend(negotiation.demands.iter().filter(|demand| demand.issue == issue).map(|demand| demand.value.clone()));
    values
}

/// Numbers red lines compare an issue with.
fn literals(negotiation: &Negotiation, issue: &str) -> Vec<f64> {
    fn walk(expr: &Expr, issue: &str, found: &mut Vec<f64>) {
        match expr {
            Expr::Not(inner) => walk(inner, issue, found),
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Implies(a, b) => {
                walk(a, issue, found);
                walk(b, issue, found);
            }
            Expr::Compare { issue: name, literal, .. } if name.id == issue => match literal {
                Literal::Integer(number) => found.push(*number as f64),
                Literal::Real(number) => found.push(*number),
                _ => {}
            },
            _ => {}
        }
    }
    let mut found = Vec::new();
    for red_line in &negotiation.red_lines {
        walk(&red_line.expr, issue, &mut found);
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Red lines: satisfiability and minimal conflicts.

/// Whether the red lines `indices` can all hold; `None` when the search is too large.
fn satisfiable(
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
    let lists: Vec<&[Value]> = issues.iter().map(|issue| domains.of(issue).unwrap_or(&[])).collect();
    let size: f64 = lists.iter().map(|list| list.len() as f64).product();
    if size > limit {
        return None;
    }
    if lists.iter().any(|list| list.is_empty()) {
        // An issue outside the open framework: its value is unknown; treat as unconstrained.
        return Some(true);
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
        if expressions.iter().all(|expr| expr.evaluate(&value_of) != Some(false)) {
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

fn red_line_ref(negotiation: &Negotiation, index: usize, viewer: &Viewer) -> RedLineRef {
    let red_line = &negotiation.red_lines[index];
    let visible = viewer.may_see_red_line(negotiation, red_line);
    RedLineRef {
        party: red_line.party.clone(),
        id: visible.then(|| red_line.id.clone()),
        expression: visible.then(|| red_line.expression.clone()),
    }
}

fn red_line_findings(
    negotiation: &Negotiation,
    in_force: &[usize],
    domains: &Domains<'_>,
    viewer: &Viewer,
    options: &ScenarioOptions,
    warnings: &mut Vec<String>,
) -> RedLineFindings {
    let all_can_hold = satisfiable(negotiation, in_force, domains, options.max_assignments, None);
    let mut conflicts: Vec<Vec<usize>> = Vec::new();
    if all_can_hold != Some(true) {
        // Minimal unsatisfiable sets, by increasing size; a conflict must be connected through
        // shared issues, and no superset of a known conflict is minimal.
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
                match satisfiable(negotiation, set, domains, options.max_assignments, None) {
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
        if undetermined {
            warnings.push("some sets of red lines span too many combinations to check; their conflicts may be missing".to_owned());
        }
        if all_can_hold == Some(false) && conflicts.is_empty() {
            warnings.push(format!(
                "the red lines cannot all hold, but no conflict of at most {} red lines explains it",
                options.max_conflict_size
            ));
        }
    }
    let conflicts = conflicts
        .into_iter()
        .map(|set| {
            let mut issues: Vec<String> = Vec::new();
            for &index in &set {
                for issue in negotiation.red_lines[index].expr.issues() {
                    if !issues.iter().any(|known| known == issue) {
                        issues.push(issue.to_owned());
                    }
                }
            }
            let refs: Vec<RedLineRef> = set.iter().map(|&index| red_line_ref(negotiation, index, viewer)).collect();
            let named: Vec<String> = refs
                .iter()
                .map(|reference| match &reference.id {
                    Some(id) => format!("{}'s red line {id}", negotiation.party_name(&reference.party)),
                    None => format!("a confidential red line of {}", negotiation.party_name(&reference.party)),
                })
                .collect();
            let explanation = if set.len() == 1 {
                format!("{} cannot hold for any value of {}", named[0], issues.join(", "))
            } else {
                format!("{} cannot all hold together: no value of {} satisfies them all", named.join(" and "), issues.join(", "))
            };
            Conflict { red_lines: refs, issues, explanation }
        })
        .collect();
    RedLineFindings { considered: in_force.len(), all_can_hold, conflicts }
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

fn zones(
    negotiation: &Negotiation,
    in_force: &[usize],
    open: &[String],
    domains: &Domains<'_>,
    viewer: &Viewer,
    warnings: &mut Vec<String>,
) -> Vec<Zopa> {
    let mut zones = Vec::new();
    for issue_id in open {
        let Some(issue) = negotiation.issue(issue_id) else { continue };
        let ordered = matches!(issue.kind, IssueKind::Integer { .. } | IssueKind::Real { .. } | IssueKind::Choice { ordered: true, .. });
        if !ordered {
            continue;
        }
        let Some(values) = domains.of(issue_id) else { continue };
        // Each party with a red line naming the issue: the values it can accept.
        let mut parties: Vec<(String, Vec<Value>, bool)> = Vec::new();
        for party in &negotiation.parties {
            let mine: Vec<usize> = in_force
                .iter()
                .copied()
                .filter(|&index| {
                    negotiation.red_lines[index].party == party.id
                        && negotiation.red_lines[index].expr.issues().contains(&issue_id.as_str())
                })
                .collect();
            if mine.is_empty() {
                continue;
            }
            let mut acceptable = Vec::new();
            for value in values {
                match satisfiable(negotiation, &mine, domains, 2_000_000.0, Some((issue_id, value))) {
                    Some(false) => {}
                    Some(true) => acceptable.push(value.clone()),
                    None => {
                        warnings.push(format!("zone of agreement on `{issue_id}`: {}'s red lines are too large to project", party.id));
                        acceptable.push(value.clone());
                    }
                }
            }
            let confidential = mine.iter().any(|&index| !viewer.may_see_red_line(negotiation, &negotiation.red_lines[index]));
            parties.push((party.id.clone(), acceptable, confidential));
        }
        if parties.is_empty() {
            continue;
        }
        let common: Vec<Value> =
            values.iter().filter(|value| parties.iter().all(|(_, acceptable, _)| acceptable.contains(value))).cloned().collect();
        let any_confidential = parties.iter().any(|(_, _, confidential)| *confidential);
        let sorted = |list: &[Value]| -> (Option<Value>, Option<Value>) {
            let mut ranked: Vec<(f64, &Value)> =
                list.iter().filter_map(|value| rank(&issue.kind, value).map(|rank| (rank, value))).collect();
            ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
            (ranked.first().map(|(_, value)| (*value).clone()), ranked.last().map(|(_, value)| (*value).clone()))
        };
        let ranges: Vec<AcceptableRange> = parties
            .iter()
            .map(|(party, acceptable, confidential)| {
                let (low, high) = if *confidential { (None, None) } else { sorted(acceptable) };
                AcceptableRange { party: party.clone(), low, high, confidential: *confidential }
            })
            .collect();
        let name = &issue.name;
        let (zone, explanation) = if common.is_empty() {
            // The gap between ranges: highest lower bound minus lowest upper bound.
            let bounds: Vec<(Option<f64>, Option<f64>)> = parties
                .iter()
                .map(|(_, acceptable, _)| {
                    let (low, high) = sorted(acceptable);
                    (low.and_then(|value| rank(&issue.kind, &value)), high.and_then(|value| rank(&issue.kind, &value)))
                })
                .collect();
            let highest_low = bounds.iter().filter_map(|(low, _)| *low).fold(f64::NEG_INFINITY, f64::max);
            let lowest_high = bounds.iter().filter_map(|(_, high)| *high).fold(f64::INFINITY, f64::min);
            let gap =
                (highest_low > lowest_high && highest_low.is_finite() && lowest_high.is_finite()).then_some(highest_low - lowest_high);
            let told_gap = if any_confidential { None } else { gap };
            let unit = match &issue.kind {
                IssueKind::Choice { .. } if gap == Some(1.0) => " option".to_owned(),
                IssueKind::Choice { .. } => " options".to_owned(),
                IssueKind::Integer { unit, .. } | IssueKind::Real { unit, .. } if !unit.is_empty() => format!(" {unit}"),
                _ => String::new(),
            };
            let explanation = match told_gap {
                Some(gap) => format!("no zone of agreement on {name}: the acceptable ranges are {gap}{unit} apart"),
                None => format!("no zone of agreement on {name}"),
            };
            (Zone::None { gap: told_gap }, explanation)
        } else {
            let (low, high) = if any_confidential { (None, None) } else { sorted(&common) };
            let explanation = match (&low, &high) {
                (Some(low), Some(high)) => format!("zone of agreement on {name}: {low} to {high}"),
                _ => format!("a zone of agreement on {name} exists (its bounds are confidential)"),
            };
            (Zone::Interval { low, high }, explanation)
        };
        zones.push(Zopa { issue: issue_id.clone(), parties: ranges, zone, explanation });
    }
    zones
}

// ---------------------------------------------------------------------------------------------
// Preferences: frontier, solutions, proposal evaluation and skew.

fn label_of(value: &Value) -> Label {
    match value {
        Value::Choice(option) => Label::Text(option.clone()),
        Value::Integer(number) => Label::Integer(*number),
        Value::Real(number) => Label::Real(*number),
        Value::Bool(flag) => Label::Bool(*flag),
        Value::Set(elements) => Label::Set(elements.iter().cloned().collect()),
    }
}

fn preference_analysis(
    visible: &Negotiation,
    proposed: &[parley_core::status::ProposedValue],
    open: &[String],
    fixed: &[(String, Value)],
    domains: &Domains<'_>,
    options: &ScenarioOptions,
    warnings: &mut Vec<String>,
) -> (Option<Bargaining>, Option<ProposalReport>) {
    let (problem, issues) = bargaining_problem(visible, open, fixed, domains, options);

    let proposal_values: Vec<(String, Value)> = open
        .iter()
        .filter_map(|issue| proposed.iter().find(|value| value.issue == *issue).map(|value| (issue.clone(), value.value.clone())))
        .collect();
    let missing: Vec<String> = open.iter().filter(|issue| !proposal_values.iter().any(|(id, _)| id == *issue)).cloned().collect();

    let mut bargaining = None;
    let mut utilities = Vec::new();
    let mut on_frontier = None;
    let mut improvement = None;
    if problem.parties.len() >= 2 && !issues.is_empty() {
        match frontier(&problem, &FrontierOptions::default()) {
            Err(error) => warnings.push(format!("bargaining analysis: {error}")),
            Ok(frontier) => {
                let solutions = solve(&frontier, &problem.reservations());
                let describe = |name: &str, point: &Option<crate::frontier::Point>| NamedSolution {
                    name: name.to_owned(),
                    utilities: point.as_ref().map(|point| point.utilities.clone()),
                    outcome: point
                        .as_ref()
                        .map(|point| {
                            issues
                                .iter()
                                .zip(&point.outcome)
                                .map(|((id, values), &index)| (id.clone(), values[index as usize].clone()))
                                .collect()
                        })
                        .unwrap_or_default(),
                };
                bargaining = Some(Bargaining {
                    parties: problem.parties.iter().map(|party| party.name.clone()).collect(),
                    n_outcomes: problem.space.count().to_string(),
                    frontier_size: frontier.points.len(),
                    reservation: problem.reservations(),
                    solutions: vec![
                        describe("nash", &solutions.nash),
                        describe("kalai_smorodinsky", &solutions.kalai_smorodinsky),
                        describe("egalitarian", &solutions.egalitarian),
                        describe("utilitarian", &solutions.utilitarian),
                    ],
                });
                // Evaluate the proposal when every open issue has a proposed value in the space.
                let outcome = proposal_outcome(&issues, proposed, fixed);
                if let Some(outcome) = outcome {
                    let vector = problem.utilities(&outcome);
                    let reservations = problem.reservations();
                    let surplus: Vec<f64> = vector.iter().zip(&reservations).map(|(u, d)| (u - d).max(0.0)).collect();
                    let total: f64 = surplus.iter().sum();
                    utilities = problem
                        .parties
                        .iter()
                        .enumerate()
                        .map(|(index, party)| PartyEvaluation {
                            party: party.name.clone(),
                            utility: vector[index],
                            reservation: reservations[index],
                            surplus_share: (total > 0.0).then(|| surplus[index] / total),
                        })
                        .collect();
                    let dominating = frontier
                        .points
                        .iter()
                        .filter(|point| point.utilities.iter().zip(&vector).all(|(a, b)| a >= b) && point.utilities != vector)
                        .max_by(|a, b| {
                            let gain = |point: &crate::frontier::Point| {
                                point.utilities.iter().zip(&vector).map(|(a, b)| a - b).fold(f64::INFINITY, f64::min)
                            };
                            gain(a).total_cmp(&gain(b))
                        });
                    on_frontier = Some(dominating.is_none());
                    improvement = dominating.map(|point| describe("pareto_improvement", &Some(point.clone())));
                }
            }
        }
    }

    // Skew: on each disputed open issue, whose stated demand does the proposal match?
    let mut skew = Vec::new();
    for (issue, value) in &proposal_values {
        let mut demands: Vec<(String, Value)> = visible
            .demands
            .iter()
            .filter(|demand| demand.issue == *issue)
            .map(|demand| (demand.party.clone(), demand.value.clone()))
            .collect();
        // Parties without an explicit demand demand their best value, when their preferences show it.
        for preference in &visible.preferences {
            if demands.iter().any(|(party, _)| *party == preference.party) {
                continue;
            }
            if let (Some(entry), Some(values)) = (preference.issues.iter().find(|entry| entry.issue == *issue), domains.of(issue)) {
                if entry.weight > 0.0 {
                    let best = values.iter().max_by(|a, b| entry.valuation.evaluate(a).total_cmp(&entry.valuation.evaluate(b)));
                    if let Some(best) = best {
                        demands.push((preference.party.clone(), best.clone()));
                    }
                }
            }
        }
        let distinct: BTreeSet<String> = demands.iter().map(|(_, value)| value.to_string()).collect();
        if distinct.len() < 2 {
            continue; // Not disputed: nobody asks for anything different.
        }
        let matches = demands.iter().filter(|(_, demanded)| demanded == value).map(|(party, _)| party.clone()).collect();
        skew.push(IssueSkew { issue: issue.clone(), proposed: value.clone(), matches, demands });
    }
    let summary = skew_summary(visible, &skew);

    let proposal = (!proposal_values.is_empty()).then_some(ProposalReport {
        values: proposal_values,
        missing,
        utilities,
        on_frontier,
        improvement,
        skew,
        summary,
    });
    (bargaining, proposal)
}

/// The bargaining problem over the open issues (fixed issues with their one value) among the
/// parties whose preferences `visible` holds: signatories by default, or those named.
fn bargaining_problem(
    visible: &Negotiation,
    open: &[String],
    fixed: &[(String, Value)],
    domains: &Domains<'_>,
    options: &ScenarioOptions,
) -> (Problem, Vec<(String, Vec<Value>)>) {
    // Parties with visible preferences, signatories first unless named.
    let mut parties: Vec<&parley_core::model::Preference> = match &options.parties {
        Some(names) => names.iter().filter_map(|name| visible.preferences.iter().find(|preference| &preference.party == name)).collect(),
        None => visible.preferences.iter().filter(|preference| visible.is_signatory(&preference.party)).collect(),
    };
    if options.parties.is_none() && parties.len() < 2 {
        parties = visible.preferences.iter().collect();
    }
    // The space: open issues with candidate values, fixed ones with their single value.
    let issues: Vec<(String, Vec<Value>)> = visible
        .issues
        .iter()
        .filter(|issue| open.contains(&issue.id) || fixed.iter().any(|(id, _)| *id == issue.id))
        .filter_map(|issue| domains.of(&issue.id).map(|values| (issue.id.clone(), values.to_vec())))
        .collect();
    let space = OutcomeSpace {
        issues: issues.iter().map(|(id, values)| IssueSpace { name: id.clone(), values: values.iter().map(label_of).collect() }).collect(),
    };
    let problem = Problem {
        space,
        parties: parties
            .iter()
            .map(|preference| Party {
                name: preference.party.clone(),
                utility: Utility::Additive(Additive {
                    tables: issues
                        .iter()
                        .map(|(id, values)| match preference.issues.iter().find(|entry| entry.issue == *id) {
                            Some(entry) => values.iter().map(|value| entry.weight * entry.valuation.evaluate(value)).collect(),
                            None => vec![0.0; values.len()],
                        })
                        .collect(),
                }),
                reservation: preference.reservation,
                discount: None,
            })
            .collect(),
    };

    (problem, issues)
}

/// The viewer's bargaining problem for a negotiation as of a point, and the current proposal as an
/// outcome of it when every open issue has a proposed value. For `parley frontier` and `parley plot`.
pub fn viewer_problem(
    negotiation: &Negotiation,
    as_of: &Point,
    viewer: &Viewer,
    options: &ScenarioOptions,
) -> (Problem, Option<Vec<u32>>, Vec<String>) {
    let mut warnings = Vec::new();
    // As in `analyse`: open and settled issues as the viewer sees them.
    let visible = view(negotiation, viewer);
    let status = Record::new(&visible).status(as_of);
    let (open, fixed) = open_and_fixed(&visible, &status);
    let domains = Domains::new(&visible, &open, &fixed, options, &mut warnings);
    let (problem, issues) = bargaining_problem(&visible, &open, &fixed, &domains, options);
    let proposal = proposal_outcome(&issues, &status.proposed, &fixed);
    (problem, proposal, warnings)
}

fn proposal_outcome(
    issues: &[(String, Vec<Value>)],
    proposed: &[parley_core::status::ProposedValue],
    fixed: &[(String, Value)],
) -> Option<Vec<u32>> {
    issues
        .iter()
        .map(|(id, values)| {
            let value = proposed
                .iter()
                .find(|value| value.issue == *id)
                .map(|value| &value.value)
                .or_else(|| fixed.iter().find(|(issue, _)| issue == id).map(|(_, value)| value))?;
            values.iter().position(|candidate| candidate == value).map(|index| index as u32)
        })
        .collect()
}

/// Issues settled by items not yet agreed (open) and by agreed items (fixed, with their value).
fn open_and_fixed(negotiation: &Negotiation, status: &parley_core::status::Status) -> (Vec<String>, Vec<(String, Value)>) {
    let mut open_issues = Vec::new();
    let mut fixed = Vec::new();
    for item in &status.items {
        if item.state == ItemState::Removed {
            continue;
        }
        let settles = negotiation.item(item.number).map(|item| item.settles.clone()).unwrap_or_default();
        for issue in settles {
            if item.state == ItemState::Agreed {
                if let Some((_, value)) = item.proposes.iter().find(|(proposed, _)| *proposed == issue) {
                    fixed.push((issue.clone(), value.clone()));
                    continue;
                }
            }
            open_issues.push(issue);
        }
    }
    (open_issues, fixed)
}

fn skew_summary(negotiation: &Negotiation, skew: &[IssueSkew]) -> String {
    if skew.is_empty() {
        return "no disputed issue with stated demands".to_owned();
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for entry in skew {
        for party in &entry.matches {
            match counts.iter_mut().find(|(name, _)| name == party) {
                Some((_, count)) => *count += 1,
                None => counts.push((party.clone(), 1)),
            }
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if counts.is_empty() {
        return format!("the proposal matches no party's stated demand on the {} disputed issue(s)", skew.len());
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(party, count)| format!("{}'s stated demand on {count} of {}", negotiation.party_name(party), skew.len()))
        .collect();
    format!("the proposal matches {} disputed issue(s)", parts.join(", "))
}
