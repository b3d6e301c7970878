//! The framework document (components, indicators, assignments by organization code) and
//! assignment roles. Evaluation statuses live in `evaluation`, components in `component`;
//! they are re-exported here for the modules that import them from this one.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::component::ComponentFields;
use super::criteria::Breakpoint;
use super::organization::code_key;
use super::period::Frequency;
use super::scoring::{AcrossOrgs, Category, OverTime, ScoreBasis};
use crate::error::FieldError;

pub use super::evaluation::{check_deadline_day, EvaluationStatus};

text_enum!(
    /// What an organization does for an indicator.
    AssignmentRole {
        /// หน่วยงานเจ้าภาพหลัก: reports.
        Host => "host",
        /// A second reporting agency.
        CoHost => "co_host",
        /// ผู้กำกับดูแลตัวชี้วัด: reviews, never reports.
        Supervisor => "supervisor",
    }
);

impl AssignmentRole {
    /// Host and co-host report; a supervisor reviews.
    pub fn reports(self) -> bool {
        matches!(self, AssignmentRole::Host | AssignmentRole::CoHost)
    }
}

/// A whole framework as one document: components, their indicators, and the organizations
/// assigned to each (by code, so a framework travels between evaluations and years).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FrameworkDocument {
    pub components: Vec<ComponentDocument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentDocument {
    #[schema(example = "1", pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
    pub code: String,
    #[schema(
        example = "การประเมินประสิทธิผลการดำเนินงาน (Performance Base)",
        min_length = 1,
        max_length = 300
    )]
    pub name: String,
    /// Percent of the overall score.
    #[schema(example = 70.0, exclusive_minimum = 0.0, maximum = 100.0)]
    pub weight: f64,
    #[serde(default)]
    pub indicators: Vec<IndicatorDocument>,
}

impl ComponentDocument {
    /// The component's own fields.
    pub fn fields(&self) -> ComponentFields {
        ComponentFields {
            code: self.code.clone(),
            name: self.name.clone(),
            weight: self.weight,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDocument {
    #[schema(example = "1.2", pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
    pub code: String,
    #[schema(
        example = "อัตราป่วยตายจากโรคติดเชื้อไวรัสโคโรนา (COVID-19) ของจังหวัด",
        min_length = 1,
        max_length = 500
    )]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[serde(default)]
    #[schema(example = "ร้อยละ", max_length = 50)]
    pub unit: Option<String>,
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default = "default_frequency")]
    pub frequency: Frequency,
    #[serde(default = "default_over_time")]
    pub over_time: OverTime,
    #[serde(default = "default_across_orgs")]
    pub across_orgs: AcrossOrgs,
    #[serde(default = "default_score_basis")]
    pub score_basis: ScoreBasis,
    #[serde(default)]
    #[schema(exclusive_minimum = 0.0)]
    pub baseline: Option<f64>,
    #[serde(default)]
    pub target: Option<f64>,
    #[serde(default = "default_weight")]
    #[schema(exclusive_minimum = 0.0)]
    pub weight: f64,
    #[schema(min_items = 2, max_items = 10)]
    pub criteria: Vec<Breakpoint>,
    #[serde(default)]
    pub assignments: Vec<AssignmentDocument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentDocument {
    #[schema(example = "YST-PHO", pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
    pub organization_code: String,
    pub role: AssignmentRole,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub contact_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub contact_position: Option<String>,
    #[serde(default)]
    #[schema(max_length = 50)]
    pub contact_phone: Option<String>,
    #[serde(default)]
    #[schema(max_length = 254)]
    pub contact_email: Option<String>,
    #[serde(default)]
    #[schema(exclusive_minimum = 0.0)]
    pub baseline: Option<f64>,
    #[serde(default)]
    pub target: Option<f64>,
}

/// Defaults of a new indicator where the request leaves a setting out.
pub fn default_frequency() -> Frequency {
    Frequency::Monthly
}
pub fn default_over_time() -> OverTime {
    OverTime::Latest
}
pub fn default_across_orgs() -> AcrossOrgs {
    AcrossOrgs::Average
}
pub fn default_score_basis() -> ScoreBasis {
    ScoreBasis::Value
}
pub fn default_weight() -> f64 {
    1.0
}

/// A finite figure no larger than 1e15 in magnitude (values, baselines, targets, weights).
pub fn check_figure(value: f64) -> Result<(), &'static str> {
    if value.is_finite() && value.abs() <= 1e15 {
        Ok(())
    } else {
        Err("must be a finite number no larger than 1e15")
    }
}

/// A required text (a name, a title): 1–`max` characters once trimmed.
pub fn check_name(text: &str, max: usize) -> Result<(), String> {
    let count = text.trim().chars().count();
    if count == 0 || count > max {
        Err(format!("must be 1–{max} characters"))
    } else {
        Ok(())
    }
}

/// An optional text (a unit, a description, a contact): at most `max` characters.
pub fn check_optional_text(text: Option<&str>, max: usize) -> Result<(), String> {
    if text.is_some_and(|t| t.chars().count() > max) {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(())
    }
}

/// The codes met so far in one document, compared by `code_key` (`e.1` and `E.1` are one code).
#[derive(Debug, Default)]
pub struct SeenCodes(HashSet<String>);

impl SeenCodes {
    /// A problem at `field` when `code` was met before, else None (and `code` is remembered).
    pub fn repeat(&mut self, code: &str, field: String, message: String) -> Option<FieldError> {
        (!self.0.insert(code_key(code))).then(|| FieldError::new(field, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_repeat_ignoring_case() {
        let mut seen = SeenCodes::default();
        assert!(seen.repeat("YST-PEO", "a".into(), "x".into()).is_none());
        assert!(seen.repeat("YST-PHO", "b".into(), "x".into()).is_none());
        let repeat = seen.repeat("yst-peo", "c".into(), "twice".into());
        assert_eq!(repeat, Some(FieldError::new("c", "twice")));
    }

    #[test]
    fn only_hosts_report() {
        assert!(AssignmentRole::Host.reports());
        assert!(AssignmentRole::CoHost.reports());
        assert!(!AssignmentRole::Supervisor.reports());
        assert!(check_deadline_day(29).is_err());
        assert!(check_figure(f64::INFINITY).is_err());
        assert_eq!(
            check_name("  ", 300),
            Err("must be 1–300 characters".into())
        );
        assert!(check_name(&"ก".repeat(300), 300).is_ok());
        assert!(check_name(&"ก".repeat(301), 300).is_err());
        assert!(check_optional_text(None, 50).is_ok());
        assert_eq!(
            check_optional_text(Some(&"x".repeat(51)), 50),
            Err("must be at most 50 characters".into())
        );
    }
}
