//! Creating and changing users: required fields, existing reference ids, email uniqueness
//! (ignoring case), the externalId knob, deactivation side effects, and the rule that a
//! user without division or city cannot change status.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::answer::Refusal;
use crate::config::{DuplicateExternalId, PutSemantics, SimConfig};
use crate::journal::{Breach, ViolationKind};
use crate::json_patch;
use crate::routes::Resource;
use crate::store::Store;
use crate::user::{ACTIVE, DEACTIVATED, User};
use crate::user_fields::UserField;

/// What a write needs besides the store and the body.
pub(crate) struct WriteContext<'a> {
    pub config: &'a SimConfig,
    pub now: DateTime<Utc>,
    pub breaches: &'a mut Vec<Breach>,
}

const REQUIRED_TEXT: [UserField; 3] = [UserField::FirstName, UserField::LastName, UserField::Email];

/// `POST /Users`: the created user, already stored.
pub(crate) fn create(
    store: &mut Store,
    body: &Value,
    cx: WriteContext<'_>,
) -> Result<User, Refusal> {
    let mut user = User::default();
    assign_object(&mut user, body, "create", cx.breaches)?;
    check_required(&user)?;
    check_references(store, &user, None)?;
    check_unique(store, &user, None, cx.config)?;

    user.id = store.allocate_id();
    user.create_date = Some(cx.now);
    user.last_updated_date = Some(cx.now);
    user.user_start_date = user.user_start_date.or(Some(start_of_day(cx.now)));
    if user.is_locked == DEACTIVATED {
        user.user_end_date = user.user_end_date.or(Some(start_of_day(cx.now)));
    }
    store.put_user(user.clone());
    Ok(store.user(user.id).cloned().unwrap_or(user))
}

/// `PATCH /Users/{id}`: all operations apply, or none.
pub(crate) fn patch(
    store: &mut Store,
    id: i64,
    body: &Value,
    cx: WriteContext<'_>,
) -> Result<(), Refusal> {
    let old = existing(store, id)?;
    let mut new = old.clone();
    let effect = json_patch::apply(&mut new, body, cx.breaches)?;
    finish_update(store, &old, new, effect.status_touched, &cx)
}

/// `PUT /Users/{id}` under the configured semantics (405 is answered before this).
pub(crate) fn put(
    store: &mut Store,
    id: i64,
    body: &Value,
    cx: WriteContext<'_>,
) -> Result<(), Refusal> {
    let old = existing(store, id)?;
    let mut new = match cx.config.put_semantics {
        PutSemantics::Merge => old.clone(),
        PutSemantics::Replace | PutSemantics::NotAllowed => User {
            id,
            is_locked: old.is_locked,
            create_date: old.create_date,
            last_login_date: old.last_login_date,
            connector_id: old.connector_id,
            ..Default::default()
        },
    };
    assign_object(&mut new, body, "PUT", cx.breaches)?;
    if cx.config.put_semantics == PutSemantics::Replace {
        check_required(&new)?;
    }
    let status_touched = body
        .as_object()
        .is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case("isLocked")));
    finish_update(store, &old, new, status_touched, &cx)
}

fn existing(store: &Store, id: i64) -> Result<User, Refusal> {
    store
        .user(id)
        .cloned()
        .ok_or_else(|| Refusal::not_found(format!("User with id {id} was not found.")))
}

/// Stores every known field of a JSON object; unknown fields are ignored but recorded.
fn assign_object(
    user: &mut User,
    body: &Value,
    action: &str,
    breaches: &mut Vec<Breach>,
) -> Result<(), Refusal> {
    let Value::Object(fields) = body else {
        return Err(Refusal::bad_request(
            "The request body must be a JSON object.",
        ));
    };
    for (name, value) in fields {
        match UserField::parse(name) {
            None => breaches.push(Breach::new(
                ViolationKind::UnknownField,
                format!("{action} field '{name}'"),
            )),
            Some(field) if field.is_read_only() => {}
            Some(field) => user
                .assign(field, value)
                .map_err(|e| Refusal::bad_request(e.message()))?,
        }
    }
    Ok(())
}

