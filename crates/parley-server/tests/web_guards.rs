//! The workbench against requests another site makes a browser send (login CSRF and forged
//! forms), over real HTTP with the headers browsers set: `Origin` and `Sec-Fetch-Site`; and the
//! session cookie's `Secure` flag behind an HTTPS proxy.

mod support;

use parley_server::state::Settings;
use support::{Answer, Database, Server, request};

const UKRAINE: &str = "ukraine-2025.toml";
const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

/// The sign-in form's page: its pre-session cookie (`name=value`) and the token in its form.
fn sign_in_form(server: &Server) -> (String, String) {
    let shown = request(server.address, "GET", "/sign-in", &[], b"");
    assert_eq!(shown.status, 200);
    let cookie = shown.header("set-cookie").expect("a pre-session cookie").split(';').next().unwrap().to_owned();
    (cookie, hidden(&shown.body, "csrf"))
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no field {name}: {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn post(server: &Server, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut all = vec![FORM];
    all.extend_from_slice(headers);
    request(server.address, "POST", path, &all, body.as_bytes())
}

fn signs_in(answer: &Answer) -> bool {
    answer.header("set-cookie").is_some_and(|cookie| cookie.starts_with("parley_session=parley_"))
}

#[test]
fn a_sign_in_form_posted_from_another_site_signs_nobody_in() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let attacker = server.token("RU");
    let (cookie, csrf) = sign_in_form(&server);
    let origin = format!("http://{}", server.address);
    let body = format!("token={attacker}&csrf={csrf}");

    // The form of this server's page, as a browser sends it: signs in.
    let ours = post(&server, "/sign-in", &[("Cookie", &cookie), ("Origin", &origin), ("Sec-Fetch-Site", "same-origin")], &body);
    assert_eq!(ours.status, 303, "{}", ours.body);
    assert!(signs_in(&ours));
    // Chromium hides the origin of a page with a `no-referrer` policy (`Origin: null`) but says
    // `Sec-Fetch-Site: same-origin`: found by the browser tests, whose forms were refused.
    let hidden_origin = post(&server, "/sign-in", &[("Cookie", &cookie), ("Origin", "null"), ("Sec-Fetch-Site", "same-origin")], &body);
    assert_eq!(hidden_origin.status, 303, "{}", hidden_origin.body);

    // Another site's page posting the same form: its origin, or the browser's word, refuses it.
    let forged_origin = post(&server, "/sign-in", &[("Cookie", &cookie), ("Origin", "https://evil.example")], &body);
    let cross_site = post(&server, "/sign-in", &[("Cookie", &cookie), ("Sec-Fetch-Site", "cross-site")], &body);
    let same_site = post(&server, "/sign-in", &[("Cookie", &cookie), ("Sec-Fetch-Site", "same-site")], &body);
    let null_origin = post(&server, "/sign-in", &[("Cookie", &cookie), ("Origin", "null")], &body);
    // Without the pre-session cookie (which SameSite=Strict keeps from cross-site posts, and
    // which no other site can read or set), even a client sending no Origin is refused.
    let no_cookie = post(&server, "/sign-in", &[], &body);
    let wrong_token = post(&server, "/sign-in", &[("Cookie", &cookie)], &format!("token={attacker}&csrf=00000000000000000000000000000000"));
    let no_token = post(&server, "/sign-in", &[("Cookie", &cookie)], &format!("token={attacker}"));
    for (name, answer) in [
        ("forged Origin", &forged_origin),
        ("Sec-Fetch-Site: cross-site", &cross_site),
        ("Sec-Fetch-Site: same-site", &same_site),
        ("Origin: null", &null_origin),
        ("no pre-session cookie", &no_cookie),
        ("another pre-session token", &wrong_token),
        ("no pre-session token", &no_token),
    ] {
        assert_eq!(answer.status, 403, "{name}: {}", answer.body);
        assert!(!signs_in(answer), "{name} signed in: {:?}", answer.headers);
    }
}

#[test]
fn a_sign_in_link_followed_from_another_site_asks_before_signing_in() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let token = server.token("UA");
    let link = format!("/sign-in?token={token}");
    for site in [Some("cross-site"), Some("same-site"), None] {
        let headers: Vec<(&str, &str)> = site.map(|site| ("Sec-Fetch-Site", site)).into_iter().collect();
        let asked = request(server.address, "GET", &link, &headers, b"");
        assert_eq!(asked.status, 200, "{site:?}: {}", asked.body);
        assert!(!signs_in(&asked), "{site:?}");
        assert!(asked.body.contains("Sign in as UA"), "{}", asked.body);
        // The page cannot be framed (a click on its button tricked through a frame).
        assert_eq!(asked.header("x-frame-options"), Some("DENY"));
        assert!(asked.header("content-security-policy").is_some_and(|policy| policy.contains("frame-ancestors 'none'")));
        // Its button posts the token from this server's page, and then signs in.
        let cookie = asked.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
        let body = format!("token={}&csrf={}", hidden(&asked.body, "token"), hidden(&asked.body, "csrf"));
        let origin = format!("http://{}", server.address);
        let confirmed = post(&server, "/sign-in", &[("Cookie", &cookie), ("Origin", &origin), ("Sec-Fetch-Site", "same-origin")], &body);
        assert_eq!((confirmed.status, confirmed.header("location")), (303, Some("/negotiations")));
        assert!(signs_in(&confirmed));
    }
    // Opened by the user (typed, pasted, a bookmark) or from this server's own page: at once.
    for site in ["none", "same-origin"] {
        let direct = request(server.address, "GET", &link, &[("Sec-Fetch-Site", site)], b"");
        assert_eq!(direct.status, 303, "{site}");
        assert!(signs_in(&direct));
    }
    // An unknown token is not confirmed, wherever the link came from.
    let unknown = request(server.address, "GET", "/sign-in?token=parley_nope", &[("Sec-Fetch-Site", "cross-site")], b"");
    assert_eq!(unknown.status, 401);
    assert!(!signs_in(&unknown));
}

