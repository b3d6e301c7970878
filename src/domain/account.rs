//! Accounts (docs/DOMAIN.md, "Accounts"): roles, the rules every local account obeys, when a
//! change invalidates the tokens already issued, and the failed-login throttle. The API, the
//! command line and the demo seeding all check accounts here and nowhere else.

use std::ops::RangeInclusive;

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

text_enum!(
    /// What an account may do.
    Role {
        /// ก.พ.ร. / national administrator: everything.
        Admin => "admin",
        /// กลุ่มงานยุทธศาสตร์ฯ สำนักงานจังหวัด: its province.
        ProvinceAdmin => "province_admin",
        /// ผู้กำกับดูแลตัวชี้วัด: reads its province, reviews what it supervises.
        Supervisor => "supervisor",
        /// เจ้าหน้าที่ผู้บันทึกข้อมูล: its own organization's reports.
        AgencyOfficer => "agency_officer",
        /// ผู้บริหาร: reads its province, or everything without an organization.
        Viewer => "viewer",
        /// e-report and scripts: batch import and read.
        Integration => "integration",
    }
);

impl Role {
    /// Roles that only make sense inside an organization: their accounts need one, and their
    /// tokens an `org` claim.
    pub fn needs_organization(self) -> bool {
        matches!(
            self,
            Role::ProvinceAdmin | Role::Supervisor | Role::AgencyOfficer
        )
    }
}

/// Usernames: 3–64 of `A–Z a–z 0–9 . _ - @`. ASCII only, so "ignoring case" means the same on
/// both engines and in Rust.
pub const USERNAME_LENGTH: RangeInclusive<usize> = 3..=64;
/// Display names: 1–200 characters after trimming.
pub const DISPLAY_NAME_LENGTH: RangeInclusive<usize> = 1..=200;
/// Passwords: 12–256 characters (any characters).
pub const PASSWORD_LENGTH: RangeInclusive<usize> = 12..=256;

pub fn check_username(username: &str) -> Result<(), &'static str> {
    let ok = USERNAME_LENGTH.contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err("must be 3–64 of A–Z, a–z, 0–9, '.', '_', '-', '@'")
    }
}

/// The form usernames are compared in: unique ignoring case, one failed-login count per key.
pub fn username_key(username: &str) -> String {
    username.to_ascii_lowercase()
}

/// Checks a display name as given; it is stored trimmed (`display_name`).
pub fn check_display_name(name: &str) -> Result<(), &'static str> {
    let name = name.trim();
    if !DISPLAY_NAME_LENGTH.contains(&name.chars().count()) {
        Err("must be 1–200 characters")
    } else if name.chars().any(char::is_control) {
        Err("must not contain control characters")
    } else {
        Ok(())
    }
}

/// The display name as stored.
pub fn display_name(name: &str) -> String {
    name.trim().to_owned()
}

pub fn check_password(password: &str) -> Result<(), &'static str> {
    let length = password.chars().count();
    if length < *PASSWORD_LENGTH.start() {
        Err("must be at least 12 characters")
    } else if length > *PASSWORD_LENGTH.end() {
        Err("must be at most 256 characters")
    } else {
        Ok(())
    }
}

/// Whether an account of `role` may have (or lack) an organization.
pub fn check_placement(role: Role, has_organization: bool) -> Result<(), String> {
    if role.needs_organization() && !has_organization {
        Err(format!("the role {} needs an organization", role.as_str()))
    } else {
        Ok(())
    }
}

/// Whether a login could match any account: a password is checked (hashed) only then.
pub fn could_be_credentials(username: &str, password: &str) -> bool {
    check_username(username).is_ok() && check_password(password).is_ok()
}

/// An account as created or changed, checked as a whole. `username` is None for a change (it
/// cannot change); `password` is None when it is kept.
#[derive(Debug, Clone, Copy)]
pub struct AccountSpec<'a> {
    pub username: Option<&'a str>,
    pub display_name: &'a str,
    pub password: Option<&'a str>,
    pub role: Role,
    pub has_organization: bool,
}

