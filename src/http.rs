//! The HTTP endpoint: `/health`, `/metrics`, `POST /api/sql`, and the incident API
//! under `/api/incidents` (see [`crate::incident_api`]).
//!
//! `/api/sql` takes `{"sql": "...", "format": "json" | "csv" | "arrow"}` and answers with
//! JSON rows, CSV with a header, or an Arrow IPC stream. It requires
//! `Authorization: Bearer <token>` with one of the tokens of `[http] tokens`; without
//! configured tokens the endpoint is closed. The SQL surface is the same read-only one as
//! `sanso sql`, under the same time and memory limits.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sanso_query::{Lake, QueryFailure};
use serde::Deserialize;

use crate::causes::Causes;
use crate::cli::OutputFormat;
use crate::incident::IncidentGauges;
use crate::incident_api;
use crate::metrics::Metrics;
use crate::output::write_result;

/// What the handlers share.
pub struct ApiState {
    /// The lake queries run against.
    pub lake: Lake,
    /// Accepted bearer tokens.
    pub tokens: Vec<String>,
    /// The lake's root, beside which the incident log lives.
    pub data: PathBuf,
    /// Incident gauges, refreshed after each change made through the API.
    pub incident_gauges: IncidentGauges,
}

/// The router with every endpoint.
pub fn router(metrics: Metrics, api: Arc<ApiState>) -> Router {
    let health = metrics.clone();
    Router::new()
        .route(
            "/health",
            get(move || std::future::ready(health_status(&health))),
        )
        .route(
            "/metrics",
            get(move || std::future::ready(metrics.render())),
        )
        .route("/api/sql", post(sql))
        .route(
            "/api/incidents",
            get(incident_api::list).post(incident_api::open),
        )
        .route("/api/incidents/{id}", get(incident_api::show))
        .route("/api/incidents/{id}/events", post(incident_api::record))
        .route("/api/incidents/{id}/hold", post(incident_api::hold))
        .route("/api/incidents/{id}/release", post(incident_api::release))
        .with_state(api)
}

/// `ok`, or 503 with the reason while ingest is paused because the lake does not take
/// writes: the process is up, but nothing it receives reaches the lake.
fn health_status(metrics: &Metrics) -> Response {
    match metrics.lake_error() {
        None => "ok\n".into_response(),
        Some(err) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("ingest paused: the lake does not take writes: {err}\n"),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SqlRequest {
    sql: String,
    #[serde(default)]
    format: ResultFormat,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum ResultFormat {
    #[default]
    Json,
    Csv,
    Arrow,
}

async fn sql(
    State(api): State<Arc<ApiState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(refusal) = refusal(&api.tokens, &headers) {
        return refusal;
    }
    let request: SqlRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(err) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("expected {{\"sql\": \"...\", \"format\": \"json|csv|arrow\"}}: {err}"),
            );
        }
    };
    let (schema, batches) = match api.lake.sql(&request.sql).await {
        Ok(result) => result,
        Err(err) => return error(failure_status(err.failure()), &err.to_string()),
    };
    let mut body = Vec::new();
    let written = match request.format {
        ResultFormat::Json => write_result(&mut body, OutputFormat::Json, schema, &batches),
        ResultFormat::Csv => write_result(&mut body, OutputFormat::Csv, schema, &batches),
        ResultFormat::Arrow => arrow_stream(&mut body, &schema, &batches),
    };
    if let Err(err) = written {
        return error(StatusCode::INTERNAL_SERVER_ERROR, &Causes(&err).to_string());
    }
    let content_type = match request.format {
        ResultFormat::Json => "application/json",
        ResultFormat::Csv => "text/csv; charset=utf-8",
        ResultFormat::Arrow => "application/vnd.apache.arrow.stream",
    };
    ([(header::CONTENT_TYPE, content_type)], Body::from(body)).into_response()
}

fn arrow_stream(
    out: &mut Vec<u8>,
    schema: &arrow::datatypes::SchemaRef,
    batches: &[arrow::array::RecordBatch],
) -> anyhow::Result<()> {
    let mut writer = arrow::ipc::writer::StreamWriter::try_new(out, schema)?;
    for batch in batches {
        writer.write(batch)?;
    }
    writer.finish()?;
    Ok(())
}

/// The response refusing the request, unless it carries an accepted bearer token. Each
/// candidate is compared in constant time, so that response timing does not reveal how
/// much of a guess was right.
pub fn refusal(tokens: &[String], headers: &HeaderMap) -> Option<Response> {
    if tokens.is_empty() {
        return Some(error(
            StatusCode::FORBIDDEN,
            "the API is closed: configure [http] tokens to open it",
        ));
    }
    let Some(presented) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "missing Authorization: Bearer <token>",
        ));
    };
    let accepted = tokens.iter().fold(false, |ok, token| {
        ok | constant_time_eq(token.as_bytes(), presented.as_bytes())
    });
    (!accepted).then(|| error(StatusCode::UNAUTHORIZED, "unknown token"))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The status of a failed query, as gRPC's codes map to HTTP, so that HTTP and Flight SQL
/// clients hear the same thing: only a statement's own fault is a 400.
fn failure_status(failure: QueryFailure) -> StatusCode {
    match failure {
        QueryFailure::Rejected => StatusCode::BAD_REQUEST,
        QueryFailure::Timeout => StatusCode::GATEWAY_TIMEOUT,
        QueryFailure::OutOfMemory => StatusCode::TOO_MANY_REQUESTS,
        QueryFailure::Server => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "error": message }).to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        headers
    }

    #[test]
    fn only_a_configured_token_opens_the_api() {
        let tokens = vec!["s3cret".to_owned(), "other".to_owned()];
        assert!(refusal(&tokens, &bearer("s3cret")).is_none());
        assert!(refusal(&tokens, &bearer("other")).is_none());
        for refused in [
            bearer("s3cre"),
            bearer("s3cret "),
            bearer(""),
            HeaderMap::new(),
        ] {
            assert_eq!(
                refusal(&tokens, &refused).unwrap().status(),
                StatusCode::UNAUTHORIZED
            );
        }
        // Without tokens the API is closed, even to a request that brings one.
        assert_eq!(
            refusal(&[], &bearer("s3cret")).unwrap().status(),
            StatusCode::FORBIDDEN
        );
    }
}
