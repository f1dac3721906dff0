//! Analysis of a scenario's negotiation: can all red lines hold together (and if not, which
//! minimal sets collide), the zone of agreement on each numeric or ordered issue, and — from the
//! parties' preferences — the frontier of the outcomes every red line allows, bargaining
//! solutions and an evaluation of the current proposal with its skew.
//!
//! **Confidentiality is applied once, first.** [`analyse`] takes the viewer's view of the record
//! (`parley_core::visibility::view`) before any engine runs, and every finding is computed from that
//! view alone, so that the analysis a viewer gets equals the analysis of that viewer's export of
//! the record: no hidden red line, preference or stance can shape an answer, not even by inference.
//! The one deliberate exception is a red line whose party sets `disclose = "conflicts"`: viewers
//! who may not see it still learn that it takes part in a conflict (its party and the issues it
//! names, never its id, expression or bounds). [`red_lines::disclosed_conflicts`] is the only code
//! that reads the whole record, and it returns nothing else.
//!
//! Red lines range over every issue they name — open, unsettled, or without an item yet — with
//! the agreed value for issues an agreed item settles; no conjunct is ever dropped.

mod agreement;
mod bargaining;
mod phases;
mod red_lines;

pub use phases::phase_issue;

use std::collections::BTreeSet;

use parley_core::expr::{Expr, Literal};
use parley_core::model::{Issue, IssueKind, Negotiation, Value};
use parley_core::status::{ItemState, Record, Status};
use parley_core::timeline::{Point, Timeline};
use parley_core::visibility::{Viewer, view};
use serde::Serialize;

use crate::space::Problem;

/// Limits that keep the analysis bounded on any input.
#[derive(Clone, Debug)]
pub struct ScenarioOptions {
    /// Subset issues with more elements than this are not enumerated (2^n values).
    pub max_subset_elements: usize,
    /// Integer issues with more values than this are represented by their breakpoints only.
    pub max_integer_values: i64,
    /// The work one red-line question may take (satisfiability with its conflicts; each zone's
    /// projection): past it the answer is "undetermined" with a warning.
    pub budget: crate::redlines::Budget,
    /// Conflicts are searched up to this many red lines at once.
    pub max_conflict_size: usize,
    /// The feasible part of the bargaining space is described by at most this many boxes (products
    /// of allowed values); beyond, red lines are not applied to bargaining and each solution says
    /// which red lines it breaks.
    pub max_feasible_boxes: usize,
    /// Restrict the bargaining analysis to these parties (in this order).
    pub parties: Option<Vec<String>>,
    /// The memory and work budget of the bargaining frontier (`--max-memory`, `--max-work`).
    pub frontier: crate::frontier::FrontierOptions,
}

impl Default for ScenarioOptions {
    fn default() -> ScenarioOptions {
        ScenarioOptions {
            max_subset_elements: 16,
            max_integer_values: 2_000,
            budget: crate::redlines::Budget::default(),
            max_conflict_size: 4,
            max_feasible_boxes: 20_000,
            parties: None,
            frontier: crate::frontier::FrontierOptions::default(),
        }
    }
}

