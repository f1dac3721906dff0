//! The workbench over real HTTP: sign in and out, the session cookie, CSRF, every page for every
//! viewer (crawled from the dashboard, searched for what the viewer may not see), recording
//! through a form and a stale form refused with an explanation.

mod support;

use std::collections::{BTreeSet, VecDeque};

use support::{Answer, request};
use support::{Database, Server};

const UKRAINE: &str = "ukraine-2025.toml";

fn cookie(token: &str) -> String {
    format!("parley_session={token}")
}

fn page(server: &Server, token: &str, path: &str) -> Answer {
    request(server.address, "GET", path, &[("Cookie", &cookie(token))], b"")
}

fn form(server: &Server, token: &str, path: &str, fields: &[(&str, &str)]) -> Answer {
    let body: Vec<String> = fields.iter().map(|(name, value)| format!("{name}={}", encode(value))).collect();
    let headers = [("Cookie", cookie(token)), ("Content-Type", "application/x-www-form-urlencoded".to_owned())];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(name, value)| (*name, value.as_str())).collect();
    request(server.address, "POST", path, &headers, body.join("&").as_bytes())
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(
            |byte| if byte.is_ascii_alphanumeric() || b"-_.".contains(&byte) { (byte as char).to_string() } else { format!("%{byte:02X}") },
        )
        .collect()
}

/// The value of the hidden field `name` in the first form of `html` that has it.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no field {name}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Every `/n/...` link of a page (forms' actions aside).
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with("/n/"))
        .map(|href| href.replace("&amp;", "&"))
        .collect()
}

#[test]
fn signing_in_by_link_sets_a_strict_http_only_cookie_and_drops_the_token_from_the_address() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let token = server.token("UA");
    // A link opened by the user (typed, pasted, a bookmark): the browser says `none`.
    let typed = [("Sec-Fetch-Site", "none")];
    let answer = request(server.address, "GET", &format!("/sign-in?token={token}"), &typed, b"");
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), Some("/negotiations"));
    let set = answer.header("set-cookie").unwrap();
    assert!(set.contains(&cookie(token)) && set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    let listed = page(&server, token, "/negotiations");
    assert_eq!(listed.status, 200);
    assert!(listed.body.contains(&format!("href=\"/n/{}\"", server.negotiation)), "{}", listed.body);

    let unknown = request(server.address, "GET", "/sign-in?token=parley_nope", &typed, b"");
    assert_eq!(unknown.status, 401);
    // No session (the form shown again sets only its pre-session cookie).
    assert!(!unknown.header("set-cookie").is_some_and(|set| set.starts_with("parley_session=")), "{:?}", unknown.headers);
}

#[test]
fn the_sign_in_form_signs_in_and_signing_out_clears_the_cookie() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let token = server.token("public");
    let form_page = request(server.address, "GET", "/sign-in", &[], b"");
    assert!(form_page.body.contains("name=\"token\""));
    // The form's pre-session token, and the cookie that holds it (double submit).
    let presession = form_page.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let body = format!("token={token}&csrf={}", hidden(&form_page.body, "csrf"));
    let headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", presession.as_str())];
    let signed = request(server.address, "POST", "/sign-in", &headers, body.as_bytes());
    assert_eq!(signed.status, 303, "{}", signed.body);
    let dashboard = page(&server, token, &format!("/n/{}", server.negotiation));
    let csrf = hidden(&dashboard.body, "csrf");
    let refused = form(&server, token, "/sign-out", &[("csrf", "forged")]);
    assert_eq!(refused.status, 403);
    let out = form(&server, token, "/sign-out", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
}