impl AccountSpec<'_> {
    /// Every rule it breaks, named by the API's field names (`username`, `display_name`,
    /// `password`, `organization_id`).
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        if let Some(Err(message)) = self.username.map(check_username) {
            problems.push(FieldError::new("username", message));
        }
        if let Err(message) = check_display_name(self.display_name) {
            problems.push(FieldError::new("display_name", message));
        }
        if let Some(Err(message)) = self.password.map(check_password) {
            problems.push(FieldError::new("password", message));
        }
        if let Err(message) = check_placement(self.role, self.has_organization) {
            problems.push(FieldError::new("organization_id", message));
        }
        problems
    }
}

/// Whether a change makes the tokens issued before it invalid: a new password, or enabling a
/// disabled account (a disabled account's tokens are refused anyway while it is disabled).
pub fn resets_credentials(was_disabled: bool, is_disabled: bool, password_changed: bool) -> bool {
    password_changed || (was_disabled && !is_disabled)
}

/// Whether a token issued at `issued_at` (the `iat` claim, whole seconds) was issued before the
/// account's credentials last changed at `credentials_changed_at`, and so no longer speaks for
/// it. `iat` has whole seconds: a token of the same second as the change may be older than the
/// change, so it is refused too; sign-in gives its tokens an `iat` of the next second at the
/// earliest (`first_issue_second`), so a sign-in right after a reset still works.
pub fn token_predates_credentials(issued_at: i64, credentials_changed_at: NaiveDateTime) -> bool {
    issued_at < first_issue_second(credentials_changed_at)
}

/// When a credential change made at `now` is recorded: `now`, or the whole second after the
/// previous change when that is later. Sign-in may have issued a token stamped with that next
/// second (`first_issue_second`); a later change must still postdate it, so that token is
/// refused too.
pub fn next_credentials_change(previous: NaiveDateTime, now: NaiveDateTime) -> NaiveDateTime {
    let after_previous = chrono::DateTime::from_timestamp(first_issue_second(previous), 0)
        .map_or(now, |instant| instant.naive_utc());
    now.max(after_previous)
}

/// The earliest `iat` a token may carry for an account whose credentials changed at
/// `credentials_changed_at`: the whole second after the change.
pub fn first_issue_second(credentials_changed_at: NaiveDateTime) -> i64 {
    credentials_changed_at.and_utc().timestamp() + 1
}

/// The failed-login throttle: at most `max_checks` password checks per username (ignoring
/// case) per `window`; the check that fails at the limit locks the username for `lock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottle {
    pub max_checks: i32,
    pub window: Duration,
    pub lock: Duration,
}

impl LoginThrottle {
    /// Five checks per 15 minutes, then 15 minutes locked.
    pub const STANDARD: LoginThrottle = LoginThrottle {
        max_checks: 5,
        window: Duration::minutes(15),
        lock: Duration::minutes(15),
    };

    /// A window that started at or before this instant is over.
    pub fn window_cutoff(&self, now: NaiveDateTime) -> NaiveDateTime {
        now - self.window
    }

    /// When the lock that a failure at `now` sets ends.
    pub fn locked_until(&self, now: NaiveDateTime) -> NaiveDateTime {
        now + self.lock
    }

    /// Seconds a refused username waits (at least 1): until its lock ends and, when its window
    /// is full, until that window ends.
    pub fn retry_after_seconds(
        &self,
        now: NaiveDateTime,
        window_started_at: NaiveDateTime,
        checks: i32,
        locked_until: Option<NaiveDateTime>,
    ) -> u64 {
        let window_ends = (checks >= self.max_checks).then(|| window_started_at + self.window);
        let until = [window_ends, locked_until].into_iter().flatten().max();
        until
            .map(|until| (until - now).num_seconds())
            .unwrap_or(0)
            .max(1)
            .unsigned_abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").expect("instant")
    }

    #[test]
    fn usernames() {
        for good in [
            "abc",
            "somchai.peo",
            "a_b-c@d.go.th",
            &"a".repeat(64),
            "ADMIN",
        ] {
            assert_eq!(check_username(good), Ok(()), "{good}");
        }
        for bad in [
            "ab",
            "has space",
            "ผู้ใช้",
            "tab\tname",
            "",
            &"a".repeat(65),
            "a/b",
        ] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
        assert_eq!(username_key("Somchai.PEO"), "somchai.peo");
    }

