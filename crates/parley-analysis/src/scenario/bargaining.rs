//! Bargaining from the parties' preferences over the outcomes the signatories' red lines allow:
//! the feasible frontier, the four solutions, the current proposal's evaluation and its skew.

use std::collections::BTreeSet;

use parley_core::expr::{Expr, rank_value};
use parley_core::model::{Negotiation, Preference, Value};
use parley_core::status::Status;

use super::{Bargaining, Domains, IssueSkew, NamedSolution, PartyEvaluation, ProposalReport, ScenarioOptions, Settled, ViewerProblem};
use crate::frontier::{Frontier, FrontierError, FrontierOptions, Point, frontier};
use crate::solutions::solve;
use crate::space::{Additive, IssueSpace, Label, OutcomeSpace, Party, Problem, Utility};

/// The outcomes of a bargaining problem that every applied red line allows, as a union of boxes:
/// each box allows a list of values (indices) per issue of the problem's space, and its own
/// problem is the bargaining problem restricted to those values.
#[derive(Clone, Debug)]
pub struct Feasible {
    boxes: Vec<FeasibleBox>,
}

#[derive(Clone, Debug)]
struct FeasibleBox {
    /// Allowed value indices per issue of the whole problem's space.
    allowed: Vec<Vec<u32>>,
    /// The problem over exactly those values.
    problem: Problem,
}

impl Feasible {
    /// Whether no outcome satisfies every applied red line.
    pub fn is_empty(&self) -> bool {
        self.boxes.is_empty()
    }

    /// Whether an outcome of the whole problem's space is feasible.
    pub fn contains(&self, outcome: &[u32]) -> bool {
        self.boxes.iter().any(|feasible| feasible.allowed.iter().zip(outcome).all(|(allowed, index)| allowed.contains(index)))
    }
}

/// The exact Pareto frontier of the outcomes `feasible` allows (of every outcome when `None`): the
/// frontier of each box, merged, with the outcomes as indices into the whole problem's space.
pub fn feasible_frontier(problem: &Problem, feasible: Option<&Feasible>, options: &FrontierOptions) -> Result<Frontier, FrontierError> {
    Ok(Frontier { points: regional_frontier(problem, feasible, options)?.into_iter().map(|(point, _)| point).collect() })
}

/// The feasible frontier, each point with the box it came from.
fn regional_frontier(
    problem: &Problem,
    feasible: Option<&Feasible>,
    options: &FrontierOptions,
) -> Result<Vec<(Point, Option<usize>)>, FrontierError> {
    let Some(feasible) = feasible else {
        return Ok(frontier(problem, options)?.points.into_iter().map(|point| (point, None)).collect());
    };
    let mut points: Vec<(Point, Option<usize>)> = Vec::new();
    for (region, feasible_box) in feasible.boxes.iter().enumerate() {
        for point in frontier(&feasible_box.problem, options)?.points {
            let outcome = point.outcome.iter().zip(&feasible_box.allowed).map(|(&index, allowed)| allowed[index as usize]).collect();
            points.push((Point { utilities: point.utilities, outcome }, Some(region)));
        }
    }
    // Merge: highest total first, so a point can only be dominated by one kept before it; equal
    // vectors keep their first outcome (boxes in order, then the box frontier's order).
    points.sort_by(|a, b| {
        let total = |point: &Point| point.utilities.iter().sum::<f64>();
        total(&b.0).total_cmp(&total(&a.0)).then_with(|| compare_vectors(&b.0.utilities, &a.0.utilities))
    });
    let mut kept: Vec<(Point, Option<usize>)> = Vec::new();
    for candidate in points {
        let dominated = kept.iter().any(|(point, _)| point.utilities.iter().zip(&candidate.0.utilities).all(|(a, b)| a >= b));
        if !dominated {
            kept.push(candidate);
        }
    }
    // The frontier's documented order: by the first party's utility descending, then the next.
    kept.sort_by(|a, b| compare_vectors(&b.0.utilities, &a.0.utilities));
    Ok(kept)
}

