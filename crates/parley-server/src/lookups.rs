//! A read's token and head looked up together with the other reads waiting (PostgreSQL): one
//! statement and one round trip answer them all ([`parley_store::TokenStore::tokens_and_heads`]).
//!
//! Every read looks up its token and the log's head first. On PostgreSQL that is a network round
//! trip on a blocking thread; under load, most of a read's cost. Here a read joins the queue, and
//! whoever finds no lookup running starts one on a blocking thread, which takes everything
//! queued, answers each, and goes on until the queue is empty (a statement that fails is made
//! once more on a store opened anew: `AppState::token_and_head_batched`). Each lookup is made
//! after its read arrived, so a token revoked before the read is refused, as when it is looked up
//! alone; each answer goes to its own read only (its place in the statement's answer). Reads
//! asking the same token and negotiation share one row.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use parley_store::TokenAndHead;

use crate::error::ApiError;

/// The most lookups one statement makes.
const MAX_AT_ONCE: usize = 256;

/// A read waiting for its lookup.
struct Waiting {
    secret: String,
    /// `None`: the token alone, no head.
    negotiation: Option<String>,
    reply: tokio::sync::oneshot::Sender<Result<TokenAndHead, ApiError>>,
}

/// The reads waiting for a lookup, and whether one runs.
#[derive(Default)]
pub struct Lookups {
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Waiting>,
    running: bool,
}

impl std::fmt::Debug for Lookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secrets.
        let queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Lookups").field("waiting", &queue.waiting.len()).field("running", &queue.running).finish()
    }
}

impl Lookups {
    /// Looks up token `secret` and negotiation `negotiation`'s head (none asked: no head) with the
    /// other reads waiting; `run` is handed the work when no lookup is running, and answers
    /// every read queued ([`Drain`]).
    pub async fn token_and_head(
        self: &Arc<Self>,
        secret: &str,
        negotiation: Option<&str>,
        run: impl FnOnce(Drain),
    ) -> Result<TokenAndHead, ApiError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let start = {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.waiting.push(Waiting { secret: secret.to_owned(), negotiation: negotiation.map(str::to_owned), reply });
            !std::mem::replace(&mut queue.running, true)
        };
        if start {
            run(Drain { lookups: Arc::clone(self), finished: false });
        }
        answer.await.unwrap_or_else(|_| Err(ApiError::internal("a token lookup was dropped")))
    }
}

/// The work of answering the queued reads, a [`Batch`] per statement ([`Drain::take_batch`],
/// [`Drain::answer_all`]) until none waits. Dropped before that (a panic, a runtime shutting down), it fails the reads
/// waiting and lets the next read start a lookup again.
#[derive(Debug)]
pub struct Drain {
    lookups: Arc<Lookups>,
    /// Set when the queue was found empty (and the lookup no longer running).
    finished: bool,
}

impl Drain {
    /// The next statement's work: the reads to answer (taken off the queue), or `None` (and no
    /// lookup running) when none waits; the queue is found empty and `running` cleared under one
    /// lock, so no read is left waiting.
    pub fn take_batch(&mut self) -> Option<Batch> {
        let waiting = self.take_waiting()?;
        // Each pair asked once (reads by the same token on the same negotiation are many).
        let mut asked: Vec<(String, Option<String>)> = Vec::new();
        let mut places: HashMap<(&str, Option<&str>), usize> = HashMap::new();
        let answer_of = waiting
            .iter()
            .map(|waiting| {
                *places.entry((&waiting.secret, waiting.negotiation.as_deref())).or_insert_with(|| {
                    asked.push((waiting.secret.clone(), waiting.negotiation.clone()));
                    asked.len() - 1
                })
            })
            .collect();
        drop(places);
        Some(Batch { waiting, asked, answer_of })
    }

    /// Answers every batch in turn ([`Drain::take_batch`]) with what `lookup` finds for its pairs,
    /// until none waits.
    pub fn answer_all(mut self, mut lookup: impl FnMut(&[(String, Option<String>)]) -> Result<Vec<TokenAndHead>, ApiError>) {
        while let Some(batch) = self.take_batch() {
            let answers = lookup(batch.asked());
            batch.reply(answers);
        }
    }

