//! Whether a group member's account is usable: disabled, expired and locked accounts are not
//! entitled even while they are still in the group. The clock is passed in.

use chrono::{DateTime, Utc};

use super::entry::{BadValue, RawEntry};
use crate::snapshot::ExclusionReason;

/// userAccountControl bit ACCOUNTDISABLE.
pub(crate) const UAC_ACCOUNT_DISABLE: u32 = 0x2;

/// accountExpires value meaning "never" when nobody ever set an expiry (2^63 - 1).
const FILETIME_NEVER: i64 = i64::MAX;

/// 100-ns intervals per second in a Windows FILETIME.
const FILETIME_TICKS_PER_SECOND: i64 = 10_000_000;

/// Seconds from 1601-01-01 (FILETIME epoch) to 1970-01-01 (Unix epoch).
const FILETIME_UNIX_OFFSET_SECONDS: i64 = 11_644_473_600;

/// Attributes the account checks read in Active Directory mode.
pub(crate) const AD_STATE_ATTRIBUTES: [&str; 2] = ["userAccountControl", "accountExpires"];

/// Attributes the account checks read in generic LDAP mode (389-DS/FreeIPA, OpenLDAP ppolicy).
pub(crate) const LDAP_STATE_ATTRIBUTES: [&str; 2] = ["nsAccountLock", "pwdAccountLockedTime"];

/// Why an account is not entitled, or `None` when it is usable at `now`.
pub(crate) fn exclusion(
    entry: &RawEntry,
    now: DateTime<Utc>,
) -> Result<Option<ExclusionReason>, BadValue> {
    if let Some(flags) = number(entry, "userAccountControl")?
        && is_disabled(flags)
    {
        return Ok(Some(ExclusionReason::Disabled));
    }
    if let Some(ns_lock) = entry.text("nsAccountLock")?
        && ns_lock.trim().eq_ignore_ascii_case("true")
    {
        return Ok(Some(ExclusionReason::Disabled));
    }
    if let Some(expires) = number(entry, "accountExpires")?
        && filetime_to_utc(expires).is_some_and(|at| at <= now)
    {
        return Ok(Some(ExclusionReason::Expired));
    }
    if entry.text("pwdAccountLockedTime")?.is_some() {
        return Ok(Some(ExclusionReason::Locked));
    }
    Ok(None)
}

/// Whether userAccountControl has ACCOUNTDISABLE. AD writes the flags as a signed 32-bit
/// decimal, so the value is read as i64 and its low 32 bits are used.
pub(crate) fn is_disabled(user_account_control: i64) -> bool {
    (user_account_control as u32) & UAC_ACCOUNT_DISABLE != 0
}

/// Converts an accountExpires FILETIME (100-ns intervals since 1601-01-01 UTC) to a time;
/// `None` means the account never expires (0 and 2^63 - 1, or a value outside the calendar).
pub(crate) fn filetime_to_utc(filetime: i64) -> Option<DateTime<Utc>> {
    if filetime <= 0 || filetime == FILETIME_NEVER {
        return None;
    }
    let seconds = filetime / FILETIME_TICKS_PER_SECOND - FILETIME_UNIX_OFFSET_SECONDS;
    let nanos = (filetime % FILETIME_TICKS_PER_SECOND) * 100;
    // The remainder of a positive division is below 10^7, so nanos is below 10^9.
    DateTime::from_timestamp(seconds, nanos as u32)
}

fn number(entry: &RawEntry, attribute: &str) -> Result<Option<i64>, BadValue> {
    match entry.text(attribute)? {
        None => Ok(None),
        Some(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| BadValue::new(attribute, "not an integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("test timestamps are RFC 3339")
    }

    #[test]
    fn filetime_zero_and_max_mean_never() {
        assert_eq!(filetime_to_utc(0), None);
        assert_eq!(filetime_to_utc(0x7FFF_FFFF_FFFF_FFFF), None);
        assert_eq!(filetime_to_utc(-5), None);
    }

    #[test]
    fn filetime_converts_to_utc() {
        assert_eq!(
            filetime_to_utc(116_444_736_000_000_000),
            Some(at("1970-01-01T00:00:00Z"))
        );
        assert_eq!(
            filetime_to_utc(133_801_632_000_000_000),
            Some(at("2025-01-01T00:00:00Z"))
        );
        assert_eq!(
            filetime_to_utc(133_801_632_000_000_001),
            Some(at("2025-01-01T00:00:00.0000001Z"))
        );
    }

    #[test]
    fn user_account_control_bits() {
        assert!(!is_disabled(512));
        assert!(is_disabled(514));
        assert!(is_disabled(0x10202));
        assert!(!is_disabled(0x10200));
        assert!(is_disabled(-2_147_483_646));
    }

    #[test]
    fn ad_accounts_are_judged_by_flags_then_expiry() {
        let now = at("2026-06-01T00:00:00Z");
        let enabled = RawEntry::new(
            "cn=a",
            vec![
                ("userAccountControl", vec![b"512"]),
                ("accountExpires", vec![b"9223372036854775807"]),
            ],
        );
        assert_eq!(exclusion(&enabled, now), Ok(None));
        let disabled = RawEntry::new("cn=b", vec![("userAccountControl", vec![b"514"])]);
        assert_eq!(
            exclusion(&disabled, now),
            Ok(Some(ExclusionReason::Disabled))
        );
        let expired = RawEntry::new(
            "cn=c",
            vec![
                ("userAccountControl", vec![b"512"]),
                ("accountExpires", vec![b"133801632000000000"]),
            ],
        );
        assert_eq!(exclusion(&expired, now), Ok(Some(ExclusionReason::Expired)));
        let earlier = at("2024-12-31T23:59:59Z");
        assert_eq!(exclusion(&expired, earlier), Ok(None));
    }

    #[test]
    fn ldap_accounts_are_judged_by_lock_attributes() {
        let now = at("2026-06-01T00:00:00Z");
        let locked = RawEntry::new("uid=a", vec![("nsAccountLock", vec![b"TRUE"])]);
        assert_eq!(exclusion(&locked, now), Ok(Some(ExclusionReason::Disabled)));
        let unlocked = RawEntry::new("uid=a", vec![("nsAccountLock", vec![b"false"])]);
        assert_eq!(exclusion(&unlocked, now), Ok(None));
        let ppolicy = RawEntry::new(
            "uid=b",
            vec![("pwdAccountLockedTime", vec![b"000001010000Z"])],
        );
        assert_eq!(exclusion(&ppolicy, now), Ok(Some(ExclusionReason::Locked)));
    }

    #[test]
    fn unreadable_flags_are_errors() {
        let now = at("2026-06-01T00:00:00Z");
        let bad = RawEntry::new("cn=a", vec![("userAccountControl", vec![b"lots"])]);
        assert_eq!(
            exclusion(&bad, now),
            Err(BadValue::new("userAccountControl", "not an integer"))
        );
    }
}
