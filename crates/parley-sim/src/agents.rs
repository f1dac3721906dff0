//! Negotiating agents. Each is deterministic for a given seed, respects its reservation value, and
//! — where NegMAS 0.16.0 has the same agent — decides exactly as NegMAS does
//! (`docs/simulation.md` gives the rules and the few deliberate differences).

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use parley_analysis::space::{Outcome, Problem};
use serde::Serialize;

use crate::acceptable::{Acceptable, Region};
use crate::inverter::{Inverse, InverseCache, InverseError};
use crate::rng::Rng;

/// The agent types, by their command-line names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgentKind {
    Boulware,
    Linear,
    Conceder,
    TitForTat,
    Aspiration,
    Hardliner,
    Random,
    Micro,
}

impl AgentKind {
    pub const ALL: [AgentKind; 8] = [
        AgentKind::Boulware,
        AgentKind::Linear,
        AgentKind::Conceder,
        AgentKind::TitForTat,
        AgentKind::Aspiration,
        AgentKind::Hardliner,
        AgentKind::Random,
        AgentKind::Micro,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AgentKind::Boulware => "boulware",
            AgentKind::Linear => "linear",
            AgentKind::Conceder => "conceder",
            AgentKind::TitForTat => "tit-for-tat",
            AgentKind::Aspiration => "aspiration",
            AgentKind::Hardliner => "hardliner",
            AgentKind::Random => "random",
            AgentKind::Micro => "micro",
        }
    }
}

impl fmt::Display for AgentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown agent name, with the known ones.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown agent `{0}` (known agents: boulware, linear, conceder, tit-for-tat, aspiration, hardliner, random, micro)")]
pub struct UnknownAgent(pub String);

impl FromStr for AgentKind {
    type Err = UnknownAgent;

    fn from_str(text: &str) -> Result<AgentKind, UnknownAgent> {
        let normalised = text.trim().to_ascii_lowercase().replace('_', "-");
        AgentKind::ALL.iter().copied().find(|kind| kind.name() == normalised).ok_or_else(|| UnknownAgent(text.to_owned()))
    }
}

/// What an agent sees when it acts.
#[derive(Debug)]
pub struct Turn<'a> {
    pub problem: &'a Problem,
    /// Relative time in (0, 1): `(round + 1) / (rounds + 1)`.
    pub time: f64,
    pub round: u32,
    pub rng: &'a mut Rng,
}

/// An agent in a session.
#[derive(Debug)]
pub struct Agent {
    pub kind: AgentKind,
    pub party: usize,
    reservation: f64,
    state: State,
    /// The outcomes its party may agree to, when its red lines rule some out.
    allowed: Option<Arc<Region>>,
}

#[derive(Debug)]
enum State {
    /// Boulware, linear, conceder, aspiration: `aspiration = 1 − t^exponent` between the best
    /// utility and max(worst utility, reservation value).
    TimeBased {
        exponent: f64,
        tolerance: f64,
        inverse: Arc<Inverse>,
        low: f64,
        high: f64,
    },
    TitForTat {
        inverse: Arc<Inverse>,
        /// The agent's utility of the partner's last offer.
        partner_utility: Option<f64>,
        walk: Option<usize>,
    },
    Micro {
        inverse: Arc<Inverse>,
        /// How many outcomes it has offered: its offers are the first `next` of its inverse
        /// (distinct, and only rational ones are offered), so they need no list of their own.
        next: usize,
        /// The distinct offers received (only their number matters).
        received: HashSet<Outcome>,
    },
    Hardliner {
        best: Outcome,
        best_utility: f64,
    },
    /// Offers uniformly at random: over the whole space, or over the outcomes its party may agree
    /// to (listed) when it is bound to a region.
    Random {
        allowed: Option<Arc<Inverse>>,
    },
    /// Its party may agree to no outcome at all: it rejects every offer and makes none.
    Blocked,
}

impl Agent {
    /// The agent of `party`, bound to the outcomes `acceptable` lets the party agree to.
    pub fn new(
        kind: AgentKind,
        problem: &Problem,
        acceptable: &Acceptable,
        party: usize,
        cache: &InverseCache,
    ) -> Result<Agent, InverseError> {
        let reservation = problem.parties[party].reservation;
        let allowed = acceptable.of(party).cloned();
        let region = allowed.as_deref();
        if region.is_some_and(Region::is_empty) {
            return Ok(Agent { kind, party, reservation, state: State::Blocked, allowed });
        }
        let time_based = |exponent: f64, tolerance: f64, rational_only: bool| -> Result<State, InverseError> {
            let inverse = cache.get_queries(problem, party, rational_only, region, false)?;
            let high = inverse.max();
            let low = if inverse.min() < reservation { reservation } else { inverse.min() };
            Ok(State::TimeBased { exponent, tolerance, inverse, low, high })
        };
        let state = match kind {
            AgentKind::Boulware => time_based(4.0, 1e-4, true)?,
            AgentKind::Linear => time_based(1.0, 1e-4, true)?,
            AgentKind::Conceder => time_based(0.25, 1e-4, true)?,
            // NegMAS's AspirationNegotiator: a Boulware curve, tolerance 1e-3, all outcomes listed.
            AgentKind::Aspiration => time_based(4.0, 1e-3, false)?,
            AgentKind::TitForTat => {
                State::TitForTat { inverse: cache.get_queries(problem, party, false, region, true)?, partner_utility: None, walk: None }
            }
            AgentKind::Micro => {
                State::Micro { inverse: cache.get_queries(problem, party, true, region, false)?, next: 0, received: HashSet::new() }
            }
            AgentKind::Hardliner => match cache.get_queries(problem, party, false, region, false)?.outcome_at(0) {
                Some((best_utility, best)) => State::Hardliner { best, best_utility },
                None => State::Blocked,
            },
            AgentKind::Random => State::Random { allowed: region.map(|_| cache.get(problem, party, false, region)).transpose()? },
        };
        Ok(Agent { kind, party, reservation, state, allowed })
    }

