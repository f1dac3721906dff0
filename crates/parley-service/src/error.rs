//! The one error type of the service.

use parley_core::diagnostic::{Diagnostic, Severity};
use parley_store::StoreError;

/// Why an operation did not give its result.
///
/// [`is_bad_input`](ServiceError::is_bad_input) separates the caller's mistakes (the command line
/// exits with 2) from failures of parley or its environment (exit 1). The `Display` text is the
/// message the command line prints after `error: `.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The input is wrong: an unknown viewer, round or negotiation, an unreadable file.
    #[error("{0}")]
    BadInput(String),
    /// A scenario that does not parse; `problems` holds every diagnostic, errors and warnings.
    #[error("{name}: {errors} error{plural} found; nothing was computed", errors = error_count(problems), plural = if error_count(problems) == 1 { "" } else { "s" })]
    Invalid {
        /// The name the scenario is shown by (a path, `<stdin>`).
        name: String,
        /// Its problems, in the order the reader found them.
        problems: Vec<Diagnostic>,
    },
    /// The database failed (not the caller's mistake; see [`ServiceError::store`]).
    #[error(transparent)]
    Store(StoreError),
    /// parley could not do what was asked, through no fault of the input (a record the scenario
    /// format cannot express).
    #[error("{0}")]
    Failed(String),
    /// Reading or writing failed in the environment (standard input closed with an error).
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
}

impl ServiceError {
    /// Whether the caller's input is at fault (exit code 2) rather than parley or its environment.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, ServiceError::BadInput(_) | ServiceError::Invalid { .. })
    }

    /// A store error as the service reports it: what the caller can fix (a database that is not
    /// one, an unknown negotiation, a rejected or unsigned change) is bad input, with the store's
    /// message; anything else is a failure that keeps its causes.
    pub fn store(error: StoreError) -> ServiceError {
        match error {
            StoreError::NewerSchema { .. }
            | StoreError::NotADatabase { .. }
            | StoreError::Missing { .. }
            | StoreError::UnknownNegotiation { .. }
            | StoreError::Rejected { .. }
            | StoreError::KeyMismatch { .. }
            | StoreError::SignatureRequired { .. }
            | StoreError::KeyRevoked { .. }
            | StoreError::NoKey { .. }
            | StoreError::ChangesHands { .. }
            | StoreError::BadSignature { .. } => ServiceError::BadInput(error.to_string()),
            other => ServiceError::Store(other),
        }
    }
}

fn error_count(problems: &[Diagnostic]) -> usize {
    problems.iter().filter(|problem| problem.severity == Severity::Error).count()
}