#[test]
fn without_a_session_or_with_a_revoked_token_a_page_sends_to_sign_in() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let path = format!("/n/{}", server.negotiation);
    let anonymous = request(server.address, "GET", &path, &[], b"");
    assert_eq!((anonymous.status, anonymous.header("location")), (303, Some("/sign-in")));
    let token = server.token("RU");
    assert_eq!(page(&server, token, &path).status, 200);
    let mut store = parley_store::open_store(&server.db.url, false).unwrap();
    let id =
        store.tokens(Some(&server.negotiation)).unwrap().into_iter().find(|listed| listed.label == "test RU" && listed.write).unwrap().id;
    assert!(store.revoke_token(&id).unwrap());
    let revoked = page(&server, token, &path);
    assert_eq!((revoked.status, revoked.header("location")), (303, Some("/sign-in")));
    assert!(revoked.header("set-cookie").unwrap().contains("Max-Age=0"));
}

/// Crawls every page reachable from the dashboard as `viewer`; each must answer 200 and hold
/// none of `forbidden`.
fn crawl(server: &Server, viewer: &str, forbidden: &[&str]) -> usize {
    let token = server.token(viewer);
    let start = format!("/n/{}", server.negotiation);
    let mut seen = BTreeSet::from([start.clone()]);
    let mut queue = VecDeque::from([start]);
    while let Some(path) = queue.pop_front() {
        let answer = page(server, token, &path);
        assert_eq!(answer.status, 200, "{viewer} {path}: {}", answer.body);
        for text in forbidden {
            assert!(!answer.body.contains(text), "{viewer} sees `{text}` on {path}");
        }
        for link in links(&answer.body) {
            if seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
    }
    seen.len()
}

#[test]
fn no_page_shows_a_party_s_mediator_only_red_line_to_the_public_or_another_party() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let ua_only = ["ua-troop-floor", "troop_cap &gt;= 800000", "Any stated force level is at least 800,000"];
    let ru_only = ["ru-troop-cap", "ru-all-of-donbas", "troop_cap &lt;= 600000"];
    let both: Vec<&str> = ua_only.iter().chain(&ru_only).copied().collect();
    let pages = crawl(&server, "public", &both);
    assert!(pages > 20, "only {pages} pages reached");
    crawl(&server, "RU", &ua_only);
    crawl(&server, "UA", &ru_only);
    // The test can fail: the mediator does see them.
    let mediator = page(&server, server.token("mediator"), &format!("/n/{}/items/6", server.negotiation));
    assert!(both.iter().any(|text| mediator.body.contains(text)), "{}", mediator.body);
}

#[test]
fn a_party_records_a_stance_through_the_form_and_a_stale_form_is_refused_with_what_changed() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let item = format!("/n/{}/items/1", server.negotiation);
    let ua = page(&server, server.token("UA"), &item);
    let ru = page(&server, server.token("RU"), &item);
    let ru_earlier = page(&server, server.token("RU"), &item);
    let action = format!("/n/{}/record/stance", server.negotiation);
    let fields = |html: &str, note: &'static str| {
        vec![
            ("csrf", hidden(html, "csrf")),
            ("head", hidden(html, "head")),
            ("seq", hidden(html, "seq")),
            ("back", item.clone()),
            ("item", "1".to_owned()),
            ("document", String::new()),
            ("position", "opposes".to_owned()),
            ("at", "2026-01-15".to_owned()),
            ("visibility", "public".to_owned()),
            ("note", note.to_owned()),
        ]
    };
    let ua_fields = fields(&ua.body, "Posted through the workbench");
    let sent: Vec<(&str, &str)> = ua_fields.iter().map(|(name, value)| (*name, value.as_str())).collect();

    // Without the CSRF token nothing is recorded.
    let (before, _) = server.head();
    let forged: Vec<(&str, &str)> = sent.iter().map(|&(name, value)| if name == "csrf" { (name, "0") } else { (name, value) }).collect();
    assert_eq!(form(&server, server.token("UA"), &action, &forged).status, 403);
    assert_eq!(server.head().0, before);

    let recorded = form(&server, server.token("UA"), &action, &sent);
    assert_eq!((recorded.status, recorded.header("location")), (303, Some(item.as_str())), "{}", recorded.body);
    assert!(server.head().0 > before);
    let after = page(&server, server.token("mediator"), &item);
    assert!(after.body.contains("Posted through the workbench"), "{}", after.body);

    // RU's pages were rendered before UA's stance. Another party's stance is not something RU's
    // stance depends on (docs/api.md, "Preconditions"), so the first form still holds; it changes
    // RU's own stance on the item, which makes the second form stale.
    let first = fields(&ru_earlier.body, "Первая позиция");
    let first: Vec<(&str, &str)> = first.iter().map(|(name, value)| (*name, value.as_str())).collect();
    assert_eq!(form(&server, server.token("RU"), &action, &first).status, 303);
    let ru_fields = fields(&ru.body, "Кремль не согласен");
    let ru_sent: Vec<(&str, &str)> = ru_fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let (head, _) = server.head();
    let stale = form(&server, server.token("RU"), &action, &ru_sent);
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(stale.body.contains("the record changed after this page was shown"), "{}", stale.body);
    assert!(stale.body.contains("<td dir=\"auto\">UA</td><td dir=\"auto\">stance"), "who changed what: {}", stale.body);
    assert!(stale.body.contains("Кремль не согласен"), "the note is kept: {}", stale.body);
    assert_eq!(server.head().0, head);
    // The form given back is at the current head: sending it again records RU's stance.
    let again = fields(&stale.body, "Кремль не согласен");
    let again: Vec<(&str, &str)> = again.iter().map(|(name, value)| (*name, value.as_str())).collect();
    assert_eq!(form(&server, server.token("RU"), &action, &again).status, 303);
}

