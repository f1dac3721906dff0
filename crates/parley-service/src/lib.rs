//! The operations every front end of parley offers, whatever speaks to the user.
//!
//! The `parley` command line (and a server after it) is an adapter: it parses its input, calls one
//! operation of this crate, and encodes what comes back. The operations open a negotiation (a
//! scenario file, a scenario's text, or a database), resolve who is looking (a [`Viewer`]), and
//! compute what that viewer may be told. Nothing here writes to a terminal or knows an argument
//! parser; errors are one [`ServiceError`], which tells the caller's mistakes from failures.
//!
//! ```
//! use parley_service::{Source, open, view};
//!
//! let opened = open(&Source::File("../../scenarios/ukraine-2025.toml".into()))?;
//! // The public's copy of the record, taken once; everything below is computed from it.
//! let public = view(opened.negotiation, "public")?;
//! let status = public.status("now")?;
//! let changes = public.diff("start", "now")?;
//! assert_eq!(status.as_of.label, changes.to.label);
//! // An unknown viewer is the caller's mistake, with the message the command line prints.
//! let error = view(public.negotiation().clone(), "nobody").unwrap_err();
//! assert!(error.is_bad_input());
//! # Ok::<(), parley_service::ServiceError>(())
//! ```
//!
//! The operations, by what they work on:
//!
//! - a source: [`open`], [`viewer`], [`as_of`], [`view`] and a [`View`]'s `status`, `diff`,
//!   `claims`, `positions`, `implementation`; [`analysis`] and [`scenario_problem`] for
//!   bargaining;
//! - a database: [`open_store`], [`choose`], [`import`], [`export`], [`LogView`] (the log for a
//!   viewer), [`verify`];
//! - a bargaining problem ([`ProblemSource`], or a GENIUS folder by [`load_genius_folder`]):
//!   [`analyse_problem`], its frontier and plot, [`simulate`], [`tournament_scenarios`] and
//!   [`tournament`], and the CSV files ([`trace_csv`], [`results_csv`], [`frontier_csv`],
//!   [`plot_trace`]).
//!
//! [`Viewer`]: parley_core::visibility::Viewer

#![warn(missing_docs)]

mod database;
mod error;
mod escape;
mod genius;
pub mod input;
mod keys;
mod log;
mod problem;
mod record;
mod report;
mod runs;
mod simulation;
mod source;
mod verify;
mod view;
mod viewer;

pub use database::{choose, open_read, open_store};
pub use error::ServiceError;
pub use escape::escaped;
pub use genius::{GeniusSource, ProblemAnalysis, Timings, analyse_problem, frontier_refusal, load_genius_folder, rational_budget};
pub use keys::{KeyChange, KeyChanged, change_key, sign_head};
pub use log::{LogView, ViewedEvent};
pub use problem::{
    BoundAgents, FrontEnd, ProblemSource, analysis, check_distinct_parties, check_parties, hint_frontier_budget, scenario_problem,
};
pub use record::{Exported, Imported, export, import};
pub use report::{FrontierReport, SolutionReport, frontier_report, solution_report};
pub use runs::{
    MAX_SESSION_ROUNDS, MAX_TOURNAMENT_JOBS, MAX_TOURNAMENT_ROUNDS, SimulationReport, THREADS_PER_CORE, check_session_rounds,
    check_tournament, parse_protocol, simulation_report,
};
pub use simulation::{
    AgreementReport, SessionRequest, Simulation, TracePlot, check_listing, frontier_csv, plot_trace, reference, results_csv, simulate,
    tournament, tournament_scenarios, trace_csv,
};
pub use source::{Opened, Source, display_name, open, read_text};
pub use verify::{ChainReport, verify};
pub use view::{View, stances_added, view};
pub use viewer::{as_of, point, viewer};
