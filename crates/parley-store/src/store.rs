//! The storage trait every backend implements, and its errors.

use std::collections::HashMap;

use ed25519_dalek::SigningKey;
use parley_core::model::Negotiation;

use crate::event::{Event, FoldError, Folder, NewEvent};

/// Why a store operation failed. [`StoreError::Conflict`] is the only retryable one.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended first: re-read the head, recompute, retry.
    #[error("`{negotiation}` moved on: expected head event {expected}, found {actual}; another writer appended first — re-read and retry")]
    Conflict { negotiation: String, expected: u64, actual: u64 },
    #[error("{location} has schema version {found}, newer than the {supported} this build understands; upgrade parley")]
    NewerSchema { location: String, found: i64, supported: i64 },
    #[error("{location} is not a parley database: {detail}")]
    NotADatabase { location: String, detail: String },
    #[error("{location} does not exist (run `parley import` to create it)")]
    Missing { location: String },
    #[error("no negotiation `{negotiation}` in {location}{hint}")]
    UnknownNegotiation { negotiation: String, location: String, hint: String },
    #[error("stored events of `{negotiation}` do not fold into a negotiation: {source}")]
    Fold { negotiation: String, source: FoldError },
    /// SQLite's error is shown once, in this message, and is not a `source` (which would print
    /// it again in an error chain).
    #[error("{location}: {}", sqlite_message(.error))]
    Sqlite { location: String, error: rusqlite::Error },
    #[error("{location}: {detail}")]
    Io { location: String, detail: String },
    #[error(
        "{location} could only be opened read-only (its file, directory or file system cannot be written, or the disk is full): nothing was written"
    )]
    ReadOnly { location: String },
    /// Like [`StoreError::Sqlite`], the server's error is told once, in this message.
    #[error("{location}: {}", postgres_message(.error))]
    Postgres { location: String, error: postgres::Error },
    #[error("`{party}` already signs with key {registered}, not {offered}: a new key must be signed by the old one; nothing was written")]
    KeyMismatch { party: String, registered: String, offered: String },
    #[error(
        "`{party}` signs its events in `{negotiation}` (it registered a key): its changes must be imported with `--sign {party}=KEYFILE`; nothing was written"
    )]
    SignatureRequired { negotiation: String, party: String },
    #[error("a signed write to `{negotiation}` does not verify: {reason}; nothing was written")]
    BadSignature { negotiation: String, reason: String },
    #[error("`{party}` revoked its key in `{negotiation}`: nothing more can be recorded as its own; nothing was written")]
    KeyRevoked { negotiation: String, party: String },
    #[error(
        "an entity `{party}` wrote in `{negotiation}` would pass to another party, but `{party}` signs its events: have it remove the entity first (signed), then import it under its new party; nothing was written"
    )]
    ChangesHands { negotiation: String, party: String },
    #[error("`{party}` has no key registered in `{negotiation}` to rotate or revoke; nothing was written")]
    NoKey { negotiation: String, party: String },
    #[error("cannot reach the database server at {location}: {detail}")]
    Unreachable { location: String, detail: String },
    #[error("the database server at {location} refused the connection: {detail}")]
    Rejected { location: String, detail: String },
    #[error("no TLS connection to the database server at {location}: {detail}")]
    Tls { location: String, detail: String },
}

/// A SQLite error as one sentence: SQLite's message, with what to check when it is about access.
fn sqlite_message(error: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode;
    let hint = match error.sqlite_error_code() {
        Some(ErrorCode::CannotOpen) => " (check that the file and its directory exist and can be read and written)",
        Some(ErrorCode::ReadOnly) => " (the file, its directory or its file system cannot be written)",
        Some(ErrorCode::DiskFull) => " (the disk is full: nothing was written)",
        Some(ErrorCode::SystemIoFailure) => " (the disk may be full or failing)",
        _ => "",
    };
    let text = match error {
        rusqlite::Error::SqliteFailure(failure, Some(message)) if message.is_empty() => failure.to_string(),
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        rusqlite::Error::SqliteFailure(failure, None) => failure.to_string(),
        other => other.to_string(),
    };
    format!("{text}{hint}")
}

