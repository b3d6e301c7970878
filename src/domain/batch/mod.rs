//! Batch intake (docs/DOMAIN.md, "Batch intake"): items that name an indicator and an
//! organization by code, read from JSON or CSV, each classified as created, updated, unchanged
//! or rejected by the same rules as a single report (`domain::submission`). Pure: storage
//! fetches the facts once per batch, `classify` decides every item, storage writes the result.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};

use super::framework::{check_figure, AssignmentRole};
use super::organization::code_key;
use super::period::{FiscalYear, Frequency, Period};
use super::submission::{
    placement_problems, InitialStatus, Placement, ReportContent, ReportState, SubmissionStatus,
    MAX_TEXT,
};
use super::text::forbidden_character_message;
use crate::error::FieldError;

/// The most items one batch may hold.
pub const MAX_ITEMS: usize = 100_000;

mod reason;

pub use reason::{Lang, Reason};

/// The unknown field names of one item the report lists.
pub const MAX_UNKNOWN: usize = 3;

/// The fields an item may have, in the order a CSV header lists them.
pub const FIELDS: [&str; 7] = [
    "indicator_code",
    "organization_code",
    "period",
    "value",
    "narrative",
    "status",
    "submitted_at",
];

/// One field of an item as it was sent: JSON has numbers, strings and nulls (anything else is
/// `Other`); CSV has text, and an empty cell is `Absent`.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Absent,
    Null,
    Text(String),
    Number(f64),
    Other,
    /// Bytes that are not UTF-8 (a CSV saved in another encoding, e.g. Windows-874).
    NotUtf8,
}

/// An item as sent, before any rule: its position and its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct RawItem {
    /// 0-based position among the items (for CSV: the data row).
    pub index: usize,
    /// The CSV line it starts on (1-based, the header is line 1).
    pub line: Option<u64>,
    pub indicator_code: Raw,
    pub organization_code: Raw,
    pub period: Raw,
    pub value: Raw,
    pub narrative: Raw,
    pub status: Raw,
    pub submitted_at: Raw,
    /// Names of fields the item has that no item may have (or has twice), the first few.
    pub unknown: Vec<String>,
    /// How many such fields there were.
    pub unknown_count: usize,
    /// A CSV row with another number of cells than the header: (cells, header columns).
    pub shape: Option<(usize, usize)>,
}

impl RawItem {
    pub fn new(index: usize, line: Option<u64>) -> Self {
        Self {
            index,
            line,
            indicator_code: Raw::Absent,
            organization_code: Raw::Absent,
            period: Raw::Absent,
            value: Raw::Absent,
            narrative: Raw::Absent,
            status: Raw::Absent,
            submitted_at: Raw::Absent,
            unknown: Vec::new(),
            unknown_count: 0,
            shape: None,
        }
    }

    /// The slot of field `name`, or None for a field no item has.
    pub fn field_mut(&mut self, name: &str) -> Option<&mut Raw> {
        Some(match name {
            "indicator_code" => &mut self.indicator_code,
            "organization_code" => &mut self.organization_code,
            "period" => &mut self.period,
            "value" => &mut self.value,
            "narrative" => &mut self.narrative,
            "status" => &mut self.status,
            "submitted_at" => &mut self.submitted_at,
            _ => return None,
        })
    }

    /// Sets field `name`, or records it as unknown: the first `MAX_UNKNOWN` names, then only
    /// a count (an item of a million unknown keys costs one line of the report, not a million).
    /// A field sent twice is kept as unknown too (`value` twice: which one was meant?).
    pub fn set(&mut self, name: &str, value: Raw) {
        match self.field_mut(name) {
            Some(slot) if *slot == Raw::Absent => *slot = value,
            _ => {
                self.unknown_count += 1;
                if self.unknown.len() < MAX_UNKNOWN {
                    self.unknown.push(name.to_owned());
                }
            }
        }
    }
}

/// An item whose fields all read: what it asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemSpec {
    pub indicator_code: String,
    pub organization_code: String,
    pub period: Period,
    pub value: Option<f64>,
    /// `None`: the item leaves the narrative out, so a stored one is kept (an e-report push of
    /// values must not erase what an officer wrote); `Some(None)`: JSON `null`, cleared.
    pub narrative: Option<Option<String>>,
    pub status: InitialStatus,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// Reads an item's fields (docs/DOMAIN.md, "Batch intake"): every problem at once.
