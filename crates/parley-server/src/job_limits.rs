//! Bounds on unfinished jobs: a token may have at most [`PER_TOKEN`] simulations and tournaments
//! queued or running in a process, a viewer of a negotiation (all its tokens together) at most
//! [`PER_VIEWER`]; one more is `429` (`too_many_jobs`, with `Retry-After`), checked before the
//! job's problem is even built. No bound is shared between viewers: a refusal counting other
//! viewers' jobs would tell one viewer how busy the others are, which it may not see.
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

/// Unfinished jobs one viewer of a negotiation may have in a process (all its tokens together).
pub const PER_VIEWER: usize = 8;

/// What `Retry-After` says, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 5;

/// The unfinished jobs of this process, by token and by viewer of a negotiation.
#[derive(Debug, Default)]
pub struct Active {
    counts: Mutex<HashMap<(Counted, String), usize>>,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
enum Counted {
    Token,
    /// A negotiation and a viewer, as `negotiation NUL viewer`.
    Viewer,
}

/// A job admitted under the bounds; dropping it (when the job ends) frees its place.
pub struct Admitted {
    state: AppState,
    token: String,
    viewer: String,
}

/// Admits one more job of `token`, whose viewer is `viewer` in `negotiation`, or refuses it with `429`.
pub fn admit(state: &AppState, token: &str, negotiation: &str, viewer: &str) -> Result<Admitted, ApiError> {
    let viewer = format!("{negotiation}\0{viewer}");
    state.jobs().active().add(token, &viewer)?;
    Ok(Admitted { state: state.clone(), token: token.to_owned(), viewer })
}

impl Active {
    /// Counts one more job of `token` and of `viewer` (negotiation NUL viewer), unless either is
    /// at its bound.
    fn add(&self, token: &str, viewer: &str) -> Result<(), ApiError> {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count =
            |counts: &HashMap<(Counted, String), usize>, key: (Counted, &str)| counts.get(&(key.0, key.1.to_owned())).copied().unwrap_or(0);
        if count(&counts, (Counted::Token, token)) >= PER_TOKEN {
            let detail = format!("this token has {PER_TOKEN} jobs queued or running: wait for one to end");
            return Err(ApiError::new(Code::TooManyJobs, detail));
        }
        if count(&counts, (Counted::Viewer, viewer)) >= PER_VIEWER {
            let detail = format!("this token's viewer has {PER_VIEWER} jobs queued or running: wait for one to end");
            return Err(ApiError::new(Code::TooManyJobs, detail));
        }
        *counts.entry((Counted::Token, token.to_owned())).or_default() += 1;
        *counts.entry((Counted::Viewer, viewer.to_owned())).or_default() += 1;
        Ok(())
    }

    /// Counts one job of `token` and of `viewer` less.
    fn remove(&self, token: &str, viewer: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for key in [(Counted::Token, token.to_owned()), (Counted::Viewer, viewer.to_owned())] {
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
        f.debug_struct("Admitted").field("token", &self.token).field("viewer", &self.viewer).finish_non_exhaustive()
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.state.jobs().active().remove(&self.token, &self.viewer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_and_viewer_is_bounded_and_an_ended_job_frees_its_place() {
        let active = Active::default();
        for _ in 0..PER_TOKEN {
            active.add("t1", "n").unwrap();
        }
        assert_eq!(active.add("t1", "n").unwrap_err().code, Code::TooManyJobs);
        // Another viewer's jobs do not count against this one's bound, a token's do.
        assert_eq!(active.add("t1", "other").unwrap_err().code, Code::TooManyJobs);
        let mut tokens = 1;
        while active.add(&format!("t{}", tokens + 1), "n").is_ok() {
            tokens += 1;
        }
        let held = PER_TOKEN + (tokens - 1);
        assert_eq!(held, PER_VIEWER, "the viewer's bound");
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
