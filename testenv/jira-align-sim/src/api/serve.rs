//! Serving one admitted API request: authentication, budget and permission first, then the
//! route itself (lists, reads, writes) with its answer.

use std::time::Instant;

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::Response;
use chrono::{SubsecRound, Utc};
use serde_json::Value;

use crate::answer::{Refusal, empty, json_bytes};
use crate::config::{CreateAnswer, PutSemantics, SimConfig};
use crate::journal::{Breach, LoggedRequest, ViolationKind};
use crate::routes::Route;
use crate::state::Shared;
use crate::users_write::{self, WriteContext};
use crate::{auth, listing, query};

/// One request as the route handlers see it.
#[derive(Clone, Copy)]
pub(super) struct Call<'a> {
    pub shared: &'a Shared,
    pub config: &'a SimConfig,
    pub route: Route,
    pub parts: &'a Parts,
    pub bytes: &'a Bytes,
}

/// Everything after faults: authentication, budget, permission, then the route itself.
pub(super) fn serve(
    call: &Call<'_>,
    entry: &mut LoggedRequest,
    breaches: &mut Vec<Breach>,
) -> Response {
    let config = call.config;
    if call.route == Route::Unknown {
        breaches.push(Breach::new(
            ViolationKind::UnknownRoute,
            format!("{} {}", entry.method, entry.path),
        ));
        return empty(StatusCode::NOT_FOUND);
    }
    let user_id = match admit(call) {
        Ok(user_id) => user_id,
        Err(refusal) => return refusal.into_response(config.error_body),
    };
    entry.user_id = Some(user_id);
    match serve_route(call, entry, breaches) {
        Ok(response) => response,
        Err(refusal) => refusal.into_response(config.error_body),
    }
}

/// Authentication (401), then the budget (429), then permission (403).
fn admit(call: &Call<'_>) -> Result<i64, Refusal> {
    let Call {
        shared,
        config,
        route,
        parts,
        ..
    } = *call;
    let store = shared.store();
    let user_id = auth::authenticate(parts.headers.get(header::AUTHORIZATION), &store)?;
    if let Some(budget) = config.budget {
        let charged = shared
            .runtime()
            .budgets
            .charge(user_id, budget.per_minute, Instant::now());
        if let Err(seconds) = charged {
            let mut refusal = Refusal::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests.");
            refusal.retry_after = Some(seconds);
            return Err(refusal);
        }
    }
    auth::authorize(&store, user_id, route.kind())?;
    Ok(user_id)
}

fn serve_route(
    call: &Call<'_>,
    entry: &mut LoggedRequest,
    breaches: &mut Vec<Breach>,
) -> Result<Response, Refusal> {
    let Call {
        shared,
        config,
        route,
        parts,
        bytes,
    } = *call;
    let not_allowed = |allow: &'static str, breaches: &mut Vec<Breach>| {
        breaches.push(Breach::new(
            ViolationKind::UnsupportedMethod,
            format!("{} {}", parts.method, parts.uri.path()),
        ));
        let refusal = Refusal::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "The requested resource does not support this method.",
        );
        let mut response = refusal.into_response(config.error_body);
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
        Ok(response)
    };
    let now = config.fixed_now.unwrap_or_else(Utc::now).trunc_subsecs(0);
    match route {
        Route::Unknown => Ok(empty(StatusCode::NOT_FOUND)),
        Route::MethodNotAllowed { allow } => not_allowed(allow, breaches),
        Route::DeleteUser(_) => not_allowed("GET, PATCH, PUT", breaches),
        Route::PutUser(_) if config.put_semantics == PutSemantics::NotAllowed => {
            not_allowed("GET, PATCH", breaches)
        }
        Route::ListUsers => {
            let options = query::parse_list_options(parts.uri.query(), config, breaches)?;
            let page = listing::users_page(&shared.store(), &options, config.filter_strings)?;
            Ok(json_bytes(StatusCode::OK, page))
        }
        Route::ListReference(resource) => {
            let options = query::parse_list_options(parts.uri.query(), config, breaches)?;
            let page = listing::reference_page(
                shared.store().reference(resource),
                &options,
                config.filter_strings,
            )?;
            Ok(json_bytes(StatusCode::OK, page))
        }
        Route::GetUser(id) => {
            let store = shared.store();
            let user = store
                .user(id)
                .ok_or_else(|| Refusal::not_found(format!("User with id {id} was not found.")))?;
            Ok(json_bytes(StatusCode::OK, to_json(user)?))
        }
        Route::GetReference(resource, id) => {
            let store = shared.store();
            let missing = || {
                Refusal::not_found(format!(
                    "The {} with id {id} was not found.",
                    resource.noun()
                ))
            };
            let record = store.reference(resource).get(&id).ok_or_else(missing)?;
            Ok(json_bytes(StatusCode::OK, to_json(record)?))
        }
        Route::CreateUser | Route::PatchUser(_) | Route::PutUser(_) => {
            let body = json_body(parts, bytes, breaches)?;
            entry.body = Some(body.clone());
            let mut store = shared.store_mut();
            let cx = WriteContext {
                config,
                now,
                breaches,
            };
            let response = match route {
                Route::CreateUser => {
                    let user = users_write::create(&mut store, &body, cx)?;
                    created(config.create_answer, &user)?
                }
                Route::PatchUser(id) => users_write::patch(&mut store, id, &body, cx)
                    .map(|()| empty(StatusCode::NO_CONTENT))?,
                Route::PutUser(id) => users_write::put(&mut store, id, &body, cx)
                    .map(|()| empty(StatusCode::NO_CONTENT))?,
                _ => empty(StatusCode::NOT_FOUND),
            };
            entry.applied = true;
            Ok(response)
        }
    }
}

fn created(answer: CreateAnswer, user: &crate::user::User) -> Result<Response, Refusal> {
    Ok(match answer {
        CreateAnswer::Object => json_bytes(StatusCode::CREATED, to_json(user)?),
        CreateAnswer::BareId => json_bytes(StatusCode::CREATED, user.id.to_string().into_bytes()),
        CreateAnswer::Empty => empty(StatusCode::CREATED),
    })
}

/// The JSON body of a write; a non-JSON content type is refused with 415.
fn json_body(parts: &Parts, bytes: &Bytes, breaches: &mut Vec<Breach>) -> Result<Value, Refusal> {
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .trim()
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        breaches.push(Breach::new(
            ViolationKind::ContentType,
            format!("Content-Type '{content_type}'"),
        ));
        let message = format!("The content type '{content_type}' is not supported.");
        return Err(Refusal::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message));
    }
    serde_json::from_slice(bytes)
        .map_err(|_| Refusal::bad_request("The request body is not valid JSON."))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, Refusal> {
    serde_json::to_vec(value)
        .map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}
