//! One negotiation between agents under a protocol.
//!
//! **Alternating offers** (NegMAS's SAO, any number of parties — "stacked alternating offers"):
//! in every round each party, in order, either accepts the standing offer or rejects it and makes
//! its own offer, which becomes the standing offer (its maker counts as accepting it). The
//! negotiation ends in agreement as soon as every party accepts the standing offer, and without
//! one after the last round or when a party walks away. Relative time in round `r` of `R` is
//! `(r + 1)/(R + 1)`.
//!
//! **Single negotiating text** (a mediator): the mediator drafts a text — each issue at the value
//! that adds most to the parties' summed utility — and every round asks each party to accept or
//! object; it then revises the text by the one-issue change that most parties accept, breaking ties
//! by the largest smallest gain, until every party accepts or the rounds run out.
//!
//! **Red lines** ([`run_session_within`]): a party bound to a region of acceptable outcomes
//! ([`crate::acceptable`]) never offers or accepts an outcome outside it, so an agreement lies in
//! every party's region. Under a single text, a change that takes the text out of a party's region
//! is not welcome to it and counts as an unbounded loss; one that brings the text into it is
//! welcome whatever its utility; otherwise the change's utility decides, as without regions.

use parley_analysis::space::{Outcome, Problem, Utility};
use serde::Serialize;

use crate::acceptable::Acceptable;
use crate::agents::{Agent, AgentKind, Response, Turn};
use crate::inverter::{InverseCache, InverseError};
use crate::metrics::{Metrics, Reference, measure};
use crate::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    AlternatingOffers,
    SingleText,
}

#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub protocol: Protocol,
    pub rounds: u32,
    pub seed: u64,
    pub record_trace: bool,
    /// A wall-clock deadline besides the rounds. Relative time is then the larger of the round
    /// fraction and the elapsed fraction, and results depend on the machine's speed.
    pub time_limit: Option<std::time::Duration>,
}

/// One offer of a session (or, under a single text, one version of the text).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceEntry {
    pub round: u32,
    /// The party who made the offer (`None` for the mediator's text).
    pub proposer: Option<usize>,
    pub outcome: Outcome,
    /// Every party's utility of the offer.
    pub utilities: Vec<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Session {
    pub agreement: Option<Outcome>,
    /// The round the agreement was reached in (0-based).
    pub agreement_round: Option<u32>,
    /// Rounds run: the agreement round plus one, the round a party walked away in plus one, or all
    /// of them.
    pub rounds: u32,
    /// Offers made (texts drafted, under a single text).
    pub offers: u64,
    /// A party ended the negotiation.
    pub ended_by: Option<usize>,
    pub metrics: Metrics,
    pub trace: Vec<TraceEntry>,
}

/// Why a session cannot run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("a session needs at least two parties (got {0})")]
    TooFewParties(usize),
    #[error("{agents} agents for {parties} parties (expected one agent per party)")]
    AgentCount { agents: usize, parties: usize },
    #[error("a session needs at least one round")]
    NoRounds,
    #[error("the outcome space is empty (an issue has no values)")]
    EmptySpace,
    #[error("there is nothing to negotiate: no open issues")]
    NoIssues,
    #[error(transparent)]
    Inverse(#[from] InverseError),
}

pub fn run_session(
    problem: &Problem,
    kinds: &[AgentKind],
    config: &SessionConfig,
    reference: Option<&Reference>,
) -> Result<Session, SessionError> {
    run_session_with(problem, kinds, config, reference, &InverseCache::default())
}

/// Runs a session, reusing the inverses in `cache` (shared by the sessions of a scenario).
pub fn run_session_with(
    problem: &Problem,
    kinds: &[AgentKind],
    config: &SessionConfig,
    reference: Option<&Reference>,
    cache: &InverseCache,
) -> Result<Session, SessionError> {
    run_session_within(problem, &Acceptable::default(), kinds, config, reference, cache)
}

