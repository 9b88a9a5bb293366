//! The Token Vault provider's API: a fake Google Calendar "list events" API
//! (`GET /provider/google/calendar/v3/calendars/primary/events`) that accepts only unexpired
//! access tokens the simulated provider (`tenant::token_vault`) issued for `google-oauth2` with
//! a calendar scope, so an example or test can finish the Token Vault story. Errors follow
//! Google's JSON shape (`{"error":{"code","message","status"}}`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::access_tokens::bearer;
use crate::config::{CALENDAR_READONLY_SCOPE, GOOGLE_CONNECTION};
use crate::tenant::AppState;

/// Scopes that allow listing events.
const CALENDAR_SCOPES: &[&str] = &[
    CALENDAR_READONLY_SCOPE,
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.events.readonly",
];

fn google_error(status: StatusCode, message: &str, google_status: &str) -> Response {
    let mut response = (
        status,
        Json(json!({ "error": { "code": status.as_u16(), "message": message, "status": google_status } })),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer realm="https://accounts.google.com/", error="invalid_token""#),
        );
    }
    response
}

/// A few deterministic events of the user's primary calendar.
fn events(calendar: &str) -> Value {
    let event = |id: &str, summary: &str, start: &str, end: &str| {
        json!({
            "kind": "calendar#event",
            "id": id,
            "status": "confirmed",
            "summary": summary,
            "start": { "dateTime": start },
            "end": { "dateTime": end },
            "organizer": { "email": calendar, "self": true },
        })
    };
    json!({
        "kind": "calendar#events",
        "summary": calendar,
        "timeZone": "UTC",
        "items": [
            event("evt-standup", "Team stand-up", "2030-01-14T09:00:00Z", "2030-01-14T09:15:00Z"),
            event("evt-review", "Design review", "2030-01-14T14:00:00Z", "2030-01-14T15:00:00Z"),
            event("evt-lunch", "Lunch with Ada", "2030-01-15T12:30:00Z", "2030-01-15T13:30:00Z"),
        ],
    })
}

/// Axum handler of the fake calendar API.
pub(crate) async fn list_events(State(tenant): State<AppState>, headers: HeaderMap) -> Response {
    let invalid = || {
        google_error(
            StatusCode::UNAUTHORIZED,
            "Request had invalid authentication credentials. Expected OAuth 2 access token.",
            "UNAUTHENTICATED",
        )
    };
    let Ok(token) = bearer(&headers) else {
        return invalid();
    };
    let Some(grant) = tenant.vault.introspect(token) else {
        return invalid();
    };
    if grant.connection != GOOGLE_CONNECTION {
        return invalid();
    }
    if !grant.scopes.iter().any(|s| CALENDAR_SCOPES.contains(&s.as_str())) {
        return google_error(
            StatusCode::FORBIDDEN,
            "Request had insufficient authentication scopes.",
            "PERMISSION_DENIED",
        );
    }
    let calendar = grant.login_hint.unwrap_or(grant.user_id);
    Json(events(&calendar)).into_response()
}
