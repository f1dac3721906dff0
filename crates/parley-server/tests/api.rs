//! The server over real HTTP on 127.0.0.1: authentication, the role matrix of writes, heads
//! (`If-Match`), bad input, and what a hidden entity looks like to a writer. Every test runs on
//! SQLite, and again on PostgreSQL when `PARLEY_TEST_PG_URL` is set.

mod support;

use std::io::Write;

use support::{Database, Server, request, scenario_text};

const UKRAINE: &str = "ukraine-2025.toml";

/// Every write route with a body that the roles in its `allowed` list may post (on the bundled
/// 2025 scenario). `import` posts TOML.
fn writes() -> Vec<(&'static str, String, &'static [&'static str])> {
    vec![
        (
            "stances",
            r#"{"party":"UA","item":1,"position":"opposes","at":{"date":"2026-01-15"},"source":"test","visibility":"public","note":"posted"}"#.into(),
            &["admin", "UA"],
        ),
        (
            "red-lines",
            r#"{"party":"UA","expression":"nato != \"renounced\"","description":"t","visibility":"public","since":"start","until":null,"source":""}"#.into(),
            &["admin", "UA"],
        ),
        (
            "demands",
            r#"{"party":"UA","issue":"znpp_operator","value":"us-ua-joint-venture","visibility":"public","source":"test","at":{"date":"2026-01-15"}}"#.into(),
            &["admin", "UA"],
        ),
        (
            "statements",
            r#"{"speaker":"A spokesperson","party":"UA","date":"2025-12-23","round":"kyiv-briefing","venue":"Kyiv","outlet":"","attribution":"named","quote":"We posted this.","source":"","claims":[{"kind":{"kind":"item-agreed","item":19},"negated":true,"note":""}]}"#.into(),
            &["admin", "mediator", "UA"],
        ),
        (
            "rounds",
            r#"{"title":"Test","date":"2026-01-10","planned":false,"venue":"Geneva","kind":"meeting","participants":["US","UA"],"summary":""}"#.into(),
            &["admin", "mediator"],
        ),
        (
            "revisions",
            r#"{"item":1,"revision":{"round":"kyiv-briefing","by":"US","title":null,"text":"Revised by the test.","proposes":{},"removed":false,"restored":false,"note":"","source":""}}"#.into(),
            &["admin", "mediator"],
        ),
        ("import", scenario_text(UKRAINE).replacen("title = \"US framework", "title = \"The US framework", 1), &["admin"]),
    ]
}

fn post(server: &Server, token: &str, route: &str, if_match: &str, body: &str) -> support::Answer {
    if route == "import" {
        let bearer = format!("Bearer {token}");
        let quoted = format!("\"{if_match}\"");
        let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/toml"), ("If-Match", quoted.as_str())];
        return request(server.address, "POST", &server.path("import"), &headers, body.as_bytes());
    }
    server.post(token, &server.path(route), if_match, body)
}

fn auth_refuses_missing_unknown_and_revoked_tokens(fresh: &dyn Fn() -> Database) {
    let db = fresh();
    let server = Server::start(db, UKRAINE);
    let path = server.path("status");
    for token in ["", "parley_0000", "not a token at all"] {
        let answer = server.get(token, &path);
        assert_eq!(answer.status, 401, "{token:?}: {answer:?}");
        assert_eq!(answer.code(), "unauthorized");
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
    }
    let answer = request(server.address, "GET", &path, &[("Authorization", "Basic dXNlcjpwYXNz")], b"");
    assert_eq!(answer.status, 401);
    assert_eq!(server.get(server.token("UA"), &path).status, 200);
    // Revoked in the database (as `parley token revoke` does): refused on the very next request,
    // though the answer to it is kept (the read above), which a read with a good token is given
    // without a blocking thread.
    assert_eq!(server.get(server.token("UA"), &path).status, 200);
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    let id = store.tokens(None).unwrap().into_iter().find(|token| token.viewer == "UA" && token.write).unwrap().id;
    assert!(store.revoke_token(&id).unwrap());
    let answer = server.get(server.token("UA"), &path);
    assert_eq!(answer.status, 401, "{answer:?}");
    // The unversioned probes need no token.
    assert_eq!(server.get("", "/healthz").status, 200);
    assert_eq!(server.get("", "/readyz").status, 200);
}

fn another_negotiation_is_answered_like_a_missing_one(fresh: &dyn Fn() -> Database) {
    let db = fresh();
    let server = Server::start(db, UKRAINE);
    // A second negotiation in the same database, which the UA token does not belong to.
    let other = parley_core::scenario::parse(&scenario_text("dockworkers-2026.toml")).unwrap().negotiation;
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    store.import(&other, None).unwrap();
    for token in ["UA", "admin", "public"] {
        let hidden = server.get(server.token(token), &format!("/api/v1/negotiations/{}/status", other.id));
        let missing = server.get(server.token(token), "/api/v1/negotiations/no-such-talks/status");
        assert_eq!((hidden.status, missing.status), (404, 404));
        assert_eq!(hidden.body.replace(&other.id, "ID"), missing.body.replace("no-such-talks", "ID"));
        let listed = server.get(server.token(token), "/api/v1/negotiations").json();
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["id"], server.negotiation.as_str());
        // Writes too: a token cannot probe another negotiation by writing to it.
        let (_, hash) = server.head();
        let written = server.post(server.token(token), &format!("/api/v1/negotiations/{}/stances", other.id), &hash, "{}");
        assert!(written.status == 404 || written.status == 403, "{written:?}");
    }
}

