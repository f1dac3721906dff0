//! Signed writes over real HTTP on 127.0.0.1: a party with a key prepares a write, signs the
//! events on its side and sends the signatures; the server stores them and cannot forge them.
//! Every test runs on SQLite, and again on PostgreSQL when `PARLEY_TEST_PG_URL` is set.

#[macro_use]
mod support;

use parley_store::content::Content;
use support::{Database, Server, request, scenario_text};

const UKRAINE: &str = "ukraine-2025.toml";

const STANCE: &str =
    r#"{"party":"UA","item":1,"position":"opposes","at":{"date":"2026-01-15"},"source":"test","visibility":"public","note":"posted"}"#;

/// A server whose negotiation UA signs (as `parley import --sign UA=KEYFILE` leaves it).
fn signing_server(fresh: &dyn Fn() -> Database, key: &ed25519_dalek::SigningKey) -> Server {
    let server = Server::start(fresh(), UKRAINE);
    let negotiation = parley_core::scenario::parse(&scenario_text(UKRAINE)).unwrap().negotiation;
    parley_store::open_store(&server.db.url, false).unwrap().import(&negotiation, Some(("UA", key))).unwrap();
    server
}

fn post(server: &Server, token: &str, head: &str, extra: (&str, &str), body: &str) -> support::Answer {
    post_to(server, "stances", token, head, extra, body)
}

fn post_to(server: &Server, route: &str, token: &str, head: &str, extra: (&str, &str), body: &str) -> support::Answer {
    let bearer = format!("Bearer {token}");
    let quoted = format!("\"{head}\"");
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/json"), ("If-Match", quoted.as_str()), extra];
    request(server.address, "POST", &server.path(route), &headers, body.as_bytes())
}

/// Prepares the stance and signs what the server shows with `key`: the `Parley-Signature` value.
fn prepared_and_signed(server: &Server, key: &ed25519_dalek::SigningKey) -> String {
    let head = server.head();
    let ua = server.view_head(server.token("UA"));
    let prepared = post(server, server.token("UA"), &ua, ("Parley-Sign", "prepare"), STANCE);
    assert_eq!(prepared.status, 200, "{prepared:?}");
    assert_eq!(server.head(), head, "preparing appends nothing");
    let body = prepared.json();
    assert_eq!(body["head"], format!("\"{ua}\""));
    let events: Vec<Content> = serde_json::from_value(body["events"].clone()).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].kind.as_str(), events[0].actor.as_str()), ("stance", "UA"));
    let signatures = parley_store::content::sign_content(&events, "UA", key, &ua);
    format!("{} {}", body["recorded_at"].as_str().unwrap(), signatures.join(","))
}

/// A party's signed red line is given its id by the server (`ids.rs`), the same in the prepare
/// and in the signed write, so that the signatures over the prepared events cover the event
/// appended; it is derived from the head named, so the next write gets another.
fn a_signed_red_line_gets_the_id_its_prepare_showed(fresh: &dyn Fn() -> Database) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let server = signing_server(fresh, &key);
    let line = r#"{"party":"UA","expression":"nato != \"renounced\"","description":"","visibility":"private","since":"start","until":null,"source":""}"#;
    let ua = server.view_head(server.token("UA"));
    let prepared = post_to(&server, "red-lines", server.token("UA"), &ua, ("Parley-Sign", "prepare"), line);
    assert_eq!(prepared.status, 200, "{prepared:?}");
    let body = prepared.json();
    let events: Vec<Content> = serde_json::from_value(body["events"].clone()).unwrap();
    let id = events[0].payload["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("red-line-") && id.len() == "red-line-".len() + 16, "{id}");
    let signatures = parley_store::content::sign_content(&events, "UA", &key, &ua);
    let signature = format!("{} {}", body["recorded_at"].as_str().unwrap(), signatures.join(","));
    let written = post_to(&server, "red-lines", server.token("UA"), &ua, ("Parley-Signature", &signature), line);
    assert_eq!(written.status, 201, "{written:?}");
    assert_eq!(written.json()["id"], id.as_str());
    assert!(written.header("location").is_some_and(|location| location.ends_with(&format!("#red_lines/{id}"))), "{written:?}");
    let events = parley_store::open_store(&server.db.url, false).unwrap().events(&server.negotiation).unwrap();
    parley_store::verify(&events).unwrap();
    let now = server.view_head(server.token("UA"));
    let again = post_to(&server, "red-lines", server.token("UA"), &now, ("Parley-Sign", "prepare"), line);
    assert_ne!(again.json()["events"][0]["payload"]["id"], id.as_str());
}