fn compare_vectors(a: &[f64], b: &[f64]) -> std::cmp::Ordering {
    a.iter().zip(b).map(|(x, y)| x.total_cmp(y)).find(|ordering| ordering.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
}

/// The bargaining space with what the analysis needs to describe it.
struct Space {
    problem: Problem,
    /// Each issue of the space with its candidate values.
    issues: Vec<(String, Vec<Value>)>,
    /// Whether some bargaining party's utility depends on the issue.
    valued: Vec<bool>,
    /// The red lines applied (indices into the record's red lines).
    applied: Vec<usize>,
    /// `None` when no red line applies or the feasible set is out of reach.
    feasible: Option<Feasible>,
}

pub(super) fn viewer_problem(
    visible: &std::sync::Arc<Negotiation>,
    status: &Status,
    settled: &Settled,
    in_force: &[usize],
    domains: &Domains<'_>,
    options: &ScenarioOptions,
    mut warnings: Vec<String>,
) -> ViewerProblem {
    let space = space(visible, settled, in_force, domains, options, &mut warnings);
    let proposal = proposal_outcome(&space.issues, status, settled);
    let red_lines = space.applied.iter().map(|&index| visible.red_lines[index].id.clone()).collect();
    let own_red_lines = super::agreement::own_red_line_search(visible, &space.issues, in_force, domains, options);
    let proposed = space
        .issues
        .iter()
        .map(|(id, candidates)| {
            let value = framework_value(id, status, settled)?;
            candidates.iter().position(|candidate| candidate == value).map(|index| index as u32)
        })
        .collect();
    let reader = super::agreement::reader(visible, &space.issues, &space.valued, proposed, in_force);
    ViewerProblem { problem: space.problem, proposal, feasible: space.feasible, red_lines, warnings, own_red_lines, reader }
}

/// The bargaining space over the open and agreed issues among the parties whose preferences the
/// record holds (signatories by default, or those named), with the signatories' red lines.
fn space(
    visible: &Negotiation,
    settled: &Settled,
    in_force: &[usize],
    domains: &Domains<'_>,
    options: &ScenarioOptions,
    warnings: &mut Vec<String>,
) -> Space {
    let mut parties: Vec<&Preference> = match &options.parties {
        Some(names) => names.iter().filter_map(|name| visible.preferences.iter().find(|preference| &preference.party == name)).collect(),
        None => visible.preferences.iter().filter(|preference| visible.is_signatory(&preference.party)).collect(),
    };
    if options.parties.is_none() && parties.len() < 2 {
        parties = visible.preferences.iter().collect();
    }
    let issues: Vec<(String, Vec<Value>)> = visible
        .issues
        .iter()
        .filter(|issue| settled.covers(&issue.id))
        .filter_map(|issue| domains.of(&issue.id).map(|values| (issue.id.clone(), values.to_vec())))
        .collect();
    let tables = |preference: &Preference| -> Vec<Vec<f64>> {
        issues
            .iter()
            .map(|(id, values)| match preference.issues.iter().find(|entry| entry.issue == *id) {
                Some(entry) => values.iter().map(|value| entry.weight * entry.valuation.evaluate(value)).collect(),
                None => vec![0.0; values.len()],
            })
            .collect()
    };
    let parties: Vec<Party> = parties
        .iter()
        .map(|preference| Party {
            name: preference.party.clone(),
            utility: Utility::Additive(Additive { tables: tables(preference) }),
            reservation: preference.reservation,
            discount: None,
        })
        .collect();
    let valued: Vec<bool> = (0..issues.len())
        .map(|slot| {
            parties.iter().any(|party| match &party.utility {
                Utility::Additive(additive) => additive.tables[slot].iter().any(|utility| *utility != additive.tables[slot][0]),
                _ => true,
            })
        })
        .collect();
    let problem = Problem {
        space: OutcomeSpace {
            issues: issues
                .iter()
                .map(|(id, values)| IssueSpace { name: id.clone(), values: values.iter().map(label_of).collect() })
                .collect(),
        },
        parties,
    };
    // The deal needs the signatories: their red lines bound what it can be.
    let applied: Vec<usize> = in_force.iter().copied().filter(|&index| visible.holder_signs(&visible.red_lines[index].party)).collect();
    let feasible = if applied.is_empty() || problem.parties.len() < 2 || issues.is_empty() {
        None
    } else {
        match feasible_set(visible, &problem, &issues, &applied, domains, options) {
            None => {
                warnings.push(format!(
                    "bargaining: the outcomes the red lines allow take more than {} boxes to describe; the frontier is over every outcome and each solution lists the red lines it breaks",
                    options.max_feasible_boxes
                ));
                None
            }
            // Nothing is feasible: the bargaining over every outcome still shows the trade-offs,
            // each solution naming the red lines it breaks.
            Some(feasible) if feasible.is_empty() => None,
            Some(feasible) => Some(feasible),
        }
    };
    Space { problem, issues, valued, applied, feasible }
}

/// The outcomes every applied red line allows, by a search over the issues the red lines name that
/// stops at the first decided point: a box is emitted as soon as every red line holds whatever the
/// remaining issues are. Issues the red lines name outside the bargaining space range over their
/// candidates and are projected out.
fn feasible_set(
    visible: &Negotiation,
    problem: &Problem,
    issues: &[(String, Vec<Value>)],
    applied: &[usize],
    domains: &Domains<'_>,
    options: &ScenarioOptions,
) -> Option<Feasible> {
    let boxes = feasible_boxes(visible, issues, applied, domains, options)?;
    Some(Feasible { boxes: boxes.into_iter().map(|allowed| FeasibleBox { problem: restricted(problem, &allowed), allowed }).collect() })
}

/// The boxes of [`feasible_set`]: per box, the allowed value indices per issue of the space.
pub(super) fn feasible_boxes(
    visible: &Negotiation,
    issues: &[(String, Vec<Value>)],
    applied: &[usize],
    domains: &Domains<'_>,
    options: &ScenarioOptions,
) -> Option<Vec<Vec<Vec<u32>>>> {
    let kind = |issue: &str| domains.kind(issue);
    let expressions: Vec<Expr> = applied.iter().map(|&index| visible.red_lines[index].expr.ranked(&kind)).collect();
    // Every issue the search assigns: the space's named ones, then the others the red lines name.
    let named: BTreeSet<&str> = expressions.iter().flat_map(|expr| expr.issues()).collect();
    let mut searched: Vec<SearchedIssue> = Vec::new();
    for issue in &visible.issues {
        if !named.contains(issue.id.as_str()) {
            continue;
        }
        let slot = issues.iter().position(|(id, _)| *id == issue.id);
        let values = domains.of(&issue.id).unwrap_or(&[]);
        let ranked = values.iter().map(|value| rank_value(Some(&issue.kind), value.clone())).collect();
        searched.push(SearchedIssue { id: issue.id.clone(), slot, ranked });
    }
    let mut search = BoxSearch {
        expressions: &expressions,
        searched: &searched,
        assigned: vec![None; searched.len()],
        boxes: Vec::new(),
        steps: 0,
        max_boxes: options.max_feasible_boxes,
    };
    if !search.run(0) {
        return None;
    }
    let full: Vec<Vec<u32>> = issues.iter().map(|(_, values)| (0..values.len() as u32).collect()).collect();
    let mut boxes: Vec<Vec<Vec<u32>>> = Vec::new();
    let mut seen = BTreeSet::new();
    for assignment in search.boxes {
        let mut allowed = full.clone();
        for (issue, value) in searched.iter().zip(&assignment) {
            if let (Some(slot), Some(value)) = (issue.slot, value) {
                allowed[slot] = vec![*value as u32];
            }
        }
        // Boxes that differ only in issues outside the space project onto the same box.
        if seen.insert(allowed.clone()) {
            boxes.push(allowed);
        }
    }
    Some(boxes)
}

/// An issue the feasible-set search assigns.
struct SearchedIssue {
    id: String,
    /// Its position in the bargaining space, if it is there.
    slot: Option<usize>,
    /// Its candidate values, ranked for evaluation.
    ranked: Vec<Option<Value>>,
}

struct BoxSearch<'a> {
    expressions: &'a [Expr],
    searched: &'a [SearchedIssue],
    /// The candidate index assigned to each searched issue so far.
    assigned: Vec<Option<usize>>,
    /// Each box: an assignment of some searched issues (the others free).
    boxes: Vec<Vec<Option<usize>>>,
    steps: usize,
    max_boxes: usize,
}