fn each_role_may_make_only_its_writes(fresh: &dyn Fn() -> Database) {
    let roles = ["admin", "mediator", "UA", "UA-ro", "RU", "public", "public-ro", "admin-ro"];
    for (route, body, allowed) in writes() {
        for role in roles {
            let server = Server::start(fresh(), UKRAINE);
            let (seq, hash) = server.head();
            let named = server.view_head(server.token(role));
            let answer = post(&server, server.token(role), route, &named, &body);
            if allowed.contains(&role) {
                assert_eq!(answer.status, 201, "{route} by {role}: {answer:?}");
                let written = answer.json();
                let (new_seq, new_hash) = server.head();
                // The writer's new head: what its next read carries; the chain head and its
                // number only for the admin, who sees everything.
                let now = format!("\"{}\"", server.view_head(server.token(role)));
                assert_eq!(written["head"], now.as_str());
                assert_eq!(answer.header("etag"), Some(now.as_str()));
                if role == "admin" {
                    assert_eq!(written["head"], format!("\"{new_hash}\""));
                    assert_eq!(written["seq"], new_seq);
                } else {
                    assert_ne!(written["head"], format!("\"{new_hash}\""));
                    assert!(written.get("seq").is_none(), "{written}");
                }
                assert!(new_seq > seq);
            } else {
                assert_eq!(answer.status, 403, "{route} by {role}: {answer:?}");
                assert_eq!(answer.code(), "forbidden");
                assert_eq!(server.head(), (seq, hash), "{route} by {role}: nothing may be appended");
            }
        }
    }
}

fn a_party_never_writes_another_partys_entities(fresh: &dyn Fn() -> Database) {
    let db = fresh();
    let server = Server::start(db, UKRAINE);
    let (seq, hash) = server.head();
    let (ru, mediator) = (server.view_head(server.token("RU")), server.view_head(server.token("mediator")));
    for (route, body, _) in writes().into_iter().filter(|(route, ..)| ["stances", "red-lines", "demands", "statements"].contains(route)) {
        let answer = post(&server, server.token("RU"), route, &ru, &body);
        assert_eq!(answer.status, 403, "{route}: {answer:?}");
        // The mediator may record statements, but not a party's stance in its name.
        if route == "stances" {
            assert_eq!(post(&server, server.token("mediator"), route, &mediator, &body).status, 403);
        }
    }
    assert_eq!(server.head(), (seq, hash));
}

