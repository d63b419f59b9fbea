//! Bearer authentication with API 2.0 tokens (`user:<id>|<secret>`, the word `bearer` in
//! any case) and the permission check: only roles that may manage users may write them.

use axum::http::{HeaderValue, StatusCode};

use crate::answer::Refusal;
use crate::routes::RouteKind;
use crate::store::Store;

const DENIED: &str = "Authorization has been denied for this request.";

/// The id of the active user the request's token belongs to, or a 401 refusal.
pub(crate) fn authenticate(header: Option<&HeaderValue>, store: &Store) -> Result<i64, Refusal> {
    let denied = || Refusal::new(StatusCode::UNAUTHORIZED, DENIED);
    let value = header.and_then(|h| h.to_str().ok()).ok_or_else(denied)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(denied)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(denied());
    }
    let (user_id, secret) = parse_token(token.trim()).ok_or_else(denied)?;
    let known = store
        .secret_of(user_id)
        .is_some_and(|expected| expected == secret);
    let active = store.user(user_id).is_some_and(|user| user.is_active());
    if known && active {
        Ok(user_id)
    } else {
        Err(denied())
    }
}

/// Splits `user:<id>|<secret>`.
fn parse_token(token: &str) -> Option<(i64, &str)> {
    let (id, secret) = token.strip_prefix("user:")?.split_once('|')?;
    Some((id.parse().ok()?, secret))
}

/// Refuses writes to users by a token whose role may not manage users (403).
pub(crate) fn authorize(store: &Store, user_id: i64, route: RouteKind) -> Result<(), Refusal> {
    let writes = matches!(
        route,
        RouteKind::CreateUser | RouteKind::PatchUser | RouteKind::PutUser | RouteKind::DeleteUser
    );
    if !writes {
        return Ok(());
    }
    let role = store
        .user(user_id)
        .and_then(|user| user.role_id)
        .and_then(|id| store.role(id));
    if role.is_some_and(|role| role.can_manage_users) {
        Ok(())
    } else {
        Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "You do not have permission to manage users.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{ADMIN_SECRET, GeneratorSpec, READER_USER_ID, RETIRED_SECRET, generate};

    fn store() -> Store {
        Store::from_seed(
            &generate(&GeneratorSpec {
                users: 0,
                ..Default::default()
            }),
            "http://sim",
        )
    }

    fn check(value: &str) -> Result<i64, u16> {
        let header = HeaderValue::from_str(value).expect("test headers are ASCII");
        authenticate(Some(&header), &store()).map_err(|r| r.status.as_u16())
    }

    #[test]
    fn bearer_in_any_case_with_the_right_secret_passes() {
        assert_eq!(check(&format!("bearer user:1|{ADMIN_SECRET}")), Ok(1));
        assert_eq!(check(&format!("Bearer user:1|{ADMIN_SECRET}")), Ok(1));
        assert_eq!(check(&format!("BEARER user:1|{ADMIN_SECRET}")), Ok(1));
    }

    #[test]
    fn wrong_missing_or_retired_tokens_are_401() {
        assert_eq!(check("bearer user:1|wrong"), Err(401));
        assert_eq!(check(&format!("Basic user:1|{ADMIN_SECRET}")), Err(401));
        assert_eq!(check(&format!("bearer user:3|{RETIRED_SECRET}")), Err(401));
        assert_eq!(check("bearer 1|admin-secret"), Err(401));
        assert_eq!(
            authenticate(None, &store()).map_err(|r| r.status.as_u16()),
            Err(401)
        );
    }

    #[test]
    fn only_managing_roles_may_write_users() {
        let store = store();
        assert_eq!(authorize(&store, 1, RouteKind::PatchUser), Ok(()));
        assert_eq!(
            authorize(&store, READER_USER_ID, RouteKind::ListUsers),
            Ok(())
        );
        let refused = authorize(&store, READER_USER_ID, RouteKind::CreateUser);
        assert_eq!(refused.map_err(|r| r.status.as_u16()), Err(403));
    }
}
