//! What the server's tests share: a tiny blocking HTTP/1.1 client over `TcpStream`, a server
//! started in-process on a real listener on 127.0.0.1, and a database holding a bundled scenario
//! with one token per role — on SQLite, or on PostgreSQL when `PARLEY_TEST_PG_URL` is set.

#![allow(dead_code)]

/// One `#[test]` per backend for each named function taking `&dyn Fn() -> Database`: in `mod
/// sqlite` always, in `mod postgres` when `PARLEY_TEST_PG_URL` is set (said on stderr otherwise).
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(&super::Database::sqlite);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    match super::support::postgres_server() {
                        Some(server) => super::$name(&|| super::Database::postgres(&server)),
                        None => {
                            let _ = std::io::Write::write_all(&mut std::io::stderr(), b"PARLEY_TEST_PG_URL is not set: skipping the server's PostgreSQL tests\n");
                        }
                    }
                }
            )*
        }
    };
}

mod database;
mod http;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use parley_store::{NewToken, open_store};

#[allow(unused_imports)] // Each test binary uses its own part of the client and databases.
pub use database::{Database, postgres_server};
#[allow(unused_imports)]
pub use http::{Answer, request, request_within};

/// A server started in-process on a free port of 127.0.0.1, stopped when dropped.
pub struct Server {
    pub address: SocketAddr,
    pub db: Database,
    /// The bundled scenario's id, and one token per viewer (`admin`, `mediator`, `public`, each
    /// party; `NAME-ro` a read-only one).
    pub negotiation: String,
    pub tokens: BTreeMap<String, String>,
    /// The server's state (shared with it).
    pub state: parley_server::AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The bundled scenarios, by file name.
pub fn scenario_text(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../../scenarios/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

impl Server {
    /// A server over `db` holding the scenario `file` (of `scenarios/`), with its tokens.
    pub fn start(db: Database, file: &str) -> Server {
        Server::start_text(db, &scenario_text(file))
    }

    /// A server over `db` holding the scenario `text`, with its tokens.
    pub fn start_text(db: Database, text: &str) -> Server {
        Server::start_with(db, text, parley_server::state::Settings::default())
    }

    /// [`Server::start_text`] with the server's `settings` (public URL, proxy, domain catalogue).
    pub fn start_with(db: Database, text: &str, settings: parley_server::state::Settings) -> Server {
        let negotiation = parley_core::scenario::parse(text).unwrap().negotiation;
        let mut store = open_store(&db.url, true).unwrap();
        store.import(&negotiation, None).unwrap();
        let mut viewers: Vec<String> = ["admin", "mediator", "public"].map(str::to_owned).to_vec();
        viewers.extend(negotiation.parties.iter().map(|party| party.id.clone()));
        let mut tokens = BTreeMap::new();
        for viewer in viewers {
            for write in [true, false] {
                let new = NewToken { negotiation: negotiation.id.clone(), viewer: viewer.clone(), write, label: format!("test {viewer}") };
                let issued = store.create_token(&new).unwrap();
                let name = if write { viewer.clone() } else { format!("{viewer}-ro") };
                tokens.insert(name, issued.secret);
            }
        }
        drop(store);
        let state = parley_server::AppState::open(&db.url).unwrap().with_settings(settings);
        let shared = state.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            // `serve`'s runtime (blocking threads capped, so stores in use at once are bounded),
            // on two workers whatever the machine.
            let runtime = parley_server::runtime_builder().worker_threads(2).build().unwrap();
            runtime.block_on(async move {
                listener.set_nonblocking(true).unwrap();
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let shutdown = async move {
                    let _ = stopped.await;
                };
                parley_server::serve_on(listener, state, shutdown).await.unwrap();
            });
        });
        Server { address, db, negotiation: negotiation.id, tokens, state: shared, stop: Some(stop), thread: Some(thread) }
    }

    pub fn token(&self, viewer: &str) -> &str {
        self.tokens.get(viewer).unwrap_or_else(|| panic!("no token for {viewer}"))
    }

    /// A GET with `token` (none when empty).
    pub fn get(&self, token: &str, path: &str) -> Answer {
        let bearer = format!("Bearer {token}");
        let headers: Vec<(&str, &str)> = if token.is_empty() { Vec::new() } else { vec![("Authorization", bearer.as_str())] };
        request(self.address, "GET", path, &headers, b"")
    }

    /// A JSON POST with `token` against the head `if_match` (none when empty).
    pub fn post(&self, token: &str, path: &str, if_match: &str, body: &str) -> Answer {
        let bearer = format!("Bearer {token}");
        let mut headers = vec![("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
        let quoted = format!("\"{if_match}\"");
        if !if_match.is_empty() {
            headers.push(("If-Match", quoted.as_str()));
        }
        request(self.address, "POST", path, &headers, body.as_bytes())
    }

    /// The head's hash as the store has it, and the number of events.
    pub fn head(&self) -> (u64, String) {
        let mut store = open_store(&self.db.url, false).unwrap();
        store.head(&self.negotiation).unwrap().unwrap()
    }

    /// The head `token`'s viewer is told (the `ETag` of its reads, unquoted): what its writes name.
    pub fn view_head(&self, token: &str) -> String {
        let answer = self.get(token, &self.path("scenario"));
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.header("etag").unwrap().trim_matches('"').to_owned()
    }

    /// `/api/v1/negotiations/ID/rest`.
    pub fn path(&self, rest: &str) -> String {
        format!("/api/v1/negotiations/{}/{rest}", self.negotiation)
    }
}
