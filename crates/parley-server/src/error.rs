//! The one error of the API, as `application/problem+json` (RFC 9457), with its codes in one table.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use parley_service::ServiceError;
use parley_store::StoreError;
use serde::Serialize;

/// Every error the API answers with: its stable `code`, HTTP status and title, in one table
/// (`CODES`, documented in `docs/api.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Code {
    /// No `Authorization: Bearer` token, or one that is unknown or revoked.
    Unauthorized,
    /// The token may not do this (read-only, or another party's entity, or the wrong role).
    Forbidden,
    /// No such negotiation or route for this token (also one it may not see).
    NotFound,
    /// A route that exists, with another method.
    MethodNotAllowed,
    /// A write without `If-Match`.
    IfMatchRequired,
    /// A write whose `If-Match` is not the head any more.
    StaleHead,
    /// A body over the limit.
    BodyTooLarge,
    /// A write whose body is not `application/json` (or TOML for `import`).
    UnsupportedMediaType,
    /// A body that is not JSON, or nested too deep.
    MalformedJson,
    /// A body or query that is well-formed but breaks the record's rules; `errors` names fields.
    Invalid,
    /// A query parameter that does not name a point, round or viewer.
    BadQuery,
    /// A party's events must be signed by its key, which the server does not hold.
    SignatureRequired,
    /// The database cannot be reached.
    DatabaseUnavailable,
    /// Anything else: logged, never detailed to the client.
    Internal,
    /// The request took longer than the server allows (`REQUEST_TIMEOUT`).
    Timeout,
    /// Too many jobs of the token or the negotiation queued or running (`crate::job_limits`).
    TooManyJobs,
}

/// `(code, status, stable code text, title)`: the table every answer is built from.
pub const CODES: &[(Code, u16, &str, &str)] = &[
    (Code::Unauthorized, 401, "unauthorized", "A valid bearer token is required"),
    (Code::Forbidden, 403, "forbidden", "This token may not do that"),
    (Code::NotFound, 404, "not_found", "Not found"),
    (Code::MethodNotAllowed, 405, "method_not_allowed", "Method not allowed"),
    (Code::IfMatchRequired, 428, "if_match_required", "A write must name the head it was made against in If-Match"),
    (Code::StaleHead, 412, "stale_head", "The record has moved on since that head"),
    (Code::BodyTooLarge, 413, "body_too_large", "The body is too large"),
    (Code::UnsupportedMediaType, 415, "unsupported_media_type", "Unsupported content type"),
    (Code::MalformedJson, 400, "malformed_json", "The body is not valid JSON"),
    (Code::Invalid, 422, "invalid", "The request breaks the record's rules"),
    (Code::BadQuery, 400, "bad_query", "A query parameter is wrong"),
    (Code::SignatureRequired, 422, "signature_required", "This party signs its events; the server cannot sign for it"),
    (Code::DatabaseUnavailable, 503, "database_unavailable", "The database cannot be reached"),
    (Code::Internal, 500, "internal", "Internal error"),
    (Code::Timeout, 408, "timeout", "The request took too long"),
    (Code::TooManyJobs, 429, "too_many_jobs", "Too many jobs queued or running"),
];

impl Code {
    /// The code's row of [`CODES`].
    fn row(self) -> (u16, &'static str, &'static str) {
        CODES
            .iter()
            .find(|(code, ..)| *code == self)
            .map_or((500, "internal", "Internal error"), |(_, status, text, title)| (*status, *text, *title))
    }

    /// The stable text of the code.
    pub fn text(self) -> &'static str {
        self.row().1
    }

    /// The title of the code.
    pub fn title(self) -> &'static str {
        self.row().2
    }

    /// The HTTP status of the code.
    pub fn status(self) -> StatusCode {
        StatusCode::from_u16(self.row().0).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// One field a request got wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field, as a path in the request body (`position`, `claims[0].kind`) or a query
    /// parameter's name.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An error answer.
#[derive(Clone, Debug)]
pub struct ApiError {
    /// Its row of [`CODES`].
    pub code: Code,
    /// What happened, for the client (never a failure's cause).
    pub detail: String,
    /// The fields at fault, for [`Code::Invalid`].
    pub errors: Vec<FieldError>,
    /// The current head, for [`Code::StaleHead`] (also sent as `ETag`).
    pub head: Option<String>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldError],
    #[serde(skip_serializing_if = "Option::is_none")]
    head: Option<&'a str>,
}

impl ApiError {
    /// An error of `code`, saying `detail`.
    pub fn new(code: Code, detail: impl Into<String>) -> ApiError {
        ApiError { code, detail: detail.into(), errors: Vec::new(), head: None }
    }

