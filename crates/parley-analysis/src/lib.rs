//! Bargaining analysis: outcome spaces, utility functions, GENIUS XML domains, exact Pareto
//! frontiers, bargaining solutions, and the analysis of scenario files (red-line conflicts, zones
//! of agreement, proposal evaluation and skew).
//!
//! Pure code: no I/O beyond parsing texts handed to it; results come with warnings, and user data
//! never makes it panic.
//!
//! ```
//! use parley_analysis::frontier::{FrontierOptions, frontier};
//! use parley_analysis::solutions::solve;
//! use parley_analysis::space::{Additive, IssueSpace, Label, OutcomeSpace, Party, Problem, Utility};
//!
//! // One issue, three values; the parties want opposite ends.
//! let space = OutcomeSpace {
//!     issues: vec![IssueSpace { name: "share".into(), values: (0..3).map(Label::Integer).collect() }],
//! };
//! let party = |name: &str, table: Vec<f64>| Party {
//!     name: name.into(),
//!     utility: Utility::Additive(Additive { tables: vec![table] }),
//!     reservation: 0.0,
//!     discount: None,
//! };
//! let problem = Problem { space, parties: vec![party("A", vec![0.0, 0.6, 1.0]), party("B", vec![1.0, 0.6, 0.0])] };
//! let frontier = frontier(&problem, &FrontierOptions::default()).unwrap();
//! assert_eq!(frontier.points.len(), 3);
//! let solutions = solve(&frontier, &problem.reservations());
//! assert_eq!(solutions.nash.unwrap().outcome, vec![1]);
//! ```

pub mod frontier;
pub mod genius;
pub mod plot;
pub mod rational;
pub mod redlines;
pub mod scenario;
pub mod solutions;
pub mod space;
pub mod trajectories;
mod xml;
