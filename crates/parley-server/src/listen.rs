//! One `LISTEN` connection per server process on PostgreSQL: every append (of any process)
//! sends `NOTIFY parley_appended` in its transaction, and this process's event streams are woken
//! when it commits, within a few milliseconds.
//!
//! The synchronous `postgres` client runs on a thread of its own and forwards each notification
//! to tokio through the state's `watch`. When the connection drops it reconnects (after
//! [`RETRY`]) and wakes the streams once, since appends in the gap were not heard; the streams'
//! own slow head poll is the net under it. The thread ends when the server's state is dropped.

use std::time::Duration;

use parley_store::postgres::{NOTIFY_CHANNEL, PgStore};

/// How long the thread waits before reconnecting, and how often it checks that the server runs.
pub const RETRY: Duration = Duration::from_secs(1);

/// Starts the listener for the PostgreSQL `target`; `poke` wakes the streams, `alive` tells
/// whether the server still runs (the thread ends when it returns false).
pub fn start(target: String, poke: impl Fn() + Send + 'static, alive: impl Fn() -> bool + Send + 'static) {
    let spawned = std::thread::Builder::new().name("parley-listen".to_owned()).spawn(move || {
        let mut first = true;
        while alive() {
            match PgStore::open(&target) {
                Ok(mut store) => {
                    if let Err(error) = store.client().batch_execute(&format!("LISTEN {NOTIFY_CHANNEL}")) {
                        tracing::warn!(%error, "LISTEN failed; retrying");
                        std::thread::sleep(RETRY);
                        continue;
                    }
                    if !first {
                        // Appends made while the connection was down were not heard.
                        poke();
                    }
                    first = false;
                    if !forward(&mut store, &poke, &alive) {
                        return;
                    }
                    tracing::warn!("the LISTEN connection dropped; reconnecting");
                }
                Err(error) => {
                    tracing::warn!(error = %error, "the LISTEN connection could not be opened; retrying");
                    first = false;
                }
            }
            std::thread::sleep(RETRY);
        }
    });
    if let Err(error) = spawned {
        tracing::warn!(%error, "no LISTEN thread: event streams fall back to polling the head");
    }
}

/// Forwards notifications until the connection fails (`true`: reconnect) or the server stops
/// (`false`).
fn forward(store: &mut PgStore, poke: &impl Fn(), alive: &impl Fn() -> bool) -> bool {
    loop {
        let mut notifications = store.client().notifications();
        let mut waiting = notifications.timeout_iter(RETRY);
        loop {
            match fallible_iterator::FallibleIterator::next(&mut waiting) {
                Ok(Some(_)) => poke(),
                Err(_) => return true,
                Ok(None) => break,
            }
        }
        if !alive() {
            return false;
        }
        // A timeout also hides a dead connection: ask the server.
        drop(waiting);
        drop(notifications);
        if store.client().is_closed() || store.client().batch_execute("").is_err() {
            return true;
        }
    }
}
