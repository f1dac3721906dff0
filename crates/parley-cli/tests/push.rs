//! `parley push` against a real `parley serve`: a party with a key signs its write on its own
//! side, `parley verify` accepts it, and the same stance altered in the database afterwards fails
//! `parley verify`; without the key the write is refused.

mod common;

use common::{run, serve, succeeds};

#[test]
fn a_pushed_signed_stance_verifies_and_an_altered_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let (db, key, body) = (path("parley.db"), path("ua.key"), path("stance.json"));
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    succeeds(&["keygen", "UA", "-o", &key]);
    succeeds(&["import", &format!("{root}/ukraine-2025.toml"), "--db", &db, "--sign", &format!("UA={key}")]);
    let token = succeeds(&["token", "create", "--db", &db, "--negotiation", "ukraine-2025", "--as", "UA", "--write"]);
    let token = token.trim();
    std::fs::write(
        &body,
        r#"{"party":"UA","item":1,"position":"opposes","at":{"date":"2026-01-15"},"source":"test","visibility":"public","note":"pushed"}"#,
    )
    .unwrap();
    let served = serve(&db);
    let unsigned = run(&["push", "--server", &served.url(), "--token", token, "stances", &body]);
    assert!(!unsigned.status.success());
    assert!(String::from_utf8_lossy(&unsigned.stderr).contains("signature_required"), "{unsigned:?}");
    let pushed: serde_json::Value =
        serde_json::from_str(&succeeds(&["push", "--server", &served.url(), "--token", token, "--key", &key, "stances", &body])).unwrap();
    assert_eq!(pushed["appended"], 1, "{pushed}");
    drop(served);
    succeeds(&["verify", "--db", &db]);
    // Whoever holds the database alters the signed stance, recomputing its key and hash so
    // that the chain holds; it cannot sign as UA.
    let connection = rusqlite::Connection::open(&db).unwrap();
    let (seq, payload): (i64, String) = connection
        .query_row("SELECT seq, payload FROM events WHERE kind = 'stance' ORDER BY seq DESC LIMIT 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert!(payload.contains("pushed"));
    let payload = payload.replace("pushed", "forged");
    let events = {
        let mut store = parley_store::open(&db, false).unwrap();
        store.events("ukraine-2025").unwrap()
    };
    let mut forged = events.iter().find(|event| event.seq == seq as u64).unwrap().clone();
    forged.payload = serde_json::from_str(&payload).unwrap();
    forged.key = format!("{}#1", parley_store::chain::sha256_hex(forged.payload.to_string().as_bytes()));
    forged.hash = parley_store::chain::sha256_hex(&parley_store::chain::canonical(&forged));
    connection.execute_batch("DROP TRIGGER events_no_update").unwrap();
    connection
        .execute(
            "UPDATE events SET payload = ?1, key = ?2, hash = ?3 WHERE seq = ?4",
            rusqlite::params![forged.payload.to_string(), forged.key, forged.hash, seq],
        )
        .unwrap();
    let verified = run(&["verify", "--db", &db]);
    assert_eq!(verified.status.code(), Some(3), "{verified:?}");
    assert!(String::from_utf8_lossy(&verified.stdout).contains("the signature is not by its current key of `UA`"), "{verified:?}");
}
