//! Confidentiality over real HTTP, route by route from the OpenAPI document (so a route added
//! later is covered without touching this file), for every viewer of every bundled scenario and of
//! a copy of the 2025 talks whose every red line, preference and demand is private
//! (`tests/data/ukraine-2025-private.toml`):
//!
//! - (a) no answer — body or header, success or error — holds a string of the whole record the
//!   viewer's view lacks (an expression, value, id, note…), nor the hash or key of an event the
//!   viewer's log does not show;
//! - (b) non-interference: every answer equals the answer of a second server holding only the
//!   viewer's export (`parley export --viewer V`, imported into a fresh database), for every GET
//!   (path parameters filled from the record, query parameters given every round of the whole
//!   record, hidden ones too) and for invalid writes that name hidden and missing entities alike.
//!
//! Heads are compared exactly: every viewer but the admin is told its view head (`ETag`, a `head`
//! in a body, `If-Match` of the writes), a hash of its view alone, which the second server must
//! tell it too; the log's chain head hash is one of the strings it may never be told. What is
//! normalised, and why it does not leak: the request id and date headers; an `events` line's
//! `recorded_at`, `hash` and `prev_hash` (only the admin's lines have the last two), and the order
//! of the lines, because the two servers' logs are different logs (the second holds one import of
//! the view): they are the time and the chain of the log, not the record's content. For the admin
//! alone, who sees everything, the head is the chain head (its `ETag`, a `head` in a body), which
//! differs between the two logs for the same reason.

mod support;

use std::collections::BTreeSet;

use parley_core::model::Negotiation;
use parley_core::visibility::{Viewer, view};
use serde_json::Value;
use support::{Answer, Database, Server, request, request_within, scenario_text};

/// The private copy of the 2025 talks.
const PRIVATE: &str = include_str!("data/ukraine-2025-private.toml");

/// The records checked: each bundled scenario and the private copy.
fn records() -> Vec<(&'static str, String)> {
    let mut records: Vec<(&'static str, String)> =
        ["dockworkers-2026.toml", "iran-nuclear-2013-2016.toml", "ukraine-2025.toml"].map(|name| (name, scenario_text(name))).to_vec();
    records.push(("ukraine-2025-private.toml", PRIVATE.to_owned()));
    records
}

/// Every viewer of `negotiation` a token may be: admin, mediator, public, each party, and each
/// bloc the service accepts as a viewer (today none: a bloc's members each read as themselves).
fn viewers(negotiation: &Negotiation) -> Vec<String> {
    let mut viewers: Vec<String> = ["admin", "mediator", "public"].map(str::to_owned).to_vec();
    viewers.extend(negotiation.parties.iter().map(|party| party.id.clone()));
    let blocs = negotiation.blocs.iter().filter(|bloc| parley_service::viewer(negotiation, &bloc.id).is_ok());
    viewers.extend(blocs.map(|bloc| bloc.id.clone()));
    viewers
}

/// The service's name of a token's viewer.
fn service_viewer(viewer: &str) -> &str {
    if viewer == "admin" { "all" } else { viewer }
}

/// The points a query may name: the default, `start`, every round of the whole record (hidden
/// ones too), a date, and a point that does not exist.
fn points(negotiation: &Negotiation) -> Vec<Option<String>> {
    let mut points = vec![None, Some("start".to_owned()), Some("2025-12-01".to_owned()), Some("no-such-point".to_owned())];
    points.extend(negotiation.rounds.iter().map(|round| Some(round.id.clone())));
    points
}

/// The values of a path parameter, from the record (a parameter the record does not name gets
/// one that exists nowhere).
fn path_values(name: &str, negotiation: &Negotiation) -> Vec<String> {
    match name {
        "id" => vec![negotiation.id.clone()],
        "party" => negotiation.parties.iter().map(|party| party.id.clone()).collect(),
        "round" => negotiation.rounds.iter().map(|round| round.id.clone()).collect(),
        "item" => negotiation.items.iter().map(|item| item.number.to_string()).collect(),
        "issue" => negotiation.issues.iter().map(|issue| issue.id.clone()).collect(),
        "red_line" | "red-line" => negotiation.red_lines.iter().map(|line| line.id.clone()).collect(),
        "statement" => negotiation.statements.iter().map(|statement| statement.id.clone()).collect(),
        _ => vec!["no-such-thing".to_owned()],
    }
}

/// Every GET request the OpenAPI document declares, filled from the whole record.
fn get_requests(document: &Value, negotiation: &Negotiation) -> Vec<String> {
    let mut requests = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        let Some(get) = item.get("get") else { continue };
        let parameters = get["parameters"].as_array().cloned().unwrap_or_default();
        let mut filled = vec![path.clone()];
        for parameter in parameters.iter().filter(|parameter| parameter["in"] == "path") {
            let name = parameter["name"].as_str().unwrap();
            let placeholder = format!("{{{name}}}");
            let values = path_values(name, negotiation);
            filled = filled.iter().flat_map(|path| values.iter().map(|value| path.replace(&placeholder, value))).collect();
        }
        for path in filled {
            requests.push(path.clone());
            for parameter in parameters.iter().filter(|parameter| parameter["in"] == "query") {
                let name = parameter["name"].as_str().unwrap();
                for point in points(negotiation).into_iter().flatten() {
                    requests.push(format!("{path}?{name}={point}"));
                }
            }
        }
    }
    requests
}

