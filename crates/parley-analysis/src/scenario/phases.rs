//! Red lines over phases: each (issue, phase) the red lines constrain becomes its own variable,
//! `issue@phase`, so that satisfiability, conflicts and zones are decided exactly over schedules.
//!
//! A red line about every phase becomes the conjunction of its expression renamed to each phase's
//! variables; one scoped to some phases, the conjunction over those. An agreed schedule fixes
//! each phase's variable at that phase's value. When no red line in force is scoped and no agreed
//! issue has a schedule, every phase is constrained alike and the analysis needs no expansion
//! (a value that can hold in one phase can hold in all of them).
//!
//! Bargaining (utilities, the frontier, solutions) stays over one value per issue: an outcome
//! there holds in every phase, for which a red line scoped to some phases is its expression.

use std::collections::BTreeSet;

use parley_core::expr::Expr;
use parley_core::model::{Issue, Negotiation, Value};
use parley_core::phase::{in_scope, values_by_phase};
use parley_core::status::Status;

use super::Settled;

/// A record with one variable per (issue, phase), and what is open, fixed and unsettled in it.
pub(super) struct Phased {
    pub negotiation: Negotiation,
    pub settled: Settled,
    pub unsettled: Vec<String>,
    /// Per red line, its expression renamed to each phase it is about: (phase index, expression).
    parts: Vec<Vec<(usize, Expr)>>,
}

/// The variable of `issue` in `phase`.
pub fn phase_issue(issue: &str, phase: &str) -> String {
    format!("{issue}@{phase}")
}

/// The record expanded over its phases, or `None` when the phases do not constrain the issues
/// differently (see the module's documentation). `Err` with a warning when an expression could
/// not be renamed.
pub(super) fn expand(
    visible: &Negotiation,
    status: &Status,
    in_force: &[usize],
    settled: &Settled,
    unsettled: &[String],
) -> Result<Option<Phased>, String> {
    let phases = &visible.phases;
    let scheduled = |issue: &str| status.proposed.iter().any(|value| value.issue == issue && !value.schedule.is_empty());
    let differ = in_force.iter().any(|&index| !visible.red_lines[index].phases.is_empty())
        || settled.fixed.iter().any(|(issue, _)| scheduled(issue));
    if phases.is_empty() || !differ {
        return Ok(None);
    }
    let named: BTreeSet<String> = visible.red_lines.iter().flat_map(|red_line| red_line.expr.issues()).map(str::to_owned).collect();
    let mut negotiation = visible.clone();
    for issue in visible.issues.iter().filter(|issue| named.contains(&issue.id)) {
        for phase in phases {
            negotiation.issues.push(Issue {
                id: phase_issue(&issue.id, &phase.id),
                name: format!("{} in phase {}", issue.name, phase.id),
                description: issue.description.clone(),
                kind: issue.kind.clone(),
            });
        }
    }
    let mut parts = Vec::with_capacity(negotiation.red_lines.len());
    for red_line in &mut negotiation.red_lines {
        let mut conjunction: Option<Expr> = None;
        let mut mine = Vec::new();
        for (position, phase) in in_scope(phases, &red_line.phases) {
            let renamed = rename(&red_line.expr, &|issue| phase_issue(issue, &phase.id));
            if renamed.issues().iter().any(|issue| !issue.ends_with(&format!("@{}", phase.id))) {
                return Err(format!("red line `{}` could not be analysed phase by phase", red_line.id));
            }
            mine.push((position, renamed.clone()));
            conjunction = Some(match conjunction {
                None => renamed,
                Some(before) => Expr::And(Box::new(before), Box::new(renamed)),
            });
        }
        red_line.expr = conjunction.unwrap_or(Expr::True);
        parts.push(mine);
    }
    // Demands hold in every phase: one per phase's variable, for the zones' positions.
    let demands = std::mem::take(&mut negotiation.demands);
    for demand in demands {
        if named.contains(&demand.issue) {
            for phase in phases {
                let mut copy = demand.clone();
                copy.issue = phase_issue(&demand.issue, &phase.id);
                negotiation.demands.push(copy);
            }
        } else {
            negotiation.demands.push(demand);
        }
    }
    let per_phase = |issues: &[String]| -> Vec<String> {
        issues
            .iter()
            .flat_map(|issue| match named.contains(issue) {
                true => phases.iter().map(|phase| phase_issue(issue, &phase.id)).collect(),
                false => vec![issue.clone()],
            })
            .collect()
    };
    // An agreed schedule fixes each phase's variable; where the provision lapses, the variable is
    // as open as one no item settles.
    let mut fixed: Vec<(String, Value)> = Vec::new();
    let mut open = per_phase(&settled.open);
    for (issue, value) in &settled.fixed {
        if !named.contains(issue) {
            fixed.push((issue.clone(), value.clone()));
            continue;
        }
        let schedule = status.proposed.iter().find(|proposed| proposed.issue == *issue).map_or(&[][..], |proposed| &proposed.schedule);
        for (phase, value) in phases.iter().zip(values_by_phase(phases, value, schedule)) {
            match value {
                Some(value) => fixed.push((phase_issue(issue, &phase.id), value.clone())),
                None => open.push(phase_issue(issue, &phase.id)),
            }
        }
    }
    let settled = Settled { open, fixed };
    Ok(Some(Phased { negotiation, settled, unsettled: per_phase(unsettled), parts }))
}

