//! Jobs: long-running work a server does for a client (simulations, tournaments), kept in the
//! `jobs` table so that a job outlives the request that asked for it and is never silently lost.
//!
//! Each job belongs to one negotiation and one viewer, and is run by one server process (its
//! `owner`), which renews the job's `heartbeat` while it runs. A job still `queued` or `running`
//! whose heartbeat is older than [`STALE_AFTER_SECONDS`] lost its process (a crash, a restart, a
//! machine gone): [`JobStore::fail_orphans`] marks it `failed`, with the reason, in one
//! conditional update that any process may run, so two processes never disagree about it.

use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::store::{EventStore, StoreError, now_utc, utc};

/// A job whose heartbeat is older than this many seconds has lost its process.
pub const STALE_AFTER_SECONDS: u64 = 10;

/// The reason given for a job whose process is gone.
pub const ORPHANED: &str = "the server process running this job stopped before it finished (restart or crash); submit it again";

/// A job as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// Its id.
    pub id: String,
    /// The negotiation it runs on.
    pub negotiation: String,
    /// The viewer of the token that asked for it, whose view of the record it runs on.
    pub viewer: String,
    /// `simulation` or `tournament`.
    pub kind: String,
    /// The request, as JSON text.
    pub request: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// From 0 to 1.
    pub progress: f64,
    /// The result, as JSON text, once `done`.
    pub result: Option<String>,
    /// Why it failed, once `failed`.
    pub error: Option<String>,
    /// The process running it.
    pub owner: String,
    /// When it was asked for, and last changed (UTC).
    pub created_at: String,
    pub updated_at: String,
}

/// Where jobs are kept: both backends, in the tables of their fourth and fifth migrations.
pub trait JobStore {
    /// Records a new job (its state as given, normally `queued`), with a fresh heartbeat.
    fn create_job(&mut self, job: &Job) -> Result<(), StoreError>;

    /// The job `id`.
    fn job(&mut self, id: &str) -> Result<Option<Job>, StoreError>;

    /// Sets a job's state and progress (and result or error when given), renewing its heartbeat.
    fn update_job(&mut self, id: &str, state: &str, progress: f64, result: Option<&str>, error: Option<&str>) -> Result<(), StoreError>;

    /// Renews the heartbeat of every unfinished job of `owner`.
    fn beat(&mut self, owner: &str) -> Result<(), StoreError>;

    /// Marks `failed` ([`ORPHANED`]) every unfinished job whose heartbeat is stale; how many.
    fn fail_orphans(&mut self) -> Result<usize, StoreError>;
}

/// The heartbeat before which a job is stale.
fn stale_before() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0);
    utc(now.saturating_sub(STALE_AFTER_SECONDS))
}

const JOB_COLUMNS: &str = "id, negotiation, viewer, kind, request, state, progress, result, error, owner, created_at, updated_at";

impl JobStore for SqliteStore {
    fn create_job(&mut self, job: &Job) -> Result<(), StoreError> {
        let now = now_utc();
        let sql = format!("INSERT INTO jobs ({JOB_COLUMNS}, heartbeat) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?11)");
        let parameters = rusqlite::params![
            job.id,
            job.negotiation,
            job.viewer,
            job.kind,
            job.request,
            job.state,
            job.progress,
            job.result,
            job.error,
            job.owner,
            now
        ];
        self.connection().execute(&sql, parameters).map_err(|error| self.sqlite_error(error))?;
        Ok(())
    }

    fn job(&mut self, id: &str) -> Result<Option<Job>, StoreError> {
        use rusqlite::OptionalExtension;
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1");
        let row = self.connection().query_row(&sql, [id], |row| {
            Ok(Job {
                id: row.get(0)?,
                negotiation: row.get(1)?,
                viewer: row.get(2)?,
                kind: row.get(3)?,
                request: row.get(4)?,
                state: row.get(5)?,
                progress: row.get(6)?,
                result: row.get(7)?,
                error: row.get(8)?,
                owner: row.get(9)?,
                created_at: row.get(10)?,
                updated_at: row.get(11)?,
            })
        });
        row.optional().map_err(|error| self.sqlite_error(error))
    }