/// `may_backfill`: the caller may send `submitted_at` (admin, integration).
pub fn read_item(item: RawItem, may_backfill: bool) -> Result<ItemSpec, Vec<Reason>> {
    let more_unknown = item.unknown_count.saturating_sub(item.unknown.len());
    let mut reasons: Vec<Reason> = item.unknown.into_iter().map(Reason::UnknownField).collect();
    if more_unknown > 0 {
        reasons.push(Reason::UnknownField(format!("… and {more_unknown} more")));
    }
    if let Some((cells, columns)) = item.shape {
        reasons.push(Reason::RowShape { cells, columns });
    }
    let text = |name: &'static str, raw: Raw, max: usize, reasons: &mut Vec<Reason>| match raw {
        Raw::Absent | Raw::Null => None,
        Raw::Text(t) if t.chars().count() > max => {
            reasons.push(Reason::TooLong(name, max));
            None
        }
        Raw::Text(t) => match forbidden_character_message(&t) {
            Some(message) => {
                reasons.push(Reason::ForbiddenCharacter(name, message));
                None
            }
            None => Some(t),
        },
        Raw::Number(_) | Raw::Other => {
            reasons.push(Reason::NotText(name));
            None
        }
        Raw::NotUtf8 => {
            reasons.push(Reason::NotUtf8(name));
            None
        }
    };
    let required = |name: &'static str, raw: Raw, reasons: &mut Vec<Reason>| {
        if matches!(raw, Raw::Absent | Raw::Null) {
            reasons.push(Reason::Missing(name));
        }
        text(name, raw, 40, reasons)
    };
    let indicator_code = required("indicator_code", item.indicator_code, &mut reasons);
    let organization_code = required("organization_code", item.organization_code, &mut reasons);
    let period_text = required("period", item.period, &mut reasons);
    let narrative = match item.narrative {
        Raw::Absent => None,
        Raw::Null => Some(None),
        raw => Some(text("narrative", raw, MAX_TEXT, &mut reasons)),
    };
    let status_text = text("status", item.status, 20, &mut reasons);
    let submitted_text = text("submitted_at", item.submitted_at, 40, &mut reasons);
    let period = period_text.and_then(|t| match t.parse::<Period>() {
        Ok(period) => Some(period),
        Err(_) => {
            reasons.push(Reason::BadPeriod(t));
            None
        }
    });
    let value = match item.value {
        Raw::Absent | Raw::Null => None,
        Raw::Number(v) => Some(v),
        Raw::Text(t) => match t.trim().parse::<f64>() {
            Ok(v) => Some(v),
            Err(_) => {
                reasons.push(Reason::NotANumber(t));
                None
            }
        },
        Raw::Other => {
            reasons.push(Reason::NotANumber("…".into()));
            None
        }
        Raw::NotUtf8 => {
            reasons.push(Reason::NotUtf8("value"));
            None
        }
    };
    if let Some(v) = value.filter(|v| check_figure(*v).is_err()) {
        reasons.push(Reason::BadValue(v));
    }
    let status = match status_text.as_deref() {
        None => Some(InitialStatus::Submitted),
        Some(t) => InitialStatus::parse(t).or_else(|| {
            reasons.push(Reason::BadStatus(t.to_owned()));
            None
        }),
    };
    let submitted_at = match submitted_text {
        None => None,
        Some(_) if !may_backfill => {
            reasons.push(Reason::BackfillNotAllowed);
            None
        }
        // Microseconds, as every stored instant (both engines keep exactly these).
        Some(t) => match DateTime::parse_from_rfc3339(t.trim()) {
            Ok(instant) => Some(instant.with_timezone(&Utc).trunc_subsecs(6)),
            Err(_) => {
                reasons.push(Reason::BadInstant(t));
                None
            }
        },
    };
    if submitted_at.is_some() && status == Some(InitialStatus::Draft) {
        reasons.push(Reason::DraftWithSubmittedAt);
    }
    match (indicator_code, organization_code, period, status) {
        (Some(indicator_code), Some(organization_code), Some(period), Some(status))
            if reasons.is_empty() =>
        {
            Ok(ItemSpec {
                indicator_code,
                organization_code,
                period,
                value,
                narrative,
                status,
                submitted_at,
            })
        }
        _ => Err(reasons),
    }
}

