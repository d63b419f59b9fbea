//! Which API route a request addresses. Resource names match without regard to case, as
//! public scripts use both `/Users` and `/users`; anything else is an unknown route.

use std::fmt;

use axum::http::Method;
use serde::{Deserialize, Serialize};

/// The path prefix of every API 2.0 resource.
pub const API_PREFIX: &str = "/rest/align/api/2/";

/// The kind of route a request was classified as, the key of request counts.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum RouteKind {
    ListUsers,
    GetUser,
    CreateUser,
    PatchUser,
    PutUser,
    DeleteUser,
    ListReference,
    GetReference,
    /// A known resource with a method it does not support (405).
    MethodNotAllowed,
    /// No such route (404 with an empty body).
    #[default]
    Unknown,
}

impl fmt::Display for RouteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self {
            RouteKind::ListUsers => "list_users",
            RouteKind::GetUser => "get_user",
            RouteKind::CreateUser => "create_user",
            RouteKind::PatchUser => "patch_user",
            RouteKind::PutUser => "put_user",
            RouteKind::DeleteUser => "delete_user",
            RouteKind::ListReference => "list_reference",
            RouteKind::GetReference => "get_reference",
            RouteKind::MethodNotAllowed => "method_not_allowed",
            RouteKind::Unknown => "unknown",
        };
        f.write_str(label)
    }
}

/// The reference lists user defaults point at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Resource {
    Regions,
    Cities,
    CostCenters,
    Divisions,
}

impl Resource {
    fn parse(segment: &str) -> Option<Self> {
        match segment.to_ascii_lowercase().as_str() {
            "regions" => Some(Resource::Regions),
            "cities" => Some(Resource::Cities),
            "costcenters" => Some(Resource::CostCenters),
            "divisions" => Some(Resource::Divisions),
            _ => None,
        }
    }

    /// The singular noun used in error messages.
    pub fn noun(self) -> &'static str {
        match self {
            Resource::Regions => "region",
            Resource::Cities => "city",
            Resource::CostCenters => "cost center",
            Resource::Divisions => "division",
        }
    }
}

/// A request's target with its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    ListUsers,
    GetUser(i64),
    CreateUser,
    PatchUser(i64),
    PutUser(i64),
    DeleteUser(i64),
    ListReference(Resource),
    GetReference(Resource, i64),
    MethodNotAllowed { allow: &'static str },
    Unknown,
}

impl Route {
    pub(crate) fn kind(self) -> RouteKind {
        match self {
            Route::ListUsers => RouteKind::ListUsers,
            Route::GetUser(_) => RouteKind::GetUser,
            Route::CreateUser => RouteKind::CreateUser,
            Route::PatchUser(_) => RouteKind::PatchUser,
            Route::PutUser(_) => RouteKind::PutUser,
            Route::DeleteUser(_) => RouteKind::DeleteUser,
            Route::ListReference(_) => RouteKind::ListReference,
            Route::GetReference(..) => RouteKind::GetReference,
            Route::MethodNotAllowed { .. } => RouteKind::MethodNotAllowed,
            Route::Unknown => RouteKind::Unknown,
        }
    }
}

/// Classifies a request by method and path (the path without its query string).
pub(crate) fn classify(method: &Method, path: &str) -> Route {
    let Some(rest) = strip_prefix_ignore_case(path, API_PREFIX) else {
        return Route::Unknown;
    };
    let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    match segments.as_slice() {
        [resource] if resource.eq_ignore_ascii_case("users") => match *method {
            Method::GET => Route::ListUsers,
            Method::POST => Route::CreateUser,
            _ => Route::MethodNotAllowed { allow: "GET, POST" },
        },
        [resource, id] if resource.eq_ignore_ascii_case("users") => {
            let Some(id) = parse_id(id) else {
                return Route::Unknown;
            };
            match *method {
                Method::GET => Route::GetUser(id),
                Method::PATCH => Route::PatchUser(id),
                Method::PUT => Route::PutUser(id),
                Method::DELETE => Route::DeleteUser(id),
                _ => Route::MethodNotAllowed {
                    allow: "GET, PATCH, PUT",
                },
            }
        }
        [resource] => match (Resource::parse(resource), method) {
            (Some(resource), &Method::GET) => Route::ListReference(resource),
            (Some(_), _) => Route::MethodNotAllowed { allow: "GET" },
            (None, _) => Route::Unknown,
        },
        [resource, id] => match (Resource::parse(resource), parse_id(id), method) {
            (Some(resource), Some(id), &Method::GET) => Route::GetReference(resource, id),
            (Some(_), Some(_), _) => Route::MethodNotAllowed { allow: "GET" },
            _ => Route::Unknown,
        },
        _ => Route::Unknown,
    }
}

fn parse_id(segment: &str) -> Option<i64> {
    if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment.parse().ok()
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_match_without_regard_to_case() {
        let path = "/rest/align/api/2/USERS/42";
        assert_eq!(classify(&Method::GET, path), Route::GetUser(42));
        let path = "/rest/align/api/2/CostCenters";
        assert_eq!(
            classify(&Method::GET, path),
            Route::ListReference(Resource::CostCenters)
        );
    }

    #[test]
    fn unknown_shapes_are_unknown_routes() {
        assert_eq!(
            classify(&Method::GET, "/rest/align/api/2/items/3"),
            Route::Unknown
        );
        assert_eq!(
            classify(&Method::GET, "/rest/align/api/2/users/abc"),
            Route::Unknown
        );
        assert_eq!(
            classify(&Method::GET, "/rest/align/api/2/users/1/x"),
            Route::Unknown
        );
        assert_eq!(classify(&Method::GET, "/api/users"), Route::Unknown);
    }

    #[test]
    fn delete_on_a_user_is_its_own_route() {
        let path = "/rest/align/api/2/users/7";
        assert_eq!(classify(&Method::DELETE, path), Route::DeleteUser(7));
        assert_eq!(
            classify(&Method::POST, "/rest/align/api/2/regions"),
            Route::MethodNotAllowed { allow: "GET" }
        );
    }
}