fn heads_are_required_and_a_stale_one_appends_nothing(fresh: &dyn Fn() -> Database) {
    let db = fresh();
    let server = Server::start(db, UKRAINE);
    let (route, body, _) = writes().into_iter().next().unwrap();
    let (seq, hash) = server.head();
    let ua = server.view_head(server.token("UA"));
    let missing = server.post(server.token("UA"), &server.path(route), "", &body);
    assert_eq!((missing.status, missing.code().as_str()), (428, "if_match_required"));
    let stale = server.post(server.token("UA"), &server.path(route), "0123abcd", &body);
    assert_eq!((stale.status, stale.code().as_str()), (412, "stale_head"), "{stale:?}");
    // The problem names UA's own head, never the chain head or its number.
    assert_eq!(stale.header("etag"), Some(format!("\"{ua}\"").as_str()));
    assert_eq!(stale.json()["head"], ua.as_str());
    assert!(!stale.body.contains(&hash) && !stale.body.contains(&format!("#{seq}")), "{stale:?}");
    assert_eq!(server.head(), (seq, hash.clone()));
    // Only the admin may name the chain head, by hash or number: to a party both are stale.
    for chain in [hash.clone(), seq.to_string()] {
        let refused = server.post(server.token("UA"), &server.path(route), &chain, &body);
        assert_eq!((refused.status, refused.json()["head"].as_str()), (412, Some(ua.as_str())), "{refused:?}");
    }
    let first = server.post(server.token("UA"), &server.path(route), &ua, &body);
    assert_eq!(first.status, 201, "{first:?}");
    // Once used (and the write changed what UA sees), UA's head is stale.
    let again = server.post(server.token("UA"), &server.path(route), &ua, &body);
    assert_eq!(again.status, 412);
    let by_number = server.post(server.token("admin"), &server.path(route), &server.head().0.to_string(), &body.replace("posted", "again"));
    assert_eq!(by_number.status, 201, "the admin names the head by its number: {by_number:?}");
    let first =
        server.post(server.token("UA"), &server.path(route), &server.view_head(server.token("UA")), &body.replace("posted", "third"));
    assert_eq!(first.status, 201, "{first:?}");
    // Reads carry the head as ETag: the one a client names next.
    let status = server.get(server.token("UA"), &server.path("status"));
    assert_eq!(status.header("etag"), first.header("etag"));
    // The write is attributed as an import would be (actor UA) and carries the token's label,
    // which the chain covers; only the whole log (the admin's) shows it.
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    let events = store.events(&server.negotiation).unwrap();
    parley_store::verify(&events).unwrap();
    let last = events.last().unwrap();
    assert_eq!((last.actor.as_str(), last.label.as_str()), ("UA", "test UA"));
    let logged = server.get(server.token("admin"), &server.path("events"));
    let line: serde_json::Value = serde_json::from_str(logged.body.lines().last().unwrap()).unwrap();
    assert_eq!(line["label"], "test UA");
    assert!(!server.get(server.token("UA"), &server.path("events")).body.contains("\"label\""));
}

