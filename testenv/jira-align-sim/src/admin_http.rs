//! The admin surface under `/__admin/`, outside the API path, so scripts can drive the
//! binary: read state, journal and violations, change the configuration, reset, rotate
//! tokens. It needs no token.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use crate::admin::Admin;
use crate::answer::empty;
use crate::config::SimConfig;
use crate::seed::{ApiToken, Seed};
use crate::state::Shared;

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/state", get(state))
        .route("/users", get(users))
        .route("/requests", get(requests))
        .route("/counts", get(counts))
        .route("/violations", get(violations))
        .route("/config", get(config).put(set_config))
        .route("/reset", post(reset))
        .route("/tokens", post(set_token))
        .fallback(|| async { empty(StatusCode::NOT_FOUND) })
}

fn admin(shared: Arc<Shared>) -> Admin {
    Admin::new(shared)
}

async fn state(State(shared): State<Arc<Shared>>) -> Json<Seed> {
    Json(admin(shared).state())
}

async fn users(State(shared): State<Arc<Shared>>) -> Response {
    Json(admin(shared).users()).into_response()
}

async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    Json(admin(shared).request_log()).into_response()
}

async fn counts(State(shared): State<Arc<Shared>>) -> Response {
    Json(admin(shared).request_count_rows()).into_response()
}

async fn violations(State(shared): State<Arc<Shared>>) -> Response {
    Json(admin(shared).violations()).into_response()
}

async fn config(State(shared): State<Arc<Shared>>) -> Json<SimConfig> {
    Json(admin(shared).config())
}

/// Replaces the whole configuration; fields left out take their defaults.
async fn set_config(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<SimConfig>(&body) {
        Ok(config) => {
            admin(shared).set_config(config);
            empty(StatusCode::NO_CONTENT)
        }
        Err(error) => bad_request(error),
    }
}

/// Resets to the seed in the body, or to the starting seed when the body is empty.
async fn reset(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let admin = admin(shared);
    if body.iter().all(u8::is_ascii_whitespace) {
        admin.reset_to_initial();
        return empty(StatusCode::NO_CONTENT);
    }
    let seed = serde_json::from_slice::<Seed>(&body).map_err(|e| e.to_string());
    match seed.and_then(|seed| seed.validate().map(|()| seed).map_err(|e| e.to_string())) {
        Ok(seed) => {
            admin.reset(seed);
            empty(StatusCode::NO_CONTENT)
        }
        Err(error) => bad_request(error),
    }
}

/// Regenerates a user's token: `{"userId": 1, "secret": "new"}`.
async fn set_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<ApiToken>(&body) {
        Ok(token) => {
            admin(shared).set_token(token.user_id, &token.secret);
            empty(StatusCode::NO_CONTENT)
        }
        Err(error) => bad_request(error),
    }
}

#[derive(Serialize)]
struct AdminError {
    message: String,
}

fn bad_request(error: impl ToString) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(AdminError {
            message: error.to_string(),
        }),
    )
        .into_response()
}
