//! Organizations: kinds, the shape of the tree, code formats, and where an organization sits
//! (docs/DOMAIN.md, "Organizations").

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ConflictKind, Error, FieldError, Result};

/// Longest chain of parents followed when looking for a cycle; the tree is a few levels deep
/// (country → province → agency → unit), so a longer one is already corrupt.
pub const MAX_DEPTH: usize = 64;

text_enum!(
    /// What an organization is.
    OrganizationKind {
        /// The country (ประเทศไทย), the root of the tree.
        Country => "country",
        /// A province (จังหวัด); its code is ISO 3166-2:TH, e.g. `TH-35` for Yasothon.
        Province => "province",
        /// A government agency (ส่วนราชการ/หน่วยงาน): provincial, regional or national.
        Agency => "agency",
        /// A district office (อำเภอ), under its province.
        District => "district",
        /// A local government (องค์กรปกครองส่วนท้องถิ่น), under a province or a district.
        LocalGovernment => "local_government",
    }
);

impl OrganizationKind {
    /// Whether an organization of this kind may sit under `parent` (None: at the top).
    /// Agencies go anywhere: national units at the top, regional ones under the country,
    /// provincial offices under their province, sub-units under an agency.
    pub fn allows_parent(self, parent: Option<OrganizationKind>) -> Result<(), &'static str> {
        use OrganizationKind::*;
        let ok = match (self, parent) {
            (Country, None) => true,
            (Country, Some(_)) => false,
            (Province, None | Some(Country)) => true,
            (Province, Some(_)) => false,
            (District, Some(Province)) => true,
            (District, _) => false,
            (LocalGovernment, Some(Province | District)) => true,
            (LocalGovernment, _) => false,
            (Agency, _) => true,
        };
        if ok {
            Ok(())
        } else {
            Err(match self {
                Country => "a country has no parent",
                Province => "a province's parent must be the country or none",
                District => "a district's parent must be a province",
                LocalGovernment => "a local government's parent must be a province or a district",
                Agency => "",
            })
        }
    }
}

/// Organization codes: 1–40 of `A–Z a–z 0–9 . _ -`, starting with a letter or digit, so
/// they travel unchanged through URLs, CSV files and the e-report system.
pub fn check_code(code: &str) -> Result<(), &'static str> {
    let mut chars = code.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if first_ok && rest_ok && code.len() <= 40 {
        Ok(())
    } else {
        Err("must be 1–40 characters of A–Z, a–z, 0–9, '.', '_' or '-', starting with a letter or digit")
    }
}

/// What codes are compared by: codes (of organizations, components and indicators) are unique
/// ignoring case — integrations, tokens and exports name things by code, and `e.1` beside
/// `E.1` would be two names for one thing. Codes are ASCII (`check_code`), so SQL `lower`
/// agrees on both engines.
pub fn code_key(code: &str) -> String {
    code.to_ascii_lowercase()
}

/// Once reports name an organization or an indicator, its code is fixed (docs/DOMAIN.md,
/// "Components, indicators and assignments"): integrations, tokens and exports name it by
/// code. `what` names the thing (`organization YST-PEO`, `indicator E.1`); any change of the
/// stored text, letter case included, is a 409 naming `code`. No reports: the code may change.
pub fn check_reported_code(what: &str, reports: i64, before: &str, after: &str) -> Result<()> {
    if reports == 0 || before == after {
        return Ok(());
    }
    let detail = format!(
        "{what} has {reports} report(s): its code stays {before}, since integrations, tokens \
         and exports name it by code"
    );
    Err(Error::Conflict {
        kind: ConflictKind::Referenced,
        errors: vec![FieldError::new("code", detail.clone())],
        detail,
    })
}

/// An organization that has reported is kept with its reports (409): they are the record of
/// what it reported.
pub fn check_reported_delete(code: &str, reports: i64) -> Result<()> {
    if reports == 0 {
        return Ok(());
    }
    Err(Error::conflict(
        ConflictKind::Referenced,
        format!(
            "organization {code} is still referenced by {reports} report(s): an organization \
             that has reported is kept with its reports"
        ),
    ))
}

/// A province's code is its ISO 3166-2:TH code: `TH-` and two digits (`TH-35`), or `TH-S`
/// (Pattaya, a special administrative city).
pub fn check_province_code(code: &str) -> Result<(), &'static str> {
    let valid = match code.strip_prefix("TH-") {
        Some("S") => true,
        Some(digits) => digits.len() == 2 && digits.chars().all(|c| c.is_ascii_digit()),
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err("a province's code must be its ISO 3166-2:TH code, e.g. TH-35 for Yasothon")
    }
}

