//! The server's state: where the database is, and a small pool of open stores.
//!
//! Stores are synchronous (rusqlite, the sync `postgres` client), so every use runs on tokio's
//! blocking threads. Nothing else is kept in memory: every request reads the database, so
//! several processes on one PostgreSQL act as one service.

use std::sync::{Arc, Mutex};

use parley_store::{Store, open_serving_store};

use crate::cache::FoldCache;
use crate::error::{ApiError, Code};

/// The most blocking threads `serve` runs store work on: 16 for requests, one more per job.
pub const MAX_BLOCKING: usize = 16 + crate::jobs::JOBS_AT_ONCE;

/// The most idle stores kept open for reuse: as many as can be in use at once, so that under load
/// none is closed only to be opened again (on PostgreSQL a new backend process and a password
/// exchange each time). A store is in use on a blocking thread, or inline on a runtime worker
/// (SQLite only), so no more than `MAX_BLOCKING` and one per worker (tokio starts one per core)
/// are ever out together.
fn max_idle() -> usize {
    MAX_BLOCKING + std::thread::available_parallelism().map_or(1, usize::from)
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
    settings: Arc<Settings>,
}

/// How the server is reached and what it offers besides the record, fixed at start
/// (`parley serve --public-url`, `--trust-proxy`, `--domains`).
#[derive(Debug, Default)]
pub struct Settings {
    /// The address browsers use, `https://HOST[:PORT]` behind a proxy: forms must come from this
    /// origin, and an `https` address makes the session cookie `Secure`. Without it, a form's
    /// `Origin` must name the request's `Host`.
    pub public_url: Option<String>,
    /// Believe `X-Forwarded-Proto` (set it only behind a proxy that always sets or strips it):
    /// `https` there makes the session cookie `Secure`.
    pub trust_proxy: bool,
    /// The GENIUS domains simulations may run on, besides the record's own problem.
    pub domains: crate::domains::Catalogue,
}

struct Inner {
    target: String,
    cache: Arc<FoldCache>,
    idle: Mutex<Vec<Box<dyn Store>>>,
    /// Poked after every write of this process that appended (and by the PostgreSQL listener
    /// on every append of any process): event streams then read the log after their position.
    appended: tokio::sync::watch::Sender<u64>,
    /// This process's id in the `jobs` table, and the jobs it runs.
    jobs: crate::jobs::Runner,
    /// The reads waiting for their token and head (PostgreSQL).
    lookups: Arc<crate::lookups::Lookups>,
    /// How many stores were opened for the pool (besides the first, opened at start).
    opened: std::sync::atomic::AtomicUsize,
    /// [`max_idle`].
    max_idle: usize,
}

impl Inner {
    /// An idle store of the pool, if any.
    fn idle(&self) -> Option<Box<dyn Store>> {
        self.idle.lock().ok()?.pop()
    }

    /// An idle store, else a new one.
    fn store(&self) -> Result<Box<dyn Store>, ApiError> {
        match self.idle() {
            Some(store) => Ok(store),
            None => self.open(),
        }
    }

    /// A new store (counted in `opened`).
    fn open(&self) -> Result<Box<dyn Store>, ApiError> {
        self.opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        open_serving_store(&self.target, false).map_err(ApiError::store)
    }

    /// The batched lookups' statement, on `held` (a store of the pool, taken at the first). A
    /// statement that fails is made once more on a store opened anew (a lookup only reads): a
    /// store of the pool may hold a connection cut since it was last used (a restart, a proxy's
    /// idle timeout, `pg_terminate_backend`). A failed store is not kept.
    fn tokens_and_heads(
        &self,
        held: &mut Option<Box<dyn Store>>,
        asked: &[(String, Option<String>)],
    ) -> Result<Vec<parley_store::TokenAndHead>, ApiError> {
        let store = match held {
            Some(store) => store,
            None => held.insert(self.store()?),
        };
        match store.tokens_and_heads(asked) {
            Ok(answers) => Ok(answers),
            Err(error) => {
                tracing::warn!(error = %error, "a token lookup failed: made again on a new connection");
                *held = None;
                let store = held.insert(self.open()?);
                let answers = store.tokens_and_heads(asked).map_err(ApiError::store);
                if answers.is_err() {
                    *held = None;
                }
                answers
            }
        }
    }

    /// Puts `store` back in the pool (closed instead when the pool is full).
    fn give_back(&self, store: Box<dyn Store>) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < self.max_idle {
                idle.push(store);
            }
        }
    }
}

impl Drop for Inner {
    /// Closes the idle stores on a plain thread: the last handle to the state may go inside the
    /// runtime (an event stream or a job task dropped at shutdown), where the synchronous
    /// PostgreSQL client cannot close its connection.
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner));
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The target may be a URL with a password.
        let target = parley_store::postgres::redact(&self.inner.target);
        f.debug_struct("AppState").field("target", &target).finish_non_exhaustive()
    }
}