impl BoxSearch<'_> {
    /// Searches from issue `depth` on; `false` when the limits are passed.
    fn run(&mut self, depth: usize) -> bool {
        self.steps += 1;
        if self.steps > self.max_boxes.saturating_mul(64) {
            return false;
        }
        let verdicts: Vec<Option<bool>> = self
            .expressions
            .iter()
            .map(|expr| {
                expr.evaluate(&|issue: &str| {
                    let slot = self.searched.iter().position(|searched| searched.id == issue)?;
                    let index = self.assigned[slot]?;
                    self.searched[slot].ranked[index].clone()
                })
            })
            .collect();
        if verdicts.contains(&Some(false)) {
            return true;
        }
        if verdicts.iter().all(|verdict| *verdict == Some(true)) {
            self.boxes.push(self.assigned.clone());
            return self.boxes.len() <= self.max_boxes;
        }
        if depth == self.searched.len() {
            // Every named issue assigned decides every red line; unreachable, but not a box.
            return true;
        }
        for index in 0..self.searched[depth].ranked.len() {
            self.assigned[depth] = Some(index);
            if !self.run(depth + 1) {
                return false;
            }
        }
        self.assigned[depth] = None;
        true
    }
}

/// The problem over the allowed values only.
fn restricted(problem: &Problem, allowed: &[Vec<u32>]) -> Problem {
    Problem {
        space: OutcomeSpace {
            issues: problem
                .space
                .issues
                .iter()
                .zip(allowed)
                .map(|(issue, allowed)| IssueSpace {
                    name: issue.name.clone(),
                    values: allowed.iter().map(|&index| issue.values[index as usize].clone()).collect(),
                })
                .collect(),
        },
        parties: problem
            .parties
            .iter()
            .map(|party| Party {
                name: party.name.clone(),
                utility: match &party.utility {
                    Utility::Additive(additive) => Utility::Additive(Additive {
                        tables: additive
                            .tables
                            .iter()
                            .zip(allowed)
                            .map(|(table, allowed)| allowed.iter().map(|&index| table[index as usize]).collect())
                            .collect(),
                    }),
                    // Scenario problems are additive; another utility is kept whole (not reached).
                    other => other.clone(),
                },
                reservation: party.reservation,
                discount: party.discount,
            })
            .collect(),
    }
}