#[test]
fn a_session_form_posted_from_another_site_is_refused_even_with_its_csrf_token() {
    let server = Server::start(Database::sqlite(), UKRAINE);
    let token = server.token("UA");
    let session = format!("parley_session={token}");
    let dashboard = request(server.address, "GET", &format!("/n/{}", server.negotiation), &[("Cookie", &session)], b"");
    let csrf = hidden(&dashboard.body, "csrf");
    let body = format!("csrf={csrf}");
    let (head, _) = server.head();
    for (name, header) in [("Origin", "https://evil.example"), ("Sec-Fetch-Site", "cross-site"), ("Origin", "null")] {
        let refused = post(&server, "/sign-out", &[("Cookie", &session), (name, header)], &body);
        assert_eq!(refused.status, 403, "{name}: {header}");
        assert!(refused.header("set-cookie").is_none(), "{name}: {header}");
        let stance = format!("{body}&item=1&position=accepts&head={}", hidden(&dashboard.body, "head"));
        let path = format!("/n/{}/record/demand", server.negotiation);
        assert_eq!(post(&server, &path, &[("Cookie", &session), (name, header)], &stance).status, 403);
    }
    assert_eq!(server.head().0, head, "nothing was recorded");
    // From this server's page it goes through.
    let origin = format!("http://{}", server.address);
    let ours = post(&server, "/sign-out", &[("Cookie", &session), ("Origin", &origin), ("Sec-Fetch-Site", "same-origin")], &body);
    assert_eq!(ours.status, 303);
}

#[test]
fn the_session_cookie_is_secure_behind_an_https_public_url_or_a_trusted_proxy() {
    let text = support::scenario_text(UKRAINE);
    let link = |server: &Server, headers: &[(&str, &str)]| {
        let mut all = vec![("Sec-Fetch-Site", "none")];
        all.extend_from_slice(headers);
        let answer = request(server.address, "GET", &format!("/sign-in?token={}", server.token("UA")), &all, b"");
        assert_eq!(answer.status, 303);
        answer.header("set-cookie").unwrap().to_owned()
    };
    let forwarded = [("X-Forwarded-Proto", "https")];

    let plain = Server::start_with(Database::sqlite(), &text, Settings::default());
    assert!(!link(&plain, &[]).contains("Secure"));
    // An untrusted X-Forwarded-Proto is ignored: anyone can send it.
    assert!(!link(&plain, &forwarded).contains("Secure"));

    let proxied = Server::start_with(Database::sqlite(), &text, Settings { trust_proxy: true, ..Settings::default() });
    assert!(link(&proxied, &forwarded).contains("; Secure"));
    assert!(!link(&proxied, &[("X-Forwarded-Proto", "http")]).contains("Secure"));

    let public = Settings { public_url: Some("https://parley.example.org".to_owned()), ..Settings::default() };
    let public = Server::start_with(Database::sqlite(), &text, public);
    assert!(link(&public, &[]).contains("; Secure"));
    // Behind a public URL, forms must come from it (not from the address the proxy connects to).
    let (cookie, csrf) = sign_in_form(&public);
    assert!(cookie.starts_with("parley_presession="));
    let body = format!("token={}&csrf={csrf}", public.token("UA"));
    let direct = format!("http://{}", public.address);
    assert_eq!(post(&public, "/sign-in", &[("Cookie", &cookie), ("Origin", &direct)], &body).status, 403);
    let ours = post(&public, "/sign-in", &[("Cookie", &cookie), ("Origin", "https://parley.example.org")], &body);
    assert_eq!(ours.status, 303);
    assert!(ours.header("set-cookie").unwrap().contains("; Secure"));
}