/// The prepare answer holds the content a party signs and nothing of the chain: no event number,
/// previous hash, hash or label, and not the chain head anywhere.
fn a_prepare_answer_holds_no_chain_hash_or_number(fresh: &dyn Fn() -> Database) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let server = signing_server(fresh, &key);
    let (seq, hash) = server.head();
    let prepared = post(&server, server.token("UA"), &server.view_head(server.token("UA")), ("Parley-Sign", "prepare"), STANCE);
    assert_eq!(prepared.status, 200, "{prepared:?}");
    assert!(!prepared.body.contains(&hash), "{}", prepared.body);
    assert!(prepared.header("etag").is_none_or(|etag| !etag.contains(&hash)));
    let body = prepared.json();
    let mut fields: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["events", "head", "recorded_at"]);
    let event = body["events"][0].as_object().unwrap();
    let mut fields: Vec<&str> = event.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["actor", "key", "kind", "negotiation", "op", "payload", "recorded_at"], "{body}");
    assert_eq!(server.head(), (seq, hash), "preparing appends nothing");
}

/// A signed write lands after events hidden from the party that came between its prepare and
/// its write (another party's private red line): the signature covers what the party saw, not
/// where among hidden events the server appends it, and it verifies.
fn a_hidden_event_between_prepare_and_write_does_not_void_the_signatures(fresh: &dyn Fn() -> Database) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let server = signing_server(fresh, &key);
    let ua = server.view_head(server.token("UA"));
    let signature = prepared_and_signed(&server, &key);
    let line = r#"{"party":"RU","expression":"nato == \"renounced\"","description":"","visibility":"private","since":"start","until":null,"source":""}"#;
    let hidden = server.post(server.token("RU"), &server.path("red-lines"), &server.view_head(server.token("RU")), line);
    assert_eq!(hidden.status, 201, "{hidden:?}");
    assert_eq!(server.view_head(server.token("UA")), ua, "hidden from UA");
    let written = post(&server, server.token("UA"), &ua, ("Parley-Signature", &signature), STANCE);
    assert_eq!(written.status, 201, "{written:?}");
    let events = parley_store::open_store(&server.db.url, false).unwrap().events(&server.negotiation).unwrap();
    let stance = events.last().unwrap();
    assert_eq!(stance.signature.as_deref().map(|text| text.starts_with(&format!("view:{ua}:"))), Some(true));
    assert_eq!(parley_store::verify(&events).map_err(|error| error.to_string()), Ok(2));
    // Bound to the view head: replayed against the head UA sees now, the signatures do not verify
    // (and against the old one the write is stale); nothing is appended.
    let now = server.view_head(server.token("UA"));
    let replayed = post(&server, server.token("UA"), &now, ("Parley-Signature", &signature), &STANCE.replace("test", "again"));
    assert_eq!((replayed.status, replayed.code().as_str()), (422, "signature_required"), "{replayed:?}");
    let replayed = post(&server, server.token("UA"), &now, ("Parley-Signature", &signature), STANCE);
    assert_eq!(replayed.status, 422, "{replayed:?}");
    assert_eq!(post(&server, server.token("UA"), &ua, ("Parley-Signature", &signature), STANCE).status, 412);
    assert_eq!(server.head().0, events.len() as u64);
}