    #[test]
    fn display_names_count_characters_after_trimming() {
        assert_eq!(check_display_name("ก"), Ok(()));
        assert_eq!(check_display_name(&"ก".repeat(200)), Ok(()));
        assert!(check_display_name(&"ก".repeat(201)).is_err());
        assert!(check_display_name("   ").is_err());
        assert!(check_display_name("a\u{0}b").is_err());
        assert_eq!(display_name("  สมชาย  "), "สมชาย");
    }

    #[test]
    fn passwords_count_characters() {
        assert!(check_password(&"x".repeat(11)).is_err());
        assert_eq!(check_password(&"x".repeat(12)), Ok(()));
        assert_eq!(check_password(&"ก".repeat(256)), Ok(()));
        assert!(check_password(&"x".repeat(257)).is_err());
        assert!(could_be_credentials("energy.officer", "demo-password-2565"));
        assert!(!could_be_credentials("has space", "demo-password-2565"));
        assert!(!could_be_credentials("energy.officer", "short"));
    }

    #[test]
    fn some_roles_need_an_organization() {
        for role in Role::ALL {
            assert_eq!(check_placement(*role, true), Ok(()));
            assert_eq!(
                check_placement(*role, false).is_err(),
                role.needs_organization()
            );
        }
        assert_eq!(
            check_placement(Role::AgencyOfficer, false),
            Err("the role agency_officer needs an organization".to_owned())
        );
    }

    #[test]
    fn a_spec_reports_every_problem_by_field() {
        let spec = AccountSpec {
            username: Some("has space"),
            display_name: " ",
            password: Some("short"),
            role: Role::Supervisor,
            has_organization: false,
        };
        let fields: Vec<String> = spec.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            ["username", "display_name", "password", "organization_id"]
        );
        let change = AccountSpec {
            username: None,
            password: None,
            display_name: "ok",
            role: Role::Viewer,
            has_organization: false,
        };
        assert!(change.problems().is_empty());
    }

    #[test]
    fn which_changes_reset_credentials() {
        assert!(resets_credentials(false, false, true));
        assert!(resets_credentials(true, false, false));
        assert!(!resets_credentials(false, true, false));
        assert!(!resets_credentials(true, true, false));
        assert!(!resets_credentials(false, false, false));
    }

    #[test]
    fn a_second_change_within_a_second_still_postdates_every_token_issued() {
        let first = at("2026-01-01 00:00:10.100000");
        // Signed in right after the first change: stamped 00:00:11.
        let token = first_issue_second(first);
        let second = next_credentials_change(first, at("2026-01-01 00:00:10.500000"));
        assert_eq!(second, at("2026-01-01 00:00:11"));
        assert!(token_predates_credentials(token, second));
        // A change well after the last one is recorded as it happens.
        let later = at("2026-01-01 00:05:00.250000");
        assert_eq!(next_credentials_change(first, later), later);
    }

    #[test]
    fn tokens_of_the_same_second_as_the_change_are_refused() {
        for changed in [at("2026-01-01 00:00:10"), at("2026-01-01 00:00:10.999999")] {
            let second = changed.and_utc().timestamp();
            assert!(token_predates_credentials(second - 1, changed));
            assert!(token_predates_credentials(second, changed), "may be older");
            assert!(!token_predates_credentials(second + 1, changed));
            assert_eq!(first_issue_second(changed), second + 1);
            assert!(!token_predates_credentials(
                first_issue_second(changed),
                changed
            ));
        }
    }

    #[test]
    fn retry_after_is_the_later_of_lock_and_full_window() {
        let throttle = LoginThrottle::STANDARD;
        let now = at("2026-01-01 10:00:00");
        let started = at("2026-01-01 09:50:00");
        // The window is full: five minutes until it ends.
        assert_eq!(throttle.retry_after_seconds(now, started, 5, None), 300);
        // A lock ending later wins.
        let lock = Some(at("2026-01-01 10:15:00"));
        assert_eq!(throttle.retry_after_seconds(now, started, 5, lock), 900);
        // Never less than a second.
        assert_eq!(throttle.retry_after_seconds(now, started, 1, None), 1);
        assert_eq!(throttle.locked_until(now), at("2026-01-01 10:15:00"));
        assert_eq!(throttle.window_cutoff(now), at("2026-01-01 09:45:00"));
    }
}
