//! Organizations: kinds, the shape of the tree, and code formats.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

#[cfg(test)]
mod tests {
    use super::OrganizationKind::*;
    use super::*;

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
        assert!(check_province_code("TH-35").is_ok());
        assert!(check_province_code("TH-S").is_ok());
        assert!(check_province_code("TH-350").is_err());
        assert!(check_province_code("YST").is_err());
    }
}