    fn update_job(&mut self, id: &str, state: &str, progress: f64, result: Option<&str>, error: Option<&str>) -> Result<(), StoreError> {
        let sql = "UPDATE jobs SET state = ?2, progress = ?3, result = COALESCE(?4, result), error = COALESCE(?5, error), \
                   updated_at = ?6, heartbeat = ?6 WHERE id = ?1 AND state NOT IN ('done', 'failed')";
        let parameters = rusqlite::params![id, state, progress, result, error, now_utc()];
        self.connection().execute(sql, parameters).map_err(|error| self.sqlite_error(error))?;
        Ok(())
    }

    fn beat(&mut self, owner: &str) -> Result<(), StoreError> {
        let sql = "UPDATE jobs SET heartbeat = ?2 WHERE owner = ?1 AND state IN ('queued', 'running')";
        self.connection().execute(sql, rusqlite::params![owner, now_utc()]).map_err(|error| self.sqlite_error(error))?;
        Ok(())
    }

    fn fail_orphans(&mut self) -> Result<usize, StoreError> {
        let sql = "UPDATE jobs SET state = 'failed', error = ?1, updated_at = ?2 WHERE state IN ('queued', 'running') AND heartbeat < ?3";
        let parameters = rusqlite::params![ORPHANED, now_utc(), stale_before()];
        self.connection().execute(sql, parameters).map_err(|error| self.sqlite_error(error))
    }
}

impl SqliteStore {
    fn sqlite_error(&self, error: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { location: self.location().to_owned(), error }
    }
}

impl PgStore {
    fn postgres_error(&self, error: postgres::Error) -> StoreError {
        StoreError::Postgres { location: self.location().to_owned(), error }
    }
}

impl JobStore for PgStore {
    fn create_job(&mut self, job: &Job) -> Result<(), StoreError> {
        let now = now_utc();
        let sql = format!("INSERT INTO jobs ({JOB_COLUMNS}, heartbeat) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11)");
        let result = self.client().execute(
            &sql,
            &[
                &job.id,
                &job.negotiation,
                &job.viewer,
                &job.kind,
                &job.request,
                &job.state,
                &job.progress,
                &job.result,
                &job.error,
                &job.owner,
                &now,
            ],
        );
        result.map_err(|error| self.postgres_error(error))?;
        Ok(())
    }

    fn job(&mut self, id: &str) -> Result<Option<Job>, StoreError> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        let row = self.client().query_opt(&sql, &[&id]).map_err(|error| self.postgres_error(error))?;
        Ok(row.map(|row| Job {
            id: row.get(0),
            negotiation: row.get(1),
            viewer: row.get(2),
            kind: row.get(3),
            request: row.get(4),
            state: row.get(5),
            progress: row.get(6),
            result: row.get(7),
            error: row.get(8),
            owner: row.get(9),
            created_at: row.get(10),
            updated_at: row.get(11),
        }))
    }

    fn update_job(&mut self, id: &str, state: &str, progress: f64, result: Option<&str>, error: Option<&str>) -> Result<(), StoreError> {
        let sql = "UPDATE jobs SET state = $2, progress = $3, result = COALESCE($4, result), error = COALESCE($5, error), \
                   updated_at = $6, heartbeat = $6 WHERE id = $1 AND state NOT IN ('done', 'failed')";
        let now = now_utc();
        self.client().execute(sql, &[&id, &state, &progress, &result, &error, &now]).map_err(|error| self.postgres_error(error))?;
        Ok(())
    }

    fn beat(&mut self, owner: &str) -> Result<(), StoreError> {
        let sql = "UPDATE jobs SET heartbeat = $2 WHERE owner = $1 AND state IN ('queued', 'running')";
        let now = now_utc();
        self.client().execute(sql, &[&owner, &now]).map_err(|error| self.postgres_error(error))?;
        Ok(())
    }

    fn fail_orphans(&mut self) -> Result<usize, StoreError> {
        let sql = "UPDATE jobs SET state = 'failed', error = $1, updated_at = $2 WHERE state IN ('queued', 'running') AND heartbeat < $3";
        let (now, stale) = (now_utc(), stale_before());
        let changed = self.client().execute(sql, &[&ORPHANED, &now, &stale]).map_err(|error| self.postgres_error(error))?;
        Ok(changed as usize)
    }
}