fn bad_bodies_are_problems_and_append_nothing(fresh: &dyn Fn() -> Database) {
    let db = fresh();
    let server = Server::start(db, UKRAINE);
    let (seq, hash) = server.head();
    let stance = server.path("stances");
    let ua = server.token("UA");
    let ua_head = server.view_head(ua);
    let check = |body: &str, status: u16, code: &str| -> serde_json::Value {
        let answer = server.post(ua, &stance, &ua_head, body);
        assert_eq!((answer.status, answer.code().as_str()), (status, code), "{body:.80}: {answer:?}");
        answer.json()
    };
    check("{\"party\": \"UA\",", 400, "malformed_json");
    check("{\"party\" \"UA\"}", 400, "malformed_json");
    // Deep nesting, as the body and inside an unknown field: refused within serde_json's
    // recursion limit, never a stack overflow.
    for deep in ["[".repeat(100_000), format!("{{\"party\":\"UA\",\"x\":{}", "[".repeat(100_000))] {
        let answer = server.post(ua, &stance, &ua_head, &deep);
        assert!([400, 422].contains(&answer.status), "{answer:?}");
        assert!(["malformed_json", "invalid"].contains(&answer.code().as_str()));
    }
    let unknown = check(
        r#"{"party":"UA","item":1,"position":"opposes","at":"start","source":"","visibility":"public","note":"","colour":"red"}"#,
        422,
        "invalid",
    );
    assert_eq!(unknown["errors"][0]["field"], "colour");
    let wrong_type = check(
        r#"{"party":"UA","item":"one","position":"opposes","at":"start","source":"","visibility":"public","note":""}"#,
        422,
        "invalid",
    );
    assert!(wrong_type["detail"].as_str().unwrap().contains("invalid type"), "{wrong_type}");
    assert_eq!(wrong_type["errors"][0]["field"], "item");
    let wrong_variant =
        check(r#"{"party":"UA","item":1,"position":"objects","at":"start","source":"","visibility":"public","note":""}"#, 422, "invalid");
    assert_eq!(wrong_variant["errors"][0]["field"], "position");
    let missing = check(r#"{"party":"UA","item":1}"#, 422, "invalid");
    assert_eq!(missing["errors"][0]["field"], "position");
    let no_item = check(
        r#"{"party":"UA","item":999,"position":"opposes","at":{"date":"2026-01-15"},"source":"","visibility":"public","note":""}"#,
        422,
        "invalid",
    );
    assert_eq!(no_item["errors"][0]["field"], "item", "{no_item}");
    let bad_line = server.post(
        ua,
        &server.path("red-lines"),
        &ua_head,
        r#"{"id":"x","party":"UA","expression":"nato ==","description":"","visibility":"public","since":"start","until":null,"source":""}"#,
    );
    assert_eq!((bad_line.status, bad_line.code().as_str()), (422, "invalid"), "{bad_line:?}");
    // A revision in a round that does not exist names the body's field.
    let revision = server.post(
        server.token("mediator"),
        &server.path("revisions"),
        &server.view_head(server.token("mediator")),
        r#"{"item":1,"revision":{"round":"nowhere","by":"US","title":null,"text":"x","proposes":{},"removed":false,"restored":false,"note":"","source":""}}"#,
    );
    assert_eq!((revision.status, revision.code().as_str()), (422, "invalid"), "{revision:?}");
    assert_eq!(revision.json()["errors"][0]["field"], "revision.round", "{}", revision.body);
    // Over the limit: 413, whether or not the server read it all.
    let huge = format!("{{\"note\": \"{}\"}}", "x".repeat(parley_server::writes::MAX_BODY_BYTES + 10));
    let answer = server.post(ua, &stance, &ua_head, &huge);
    assert_eq!((answer.status, answer.code().as_str()), (413, "body_too_large"));
    let bearer = format!("Bearer {ua}");
    let quoted = format!("\"{ua_head}\"");
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "text/plain"), ("If-Match", quoted.as_str())];
    let answer = request(server.address, "POST", &stance, &headers, b"{}");
    assert_eq!((answer.status, answer.code().as_str()), (415, "unsupported_media_type"));
    assert_eq!(server.head(), (seq, hash));
}