#[test]
fn a_read_only_token_gets_no_forms_and_its_posts_are_refused() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let item = format!("/n/{}/items/1", server.negotiation);
    let shown = page(&server, server.token("UA-ro"), &item);
    assert!(!shown.body.contains("/record/"), "{}", shown.body);
    let fields =
        [("csrf", hidden(&shown.body, "csrf")), ("head", server.head().1), ("item", "1".to_owned()), ("position", "accepts".to_owned())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let refused = form(&server, server.token("UA-ro"), &format!("/n/{}/record/stance", server.negotiation), &fields);
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("only reads"), "{}", refused.body);
}

/// The dashboard as of a past round shows each item in the state `parley status --as-of` gives.
#[test]
fn the_dashboard_as_of_a_round_shows_the_status_as_of_that_round() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let negotiation = parley_core::scenario::parse(&support::scenario_text(UKRAINE)).unwrap().negotiation;
    let public = parley_service::view(negotiation, "public").unwrap();
    for round in ["geneva", "now"] {
        let status = public.status(round).unwrap();
        let shown = page(&server, server.token("public"), &format!("/n/{}?as_of={round}", server.negotiation));
        // The page weight the workbench promises for a dashboard.
        assert!(shown.body.len() < 200_000, "{} bytes", shown.body.len());
        let rows: Vec<&str> = shown.body.split("<tr>").skip(2).collect();
        assert_eq!(rows.len(), status.items.len());
        for (row, item) in rows.iter().zip(&status.items) {
            assert!(row.contains(&format!("class=\"state {}\"", item.state.keyword())), "item {} as of {round}: {row}", item.number);
        }
    }
}

