//! Who is calling: the bearer token of a request, checked against the database on every request.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use parley_store::Token;

use crate::error::{ApiError, Code};
use crate::reads::Head;
use crate::state::AppState;

/// What a token may do, by its viewer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Sees everything; may import whole scenarios (and use every write route) when it may write.
    Admin,
    /// The mediator's view; records rounds, items, revisions and statements when it may write.
    Mediator,
    /// The public view; never writes.
    Public,
    /// A party's view; records its own stances, statements, demands, preferences and red lines
    /// when it may write.
    Party(String),
}

/// The caller of an `/api/v1` route: a valid (known, unrevoked) token.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The token, as stored (never its secret).
    pub token: Token,
}

impl Caller {
    /// The token's role.
    pub fn role(&self) -> Role {
        match self.token.viewer.as_str() {
            "admin" => Role::Admin,
            "mediator" => Role::Mediator,
            "public" => Role::Public,
            party => Role::Party(party.to_owned()),
        }
    }

    /// The viewer as the service names it (`all` for the admin).
    pub fn viewer(&self) -> &str {
        if self.token.viewer == "admin" { "all" } else { &self.token.viewer }
    }

    /// Checks that `id` is the token's negotiation: any other is answered as if it did not exist.
    pub fn negotiation(&self, id: &str) -> Result<String, ApiError> {
        if id == self.token.negotiation { Ok(id.to_owned()) } else { Err(ApiError::no_negotiation(id)) }
    }

    /// Checks that the token may write at all.
    pub fn writer(&self) -> Result<Role, ApiError> {
        let role = self.role();
        if !self.token.write || role == Role::Public {
            return Err(ApiError::new(Code::Forbidden, "this token only reads"));
        }
        Ok(role)
    }
}

/// A request's bearer token, read from its header but not yet looked up: a read looks it up in
/// the same trip to the database as the log's head ([`Bearer::caller`]).
#[derive(Clone)]
pub struct Bearer {
    secret: String,
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bearer(…)")
    }
}

impl Bearer {
    /// The caller the token names, looked up now (so a revocation takes effect at once).
    pub fn caller(&self, store: &mut dyn parley_store::Store) -> Result<Caller, ApiError> {
        known(store.token_for(&self.secret).map_err(ApiError::store)?)
    }

    /// As [`Bearer::caller`], with the head of negotiation `id`'s log read by the same statement.
    pub fn caller_and_head(&self, store: &mut dyn parley_store::Store, id: &str) -> Result<(Caller, Option<Head>), ApiError> {
        caller_and_head(store.token_and_head(&self.secret, id).map_err(ApiError::store)?)
    }

    /// As [`Bearer::caller`], by the cheapest way the database allows: here on an idle SQLite
    /// store, with the reads waiting on PostgreSQL (asking no head), else on a blocking thread.
    pub async fn looked_up(&self, state: &AppState) -> Result<Caller, ApiError> {
        if let Some(found) = state.inline(|store| self.caller(store)) {
            return found;
        }
        if let Some(found) = state.token_and_head_batched(&self.secret, None).await {
            return found.and_then(|(token, _)| known(token));
        }
        let bearer = self.clone();
        state.with_store(move |store| bearer.caller(store)).await
    }

    /// As [`Bearer::caller_and_head`], looked up with the other reads waiting when the database
    /// is PostgreSQL ([`crate::lookups`]); `None` on SQLite.
    pub async fn caller_and_head_batched(&self, state: &AppState, id: &str) -> Option<Result<(Caller, Option<Head>), ApiError>> {
        let found = state.token_and_head_batched(&self.secret, Some(id)).await?;
        Some(found.and_then(caller_and_head))
    }
}

/// The caller and head a token and head lookup found (401 without a valid token).
fn caller_and_head((found, head): parley_store::TokenAndHead) -> Result<(Caller, Option<Head>), ApiError> {
    Ok((known(found)?, head.map(|(seq, hash)| Head { seq, hash })))
}

/// The caller of a token found (valid), else 401.
fn known(found: Option<Token>) -> Result<Caller, ApiError> {
    let token = found.ok_or_else(|| ApiError::new(Code::Unauthorized, "unknown or revoked token"))?;
    Ok(Caller { token })
}

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Bearer, ApiError> {
        let unauthorized = |detail: &str| ApiError::new(Code::Unauthorized, detail);
        let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| unauthorized("no Authorization header"))?;
        let text = value.to_str().map_err(|_| unauthorized("the Authorization header is not text"))?;
        let secret = match text.split_once(' ') {
            Some((scheme, secret)) if scheme.eq_ignore_ascii_case("bearer") => secret.trim().to_owned(),
            _ => return Err(unauthorized("expected `Authorization: Bearer TOKEN`")),
        };
        if secret.is_empty() || secret.len() > 256 {
            return Err(unauthorized("unknown or revoked token"));
        }
        Ok(Bearer { secret })
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        Bearer::from_request_parts(parts, state).await?.looked_up(state).await
    }
}