fn label_of(value: &Value) -> Label {
    match value {
        Value::Choice(option) => Label::Text(option.clone()),
        Value::Integer(number) => Label::Integer(*number),
        Value::Real(number) => Label::Real(*number),
        Value::Bool(flag) => Label::Bool(*flag),
        Value::Set(elements) => Label::Set(elements.iter().cloned().collect()),
    }
}

/// The framework's value of each issue of the space: proposed for open issues, agreed for fixed.
fn framework_value<'s>(issue: &str, status: &'s Status, settled: &'s Settled) -> Option<&'s Value> {
    settled.fixed_value(issue).or_else(|| status.proposed.iter().find(|value| value.issue == issue).map(|value| &value.value))
}

/// The current proposal as an outcome of the space, when every issue of it has a value there.
fn proposal_outcome(issues: &[(String, Vec<Value>)], status: &Status, settled: &Settled) -> Option<Vec<u32>> {
    issues
        .iter()
        .map(|(id, values)| {
            let value = framework_value(id, status, settled)?;
            values.iter().position(|candidate| candidate == value).map(|index| index as u32)
        })
        .collect()
}

/// Ids of the red lines (of `indices`) that `outcome` breaks, as far as its values decide them.
fn broken(visible: &Negotiation, indices: &[usize], outcome: &[(String, Value)]) -> Vec<String> {
    let kind = |issue: &str| visible.issue(issue).map(|issue| issue.kind.clone());
    let value_of = |issue: &str| outcome.iter().find(|(id, _)| id == issue).map(|(_, value)| value.clone());
    indices
        .iter()
        .filter(|&&index| visible.red_lines[index].expr.evaluate_with(&value_of, &kind) == Some(false))
        .map(|&index| visible.red_lines[index].id.clone())
        .collect()
}