/// The writable fields of an organization, as created or after a merge patch.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationSpec {
    pub code: String,
    pub name_th: String,
    pub name_en: Option<String>,
    pub kind: OrganizationKind,
    pub parent_id: Option<i64>,
}

impl OrganizationSpec {
    /// Names without surrounding blanks, as stored.
    pub fn normalized(mut self) -> Self {
        self.name_th = self.name_th.trim().to_owned();
        self.name_en = self.name_en.map(|name| name.trim().to_owned());
        self
    }

    /// Every problem with the fields themselves (the tree is checked by `place`).
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let code = check_code(&self.code).and_then(|()| match self.kind {
            OrganizationKind::Province => check_province_code(&self.code),
            _ => Ok(()),
        });
        if let Err(message) = code {
            errors.push(FieldError::new("code", message));
        }
        let name_th = self.name_th.trim().chars().count();
        if name_th == 0 {
            errors.push(FieldError::new("name_th", "must not be empty"));
        } else if name_th > 300 {
            errors.push(FieldError::new("name_th", "must be at most 300 characters"));
        }
        if self
            .name_en
            .as_deref()
            .is_some_and(|name| name.trim().chars().count() > 300)
        {
            errors.push(FieldError::new("name_en", "must be at most 300 characters"));
        }
        errors
    }
}

/// What storage knows about a chosen parent.
#[derive(Debug, Clone, PartialEq)]
pub struct ParentFacts {
    pub id: i64,
    pub kind: OrganizationKind,
    pub province_id: Option<i64>,
    /// The parent's own ancestors, nearest first (at most `MAX_DEPTH`).
    pub ancestors: Vec<i64>,
}

/// Checks where an organization of `kind` (with `own_id` once it exists) may sit under
/// `parent`, and returns the province it then belongs to: a province is its own; anything
/// else belongs to its parent's province (none for national and regional units).
pub fn place(
    kind: OrganizationKind,
    own_id: Option<i64>,
    parent: Option<&ParentFacts>,
) -> Result<Option<i64>, FieldError> {
    kind.allows_parent(parent.map(|p| p.kind))
        .map_err(|message| FieldError::new("parent_id", message))?;
    if let (Some(own_id), Some(parent)) = (own_id, parent) {
        if parent.id == own_id || parent.ancestors.contains(&own_id) {
            return Err(FieldError::new(
                "parent_id",
                "an organization cannot be placed under itself or one of its own units",
            ));
        }
    }
    Ok(province_of(
        kind,
        own_id,
        parent.and_then(|p| p.province_id),
    ))
}

/// The province an organization belongs to, given its parent's: a province is its own.
pub fn province_of(
    kind: OrganizationKind,
    own_id: Option<i64>,
    parent_province: Option<i64>,
) -> Option<i64> {
    match kind {
        OrganizationKind::Province => own_id,
        _ => parent_province,
    }
}

/// A move into another province must keep every assignment true: an organization (or a unit
/// below it) assigned to an indicator of one province's evaluation may not move into another
/// province. `assigned_in` are the provinces of the evaluations it and its units are assigned
/// in; `new_province` None (a national or regional unit) may serve any province.
pub fn check_move_keeps_assignments(
    new_province: Option<i64>,
    assigned_in: &[i64],
) -> Result<(), String> {
    match new_province {
        Some(province) if assigned_in.iter().any(|assigned| *assigned != province) => Err(
            "it, or a unit below it, is assigned to indicators of an evaluation of its present \
             province; an organization under another province cannot serve there, so remove those \
             assignments first"
                .to_owned(),
        ),
        _ => Ok(()),
    }
}

