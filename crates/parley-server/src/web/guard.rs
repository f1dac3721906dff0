//! Guards against requests another site makes a browser send: the origin check on every form,
//! the sign-in form's pre-session token, and whether cookies must be `Secure`.
//!
//! A page of another site can make a browser POST a form here, or navigate to a sign-in link,
//! with the browser's cookies. The session's forms carry a CSRF token such a page cannot read,
//! but the sign-in form has no session yet: signing a victim into the attacker's account (login
//! CSRF) would have the victim record its notes under the attacker's token. So:
//!
//! - every POST of the workbench is refused when the browser says it comes from another site
//!   (`Sec-Fetch-Site` other than `same-origin` or `none`) or from another origin (`Origin` not
//!   this server's); a client that sends neither (not a browser) still needs the form's token;
//! - the sign-in form carries a pre-session token, equal to the value of a cookie set with the
//!   form (a double-submit cookie, `SameSite=Strict`): another site can neither read it nor make
//!   the browser send the cookie;
//! - a sign-in link followed from another site (`Sec-Fetch-Site` not `none` or `same-origin`, or
//!   absent) does not sign in: it shows whose token it is and asks (see `session::sign_in_page`).

use axum::http::{HeaderMap, HeaderValue, header};

use crate::state::Settings;

/// The pre-session cookie of the sign-in form.
pub const PRESESSION: &str = "parley_presession";

/// Why a form is refused as sent by another site, or `None` when it may be from this one.
pub fn cross_site(headers: &HeaderMap, settings: &Settings) -> Option<String> {
    let site = headers.get("sec-fetch-site").map(|site| site.to_str().unwrap_or(""));
    if let Some(site) = site {
        if !matches!(site, "same-origin" | "none") {
            return Some(format!("the browser says this form was sent from a {site} page"));
        }
    }
    let origin = headers.get(header::ORIGIN)?;
    let origin = origin.to_str().unwrap_or("").trim_end_matches('/');
    // A browser hides the origin (`null`) of a page whose referrer policy is `no-referrer`, even
    // for its own forms; one that also says `Sec-Fetch-Site: same-origin` is believed. Without
    // that header, `null` is refused (the pages' `same-origin` policy sends their real origin).
    if origin == "null" && site.is_some() {
        return None;
    }
    let expected = match &settings.public_url {
        Some(url) => same_origin(origin, url),
        None => {
            // Any scheme (a proxy may end TLS), but the host and port the browser asked for.
            let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("");
            origin.split_once("://").is_some_and(|(_, authority)| !host.is_empty() && authority.eq_ignore_ascii_case(host))
        }
    };
    (!expected).then(|| format!("this form was sent from the origin `{origin}`, not from this server"))
}

/// Whether `origin` (`scheme://host[:port]`) is the origin of `url`.
fn same_origin(origin: &str, url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else { return false };
    let authority = rest.split('/').next().unwrap_or("");
    origin.eq_ignore_ascii_case(&format!("{scheme}://{authority}"))
}

/// Whether a navigation to a sign-in link was made by the user here (typed, pasted, a bookmark,
/// a link of this server), as the browser tells it: only then does the link sign in at once.
pub fn first_party_navigation(headers: &HeaderMap) -> bool {
    headers.get("sec-fetch-site").and_then(|site| site.to_str().ok()).is_some_and(|site| matches!(site, "none" | "same-origin"))
}

/// Whether the browser reached the server over HTTPS: the public URL says so, or a trusted
/// proxy's `X-Forwarded-Proto` does. Cookies are then `Secure`.
pub fn secure(headers: &HeaderMap, settings: &Settings) -> bool {
    if settings.public_url.as_deref().is_some_and(|url| url.get(..8).is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))) {
        return true;
    }
    settings.trust_proxy
        && headers
            .get("x-forwarded-proto")
            .and_then(|proto| proto.to_str().ok())
            .and_then(|proto| proto.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// The value of cookie `name`, if the request has it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok()).flat_map(|text| text.split(';')).find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.to_owned())
    })
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, `Secure` when `secure`.
pub fn set_cookie(name: &str, value: &str, path: &str, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict{secure}")).ok()
}

/// The request's pre-session token when it has a well-formed one, else a fresh one (128 bits
/// from the operating system) and the cookie that sets it.
pub fn presession(headers: &HeaderMap, secure: bool) -> (String, Option<HeaderValue>) {
    if let Some(value) = cookie(headers, PRESESSION).filter(|value| value.len() == 32 && value.bytes().all(|byte| byte.is_ascii_hexdigit()))
    {
        return (value, None);
    }
    let mut bytes = [0u8; 16];
    // Without the system's randomness no form can be trusted: the token stays empty, which
    // never matches (see `presession_matches`).
    if getrandom::fill(&mut bytes).is_err() {
        return (String::new(), None);
    }
    let value: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let cookie = set_cookie(PRESESSION, &value, "/sign-in", secure);
    (value, cookie)
}

/// Whether a sign-in form's `given` token equals the request's pre-session cookie (in constant
/// time); an empty or missing one never does.
pub fn presession_matches(headers: &HeaderMap, given: &str) -> bool {
    let Some(expected) = cookie(headers, PRESESSION) else { return false };
    !expected.is_empty() && expected.len() == given.len() && expected.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}