/// An indicator of the batch's evaluation, as the rules read it.
#[derive(Debug, Clone)]
pub struct IndicatorFacts {
    pub id: i64,
    pub code: String,
    pub frequency: Frequency,
}

/// An organization a batch names.
#[derive(Debug, Clone)]
pub struct OrganizationFacts {
    pub id: i64,
    pub code: String,
    /// The caller reports for it (`policy::Caller::batch_scope`).
    pub in_scope: bool,
}

/// A stored report a batch item meets.
#[derive(Debug, Clone)]
pub struct ExistingReport {
    pub id: i64,
    pub version: i64,
    pub state: ReportState,
}

/// Everything `classify` decides on, fetched once per batch.
#[derive(Debug)]
pub struct BatchFacts {
    pub fiscal_year: FiscalYear,
    pub span: (Period, Period),
    /// By `code_key`.
    pub indicators: HashMap<String, IndicatorFacts>,
    /// By `code_key`.
    pub organizations: HashMap<String, OrganizationFacts>,
    /// (indicator id, organization id) → role.
    pub roles: HashMap<(i64, i64), AssignmentRole>,
    /// (indicator id, organization id, period) → the report.
    pub existing: HashMap<(i64, i64, Period), ExistingReport>,
    /// The caller corrects submitted reports (an admin, a province admin, an integration); an
    /// agency officer edits only drafts and returned reports, by batch as by hand.
    pub corrects_submitted: bool,
}

/// What becomes of one item. The states are boxed: a batch of 100,000 mostly unchanged items
/// then holds 100,000 small outcomes, not 100,000 of the largest variant.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Created {
        indicator_id: i64,
        organization_id: i64,
        period: Period,
        state: Box<ReportState>,
    },
    Updated {
        id: i64,
        version: i64,
        before: Box<ReportState>,
        after: Box<ReportState>,
    },
    Unchanged {
        id: i64,
    },
    Rejected(Vec<Reason>),
}

/// Classifies every item of a batch at `at` (docs/DOMAIN.md, "Batch intake"). An item is
/// rejected for unreadable fields, unknown codes, an organization out of the caller's scope,
/// a place no single report may be filed in, or a second item for the same (indicator,
/// organization, period); else created when no report exists, unchanged when value, narrative
/// (an item without one keeps the stored one)
/// and status are the report's, updated when a draft, returned or submitted report differs, and
/// rejected when an approved one does (or a submitted one would go back to draft).
pub fn classify(
    items: &[Result<ItemSpec, Vec<Reason>>],
    facts: &BatchFacts,
    at: DateTime<Utc>,
) -> Vec<Outcome> {
    let mut first_of: HashMap<(i64, i64, Period), usize> = HashMap::new();
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let spec = match item {
                Ok(spec) => spec,
                Err(reasons) => return Outcome::Rejected(reasons.clone()),
            };
            let (indicator, organization) = match resolve(spec, facts) {
                Ok(found) => found,
                Err(reasons) => return Outcome::Rejected(reasons),
            };
            let placement = Placement {
                fiscal_year: facts.fiscal_year,
                span: facts.span,
                frequency: indicator.frequency,
                indicator_code: &indicator.code,
                organization_code: &organization.code,
                role: facts.roles.get(&(indicator.id, organization.id)).copied(),
            };
            let placed: Vec<Reason> = placement_problems(&placement, spec.period)
                .into_iter()
                .map(|problem| placement_reason(problem, &placement, spec.period))
                .collect();
            if !placed.is_empty() {
                return Outcome::Rejected(placed);
            }
            let key = (indicator.id, organization.id, spec.period);
            if let Some(first_index) = first_of.get(&key) {
                return Outcome::Rejected(vec![Reason::DuplicateInBatch {
                    first_index: *first_index,
                }]);
            }
            first_of.insert(key, index);
            decide(
                spec,
                facts.existing.get(&key),
                key,
                facts.corrects_submitted,
                at,
            )
        })
        .collect()
}

