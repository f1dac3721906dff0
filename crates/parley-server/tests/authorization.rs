//! The role matrix of `docs/security.md` ("What each token may write", jobs among the rows),
//! read from the document itself and checked against the server, so that the table and the code
//! cannot drift: every write and job route of the OpenAPI document has a row, and each role
//! (admin, mediator, a party, public, and the read-only token of each) is allowed or refused (403, nothing appended) exactly as its
//! cell says; a party's writer never writes another party's entity.

mod support;

use std::collections::BTreeMap;

use support::{Database, Server, request, scenario_text};

const UKRAINE: &str = "ukraine-2025.toml";

/// The table's rows: route → (admin, mediator, party, public or read-only) cells.
fn matrix() -> BTreeMap<String, [String; 4]> {
    let document = include_str!("../../../docs/security.md");
    let table = document.split("What each token may write").nth(1).expect("docs/security.md has the write matrix");
    let mut rows = BTreeMap::new();
    for line in table.lines().skip_while(|line| !line.starts_with('|')).take_while(|line| line.starts_with('|')) {
        let cells: Vec<String> = line.trim_matches('|').split('|').map(|cell| cell.trim().to_owned()).collect();
        let Some(route) = cells[0].split('`').nth(1) else { continue };
        if cells.len() == 5 {
            rows.insert(route.to_owned(), [cells[1].clone(), cells[2].clone(), cells[3].clone(), cells[4].clone()]);
        }
    }
    rows
}

/// Whether a cell allows a write of `owner`'s entity by `writer` (a party cell says whose).
fn allows(cell: &str, writer: &str, owner: &str) -> bool {
    match cell {
        "yes" | "yes, anyone's" => true,
        "no" => false,
        "P's own only" => writer == owner,
        other => panic!("docs/security.md: a cell this test cannot read: {other:?}"),
    }
}