/// Everything `parley analyze` reports on a scenario, for one viewer.
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
    /// Issues red lines name that no item in the framework settles (yet): they range over their
    /// whole domain.
    pub unsettled_issues: Vec<String>,
    pub red_lines: RedLineFindings,
    pub zopa: Vec<Zopa>,
    pub bargaining: Option<Bargaining>,
    pub proposal: Option<ProposalReport>,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RedLineFindings {
    /// Red lines in force that the analysis considered.
    pub considered: usize,
    /// `Some(true)`: some outcome satisfies every red line; `Some(false)`: none does (proven by a
    /// conflict or by the search); `None`: the check was out of reach (see warnings).
    pub all_can_hold: Option<bool>,
    /// Every minimal set of red lines that cannot hold together (up to the size limit), then the
    /// conflicts that red lines disclosed to the viewer take part in.
    pub conflicts: Vec<Conflict>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Conflict {
    pub red_lines: Vec<RedLineRef>,
    pub issues: Vec<String>,
    pub explanation: String,
}

/// A red line of a conflict as the viewer may see it.
#[derive(Clone, Debug, Serialize)]
pub struct RedLineRef {
    pub party: String,
    /// `None` for a red line the viewer may not see whose party discloses its conflicts.
    pub id: Option<String>,
    pub expression: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Zopa {
    pub issue: String,
    /// Each constrained party's acceptable range.
    pub parties: Vec<AcceptableRange>,
    /// Each party's demand in force, as positions on the issue's order.
    pub positions: Vec<PositionRange>,
    /// With two or more demands: how far apart they stand (0 when they overlap).
    pub positions_gap: Option<f64>,
    pub zone: Zone,
    pub explanation: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct AcceptableRange {
    pub party: String,
    /// The lowest and highest acceptable values (`None` when nothing is acceptable; for reals, the
    /// ends of the intervals, which may be open).
    pub low: Option<Value>,
    pub high: Option<Value>,
    /// Every acceptable value in words, gaps included: `0 to 2 and 5 to 10`, `above 3 to 10`.
    pub values: String,
}

/// A party's demand in force on an ordered issue.
#[derive(Clone, Debug, Serialize)]
pub struct PositionRange {
    pub party: String,
    /// In words (`5`, `3 to 5`, `close or sell`).
    pub demand: String,
    /// Its lowest and highest positions on the issue's order (option positions for ordered choices).
    pub low: f64,
    pub high: f64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Zone {
    /// Values every constrained party can accept: from `low` to `high`.
    Interval { low: Option<Value>, high: Option<Value> },
    /// No value is acceptable to all; `gap` is the distance between the ranges.
    None { gap: Option<f64> },
}

#[derive(Clone, Debug, Serialize)]
pub struct Bargaining {
    pub parties: Vec<String>,
    /// Outcomes of the bargaining space, red lines aside.
    pub n_outcomes: String,
    /// Red lines that bound the feasible set: the signatories' red lines in force.
    pub red_lines_applied: usize,
    /// Whether the frontier and solutions are over the outcomes every applied red line allows
    /// (`false` when that set was out of reach; each solution then lists the red lines it breaks).
    pub feasible_only: bool,
    pub frontier_size: usize,
    pub reservation: Vec<f64>,
    pub solutions: Vec<NamedSolution>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NamedSolution {
    pub name: String,
    pub utilities: Option<Vec<f64>>,
    /// The outcome, issue by issue. An issue no bargaining party values keeps the proposal's value
    /// when the red lines allow it, takes the one value they force, or is left out.
    #[serde(serialize_with = "parley_core::model::serialize_values")]
    pub outcome: Vec<(String, Value)>,
    /// Red lines in force the outcome breaks (ids).
    pub breaks: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProposalReport {
    /// The framework's value of each issue: proposed for open issues, agreed for fixed ones.
    #[serde(serialize_with = "parley_core::model::serialize_values")]
    pub values: Vec<(String, Value)>,
    /// Open issues without a proposed value.
    pub missing: Vec<String>,
    /// Why the proposal's utilities could not be evaluated, when they could not.
    pub not_evaluated: Option<String>,
    /// Red lines in force the proposal breaks (ids), as far as its values decide them.
    pub breaks: Vec<String>,
    /// Each party's utility, reservation value and share of the total surplus (when complete and
    /// the preferences are visible).
    pub utilities: Vec<PartyEvaluation>,
    pub on_frontier: Option<bool>,
    /// An outcome every red line allows that every party weakly prefers and one strictly, when the
    /// proposal is not optimal.
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
    /// The framework's value: proposed, or agreed when `agreed`.
    pub proposed: Value,
    /// The issue is settled by an agreed item (the skew of the agreed text).
    pub agreed: bool,
    /// Parties whose demand the value meets (the value, one of its alternatives, or within its range).
    pub matches: Vec<String>,
    /// Every visible demand on the issue in force at the point (a range's low end, the first of
    /// alternatives), or a party's best value by its preferences when it stated none.
    #[serde(serialize_with = "serialize_demands")]
    pub demands: Vec<(String, Value)>,
    /// The same demands in words (`3 to 5`, `close or sell`).
    #[serde(serialize_with = "serialize_described")]
    pub described: Vec<(String, String)>,
}

fn serialize_described<S: serde::Serializer>(described: &[(String, String)], serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(described.len()))?;
    for (party, text) in described {
        map.serialize_entry(party, text)?;
    }
    map.end()
}

fn serialize_demands<S: serde::Serializer>(demands: &[(String, Value)], serializer: S) -> Result<S::Ok, S::Error> {
    parley_core::model::serialize_values(demands, serializer)
}

/// Analyses a negotiation as of a point, for a viewer: on the viewer's view of the record only,
/// plus the conflicts red lines disclosed to it take part in.
pub fn analyse(negotiation: &Negotiation, as_of: &Point, viewer: &Viewer, options: &ScenarioOptions) -> ScenarioAnalysis {
    let visible = view(negotiation, viewer);
    let mut analysis = analyse_view(&visible, as_of, options);
    analysis.viewer = viewer.to_string();
    let disclosed = red_lines::disclosed_conflicts(negotiation, &visible, viewer, as_of, options);
    if !disclosed.is_empty() {
        analysis.red_lines.all_can_hold = Some(false);
        analysis.red_lines.conflicts.extend(disclosed);
    }
    analysis
}

/// The analysis of a record as it stands, everything in it visible.
fn analyse_view(visible: &Negotiation, as_of: &Point, options: &ScenarioOptions) -> ScenarioAnalysis {
    let mut warnings = Vec::new();
    let status = Record::new(visible).status(as_of);
    let settled = Settled::new(visible, &status);
    let in_force = red_lines_in_force(visible, as_of);
    let named = named_issues(visible, &in_force);
    let unsettled_issues: Vec<String> = named.iter().filter(|issue| !settled.covers(issue)).cloned().collect();
    let domains = Domains::new(visible, &settled, &unsettled_issues, options, &mut warnings);

    // With phases that constrain issues differently, red lines are decided per (issue, phase).
    let phased = phases::expand(visible, &status, &in_force, &settled, &unsettled_issues).unwrap_or_else(|warning| {
        warnings.push(warning);
        None
    });
    let (judged, judged_settled, judged_unsettled) = match &phased {
        Some(phased) => (&phased.negotiation, &phased.settled, phased.unsettled.as_slice()),
        None => (visible, &settled, unsettled_issues.as_slice()),
    };
    let mut red_lines = red_lines::findings(judged, &in_force, judged_settled, options, &mut warnings);
    if let Some(phased) = &phased {
        phases::narrow(phased, visible.phases.len(), &mut red_lines.conflicts, &options.budget);
    }
    let current = parley_core::positions::current_demands(judged, as_of.instant);
    let zopa = red_lines::zones(judged, &in_force, judged_settled, judged_unsettled, &current, options, &mut warnings);
    let (bargaining, mut proposal) = bargaining::analyse(visible, &status, &settled, &in_force, &domains, options, &mut warnings);
    if let (false, Some(proposal)) = (visible.phases.is_empty(), proposal.as_mut()) {
        // The proposal breaks a red line when its values break it in some phase, as status says.
        proposal.breaks = status.red_lines.iter().filter(|check| check.holds == Some(false)).map(|check| check.id.clone()).collect();
    }

    ScenarioAnalysis {
        negotiation: visible.id.clone(),
        as_of: as_of.clone(),
        viewer: Viewer::Everything.to_string(),
        open_issues: settled.open,
        fixed: settled.fixed,
        unsettled_issues,
        red_lines,
        zopa,
        bargaining,
        proposal,
        warnings,
    }
}

/// What `parley frontier`, `parley plot` and `parley simulate` need of a scenario: the viewer's
/// bargaining problem, the current proposal as an outcome of it (when every issue of the space has a
/// value), and the outcomes the signatories' red lines allow.
#[derive(Debug)]
pub struct ViewerProblem {
    pub problem: Problem,
    pub proposal: Option<Vec<u32>>,
    /// `None` when no red line applies, none can be met, or the feasible set was out of reach.
    pub feasible: Option<Feasible>,
    /// Ids of the red lines that bound the feasible set (the signatories' red lines in force).
    pub red_lines: Vec<String>,
    pub warnings: Vec<String>,
    /// The parties' own red lines in force; [`OwnRedLineSearch::run`] finds, per party of
    /// `problem`, the outcomes they allow (what a simulation binds its agent to).
    pub own_red_lines: OwnRedLineSearch,
    /// Reads an outcome of `problem` in the scenario's terms: the red lines in force it breaks, and
    /// issues nobody values at the proposal's value or unset.
    pub reader: OutcomeReader,
}

pub use agreement::{OutcomeReader, OwnRedLineSearch, OwnRedLines, ReadOutcome};
pub use bargaining::{Feasible, feasible_frontier};

/// The viewer's bargaining problem for a negotiation as of a point.
pub fn viewer_problem(negotiation: &Negotiation, as_of: &Point, viewer: &Viewer, options: &ScenarioOptions) -> ViewerProblem {
    // Shared with the search for the parties' own red lines, which a simulation runs later.
    let visible = std::sync::Arc::new(view(negotiation, viewer));
    let mut warnings = Vec::new();
    let status = Record::new(&visible).status(as_of);
    let settled = Settled::new(&visible, &status);
    let in_force = red_lines_in_force(&visible, as_of);
    let named = named_issues(&visible, &in_force);
    let unsettled: Vec<String> = named.iter().filter(|issue| !settled.covers(issue)).cloned().collect();
    let domains = Domains::new(&visible, &settled, &unsettled, options, &mut warnings);
    bargaining::viewer_problem(&visible, &status, &settled, &in_force, &domains, options, warnings)
}

// ---------------------------------------------------------------------------------------------
// Which issues are open, fixed, or named only by red lines.

/// Issues settled by items not yet agreed (open) and by agreed items (fixed, with their value).
pub(crate) struct Settled {
    pub open: Vec<String>,
    pub fixed: Vec<(String, Value)>,
}

impl Settled {
    /// An issue several documents settle is governed by one item: the one whose value the status
    /// proposes (the document in play), or for an issue without a value, the last item of a
    /// document in play that settles it. The issue is fixed when that item is agreed.
    fn new(negotiation: &Negotiation, status: &Status) -> Settled {
        let ended: Vec<&str> = status
            .documents
            .iter()
            .filter(|document| document.state.is_some_and(|state| state.is_terminal()))
            .map(|document| document.id.as_str())
            .collect();
        // Per issue, in order of first mention: every item (not removed) that settles it.
        // Indexed, not searched: a framework can hold hundreds of thousands of items.
        let settles: std::collections::HashMap<(&str, u32), &[String]> =
            negotiation.items.iter().map(|item| ((item.document.as_str(), item.number), item.settles.as_slice())).collect();
        let mut candidates: Vec<(String, Vec<&parley_core::status::ItemStatus>)> = Vec::new();
        let mut slot_of: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for item in status.items.iter().filter(|item| item.state != ItemState::Removed) {
            for issue in settles.get(&(item.document.as_str(), item.number)).copied().unwrap_or_default() {
                match slot_of.get(issue) {
                    Some(&slot) => candidates[slot].1.push(item),
                    None => {
                        slot_of.insert(issue.clone(), candidates.len());
                        candidates.push((issue.clone(), vec![item]));
                    }
                }
            }
        }
        let proposed: std::collections::HashMap<&str, &parley_core::status::ProposedValue> =
            status.proposed.iter().map(|value| (value.issue.as_str(), value)).collect();
        // The governing item: the one whose value the status proposes; without a value, the last
        // of a document in play, else the last.
        let governing = candidates.into_iter().filter_map(|(issue, items)| {
            let chosen = match proposed.get(issue.as_str()) {
                Some(value) => items.iter().find(|item| item.number == value.item && item.document == value.document).copied(),
                None => items.iter().rev().find(|item| !ended.contains(&item.document.as_str())).or(items.last()).copied(),
            };
            chosen.map(|item| (issue, item))
        });
        let mut open = Vec::new();
        let mut fixed = Vec::new();
        for (issue, item) in governing {
            let value = item.proposes.iter().find(|(proposed, _)| *proposed == issue).map(|(_, value)| value.clone());
            match value {
                Some(value) if item.state == ItemState::Agreed => fixed.push((issue, value)),
                _ => open.push(issue),
            }
        }
        Settled { open, fixed }
    }

    fn covers(&self, issue: &str) -> bool {
        self.open.iter().any(|open| open == issue) || self.fixed.iter().any(|(fixed, _)| fixed == issue)
    }

    fn fixed_value(&self, issue: &str) -> Option<&Value> {
        self.fixed.iter().find(|(fixed, _)| fixed == issue).map(|(_, value)| value)
    }
}

/// Indices of the red lines in force at the point.
fn red_lines_in_force(negotiation: &Negotiation, as_of: &Point) -> Vec<usize> {
    let timeline = Timeline::new(&negotiation.rounds);
    (0..negotiation.red_lines.len()).filter(|&index| timeline.in_force(&negotiation.red_lines[index], as_of.instant)).collect()
}

/// Every issue the red lines name, in declaration order.
fn named_issues(negotiation: &Negotiation, red_lines: &[usize]) -> Vec<String> {
    let named: BTreeSet<&str> = red_lines.iter().flat_map(|&index| negotiation.red_lines[index].expr.issues()).collect();
    negotiation.issues.iter().filter(|issue| named.contains(issue.id.as_str())).map(|issue| issue.id.clone()).collect()
}

// ---------------------------------------------------------------------------------------------
// Issue domains as finite candidate lists.

pub(crate) struct Domains<'n> {
    negotiation: &'n Negotiation,
    /// Candidate values per issue id (fixed issues: their one value), in declaration order.
    values: Vec<(String, Vec<Value>)>,
}

impl<'n> Domains<'n> {
    fn new(
        negotiation: &'n Negotiation,
        settled: &Settled,
        unsettled: &[String],
        options: &ScenarioOptions,
        warnings: &mut Vec<String>,
    ) -> Domains<'n> {
        let mut values = Vec::new();
        for issue in &negotiation.issues {
            if let Some(value) = settled.fixed_value(&issue.id) {
                values.push((issue.id.clone(), vec![value.clone()]));
            } else if settled.open.contains(&issue.id) || unsettled.contains(&issue.id) {
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
            // A bound on this issue alone (`x <= 5 %`, `2 * x >= 3`): where it switches.
            Expr::Linear(linear) => {
                if let Some(normal) = linear.normal() {
                    if let [(id, coefficient)] = normal.terms.as_slice() {
                        if id == issue {
                            found.push(normal.constant as f64 / *coefficient as f64);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    for red_line in &negotiation.red_lines {
        walk(&red_line.expr, issue, &mut found);
    }
    found
}