/// A PostgreSQL error as one sentence: the server's message and hint, or the client's error.
fn postgres_message(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => match db.hint() {
            Some(hint) => format!("{} ({hint})", db.message()),
            None => db.message().to_owned(),
        },
        None => {
            let text = error.to_string();
            match std::error::Error::source(error) {
                Some(cause) if !text.contains(&cause.to_string()) => format!("{text}: {cause}"),
                _ => text,
            }
        }
    }
}

impl StoreError {
    /// Whether the same operation may succeed if retried after re-reading.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Conflict { .. })
    }

    /// Whether a PostgreSQL connection was lost under the operation: closed, cut by the server
    /// (`pg_terminate_backend`, a shutdown or restart) or failed on the way. The database is
    /// unavailable for now rather than the operation wrong: it may succeed on a new connection.
    /// A protocol violation (a bug) and a transaction whose outcome is unknown are not counted.
    pub fn is_connection_lost(&self) -> bool {
        use postgres::error::SqlState;
        const LOST: [SqlState; 6] = [
            SqlState::CONNECTION_EXCEPTION,
            SqlState::CONNECTION_DOES_NOT_EXIST,
            SqlState::CONNECTION_FAILURE,
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
        ];
        let StoreError::Postgres { error, .. } = self else { return false };
        error.is_closed() || error.code().is_some_and(|code| LOST.contains(code))
    }
}

/// The negotiations a log holds, in order: one index seek per negotiation (a loose index scan)
/// rather than a pass over every event, in SQL both backends read.
pub(crate) const DISTINCT_NEGOTIATIONS: &str = "WITH RECURSIVE held(id) AS (
    SELECT MIN(negotiation) FROM events
    UNION ALL
    SELECT (SELECT MIN(negotiation) FROM events WHERE negotiation > held.id) FROM held WHERE held.id IS NOT NULL
) SELECT id FROM held WHERE id IS NOT NULL ORDER BY id";

/// The newest `key` event of a party, whatever its op: `(op, payload)`, in SQL both backends read
/// (`?1`/`$1` differ only in spelling, so each backend substitutes its own placeholders).
pub(crate) const KEY_STATUS: &str =
    "SELECT op, payload FROM events WHERE negotiation = {1} AND kind = 'key' AND key = {2} ORDER BY seq DESC LIMIT 1";

/// Where a party's signing key stands in a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    /// The party never registered a key: its events need no signature.
    None,
    /// Its events must be signed by this key (hex).
    Active(String),
    /// It revoked its key: nothing more may be attributed to it.
    Revoked,
}

impl KeyStatus {
    /// The status a party's newest key event gives (its stored op and payload text).
    pub(crate) fn of(newest: Option<(String, String)>) -> KeyStatus {
        match newest {
            None => KeyStatus::None,
            Some((op, _)) if crate::event::Op::from_stored(&op) == crate::event::Op::Delete => KeyStatus::Revoked,
            Some((_, payload)) => public_key_of(&payload).map_or(KeyStatus::None, KeyStatus::Active),
        }
    }
}

/// The public key a stored `key` payload names.
pub(crate) fn public_key_of(payload: &str) -> Option<String> {
    let payload: serde_json::Value = serde_json::from_str(payload).ok()?;
    payload.get("public_key")?.as_str().map(str::to_owned)
}

/// A sequence number as a database integer (SQLite's and PostgreSQL's are both i64; no real log
/// reaches the end of either).
pub(crate) fn clamp(seq: u64) -> i64 {
    seq.min(i64::MAX as u64) as i64
}

/// A fold that applies at least this many events leaves a checkpoint behind.
pub const CHECKPOINT_AFTER: u64 = 1_000;