pub(super) fn analyse(
    visible: &Negotiation,
    status: &Status,
    settled: &Settled,
    in_force: &[usize],
    domains: &Domains<'_>,
    options: &ScenarioOptions,
    warnings: &mut Vec<String>,
) -> (Option<Bargaining>, Option<ProposalReport>) {
    let space = space(visible, settled, in_force, domains, options, warnings);
    let Space { problem, issues, valued, applied, feasible } = &space;

    // The framework's values: what is proposed on open issues, what is agreed on fixed ones.
    let mut values: Vec<(String, Value)> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    for issue in settled.open.iter().chain(settled.fixed.iter().map(|(issue, _)| issue)) {
        if values.iter().any(|(id, _)| id == issue) || missing.contains(issue) {
            continue;
        }
        match framework_value(issue, status, settled) {
            Some(value) => values.push((issue.clone(), value.clone())),
            None => missing.push(issue.clone()),
        }
    }
    values.sort_by_key(|(issue, _)| visible.issues.iter().position(|known| known.id == *issue));
    let proposal_breaks = broken(visible, in_force, &values);

    // An outcome of the space as the analysis reports it: an issue nobody values keeps the
    // proposal's value where the red lines allow it, takes the one value they force, or is left out.
    let describe = |name: &str, point: Option<&Point>, region: Option<usize>| -> NamedSolution {
        let Some(point) = point else {
            return NamedSolution { name: name.to_owned(), utilities: None, outcome: Vec::new(), breaks: Vec::new() };
        };
        let mut outcome = Vec::new();
        for (slot, ((id, candidates), &index)) in issues.iter().zip(&point.outcome).enumerate() {
            if valued[slot] {
                outcome.push((id.clone(), candidates[index as usize].clone()));
                continue;
            }
            let allowed: Option<&[u32]> =
                region.and_then(|region| feasible.as_ref().map(|feasible| feasible.boxes[region].allowed[slot].as_slice()));
            let proposed =
                framework_value(id, status, settled).and_then(|value| candidates.iter().position(|candidate| candidate == value));
            let chosen = match (allowed, proposed) {
                (None, Some(proposed)) => Some(proposed),
                (None, None) => None,
                (Some(allowed), Some(proposed)) if allowed.contains(&(proposed as u32)) => Some(proposed),
                (Some(allowed), _) if allowed.len() == candidates.len() => None,
                (Some(allowed), _) => allowed.first().map(|&index| index as usize),
            };
            if let Some(chosen) = chosen {
                outcome.push((id.clone(), candidates[chosen].clone()));
            }
        }
        let breaks = broken(visible, applied, &outcome);
        NamedSolution { name: name.to_owned(), utilities: Some(point.utilities.clone()), outcome, breaks }
    };

    let mut bargaining = None;
    let mut utilities = Vec::new();
    let mut on_frontier = None;
    let mut improvement = None;
    let mut not_evaluated = None;
    if problem.parties.len() >= 2 && !issues.is_empty() {
        match regional_frontier(problem, feasible.as_ref(), &options.frontier) {
            Err(error) => warnings.push(format!("bargaining analysis: {error}")),
            Ok(points) => {
                let frontier = Frontier { points: points.iter().map(|(point, _)| point.clone()).collect() };
                let solutions = solve(&frontier, &problem.reservations());
                let region_of = |point: &Option<Point>| -> Option<usize> {
                    let point = point.as_ref()?;
                    points.iter().find(|(candidate, _)| candidate.outcome == point.outcome).and_then(|(_, region)| *region)
                };
                let named = |name: &str, point: &Option<Point>| describe(name, point.as_ref(), region_of(point));
                bargaining = Some(Bargaining {
                    parties: problem.parties.iter().map(|party| party.name.clone()).collect(),
                    n_outcomes: problem.space.count().to_string(),
                    red_lines_applied: applied.len(),
                    feasible_only: feasible.is_some(),
                    frontier_size: frontier.points.len(),
                    reservation: problem.reservations(),
                    solutions: vec![
                        named("nash", &solutions.nash),
                        named("kalai_smorodinsky", &solutions.kalai_smorodinsky),
                        named("egalitarian", &solutions.egalitarian),
                        named("utilitarian", &solutions.utilitarian),
                    ],
                });
                match proposal_outcome(issues, status, settled) {
                    None => {
                        let lacking: Vec<&str> = issues
                            .iter()
                            .filter(|(id, values)| framework_value(id, status, settled).is_none_or(|value| !values.contains(value)))
                            .map(|(id, _)| id.as_str())
                            .collect();
                        not_evaluated = Some(format!("the proposal has no value for {}", lacking.join(", ")));
                    }
                    Some(outcome) => {
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
                        let dominating = points
                            .iter()
                            .filter(|(point, _)| point.utilities.iter().zip(&vector).all(|(a, b)| a >= b) && point.utilities != vector)
                            .max_by(|a, b| {
                                let gain =
                                    |point: &Point| point.utilities.iter().zip(&vector).map(|(a, b)| a - b).fold(f64::INFINITY, f64::min);
                                gain(&a.0).total_cmp(&gain(&b.0))
                            });
                        on_frontier = Some(dominating.is_none());
                        improvement = dominating.map(|(point, region)| describe("pareto_improvement", Some(point), *region));
                    }
                }
            }
        }
    }

    let skew = skew(visible, status, settled, &values, options);
    let summary = skew_summary(visible, &skew);
    let proposal = (!values.is_empty()).then_some(ProposalReport {
        values,
        missing,
        not_evaluated,
        breaks: proposal_breaks,
        utilities,
        on_frontier,
        improvement,
        skew,
        summary,
    });
    (bargaining, proposal)
}

