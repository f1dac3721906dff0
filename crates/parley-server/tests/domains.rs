//! The GENIUS domain catalogue (`parley serve --domains`): listed the same for every token,
//! unreadable folders listed with their error (never a panic, never a path), chosen by name only
//! (a path, `..` or an unreadable entry is refused and starts nothing), and selectable on the
//! simulations page, whose session and server job then run on the domain.

mod support;

use std::path::{Path, PathBuf};

use parley_server::domains::Catalogue;
use parley_server::state::Settings;
use support::{Answer, Database, Server, request};

const UKRAINE: &str = "ukraine-2025.toml";

fn bundled(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/negmas-generated").join(name)
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

/// A catalogue directory: two of the bundled domains, a folder with a broken profile, a folder
/// with a domain file alone, and a folder holding no XML (not an entry).
fn catalogue_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["gen2p_1e3", "gen3p_1e3"] {
        copy_folder(&bundled(name), &dir.path().join(name));
    }
    copy_folder(&bundled("gen2p_1e3"), &dir.path().join("broken"));
    std::fs::write(dir.path().join("broken/gen2p_1e3_party2.xml"), "<utility_space><objective").unwrap();
    std::fs::create_dir_all(dir.path().join("lonely")).unwrap();
    std::fs::copy(bundled("gen2p_1e3").join("gen2p_1e3.xml"), dir.path().join("lonely/domain.xml")).unwrap();
    std::fs::create_dir_all(dir.path().join("notes")).unwrap();
    std::fs::write(dir.path().join("notes/readme.txt"), "not a domain").unwrap();
    dir
}

fn server_with_domains(dir: &Path) -> Server {
    let domains = Catalogue::scan(&[dir.to_path_buf()]).unwrap();
    Server::start_with(Database::sqlite(), &support::scenario_text(UKRAINE), Settings { domains, ..Settings::default() })
}