/// Every POST route of the document, by its last segment.
fn post_routes(document: &Value) -> Vec<String> {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, item)| item.get("post").is_some())
        .map(|(path, _)| path.rsplit('/').next().unwrap().to_owned())
        .collect()
}

/// Invalid bodies for a write route, naming every round, item and party of the whole record
/// (hidden ones among them) and ones that exist nowhere; none of them can be recorded.
fn invalid_bodies(route: &str, negotiation: &Negotiation, viewer: &str) -> Vec<(&'static str, String)> {
    let party = negotiation.parties.iter().find(|party| party.id == viewer).map_or("NOBODY", |party| party.id.as_str());
    let mut rounds: Vec<&str> = negotiation.rounds.iter().map(|round| round.id.as_str()).collect();
    rounds.push("no-such-round");
    let mut bodies: Vec<(&'static str, String)> =
        vec![("application/json", "{}".to_owned()), ("application/json", "[".to_owned()), ("application/json", "{\"x\": 1}".to_owned())];
    for round in &rounds {
        let body = match route {
            "stances" => format!(
                r#"{{"party":"{party}","item":9999,"position":"opposes","at":{{"round":"{round}"}},"source":"","visibility":"public","note":""}}"#
            ),
            "statements" => format!(
                r#"{{"speaker":"S","party":"{party}","date":"2025-12-23","round":"{round}","venue":"","outlet":"","attribution":"named","quote":"q","source":"","claims":[{{"kind":{{"kind":"item-agreed","item":9999}},"negated":false,"note":""}}]}}"#
            ),
            "demands" => format!(
                r#"{{"party":"{party}","issue":"no_such_issue","value":"x","visibility":"public","source":"","at":{{"round":"{round}"}}}}"#
            ),
            "revisions" => format!(
                r#"{{"item":9999,"revision":{{"round":"{round}","by":"{party}","title":null,"text":"x","proposes":{{}},"removed":false,"restored":false,"note":"","source":""}}}}"#
            ),
            "rounds" => format!(
                r#"{{"id":"{round}","title":"T","date":"not-a-date","planned":false,"venue":"","kind":"meeting","participants":["{party}"],"summary":""}}"#
            ),
            _ => continue,
        };
        bodies.push(("application/json", body));
    }
    for item in &negotiation.items {
        if route == "revisions" {
            bodies.push((
                "application/json",
                format!(
                    r#"{{"item":{},"document":"{}","revision":{{"round":"no-such-round","by":"{party}","title":null,"text":"x","proposes":{{}},"removed":false,"restored":false,"note":"","source":""}}}}"#,
                    item.number, item.document
                ),
            ));
        }
    }
    match route {
        "red-lines" => bodies.push((
            "application/json",
            format!(
                r#"{{"party":"{party}","expression":"nato ==","description":"","visibility":"public","since":"start","until":null,"source":""}}"#
            ),
        )),
        "preferences" => bodies.push((
            "application/json",
            format!(r#"{{"party":"{party}","visibility":"public","reservation":2.0,"issues":{{"no_such_issue":{{"weight":1.0}}}}}}"#),
        )),
        "import" => bodies.push(("application/toml", "[negotiation]\nid = 3\n".to_owned())),
        _ => {}
    }
    bodies
}

/// A GET as `token`. The event stream never ends: it is asked to replay every event the viewer
/// may see (`Last-Event-ID: 0`), read for two seconds, and its messages' data lines are compared
/// as the `events` route's lines are (the `id`s are the viewer's own positions, compared too).
fn read(server: &Server, token: &str, path: &str) -> Answer {
    if !path.contains("/events/stream") {
        return server.get(token, path);
    }
    let bearer = format!("Bearer {token}");
    let headers = [("Authorization", bearer.as_str()), ("Last-Event-ID", "0")];
    let mut answer = request_within(server.address, "GET", path, &headers, b"", Some(std::time::Duration::from_secs(2)));
    if answer.status == 200 {
        let ids: Vec<&str> = answer.body.lines().filter_map(|line| line.strip_prefix("id:")).map(str::trim).collect();
        let data: Vec<&str> = answer.body.lines().filter_map(|line| line.strip_prefix("data:")).map(str::trim).collect();
        let body = format!("{}\n{}", serde_json::json!(ids), data.join("\n"));
        answer.headers.insert("content-type".to_owned(), "application/x-ndjson".to_owned());
        answer.body = body;
    }
    answer
}

/// An answer as compared across the two servers: status, headers but the request's own, body (and
/// an event log's lines without their time, sorted). For the admin (`chain_head` given), the
/// server's chain head is named `HEAD` and its `ETag` left out.
fn normalised(answer: &Answer, chain_head: Option<&str>) -> String {
    let mut text = format!("{}\n", answer.status);
    for (name, value) in &answer.headers {
        let etag = name == "etag" && chain_head.is_some();
        if !etag && !["x-request-id", "date", "content-length"].contains(&name.as_str()) {
            text.push_str(&format!("{name}: {value}\n"));
        }
    }
    let body = chain_head.map_or_else(|| answer.body.clone(), |head| answer.body.replace(head, "HEAD"));
    if answer.header("content-type") == Some("application/x-ndjson") {
        let mut lines: Vec<String> = body
            .lines()
            .map(|line| {
                let mut event: Value = serde_json::from_str(line).unwrap();
                if let Some(object) = event.as_object_mut() {
                    for chain in ["recorded_at", "hash", "prev_hash"] {
                        object.remove(chain);
                    }
                }
                event.to_string()
            })
            .collect();
        lines.sort();
        text.push_str(&lines.join("\n"));
    } else {
        text.push_str(&body);
    }
    text
}

/// Every string value of a JSON value, recursively, and its keys (the format's words) apart.
fn strings(value: &Value, out: &mut BTreeSet<String>, keys: &mut BTreeSet<String>) {
    match value {
        Value::String(text) => {
            out.insert(text.clone());
        }
        Value::Array(values) => values.iter().for_each(|value| strings(value, out, keys)),
        Value::Object(map) => {
            for (key, value) in map {
                keys.insert(key.clone());
                strings(value, out, keys);
            }
        }
        _ => {}
    }
}

/// What `viewer` may never be told: every string of the whole record its view does not hold
/// (short ones aside: they are words of every answer), and the hash and key of every event its
/// log does not show, the chain head's hash among them.
fn forbidden(whole: &Negotiation, viewer: &str, events: &[parley_store::Event], shown_log: &str) -> BTreeSet<String> {
    let seen = view(whole, &service_viewer(viewer).parse::<Viewer>().unwrap());
    let (mut all, mut words) = (BTreeSet::new(), BTreeSet::new());
    strings(&serde_json::to_value(whole).unwrap(), &mut all, &mut words);
    let mut visible = BTreeSet::new();
    strings(&serde_json::to_value(&seen).unwrap(), &mut visible, &mut words);
    let visible_text: String = visible.iter().map(|text| format!("{text}\n")).collect();
    // A string that is also a key of the format (`elements`, a valuation's kind) is a word of it.
    let mut forbidden: BTreeSet<String> = all
        .into_iter()
        .filter(|text| text.chars().count() >= 6 && !visible_text.contains(text.as_str()) && !words.contains(text))
        .collect();
    for event in events {
        for secret in [&event.hash, &event.key] {
            if secret.len() >= 16 && !shown_log.contains(secret.as_str()) {
                forbidden.insert(secret.clone());
            }
        }
    }
    forbidden
}

/// Panics when `answer` holds one of `forbidden`, as is or as JSON escapes it (but what the
/// request itself said: an error may quote it back).
fn assert_tells_nothing(answer: &Answer, forbidden: &BTreeSet<String>, asked: &str, what: &str) {
    let mut told = answer.body.clone();
    for (name, value) in &answer.headers {
        told.push_str(&format!("\n{name}: {value}"));
    }
    for secret in forbidden.iter().filter(|secret| !asked.contains(secret.as_str())) {
        let escaped = serde_json::to_string(secret).unwrap();
        let escaped = &escaped[1..escaped.len() - 1];
        assert!(!told.contains(secret.as_str()) && !told.contains(escaped), "{what} tells {secret:?}:\n{}", answer.body);
    }
}

/// Panics at the first line where the whole record's answer differs from the export's.
fn assert_same(whole: &str, alone: &str, what: &str) {
    if whole != alone {
        let line = whole.lines().zip(alone.lines()).position(|(a, b)| a != b).unwrap_or(whole.lines().count().min(alone.lines().count()));
        let at = |text: &str| text.lines().skip(line.saturating_sub(2)).take(5).collect::<Vec<_>>().join("\n");
        panic!("{what}: differs from the viewer's export at line {line}\n=== whole record:\n{}\n=== export:\n{}", at(whole), at(alone));
    }
}

/// A write as `token`, against the head its viewer is told.
fn post(server: &Server, token: &str, route: &str, content_type: &str, body: &str) -> Answer {
    let bearer = format!("Bearer {token}");
    let quoted = format!("\"{}\"", server.view_head(token));
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", content_type), ("If-Match", quoted.as_str())];
    request(server.address, "POST", &server.path(route), &headers, body.as_bytes())
}

/// A server over the viewer's export of `whole`'s database, as `parley export --viewer V` writes
/// it and `parley import` reads it into a fresh database.
fn export_server(whole: &Server, viewer: &str) -> Server {
    let mut store = parley_store::open_store(&whole.db.url, false).unwrap();
    let exported = parley_service::export(&mut *store, &whole.negotiation, None, service_viewer(viewer)).unwrap();
    Server::start_text(Database::sqlite(), &exported.text)
}

fn check_record(name: &str, text: &str) {
    let whole_record = parley_core::scenario::parse(text).unwrap().negotiation;
    let server = Server::start_text(Database::sqlite(), text);
    // Tokens for blocs, which `Server` does not make.
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    let mut tokens = server.tokens.clone();
    for bloc in &whole_record.blocs {
        let new =
            parley_store::NewToken { negotiation: whole_record.id.clone(), viewer: bloc.id.clone(), write: true, label: "bloc".into() };
        tokens.insert(bloc.id.clone(), store.create_token(&new).unwrap().secret);
    }
    let events = store.events(&whole_record.id).unwrap();
    let document = server.get("", "/api/v1/openapi.json").json();
    let gets = get_requests(&document, &whole_record);
    let posts = post_routes(&document);
    assert!(gets.len() > 20 && posts.len() >= 8, "{name}: {} GETs, {} POSTs", gets.len(), posts.len());
    for viewer in viewers(&whole_record) {
        let token = &tokens[&viewer];
        let (_, head) = server.head();
        let shown_log = server.get(token, &server.path("events")).body;
        let secrets = if viewer == "admin" { BTreeSet::new() } else { forbidden(&whole_record, &viewer, &events, &shown_log) };
        let exported = export_server(&server, &viewer);
        let export_token = match exported.tokens.get(&viewer) {
            Some(token) => token.clone(),
            // A bloc: the export server makes no bloc tokens either.
            None => {
                let mut store = parley_store::open_store(&exported.db.url, false).unwrap();
                let new = parley_store::NewToken {
                    negotiation: whole_record.id.clone(),
                    viewer: viewer.clone(),
                    write: true,
                    label: "bloc".into(),
                };
                store.create_token(&new).unwrap().secret
            }
        };
        let (_, export_head) = exported.head();
        // Only the admin is told the chain head, which differs between the two logs.
        let (here, there) = if viewer == "admin" { (Some(head.as_str()), Some(export_head.as_str())) } else { (None, None) };
        for path in &gets {
            let answer = read(&server, token, path);
            let what = format!("{name}: GET {path} as {viewer}");
            assert!(answer.status < 500, "{what}: {answer:?}");
            assert_tells_nothing(&answer, &secrets, path, &what);
            let alone = read(&exported, &export_token, path);
            assert_same(&normalised(&answer, here), &normalised(&alone, there), &what);
        }
        for route in &posts {
            for (content_type, body) in invalid_bodies(route, &whole_record, &viewer) {
                let what = format!("{name}: POST {route} as {viewer} with {body:.120}");
                let answer = post(&server, token, route, content_type, &body);
                assert!((400..500).contains(&answer.status), "{what}: {answer:?}");
                assert_tells_nothing(&answer, &secrets, &body, &what);
                let alone = post(&exported, &export_token, route, content_type, &body);
                assert_same(&normalised(&answer, here), &normalised(&alone, there), &what);
            }
        }
        assert_eq!(server.head().1, head, "{name}: an invalid write by {viewer} appended");
    }
}

/// The sweep of one of [`records`], by name (one test each, so that they run side by side).
fn sweep(name: &str) {
    let (name, text) = records().into_iter().find(|(held, _)| *held == name).expect("one of the records");
    check_record(name, &text);
}

#[test]
fn no_route_tells_a_viewer_more_than_its_export() {
    sweep("ukraine-2025.toml");
}

#[test]
fn no_route_tells_a_viewer_more_than_its_export_on_dockworkers() {
    sweep("dockworkers-2026.toml");
}

#[test]
fn no_route_tells_a_viewer_more_than_its_export_on_iran() {
    sweep("iran-nuclear-2013-2016.toml");
}

#[test]
fn no_route_tells_a_viewer_more_than_its_export_on_a_private_record() {
    sweep("ukraine-2025-private.toml");
}

/// Every record is swept by one of the tests above.
#[test]
fn every_record_is_swept() {
    let swept = ["ukraine-2025.toml", "dockworkers-2026.toml", "iran-nuclear-2013-2016.toml", "ukraine-2025-private.toml"];
    for (name, _) in records() {
        assert!(swept.contains(&name), "{name} is not swept");
    }
}

/// A valid body creating a red line, statement or round as `viewer`, with `id` when given.
fn creating(route: &str, whole: &Negotiation, viewer: &str, id: Option<&str>) -> String {
    let party = whole.parties.iter().find(|party| party.id == viewer).map(|party| party.id.clone());
    let mut body = match route {
        "red-lines" => serde_json::json!({"party": party, "expression": whole.red_lines[0].expression, "description": "",
            "visibility": "private", "since": "start", "until": null, "source": ""}),
        "statements" => serde_json::json!({"speaker": "S", "party": party, "date": "2025-12-23", "round": null, "venue": "",
            "outlet": "", "attribution": "named", "quote": "q", "source": "", "claims": []}),
        _ => serde_json::json!({"title": "T", "date": "2026-01-10", "planned": false, "venue": "", "kind": "meeting",
            "participants": [], "summary": ""}),
    };
    if let Some(id) = id {
        body["id"] = Value::from(id);
    }
    body.to_string()
}

/// Regression test for the id-clash leak: a party (or the mediator) creating a red line,
/// statement or round with the id of an entity hidden from it was refused as a duplicate, which
/// a server holding only its export did not do: the refusal told it that the hidden entity
/// existed. Now every such write answers exactly as on the export (only a viewer who sees
/// everything names ids), and a write without an id is given a fresh one on both servers. The
/// same for a party recording another party's demand identical to a hidden one (refused as a
/// duplicate, where the export's server said it was not the party's to record).
#[test]
fn creating_an_entity_with_a_hidden_entitys_id_answers_as_the_export_does() {
    let records =
        [("iran-nuclear-2013-2016.toml", scenario_text("iran-nuclear-2013-2016.toml")), ("ukraine-2025-private.toml", PRIVATE.to_owned())];
    for (name, text) in records {
        let whole = parley_core::scenario::parse(&text).unwrap().negotiation;
        let server = Server::start_text(Database::sqlite(), &text);
        let mut ids: Vec<(&str, &str)> = whole.red_lines.iter().map(|red_line| ("red-lines", red_line.id.as_str())).collect();
        ids.extend(whole.statements.iter().map(|statement| ("statements", statement.id.as_str())));
        ids.extend(whole.rounds.iter().map(|round| ("rounds", round.id.as_str())));
        let mut hidden = 0;
        for viewer in viewers(&whole).into_iter().filter(|viewer| viewer != "admin" && server.tokens.contains_key(viewer)) {
            let seen = view(&whole, &service_viewer(&viewer).parse::<Viewer>().unwrap());
            let exported = export_server(&server, &viewer);
            let (token, export_token) = (&server.tokens[&viewer], &exported.tokens[&viewer]);
            for (route, id) in &ids {
                let visible = seen.red_lines.iter().any(|held| held.id == *id)
                    || seen.statements.iter().any(|held| held.id == *id)
                    || seen.rounds.iter().any(|held| held.id == *id);
                hidden += usize::from(!visible);
                let body = creating(route, &whole, &viewer, Some(id));
                let what = format!("{name}: POST {route} as {viewer} naming `{id}`");
                let answer = post(&server, token, route, "application/json", &body);
                let alone = post(&exported, export_token, route, "application/json", &body);
                assert_same(&normalised(&answer, None), &normalised(&alone, None), &what);
                assert_ne!(answer.status, 201, "{what}: {answer:?}");
            }
            // Another party's demand, as the record holds it: a party may not record it, and
            // is told so whether or not the demand is hidden from it (a duplicate of a hidden
            // demand was refused as a duplicate).
            for demand in whole.demands.iter().filter(|demand| demand.party != viewer) {
                let body = serde_json::to_string(demand).unwrap();
                let what = format!("{name}: POST demands as {viewer} of {}'s demand on {}", demand.party, demand.issue);
                let answer = post(&server, token, "demands", "application/json", &body);
                let alone = post(&exported, export_token, "demands", "application/json", &body);
                assert_same(&normalised(&answer, None), &normalised(&alone, None), &what);
                assert_eq!(answer.status, 403, "{what}: {answer:?}");
            }
            for route in ["red-lines", "statements", "rounds"] {
                let body = creating(route, &whole, &viewer, None);
                let what = format!("{name}: POST {route} as {viewer} without an id");
                let answer = post(&server, token, route, "application/json", &body);
                let alone = post(&exported, export_token, route, "application/json", &body);
                assert_eq!(answer.status, alone.status, "{what}: {answer:?} {alone:?}");
                if answer.status == 201 {
                    let id = answer.json()["id"].as_str().unwrap().to_owned();
                    assert!(id.rsplit('-').next().is_some_and(|random| random.len() == 16), "{what}: {id}");
                    assert!(!ids.iter().any(|(_, taken)| *taken == id), "{what}: {id} was taken");
                    let location = answer.header("location").unwrap_or_default();
                    assert!(location.ends_with(&format!("/{id}")), "{what}: {location}");
                } else {
                    assert_same(&normalised(&answer, None), &normalised(&alone, None), &what);
                }
            }
        }
        assert!(hidden > 0, "{name}: no id hidden from any viewer");
    }
}