    /// A 422 naming one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        let message = message.into();
        let field = field.into();
        ApiError {
            errors: vec![FieldError { field: field.clone(), message: message.clone() }],
            ..ApiError::new(Code::Invalid, format!("{field}: {message}"))
        }
    }

    /// The 404 of a negotiation this token may not see, the same as one that does not exist.
    pub fn no_negotiation(id: &str) -> ApiError {
        ApiError::new(Code::NotFound, format!("no negotiation `{id}`"))
    }

    /// A failure whose detail stays in the log.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %detail, "internal error");
        ApiError::new(Code::Internal, "the server failed; the failure is logged")
    }

    /// A store's error: a moved head, an unreachable database, or a failure.
    pub fn store(error: StoreError) -> ApiError {
        // Unreachable, refused, or a connection lost under the statement: worth trying again later.
        let unavailable = matches!(error, StoreError::Unreachable { .. } | StoreError::Rejected { .. } | StoreError::Tls { .. });
        if unavailable || error.is_connection_lost() {
            tracing::error!(error = %error, "database unavailable");
            return ApiError::new(Code::DatabaseUnavailable, "the database cannot be reached");
        }
        match error {
            StoreError::Conflict { .. } => ApiError::new(Code::StaleHead, "another writer appended first; re-read and retry"),
            StoreError::SignatureRequired { party, .. } | StoreError::KeyRevoked { party, .. } | StoreError::ChangesHands { party, .. } => {
                ApiError::new(
                    Code::SignatureRequired,
                    format!(
                        "`{party}` signs its events: sign this write with its key (`parley push`), or record it with `parley import --sign`"
                    ),
                )
            }
            StoreError::BadSignature { reason, .. } => {
                ApiError::new(Code::SignatureRequired, format!("the write's signatures do not verify: {reason}"))
            }
            StoreError::UnknownNegotiation { negotiation, .. } => ApiError::no_negotiation(&negotiation),
            other => ApiError::internal(other),
        }
    }

    /// A service error: the caller's mistake (a query) or a failure.
    pub fn service(error: ServiceError) -> ApiError {
        match error {
            ServiceError::Store(error) if error.is_connection_lost() => ApiError::store(error),
            error if error.is_bad_input() => ApiError::new(Code::BadQuery, error.to_string()),
            error => ApiError::internal(error),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, title) = self.code.row();
        let problem = Problem {
            kind: format!("https://parley.invalid/problems/{code}"),
            title,
            status,
            detail: &self.detail,
            code,
            errors: &self.errors,
            head: self.head.as_deref(),
        };
        let body = serde_json::to_string_pretty(&problem).unwrap_or_default() + "\n";
        let mut response = (self.code.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if self.code == Code::Unauthorized {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.code == Code::TooManyJobs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(crate::job_limits::RETRY_AFTER_SECONDS));
        }
        if let Some(head) = self.head.as_deref().and_then(|head| HeaderValue::from_str(&format!("\"{head}\"")).ok()) {
            headers.insert(header::ETAG, head);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::{CODES, Code};

    /// Every code, by a match that stops compiling when one is added without a row.
    fn every_code() -> Vec<Code> {
        let all = [
            Code::Unauthorized,
            Code::Forbidden,
            Code::NotFound,
            Code::MethodNotAllowed,
            Code::IfMatchRequired,
            Code::StaleHead,
            Code::BodyTooLarge,
            Code::UnsupportedMediaType,
            Code::MalformedJson,
            Code::Invalid,
            Code::BadQuery,
            Code::SignatureRequired,
            Code::DatabaseUnavailable,
            Code::Internal,
            Code::Timeout,
            Code::TooManyJobs,
        ];
        for code in all {
            match code {
                Code::Unauthorized
                | Code::Forbidden
                | Code::NotFound
                | Code::MethodNotAllowed
                | Code::IfMatchRequired
                | Code::StaleHead
                | Code::BodyTooLarge
                | Code::UnsupportedMediaType
                | Code::MalformedJson
                | Code::Invalid
                | Code::BadQuery
                | Code::SignatureRequired
                | Code::DatabaseUnavailable
                | Code::Internal
                | Code::Timeout
                | Code::TooManyJobs => {}
            }
        }
        all.to_vec()
    }

    #[test]
    fn every_code_has_one_row_and_a_line_in_the_docs() {
        let docs = include_str!("../../../docs/api.md");
        for code in every_code() {
            let rows: Vec<_> = CODES.iter().filter(|(row, ..)| *row == code).collect();
            assert_eq!(rows.len(), 1, "{code:?}");
            let (_, status, text, _) = rows[0];
            assert_eq!(CODES.iter().filter(|(.., other, _)| other == text).count(), 1, "`{text}` is used twice");
            assert!(docs.contains(&format!("| `{text}` | {status} |")), "docs/api.md lacks `{text}`");
            assert_eq!(code.status().as_u16(), *status);
        }
        assert_eq!(CODES.len(), every_code().len());
    }
}