    /// The next reads to answer, or `None` (and no lookup running) when none waits.
    fn take_waiting(&mut self) -> Option<Vec<Waiting>> {
        let mut queue = self.lookups.queue.lock().unwrap_or_else(PoisonError::into_inner);
        if queue.waiting.is_empty() {
            queue.running = false;
            self.finished = true;
            return None;
        }
        let take = queue.waiting.len().min(MAX_AT_ONCE);
        Some(queue.waiting.drain(..take).collect())
    }
}

/// The reads one statement answers.
pub struct Batch {
    waiting: Vec<Waiting>,
    /// The pairs asked, each once.
    asked: Vec<(String, Option<String>)>,
    /// Each read's place among them.
    answer_of: Vec<usize>,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secrets.
        f.debug_struct("Batch").field("reads", &self.waiting.len()).field("asked", &self.asked.len()).finish()
    }
}

impl Batch {
    /// The token and negotiation (none: no head) pairs to look up, each once.
    pub fn asked(&self) -> &[(String, Option<String>)] {
        &self.asked
    }

    /// Sends each read its answer (at its pair's place in `answers`), or the statement's error.
    pub fn reply(self, answers: Result<Vec<TokenAndHead>, ApiError>) {
        match answers {
            Ok(answers) => {
                for (waiting, place) in self.waiting.into_iter().zip(self.answer_of) {
                    let answer = answers.get(place).cloned().ok_or_else(|| ApiError::internal("a token lookup went unanswered"));
                    let _ = waiting.reply.send(answer);
                }
            }
            Err(error) => {
                for waiting in self.waiting {
                    let _ = waiting.reply.send(Err(error.clone()));
                }
            }
        }
    }
}

impl Drop for Drain {
    /// Once [`Drain::take_batch`] has found the queue empty nothing waits; otherwise (dropped
    /// unrun, or a panic on the way) the reads waiting are failed, their answers dropped, and the
    /// next read starts a lookup.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut queue = self.lookups.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue.waiting.clear();
        queue.running = false;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{Drain, Lookups};
    use crate::error::Code;

    /// Every statement fails as when the database cannot be reached.
    fn fail(drain: Drain) {
        drain.answer_all(|_| {
            let unreachable = parley_store::StoreError::Unreachable { location: "db".into(), detail: "connection refused".into() };
            Err(crate::error::ApiError::store(unreachable))
        });
    }

    /// The database out of reach: every read waiting is answered with why, and the next read
    /// starts a lookup again.
    #[tokio::test]
    async fn without_a_database_the_reads_waiting_get_the_error_and_the_next_starts_again() {
        let lookups = Arc::new(Lookups::default());
        let failed = lookups.token_and_head("parley_a", Some("n"), |drain: Drain| fail(drain)).await;
        assert_eq!(failed.map_err(|error| error.code), Err(Code::DatabaseUnavailable));
        let mut started = false;
        let again = lookups
            .token_and_head("parley_b", Some("n"), |drain: Drain| {
                started = true;
                fail(drain);
            })
            .await;
        assert!(started, "a failed lookup left one marked running");
        assert!(again.is_err());
    }