/// Narrows each conflict to the phases in which its red lines cannot hold together: it is told
/// again with each red line's expression about those phases only, so that its issues are those
/// phases' variables. Phases share no variable, so a minimal conflict fails in one phase at least,
/// with every one of its red lines about it.
pub(super) fn narrow(phased: &Phased, phase_count: usize, conflicts: &mut [super::Conflict], budget: &crate::redlines::Budget) {
    let fixed: std::collections::BTreeMap<String, Value> = phased.settled.fixed.iter().cloned().collect();
    let red_lines = &phased.negotiation.red_lines;
    for conflict in conflicts {
        let members: Option<Vec<usize>> = conflict
            .red_lines
            .iter()
            .map(|reference| reference.id.as_ref().and_then(|id| red_lines.iter().position(|red_line| red_line.id == *id)))
            .collect();
        let Some(members) = members else { continue };
        let part = |member: usize, phase: usize| phased.parts[member].iter().find(|(position, _)| *position == phase).map(|(_, expr)| expr);
        let failing: Vec<usize> = (0..phase_count)
            .filter(|&phase| {
                let Some(exprs) = members.iter().map(|&member| part(member, phase).cloned()).collect::<Option<Vec<Expr>>>() else {
                    return false;
                };
                let all: Vec<usize> = (0..exprs.len()).collect();
                crate::redlines::Problem::new(&phased.negotiation.issues, &fixed, &exprs)
                    .is_ok_and(|problem| problem.check(&all, budget).holds() == Some(false))
            })
            .collect();
        if failing.is_empty() {
            continue;
        }
        let mut narrowed = phased.negotiation.clone();
        for &member in &members {
            let mut conjunction: Option<Expr> = None;
            for &phase in &failing {
                if let Some(expr) = part(member, phase) {
                    conjunction = Some(match conjunction {
                        None => expr.clone(),
                        Some(before) => Expr::And(Box::new(before), Box::new(expr.clone())),
                    });
                }
            }
            narrowed.red_lines[member].expr = conjunction.unwrap_or(Expr::True);
        }
        *conflict = super::red_lines::describe_all(&narrowed, &members, &phased.settled);
    }
}

/// The expression with every issue `rename`d; other variants are kept as they are (and caught by
/// the caller's check that no original name is left).
fn rename(expr: &Expr, rename: &dyn Fn(&str) -> String) -> Expr {
    let name = |issue: &parley_core::expr::Name| parley_core::expr::Name { id: rename(&issue.id), span: issue.span.clone() };
    match expr {
        Expr::Not(inner) => Expr::Not(Box::new(self::rename(inner, rename))),
        Expr::And(left, right) => Expr::And(Box::new(self::rename(left, rename)), Box::new(self::rename(right, rename))),
        Expr::Or(left, right) => Expr::Or(Box::new(self::rename(left, rename)), Box::new(self::rename(right, rename))),
        Expr::Implies(left, right) => Expr::Implies(Box::new(self::rename(left, rename)), Box::new(self::rename(right, rename))),
        Expr::Flag { issue } => Expr::Flag { issue: name(issue) },
        Expr::Compare { issue, op, literal, literal_span } => {
            Expr::Compare { issue: name(issue), op: *op, literal: literal.clone(), literal_span: literal_span.clone() }
        }
        Expr::Contains { issue, element, element_span, negated } => {
            Expr::Contains { issue: name(issue), element: element.clone(), element_span: element_span.clone(), negated: *negated }
        }
        Expr::OneOf { issue, options, list_span, negated } => {
            Expr::OneOf { issue: name(issue), options: options.clone(), list_span: list_span.clone(), negated: *negated }
        }
        Expr::SetRelation { issue, relation, elements, list_span } => {
            Expr::SetRelation { issue: name(issue), relation: *relation, elements: elements.clone(), list_span: list_span.clone() }
        }
        Expr::Linear(linear) => {
            let mut linear = linear.clone();
            for term in linear.left.iter_mut().chain(linear.right.iter_mut()) {
                if let Some(issue) = &mut term.issue {
                    *issue = name(issue);
                }
            }
            Expr::Linear(linear)
        }
        #[allow(unreachable_patterns)]
        other => other.clone(),
    }
}
