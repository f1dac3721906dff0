//! A database for one test, on SQLite or on the PostgreSQL server of `PARLEY_TEST_PG_URL`
//! (shared with the command line's tests, which include this file).

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

/// A database for one test: a SQLite file in a temporary directory, or a fresh PostgreSQL
/// database on the server `PARLEY_TEST_PG_URL` names (dropped afterwards).
pub struct Database {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres {
            if let Ok(mut client) = postgres::Client::connect(server, postgres::NoTls) {
                let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// The PostgreSQL server of the tests, if there is one.
pub fn postgres_server() -> Option<String> {
    std::env::var("PARLEY_TEST_PG_URL").ok().filter(|url| !url.is_empty())
}

impl Database {
    pub fn sqlite() -> Database {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("parley.db").display().to_string();
        Database { url, _dir: Some(dir), postgres: None }
    }

    pub fn postgres(server: &str) -> Database {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!("parley_server_test_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let mut client = postgres::Client::connect(server, postgres::NoTls).unwrap();
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
        client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let (base, _) = server.rsplit_once('/').expect("a URL ending in /DATABASE");
        Database { url: format!("{base}/{name}"), _dir: None, postgres: Some((server.to_owned(), name)) }
    }
}
