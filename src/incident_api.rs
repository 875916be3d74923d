//! The incident endpoints of the HTTP API, under the same bearer tokens as `/api/sql`:
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `GET /api/incidents` | | every incident, as JSON |
//! | `GET /api/incidents/{id}` | | `{"incident": …, "history": [...]}` |
//! | `POST /api/incidents` | `{"title", "severity", "alerts": [...], "by", "at"?, "note"?}` | 201 and the incident |
//! | `POST /api/incidents/{id}/events` | `{"by", "state"?, "reported_to"?: [...], "alerts"?: [...], "at"?, "note"?}` | the incident |
//! | `POST /api/incidents/{id}/hold`, `…/release` | `{"by", "note"?}` | the incident |
//!
//! A step the lifecycle does not allow is 409 Conflict with the reason; an unknown
//! incident 404; an alert id the lake does not hold 400.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sanso_query::incidents::{
    Authority, IncidentError, IncidentStore, NewIncident, Severity, Stage, Update,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::causes::Causes;
use crate::http::{ApiState, error, refusal};
use crate::incident::{missing_alerts, parse_time};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenRequest {
    title: String,
    severity: String,
    alerts: Vec<String>,
    by: String,
    at: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventRequest {
    by: String,
    state: Option<String>,
    #[serde(default)]
    reported_to: Vec<String>,
    #[serde(default)]
    alerts: Vec<String>,
    at: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldRequest {
    by: String,
    note: Option<String>,
}

/// `GET /api/incidents`.
pub async fn list(State(api): State<Arc<ApiState>>, headers: HeaderMap) -> Response {
    if let Some(refused) = refusal(&api.tokens, &headers) {
        return refused;
    }
    let store = IncidentStore::new(&api.data);
    match blocking(move || store.load()).await {
        Ok(ledger) => json(
            StatusCode::OK,
            &ledger.incidents.values().collect::<Vec<_>>(),
        ),
        Err(err) => failure(err),
    }
}

/// `GET /api/incidents/{id}`.
pub async fn show(
    State(api): State<Arc<ApiState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = refusal(&api.tokens, &headers) {
        return refused;
    }
    let store = IncidentStore::new(&api.data);
    let ledger = match blocking(move || store.load()).await {
        Ok(ledger) => ledger,
        Err(err) => return failure(err),
    };
    match ledger.get(&id) {
        Ok(incident) => json(
            StatusCode::OK,
            &serde_json::json!({
                "incident": incident,
                "history": ledger.history(&id).collect::<Vec<_>>(),
            }),
        ),
        Err(err) => failure(err),
    }
}

/// `POST /api/incidents`.
pub async fn open(
    State(api): State<Arc<ApiState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(refused) = refusal(&api.tokens, &headers) {
        return refused;
    }
    let request: OpenRequest = match parse(&body) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let checked = (|| {
        Ok::<_, String>(NewIncident {
            severity: request
                .severity
                .parse::<Severity>()
                .map_err(|e| e.to_string())?,
            at: optional_time(request.at.as_deref())?,
            title: request.title,
            alerts: request.alerts,
            by: request.by,
            note: request.note,
        })
    })();
    let new = match checked {
        Ok(new) => new,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    if let Some(refused) = unknown_alerts(&api, &new.alerts).await {
        return refused;
    }
    let store = IncidentStore::new(&api.data);
    written(
        &api,
        blocking(move || store.open_incident(new)).await,
        StatusCode::CREATED,
    )
}

/// A request's optional `at`, as the caller's error message when it is not RFC 3339.
fn optional_time(at: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    at.map(parse_time)
        .transpose()
        .map_err(|e| Causes(&e).to_string())
}

/// `POST /api/incidents/{id}/events`.
pub async fn record(
    State(api): State<Arc<ApiState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(refused) = refusal(&api.tokens, &headers) {
        return refused;
    }
    let request: EventRequest = match parse(&body) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let checked = (|| {
        Ok::<_, String>(Update {
            stage: request
                .state
                .as_deref()
                .map(str::parse::<Stage>)
                .transpose()
                .map_err(|e| e.to_string())?,
            reported_to: request
                .reported_to
                .iter()
                .map(|a| a.parse::<Authority>())
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?,
            at: optional_time(request.at.as_deref())?,
            alerts: request.alerts,
            by: request.by,
            note: request.note,
        })
    })();
    let update = match checked {
        Ok(update) => update,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    if let Some(refused) = unknown_alerts(&api, &update.alerts).await {
        return refused;
    }
    let store = IncidentStore::new(&api.data);
    written(
        &api,
        blocking(move || store.update(&id, update)).await,
        StatusCode::OK,
    )
}

/// `POST /api/incidents/{id}/hold`.
pub async fn hold(
    state: State<Arc<ApiState>>,
    id: Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    set_hold(state, id, headers, body, true).await
}

/// `POST /api/incidents/{id}/release`.
pub async fn release(
    state: State<Arc<ApiState>>,
    id: Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    set_hold(state, id, headers, body, false).await
}

async fn set_hold(
    State(api): State<Arc<ApiState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
    hold: bool,
) -> Response {
    if let Some(refused) = refusal(&api.tokens, &headers) {
        return refused;
    }
    let request: HoldRequest = match parse(&body) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let store = IncidentStore::new(&api.data);
    let result = blocking(move || store.set_hold(&id, hold, &request.by, request.note)).await;
    written(&api, result, StatusCode::OK)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|err| err.to_string())
}

async fn unknown_alerts(api: &ApiState, ids: &[String]) -> Option<Response> {
    match missing_alerts(&api.lake, ids).await {
        Ok(missing) if missing.is_empty() => None,
        Ok(missing) => Some(error(
            StatusCode::BAD_REQUEST,
            &format!("no alert {} in the alerts table", missing.join(", ")),
        )),
        Err(err) => Some(error(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string())),
    }
}

/// The log is a file that is locked and `fsync`ed: off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, IncidentError> + Send + 'static,
) -> Result<T, IncidentError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|join| {
            Err(IncidentError::Io {
                path: PathBuf::from("incident log"),
                source: std::io::Error::other(join.to_string()),
            })
        })
}

fn written(
    api: &ApiState,
    result: Result<sanso_query::incidents::Incident, IncidentError>,
    status: StatusCode,
) -> Response {
    match result {
        Ok(incident) => {
            api.incident_gauges.refresh_from(&api.data);
            json(status, &incident)
        }
        Err(err) => failure(err),
    }
}

fn failure(err: IncidentError) -> Response {
    let status = match &err {
        IncidentError::NotFound { .. } => StatusCode::NOT_FOUND,
        IncidentError::Transition { .. }
        | IncidentError::BeforePreviousStep { .. }
        | IncidentError::HoldUnchanged { .. }
        | IncidentError::AlreadyOpen { .. } => StatusCode::CONFLICT,
        IncidentError::EmptyUpdate { .. }
        | IncidentError::NoAlerts
        | IncidentError::EmptyField { .. }
        | IncidentError::UnknownName { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(status, &err.to_string())
}

fn json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_string(body) {
        Ok(text) => (status, [(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()),
    }
}