/// On each disputed issue, whose stated demand the framework's value meets: the proposal on open
/// issues, the agreed text on settled ones, against the demands in force at the status' point.
fn skew(
    visible: &Negotiation,
    status: &Status,
    settled: &Settled,
    values: &[(String, Value)],
    options: &ScenarioOptions,
) -> Vec<IssueSkew> {
    let current = parley_core::positions::current_demands(visible, status.as_of.instant);
    let mut skew = Vec::new();
    for (issue, value) in values {
        let Some(known) = visible.issue(issue) else { continue };
        let stated: Vec<&parley_core::model::Demand> = current.iter().copied().filter(|demand| demand.issue == *issue).collect();
        let mut demands: Vec<(String, Value)> = stated.iter().map(|demand| (demand.party.clone(), demand.value.clone())).collect();
        let mut described: Vec<(String, String)> = stated.iter().map(|demand| (demand.party.clone(), demand.describe())).collect();
        let mut matches: Vec<String> =
            stated.iter().filter(|demand| demand.is_met_by(value, &known.kind)).map(|demand| demand.party.clone()).collect();
        // Parties without an explicit demand demand their best value, when their preferences show
        // it; over the issue's own candidates (an agreed issue's domain holds only its value).
        let candidates = super::candidates(visible, known, options, &mut Vec::new());
        for preference in &visible.preferences {
            if demands.iter().any(|(party, _)| *party == preference.party) {
                continue;
            }
            if let Some(entry) = preference.issues.iter().find(|entry| entry.issue == *issue) {
                if entry.weight > 0.0 && candidates.len() > 1 {
                    let best = candidates.iter().max_by(|a, b| entry.valuation.evaluate(a).total_cmp(&entry.valuation.evaluate(b)));
                    if let Some(best) = best {
                        demands.push((preference.party.clone(), best.clone()));
                        described.push((preference.party.clone(), best.to_string()));
                        if best == value {
                            matches.push(preference.party.clone());
                        }
                    }
                }
            }
        }
        let distinct: BTreeSet<&str> = described.iter().map(|(_, text)| text.as_str()).collect();
        if distinct.len() < 2 {
            continue; // Not disputed: nobody asks for anything different.
        }
        // Matches in the order of the demands.
        matches.sort_by_key(|party| demands.iter().position(|(known, _)| known == party));
        let agreed = settled.fixed_value(issue).is_some();
        skew.push(IssueSkew { issue: issue.clone(), proposed: value.clone(), agreed, matches, demands, described });
    }
    skew
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
    let issues = if skew.len() == 1 { "disputed issue" } else { "disputed issues" };
    if counts.is_empty() {
        return format!("the proposal matches no party's stated demand on the {} {issues}", skew.len());
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(party, count)| format!("{}'s stated demand on {count} of {}", negotiation.party_name(party), skew.len()))
        .collect();
    format!("the proposal matches {} {issues}", parts.join(", "))
}
