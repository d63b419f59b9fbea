//! User fields addressed by name, as `$select`, `$filter`, JSON Patch paths and create bodies
//! do. Names match without regard to case (`roleID` finds `roleId`); values are type-checked
//! the way the API refuses a string where an integer id is expected.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::filter::Scalar;
use crate::user::{ACTIVE, DEACTIVATED, User};

/// A user field by its documented name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UserField {
    Id,
    Uid,
    FirstName,
    LastName,
    FullName,
    Email,
    ExternalId,
    Title,
    RoleId,
    RegionId,
    CityId,
    CostCenterId,
    DivisionId,
    EnterpriseHierarchyId,
    HolidayRegionId,
    HolidayCityId,
    IsLocked,
    Status,
    UserStartDate,
    UserEndDate,
    CreateDate,
    LastLoginDate,
    LastUpdatedDate,
    IsExternal,
    UserType,
    EmployeeId,
    ManagerId,
    ConnectorId,
    TimeZone,
    Notes,
    Teams,
    SelfLink,
}

const NAMES: &[(UserField, &str)] = &[
    (UserField::Id, "id"),
    (UserField::Uid, "uid"),
    (UserField::FirstName, "firstName"),
    (UserField::LastName, "lastName"),
    (UserField::FullName, "fullName"),
    (UserField::Email, "email"),
    (UserField::ExternalId, "externalId"),
    (UserField::Title, "title"),
    (UserField::RoleId, "roleId"),
    (UserField::RegionId, "regionId"),
    (UserField::CityId, "cityId"),
    (UserField::CostCenterId, "costCenterId"),
    (UserField::DivisionId, "divisionId"),
    (UserField::EnterpriseHierarchyId, "enterpriseHierarchyId"),
    (UserField::HolidayRegionId, "holidayRegionId"),
    (UserField::HolidayCityId, "holidayCityId"),
    (UserField::IsLocked, "isLocked"),
    (UserField::Status, "status"),
    (UserField::UserStartDate, "userStartDate"),
    (UserField::UserEndDate, "userEndDate"),
    (UserField::CreateDate, "createDate"),
    (UserField::LastLoginDate, "lastLoginDate"),
    (UserField::LastUpdatedDate, "lastUpdatedDate"),
    (UserField::IsExternal, "isExternal"),
    (UserField::UserType, "userType"),
    (UserField::EmployeeId, "employeeId"),
    (UserField::ManagerId, "managerId"),
    (UserField::ConnectorId, "connectorId"),
    (UserField::TimeZone, "timeZone"),
    (UserField::Notes, "notes"),
    (UserField::Teams, "teams"),
    (UserField::SelfLink, "self"),
];

impl UserField {
    pub(crate) fn parse(name: &str) -> Option<Self> {
        NAMES
            .iter()
            .find(|(_, known)| known.eq_ignore_ascii_case(name))
            .map(|(field, _)| *field)
    }

    /// The documented, camelCase name.
    pub(crate) fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(field, _)| *field == self)
            .map_or("", |(_, name)| name)
    }

    /// Fields a write silently ignores, as the API does for `readOnly` properties and
    /// `status`.
    pub(crate) fn is_read_only(self) -> bool {
        use UserField::*;
        matches!(
            self,
            Id | Uid
                | FullName
                | Status
                | CreateDate
                | LastLoginDate
                | LastUpdatedDate
                | ConnectorId
                | SelfLink
        )
    }
}

/// A value of the wrong type or shape for a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub field: &'static str,
    pub value: String,
}

impl FieldError {
    pub(crate) fn message(&self) -> String {
        format!(
            "The value '{}' is not valid for {}.",
            self.value, self.field
        )
    }
}