    fn utility(&self, problem: &Problem, outcome: &[u32]) -> f64 {
        problem.parties[self.party].utility.evaluate(outcome)
    }

    /// Accept the standing offer (`true`), or reject it and then propose. An offer outside the
    /// party's region is rejected whatever the agent's rule says (the rule still runs, so that the
    /// agent's state and the random stream advance as they would).
    pub fn respond(&mut self, turn: &mut Turn<'_>, offer: &[u32]) -> Response {
        let response = self.respond_by_rule(turn, offer);
        match &self.allowed {
            Some(region) if response == Response::Accept && !region.contains(offer) => Response::Reject,
            _ => response,
        }
    }

    fn respond_by_rule(&mut self, turn: &mut Turn<'_>, offer: &[u32]) -> Response {
        let utility = self.utility(turn.problem, offer);
        match &mut self.state {
            State::TimeBased { exponent, tolerance, low, high, .. } => {
                let (lo, hi) = time_range(*exponent, *tolerance, *low, *high, turn.time);
                Response::from_accept(lo <= utility && utility <= hi)
            }
            State::TitForTat { inverse, partner_utility, walk } => {
                *partner_utility = Some(utility);
                let concession = tit_for_tat_concession(inverse, walk, self.reservation, utility, turn.round);
                Response::from_accept(normalised(inverse, self.reservation, utility) >= 1.0 - concession)
            }
            State::Micro { inverse, next, received } => {
                let ready = *next <= received.len();
                let mine = if ready {
                    inverse.outcome_at(*next).map(|(utility, _)| utility)
                } else if *next > 0 {
                    inverse.outcome_at(*next - 1).map(|(utility, _)| utility)
                } else {
                    None
                };
                // NegMAS values "no outcome" at the reservation value.
                let mine = match mine {
                    Some(value) if self.reservation > value => self.reservation,
                    Some(value) => value,
                    None => self.reservation,
                };
                Response::from_accept(utility - mine >= 0.0)
            }
            State::Hardliner { best_utility, .. } => Response::from_accept(utility >= *best_utility - 1e-10),
            State::Blocked => Response::Reject,
            State::Random { .. } => {
                let draw = turn.rng.unit();
                if draw < 0.15 {
                    Response::Accept
                } else if draw < 0.90 {
                    Response::Reject
                } else {
                    Response::End
                }
            }
        }
    }

    /// The agent's offer; `None` ends the negotiation without agreement.
    pub fn propose(&mut self, turn: &mut Turn<'_>) -> Option<Outcome> {
        match &mut self.state {
            State::TimeBased { exponent, tolerance, inverse, low, high } => {
                let (lo, hi) = time_range(*exponent, *tolerance, *low, *high, turn.time);
                // With nothing near the range, NegMAS falls back to the best outcome. A list can be
                // empty only when bucketed and nothing in it is rational: then there is no offer.
                inverse.worst_in(lo, hi).or_else(|| inverse.outcome_at(0)).map(|(_, outcome)| outcome)
            }
            State::TitForTat { inverse, partner_utility, walk } => {
                let concession = match *partner_utility {
                    Some(utility) => tit_for_tat_concession(inverse, walk, self.reservation, utility, turn.round),
                    // Opening: no partner offer, no concession (but the walk still advances).
                    None => clean(tit_for_tat_raw(inverse, walk, self.reservation, 0.0, turn.round)),
                };
                let target = 1.0 - concession;
                let range = inverse.max() - inverse.min();
                let (lo, hi) = (target * range + inverse.min(), 1.0 * range + inverse.min());
                inverse.worst_in(lo, hi).or_else(|| inverse.outcome_at(0)).map(|(_, outcome)| outcome)
            }
            State::Micro { inverse, next, received } => {
                let ready = *next <= received.len();
                match inverse.outcome_at(*next) {
                    Some((utility, outcome)) if utility >= self.reservation && ready => {
                        *next += 1;
                        Some(outcome)
                    }
                    _ if *next == 0 => None,
                    // Repeat one of its own offers at random.
                    _ => inverse.outcome_at(turn.rng.below(*next as u64) as usize).map(|(_, outcome)| outcome),
                }
            }
            State::Hardliner { best, .. } => Some(best.clone()),
            State::Random { allowed: None } => {
                let outcome = turn.problem.space.issues.iter().map(|issue| turn.rng.below(issue.values.len() as u64) as u32).collect();
                Some(outcome)
            }
            State::Random { allowed: Some(inverse) } => Some(inverse.at(turn.rng.below(inverse.len() as u64) as usize).1),
            State::Blocked => None,
        }
    }