#[test]
fn the_catalogue_is_the_same_for_every_token_and_lists_unreadable_folders_with_their_error() {
    let dir = catalogue_dir();
    let server = server_with_domains(dir.path());
    let public = server.get(server.token("public"), "/api/v1/domains");
    assert_eq!(public.status, 200, "{}", public.body);
    let listed = public.json();
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|domain| domain["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["broken", "gen2p_1e3", "gen3p_1e3", "lonely"]);
    assert_eq!(listed[1]["parties"].as_array().unwrap().len(), 2);
    assert_eq!(listed[2]["parties"].as_array().unwrap().len(), 3);
    assert!(listed[1]["error"].is_null() && listed[1]["outcomes"].as_str().is_some());
    for unreadable in [&listed[0], &listed[3]] {
        assert!(unreadable["error"].as_str().is_some_and(|error| !error.is_empty()), "{unreadable}");
    }
    // Where the folders lie is the server's business.
    assert!(!public.body.contains(&dir.path().display().to_string()), "{}", public.body);
    for viewer in ["admin", "mediator", "UA", "RU-ro"] {
        assert_eq!(server.get(server.token(viewer), "/api/v1/domains").body, public.body, "{viewer}");
    }
    assert_eq!(server.get("", "/api/v1/domains").status, 401);
    // No directory: no catalogue, and the server says so rather than start without it.
    assert!(Catalogue::scan(&[dir.path().join("missing")]).is_err());
}

fn job(server: &Server, token: &str, route: &str, body: &str) -> Answer {
    server.post(token, &server.path(route), "", body)
}

fn jobs_in_store(server: &Server) -> usize {
    let connection = rusqlite::Connection::open(&server.db.url).unwrap();
    connection.query_row("SELECT count(*) FROM jobs", [], |row| row.get::<_, i64>(0)).unwrap() as usize
}

/// Regression guard for a client naming files: the `domain` field is looked up among the
/// catalogue's names, never joined to a path, so paths and `..` are refused like unknown names.
#[test]
fn a_domain_is_chosen_by_name_and_a_path_is_refused() {
    let dir = catalogue_dir();
    let server = server_with_domains(dir.path());
    let token = server.token("UA");
    let elsewhere = dir.path().join("gen2p_1e3").display().to_string();
    for domain in ["../gen2p_1e3", "gen2p_1e3/..", "./gen2p_1e3", &elsewhere, "/etc", "..", "broken", "lonely", "notes", "GEN2P_1E3", ""] {
        let body = serde_json::json!({ "agents": ["boulware", "conceder"], "domain": domain }).to_string();
        let refused = job(&server, token, "simulations", &body);
        assert_eq!(refused.status, 422, "{domain}: {}", refused.body);
        assert!(refused.json()["detail"].as_str().unwrap().contains("no domain"), "{domain}: {}", refused.body);
        let tournament = serde_json::json!({ "agents": ["boulware"], "domain": domain }).to_string();
        assert_eq!(job(&server, token, "tournaments", &tournament).status, 422, "{domain}");
    }
    assert_eq!(jobs_in_store(&server), 0, "a refused request starts no job");
    // A domain and a point of the record together make no sense.
    let both = serde_json::json!({ "agents": ["boulware", "conceder"], "domain": "gen2p_1e3", "as_of": "geneva" }).to_string();
    assert_eq!(job(&server, token, "simulations", &both).status, 422);
    // One agent per profile of the domain (2), not per party of the record (6).
    let six = serde_json::json!({ "agents": vec!["boulware"; 6], "domain": "gen2p_1e3" }).to_string();
    assert_eq!(job(&server, token, "simulations", &six).status, 422);
    let two = serde_json::json!({ "agents": ["boulware", "conceder"], "domain": "gen2p_1e3" }).to_string();
    assert_eq!(job(&server, token, "simulations", &two).status, 202);
}

fn cookie_page(server: &Server, token: &str, path: &str) -> Answer {
    request(server.address, "GET", path, &[("Cookie", &format!("parley_session={token}"))], b"")
}

#[test]
fn the_simulations_page_offers_the_catalogue_and_runs_on_a_chosen_domain() {
    let dir = catalogue_dir();
    let server = server_with_domains(dir.path());
    // Only a token that may write starts jobs (docs/security.md).
    let token = server.token("mediator");
    let path = format!("/n/{}/simulations", server.negotiation);
    let page = cookie_page(&server, token, &path);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<option value=\"gen3p_1e3\""), "{}", page.body);
    assert!(!page.body.contains("<option value=\"broken\""), "an unreadable folder is not offered");
    assert!(page.body.contains("could not be read") && page.body.contains("<code>broken</code>"), "{}", page.body);

    let chosen = cookie_page(&server, token, &format!("{path}?domain=gen3p_1e3"));
    assert_eq!(chosen.body.matches("id=\"agent-").count(), 3, "one agent per profile: {}", chosen.body);
    let ran = cookie_page(&server, token, &format!("{path}?domain=gen3p_1e3&agent-0=boulware&agent-1=conceder&agent-2=linear&rounds=50"));
    assert!(ran.body.contains("id=\"result\""), "{}", ran.body);
    let unknown = cookie_page(&server, token, &format!("{path}?domain=..%2Fgen3p_1e3"));
    assert_eq!(unknown.status, 200);
    assert!(unknown.body.contains("no domain `../gen3p_1e3`"), "{}", unknown.body);

    // The server job from the page's form carries the domain.
    let csrf = {
        let marker = "name=\"csrf\" value=\"";
        let start = chosen.body.find(marker).unwrap() + marker.len();
        chosen.body[start..].split('"').next().unwrap().to_owned()
    };
    let body = format!("agent-0=boulware&agent-1=conceder&agent-2=linear&rounds=30&domain=gen3p_1e3&csrf={csrf}");
    let headers = [("Cookie", format!("parley_session={token}")), ("Content-Type", "application/x-www-form-urlencoded".to_owned())];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let started = request(server.address, "POST", &format!("/n/{}/simulations/jobs", server.negotiation), &headers, body.as_bytes());
    assert_eq!(started.status, 303, "{}", started.body);
    let connection = rusqlite::Connection::open(&server.db.url).unwrap();
    let request: String = connection.query_row("SELECT request FROM jobs", [], |row| row.get(0)).unwrap();
    assert!(request.contains("\"domain\":\"gen3p_1e3\""), "{request}");
}