/// The version of the checkpoint state's layout; checkpoints of another are ignored (and rebuilt).
/// Bump it with any change to what [`Folder::snapshot`] writes (2: stances as flat arrays; 3: obligations and assessments).
pub const CHECKPOINT_FORMAT: i64 = 3;

/// A negotiation's folded state after event `seq` (whose hash it names): a cache of the log,
/// never part of it. Reads start from it; `verify` checks it against the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: u64,
    pub hash: String,
    pub format: i64,
    /// [`Folder::snapshot`] text.
    pub state: String,
}

/// One write's events in an [`EventStore::append_groups`], with what seals them.
#[derive(Debug)]
pub struct Group<'a> {
    /// The events, in order.
    pub events: Vec<NewEvent>,
    /// The party whose events are signed with the key (see [`EventStore::append`]).
    pub signer: Option<(&'a str, &'a SigningKey)>,
    /// A party's own signatures and time (see [`EventStore::append_presigned`]).
    pub presigned: Option<&'a crate::chain::Presigned>,
    /// Who recorded them over the server (empty for none).
    pub label: &'a str,
}

/// An append-only, hash-chained log of negotiation events.
pub trait EventStore {
    /// Where the store lives, for messages.
    fn location(&self) -> &str;

    /// The negotiations the store holds, by id.
    fn negotiations(&mut self) -> Result<Vec<String>, StoreError>;

    /// The sequence number and hash of the last event, if any.
    fn head(&mut self, negotiation: &str) -> Result<Option<(u64, String)>, StoreError>;

    /// Every event of a negotiation in order.
    fn events(&mut self, negotiation: &str) -> Result<Vec<Event>, StoreError>;

    /// Appends events atomically after the head `expected` (0 for an empty log), stamping them
    /// with the current time, chaining and (for the signer's own events) signing them. Returns the
    /// stored events once they are durable. Fails with [`StoreError::Conflict`], writing nothing,
    /// if the head has moved.
    fn append(
        &mut self,
        negotiation: &str,
        expected: u64,
        events: Vec<NewEvent>,
        signer: Option<(&str, &SigningKey)>,
    ) -> Result<Vec<Event>, StoreError> {
        self.append_labelled(negotiation, expected, events, signer, "")
    }

    /// As [`EventStore::append`], every event carrying `label` (who recorded it over the server;
    /// empty for none), which its hash then covers.
    fn append_labelled(
        &mut self,
        negotiation: &str,
        expected: u64,
        events: Vec<NewEvent>,
        signer: Option<(&str, &SigningKey)>,
        label: &str,
    ) -> Result<Vec<Event>, StoreError> {
        self.append_presigned(negotiation, expected, events, signer, None, label)
    }

    /// As [`EventStore::append_labelled`], the events of `presigned`'s party stamped with its
    /// time and carrying its signatures (checked by [`EventStore::import_presigned`], not here).
    fn append_presigned(
        &mut self,
        negotiation: &str,
        expected: u64,
        events: Vec<NewEvent>,
        signer: Option<(&str, &SigningKey)>,
        presigned: Option<&crate::chain::Presigned>,
        label: &str,
    ) -> Result<Vec<Event>, StoreError> {
        let group = Group { events, signer, presigned, label };
        Ok(self.append_groups(negotiation, expected, vec![group])?.into_iter().next().unwrap_or_default())
    }

