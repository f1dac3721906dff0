//! Signing in and out, the session cookie and CSRF tokens.
//!
//! The cookie `parley_session` holds the bearer token (HttpOnly, so no script reads it;
//! SameSite=Strict, so no other site's page sends it). Nothing is kept in memory: each request
//! looks the token up as the API does, so revoking it signs the browser out at its next request.
//! A form's CSRF token is a hash of the session's token under a fixed label: a page of another
//! origin can neither read it nor compute it, and it needs no storage.

use axum::Form;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

use super::layout;

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
    headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok()).flat_map(|text| text.split(';')).find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE).then(|| value.to_owned())
    })
}

fn set_cookie(secret: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("{COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict")).ok()
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
}

/// `GET /sign-in`: with `?token=`, signs in and redirects (so the token leaves the address bar
/// and the history); without, the form.
pub async fn sign_in_page(State(state): State<AppState>, Query(query): Query<TokenQuery>) -> Result<Response, WebError> {
    match query.token {
        Some(secret) => sign_in(&state, secret).await,
        None => Ok(form_page(None).into_response()),
    }
}

/// `POST /sign-in`: the form.
pub async fn sign_in_form(State(state): State<AppState>, Form(form): Form<TokenForm>) -> Result<Response, WebError> {
    sign_in(&state, form.token.trim().to_owned()).await
}

async fn sign_in(state: &AppState, secret: String) -> Result<Response, WebError> {
    if token(state, secret.clone()).await?.is_none() {
        let page = form_page(Some("That token is unknown or revoked."));
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    }
    let mut response = Redirect::to("/negotiations").into_response();
    if let Some(value) = set_cookie(&secret) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(response)
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

fn form_page(problem: Option<&str>) -> axum::response::Html<String> {
    layout::bare(
        "Sign in",
        html! {
            @if let Some(problem) = problem { p.problem role="alert" { (problem) } }
            form method="post" action="/sign-in" {
                label for="token" { "Token" }
                input #token type="password" name="token" autocomplete="off" required;
                button type="submit" { "Sign in" }
            }
            p.hint { "A token is issued by " code { "parley token create" } " or printed by " code { "parley serve --demo" } "." }
        },
    )
}