/// A change of kind must leave every existing unit below a kind that may sit under it.
pub fn check_units_fit(kind: OrganizationKind, unit_kinds: &[OrganizationKind]) -> Vec<FieldError> {
    unit_kinds
        .iter()
        .filter(|unit| unit.allows_parent(Some(kind)).is_err())
        .map(|unit| {
            FieldError::new(
                "kind",
                format!(
                    "it has units of kind {} that cannot sit under a {}",
                    unit.as_str(),
                    kind.as_str()
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::OrganizationKind::*;
    use super::*;

    fn parent(
        id: i64,
        kind: OrganizationKind,
        province: Option<i64>,
        ancestors: &[i64],
    ) -> ParentFacts {
        ParentFacts {
            id,
            kind,
            province_id: province,
            ancestors: ancestors.to_vec(),
        }
    }

    #[test]
    fn placing_gives_the_province() {
        let yasothon = parent(2, Province, Some(2), &[1]);
        assert_eq!(place(Agency, None, Some(&yasothon)), Ok(Some(2)));
        assert_eq!(
            place(Province, Some(2), Some(&parent(1, Country, None, &[]))),
            Ok(Some(2))
        );
        assert_eq!(place(Province, None, None), Ok(None));
        assert_eq!(place(Agency, Some(9), None), Ok(None), "a national unit");
        let office = parent(3, Agency, Some(2), &[2, 1]);
        assert_eq!(
            place(Agency, Some(10), Some(&office)),
            Ok(Some(2)),
            "a unit of an office"
        );
        assert_eq!(
            place(District, None, Some(&office)).map_err(|e| e.field),
            Err("parent_id".to_owned())
        );
    }

    #[test]
    fn no_cycles() {
        // 3 (office) is under 2 (Yasothon): moving 2 under 3, or 3 under itself, is refused.
        let office = parent(3, Agency, Some(2), &[2, 1]);
        assert!(place(Agency, Some(2), Some(&office)).is_err());
        assert!(place(Agency, Some(3), Some(&office)).is_err());
        assert!(place(Agency, Some(4), Some(&office)).is_ok());
    }

    #[test]
    fn a_move_keeps_every_assignment_in_its_province() {
        // Assigned in Yasothon's (2) evaluation: may stay in 2, or become national, not move to 11.
        assert!(check_move_keeps_assignments(Some(2), &[2]).is_ok());
        assert!(check_move_keeps_assignments(None, &[2]).is_ok());
        assert!(check_move_keeps_assignments(Some(11), &[2]).is_err());
        assert!(check_move_keeps_assignments(Some(11), &[]).is_ok());
        assert!(check_move_keeps_assignments(Some(2), &[2, 11]).is_err());
    }

    #[test]
    fn units_must_fit_a_new_kind() {
        assert_eq!(check_units_fit(Province, &[District, Agency]), vec![]);
        assert_eq!(check_units_fit(Agency, &[District]).len(), 1);
    }

    #[test]
    fn spec_checks_fields() {
        let spec = OrganizationSpec {
            code: "YST-PEO".into(),
            name_th: " สำนักงานพลังงานจังหวัดยโสธร ".into(),
            name_en: None,
            kind: Agency,
            parent_id: Some(2),
        };
        assert!(spec.check().is_empty());
        assert_eq!(spec.clone().normalized().name_th, "สำนักงานพลังงานจังหวัดยโสธร");
        let province = OrganizationSpec {
            code: "YST".into(),
            kind: Province,
            name_th: " ".into(),
            ..spec
        };
        let fields: Vec<String> = province.check().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["code", "name_th"]);
    }

    #[test]
    fn tree_shape() {
        assert!(Province.allows_parent(Some(Country)).is_ok());
        assert!(Province.allows_parent(None).is_ok());
        assert!(Province.allows_parent(Some(Agency)).is_err());
        assert!(District.allows_parent(Some(Province)).is_ok());
        assert!(District.allows_parent(None).is_err());
        assert!(Agency.allows_parent(None).is_ok());
        assert!(Country.allows_parent(Some(Country)).is_err());
        assert!(LocalGovernment.allows_parent(Some(District)).is_ok());
    }

    #[test]
    fn codes() {
        assert!(check_code("YST-PAO").is_ok());
        assert!(check_code("4.2").is_ok());
        assert!(check_code("").is_err());
        assert!(check_code("-x").is_err());
        assert!(check_code("มหาดไทย").is_err());
        assert_eq!(code_key("E.1"), code_key("e.1"));
        assert_ne!(code_key("E.1"), code_key("E.2"));
        assert!(check_province_code("TH-35").is_ok());
        assert!(check_province_code("TH-S").is_ok());
        assert!(check_province_code("TH-350").is_err());
        assert!(check_province_code("YST").is_err());
    }

    #[test]
    fn reports_fix_codes() {
        // YST-PEO has 3 reports: YST-PEO stays YST-PEO, even in letter case.
        let refused = check_reported_code("organization YST-PEO", 3, "YST-PEO", "YST-ENERGY");
        match refused {
            Err(Error::Conflict {
                kind: ConflictKind::Referenced,
                detail,
                errors,
            }) => {
                assert!(
                    detail.contains("organization YST-PEO has 3 report(s)"),
                    "{detail}"
                );
                assert_eq!(errors[0].field, "code");
            }
            other => panic!("expected a 409, got {other:?}"),
        }
        assert!(check_reported_code("indicator E.1", 1, "E.1", "e.1").is_err());
        assert!(check_reported_code("indicator E.1", 1, "E.1", "E.1").is_ok());
        assert!(check_reported_code("indicator E.1", 0, "E.1", "E.9").is_ok());
        assert!(check_reported_delete("YST-PEO", 3).is_err());
        assert!(check_reported_delete("YST-PEO", 0).is_ok());
    }
}
