//! Heads a viewer may know, over real HTTP on 127.0.0.1: a restricted viewer's `ETag`, listed
//! head, write answers and stale-head problems are computed only from what it may see, so an
//! event hidden from it changes none of them, never makes its write stale, and a server holding
//! only its export tells it the same head. Every test runs on SQLite, and again on PostgreSQL
//! when `PARLEY_TEST_PG_URL` is set.

#[macro_use]
mod support;

use support::{Database, Server};

const UKRAINE: &str = "ukraine-2025.toml";
const IRAN: &str = "iran-nuclear-2013-2016.toml";

/// A red line of RU that only RU may see.
const RU_PRIVATE_RED_LINE: &str = r#"{"party":"RU","expression":"nato == \"renounced\"","description":"kept to ourselves","visibility":"private","since":"start","until":null,"source":""}"#;

/// A public stance of `party` on item 1 at `at` (a JSON `at` value).
fn stance(party: &str, at: &str, note: &str) -> String {
    format!(r#"{{"party":"{party}","item":1,"position":"opposes","at":{at},"source":"test","visibility":"public","note":"{note}"}}"#)
}

/// As [`stance`], on item 1 of the Iran record's document `jpoa`.
fn jpoa_stance(party: &str, at: &str, note: &str) -> String {
    stance(party, at, note).replacen("\"item\":1", "\"document\":\"jpoa\",\"item\":1", 1)
}

/// The mediator records a round only US and IR know of, and US a stance in it: two events
/// hidden from every other party.
fn secret_round_with_a_stance(server: &Server) {
    let round = r#"{"title":"Back channel","date":"2015-08-01","planned":false,"venue":"Muscat","kind":"meeting","participants":["US","IR"],"visibility":"private","summary":""}"#;
    let round = appended(server, server.token("mediator"), "rounds", &server.view_head(server.token("mediator")), round);
    let stance = jpoa_stance("US", &serde_json::json!({"round": round["id"]}).to_string(), "secret");
    appended(server, server.token("US"), "stances", &server.view_head(server.token("US")), &stance);
}

/// Asserts that `token` is told what it was told `before`, naming the first route that differs.
fn still_told(server: &Server, token: &str, before: &[(String, Option<String>, String)]) {
    for (now, then) in told(server, token).iter().zip(before) {
        let line = now.2.lines().zip(then.2.lines()).find(|(now, then)| now != then);
        assert_eq!((&now.1, now.2.len()), (&then.1, then.2.len()), "{}: the first line that differs: {line:?}", now.0);
        assert!(now.2 == then.2, "{}: the first line that differs: {line:?}", now.0);
    }
}

/// Everything `token` is told by the reads: each route's `ETag` and body, and its listed head.
fn told(server: &Server, token: &str) -> Vec<(String, Option<String>, String)> {
    let mut told = Vec::new();
    for route in ["status", "events", "scenario", "export", "claims", "diff"] {
        let answer = server.get(token, &server.path(route));
        assert_eq!(answer.status, 200, "{route}: {answer:?}");
        told.push((route.to_owned(), answer.header("etag").map(str::to_owned), answer.body.clone()));
    }
    let listed = server.get(token, "/api/v1/negotiations").json();
    told.push(("negotiations".to_owned(), None, listed[0]["head"].to_string()));
    told
}

/// Posts `body` to `route` as `token` against `head`, expecting it appended.
fn appended(server: &Server, token: &str, route: &str, head: &str, body: &str) -> serde_json::Value {
    let answer = server.post(token, &server.path(route), head, body);
    assert_eq!(answer.status, 201, "{route}: {answer:?}");
    answer.json()
}

/// A party is told exactly the same before and after an event hidden from it, and its write made
/// against the head from before succeeds: the hidden event is neither seen, counted nor timed.
fn a_hidden_event_changes_nothing_a_party_is_told(fresh: &dyn Fn() -> Database) {
    // Another party's private red line, hidden from UA.
    let server = Server::start(fresh(), UKRAINE);
    let before = told(&server, server.token("UA"));
    let head = server.view_head(server.token("UA"));
    let chain = server.head();
    appended(&server, server.token("RU"), "red-lines", &server.view_head(server.token("RU")), RU_PRIVATE_RED_LINE);
    assert_ne!(server.head(), chain, "the hidden event was appended");
    still_told(&server, server.token("UA"), &before);
    let written = appended(&server, server.token("UA"), "stances", &head, &stance("UA", r#"{"date":"2026-01-15"}"#, "after"));
    assert!(written.get("seq").is_none(), "{written}");
    assert_eq!(written["head"], format!("\"{}\"", server.view_head(server.token("UA"))));

    // A stance in a round secret from RU (US and IR met in Muscat).
    let server = Server::start(fresh(), IRAN);
    let before = told(&server, server.token("RU"));
    let head = server.view_head(server.token("RU"));
    secret_round_with_a_stance(&server);
    still_told(&server, server.token("RU"), &before);
    assert_ne!(told(&server, server.token("US")), told(&server, server.token("IR")), "each viewer has its own head");
    appended(&server, server.token("RU"), "stances", &head, &jpoa_stance("RU", r#"{"date":"2015-07-14"}"#, "after"));
}

/// A change a party can see of what its write depends on (here its own stances on the item)
/// changes its head, and a write against the head from before is then stale: 412 with the party's
/// new head, and no chain hash or event number anywhere in the answer.
fn a_visible_change_makes_the_old_head_stale(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let old = server.view_head(server.token("UA"));
    appended(&server, server.token("UA"), "stances", &old, &stance("UA", r#"{"date":"2026-01-16"}"#, "first"));
    let new = server.view_head(server.token("UA"));
    assert_ne!(new, old);
    let (seq, hash) = server.head();
    let stale = server.post(server.token("UA"), &server.path("stances"), &old, &stance("UA", r#"{"date":"2026-01-17"}"#, "late"));
    assert_eq!((stale.status, stale.code().as_str()), (412, "stale_head"), "{stale:?}");
    assert_eq!(stale.header("etag"), Some(format!("\"{new}\"").as_str()));
    let problem = stale.json();
    assert_eq!(problem["head"], new.as_str());
    let mut fields: Vec<&str> = problem.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["code", "detail", "head", "status", "title", "type"], "{problem}");
    assert!(!stale.body.contains(&hash), "{stale:?}");
    assert!(!problem["detail"].as_str().unwrap().contains(&seq.to_string()), "{problem}");
    assert_eq!(server.head(), (seq, hash), "a stale write appends nothing");
}

/// A change a party can see that its write does not depend on (another party's stance on the
/// item) changes its head, but a write against the head from before still holds (per-entity
/// preconditions, docs/api.md); one on the item's text does not.
fn a_visible_change_elsewhere_keeps_the_old_head_valid(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let old = server.view_head(server.token("UA"));
    appended(
        &server,
        server.token("RU"),
        "stances",
        &server.view_head(server.token("RU")),
        &stance("RU", r#"{"date":"2026-01-16"}"#, "seen"),
    );
    let new = server.view_head(server.token("UA"));
    assert_ne!(new, old);
    let written = appended(&server, server.token("UA"), "stances", &old, &stance("UA", r#"{"date":"2026-01-17"}"#, "still"));
    assert_eq!(written["head"], format!("\"{}\"", server.view_head(server.token("UA"))));
    // A revision of item 1 changes what a stance on it depends on.
    let old = server.view_head(server.token("UA"));
    let revision = r#"{"item":1,"revision":{"round":"kyiv-briefing","by":"US","title":null,"text":"A new text.","proposes":{},"removed":false,"restored":false,"note":"","source":""}}"#;
    let revised = server.post(server.token("mediator"), &server.path("revisions"), &server.view_head(server.token("mediator")), revision);
    assert_eq!(revised.status, 201, "{revised:?}");
    let stale = server.post(server.token("UA"), &server.path("stances"), &old, &stance("UA", r#"{"date":"2026-01-18"}"#, "late"));
    assert_eq!((stale.status, stale.code().as_str()), (412, "stale_head"), "{stale:?}");
    // A head this process never handed out is stale, as on any other process.
    let unknown = "0".repeat(64);
    let stale = server.post(server.token("UA"), &server.path("stances"), &unknown, &stance("UA", r#"{"date":"2026-01-18"}"#, "late"));
    assert_eq!((stale.status, stale.code().as_str()), (412, "stale_head"), "{stale:?}");
}

/// Non-interference of per-entity preconditions: a write against an older head of the writer is
/// answered (appended or stale, and the head it is told) exactly as by a server holding only the
/// writer's export and the same visible changes, whatever hidden events came in between.
fn an_old_head_is_judged_as_on_the_writers_export(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let alone = Server::start_text(fresh(), &server.get(server.token("UA"), &server.path("export")).body);
    let old = server.view_head(server.token("UA"));
    assert_eq!(alone.view_head(alone.token("UA")), old);
    let hidden = |index: usize| {
        let line = RU_PRIVATE_RED_LINE.replace("ru-secret-line", &format!("ru-secret-{index}"));
        appended(&server, server.token("RU"), "red-lines", &server.view_head(server.token("RU")), &line);
    };
    hidden(0);
    for each in [&server, &alone] {
        appended(each, each.token("RU"), "stances", &each.view_head(each.token("RU")), &stance("RU", r#"{"date":"2026-01-16"}"#, "seen"));
    }
    hidden(1);
    let on_item = |item: u32, note: &str| stance("UA", r#"{"date":"2026-01-17"}"#, note).replace("\"item\":1", &format!("\"item\":{item}"));
    for (index, (body, expected)) in
        [(on_item(1, "holds"), 201), (on_item(1, "stale now"), 412), (on_item(2, "other item"), 201)].into_iter().enumerate()
    {
        let here = server.post(server.token("UA"), &server.path("stances"), &old, &body);
        let there = alone.post(alone.token("UA"), &alone.path("stances"), &old, &body);
        assert_eq!((here.status, there.status), (expected, expected), "{body}: {here:?} {there:?}");
        assert_eq!(here.header("etag"), there.header("etag"), "{body}");
        hidden(2 + index);
    }
}

/// Regression test for writes made stale by hidden ones: while RU keeps appending private red
/// lines, UA's writes, each named by the head its previous write answered, all succeed (a
/// concurrent append is retried at the new chain head, not answered 412).
fn a_hidden_writer_never_makes_a_visible_write_stale(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let writes = 12;
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut done = 0;
            while done < writes {
                // UA's stances are visible to RU: its own head may go stale, and it re-reads then.
                let line = RU_PRIVATE_RED_LINE.replace("kept to ourselves", &format!("kept to ourselves {done}"));
                let answer = server.post(server.token("RU"), &server.path("red-lines"), &server.view_head(server.token("RU")), &line);
                assert!(answer.status == 201 || answer.status == 412, "{answer:?}");
                done += usize::from(answer.status == 201);
            }
        });
        let mut head = server.view_head(server.token("UA"));
        for index in 0..writes {
            let body = stance("UA", r#"{"date":"2026-01-15"}"#, &format!("write {index}"));
            let answer = server.post(server.token("UA"), &server.path("stances"), &head, &body);
            assert_eq!(answer.status, 201, "write {index}: {answer:?}");
            head = answer.json()["head"].as_str().unwrap().trim_matches('"').to_owned();
        }
    });
    let events = parley_store::open_store(&server.db.url, false).unwrap().events(&server.negotiation).unwrap();
    let count = |kind: &str, actor: &str| events.iter().filter(|event| event.kind == kind && event.actor == actor).count();
    assert!(count("red-line", "RU") >= writes && count("stance", "UA") >= writes);
    parley_store::verify(&events).unwrap();
}

/// Non-interference of heads: every viewer but the admin is told, for every read, the same head
/// by a server holding only that viewer's export, before and after events hidden from some.
fn a_viewers_head_is_the_head_of_its_export(fresh: &dyn Fn() -> Database) {
    for file in [UKRAINE, IRAN] {
        let server = Server::start(fresh(), file);
        if file == IRAN {
            secret_round_with_a_stance(&server);
        } else {
            appended(&server, server.token("RU"), "red-lines", &server.view_head(server.token("RU")), RU_PRIVATE_RED_LINE);
        }
        let negotiation = parley_core::scenario::parse(&support::scenario_text(file)).unwrap().negotiation;
        let mut viewers = vec!["public".to_owned(), "mediator".to_owned()];
        viewers.extend(negotiation.parties.iter().map(|party| party.id.clone()));
        for viewer in &viewers {
            let export = server.get(server.token(viewer), &server.path("export"));
            assert_eq!(export.status, 200, "{viewer}: {export:?}");
            let alone = Server::start_text(fresh(), &export.body);
            for route in ["status", "scenario", "events", "export"] {
                let here = server.get(server.token(viewer), &server.path(route));
                let there = alone.get(alone.token(viewer), &alone.path(route));
                assert_eq!(here.header("etag"), there.header("etag"), "{file}, {viewer}, {route}");
            }
            let listed = |server: &Server| server.get(server.token(viewer), "/api/v1/negotiations").json()[0]["head"].clone();
            assert_eq!(listed(&server), listed(&alone), "{file}, {viewer}");
        }
        // The admin sees everything and is told the chain head itself.
        assert_eq!(server.view_head(server.token("admin")), server.head().1);
    }
}

/// Answers are kept under the viewer's head, across writes it cannot see: after each write,
/// hidden from some viewers and seen by others, every viewer's reads (bodies and heads, each read
/// twice, so the second comes from what was kept) are those of a server holding only its export.
fn kept_answers_follow_each_viewers_own_view(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let viewers = ["public", "UA", "RU"];
    let private_line = |note: &str| RU_PRIVATE_RED_LINE.replace("kept to ourselves", note);
    let writes: [(&str, &str, String); 4] = [
        ("RU", "red-lines", private_line("first")),
        ("UA", "stances", stance("UA", r#"{"date":"2026-01-15"}"#, "seen by all")),
        ("RU", "red-lines", private_line("second")),
        ("RU", "stances", stance("RU", r#"{"date":"2026-01-16"}"#, "seen by all too")),
    ];
    let reads = |server: &Server, viewer: &str| -> Vec<(Option<String>, String)> {
        ["status", "claims", "scenario", "diff"]
            .iter()
            .map(|route| {
                let answer = server.get(server.token(viewer), &server.path(route));
                assert_eq!(answer.status, 200, "{route}: {answer:?}");
                (answer.header("etag").map(str::to_owned), answer.body)
            })
            .collect()
    };
    for viewer in viewers {
        reads(&server, viewer);
    }
    for (writer, route, body) in &writes {
        appended(&server, server.token(writer), route, &server.view_head(server.token(writer)), body);
        for viewer in viewers {
            let export = server.get(server.token(viewer), &server.path("export"));
            let alone = Server::start_text(fresh(), &export.body);
            let expected = reads(&alone, viewer);
            assert_eq!(reads(&server, viewer), expected, "{viewer} after {writer}'s {route}");
            assert_eq!(reads(&server, viewer), expected, "{viewer} after {writer}'s {route}, read again");
        }
    }
}

on_both_backends!(
    kept_answers_follow_each_viewers_own_view,
    a_hidden_event_changes_nothing_a_party_is_told,
    a_visible_change_makes_the_old_head_stale,
    a_visible_change_elsewhere_keeps_the_old_head_valid,
    an_old_head_is_judged_as_on_the_writers_export,
    a_viewers_head_is_the_head_of_its_export,
    a_hidden_writer_never_makes_a_visible_write_stale,
);