impl User {
    /// A field's value for `$filter`.
    pub(crate) fn scalar(&self, field: UserField) -> Scalar<'_> {
        use UserField::*;
        let int = |v: Option<i64>| v.map_or(Scalar::Null, Scalar::Int);
        let date = |v: Option<DateTime<Utc>>| v.map_or(Scalar::Null, Scalar::Date);
        match field {
            Id => Scalar::Int(self.id),
            Uid => Scalar::Str(&self.uid),
            FirstName => text_scalar(&self.first_name),
            LastName => text_scalar(&self.last_name),
            FullName => Scalar::Str(&self.full_name),
            Email => text_scalar(&self.email),
            ExternalId => text_scalar(&self.external_id),
            Title => text_scalar(&self.title),
            RoleId => int(self.role_id),
            RegionId => int(self.region_id),
            CityId => int(self.city_id),
            CostCenterId => int(self.cost_center_id),
            DivisionId => int(self.division_id),
            EnterpriseHierarchyId => int(self.enterprise_hierarchy_id),
            HolidayRegionId => int(self.holiday_region_id),
            HolidayCityId => int(self.holiday_city_id),
            IsLocked => Scalar::Int(self.is_locked),
            Status => Scalar::Str(&self.status),
            UserStartDate => date(self.user_start_date),
            UserEndDate => date(self.user_end_date),
            CreateDate => date(self.create_date),
            LastLoginDate => date(self.last_login_date),
            LastUpdatedDate => date(self.last_updated_date),
            IsExternal => Scalar::Bool(self.is_external),
            UserType => int(self.user_type),
            EmployeeId => text_scalar(&self.employee_id),
            ManagerId => int(self.manager_id),
            ConnectorId => int(self.connector_id),
            TimeZone => text_scalar(&self.time_zone),
            Notes => text_scalar(&self.notes),
            Teams => Scalar::Unsupported,
            SelfLink => Scalar::Str(&self.self_link),
        }
    }

    /// Stores `value` in a writable field, refusing values of the wrong JSON type. Read-only
    /// fields are the caller's to skip; derived fields are recomputed by `normalize`.
    pub(crate) fn assign(&mut self, field: UserField, value: &Value) -> Result<(), FieldError> {
        use UserField::*;
        let invalid = || FieldError {
            field: field.name(),
            value: display(value),
        };
        match field {
            FirstName => self.first_name = text(value).ok_or_else(invalid)?,
            LastName => self.last_name = text(value).ok_or_else(invalid)?,
            Email => self.email = text(value).ok_or_else(invalid)?,
            ExternalId => self.external_id = text(value).ok_or_else(invalid)?,
            Title => self.title = text(value).ok_or_else(invalid)?,
            EmployeeId => self.employee_id = text(value).ok_or_else(invalid)?,
            TimeZone => self.time_zone = text(value).ok_or_else(invalid)?,
            Notes => self.notes = text(value).ok_or_else(invalid)?,
            RoleId => self.role_id = int(value).ok_or_else(invalid)?,
            RegionId => self.region_id = int(value).ok_or_else(invalid)?,
            CityId => self.city_id = int(value).ok_or_else(invalid)?,
            CostCenterId => self.cost_center_id = int(value).ok_or_else(invalid)?,
            DivisionId => self.division_id = int(value).ok_or_else(invalid)?,
            EnterpriseHierarchyId => {
                self.enterprise_hierarchy_id = int(value).ok_or_else(invalid)?
            }
            HolidayRegionId => self.holiday_region_id = int(value).ok_or_else(invalid)?,
            HolidayCityId => self.holiday_city_id = int(value).ok_or_else(invalid)?,
            UserType => self.user_type = int(value).ok_or_else(invalid)?,
            ManagerId => self.manager_id = int(value).ok_or_else(invalid)?,
            UserStartDate => self.user_start_date = date(value).ok_or_else(invalid)?,
            UserEndDate => self.user_end_date = date(value).ok_or_else(invalid)?,
            IsLocked => match value.as_i64() {
                Some(state @ (ACTIVE | DEACTIVATED)) => self.is_locked = state,
                _ => return Err(invalid()),
            },
            IsExternal => match value {
                Value::Bool(flag) => self.is_external = *flag,
                Value::Number(n) if matches!(n.as_i64(), Some(0 | 1)) => {
                    self.is_external = n.as_i64() == Some(1)
                }
                _ => return Err(invalid()),
            },
            Teams => match value {
                Value::Array(items) => self.teams = items.clone(),
                _ => return Err(invalid()),
            },
            Id | Uid | FullName | Status | CreateDate | LastLoginDate | LastUpdatedDate
            | ConnectorId | SelfLink => {}
        }
        Ok(())
    }
}

fn text_scalar(value: &Option<String>) -> Scalar<'_> {
    value.as_deref().map_or(Scalar::Null, Scalar::Str)
}

/// `Some(None)` for null, `Some(Some(s))` for a string, `None` for any other type.
fn text(value: &Value) -> Option<Option<String>> {
    match value {
        Value::Null => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        _ => None,
    }
}

fn int(value: &Value) -> Option<Option<i64>> {
    match value {
        Value::Null => Some(None),
        Value::Number(n) => n.as_i64().map(Some),
        _ => None,
    }
}

fn date(value: &Value) -> Option<Option<DateTime<Utc>>> {
    match value {
        Value::Null => Some(None),
        Value::String(s) => parse_date_time(s).map(Some),
        _ => None,
    }
}

/// Reads an RFC 3339 date-time, or a bare `YYYY-MM-DD` date as its midnight UTC.
pub(crate) fn parse_date_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(moment) = DateTime::parse_from_rfc3339(text) {
        return Some(moment.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc())
}

fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_without_regard_to_case() {
        assert_eq!(UserField::parse("roleID"), Some(UserField::RoleId));
        assert_eq!(UserField::parse("SELF"), Some(UserField::SelfLink));
        assert_eq!(UserField::parse("nickname"), None);
        assert_eq!(UserField::CostCenterId.name(), "costCenterId");
    }

    #[test]
    fn a_string_for_an_id_is_refused() {
        let mut user = User::default();
        let error = user
            .assign(UserField::RoleId, &Value::from("7"))
            .expect_err("a string is not an id");
        assert_eq!(error.message(), "The value '7' is not valid for roleId.");
        assert_eq!(user.assign(UserField::RoleId, &Value::from(7)), Ok(()));
        assert_eq!(user.role_id, Some(7));
    }

    #[test]
    fn dates_accept_a_bare_day() {
        let mut user = User::default();
        assert_eq!(
            user.assign(UserField::UserEndDate, &Value::from("2024-07-01")),
            Ok(())
        );
        let expected = parse_date_time("2024-07-01T00:00:00Z");
        assert_eq!(user.user_end_date, expected);
    }
}
