//! Signing in and out, the session cookie and CSRF tokens.
//!
//! The cookie `parley_session` holds the bearer token (HttpOnly, so no script reads it;
//! SameSite=Strict, so no other site's page sends it). Nothing is kept in memory: each request
//! looks the token up as the API does, so revoking it signs the browser out at its next request.
//! A form's CSRF token is a hash of the session's token under a fixed label: a page of another
//! origin can neither read it nor compute it, and it needs no storage. Every POST is also checked
//! for the browser's word on where it comes from, and signing in has guards of its own (see
//! [`super::guard`]).

use axum::Form;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

use super::{guard, layout};

/// The session cookie's name.
pub const COOKIE: &str = "parley_session";

/// A signed-in browser: its token, checked against the database on this request.
#[derive(Clone, Debug)]
pub struct Session {
    /// The caller, as the API would see the same token.
    pub caller: Caller,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
}

/// Why a page could not be served to this browser.
#[derive(Debug)]
pub enum WebError {
    /// No session, or its token is unknown or revoked: sign in again.
    SignIn,
    /// A form without the session's CSRF token.
    Csrf,
    /// A form the browser says another site sent (why).
    CrossSite(String),
    /// Anything the API would answer with an error.
    Api(ApiError),
}

impl From<ApiError> for WebError {
    fn from(error: ApiError) -> WebError {
        WebError::Api(error)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn => {
                let mut response = Redirect::to("/sign-in").into_response();
                response.headers_mut().insert(header::SET_COOKIE, clear_cookie());
                response
            }
            WebError::Csrf => {
                let body = layout::bare(
                    "Refused",
                    html! { p { "This form was not sent from a page of this session. Reload the page and try again." } },
                );
                (StatusCode::FORBIDDEN, body).into_response()
            }
            WebError::CrossSite(why) => {
                let body = layout::bare(
                    "Refused",
                    html! { p { "Nothing was recorded: " (why) ". Open this server's page and send the form from there." } },
                );
                (StatusCode::FORBIDDEN, body).into_response()
            }
            WebError::Api(error) => {
                let status = error.code.status();
                let title = status.canonical_reason().unwrap_or("Error");
                let body = layout::bare(title, html! { p { (error.detail) } p { a href="/negotiations" { "Back to the negotiations" } } });
                (status, body).into_response()
            }
        }
    }
}

/// The CSRF token of a session whose token is `secret`.
pub fn csrf_of(secret: &str) -> String {
    let digest = Sha256::new().chain_update(b"parley web csrf\0").chain_update(secret.as_bytes()).finalize();
    digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect()
}

/// Checks a form's CSRF token against the session's (in constant time).
pub fn check_csrf(session: &Session, given: &str) -> Result<(), WebError> {
    let expected = session.csrf.as_bytes();
    let given = given.as_bytes();
    let same = expected.len() == given.len() && expected.iter().zip(given).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if same { Ok(()) } else { Err(WebError::Csrf) }
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    guard::cookie(headers, COOKIE)
}

fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("parley_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Looks `secret` up; `None` when it is unknown or revoked.
async fn token(state: &AppState, secret: String) -> Result<Option<parley_store::Token>, ApiError> {
    if secret.is_empty() || secret.len() > 256 || !secret.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Ok(None);
    }
    state.with_store(move |store| store.token_for(&secret).map_err(ApiError::store)).await
}

impl FromRequestParts<AppState> for Session {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Session, WebError> {
        // Every state-changing request of a session must come from this server's own pages.
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            if let Some(why) = guard::cross_site(&parts.headers, state.settings()) {
                return Err(WebError::CrossSite(why));
            }
        }
        let secret = cookie_value(&parts.headers).ok_or(WebError::SignIn)?;
        let csrf = csrf_of(&secret);
        let token = token(state, secret).await?.ok_or(WebError::SignIn)?;
        Ok(Session { caller: Caller { token }, csrf })
    }
}

/// `?token=`
#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    token: String,
    /// The pre-session token of the form's page (`guard::presession`).
    #[serde(default)]
    csrf: String,
}