    /// Told of another party's offer as it is made.
    pub fn observe(&mut self, offer: &[u32]) {
        if let State::Micro { received, .. } = &mut self.state {
            if !received.contains(offer) {
                received.insert(offer.to_vec());
            }
        }
    }
}

/// A response to the standing offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    Accept,
    Reject,
    End,
}

impl Response {
    fn from_accept(accept: bool) -> Response {
        if accept { Response::Accept } else { Response::Reject }
    }
}

/// The utility range a time-based agent offers and accepts in at time `t`.
fn time_range(exponent: f64, tolerance: f64, low: f64, high: f64, time: f64) -> (f64, f64) {
    let aspiration = 1.0 * (1.0 - time.powf(exponent));
    let lo = (high - low) * aspiration + low - tolerance;
    let hi = (high - low) * 1.0 + low + tolerance;
    (lo.min(high).max(low), hi.min(high).max(low))
}

/// Utility normalised between max(worst, reservation) and the best, as NegMAS's tit-for-tat does.
fn normalised(inverse: &Inverse, reservation: f64, utility: f64) -> f64 {
    let (mut low, mut high) = (inverse.min(), inverse.max());
    if high < reservation {
        high = f64::NEG_INFINITY;
        low = f64::NEG_INFINITY;
    } else if low < reservation {
        low = reservation;
    }
    let range = high - low;
    if range < 1e-5 {
        return if high.is_finite() { 1.0 } else { 0.0 };
    }
    (utility - low) * (1.0 / range)
}

/// The concession for round `round` given the partner's offer utility.
fn tit_for_tat_concession(inverse: &Inverse, walk: &mut Option<usize>, reservation: f64, partner_utility: f64, round: u32) -> f64 {
    // NegMAS writes `n * -1 + 1`; negation is exact, so `-n + 1` gives the same bits.
    let partner = -normalised(inverse, reservation, partner_utility) + 1.0;
    clean(tit_for_tat_raw(inverse, walk, reservation, 1.0 - partner, round))
}

fn tit_for_tat_raw(inverse: &Inverse, walk: &mut Option<usize>, reservation: f64, partner_concession: f64, round: u32) -> f64 {
    let concession = if partner_concession < 0.0 { 0.0 } else { partner_concession };
    match round {
        0 => 0.0,
        1 | 2 => {
            // The gap between the next two outcomes of a walk down from the best.
            let mut next_worse = || -> Option<f64> {
                let position = match *walk {
                    None => inverse.last(),
                    Some(0) => return None,
                    Some(position) => position - 1,
                };
                *walk = Some(position);
                Some(inverse.utility_at_position(position))
            };
            // Past the end of the walk NegMAS values "no outcome" at the reservation value.
            let (a, b) = (next_worse().unwrap_or(reservation), next_worse().unwrap_or(reservation));
            let range = inverse.utility_at_position(inverse.last()) - inverse.utility_at_position(0);
            (a - b + 1e-12) / range
        }
        _ => concession + 0.0,
    }
}

fn clean(concession: f64) -> f64 {
    if !concession.is_finite() || !(-1e-6..=1.0000001).contains(&concession) { 0.0 } else { concession }
}

/// Spaces of more outcomes than this (or too many to count) set their agents up in parallel: each
/// party's inverse may then take the running totals' set-up (tens of milliseconds), not the
/// halves' (milliseconds).
const PARALLEL_SET_UP_FROM: u64 = 1 << 42;

/// Every party's agent, in party order; the parties' inverses are built in parallel on spaces too
/// large for the halves (agents draw no random number while set up: the result is the same).
pub fn set_up(kinds: &[AgentKind], problem: &Problem, acceptable: &Acceptable, cache: &InverseCache) -> Result<Vec<Agent>, InverseError> {
    let large = problem.space.count().exact().is_none_or(|count| count > PARALLEL_SET_UP_FROM);
    if !large || kinds.len() < 2 {
        return kinds.iter().enumerate().map(|(party, &kind)| Agent::new(kind, problem, acceptable, party, cache)).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = kinds
            .iter()
            .enumerate()
            .map(|(party, &kind)| scope.spawn(move || (Agent::new(kind, problem, acceptable, party, cache), crate::sums::take_failed())))
            .collect();
        let agents: Vec<_> = handles.into_iter().map(|handle| handle.join().expect("an agent's set-up does not panic")).collect();
        // A query that failed on a set-up thread is the session's (see `crate::sums::take_failed`).
        if agents.iter().any(|(_, failed)| *failed) {
            crate::sums::note_failed();
        }
        agents.into_iter().map(|(agent, _)| agent).collect()
    })
}