/// Runs a session in which each party's agent offers and accepts only the outcomes `acceptable`
/// lets its party agree to; `cache` must serve this problem with these regions.
pub fn run_session_within(
    problem: &Problem,
    acceptable: &Acceptable,
    kinds: &[AgentKind],
    config: &SessionConfig,
    reference: Option<&Reference>,
    cache: &InverseCache,
) -> Result<Session, SessionError> {
    let parties = problem.parties.len();
    if parties < 2 {
        return Err(SessionError::TooFewParties(parties));
    }
    if kinds.len() != parties {
        return Err(SessionError::AgentCount { agents: kinds.len(), parties });
    }
    if config.rounds == 0 {
        return Err(SessionError::NoRounds);
    }
    if problem.space.issues.is_empty() {
        return Err(SessionError::NoIssues);
    }
    if problem.space.issues.iter().any(|issue| issue.values.is_empty()) {
        return Err(SessionError::EmptySpace);
    }
    // A query on running totals past their limit failed (`None`, not the outcome asked for): the
    // session is run again with every party on listings. Whether a query fails depends on the
    // query alone, so the result does not depend on other sessions sharing the cache.
    let run = |cache: &InverseCache| -> Result<Session, SessionError> {
        let mut agents: Vec<Agent> = crate::agents::set_up(kinds, problem, acceptable, cache)?;
        let mut rng = Rng::new(config.seed);
        let mut session = match config.protocol {
            Protocol::AlternatingOffers => alternating_offers(problem, &mut agents, config, &mut rng),
            Protocol::SingleText => single_text(problem, acceptable, &mut agents, config, &mut rng),
        };
        let reservations = problem.reservations();
        let utilities = match &session.agreement {
            Some(outcome) => problem.utilities(outcome),
            None => reservations.clone(),
        };
        session.metrics = measure(utilities, session.agreement.is_some(), &reservations, reference);
        Ok(session)
    };
    crate::sums::take_failed();
    let session = run(cache)?;
    if crate::sums::take_failed() {
        return run(cache.fallback());
    }
    Ok(session)
}

impl Session {
    /// A session that ended after `rounds` rounds without agreement (walked away from by
    /// `ended_by`, if anyone).
    fn without_agreement(rounds: u32, offers: u64, ended_by: Option<usize>, trace: Vec<TraceEntry>) -> Session {
        Session { agreement: None, agreement_round: None, rounds, offers, ended_by, metrics: Metrics::default(), trace }
    }

    fn with_agreement(outcome: Outcome, round: u32, offers: u64, trace: Vec<TraceEntry>) -> Session {
        Session {
            agreement: Some(outcome),
            agreement_round: Some(round),
            rounds: round + 1,
            offers,
            ended_by: None,
            metrics: Metrics::default(),
            trace,
        }
    }
}

/// Relative time at a round: `(round + 1)/(rounds + 1)`, or the elapsed share of the time limit
/// when that is larger; `None` once the time limit has passed.
fn relative_time(config: &SessionConfig, round: u32, started: std::time::Instant) -> Option<f64> {
    let by_rounds = ((f64::from(round) + 1.0) / (f64::from(config.rounds) + 1.0)).min(1.0);
    match config.time_limit {
        None => Some(by_rounds),
        Some(limit) => {
            let elapsed = started.elapsed();
            if elapsed >= limit {
                return None;
            }
            Some(by_rounds.max(elapsed.as_secs_f64() / limit.as_secs_f64()))
        }
    }
}

fn alternating_offers(problem: &Problem, agents: &mut [Agent], config: &SessionConfig, rng: &mut Rng) -> Session {
    let parties = agents.len();
    let mut standing: Option<Outcome> = None;
    let mut proposer: Option<usize> = None;
    let mut acceptances = 0usize;
    let mut offers = 0u64;
    let mut trace = Vec::new();
    let started = std::time::Instant::now();
    for round in 0..config.rounds {
        let Some(time) = relative_time(config, round, started) else {
            return Session::without_agreement(round, offers, None, trace);
        };
        for party in 0..parties {
            if proposer == Some(party) {
                acceptances = 0;
            }
            let mut turn = Turn { problem, time, round, rng };
            let offer = match &standing {
                None => agents[party].propose(&mut turn),
                Some(offer) => match agents[party].respond(&mut turn, offer) {
                    Response::Accept => {
                        acceptances += 1;
                        if acceptances == parties {
                            return Session::with_agreement(standing.expect("an offer stands"), round, offers, trace);
                        }
                        continue;
                    }
                    Response::End => {
                        return Session::without_agreement(round + 1, offers, Some(party), trace);
                    }
                    Response::Reject => agents[party].propose(&mut turn),
                },
            };
            let Some(offer) = offer else {
                return Session::without_agreement(round + 1, offers, Some(party), trace);
            };
            offers += 1;
            if config.record_trace {
                trace.push(TraceEntry { round, proposer: Some(party), outcome: offer.clone(), utilities: problem.utilities(&offer) });
            }
            for (other, agent) in agents.iter_mut().enumerate() {
                if other != party {
                    agent.observe(&offer);
                }
            }
            standing = Some(offer);
            proposer = Some(party);
            acceptances = 1;
        }
    }
    Session::without_agreement(config.rounds, offers, None, trace)
}

