//! The user record as the simulator stores and serves it, with the field names and JSON
//! types observed in real API 2.0 responses. Derived fields (`uid`, `fullName`, `status`,
//! `self`) are kept in step by `normalize`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// `isLocked` of an active user.
pub const ACTIVE: i64 = 0;
/// `isLocked` of a deactivated user.
pub const DEACTIVATED: i64 = -1;
/// `status` text of an active user.
pub const STATUS_ACTIVE: &str = "Active";
/// `status` text of a deactivated user (the real text is undocumented).
pub const STATUS_INACTIVE: &str = "Inactive";

/// One Jira Align user. In seeds only `id` is required; everything else defaults to null,
/// empty or active.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct User {
    pub id: i64,
    #[serde(default)]
    pub uid: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub role_id: Option<i64>,
    #[serde(default)]
    pub region_id: Option<i64>,
    #[serde(default)]
    pub city_id: Option<i64>,
    #[serde(default)]
    pub cost_center_id: Option<i64>,
    #[serde(default)]
    pub division_id: Option<i64>,
    #[serde(default)]
    pub enterprise_hierarchy_id: Option<i64>,
    #[serde(default)]
    pub holiday_region_id: Option<i64>,
    #[serde(default)]
    pub holiday_city_id: Option<i64>,
    /// `0` active, `-1` deactivated.
    #[serde(default)]
    pub is_locked: i64,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub user_start_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub user_end_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub create_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_login_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_updated_date: Option<DateTime<Utc>>,
    /// Accepts `true`/`false` or `1`/`0` on input; served as a boolean.
    #[serde(default, deserialize_with = "bool_or_int")]
    pub is_external: bool,
    #[serde(default)]
    pub user_type: Option<i64>,
    #[serde(default)]
    pub employee_id: Option<String>,
    #[serde(default)]
    pub manager_id: Option<i64>,
    /// Set on users the Jira connector created.
    #[serde(default)]
    pub connector_id: Option<i64>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub teams: Vec<serde_json::Value>,
    /// `<site>/rest/align/api/2/users/<id>`.
    #[serde(rename = "self", default)]
    pub self_link: String,
}

impl User {
    /// Recomputes the derived fields from the stored ones.
    pub fn normalize(&mut self, site_url: &str) {
        self.uid = self.id.to_string();
        self.full_name = match (&self.first_name, &self.last_name) {
            (Some(first), Some(last)) => format!("{first} {last}"),
            (Some(only), None) | (None, Some(only)) => only.clone(),
            (None, None) => String::new(),
        };
        self.status = if self.is_active() {
            STATUS_ACTIVE
        } else {
            STATUS_INACTIVE
        }
        .to_owned();
        self.self_link = format!("{site_url}/rest/align/api/2/users/{}", self.id);
    }

    pub fn is_active(&self) -> bool {
        self.is_locked == ACTIVE
    }
}

/// Reads a boolean written either as JSON `true`/`false` or as `1`/`0`.
pub(crate) fn bool_or_int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Bool(flag) => Ok(flag),
        serde_json::Value::Number(n) if n.as_i64() == Some(0) => Ok(false),
        serde_json::Value::Number(n) if n.as_i64() == Some(1) => Ok(true),
        serde_json::Value::Null => Ok(false),
        other => Err(serde::de::Error::custom(format!(
            "expected a boolean, found {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_derives_names_status_and_link() {
        let mut user = User {
            id: 661838,
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            is_locked: DEACTIVATED,
            ..Default::default()
        };
        user.normalize("http://127.0.0.1:9");
        assert_eq!(user.uid, "661838");
        assert_eq!(user.full_name, "Ada Lovelace");
        assert_eq!(user.status, "Inactive");
        assert_eq!(
            user.self_link,
            "http://127.0.0.1:9/rest/align/api/2/users/661838"
        );
    }

    #[test]
    fn is_external_reads_numbers_and_booleans() {
        let user: User =
            serde_json::from_str(r#"{"id": 1, "isExternal": 1}"#).expect("literal is a valid user");
        assert!(user.is_external);
        let user: User = serde_json::from_str(r#"{"id": 1, "isExternal": false}"#)
            .expect("literal is a valid user");
        assert!(!user.is_external);
    }
}