fn a_signed_stance_verifies_and_a_forged_one_does_not(fresh: &dyn Fn() -> Database) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let server = signing_server(fresh, &key);
    let signature = prepared_and_signed(&server, &key);
    let written = post(&server, server.token("UA"), &server.view_head(server.token("UA")), ("Parley-Signature", &signature), STANCE);
    assert_eq!(written.status, 201, "{written:?}");
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    let events = store.events(&server.negotiation).unwrap();
    let stance = events.last().unwrap().clone();
    assert_eq!((stance.kind.as_str(), stance.actor.as_str()), ("stance", "UA"));
    assert!(stance.signature.is_some());
    // Two signed events: the key registration and the stance.
    assert_eq!(parley_store::verify(&events).map_err(|error| error.to_string()), Ok(2));
    // The server (anyone with the database) alters the signed stance and recomputes its hash,
    // so the chain holds; it cannot sign, and `verify` (what `parley verify` runs) names it.
    let mut forged = stance.clone();
    forged.payload["note"] = serde_json::json!("forged");
    forged.key = format!("{}#1", parley_store::chain::sha256_hex(forged.payload.to_string().as_bytes()));
    forged.hash = parley_store::chain::sha256_hex(&parley_store::chain::canonical(&forged));
    let payload = forged.payload.to_string();
    if server.db.url.starts_with("postgres") {
        let mut client = ::postgres::Client::connect(&server.db.url, ::postgres::NoTls).unwrap();
        client.batch_execute("DROP TRIGGER events_no_update ON events").unwrap();
        let sql = "UPDATE events SET payload = $1, hash = $2, key = $3 WHERE seq = $4";
        client.execute(sql, &[&payload, &forged.hash, &forged.key, &(forged.seq as i64)]).unwrap();
    } else {
        let connection = rusqlite::Connection::open(&server.db.url).unwrap();
        connection.execute_batch("DROP TRIGGER events_no_update").unwrap();
        let sql = "UPDATE events SET payload = ?1, hash = ?2, key = ?3 WHERE seq = ?4";
        connection.execute(sql, rusqlite::params![payload, forged.hash, forged.key, forged.seq as i64]).unwrap();
    }
    let events = store.events(&server.negotiation).unwrap();
    assert_eq!(events.last().unwrap().payload["note"], "forged");
    let refused = parley_store::verify(&events).unwrap_err();
    assert_eq!(refused.seq, stance.seq, "{refused}");
    assert!(refused.reason.contains("signature"), "{refused}");
}

fn unsigned_and_badly_signed_writes_of_a_keyed_party_are_refused(fresh: &dyn Fn() -> Database) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let server = signing_server(fresh, &key);
    let head = server.head();
    let ua = server.view_head(server.token("UA"));
    let unsigned = server.post(server.token("UA"), &server.path("stances"), &ua, STANCE);
    assert_eq!((unsigned.status, unsigned.code().as_str()), (422, "signature_required"));
    // Signed with another key: refused, nothing appended.
    let other = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let wrong = prepared_and_signed(&server, &other);
    let answer = post(&server, server.token("UA"), &ua, ("Parley-Signature", &wrong), STANCE);
    assert_eq!((answer.status, answer.code().as_str()), (422, "signature_required"), "{answer:?}");
    assert!(answer.body.contains("do not verify"), "{answer:?}");
    // The right signatures over another write (a changed note) do not carry over.
    let right = prepared_and_signed(&server, &key);
    let answer = post(&server, server.token("UA"), &ua, ("Parley-Signature", &right), &STANCE.replace("posted", "changed"));
    assert_eq!(answer.status, 422, "{answer:?}");
    // A time far from the server's clock, and a non-party signing, are refused before anything.
    let stale = format!("2001-01-01T00:00:00Z {}", right.split_once(' ').unwrap().1);
    let answer = post(&server, server.token("UA"), &ua, ("Parley-Signature", &stale), STANCE);
    assert_eq!((answer.status, answer.code().as_str()), (400, "bad_query"), "{answer:?}");
    let answer = post(&server, server.token("admin"), &head.1, ("Parley-Signature", &right), STANCE);
    assert_eq!((answer.status, answer.code().as_str()), (403, "forbidden"), "{answer:?}");
    assert_eq!(server.head(), head);
    // And the right ones go through.
    let answer = post(&server, server.token("UA"), &ua, ("Parley-Signature", &right), STANCE);
    assert_eq!(answer.status, 201, "{answer:?}");
}

on_both_backends!(
    a_signed_stance_verifies_and_a_forged_one_does_not,
    unsigned_and_badly_signed_writes_of_a_keyed_party_are_refused,
    a_prepare_answer_holds_no_chain_hash_or_number,
    a_hidden_event_between_prepare_and_write_does_not_void_the_signatures,
    a_signed_red_line_gets_the_id_its_prepare_showed,
);