/// A body for each write route, of UA's (`{n}` makes ids unique between attempts).
fn body(route: &str, n: usize) -> Option<(&'static str, String)> {
    // A demand is one per party, issue and date: each attempt has its own date.
    let date = format!("2026-{:02}-{:02}", 1 + n / 28 % 12, 1 + n % 28);
    let json = |text: &str| Some(("application/json", text.replace("{n}", &n.to_string()).replace("{date}", &date)));
    match route {
        "stances" => json(
            r#"{"party":"UA","item":1,"position":"opposes","at":{"date":"2026-01-15"},"source":"","visibility":"public","note":"{n}"}"#,
        ),
        "statements" => json(
            r#"{"speaker":"A spokesperson","party":"UA","date":"2025-12-23","round":"kyiv-briefing","venue":"","outlet":"","attribution":"named","quote":"Said.","source":"","claims":[]}"#,
        ),
        "red-lines" => json(
            r#"{"party":"UA","expression":"nato != \"renounced\"","description":"","visibility":"public","since":"start","until":null,"source":""}"#,
        ),
        "demands" => json(
            r#"{"party":"UA","issue":"znpp_operator","value":"us-ua-joint-venture","visibility":"public","source":"{n}","at":{"date":"{date}"}}"#,
        ),
        "preferences" => json(
            r#"{"party":"UA","visibility":"private","reservation":0.{n}1,"issues":[{"issue":"nato","valuation":{"kind":"table","values":[["open",1.0],["deferred",0.5],["renounced",0.0]]},"weight":1.0}]}"#,
        ),
        "rounds" => json(
            r#"{"title":"Test","date":"2026-01-10","planned":false,"venue":"Geneva","kind":"meeting","participants":["US","UA"],"summary":""}"#,
        ),
        "revisions" => json(
            r#"{"item":1,"revision":{"round":"kyiv-briefing","by":"US","title":null,"text":"Revision {n}.","proposes":{},"removed":false,"restored":false,"note":"","source":""}}"#,
        ),
        "tournaments" => json(r#"{"agents":["boulware","conceder"],"rounds":10}"#),
        // One agent per party of the viewer's problem: given by the test, which knows the viewer.
        "simulations" => json(r#"{"agents":[],"rounds":10}"#),
        "import" => {
            Some(("application/toml", scenario_text(UKRAINE).replacen("title = \"US framework", &format!("title = \"Framework {n}"), 1)))
        }
        _ => None,
    }
}

#[test]
fn each_role_writes_exactly_as_the_security_matrix_says() {
    let rows = matrix();
    let server = Server::start(Database::sqlite(), UKRAINE);
    let document = server.get("", "/api/v1/openapi.json").json();
    let routes: Vec<String> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        // The writes to the record, and the jobs (simulations, tournaments), which record nothing
        // but spend the server's time.
        .filter(|(_, item)| item["post"]["tags"].as_array().is_some_and(|tags| tags.iter().any(|tag| tag == "writes" || tag == "jobs")))
        .map(|(path, _)| path.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert!(routes.len() >= 8, "{routes:?}");
    let mut attempt = 0;
    for route in &routes {
        let cells = rows.get(route).unwrap_or_else(|| panic!("docs/security.md has no row for the write route `{route}`"));
        let (content_type, _) = body(route, 0).unwrap_or_else(|| panic!("this test has no body for `{route}`"));
        // (token, the column that governs it, the party it writes as)
        let roles = [
            ("admin", 0, ""),
            ("mediator", 1, ""),
            ("UA", 2, "UA"),
            ("RU", 2, "RU"),
            ("public", 3, ""),
            ("admin-ro", 3, ""),
            ("mediator-ro", 3, ""),
            ("UA-ro", 3, ""),
            ("public-ro", 3, ""),
        ];
        for (token, column, writer) in roles {
            attempt += 1;
            let (_, mut text) = body(route, attempt).unwrap();
            if route == "simulations" {
                text = simulation(&server, token);
            }
            let (seq, hash) = server.head();
            let bearer = format!("Bearer {}", server.token(token));
            // Each token names the head its viewer is told (the chain head only for the admin).
            let quoted = format!("\"{}\"", server.view_head(server.token(token)));
            let headers = [("Authorization", bearer.as_str()), ("Content-Type", content_type), ("If-Match", quoted.as_str())];
            let answer = request(server.address, "POST", &server.path(route), &headers, text.as_bytes());
            let allowed = allows(&cells[column], writer, "UA");
            let job = route == "simulations" || route == "tournaments";
            if allowed && job {
                // Started, or refused only by the viewer rule (a view with fewer than two parties'
                // preferences), never for the token.
                let viewer_rule = answer.status == 422 && answer.body.contains("fewer than two parties");
                assert!(answer.status == 202 || viewer_rule, "{route} by {token}: the matrix allows it: {answer:?}");
            } else if allowed {
                assert!(answer.status == 201 || answer.status == 200, "{route} by {token}: the matrix allows it: {answer:?}");
            } else {
                assert_eq!((answer.status, answer.code().as_str()), (403, "forbidden"), "{route} by {token}: the matrix refuses it");
                assert_eq!(server.head(), (seq, hash), "{route} by {token}: a refused write appended");
            }
        }
    }
}

/// A simulation's body for `token`'s viewer: one agent per party of its problem (two when it has
/// none, which the server refuses by the viewer rule).
fn simulation(server: &Server, token: &str) -> String {
    let viewer = token.strip_suffix("-ro").unwrap_or(token);
    let viewer = if viewer == "admin" { "all" } else { viewer };
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    let negotiation = store.negotiation(&server.negotiation, None).unwrap();
    let parties = parley_service::scenario_problem(&negotiation, "now", viewer, None).map_or(2, |(source, _)| source.problem.parties.len());
    serde_json::json!({"agents": vec!["boulware"; parties], "rounds": 10}).to_string()
}