fn resolve<'f>(
    spec: &ItemSpec,
    facts: &'f BatchFacts,
) -> Result<(&'f IndicatorFacts, &'f OrganizationFacts), Vec<Reason>> {
    let indicator = facts.indicators.get(&code_key(&spec.indicator_code));
    let organization = facts.organizations.get(&code_key(&spec.organization_code));
    let mut reasons = Vec::new();
    if indicator.is_none() {
        reasons.push(Reason::UnknownIndicator(spec.indicator_code.clone()));
    }
    match organization {
        None => reasons.push(Reason::UnknownOrganization(spec.organization_code.clone())),
        Some(org) if !org.in_scope => reasons.push(Reason::OutOfScope(org.code.clone())),
        Some(_) => {}
    }
    match (indicator, organization) {
        (Some(indicator), Some(organization)) if reasons.is_empty() => {
            Ok((indicator, organization))
        }
        _ => Err(reasons),
    }
}

/// The single report's rule, with its message in Thai beside the English.
fn placement_reason(problem: FieldError, placement: &Placement<'_>, period: Period) -> Reason {
    let (start, end) = placement.span;
    let thai = match problem.field.as_str() {
        "period" if period < start || period > end => format!(
            "เดือน {} อยู่นอกช่วงการประเมิน {} – {}",
            period.thai_label(),
            start.thai_label(),
            end.thai_label()
        ),
        "period" => format!(
            "เดือน {} ไม่ใช่เดือนที่ต้องรายงานของตัวชี้วัด {}",
            period.thai_label(),
            placement.indicator_code
        ),
        _ if placement.role.is_some() => format!(
            "หน่วยงาน {} เป็นผู้กำกับตัวชี้วัด {}: ผู้กำกับตรวจรายงาน ไม่ได้รายงานเอง",
            placement.organization_code, placement.indicator_code
        ),
        _ => format!(
            "หน่วยงาน {} ไม่ได้รับมอบหมายให้รายงานตัวชี้วัด {} (เจ้าภาพหลักหรือเจ้าภาพร่วม)",
            placement.organization_code, placement.indicator_code
        ),
    };
    // An item names its organization by code.
    let field = match problem.field.as_str() {
        "organization_id" => "organization_code".to_owned(),
        _ => problem.field,
    };
    Reason::Placement {
        field,
        english: problem.message,
        thai,
    }
}