fn check_required(user: &User) -> Result<(), Refusal> {
    for field in REQUIRED_TEXT {
        let present = match field {
            UserField::FirstName => user.first_name.as_deref(),
            UserField::LastName => user.last_name.as_deref(),
            _ => user.email.as_deref(),
        };
        if present.is_none_or(|text| text.trim().is_empty()) {
            return Err(Refusal::bad_request(format!(
                "{} is required.",
                field.name()
            )));
        }
    }
    for (field, value) in ids(user) {
        if value.is_none() {
            return Err(Refusal::bad_request(format!(
                "{} is required.",
                field.name()
            )));
        }
    }
    Ok(())
}

fn ids(user: &User) -> [(UserField, Option<i64>); 5] {
    [
        (UserField::RoleId, user.role_id),
        (UserField::RegionId, user.region_id),
        (UserField::CityId, user.city_id),
        (UserField::CostCenterId, user.cost_center_id),
        (UserField::DivisionId, user.division_id),
    ]
}

/// Refuses ids that name nothing; with `before`, only ids that changed are checked, so
/// legacy values in a seed do not block unrelated edits.
fn check_references(store: &Store, user: &User, before: Option<&User>) -> Result<(), Refusal> {
    let unchanged = before.map(ids);
    for (i, (field, value)) in ids(user).into_iter().enumerate() {
        let Some(id) = value else { continue };
        if unchanged.is_some_and(|old| old[i].1 == value) {
            continue;
        }
        let exists = match field {
            UserField::RoleId => store.role(id).is_some(),
            UserField::RegionId => store.reference(Resource::Regions).contains_key(&id),
            UserField::CityId => store.reference(Resource::Cities).contains_key(&id),
            UserField::CostCenterId => store.reference(Resource::CostCenters).contains_key(&id),
            _ => store.reference(Resource::Divisions).contains_key(&id),
        };
        if !exists {
            return Err(Refusal::bad_request(format!(
                "{} {id} does not exist.",
                field.name()
            )));
        }
    }
    Ok(())
}

fn check_unique(
    store: &Store,
    user: &User,
    except: Option<i64>,
    config: &SimConfig,
) -> Result<(), Refusal> {
    if let Some(email) = user.email.as_deref()
        && store.email_taken(email, except)
    {
        return Err(Refusal::bad_request(format!(
            "A user with the email '{email}' already exists."
        )));
    }
    if config.duplicate_external_id == DuplicateExternalId::Reject
        && let Some(external_id) = user.external_id.as_deref()
        && store.external_id_taken(external_id, except)
    {
        let message = format!("A user with the externalId '{external_id}' already exists.");
        return Err(Refusal::bad_request(message));
    }
    Ok(())
}

/// The checks and side effects shared by PATCH and PUT, then the store update.
fn finish_update(
    store: &mut Store,
    old: &User,
    mut new: User,
    status_touched: bool,
    cx: &WriteContext<'_>,
) -> Result<(), Refusal> {
    let cleared = REQUIRED_TEXT.iter().find(|field| {
        let had = !matches!(old.scalar(**field), crate::filter::Scalar::Null);
        let has = !matches!(new.scalar(**field), crate::filter::Scalar::Null);
        had && !has
    });
    if let Some(field) = cleared {
        return Err(Refusal::bad_request(format!(
            "{} is required.",
            field.name()
        )));
    }
    check_references(store, &new, Some(old))?;
    let email_changed =
        new.email.as_deref().map(str::to_lowercase) != old.email.as_deref().map(str::to_lowercase);
    let external_changed = new.external_id != old.external_id;
    if email_changed || external_changed {
        let mut probe = new.clone();
        probe.email = new.email.clone().filter(|_| email_changed);
        probe.external_id = new.external_id.clone().filter(|_| external_changed);
        check_unique(store, &probe, Some(old.id), cx.config)?;
    }
    if status_touched && (new.division_id.is_none() || new.city_id.is_none()) {
        let message = format!(
            "Cannot update user with id {}. divisionId and cityId are required to change the status.",
            old.id
        );
        return Err(Refusal::bad_request(message));
    }

    if old.is_locked == ACTIVE
        && new.is_locked == DEACTIVATED
        && new.user_end_date == old.user_end_date
    {
        new.user_end_date = Some(start_of_day(cx.now));
    }
    if new != *old {
        new.last_updated_date = Some(cx.now);
        store.put_user(new);
    }
    Ok(())
}

fn start_of_day(moment: DateTime<Utc>) -> DateTime<Utc> {
    moment
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map_or(moment, |day| day.and_utc())
}