/// Follows a job's page until it is done (or fails the test after a minute).
fn finished_job(server: &Server, token: &str, location: &str) -> String {
    for _ in 0..600 {
        let shown = page(server, token, location);
        assert_eq!(shown.status, 200, "{}", shown.body);
        if !shown.body.contains("data-refresh") {
            return shown.body;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the job at {location} did not finish");
}

#[test]
fn a_simulation_and_a_tournament_run_as_server_jobs_from_the_page() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let token = server.token("mediator");
    let simulations = page(&server, token, &format!("/n/{}/simulations", server.negotiation));
    assert!(simulations.body.contains("Run as a server job"), "{}", simulations.body);
    let csrf = hidden(&simulations.body, "csrf");
    let agents = simulations.body.matches("id=\"agent-").count();
    assert!(agents >= 2, "{}", simulations.body);

    // Run here, synchronously: the result and the trace are on the page.
    let query: Vec<String> = (0..agents).map(|index| format!("agent-{index}=conceder")).collect();
    let here = page(&server, token, &format!("/n/{}/simulations?{}&rounds=50", server.negotiation, query.join("&")));
    assert!(here.body.contains("id=\"result\"") && here.body.contains("<svg"), "{}", here.body);

    let mut fields: Vec<(String, String)> = (0..agents).map(|index| (format!("agent-{index}"), "boulware".to_owned())).collect();
    fields.extend([("rounds".to_owned(), "50".to_owned()), ("seed".to_owned(), "7".to_owned()), ("csrf".to_owned(), csrf.clone())]);
    let sent: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
    let started = form(&server, token, &format!("/n/{}/simulations/jobs", server.negotiation), &sent);
    assert_eq!(started.status, 303, "{}", started.body);
    let done = finished_job(&server, token, started.header("location").unwrap());
    assert!(done.contains("<strong>done</strong>") && done.contains("id=\"result\""), "{done}");

    let tournament = [("csrf", csrf.as_str()), ("agent", "boulware"), ("agent", "conceder"), ("rounds", "20")];
    let started = form(&server, token, &format!("/n/{}/tournaments/jobs", server.negotiation), &tournament);
    assert_eq!(started.status, 303, "{}", started.body);
    let done = finished_job(&server, token, started.header("location").unwrap());
    assert!(done.contains("<strong>done</strong>"), "{done}");

    // Without the CSRF token no job starts.
    let forged = form(&server, token, &format!("/n/{}/tournaments/jobs", server.negotiation), &[("agent", "boulware")]);
    assert_eq!(forged.status, 403);
    // Another viewer's token does not see the job.
    let other = page(&server, server.token("public"), started.header("location").unwrap());
    assert_eq!(other.status, 404, "{}", other.body);
}

/// The fields of the form posting to `action` on `html`, as the browser would send them
/// (hidden fields and the given values).
fn filled(html: &str, action: &str, values: &[(&str, &str)]) -> Vec<(String, String)> {
    let start = html.find(&format!("action=\"{action}\"")).unwrap_or_else(|| panic!("no form for {action}: {html}"));
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    let mut fields: Vec<(String, String)> = form
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|rest| {
            let (name, rest) = rest.split_once('"')?;
            let value = rest.strip_prefix(" value=\"")?.split('"').next()?;
            Some((name.to_owned(), value.replace("&quot;", "\"").replace("&amp;", "&")))
        })
        .collect();
    fields.extend(values.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())));
    fields
}

fn send(server: &Server, token: &str, action: &str, fields: &[(String, String)]) -> Answer {
    let sent: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
    form(server, token, action, &sent)
}

