//! What the OpenAPI document says of errors: every operation lists every problem it may answer
//! (from [`crate::CODES`]), each as `application/problem+json` with the `Problem` schema, so
//! that a client (or Schemathesis, in `.ci/run`) finds every status it can receive documented.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};

use crate::error::Code;

/// An error answer (RFC 9457), as `ApiError` writes it.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct Problem {
    /// A URI naming the code.
    #[schema(rename = "type")]
    kind: String,
    /// The code's title.
    title: String,
    /// The HTTP status.
    status: u16,
    /// What happened.
    detail: String,
    /// The stable code (`docs/api.md`).
    code: String,
    /// The fields at fault, for `invalid`.
    #[schema(nullable = false)]
    errors: Option<Vec<ProblemField>>,
    /// The current head, for `stale_head`.
    #[schema(nullable = false)]
    head: Option<String>,
}

/// One field a request got wrong.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ProblemField {
    /// The field's path in the body, or a query parameter's name.
    field: String,
    /// What is wrong with it.
    message: String,
}

/// The codes any route may answer (token, negotiation, route, time, database, failure).
const EVERY_ROUTE: &[Code] = &[Code::Unauthorized, Code::NotFound, Code::Timeout, Code::DatabaseUnavailable, Code::Internal];
/// The codes a read may answer besides: a query that names nothing, or a viewer's problem.
const READS: &[Code] = &[Code::BadQuery, Code::Invalid, Code::MethodNotAllowed];
/// The codes a write may answer besides.
const WRITES: &[Code] = &[
    Code::Forbidden,
    Code::MethodNotAllowed,
    Code::IfMatchRequired,
    Code::StaleHead,
    Code::BodyTooLarge,
    Code::UnsupportedMediaType,
    Code::MalformedJson,
    Code::Invalid,
    Code::SignatureRequired,
];

/// Adds the `Problem` schema and the problem answers to every operation.
#[derive(Debug)]
pub struct ProblemResponses;

impl utoipa::Modify for ProblemResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        use utoipa::{PartialSchema, ToSchema};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.schemas.insert(Problem::name().into_owned(), Problem::schema());
        components.schemas.insert(ProblemField::name().into_owned(), ProblemField::schema());
        for (path, item) in openapi.paths.paths.iter_mut() {
            // The document and the docs need no token and never answer a problem but 404/500.
            if path.ends_with("/openapi.json") {
                continue;
            }
            if let Some(operation) = item.get.as_mut() {
                add_problems(operation, EVERY_ROUTE.iter().chain(READS));
            }
            if let Some(operation) = item.post.as_mut() {
                add_problems(operation, EVERY_ROUTE.iter().chain(WRITES));
                if path.ends_with("/simulations") || path.ends_with("/tournaments") {
                    add_problems(operation, [Code::TooManyJobs].iter());
                }
            }
        }
    }
}

fn add_problems<'a>(operation: &mut Operation, codes: impl Iterator<Item = &'a Code>) {
    for code in codes {
        let status = code.status().as_u16().to_string();
        let response =
            operation.responses.responses.entry(status).or_insert_with(|| ResponseBuilder::new().description(code.title()).build().into());
        if let utoipa::openapi::RefOr::T(response) = response {
            response
                .content
                .entry("application/problem+json".to_owned())
                .or_insert_with(|| ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build());
        }
    }
}
