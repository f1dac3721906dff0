//! Automated negotiation: agents, protocols, sessions and tournaments.
//!
//! Agents ([`agents::AgentKind`]) are time-based (Boulware, linear, conceder, aspiration), naive
//! tit-for-tat, hard-liner, random and MiCRO; where NegMAS 0.16.0 has the same agent they decide
//! exactly as NegMAS does, offer for offer. Sessions ([`session::run_session`]) run under
//! alternating offers (any number of parties) or a mediator's single negotiating text; tournaments
//! ([`tournament::run`]) run many sessions in parallel with results independent of the number of
//! threads. A party whose red lines rule outcomes out is bound to the rest
//! ([`acceptable::Acceptable`], [`session::run_session_within`]): its agent never offers or
//! accepts an outcome outside them.
//!
//! ```
//! use parley_analysis::space::{Additive, IssueSpace, Label, OutcomeSpace, Party, Problem, Utility};
//! use parley_sim::agents::AgentKind;
//! use parley_sim::session::{Protocol, SessionConfig, run_session};
//!
//! let space = OutcomeSpace { issues: vec![IssueSpace { name: "share".into(), values: (0..11).map(Label::Integer).collect() }] };
//! let party = |name: &str, table: Vec<f64>| Party { name: name.into(), utility: Utility::Additive(Additive { tables: vec![table] }), reservation: 0.0, discount: None };
//! let up: Vec<f64> = (0..11).map(|value| f64::from(value) / 10.0).collect();
//! let down: Vec<f64> = up.iter().rev().copied().collect();
//! let problem = Problem { space, parties: vec![party("A", up), party("B", down)] };
//! let config = SessionConfig { protocol: Protocol::AlternatingOffers, rounds: 100, seed: 1, record_trace: false, time_limit: None };
//! let session = run_session(&problem, &[AgentKind::Boulware, AgentKind::Conceder], &config, None).unwrap();
//! assert!(session.agreement.is_some());
//! ```

pub mod acceptable;
pub mod agents;
pub mod bnb;
mod guide;
pub mod halves;
pub mod inverter;
pub mod metrics;
pub mod queries;
pub mod rng;
pub mod session;
pub mod sums;
pub mod tournament;