/// `GET /sign-in`: with `?token=`, signs in and redirects (so the token leaves the address bar
/// and the history) when the user followed the link here (typed, pasted, a bookmark); a link
/// followed from another site's page shows whose token it is and asks first, so that no site
/// can sign a browser into an account of its choosing. Without `?token=`, the form.
pub async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Result<Response, WebError> {
    match query.token {
        Some(secret) if guard::first_party_navigation(&headers) => sign_in(&state, &headers, secret).await,
        Some(secret) => confirm(&state, &headers, secret).await,
        None => Ok(form_page(&state, &headers, StatusCode::OK, None)),
    }
}

/// `POST /sign-in`: the form (or the confirmation of a link), from a page of this server only.
pub async fn sign_in_form(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<TokenForm>) -> Result<Response, WebError> {
    if let Some(why) = guard::cross_site(&headers, state.settings()) {
        return Err(WebError::CrossSite(why));
    }
    if !guard::presession_matches(&headers, &form.csrf) {
        let problem = "This sign-in form was not sent from a page of this server (or it expired): sign in again.";
        return Ok(form_page(&state, &headers, StatusCode::FORBIDDEN, Some(problem)));
    }
    sign_in(&state, &headers, form.token.trim().to_owned()).await
}

async fn sign_in(state: &AppState, headers: &HeaderMap, secret: String) -> Result<Response, WebError> {
    if token(state, secret.clone()).await?.is_none() {
        return Ok(form_page(state, headers, StatusCode::UNAUTHORIZED, Some("That token is unknown or revoked.")));
    }
    let secure = guard::secure(headers, state.settings());
    let mut response = Redirect::to("/negotiations").into_response();
    if let Some(value) = guard::set_cookie(COOKIE, &secret, "/", secure) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(response)
}

/// A sign-in link followed from elsewhere: "Sign in as VIEWER?" with a button that posts the
/// token from this page (which no other site can frame or submit).
async fn confirm(state: &AppState, headers: &HeaderMap, secret: String) -> Result<Response, WebError> {
    let Some(found) = token(state, secret.clone()).await? else {
        return Ok(form_page(state, headers, StatusCode::UNAUTHORIZED, Some("That token is unknown or revoked.")));
    };
    let (csrf, cookie) = guard::presession(headers, guard::secure(headers, state.settings()));
    let access = if found.write && found.viewer != "public" { "writes" } else { "reads" };
    let body = layout::bare(
        "Sign in?",
        html! {
            p { "This link signs this browser in as " strong dir="auto" { (found.viewer) } " (" (access) ") in the negotiation "
                code dir="auto" { (found.negotiation) } "." }
            p { "It was opened from another site. Sign in only if you meant to open it." }
            form method="post" action="/sign-in" {
                input type="hidden" name="token" value=(secret);
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { "Sign in as " (found.viewer) }
            }
            p { a href="/sign-in" { "Cancel" } }
        },
    );
    let mut response = body.into_response();
    guarded(&mut response, cookie);
    Ok(response)
}

/// The headers of a sign-in page: its pre-session cookie, never framed or cached, never referred
/// to another site.
fn guarded(response: &mut Response, cookie: Option<HeaderValue>) {
    let headers = response.headers_mut();
    if let Some(cookie) = cookie {
        headers.append(header::SET_COOKIE, cookie);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // A referrer (the page's address, which may hold a token) only to this server, whose forms
    // then carry its real `Origin`.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}

/// The CSRF field of a sign-out form.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /sign-out`: forgets the cookie (the token itself stays valid until revoked).
pub async fn sign_out(session: Session, Form(form): Form<CsrfForm>) -> Result<Response, WebError> {
    check_csrf(&session, &form.csrf)?;
    let mut response = Redirect::to("/sign-in").into_response();
    response.headers_mut().insert(header::SET_COOKIE, clear_cookie());
    Ok(response)
}

fn form_page(state: &AppState, headers: &HeaderMap, status: StatusCode, problem: Option<&str>) -> Response {
    let (csrf, cookie) = guard::presession(headers, guard::secure(headers, state.settings()));
    let page = layout::bare(
        "Sign in",
        html! {
            @if let Some(problem) = problem { p.problem role="alert" { (problem) } }
            form method="post" action="/sign-in" {
                label for="token" { "Token" }
                input #token type="password" name="token" autocomplete="off" required;
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { "Sign in" }
            }
            p.hint { "A token is issued by " code { "parley token create" } " or printed by " code { "parley serve --demo" } "." }
        },
    );
    let mut response = (status, page).into_response();
    guarded(&mut response, cookie);
    response
}
