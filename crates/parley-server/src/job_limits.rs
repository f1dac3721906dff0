//! Bounds on unfinished jobs: a token may have at most [`PER_TOKEN`] simulations and tournaments
//! queued or running in a process, a negotiation at most [`PER_NEGOTIATION`]; one more is `429`
//! (`too_many_jobs`, with `Retry-After`), checked before the job's problem is even built.
//!
//! The counts are the process's own, not the database's: what a job holds while it waits (its
//! problem, in memory) and while it runs (a thread) is the process's, so each process bounds its
//! own queue, and several processes on one database each run theirs. A job is counted from its
//! admission until it is done or failed ([`Admitted`] is dropped with its task).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{ApiError, Code};
use crate::state::AppState;

/// Unfinished jobs one token may have in a process.
pub const PER_TOKEN: usize = 2;

/// Unfinished jobs one negotiation may have in a process (every token of it together).
pub const PER_NEGOTIATION: usize = 8;

/// What `Retry-After` says, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 5;

/// The unfinished jobs of this process, by token and by negotiation.
#[derive(Debug, Default)]
pub struct Active {
    counts: Mutex<HashMap<(Counted, String), usize>>,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum Counted {
    Token,
    Negotiation,
}

/// A job admitted under the bounds; dropping it (when the job ends) frees its place.
pub struct Admitted {
    state: AppState,
    token: String,
    negotiation: String,
}

/// Admits one more job of `token` in `negotiation`, or refuses it with `429`.
pub fn admit(state: &AppState, token: &str, negotiation: &str) -> Result<Admitted, ApiError> {
    state.jobs().active().add(token, negotiation)?;
    Ok(Admitted { state: state.clone(), token: token.to_owned(), negotiation: negotiation.to_owned() })
}

impl Active {
    /// Counts one more job of `token` in `negotiation`, unless either is at its bound.
    fn add(&self, token: &str, negotiation: &str) -> Result<(), ApiError> {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count =
            |counts: &HashMap<(Counted, String), usize>, key: (Counted, &str)| counts.get(&(key.0, key.1.to_owned())).copied().unwrap_or(0);
        if count(&counts, (Counted::Token, token)) >= PER_TOKEN {
            let detail = format!("this token has {PER_TOKEN} jobs queued or running: wait for one to end");
            return Err(ApiError::new(Code::TooManyJobs, detail));
        }
        if count(&counts, (Counted::Negotiation, negotiation)) >= PER_NEGOTIATION {
            let detail = format!("this negotiation has {PER_NEGOTIATION} jobs queued or running: wait for one to end");
            return Err(ApiError::new(Code::TooManyJobs, detail));
        }
        *counts.entry((Counted::Token, token.to_owned())).or_default() += 1;
        *counts.entry((Counted::Negotiation, negotiation.to_owned())).or_default() += 1;
        Ok(())
    }

    /// Counts one job of `token` in `negotiation` less.
    fn remove(&self, token: &str, negotiation: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for key in [(Counted::Token, token.to_owned()), (Counted::Negotiation, negotiation.to_owned())] {
            if let Some(count) = counts.get_mut(&key) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    counts.remove(&key);
                }
            }
        }
    }
}

impl std::fmt::Debug for Admitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admitted").field("token", &self.token).field("negotiation", &self.negotiation).finish_non_exhaustive()
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.state.jobs().active().remove(&self.token, &self.negotiation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_and_negotiation_is_bounded_and_an_ended_job_frees_its_place() {
        let active = Active::default();
        for _ in 0..PER_TOKEN {
            active.add("t1", "n").unwrap();
        }
        assert_eq!(active.add("t1", "n").unwrap_err().code, Code::TooManyJobs);
        // Another negotiation's jobs do not count against this one's bound, a token's do.
        assert_eq!(active.add("t1", "other").unwrap_err().code, Code::TooManyJobs);
        let mut tokens = 1;
        while active.add(&format!("t{}", tokens + 1), "n").is_ok() {
            tokens += 1;
        }
        let held = PER_TOKEN + (tokens - 1);
        assert_eq!(held, PER_NEGOTIATION, "the negotiation's bound");
        active.add("t-fresh", "other").unwrap();
        active.remove("t1", "n");
        active.add("t1", "n").unwrap();
        assert!(active.add("t-new", "n").is_err());
        for token in (1..=tokens).map(|index| format!("t{index}")) {
            while active.counts.lock().unwrap().contains_key(&(Counted::Token, token.clone())) {
                active.remove(&token, "n");
            }
        }
        active.remove("t-fresh", "other");
        assert!(active.counts.lock().unwrap().is_empty(), "{:?}", active.counts);
    }
}