fn a_hidden_round_is_answered_like_a_missing_one(fresh: &dyn Fn() -> Database) {
    let db = fresh();
    // `muscat` is a private round of US and IR: to Russia it does not exist.
    let server = Server::start(db, "iran-nuclear-2013-2016.toml");
    let hash = server.view_head(server.token("RU"));
    let stance = |round: &str| {
        format!(r#"{{"party":"RU","item":1,"position":"opposes","at":{{"round":"{round}"}},"source":"","visibility":"public","note":""}}"#)
    };
    let hidden = server.post(server.token("RU"), &server.path("stances"), &hash, &stance("muscat"));
    let missing = server.post(server.token("RU"), &server.path("stances"), &hash, &stance("nowhere"));
    assert_eq!((hidden.status, missing.status), (422, 422), "{hidden:?}");
    assert_eq!(hidden.body.replace("muscat", "ROUND"), missing.body.replace("nowhere", "ROUND"));
}

fn a_signing_partys_writes_are_refused_not_forged(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    // UA registers a key (as `parley import --sign UA=KEYFILE` does): from then on everything
    // attributed to UA must carry its signature, which the server cannot make.
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let negotiation = parley_core::scenario::parse(&scenario_text(UKRAINE)).unwrap().negotiation;
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    store.import(&negotiation, Some(("UA", &key))).unwrap();
    let (seq, hash) = server.head();
    let (_, body, _) = writes().into_iter().next().unwrap();
    let answer = server.post(server.token("UA"), &server.path("stances"), &server.view_head(server.token("UA")), &body);
    assert_eq!((answer.status, answer.code().as_str()), (422, "signature_required"), "{answer:?}");
    assert_eq!(server.head(), (seq, hash.clone()));
    // Others still write.
    let (_, round, _) = writes().into_iter().find(|(route, ..)| *route == "rounds").unwrap();
    let mediator = server.view_head(server.token("mediator"));
    assert_eq!(server.post(server.token("mediator"), &server.path("rounds"), &mediator, &round).status, 201);
}

fn a_write_by_another_process_is_read_at_once(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let before = server.get(server.token("public"), &server.path("scenario"));
    assert_eq!(before.status, 200);
    // Another process (or server) appends to the same database: this server's folded copy is
    // keyed by the head, which every read checks.
    let mut negotiation = parley_core::scenario::parse(&scenario_text(UKRAINE)).unwrap().negotiation;
    negotiation.title = "Retitled elsewhere".into();
    parley_store::open_store(&server.db.url, false).unwrap().import(&negotiation, None).unwrap();
    let after = server.get(server.token("public"), &server.path("scenario"));
    assert_eq!(after.json()["title"], "Retitled elsewhere");
    assert_ne!(after.header("etag"), before.header("etag"));
}

fn an_admin_imports_a_new_negotiation(fresh: &dyn Fn() -> Database) {
    let server = Server::start(fresh(), UKRAINE);
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    let new = parley_store::NewToken { negotiation: "dockworkers-2026".into(), viewer: "admin".into(), write: true, label: "clerk".into() };
    let admin = store.create_token(&new).unwrap().secret;
    let text = scenario_text("dockworkers-2026.toml");
    let path = "/api/v1/negotiations/dockworkers-2026/import";
    let bearer = format!("Bearer {admin}");
    let import = |if_match: &str, body: &str| {
        let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/toml"), ("If-Match", if_match)];
        request(server.address, "POST", path, &headers, body.as_bytes())
    };
    // Nothing recorded yet: its reads are 404, and the head to name is "0".
    assert_eq!(server.get(&admin, "/api/v1/negotiations/dockworkers-2026/status").status, 404);
    let broken = import("\"0\"", "[negotiation]\nid = 3\n");
    assert_eq!((broken.status, broken.code().as_str()), (422, "invalid"), "{broken:?}");
    let wrong = import("\"0\"", &scenario_text(UKRAINE));
    assert_eq!(wrong.json()["errors"][0]["field"], "negotiation.id");
    let first = import("\"0\"", &text);
    assert_eq!(first.status, 201, "{first:?}");
    let head = first.header("etag").unwrap().to_owned();
    // The same file again changes nothing: 200, the head unchanged.
    let again = import(&head, &text);
    assert_eq!((again.status, again.header("etag")), (200, Some(head.as_str())));
    assert_eq!(again.json()["appended"], 0);
    assert_eq!(server.get(&admin, "/api/v1/negotiations/dockworkers-2026/status").status, 200);
}

fn the_openapi_document_lists_every_route(fresh: &dyn Fn() -> Database) {
    let db = fresh();
    let server = Server::start(db, UKRAINE);
    let document = server.get("", "/api/v1/openapi.json").json();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"), "{}", document["openapi"]);
    let paths = document["paths"].as_object().unwrap();
    for route in ["status", "diff", "claims", "analysis", "frontier", "events", "export", "scenario"] {
        assert!(paths.contains_key(&format!("/api/v1/negotiations/{{id}}/{route}")), "{route}");
    }
    for (route, ..) in writes() {
        assert!(paths.contains_key(&format!("/api/v1/negotiations/{{id}}/{route}")), "{route}");
    }
    assert_eq!(server.get("", "/api/v1/docs/").status, 200);
    let unknown = server.get(server.token("UA"), "/api/v1/nothing-here");
    assert_eq!((unknown.status, unknown.code().as_str()), (404, "not_found"));
    let wrong_method = server.get(server.token("UA"), &server.path("stances"));
    assert_eq!((wrong_method.status, wrong_method.code().as_str()), (405, "method_not_allowed"));
}

/// Reads from many viewers at once — on PostgreSQL their token lookups share statements, and the
/// same token's share a row — are
/// each answered for their own token: the answer it is given alone, and 401 for an unknown or
/// revoked one; a write in between moves every viewer on alike.
fn concurrent_reads_are_each_answered_for_their_own_token(fresh: &dyn Fn() -> Database) {
    let db = fresh();
    let server = Server::start(db, UKRAINE);
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    let revoked = store.tokens(None).unwrap().into_iter().find(|token| token.viewer == "RU" && !token.write).unwrap().id;
    assert!(store.revoke_token(&revoked).unwrap());
    // The event log's caller is looked up alone (no head with it), the others' with the head.
    let routes = ["status", "claims", "status?as_of=geneva", "events"];
    let mut tokens: Vec<&str> = server.tokens.values().map(String::as_str).collect();
    tokens.push("parley_0000");
    let alone = |server: &Server| -> Vec<(u16, String)> {
        tokens
            .iter()
            .flat_map(|token| routes.map(|route| server.get(token, &server.path(route))))
            .map(|answer| (answer.status, answer.body))
            .collect()
    };
    let together = |server: &Server| -> Vec<(u16, String)> {
        std::thread::scope(|scope| {
            let asked: Vec<_> = (0..4)
                .flat_map(|_| tokens.iter().flat_map(|token| routes.map(|route| (*token, route))))
                .map(|(token, route)| scope.spawn(move || server.get(token, &server.path(route))))
                .collect();
            asked.into_iter().map(|handle| handle.join().unwrap()).map(|answer| (answer.status, answer.body)).collect()
        })
    };
    for day in [15, 16] {
        let expected = alone(&server);
        assert!(expected.iter().any(|(status, _)| *status == 401) && expected.iter().any(|(status, _)| *status == 200));
        let answers = together(&server);
        assert_eq!(answers.len(), 4 * expected.len());
        for (place, answer) in answers.iter().enumerate() {
            assert_eq!(answer, &expected[place % expected.len()], "read {place} of many at once");
        }
        // A stance by UA, and again.
        let head = server.view_head(server.token("UA"));
        let body = format!(
            r#"{{"party":"UA","item":1,"position":"opposes","at":{{"date":"2026-01-{day}"}},"source":"test","visibility":"public","note":"read by all"}}"#
        );
        let written = server.post(server.token("UA"), &server.path("stances"), &head, &body);
        assert_eq!(written.status, 201, "{written:?}");
    }
}

/// A flood of requests that keeps every blocking thread busy opens no more stores than can be in
/// use at once: each goes back to the pool rather than being closed and opened again (on
/// PostgreSQL a backend process and a password exchange each time).
fn a_flood_opens_no_more_stores_than_can_be_in_use_at_once(fresh: &dyn Fn() -> Database) {
    let db = fresh();
    let server = Server::start(db, UKRAINE);
    // Reads answered on blocking threads (not from kept answers), by 64 clients at once.
    let routes = ["events", "export", "analysis", "scenario", "status", "claims"];
    std::thread::scope(|scope| {
        for client in 0..64 {
            let server = &server;
            scope.spawn(move || {
                for round in 0..15 {
                    let route = routes[(client + round) % routes.len()];
                    let answer = server.get(server.token("mediator"), &server.path(route));
                    assert_eq!(answer.status, 200, "{route}: {answer:?}");
                }
            });
        }
    });
    // At most one store per blocking thread and one per runtime worker (the test's runtime has
    // two), the first of them opened at start.
    let bound = parley_server::state::MAX_BLOCKING + 2;
    assert!(server.state.stores_opened() < bound, "{} stores opened for at most {bound} in use", server.state.stores_opened());
}

/// A server on a database of its own on the test PostgreSQL server, holding the Ukraine
/// scenario; `None` (said on stderr) when `PARLEY_TEST_PG_URL` names none.
fn ukraine_on_postgres() -> Option<Server> {
    let Some(pg) = support::postgres_server() else {
        let _ = std::io::stderr().write_all(b"PARLEY_TEST_PG_URL is not set: skipping the server's PostgreSQL tests\n");
        return None;
    };
    Some(Server::start(Database::postgres(&pg), UKRAINE))
}

/// PostgreSQL: a reads' token lookup whose connection is cut under its statement (a restart, a
/// proxy's idle timeout, `pg_terminate_backend`) is made once more on a store opened anew, and no
/// read fails for it. Read here: the event log, whose caller is looked up with the reads (a
/// status read whose lookup fails takes the slower path of a lookup of its own instead). The
/// lookup is held under way by a lock on the tokens taken here, and its connection is cut while
/// it waits.
#[test]
fn postgres_lookups_try_again_when_their_connection_is_cut() {
    let Some(server) = ukraine_on_postgres() else { return };
    let public = server.token("public");
    let events = || server.get(public, &server.path("events"));
    let first = events();
    assert_eq!(first.status, 200, "{first:?}");
    let connect = || ::postgres::Client::connect(&server.db.url, ::postgres::NoTls).unwrap();
    let mut admin = connect();
    let mut holder = connect();
    let mut transaction = holder.transaction().unwrap();
    transaction.batch_execute("LOCK TABLE tokens IN ACCESS EXCLUSIVE MODE").unwrap();
    std::thread::scope(|scope| {
        let reads: Vec<_> = (0..4).map(|_| scope.spawn(events)).collect();
        let waiting_sql = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let waiting: Vec<i32> = loop {
            let waiting: Vec<i32> = admin.query(waiting_sql, &[]).unwrap().iter().map(|row| row.get(0)).collect();
            if !waiting.is_empty() || std::time::Instant::now() > deadline {
                break waiting;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert_eq!(waiting.len(), 1, "one lookup waits for the lock: {waiting:?}");
        assert!(admin.query_one("SELECT pg_terminate_backend($1)", &[&waiting[0]]).unwrap().get::<_, bool>(0));
        transaction.rollback().unwrap();
        for read in reads {
            let answer = read.join().unwrap();
            assert_eq!((answer.status, &answer.body), (200, &first.body), "after a cut under a statement: {answer:?}");
        }
    });
}

/// Both tries of a batched lookup fail (each connection cut while its statement waits): a read of
/// the record (`status`) then looks its token up by itself and answers as before; a read that
/// needs only its caller (`events`) answers 503 `database_unavailable`, naming nothing of the
/// database, and the reads after it are answered again.
#[test]
fn postgres_lookups_cut_twice_fall_back_or_fail_without_a_trace() {
    let Some(server) = ukraine_on_postgres() else { return };
    let public = server.token("public");
    let read = |route: &str| server.get(public, &server.path(route));
    let (status, events) = (read("status"), read("events"));
    assert_eq!((status.status, events.status), (200, 200), "{status:?} {events:?}");
    let connect = || ::postgres::Client::connect(&server.db.url, ::postgres::NoTls).unwrap();
    let mut admin = connect();
    // Cuts the next backend found waiting for the lock on `tokens` that is not among `cut`.
    let mut cut_next = |cut: &mut Vec<i32>| {
        let waiting_sql = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let pid = loop {
            let waiting: Vec<i32> = admin.query(waiting_sql, &[]).unwrap().iter().map(|row| row.get(0)).collect();
            if let Some(pid) = waiting.into_iter().find(|pid| !cut.contains(pid)) {
                break pid;
            }
            assert!(std::time::Instant::now() < deadline, "no new lookup waits for the lock");
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert!(admin.query_one("SELECT pg_terminate_backend($1)", &[&pid]).unwrap().get::<_, bool>(0));
        cut.push(pid);
    };
    for (route, before) in [("status", &status), ("events", &events)] {
        let mut holder = connect();
        let mut transaction = holder.transaction().unwrap();
        transaction.batch_execute("LOCK TABLE tokens IN ACCESS EXCLUSIVE MODE").unwrap();
        let mut cut = Vec::new();
        let answer = std::thread::scope(|scope| {
            let answer = scope.spawn(|| read(route));
            // The batched statement, then its second try on a connection opened anew.
            cut_next(&mut cut);
            cut_next(&mut cut);
            if route == "events" {
                // No lookup of its own: the read fails while the lock is still held.
                let answer = answer.join().unwrap();
                transaction.rollback().unwrap();
                answer
            } else {
                transaction.rollback().unwrap();
                answer.join().unwrap()
            }
        });
        if route == "status" {
            assert_eq!((answer.status, &answer.body), (200, &before.body), "status after two cuts: {answer:?}");
        } else {
            // The database went away under the statement: unavailable for now, not a failure.
            assert_eq!(answer.status, 503, "events after two cuts: {answer:?}");
            assert_eq!(answer.header("content-type"), Some("application/problem+json"), "{answer:?}");
            assert!(answer.body.contains(r#""code": "database_unavailable""#), "{}", answer.body);
            let lower = answer.body.to_lowercase();
            for secret in ["terminat", "tokens", "postgres", "sql", "54329", public] {
                assert!(!lower.contains(&secret.to_lowercase()), "the problem names `{secret}`: {}", answer.body);
            }
        }
        let again = read(route);
        assert_eq!((again.status, &again.body), (200, &before.body), "{route} after the lock: {again:?}");
    }
}

/// PostgreSQL over TLS (`sslmode=verify-full` against the test server's CA): the server answers
/// reads (batched lookups included) and writes, and every connection it holds speaks TLS.
#[test]
fn postgres_over_tls_serves_reads_and_writes_on_connections_that_all_use_tls() {
    let ca = std::env::var("PARLEY_TEST_PG_CA").ok().filter(|ca| std::path::Path::new(ca).exists());
    let (Some(pg), Some(ca)) = (support::postgres_server(), ca) else {
        let _ = std::io::stderr().write_all(b"PARLEY_TEST_PG_URL or PARLEY_TEST_PG_CA is not set: skipping the server's TLS test\n");
        return;
    };
    let mut db = Database::postgres(&pg);
    let plain = db.url.clone();
    db.url = format!("{plain}?sslmode=verify-full&sslrootcert={ca}");
    let server = Server::start(db, UKRAINE);
    for route in ["status", "events"] {
        let answer = server.get(server.token("public"), &server.path(route));
        assert_eq!(answer.status, 200, "{route}: {answer:?}");
    }
    let head = server.view_head(server.token("UA"));
    let body = r#"{"party":"UA","item":1,"position":"opposes","at":{"date":"2026-01-15"},"source":"test","visibility":"public","note":"over TLS"}"#;
    let written = server.post(server.token("UA"), &server.path("stances"), &head, body);
    assert_eq!(written.status, 201, "{written:?}");
    let mut admin = ::postgres::Client::connect(&plain, ::postgres::NoTls).unwrap();
    let sql = "SELECT a.pid, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()";
    let connections: Vec<(i32, bool)> = admin.query(sql, &[]).unwrap().iter().map(|row| (row.get(0), row.get(1))).collect();
    assert!(!connections.is_empty());
    assert!(connections.iter().all(|(_, ssl)| *ssl), "a connection without TLS: {connections:?}");
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::on_sqlite(super::$name);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    super::on_postgres(super::$name);
                }
            )*
        }
    };
}

type Test = fn(&dyn Fn() -> Database);

fn on_sqlite(test: Test) {
    test(&Database::sqlite);
}

fn on_postgres(test: Test) {
    match support::postgres_server() {
        Some(server) => test(&|| Database::postgres(&server)),
        None => {
            let _ = std::io::stderr().write_all(b"PARLEY_TEST_PG_URL is not set: skipping the server's PostgreSQL tests\n");
        }
    }
}

on_both_backends!(
    auth_refuses_missing_unknown_and_revoked_tokens,
    another_negotiation_is_answered_like_a_missing_one,
    a_party_never_writes_another_partys_entities,
    heads_are_required_and_a_stale_one_appends_nothing,
    bad_bodies_are_problems_and_append_nothing,
    a_hidden_round_is_answered_like_a_missing_one,
    the_openapi_document_lists_every_route,
    each_role_may_make_only_its_writes,
    a_signing_partys_writes_are_refused_not_forged,
    a_write_by_another_process_is_read_at_once,
    an_admin_imports_a_new_negotiation,
    concurrent_reads_are_each_answered_for_their_own_token,
    a_flood_opens_no_more_stores_than_can_be_in_use_at_once,
);