/// Created, unchanged, updated or rejected against the stored report.
fn decide(
    spec: &ItemSpec,
    existing: Option<&ExistingReport>,
    (indicator_id, organization_id, period): (i64, i64, Period),
    corrects_submitted: bool,
    at: DateTime<Utc>,
) -> Outcome {
    if spec.submitted_at.is_some_and(|first| first > at) {
        return Outcome::Rejected(vec![Reason::FutureSubmission]);
    }
    let Some(existing) = existing else {
        let content = ReportContent {
            value: spec.value,
            narrative: spec.narrative.clone().flatten(),
            ..ReportContent::default()
        };
        return match ReportState::filed(content, spec.status, spec.submitted_at.unwrap_or(at)) {
            Ok(state) => Outcome::Created {
                indicator_id,
                organization_id,
                period,
                state: Box::new(state),
            },
            Err(_) => Outcome::Rejected(vec![Reason::Missing("value")]),
        };
    };
    let before = &existing.state;
    let narrative = match &spec.narrative {
        None => before.content.narrative.clone(),
        Some(given) => given.clone(),
    };
    let same_figures = before.content.value == spec.value && before.content.narrative == narrative;
    let wanted = match (spec.status, before.status) {
        // Saving a draft over a returned report keeps it returned: both wait for their reporter.
        (InitialStatus::Draft, SubmissionStatus::Returned) => SubmissionStatus::Returned,
        (InitialStatus::Draft, _) => SubmissionStatus::Draft,
        (InitialStatus::Submitted, _) => SubmissionStatus::Submitted,
    };
    match before.status {
        // The e-report resends last month's figures after approval: nothing to do.
        SubmissionStatus::Approved if same_figures => {
            return Outcome::Unchanged { id: existing.id }
        }
        SubmissionStatus::Approved => return Outcome::Rejected(vec![Reason::ApprovedDiffers]),
        SubmissionStatus::Submitted if wanted == SubmissionStatus::Draft => {
            return Outcome::Rejected(vec![Reason::WithdrawSubmitted])
        }
        _ => {}
    }
    if same_figures && wanted == before.status {
        return Outcome::Unchanged { id: existing.id };
    }
    if before.status == SubmissionStatus::Submitted && !corrects_submitted {
        return Outcome::Rejected(vec![Reason::SubmittedAwaitsReview]);
    }
    let mut after = before.clone();
    after.content.value = spec.value;
    after.content.narrative = narrative;
    if wanted == SubmissionStatus::Submitted && before.status != SubmissionStatus::Submitted {
        after.status = SubmissionStatus::Submitted;
        after.first_submitted_at = before.first_submitted_at.or(spec.submitted_at).or(Some(at));
    }
    if after.status.is_counted() && after.content.value.is_none() {
        return Outcome::Rejected(vec![Reason::Missing("value")]);
    }
    Outcome::Updated {
        id: existing.id,
        version: existing.version,
        before: Box::new(before.clone()),
        after: Box::new(after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Period {
        text.parse().expect("period")
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("instant")
            .with_timezone(&Utc)
    }

    fn raw(index: usize, fields: &[(&str, Raw)]) -> RawItem {
        let mut item = RawItem::new(index, Some(index as u64 + 2));
        for (name, value) in fields {
            item.set(name, value.clone());
        }
        item
    }

    fn text(value: &str) -> Raw {
        Raw::Text(value.to_owned())
    }

    fn item(indicator: &str, org: &str, period: &str, value: f64) -> ItemSpec {
        ItemSpec {
            indicator_code: indicator.into(),
            organization_code: org.into(),
            period: p(period),
            value: Some(value),
            narrative: None,
            status: InitialStatus::Submitted,
            submitted_at: None,
        }
    }

    /// Yasothon FY 2565 over Sep 2564 – Sep 2565: E.1 monthly and 1.1 quarterly; YST-PEO hosts
    /// E.1, YST-PO supervises it; SPK-PO is out of the caller's scope.
    fn facts() -> BatchFacts {
        let indicators = [
            (7, "E.1", Frequency::Monthly),
            (1, "1.1", Frequency::Quarterly),
        ]
        .into_iter()
        .map(|(id, code, frequency)| {
            (
                code_key(code),
                IndicatorFacts {
                    id,
                    code: code.into(),
                    frequency,
                },
            )
        })
        .collect();
        let organizations = [
            (11, "YST-PEO", true),
            (3, "YST-PO", true),
            (40, "SPK-PO", false),
        ]
        .into_iter()
        .map(|(id, code, in_scope)| {
            (
                code_key(code),
                OrganizationFacts {
                    id,
                    code: code.into(),
                    in_scope,
                },
            )
        })
        .collect();
        BatchFacts {
            fiscal_year: FiscalYear(2565),
            span: (p("2021-09"), p("2022-09")),
            indicators,
            organizations,
            roles: HashMap::from([
                ((7, 11), AssignmentRole::Host),
                ((7, 3), AssignmentRole::Supervisor),
                ((7, 40), AssignmentRole::Host),
            ]),
            existing: HashMap::new(),
            corrects_submitted: true,
        }
    }

    fn existing(id: i64, status: SubmissionStatus, value: f64) -> ExistingReport {
        ExistingReport {
            id,
            version: 3,
            state: ReportState {
                content: ReportContent {
                    value: Some(value),
                    ..ReportContent::default()
                },
                status,
                review_comment: None,
                first_submitted_at: (status != SubmissionStatus::Draft)
                    .then(|| at("2022-02-01T03:00:00Z")),
            },
        }
    }

    fn fields_of(outcome: &Outcome) -> Vec<String> {
        match outcome {
            Outcome::Rejected(reasons) => reasons.iter().map(Reason::field).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn fields_read_from_json_and_csv_alike() {
        let csv = raw(
            0,
            &[
                ("indicator_code", text("E.1")),
                ("organization_code", text("yst-peo")),
                ("period", text("2022-01")),
                ("value", text(" 1180.5 ")),
                ("narrative", text("ปิดไฟช่วงพักเที่ยง")),
            ],
        );
        let json = raw(
            0,
            &[
                ("indicator_code", text("E.1")),
                ("organization_code", text("yst-peo")),
                ("period", text("2022-01")),
                ("value", Raw::Number(1180.5)),
                ("narrative", text("ปิดไฟช่วงพักเที่ยง")),
                ("status", Raw::Null),
            ],
        );
        let read = read_item(csv.clone(), false).expect("csv");
        assert_eq!(read, read_item(json, false).expect("json"));
        assert_eq!(read.status, InitialStatus::Submitted);
        assert_eq!(read.value, Some(1180.5));
    }

    #[test]
    fn every_unreadable_field_is_named_at_once() {
        let item = raw(
            3,
            &[
                ("indicator_code", Raw::Number(1.0)),
                ("period", text("2022-13")),
                ("value", text("NaN")),
                ("status", text("approved")),
                ("submitted_at", text("2022-02-01")),
                ("colour", text("red")),
                ("narrative", text("a\u{202E}b")),
            ],
        );
        let reasons = read_item(item.clone(), true).expect_err("refused");
        let mut fields: Vec<String> = reasons.iter().map(Reason::field).collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "colour",
                "indicator_code",
                "narrative",
                "organization_code",
                "period",
                "status",
                "submitted_at",
                "value"
            ]
        );
        for value in ["inf", "-1e16", "1e400"] {
            let item = raw(
                0,
                &[
                    ("indicator_code", text("E.1")),
                    ("organization_code", text("X")),
                    ("period", text("2022-01")),
                    ("value", text(value)),
                ],
            );
            let reasons = read_item(item.clone(), false).expect_err(value);
            assert_eq!(reasons[0].field(), "value", "{value}");
        }
    }

    #[test]
    fn only_admin_and_integration_backfill_and_never_a_draft() {
        let base = [
            ("indicator_code", text("E.1")),
            ("organization_code", text("YST-PEO")),
            ("period", text("2022-01")),
            ("value", text("1")),
            ("submitted_at", text("2022-02-01T09:30:00+07:00")),
        ];
        let item = raw(0, &base);
        assert_eq!(
            read_item(item.clone(), false).expect_err("refused"),
            [Reason::BackfillNotAllowed]
        );
        assert_eq!(
            read_item(item.clone(), true)
                .expect("backfill")
                .submitted_at,
            Some(at("2022-02-01T02:30:00Z"))
        );
        let mut draft = item.clone();
        draft.set("status", text("draft"));
        assert_eq!(
            read_item(draft, true).expect_err("refused"),
            [Reason::DraftWithSubmittedAt]
        );
    }

    #[test]
    fn a_mixed_batch_is_classified_item_by_item() {
        let mut facts = facts();
        facts.existing.insert(
            (7, 11, p("2022-02")),
            existing(50, SubmissionStatus::Approved, 900.0),
        );
        facts.existing.insert(
            (7, 11, p("2022-03")),
            existing(51, SubmissionStatus::Submitted, 950.0),
        );
        facts.existing.insert(
            (7, 11, p("2022-04")),
            existing(52, SubmissionStatus::Returned, 990.0),
        );
        let now = at("2026-11-25T03:00:00Z");
        let items = vec![
            Ok(item("E.1", "YST-PEO", "2022-01", 1000.0)), // 0 created
            Ok(item("e.1", "yst-peo", "2022-01", 1001.0)), // 1 second in batch
            Ok(item("E.9", "YST-PEO", "2022-01", 1.0)),    // 2 unknown indicator
            Ok(item("E.1", "YST-XXX", "2022-01", 1.0)),    // 3 unknown organization
            Ok(item("E.1", "SPK-PO", "2022-01", 1.0)),     // 4 out of scope
            Ok(item("E.1", "YST-PEO", "2022-10", 1.0)),    // 5 outside the span
            Ok(item("1.1", "YST-PEO", "2022-01", 1.0)),    // 6 not a reporting month, no assignment
            Ok(item("E.1", "YST-PO", "2022-01", 1.0)),     // 7 a supervisor reports nothing
            Ok(item("E.1", "YST-PEO", "2022-02", 900.0)),  // 8 approved, same figures
            Ok(item("E.1", "YST-PEO", "2022-02", 901.0)), // 9 approved, other figures (second in batch)
            Ok(item("E.1", "YST-PEO", "2022-03", 950.0)), // 10 submitted, same
            Ok(item("E.1", "YST-PEO", "2022-04", 990.0)), // 11 returned → submitted
            Err(vec![Reason::BadValue(f64::INFINITY)]),   // 12 unreadable
        ];
        let outcomes = classify(&items, &facts, now);
        assert!(matches!(outcomes[0], Outcome::Created { .. }));
        assert_eq!(
            outcomes[1],
            Outcome::Rejected(vec![Reason::DuplicateInBatch { first_index: 0 }])
        );
        assert_eq!(fields_of(&outcomes[2]), ["indicator_code"]);
        assert_eq!(fields_of(&outcomes[3]), ["organization_code"]);
        assert_eq!(
            outcomes[4],
            Outcome::Rejected(vec![Reason::OutOfScope("SPK-PO".into())])
        );
        assert_eq!(fields_of(&outcomes[5]), ["period"]);
        assert_eq!(fields_of(&outcomes[6]), ["period", "organization_code"]);
        assert_eq!(fields_of(&outcomes[7]), ["organization_code"]);
        assert_eq!(outcomes[8], Outcome::Unchanged { id: 50 });
        assert_eq!(fields_of(&outcomes[9]), ["period"]);
        assert_eq!(outcomes[10], Outcome::Unchanged { id: 51 });
        match &outcomes[11] {
            Outcome::Updated {
                id,
                version,
                before,
                after,
            } => {
                assert_eq!((*id, *version), (52, 3));
                assert_eq!(before.status, SubmissionStatus::Returned);
                assert_eq!(after.status, SubmissionStatus::Submitted);
                // Resubmitted: the first submission stays.
                assert_eq!(after.first_submitted_at, before.first_submitted_at);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(fields_of(&outcomes[12]), ["value"]);
        // The messages read in Thai for the people who fix the rows.
        let Outcome::Rejected(reasons) = &outcomes[5] else {
            panic!()
        };
        assert!(
            reasons[0].message(Lang::Thai).contains("ต.ค. 2565"),
            "{}",
            reasons[0].message(Lang::Thai)
        );
        assert!(reasons[0]
            .message(Lang::English)
            .contains("outside the evaluation's span"));
    }

    #[test]
    fn updates_and_refusals_against_the_stored_report() {
        let now = at("2026-11-25T03:00:00Z");
        let decide_on = |status, item_status, value| {
            let mut facts = facts();
            facts
                .existing
                .insert((7, 11, p("2022-05")), existing(60, status, 100.0));
            let mut spec = item("E.1", "YST-PEO", "2022-05", value);
            spec.status = item_status;
            classify(&[Ok(spec)], &facts, now).remove(0)
        };
        use InitialStatus as I;
        use SubmissionStatus as S;
        assert!(
            matches!(decide_on(S::Approved, I::Submitted, 101.0), Outcome::Rejected(r) if r == [Reason::ApprovedDiffers])
        );
        assert!(
            matches!(decide_on(S::Submitted, I::Draft, 100.0), Outcome::Rejected(r) if r == [Reason::WithdrawSubmitted])
        );
        assert!(matches!(
            decide_on(S::Submitted, I::Submitted, 101.0),
            Outcome::Updated { .. }
        ));
        assert!(matches!(
            decide_on(S::Draft, I::Draft, 100.0),
            Outcome::Unchanged { id: 60 }
        ));
        assert!(matches!(
            decide_on(S::Draft, I::Draft, 101.0),
            Outcome::Updated { .. }
        ));
        assert!(matches!(
            decide_on(S::Returned, I::Draft, 100.0),
            Outcome::Unchanged { id: 60 }
        ));
        match decide_on(S::Draft, I::Submitted, 100.0) {
            Outcome::Updated { after, .. } => {
                assert_eq!(after.status, S::Submitted);
                assert_eq!(after.first_submitted_at, Some(now));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_backfilled_item_sets_the_first_submission_only_where_unset() {
        let now = at("2026-11-25T03:00:00Z");
        let backfill = at("2022-02-02T10:00:00Z");
        let mut spec = item("E.1", "YST-PEO", "2022-01", 1000.0);
        spec.submitted_at = Some(backfill);
        let mut facts = facts();
        match &classify(&[Ok(spec.clone())], &facts, now)[0] {
            Outcome::Created { state, .. } => assert_eq!(state.first_submitted_at, Some(backfill)),
            other => panic!("{other:?}"),
        }
        facts.existing.insert(
            (7, 11, p("2022-01")),
            existing(70, SubmissionStatus::Returned, 1.0),
        );
        match &classify(&[Ok(spec)], &facts, now)[0] {
            Outcome::Updated { after, .. } => {
                assert_eq!(after.first_submitted_at, Some(at("2022-02-01T03:00:00Z")))
            }
            other => panic!("{other:?}"),
        }
    }
}