    /// Appends several writes' events in one transaction after the head `expected`: each group
    /// sealed as [`EventStore::append_presigned`] seals one write (its own time, label, signer),
    /// chained after the group before it. All are durable when it returns, or none is written
    /// ([`StoreError::Conflict`] when the head has moved). One commit for many writes: a server's
    /// group commit.
    fn append_groups(&mut self, negotiation: &str, expected: u64, groups: Vec<Group<'_>>) -> Result<Vec<Vec<Event>>, StoreError>;

    /// Applies the events after `after` (up to and including `up_to`, all when `None`) to `folder`,
    /// straight from the stored text; returns how many it applied.
    fn apply_events(&mut self, negotiation: &str, after: u64, up_to: Option<u64>, folder: &mut Folder) -> Result<u64, StoreError>;

    /// Where `party`'s key stands: none, the active key (hex), or revoked.
    fn key_status(&mut self, negotiation: &str, party: &str) -> Result<KeyStatus, StoreError>;

    /// The hash of event `seq`, if there is one.
    fn hash_at(&mut self, negotiation: &str, seq: u64) -> Result<Option<String>, StoreError>;

    /// The negotiation's checkpoints, oldest first.
    fn checkpoints(&mut self, negotiation: &str) -> Result<Vec<Checkpoint>, StoreError>;

    /// The newest checkpoint at or before event `up_to` (any when `None`).
    fn checkpoint(&mut self, negotiation: &str, up_to: Option<u64>) -> Result<Option<Checkpoint>, StoreError>;

    /// Keeps `checkpoint` as the negotiation's newest one, dropping older ones, unless a newer one
    /// exists or another writer holds the database (then it does nothing and returns `false`).
    fn save_checkpoint(&mut self, negotiation: &str, checkpoint: &Checkpoint) -> Result<bool, StoreError>;

    /// The negotiation folded from its events up to `up_to` (all when `None`), or `None` when
    /// there is none. Starts from the newest checkpoint that still matches the log, and leaves a new
    /// one behind when it had to apply [`CHECKPOINT_AFTER`] events or more.
    fn fold(&mut self, negotiation: &str, up_to: Option<u64>) -> Result<Option<Negotiation>, StoreError> {
        let mut folder = self.restore(negotiation, up_to)?.unwrap_or_default();
        let applied = self.apply_events(negotiation, folder.seq(), up_to, &mut folder)?;
        if applied >= CHECKPOINT_AFTER && folder.has_negotiation() {
            if let Some(hash) = self.hash_at(negotiation, folder.seq())? {
                let checkpoint = Checkpoint { seq: folder.seq(), hash, format: CHECKPOINT_FORMAT, state: folder.snapshot() };
                // A cache, not the record: a read never fails for want of one (a read-only file,
                // a busy writer); the next read simply folds a little more.
                let _ = self.save_checkpoint(negotiation, &checkpoint);
            }
        }
        folder.finish().map_err(|source| StoreError::Fold { negotiation: negotiation.to_owned(), source })
    }

    /// The folder saved in the newest usable checkpoint at or before `up_to`: one of this build's
    /// format whose event is still in the log with the same hash, and that reads back.
    fn restore(&mut self, negotiation: &str, up_to: Option<u64>) -> Result<Option<Folder>, StoreError> {
        let Some(checkpoint) = self.checkpoint(negotiation, up_to)? else { return Ok(None) };
        if checkpoint.format != CHECKPOINT_FORMAT || self.hash_at(negotiation, checkpoint.seq)?.as_deref() != Some(&checkpoint.hash) {
            return Ok(None);
        }
        Ok(Folder::restore(&checkpoint.state).ok().filter(|folder| folder.seq() == checkpoint.seq))
    }

    /// Records `wanted` (a negotiation of the same id, read from a scenario): appends, in one
    /// append after the head it read, the events that turn the recorded state into it — nothing
    /// when they agree. The signer's own events are signed; its public key is recorded first if
    /// it has none yet, and a different key than the one recorded is refused
    /// ([`StoreError::KeyMismatch`]): a new key must be signed by the old one.
    fn import(&mut self, wanted: &Negotiation, signer: Option<(&str, &SigningKey)>) -> Result<Vec<Event>, StoreError> {
        let head = self.head(&wanted.id)?.map_or(0, |(seq, _)| seq);
        self.import_after(wanted, signer, head, "")
    }

    /// As [`EventStore::import`], with the differences taken from the state after event `head`
    /// (0: none) and appended only if that is still the head — [`StoreError::Conflict`] otherwise.
    /// For a writer that computed `wanted` from the state at a head it read earlier; the events
    /// carry `label` (see [`EventStore::append_labelled`]).
    fn import_after(
        &mut self,
        wanted: &Negotiation,
        signer: Option<(&str, &SigningKey)>,
        head: u64,
        label: &str,
    ) -> Result<Vec<Event>, StoreError> {
        self.import_presigned(wanted, signer, None, head, label)
    }

    /// As [`EventStore::import_after`], the events of `presigned`'s party carrying the signatures
    /// its client made over the events as [`EventStore::prepare`] sealed them: each is checked
    /// against the party's active key before anything is written ([`StoreError::BadSignature`]).
    fn import_presigned(
        &mut self,
        wanted: &Negotiation,
        signer: Option<(&str, &SigningKey)>,
        presigned: Option<&crate::chain::Presigned>,
        head: u64,
        label: &str,
    ) -> Result<Vec<Event>, StoreError> {
        let current = if head == 0 { None } else { Some(self.negotiation(&wanted.id, Some(head))?) };
        self.import_presigned_from(current.as_ref(), wanted, signer, presigned, head, label)
    }

    /// As [`EventStore::import_presigned`], given the state after event `head` (`None` for 0),
    /// already folded by the caller (a server's cache), so that it is not folded again here.
    fn import_presigned_from(
        &mut self,
        current: Option<&Negotiation>,
        wanted: &Negotiation,
        signer: Option<(&str, &SigningKey)>,
        presigned: Option<&crate::chain::Presigned>,
        head: u64,
        label: &str,
    ) -> Result<Vec<Event>, StoreError> {
        let mut events = crate::event::changes(current, wanted);
        if let Some((party, key)) = signer {
            let offered = crate::chain::hex(&key.verifying_key().to_bytes());
            match self.key_status(&wanted.id, party)? {
                KeyStatus::Active(registered) if registered == offered => {}
                KeyStatus::Active(registered) => return Err(StoreError::KeyMismatch { party: party.to_owned(), registered, offered }),
                KeyStatus::Revoked => return Err(StoreError::KeyRevoked { negotiation: wanted.id.clone(), party: party.to_owned() }),
                KeyStatus::None => events.insert(0, crate::chain::key_event(party, key)),
            }
        }
        if events.is_empty() {
            return Ok(Vec::new());
        }
        // A party that registered a key signs everything attributed to it: an event it would not
        // sign is refused here rather than recorded as a chain that `verify` rejects.
        let mut actors: Vec<&str> = events.iter().map(|event| event.actor.as_str()).collect();
        actors.sort_unstable();
        actors.dedup();
        let signed_elsewhere = |actor: &str| presigned.is_some_and(|presigned| presigned.party == actor);
        for actor in actors.into_iter().filter(|actor| signer.is_none_or(|(party, _)| party != *actor) && !signed_elsewhere(actor)) {
            match self.key_status(&wanted.id, actor)? {
                KeyStatus::None => {}
                KeyStatus::Active(_) => {
                    return Err(StoreError::SignatureRequired { negotiation: wanted.id.clone(), party: actor.to_owned() });
                }
                KeyStatus::Revoked => return Err(StoreError::KeyRevoked { negotiation: wanted.id.clone(), party: actor.to_owned() }),
            }
        }
        // So is a change of an entity whose last author is another party (a red line moved to
        // another party, an item with a new drafter) when that author signs its events: it would
        // have to remove the entity itself first.
        if let Some(current) = current {
            let before = crate::event::changes(None, current);
            let owners: HashMap<(&str, &str), &str> =
                before.iter().map(|event| ((event.kind.as_str(), event.key.as_str()), event.actor.as_str())).collect();
            let mut authors: Vec<&str> = events
                .iter()
                .filter_map(|event| owners.get(&(event.kind.as_str(), event.key.as_str())).copied().filter(|owner| *owner != event.actor))
                .collect();
            authors.sort_unstable();
            authors.dedup();
            for author in authors {
                if self.key_status(&wanted.id, author)? != KeyStatus::None {
                    return Err(StoreError::ChangesHands { negotiation: wanted.id.clone(), party: author.to_owned() });
                }
            }
        }
        if let Some(presigned) = presigned {
            let KeyStatus::Active(key) = self.key_status(&wanted.id, &presigned.party)? else {
                return Err(StoreError::BadSignature {
                    negotiation: wanted.id.clone(),
                    reason: format!("`{}` has no active key to sign with", presigned.party),
                });
            };
            // The events exactly as the append will seal them after `head` (a moved head is a
            // conflict there), so the signatures are checked over the hashes that will be stored.
            let at = if head == 0 { None } else { self.hash_at(&wanted.id, head)?.map(|hash| (head, hash)) };
            let sealed = crate::chain::seal_presigned_for_storage(
                &wanted.id,
                at,
                events.clone(),
                &presigned.recorded_at,
                None,
                Some(presigned),
                label,
            );
            let sealed: Vec<Event> = sealed.into_iter().map(|(event, _)| event).collect();
            crate::chain::check_presigned(&sealed, presigned, &key)
                .map_err(|reason| StoreError::BadSignature { negotiation: wanted.id.clone(), reason })?;
        }
        self.append_presigned(&wanted.id, head, events, signer, presigned, label)
    }

    /// The events `wanted` would append after `head`, sealed as a write labelled `label` and
    /// stamped `recorded_at` would seal them (unsigned): what a party's client signs. Nothing is
    /// written.
    fn prepare(&mut self, wanted: &Negotiation, head: u64, recorded_at: &str, label: &str) -> Result<Vec<Event>, StoreError> {
        let current = if head == 0 { None } else { Some(self.negotiation(&wanted.id, Some(head))?) };
        let events = crate::event::changes(current.as_ref(), wanted);
        let at = if head == 0 { None } else { self.hash_at(&wanted.id, head)?.map(|hash| (head, hash)) };
        let sealed = crate::chain::seal_labelled_for_storage(&wanted.id, at, events, recorded_at, None, label);
        Ok(sealed.into_iter().map(|(event, _)| event).collect())
    }

    /// The negotiation as of event `up_to` (all events when `None`).
    fn negotiation(&mut self, negotiation: &str, up_to: Option<u64>) -> Result<Negotiation, StoreError> {
        match self.fold(negotiation, up_to) {
            Ok(Some(found)) => Ok(found),
            Ok(None) => Err(self.unknown(negotiation)),
            Err(error) => Err(error),
        }
    }

    /// The error for a negotiation the store does not hold, naming those it does.
    fn unknown(&mut self, negotiation: &str) -> StoreError {
        let hint = match self.negotiations() {
            Ok(known) if known.is_empty() => " (it holds none)".to_owned(),
            Ok(known) => format!(" (it holds: {})", known.join(", ")),
            Err(_) => String::new(),
        };
        StoreError::UnknownNegotiation { negotiation: negotiation.to_owned(), location: self.location().to_owned(), hint }
    }
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_utc() -> String {
    utc(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0))
}

/// Seconds since 1970-01-01T00:00:00Z as `YYYY-MM-DDTHH:MM:SSZ` (the form of every time stored).
pub fn utc_of(seconds: u64) -> String {
    utc(seconds)
}

/// Seconds since 1970-01-01T00:00:00Z as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn utc(seconds: u64) -> String {
    let (days, rest) = ((seconds / 86_400) as i64, seconds % 86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3_600, rest % 3_600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_civil_utc() {
        for (seconds, expected) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_709_164_800, "2024-02-29T00:00:00Z"),
            (4_107_542_399, "2100-02-28T23:59:59Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"),
        ] {
            assert_eq!(super::utc(seconds), expected);
        }
        assert_eq!(super::now_utc().len(), 20);
    }
}