#[test]
fn the_mediator_adds_a_round_and_revises_an_item_and_a_party_records_a_demand_and_a_statement() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let id = server.negotiation.clone();
    let (mediator, ua) = (server.token("mediator"), server.token("UA"));

    let timeline = page(&server, mediator, &format!("/n/{id}/timeline"));
    let action = format!("/n/{id}/record/round");
    let round = [("title", "Talks in Istanbul"), ("date", "2026-02-01"), ("venue", "İstanbul")];
    let answer = send(&server, mediator, &action, &filled(&timeline.body, &action, &round));
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert!(page(&server, ua, &format!("/n/{id}/timeline")).body.contains("Talks in Istanbul"));
    // Its id was assigned by the server (the mediator does not see the whole record).
    let rounds = server.get(mediator, &server.path("scenario")).json()["rounds"].clone();
    let added = rounds.as_array().unwrap().iter().find(|round| round["title"] == "Talks in Istanbul").unwrap();
    let web_round = added["id"].as_str().unwrap().to_owned();
    assert!(web_round.starts_with("round-"), "{web_round}");

    let item = page(&server, mediator, &format!("/n/{id}/items/1"));
    let action = format!("/n/{id}/record/revision");
    let revision = [("round", web_round.as_str()), ("text", "Ukraine's sovereignty is confirmed anew."), ("note", "web")];
    let answer = send(&server, mediator, &action, &filled(&item.body, &action, &revision));
    assert_eq!(answer.status, 303, "{}", answer.body);
    let revised = page(&server, ua, &format!("/n/{id}/items/1"));
    assert!(revised.body.contains("<ins>") && revised.body.contains("anew."), "{}", revised.body);

    let dashboard = page(&server, ua, &format!("/n/{id}"));
    let action = format!("/n/{id}/record/demand");
    let demand = [("issue", "troop_cap"), ("value", "850000"), ("at", "2026-02-01"), ("visibility", "public")];
    let answer = send(&server, ua, &action, &filled(&dashboard.body, &action, &demand));
    assert_eq!(answer.status, 303, "{}", answer.body);

    let claims = page(&server, ua, &format!("/n/{id}/claims"));
    let action = format!("/n/{id}/record/statement");
    let statement = [
        ("speaker", "Речник МЗС"),
        ("date", "2026-02-02"),
        ("quote", "Пункт 1 ще не погоджено."),
        ("claim_item", "1"),
        ("claim_negated", "yes"),
    ];
    let answer = send(&server, ua, &action, &filled(&claims.body, &action, &statement));
    assert_eq!(answer.status, 303, "{}", answer.body);
    let public =
        page(&server, server.token("public"), &format!("/n/{id}/claims?speaker=%D0%A0%D0%B5%D1%87%D0%BD%D0%B8%D0%BA%20%D0%9C%D0%97%D0%A1"));
    assert!(public.body.contains("Пункт 1 ще не погоджено.") && public.body.contains("not: item 1 is agreed"), "{}", public.body);

    // An invalid value is refused with the field named, the input kept, nothing appended.
    let (head, _) = server.head();
    let dashboard = page(&server, ua, &format!("/n/{id}"));
    let bad = [("issue", "troop_cap"), ("value", "many"), ("at", "2026-02-03"), ("visibility", "public")];
    let answer = send(&server, ua, &format!("/n/{id}/record/demand"), &filled(&dashboard.body, &format!("/n/{id}/record/demand"), &bad));
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.body.contains("Your change was not recorded") && answer.body.contains("value=\"many\""), "{}", answer.body);
    assert_eq!(server.head().0, head);
}

/// Regression test for pages that carried the log's chain head (its hash in `data-head` and the
/// forms, its number in the forms, the hash again from the polled `/head`): a party's pages name
/// only its view head and its own count of events, unchanged by an event hidden from it.
#[test]
fn a_partys_pages_carry_its_view_head_not_the_chain_head() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let item = format!("/n/{}/items/1", server.negotiation);
    let polled = format!("/n/{}/head", server.negotiation);
    let before = page(&server, server.token("UA"), &item);
    let line = r#"{"party":"RU","expression":"nato == \"renounced\"","description":"","visibility":"private","since":"start","until":null,"source":""}"#;
    let hidden_write = server.post(server.token("RU"), &server.path("red-lines"), &server.view_head(server.token("RU")), line);
    assert_eq!(hidden_write.status, 201, "{hidden_write:?}");
    let (seq, hash) = server.head();
    let shown = page(&server, server.token("UA"), &item);
    assert!(!shown.body.contains(&hash), "{}", shown.body);
    let ua = server.view_head(server.token("UA"));
    assert_eq!(hidden(&shown.body, "head"), ua);
    assert!(shown.body.contains(&format!("data-head=\"{ua}\"")));
    assert_ne!(hidden(&shown.body, "seq"), seq.to_string(), "the form counts only what UA may see");
    assert_eq!((hidden(&shown.body, "head"), hidden(&shown.body, "seq")), (hidden(&before.body, "head"), hidden(&before.body, "seq")));
    assert_eq!(page(&server, server.token("UA"), &polled).body, ua);
    assert_eq!(page(&server, server.token("admin"), &polled).body, hash);
}