impl AppState {
    /// The state for the database `target` (a SQLite path or a PostgreSQL URL), opening it once
    /// now (creating a SQLite file when absent) so that a bad target fails at start.
    pub fn open(target: &str) -> Result<AppState, parley_store::StoreError> {
        let store = open_serving_store(target, true)?;
        let (appended, _) = tokio::sync::watch::channel(0);
        let inner = Inner {
            target: target.to_owned(),
            cache: Arc::default(),
            idle: Mutex::new(vec![store]),
            appended,
            jobs: crate::jobs::Runner::default(),
            lookups: Arc::default(),
            opened: Default::default(),
            max_idle: max_idle(),
        };
        let state = AppState { inner: Arc::new(inner), settings: Arc::default() };
        if parley_store::postgres::is_url(target) {
            let (poked, alive) = (Arc::downgrade(&state.inner), Arc::downgrade(&state.inner));
            let poke = move || {
                if let Some(inner) = poked.upgrade() {
                    inner.appended.send_modify(|count| *count = count.wrapping_add(1));
                }
            };
            crate::listen::start(target.to_owned(), poke, move || alive.strong_count() > 0);
        }
        Ok(state)
    }

    /// The same state with `settings`.
    #[must_use]
    pub fn with_settings(mut self, settings: Settings) -> AppState {
        self.settings = Arc::new(settings);
        self
    }

    /// How the server is reached, and its domain catalogue.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The folded negotiations of this process, keyed by head.
    pub fn cache(&self) -> Arc<FoldCache> {
        self.inner.cache.clone()
    }

    /// The database target (a SQLite path or a PostgreSQL URL).
    pub fn target(&self) -> &str {
        &self.inner.target
    }

    /// Whether a `LISTEN` connection wakes the event streams (PostgreSQL), so that their own
    /// head poll is only a net under it.
    pub fn listens(&self) -> bool {
        parley_store::postgres::is_url(&self.inner.target)
    }

    /// Tells this process's event streams that the log moved on.
    pub fn poke(&self) {
        self.inner.appended.send_modify(|count| *count = count.wrapping_add(1));
    }

    /// A receiver poked after each append (see [`AppState::poke`]).
    pub fn appended(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.appended.subscribe()
    }

    /// This process's job runner.
    pub fn jobs(&self) -> &crate::jobs::Runner {
        &self.inner.jobs
    }

    /// How many stores were opened for the pool since start, besides the first: fewer than can be
    /// in use at once ([`max_idle`]), however long the load, when the runtime caps its blocking
    /// threads as `serve` does and has no more workers than cores.
    pub fn stores_opened(&self) -> usize {
        self.inner.opened.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `work` here, on the calling thread, with an idle SQLite store, if one is idle: for work
    /// of a few index lookups in a file this process reads (a read whose answer is kept), which
    /// costs less than handing it to a blocking thread and back. `None` (nothing run) when the
    /// database is PostgreSQL (a network round trip) or when no store is idle.
    pub fn inline<T>(&self, work: impl FnOnce(&mut dyn Store) -> T) -> Option<T> {
        if parley_store::postgres::is_url(&self.inner.target) {
            return None;
        }
        let mut store = self.inner.idle()?;
        let result = work(&mut *store);
        self.inner.give_back(store);
        Some(result)
    }

    /// Token `secret` and negotiation `id`'s head (none asked: no head), looked up with the other
    /// reads waiting, on a store of the pool on a blocking thread ([`crate::lookups`]); `None`
    /// when the database is SQLite (a lookup there is a few index reads in a file, not worth the
    /// queue).
    pub async fn token_and_head_batched(&self, secret: &str, id: Option<&str>) -> Option<Result<parley_store::TokenAndHead, ApiError>> {
        if !parley_store::postgres::is_url(&self.inner.target) {
            return None;
        }
        let found = self.inner.lookups.token_and_head(secret, id, |drain| {
            let inner = self.inner.clone();
            // Detached: the reads wait for their answers, not for this task.
            drop(tokio::task::spawn_blocking(move || {
                let mut store = None;
                drain.answer_all(|asked| inner.tokens_and_heads(&mut store, asked));
                if let Some(store) = store {
                    inner.give_back(store);
                }
            }));
        });
        Some(found.await)
    }

    /// Runs `work` with a store on a blocking thread; the store goes back to the pool unless the
    /// work failed (a broken connection is not reused).
    pub async fn with_store<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Store) -> Result<T, ApiError> + Send + 'static,
    {
        let inner = self.inner.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let mut store = inner.store()?;
            let result = work(&mut *store);
            let healthy = match &result {
                Ok(_) => true,
                Err(error) => !matches!(error.code, Code::Internal | Code::DatabaseUnavailable),
            };
            if healthy {
                inner.give_back(store);
            }
            result
        })
        .await;
        joined.unwrap_or_else(|error| Err(ApiError::internal(format!("a store task failed: {error}"))))
    }
}