    /// Reads waiting together, several asking the same token and negotiation (which share a row):
    /// each is answered exactly as its token and negotiation are looked up alone, an unknown
    /// token, a negotiation without a log and a token asked alone (no head) among them.
    #[tokio::test(flavor = "current_thread")]
    async fn reads_asking_the_same_pair_share_a_row_and_each_gets_its_own_answer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lookups.db");
        let mut store = parley_store::open_store(path.to_str().unwrap(), true).unwrap();
        let negotiation = parley_core::scenario::parse(include_str!("../../../scenarios/ukraine-2025.toml")).unwrap().negotiation;
        store.import(&negotiation, None).unwrap();
        let id = negotiation.id.clone();
        let mut token = |viewer: &str| {
            let new = parley_store::NewToken { negotiation: id.clone(), viewer: viewer.to_owned(), write: false, label: viewer.to_owned() };
            store.create_token(&new).unwrap().secret
        };
        let (public, party) = (token("public"), token(&negotiation.parties[0].id));
        let asked: Vec<(String, Option<String>)> = [
            (&public, Some(id.as_str())),
            (&party, Some(&id)),
            (&public, Some(&id)),
            (&"parley_unknown".to_owned(), Some(&id)),
            (&public, Some("no-such-negotiation")),
            (&party, None),
            (&party, Some(&id)),
            (&public, Some(&id)),
            (&party, None),
        ]
        .into_iter()
        .map(|(secret, negotiation)| (secret.clone(), negotiation.map(str::to_owned)))
        .collect();
        let lookups = Arc::new(Lookups::default());
        let held: Arc<std::sync::Mutex<Option<Drain>>> = Arc::default();
        let reads: Vec<_> = asked
            .iter()
            .cloned()
            .map(|(secret, negotiation)| {
                let (lookups, held) = (Arc::clone(&lookups), Arc::clone(&held));
                tokio::spawn(async move {
                    lookups.token_and_head(&secret, negotiation.as_deref(), |drain| *held.lock().unwrap() = Some(drain)).await
                })
            })
            .collect();
        // Every read queued behind the first one's lookup, which has not run yet.
        for _ in 0..asked.len() {
            tokio::task::yield_now().await;
        }
        assert!(format!("{lookups:?}").contains(&format!("waiting: {}", asked.len())), "{lookups:?}");
        let drain = held.lock().unwrap().take().expect("the first read started a lookup");
        drain.answer_all(|asked| store.tokens_and_heads(asked).map_err(crate::error::ApiError::store));
        for (read, (secret, negotiation)) in reads.into_iter().zip(&asked) {
            let answer = read.await.unwrap().map_err(|error| error.code).unwrap();
            let alone = match negotiation {
                Some(negotiation) => store.token_and_head(secret, negotiation).unwrap(),
                None => (store.token_for(secret).unwrap(), None),
            };
            assert_eq!(answer, alone, "{negotiation:?}");
        }
    }

    /// A statement that answers fewer pairs than it was asked (neither store does: both check the
    /// count) fails the reads it left unanswered, with an internal error, and them alone: no
    /// read is handed another's answer.
    #[tokio::test(flavor = "current_thread")]
    async fn reads_a_statement_leaves_unanswered_fail_and_the_others_get_their_own() {
        let lookups = Arc::new(Lookups::default());
        let held: Arc<std::sync::Mutex<Option<Drain>>> = Arc::default();
        let reads: Vec<_> = ["parley_a", "parley_b", "parley_a"]
            .into_iter()
            .map(|secret| {
                let (lookups, held) = (Arc::clone(&lookups), Arc::clone(&held));
                tokio::spawn(async move { lookups.token_and_head(secret, Some("n"), |drain| *held.lock().unwrap() = Some(drain)).await })
            })
            .collect();
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        let mut drain = held.lock().unwrap().take().expect("the first read started a lookup");
        let batch = drain.take_batch().expect("the reads are queued");
        assert_eq!(batch.asked(), [("parley_a".to_owned(), Some("n".to_owned())), ("parley_b".to_owned(), Some("n".to_owned()))]);
        let first: parley_store::TokenAndHead = (None, Some((7, "h".to_owned())));
        batch.reply(Ok(vec![first.clone()]));
        assert!(drain.take_batch().is_none());
        let mut answers = Vec::new();
        for read in reads {
            answers.push(read.await.unwrap().map_err(|error| error.code));
        }
        assert_eq!(answers, [Ok(first.clone()), Err(Code::Internal), Ok(first)]);
    }

    /// A lookup dropped before it ran (a panic, a runtime shutting down) fails the reads waiting
    /// instead of leaving them, and every later read, waiting for ever.
    #[tokio::test]
    async fn a_lookup_dropped_unrun_fails_its_reads_and_frees_the_queue() {
        let lookups = Arc::new(Lookups::default());
        let dropped = lookups.token_and_head("parley_a", None, drop).await;
        assert_eq!(dropped.map_err(|error| error.code), Err(Code::Internal));
        let mut started = false;
        let _ = lookups
            .token_and_head("parley_b", Some("n"), |drain: Drain| {
                started = true;
                drop(drain);
            })
            .await;
        assert!(started, "a dropped lookup left one marked running");
        assert!(format!("{lookups:?}").contains("running: false"));
        assert!(!format!("{lookups:?}").contains("parley_"), "Debug shows no secret");
    }
}
