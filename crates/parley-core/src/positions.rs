//! Positions over time: each party's demands on each issue form a trajectory (a later demand
//! replaces an earlier one); at any point the demands in force are the latest of each; and on an
//! ordered issue the distance between the parties' positions shows whether they converge.

use serde::Serialize;

use crate::date::Date;
use crate::model::{Demand, IssueKind, Moment, Negotiation, Value};
use crate::timeline::{Instant, Point, Timeline};

/// The demands in force at `at`: for each party and issue, the latest stated at or before it.
pub fn current_demands(negotiation: &Negotiation, at: Instant) -> Vec<&Demand> {
    let timeline = Timeline::new(&negotiation.rounds);
    let mut latest: Vec<(&Demand, Instant)> = Vec::new();
    for demand in &negotiation.demands {
        let when = timeline.moment(&demand.at);
        if when > at {
            continue;
        }
        match latest.iter_mut().find(|(known, _)| known.party == demand.party && known.issue == demand.issue) {
            Some(slot) if slot.1 <= when => *slot = (demand, when),
            Some(_) => {}
            None => latest.push((demand, when)),
        }
    }
    latest.into_iter().map(|(demand, _)| demand).collect()
}

/// Every issue's positions up to a point: what `parley positions` prints.
#[derive(Clone, Debug, Serialize)]
pub struct Positions {
    pub negotiation: String,
    pub as_of: Point,
    pub issues: Vec<IssuePositions>,
}

/// The parties' demands on one issue over time.
#[derive(Clone, Debug, Serialize)]
pub struct IssuePositions {
    pub issue: String,
    pub name: String,
    /// The unit of a numeric issue (empty otherwise).
    pub unit: String,
    /// Whether positions are ordered (numbers, ordered options), so that distances mean something.
    pub ordered: bool,
    pub parties: Vec<Trajectory>,
    /// On an ordered issue with two or more parties' demands: how far apart the positions stood
    /// after each change (0 when they overlap).
    pub gaps: Vec<Gap>,
    /// Whether the last gap is smaller than the first (`None` with fewer than two gaps).
    pub converging: Option<bool>,
}

/// One party's demands on one issue, in time order.
#[derive(Clone, Debug, Serialize)]
pub struct Trajectory {
    pub party: String,
    pub steps: Vec<Step>,
}

/// One demand of a trajectory.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// `start`, a round id or a date, as recorded.
    pub at: String,
    /// The day it was stated, when known.
    pub date: Option<Date>,
    /// The demand in words (`5`, `3 to 5`, `close or sell`).
    pub demand: String,
    pub value: Value,
    pub up_to: Option<Value>,
    pub alternatives: Vec<Value>,
    /// The lowest and highest positions it covers on an ordered issue (option positions for
    /// ordered choices).
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub note: String,
    #[serde(skip)]
    pub instant: Instant,
}

/// The distance between the parties' positions after a change.
#[derive(Clone, Debug, Serialize)]
pub struct Gap {
    pub at: String,
    pub date: Option<Date>,
    pub gap: f64,
}

/// The parties' trajectories on every issue with demands, up to `as_of`.
pub fn positions(negotiation: &Negotiation, as_of: &Point) -> Positions {
    let timeline = Timeline::new(&negotiation.rounds);
    let mut issues = Vec::new();
    for issue in &negotiation.issues {
        let mut demands: Vec<(Instant, usize, &Demand)> = negotiation
            .demands
            .iter()
            .enumerate()
            .filter(|(_, demand)| demand.issue == issue.id)
            .map(|(index, demand)| (timeline.moment(&demand.at), index, demand))
            .filter(|(when, _, _)| *when <= as_of.instant)
            .collect();
        if demands.is_empty() {
            continue;
        }
        demands.sort_by_key(|(when, index, _)| (*when, *index));
        let mut parties: Vec<Trajectory> = Vec::new();
        for (when, _, demand) in &demands {
            let step = step(&issue.kind, demand, *when);
            match parties.iter_mut().find(|trajectory| trajectory.party == demand.party) {
                Some(trajectory) => trajectory.steps.push(step),
                None => parties.push(Trajectory { party: demand.party.clone(), steps: vec![step] }),
            }
        }
        // Parties in declaration order.
        parties.sort_by_key(|trajectory| negotiation.parties.iter().position(|party| party.id == trajectory.party));
        let ordered = issue.kind.is_ordered();
        let gaps = if ordered { gaps(&parties, &demands) } else { Vec::new() };
        let converging = (gaps.len() >= 2).then(|| gaps[gaps.len() - 1].gap < gaps[0].gap);
        let unit = match &issue.kind {
            IssueKind::Integer { unit, .. } | IssueKind::Real { unit, .. } => unit.clone(),
            _ => String::new(),
        };
        issues.push(IssuePositions { issue: issue.id.clone(), name: issue.name.clone(), unit, ordered, parties, gaps, converging });
    }
    Positions { negotiation: negotiation.id.clone(), as_of: as_of.clone(), issues }
}

fn step(kind: &IssueKind, demand: &Demand, instant: Instant) -> Step {
    let span = demand.span(kind);
    Step {
        at: demand.at.to_string(),
        date: match &demand.at {
            Moment::Date(date) => Some(*date),
            _ => instant.date(),
        },
        demand: demand.describe(),
        value: demand.value.clone(),
        up_to: demand.up_to.clone(),
        alternatives: demand.alternatives.clone(),
        low: span.map(|(low, _)| low),
        high: span.map(|(_, high)| high),
        note: demand.note.clone(),
        instant,
    }
}

/// After each demand, when two or more parties have one: the highest low end minus the lowest
/// high end of their current positions (0 when they overlap).
fn gaps(parties: &[Trajectory], demands: &[(Instant, usize, &Demand)]) -> Vec<Gap> {
    let mut gaps: Vec<Gap> = Vec::new();
    for (position, (when, _, demand)) in demands.iter().enumerate() {
        // Only the last demand of an instant closes it.
        if demands.get(position + 1).is_some_and(|(next, _, _)| next == when) {
            continue;
        }
        let current: Vec<(f64, f64)> = parties
            .iter()
            .filter_map(|trajectory| {
                let step = trajectory.steps.iter().rev().find(|step| step.instant <= *when)?;
                Some((step.low?, step.high?))
            })
            .collect();
        if current.len() < 2 {
            continue;
        }
        let highest_low = current.iter().map(|(low, _)| *low).fold(f64::NEG_INFINITY, f64::max);
        let lowest_high = current.iter().map(|(_, high)| *high).fold(f64::INFINITY, f64::min);
        let at = demand.at.to_string();
        let date = match &demand.at {
            Moment::Date(date) => Some(*date),
            _ => when.date(),
        };
        gaps.push(Gap { at, date, gap: (highest_low - lowest_high).max(0.0) });
    }
    gaps
}