/// The mediator's first text: each issue at the value adding most to the summed utilities
/// (exact for additive utilities; a reasonable start otherwise).
fn first_text(problem: &Problem) -> Outcome {
    let mut text = vec![0u32; problem.space.issues.len()];
    for (issue, slot) in text.iter_mut().enumerate() {
        let values = problem.space.issues[issue].values.len();
        let score = |value: usize| -> f64 {
            problem
                .parties
                .iter()
                .map(|party| match &party.utility {
                    Utility::Additive(additive) => additive.tables[issue][value],
                    Utility::Rectangles(_) => 0.0,
                })
                .sum()
        };
        *slot = (0..values).max_by(|&a, &b| score(a).total_cmp(&score(b)).then(b.cmp(&a))).unwrap_or(0) as u32;
    }
    text
}

fn single_text(problem: &Problem, acceptable: &Acceptable, agents: &mut [Agent], config: &SessionConfig, rng: &mut Rng) -> Session {
    let constrained = acceptable.constrains();
    let parties = agents.len();
    let mut text = first_text(problem);
    let mut offers = 0u64;
    let mut trace = Vec::new();
    let started = std::time::Instant::now();
    for round in 0..config.rounds {
        let Some(time) = relative_time(config, round, started) else {
            return Session::without_agreement(round, offers, None, trace);
        };
        offers += 1;
        let current = problem.utilities(&text);
        if config.record_trace {
            trace.push(TraceEntry { round, proposer: None, outcome: text.clone(), utilities: current.clone() });
        }
        let mut accepting = 0;
        for agent in agents.iter_mut() {
            let mut turn = Turn { problem, time, round, rng };
            match agent.respond(&mut turn, &text) {
                Response::Accept => accepting += 1,
                Response::Reject => {}
                Response::End => {
                    return Session::without_agreement(round + 1, offers, Some(agent.party), trace);
                }
            }
        }
        if accepting == parties {
            return Session::with_agreement(text, round, offers, trace);
        }
        // Revise: the one-issue change that most parties would accept, then the largest smallest
        // gain over the current text.
        // Each candidate is the text with one value changed in place (and changed back).
        let mut best: Option<(usize, f64, usize, u32)> = None;
        let inside: Vec<bool> = if constrained { (0..parties).map(|party| acceptable.by(party, &text)).collect() } else { Vec::new() };
        for issue in 0..text.len() {
            let original = text[issue];
            for value in 0..problem.space.issues[issue].values.len() as u32 {
                if value == original {
                    continue;
                }
                text[issue] = value;
                let (mut smallest, mut welcome) = (f64::INFINITY, 0);
                for (index, (party, before)) in problem.parties.iter().zip(&current).enumerate() {
                    let gain = party.utility.evaluate(&text) - before;
                    if constrained {
                        // Leaving the party's region is an unbounded loss and never welcome; entering
                        // it is welcome; otherwise the utility decides, as without a region.
                        let (was, is) = (inside[index], acceptable.by(index, &text));
                        smallest = smallest.min(if was && !is { f64::NEG_INFINITY } else { gain });
                        welcome += usize::from(if was != is { is } else { gain > 0.0 });
                        continue;
                    }
                    smallest = smallest.min(gain);
                    // Acceptance is asked without side effects: a change is welcome when it
                    // improves a party's utility.
                    welcome += usize::from(gain > 0.0);
                }
                let better = match &best {
                    None => true,
                    Some((count, gain, _, _)) => welcome > *count || (welcome == *count && smallest > *gain),
                };
                if better {
                    best = Some((welcome, smallest, issue, value));
                }
            }
            text[issue] = original;
        }
        match best {
            Some((welcome, _, issue, value)) if welcome > 0 => text[issue] = value,
            // No change helps anyone: the text stands, and so does the disagreement.
            _ => return Session::without_agreement(round + 1, offers, None, trace),
        }
    }
    Session::without_agreement(config.rounds, offers, None, trace)
}
