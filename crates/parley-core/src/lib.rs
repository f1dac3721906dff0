//! The negotiation record and what is computed from it.
//!
//! `parley-core` reads a negotiation written as a scenario file ([`scenario::parse`]), indexes it by
//! time ([`status::Record`]) and answers: where do the talks stand at a date or round
//! ([`status::Record::status`]), what changed between two points ([`status::Record::diff`]), and
//! which public claims the record contradicts ([`status::Record::check_claims`]). Red lines are
//! constraints over issues written in a small language ([`expr`]). Confidential stances and red
//! lines are removed for a viewer before anything is computed ([`visibility::view`]).
//!
//! The crate is pure: no I/O beyond parsing text handed to it, no async, no database.
//!
//! ```
//! use parley_core::{scenario, status::Record, timeline::Point};
//!
//! let text = r#"
//! [negotiation]
//! id = "demo"
//! title = "Two parties, one point"
//!
//! [[parties]]
//! id = "A"
//! role = "principal"
//!
//! [[parties]]
//! id = "B"
//! role = "principal"
//!
//! [[rounds]]
//! id = "first"
//! date = 2026-01-10
//!
//! [[items]]
//! number = 1
//! title = "Ceasefire"
//! text = "Hostilities end."
//!
//! [[stances]]
//! party = "A"
//! item = 1
//! position = "accepts"
//! round = "first"
//!
//! [[stances]]
//! party = "B"
//! item = 1
//! position = "opposes"
//! round = "first"
//! "#;
//! let negotiation = scenario::parse(text).unwrap().negotiation;
//! let record = Record::new(&negotiation);
//! let status = record.status(&Point::now());
//! assert!(!status.framework.accepted);
//! assert_eq!(status.framework.disputed, 1);
//! ```

pub mod bloc;
pub mod channels;
pub mod claims;
pub mod date;
pub mod deadline;
pub mod diagnostic;
pub mod diff;
pub mod display;
pub mod document;
pub mod expr;
pub mod implementation;
pub mod model;
pub mod phase;
pub mod positions;
pub mod readout;
pub mod scenario;
pub mod shared;
pub mod status;
pub mod timeline;
pub mod visibility;
pub mod warnings;
pub mod writer;
