//! What a simulation on a scenario needs besides the bargaining problem: each party's own red lines
//! in force with the outcomes they allow (its agent never offers or accepts any other), and the
//! reading of an agreement in the scenario's terms — the red lines it breaks, and issues nobody
//! values at the proposal's value or unset rather than at whatever value the agents happened on.
//!
//! Everything here is computed from the viewer's view, like the rest of the analysis.

use std::sync::Arc;

use parley_core::expr::Expr;
use parley_core::model::{IssueKind, Negotiation, Value};

use super::bargaining::feasible_boxes;
use super::{Domains, ScenarioOptions};
use crate::space::Problem;

/// A party's own red lines in force, as the viewer sees them, and the outcomes they allow.
#[derive(Clone, Debug)]
pub struct OwnRedLines {
    pub party: String,
    /// Ids of its red lines in force (a bloc's included), in record order.
    pub red_lines: Vec<String>,
    /// The outcomes of the problem's space they allow, as a union of boxes — per box, the allowed
    /// value indices of each issue (no box when none can hold); `None` when the party has no red
    /// line in force, the space no issue, or the set is out of reach.
    pub allowed: Option<Vec<Vec<Vec<u32>>>>,
    /// The set takes more boxes than the limit to describe: the red lines bind nothing.
    pub out_of_reach: bool,
}

/// Reads outcomes of a scenario's bargaining space in the scenario's terms.
#[derive(Clone, Debug, Default)]
pub struct OutcomeReader {
    /// Each issue of the space with its candidate values.
    issues: Vec<(String, Vec<Value>)>,
    /// Whether some party's utility depends on the issue.
    valued: Vec<bool>,
    /// The framework's value of each issue of the space, as a candidate index, when it has one.
    proposed: Vec<Option<u32>>,
    /// The red lines in force the viewer sees: id and expression, in record order.
    red_lines: Vec<(String, Expr)>,
    /// The kind of every issue of the record, for evaluation.
    kinds: Vec<(String, IssueKind)>,
}

/// An outcome as a scenario reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOutcome {
    /// Per issue of the space, the value reported (a candidate index), or `None`: nobody values
    /// the issue, no value is proposed for it and the red lines leave it free.
    pub values: Vec<Option<u32>>,
    /// Ids of the red lines in force (of any party) that the reported values break, as far as they
    /// decide them.
    pub breaks: Vec<String>,
}

impl OutcomeReader {
    /// Reads an outcome agreed among parties who may agree to the outcomes `allowed` holds.
    ///
    /// An issue nobody values was not chosen by anyone: it is reported at the proposal's value
    /// when that keeps the outcome allowed, as unset when every value of it does and nothing is
    /// proposed, and otherwise at the agreed value (the red lines bound it).
    pub fn read(&self, outcome: &[u32], allowed: &dyn Fn(&[u32]) -> bool) -> ReadOutcome {
        let mut reported: Vec<u32> = outcome.to_vec();
        let mut values: Vec<Option<u32>> = outcome.iter().map(|&index| Some(index)).collect();
        for slot in 0..self.issues.len().min(outcome.len()) {
            if self.valued[slot] {
                continue;
            }
            let agreed = reported[slot];
            if let Some(proposed) = self.proposed[slot] {
                reported[slot] = proposed;
                if allowed(&reported) {
                    values[slot] = Some(proposed);
                    continue;
                }
                reported[slot] = agreed;
                continue;
            }
            let free = (0..self.issues[slot].1.len() as u32).all(|candidate| {
                reported[slot] = candidate;
                allowed(&reported)
            });
            reported[slot] = agreed;
            if free {
                values[slot] = None;
            }
        }
        let breaks = self.breaks(&values);
        ReadOutcome { values, breaks }
    }

    /// Ids of the red lines in force that the values (unset ones unknown) break.
    pub fn breaks(&self, values: &[Option<u32>]) -> Vec<String> {
        let value_of = |issue: &str| -> Option<Value> {
            let slot = self.issues.iter().position(|(id, _)| id == issue)?;
            let index = (*values.get(slot)?)?;
            self.issues[slot].1.get(index as usize).cloned()
        };
        let kind = |issue: &str| self.kinds.iter().find(|(id, _)| id == issue).map(|(_, kind)| kind.clone());
        self.red_lines.iter().filter(|(_, expr)| expr.evaluate_with(&value_of, &kind) == Some(false)).map(|(id, _)| id.clone()).collect()
    }
}

/// The parties' own red lines in force, as the viewer sees them, kept so that the outcomes they
/// allow are searched for only when a simulation asks (`frontier` and `plot` need not pay for it).
#[derive(Debug)]
pub struct OwnRedLineSearch {
    /// The viewer's view of the record.
    visible: Arc<Negotiation>,
    /// The issues of the bargaining space with their candidate values.
    issues: Vec<(String, Vec<Value>)>,
    /// Candidate values of every issue the analysis ranges over (those outside the space too).
    domains: Vec<(String, Vec<Value>)>,
    /// The red lines in force (indices into the view's red lines).
    in_force: Vec<usize>,
    options: ScenarioOptions,
}

impl OwnRedLineSearch {
    /// Ids of the red lines in force that `party` holds (its own and its blocs'), in record order.
    pub fn ids_of(&self, party: &str) -> Vec<String> {
        self.held_by(party).into_iter().map(|index| self.visible.red_lines[index].id.clone()).collect()
    }

    /// For each party of `problem` (the viewer's problem this search came with), its own red lines
    /// in force and the outcomes of the problem's space they allow.
    pub fn run(&self, problem: &Problem) -> Vec<OwnRedLines> {
        let domains = Domains { negotiation: &self.visible, values: self.domains.clone() };
        problem
            .parties
            .iter()
            .map(|party| {
                let own = self.held_by(&party.name);
                let searched = !own.is_empty() && !self.issues.is_empty();
                let allowed = if searched { feasible_boxes(&self.visible, &self.issues, &own, &domains, &self.options) } else { None };
                let out_of_reach = searched && allowed.is_none();
                OwnRedLines { party: party.name.clone(), red_lines: self.ids_of(&party.name), allowed, out_of_reach }
            })
            .collect()
    }

    fn held_by(&self, party: &str) -> Vec<usize> {
        self.in_force.iter().copied().filter(|&index| self.visible.holds_for(&self.visible.red_lines[index].party, party)).collect()
    }
}

/// The search for the parties' own red lines over the space `issues`.
pub(super) fn own_red_line_search(
    visible: &Arc<Negotiation>,
    issues: &[(String, Vec<Value>)],
    in_force: &[usize],
    domains: &Domains<'_>,
    options: &ScenarioOptions,
) -> OwnRedLineSearch {
    OwnRedLineSearch {
        visible: Arc::clone(visible),
        issues: issues.to_vec(),
        domains: domains.values.clone(),
        in_force: in_force.to_vec(),
        options: options.clone(),
    }
}

/// The reader of outcomes of the space `issues`, with `proposed` the framework's candidate index
/// per issue.
pub(super) fn reader(
    visible: &Negotiation,
    issues: &[(String, Vec<Value>)],
    valued: &[bool],
    proposed: Vec<Option<u32>>,
    in_force: &[usize],
) -> OutcomeReader {
    OutcomeReader {
        issues: issues.to_vec(),
        valued: valued.to_vec(),
        proposed,
        red_lines: in_force.iter().map(|&index| (visible.red_lines[index].id.clone(), visible.red_lines[index].expr.clone())).collect(),
        kinds: visible.issues.iter().map(|issue| (issue.id.clone(), issue.kind.clone())).collect(),
    }
}
