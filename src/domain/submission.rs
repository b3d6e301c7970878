//! Reports (submissions) and their workflow (docs/DOMAIN.md, "Reports and their workflow"):
//! what a report holds, where one may be filed, which transition goes from which status and
//! what it sets, who may edit it. Who the caller is to a report (its reporter, a reviewer, an
//! administrator) is the policy's answer (`policy::Caller::report_capacity`); what that
//! allows is decided here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::evaluation::EvaluationStatus;
use super::framework::{check_figure, check_optional_text, AssignmentRole};
use super::period::{FiscalYear, Frequency, Period};
pub use super::scoring::SubmissionStatus;
use crate::error::{ConflictKind, Error, FieldError, Result};

/// The longest narrative, obstacles or suggestions text, in characters.
pub const MAX_TEXT: usize = 5000;
/// The longest review comment, in characters.
pub const MAX_COMMENT: usize = 2000;
/// At most this many evidence links per report.
pub const MAX_EVIDENCE_URLS: usize = 20;
/// The longest evidence link, in characters.
pub const MAX_URL: usize = 2000;

text_enum!(
    /// A workflow transition.
    Transition {
        /// `draft` or `returned` → `submitted` (its reporter).
        Submit => "submit",
        /// `submitted` → `approved` (a reviewer).
        Approve => "approve",
        /// `submitted` → `returned` (a reviewer), or `approved` → `returned` (an administrator
        /// reopens it), with a comment.
        Return => "return",
    }
);

text_enum!(
    /// How a new report is filed.
    InitialStatus {
        /// Saved for later (the default).
        Draft => "draft",
        /// Submitted at once.
        Submitted => "submitted",
    }
);

text_enum!(
    /// What a history entry records.
    HistoryAction {
        Create => "create",
        Update => "update",
        Submit => "submit",
        Approve => "approve",
        Return => "return",
    }
);

impl From<Transition> for HistoryAction {
    fn from(transition: Transition) -> Self {
        match transition {
            Transition::Submit => HistoryAction::Submit,
            Transition::Approve => HistoryAction::Approve,
            Transition::Return => HistoryAction::Return,
        }
    }
}

/// What the caller is to one report, as the policy decides it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capacity {
    /// Files, edits and submits it: an officer of its organization, its province's admin, an admin.
    pub reports: bool,
    /// Approves or returns a submitted report: a supervisor of its indicator, its province's
    /// admin, an admin.
    pub reviews: bool,
    /// Corrects a submitted report and reopens an approved one: its province's admin, an admin.
    pub administers: bool,
}

impl Capacity {
    /// 403 unless the caller files and edits this report.
    pub fn require_reports(self) -> Result<()> {
        if self.reports {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "only the report's organization, its province's admin or an admin changes it"
                    .into(),
            ))
        }
    }
}

/// What a reporter writes: the figure and the words around it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportContent {
    pub value: Option<f64>,
    pub narrative: Option<String>,
    pub obstacles: Option<String>,
    pub suggestions: Option<String>,
    pub evidence_urls: Vec<String>,
}

impl ReportContent {
    /// Every broken field rule at once.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(Err(message)) = self.value.map(check_figure) {
            errors.push(FieldError::new("value", message));
        }
        for (name, text) in [
            ("narrative", &self.narrative),
            ("obstacles", &self.obstacles),
            ("suggestions", &self.suggestions),
        ] {
            if let Err(message) = check_optional_text(text.as_deref(), MAX_TEXT) {
                errors.push(FieldError::new(name, message));
            }
        }
        if self.evidence_urls.len() > MAX_EVIDENCE_URLS {
            // One problem for too many links, not one per link: the answer to a body of a
            // million links stays small.
            errors.push(FieldError::new(
                "evidence_urls",
                format!("must list at most {MAX_EVIDENCE_URLS} links"),
            ));
        } else {
            for (index, url) in self.evidence_urls.iter().enumerate() {
                if let Err(message) = check_evidence_url(url) {
                    errors.push(FieldError::new(format!("evidence_urls[{index}]"), message));
                }
            }
        }
        errors
    }
}

/// An evidence link: an absolute `http` or `https` URL with a host, without spaces or the
/// characters the text rule refuses, at most `MAX_URL` characters. The service stores it for
/// people to open; it never fetches it. `EVIDENCE_URL_PATTERN` states the same rule.
pub fn check_evidence_url(url: &str) -> Result<(), String> {
    if url.chars().count() > MAX_URL {
        return Err(format!("must be at most {MAX_URL} characters"));
    }
    let refused = |c: char| c.is_whitespace() || super::text::is_forbidden(c);
    let scheme_end = ["https://", "http://"].iter().find_map(|scheme| {
        url.get(..scheme.len())
            .filter(|head| head.eq_ignore_ascii_case(scheme))
            .map(|_| scheme.len())
    });
    let well_formed = scheme_end.is_some_and(|end| {
        let authority = url[end..].split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.rsplit('@').next().unwrap_or_default();
        !host.is_empty() && !host.starts_with(':')
    }) && !url.chars().any(refused);
    if well_formed {
        Ok(())
    } else {
        Err("must be an http(s) link such as https://drive.example.go.th/report-2565-01.pdf".into())
    }
}

/// `check_evidence_url` as a JSON Schema `pattern` (ECMA 262; also Python's and Rust's regex
/// syntax): a generated client sends only links the service takes (a unit test holds the two
/// together).
pub const EVIDENCE_URL_PATTERN: &str = concat!(
    r"^[Hh][Tt][Tt][Pp][Ss]?://",
    // user info, up to the last `@` of the authority
    r"(?:[^/?#\s\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*@)?",
    // the host (and port): not empty, not starting with `:`
    r"[^/?#@:\s\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]",
    r"[^/?#@\s\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*",
    // path, query, fragment
    r"(?:[/?#][^\s\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*)?$"
);

/// An evidence link in the contract: the pattern, no `format` (`uri` would refuse the Thai
/// letters people put in paths, which browsers and the service take).
pub struct EvidenceUrl;

impl utoipa::PartialSchema for EvidenceUrl {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .max_length(Some(MAX_URL))
            .pattern(Some(EVIDENCE_URL_PATTERN))
            .description(Some(
                "An http(s) link to evidence, for people to open; the service never fetches it",
            ))
            .examples([serde_json::json!(
                "https://drive.example.go.th/peo/electricity-2565-01.pdf"
            )])
            .into()
    }
}

impl ToSchema for EvidenceUrl {}

/// A report's state: what its history records before and after each change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportState {
    #[serde(flatten)]
    pub content: ReportContent,
    pub status: SubmissionStatus,
    /// The comment of the last return; kept (the history has every one) until the next return.
    pub review_comment: Option<String>,
    pub first_submitted_at: Option<DateTime<Utc>>,
}

impl ReportState {
    /// A new report, filed as a draft or submitted at once (`at`: now).
    pub fn filed(content: ReportContent, status: InitialStatus, at: DateTime<Utc>) -> Result<Self> {
        let draft = Self {
            content: validated(content)?,
            status: SubmissionStatus::Draft,
            review_comment: None,
            first_submitted_at: None,
        };
        match status {
            InitialStatus::Draft => Ok(draft),
            InitialStatus::Submitted => draft.submitted(at),
        }
    }

    /// Whether a report first submitted so is on time for `due`: strictly before it; None
    /// while never submitted.
    pub fn on_time(&self, due: DateTime<Utc>) -> Option<bool> {
        self.first_submitted_at.map(|first| first < due)
    }

    /// The report with new content. Its reporter edits a draft or a returned report; an
    /// administrator also corrects a submitted one; an approved report is locked.
    pub fn edited(&self, content: ReportContent, who: Capacity) -> Result<Self> {
        if !who.reports {
            return Err(Error::Forbidden(
                "only the report's organization, its province's admin or an admin edits it".into(),
            ));
        }
        match self.status {
            SubmissionStatus::Draft | SubmissionStatus::Returned => {}
            SubmissionStatus::Submitted if who.administers => {}
            SubmissionStatus::Submitted => {
                return Err(state(
                    "a submitted report waits for review: it can be edited once it is returned",
                ))
            }
            SubmissionStatus::Approved => {
                return Err(state(
                    "an approved report is locked; a province admin or an admin may return it to \
                     reopen it",
                ))
            }
        }
        let mut next = self.clone();
        next.content = validated(content)?;
        if next.status.is_counted() {
            require_value(&next)?;
        }
        Ok(next)
    }

    /// The report after `transition` by `who` at `at` (`comment`: the return's). The check of
    /// who comes first (403), then the status (409), then what the transition needs (422).
    pub fn transitioned(
        &self,
        transition: Transition,
        who: Capacity,
        comment: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Self> {
        use SubmissionStatus::{Approved, Draft, Returned, Submitted};
        self.require_may(transition, who)?;
        match (transition, self.status) {
            (Transition::Submit, Draft | Returned) => self.submitted(at),
            (Transition::Approve, Submitted) => Ok(Self {
                status: Approved,
                ..self.clone()
            }),
            (Transition::Return, Submitted | Approved) => {
                let comment = comment.map(str::trim).unwrap_or_default();
                let count = comment.chars().count();
                if count == 0 || count > MAX_COMMENT {
                    return Err(Error::invalid_field(
                        "comment",
                        format!("a return needs a comment of 1–{MAX_COMMENT} characters saying what to fix"),
                    ));
                }
                Ok(Self {
                    status: Returned,
                    review_comment: Some(comment.to_owned()),
                    ..self.clone()
                })
            }
            (transition, status) => Err(state(&format!(
                "{} {} report cannot be {}: {}",
                if status == Approved { "an" } else { "a" },
                status.as_str(),
                past_tense(transition),
                allowed_from(transition)
            ))),
        }
    }

    /// 403 unless `who` may make `transition` from this report's status: its reporter
    /// submits, a reviewer approves and returns, only an administrator returns an approved one.
    pub fn require_may(&self, transition: Transition, who: Capacity) -> Result<()> {
        let may = match (transition, self.status) {
            (Transition::Submit, _) => who.reports,
            (Transition::Return, SubmissionStatus::Approved) => who.administers,
            (Transition::Approve | Transition::Return, _) => who.reviews,
        };
        if may {
            Ok(())
        } else {
            Err(Error::Forbidden(refusal(transition, self.status).into()))
        }
    }

    /// Submitted now; `first_submitted_at` is set by the first submit only.
    fn submitted(&self, at: DateTime<Utc>) -> Result<Self> {
        let next = Self {
            status: SubmissionStatus::Submitted,
            first_submitted_at: self.first_submitted_at.or(Some(at)),
            ..self.clone()
        };
        require_value(&next)?;
        Ok(next)
    }
}

fn validated(content: ReportContent) -> Result<ReportContent> {
    Error::check(content.problems())?;
    Ok(content)
}

/// A counted report has a value.
fn require_value(report: &ReportState) -> Result<()> {
    match report.content.value {
        Some(_) => Ok(()),
        None => Err(Error::invalid_field(
            "value",
            "a submitted report needs a value; save a draft without one",
        )),
    }
}

fn state(detail: &str) -> Error {
    Error::conflict(ConflictKind::State, detail)
}

fn past_tense(transition: Transition) -> &'static str {
    match transition {
        Transition::Submit => "submitted",
        Transition::Approve => "approved",
        Transition::Return => "returned",
    }
}

fn allowed_from(transition: Transition) -> &'static str {
    match transition {
        Transition::Submit => "only a draft or a returned report is submitted",
        Transition::Approve => "only a submitted report is approved",
        Transition::Return => "only a submitted or approved report is returned",
    }
}

fn refusal(transition: Transition, status: SubmissionStatus) -> &'static str {
    match (transition, status) {
        (Transition::Submit, _) => {
            "only the report's organization, its province's admin or an admin submits it"
        }
        (Transition::Return, SubmissionStatus::Approved) => {
            "an approved report is locked; only a province admin or an admin may return it to \
             reopen it"
        }
        _ => {
            "only a supervisor of the report's indicator, its province's admin or an admin \
             reviews it"
        }
    }
}

/// Reports are filed, edited and moved only while their evaluation is active (409 naming
/// `indicator_id`, through which a report names its evaluation).
pub fn require_accepting_reports(status: EvaluationStatus, evaluation_id: i64) -> Result<()> {
    if status == EvaluationStatus::Active {
        Ok(())
    } else {
        Err(Error::Conflict {
            kind: ConflictKind::State,
            detail: format!(
                "evaluation {evaluation_id} is {}: reports are accepted only while it is active",
                status.as_str()
            ),
            errors: vec![FieldError::new(
                "indicator_id",
                "its evaluation does not accept reports now",
            )],
        })
    }
}

/// What a new report's place is checked against: its evaluation's year and span, its
/// indicator's frequency, and the reporting organization's assignment on the indicator.
#[derive(Debug, Clone)]
pub struct Placement<'a> {
    pub fiscal_year: FiscalYear,
    pub span: (Period, Period),
    pub frequency: Frequency,
    pub indicator_code: &'a str,
    pub organization_code: &'a str,
    /// The organization's assignment on the indicator, if any.
    pub role: Option<AssignmentRole>,
}

/// Where a report for `period` may not be filed, each problem naming its field (`period`,
/// `organization_id`): a month outside the span, a month that is not a reporting month of the
/// indicator's frequency, an organization that does not report the indicator (host or co-host).
pub fn placement_problems(placement: &Placement<'_>, period: Period) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let (start, end) = placement.span;
    if period < start || period > end {
        errors.push(FieldError::new(
            "period",
            format!("{period} is outside the evaluation's span {start} … {end}"),
        ));
    } else if !placement
        .frequency
        .is_reporting_month(period, placement.fiscal_year, start, end)
    {
        let months = placement
            .frequency
            .reporting_months(placement.fiscal_year, start, end)
            .iter()
            .map(Period::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        errors.push(FieldError::new(
            "period",
            format!(
                "{period} is not a reporting month of indicator {} ({}): its months are {months}",
                placement.indicator_code,
                placement.frequency.as_str()
            ),
        ));
    }
    match placement.role {
        Some(role) if role.reports() => {}
        Some(_) => errors.push(FieldError::new(
            "organization_id",
            format!(
                "{} supervises indicator {}: a supervisor reviews, it does not report",
                placement.organization_code, placement.indicator_code
            ),
        )),
        None => errors.push(FieldError::new(
            "organization_id",
            format!(
                "{} is not assigned to report indicator {} (host or co-host)",
                placement.organization_code, placement.indicator_code
            ),
        )),
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("instant")
            .with_timezone(&Utc)
    }

    fn p(text: &str) -> Period {
        text.parse().expect("period")
    }

    const OFFICER: Capacity = Capacity {
        reports: true,
        reviews: false,
        administers: false,
    };
    const SUPERVISOR: Capacity = Capacity {
        reports: false,
        reviews: true,
        administers: false,
    };
    const PROVINCE_ADMIN: Capacity = Capacity {
        reports: true,
        reviews: true,
        administers: true,
    };
    const NOBODY: Capacity = Capacity {
        reports: false,
        reviews: false,
        administers: false,
    };

    fn content(value: Option<f64>) -> ReportContent {
        ReportContent {
            value,
            narrative: Some("ลดการใช้ไฟฟ้าโดยปิดเครื่องปรับอากาศช่วงพักเที่ยง".into()),
            ..ReportContent::default()
        }
    }

    fn status_of(result: Result<ReportState>) -> u16 {
        match result {
            Ok(_) => 200,
            Err(Error::Forbidden(_)) => 403,
            Err(Error::Conflict { .. }) => 409,
            Err(Error::Validation { .. }) => 422,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn one_month_of_one_agency() {
        let t0 = at("2022-02-01T03:00:00Z");
        let draft =
            ReportState::filed(content(Some(1180.0)), InitialStatus::Draft, t0).expect("draft");
        assert_eq!(draft.first_submitted_at, None);
        let submitted = draft
            .transitioned(Transition::Submit, OFFICER, None, t0)
            .expect("submit");
        assert_eq!(submitted.first_submitted_at, Some(t0));
        let returned = submitted
            .transitioned(
                Transition::Return,
                SUPERVISOR,
                Some(" แนบใบแจ้งหนี้ค่าไฟฟ้า "),
                at("2022-02-02T03:00:00Z"),
            )
            .expect("return");
        assert_eq!(returned.review_comment.as_deref(), Some("แนบใบแจ้งหนี้ค่าไฟฟ้า"));
        let fixed = returned
            .edited(content(Some(1175.5)), OFFICER)
            .expect("edit");
        let resubmitted = fixed
            .transitioned(
                Transition::Submit,
                OFFICER,
                None,
                at("2022-02-05T03:00:00Z"),
            )
            .expect("resubmit");
        // Returned → submitted again keeps the first submission: still on time.
        assert_eq!(resubmitted.first_submitted_at, Some(t0));
        let due = p("2022-01").due_at(3);
        assert_eq!(resubmitted.on_time(due), Some(true));
        let approved = resubmitted
            .transitioned(Transition::Approve, SUPERVISOR, None, t0)
            .expect("approve");
        assert_eq!(approved.status, SubmissionStatus::Approved);
    }

    #[test]
    fn on_time_is_strictly_before_the_due_instant_in_bangkok() {
        let due = p("2022-01").due_at(3);
        assert_eq!(due, Utc.with_ymd_and_hms(2022, 2, 2, 17, 0, 0).unwrap());
        let first = |instant: &str| ReportState {
            first_submitted_at: Some(at(instant)),
            ..ReportState::filed(content(Some(1.0)), InitialStatus::Draft, at(instant))
                .expect("draft")
        };
        // 23:59:59 on the 2nd in Bangkok: on time; 00:00:00 on the 3rd: late.
        assert_eq!(first("2022-02-02T16:59:59Z").on_time(due), Some(true));
        assert_eq!(first("2022-02-02T17:00:00Z").on_time(due), Some(false));
    }

    #[test]
    fn who_may_do_what_from_which_status() {
        use SubmissionStatus::*;
        let t = at("2022-02-01T00:00:00Z");
        let report = |status| ReportState {
            status,
            first_submitted_at: (status != Draft).then_some(t),
            ..ReportState::filed(content(Some(5.0)), InitialStatus::Draft, t).expect("draft")
        };
        let comment = Some("โปรดแก้ไข");
        // (transition, from, who) → status code
        let cases = [
            (Transition::Submit, Draft, OFFICER, 200),
            (Transition::Submit, Returned, OFFICER, 200),
            (Transition::Submit, Submitted, OFFICER, 409),
            (Transition::Submit, Approved, OFFICER, 409),
            (Transition::Submit, Draft, SUPERVISOR, 403),
            (Transition::Approve, Submitted, SUPERVISOR, 200),
            (Transition::Approve, Draft, SUPERVISOR, 409),
            (Transition::Approve, Returned, SUPERVISOR, 409),
            (Transition::Approve, Approved, SUPERVISOR, 409),
            (Transition::Approve, Submitted, OFFICER, 403),
            (Transition::Return, Submitted, SUPERVISOR, 200),
            (Transition::Return, Approved, SUPERVISOR, 403),
            (Transition::Return, Approved, PROVINCE_ADMIN, 200),
            (Transition::Return, Draft, PROVINCE_ADMIN, 409),
            (Transition::Return, Returned, SUPERVISOR, 409),
            (Transition::Return, Submitted, OFFICER, 403),
            (Transition::Approve, Submitted, NOBODY, 403),
        ];
        for (transition, from, who, expected) in cases {
            let got = status_of(report(from).transitioned(transition, who, comment, t));
            assert_eq!(got, expected, "{transition:?} from {from:?} by {who:?}");
        }
    }

    #[test]
    fn edits_by_status_and_capacity() {
        use SubmissionStatus::*;
        let t = at("2022-02-01T00:00:00Z");
        let report = |status| ReportState {
            status,
            first_submitted_at: (status != Draft).then_some(t),
            ..ReportState::filed(content(Some(5.0)), InitialStatus::Draft, t).expect("draft")
        };
        let cases = [
            (Draft, OFFICER, 200),
            (Returned, OFFICER, 200),
            (Submitted, OFFICER, 409),
            (Submitted, PROVINCE_ADMIN, 200),
            (Approved, OFFICER, 409),
            (Approved, PROVINCE_ADMIN, 409),
            (Draft, SUPERVISOR, 403),
        ];
        for (from, who, expected) in cases {
            let got = status_of(report(from).edited(content(Some(6.0)), who));
            assert_eq!(got, expected, "edit {from:?} by {who:?}");
        }
        // A correction of a submitted report keeps its value.
        assert_eq!(
            status_of(report(Submitted).edited(content(None), PROVINCE_ADMIN)),
            422
        );
    }

    #[test]
    fn a_return_needs_a_comment_and_a_submit_a_value() {
        let t = at("2022-02-01T00:00:00Z");
        let submitted =
            ReportState::filed(content(Some(5.0)), InitialStatus::Submitted, t).expect("submitted");
        for comment in [None, Some(""), Some("   ")] {
            assert_eq!(
                status_of(submitted.transitioned(Transition::Return, SUPERVISOR, comment, t)),
                422
            );
        }
        let empty = ReportState::filed(content(None), InitialStatus::Draft, t).expect("draft");
        assert_eq!(
            status_of(empty.transitioned(Transition::Submit, OFFICER, None, t)),
            422
        );
        assert_eq!(
            status_of(ReportState::filed(
                content(None),
                InitialStatus::Submitted,
                t
            )),
            422
        );
    }

    #[test]
    fn content_rules_name_the_field() {
        let fields = |c: ReportContent| -> Vec<String> {
            c.problems().into_iter().map(|e| e.field).collect()
        };
        assert!(fields(content(Some(1e15))).is_empty());
        assert_eq!(fields(content(Some(1.000_001e15))), ["value"]);
        assert_eq!(fields(content(Some(f64::NAN))), ["value"]);
        assert_eq!(fields(content(Some(f64::INFINITY))), ["value"]);
        let links = |urls: &[&str]| ReportContent {
            evidence_urls: urls.iter().map(|u| (*u).to_owned()).collect(),
            ..content(Some(1.0))
        };
        assert!(fields(links(&[
            "https://drive.example.go.th/e-report/2565-01.pdf",
            "HTTP://yasothon.go.th",
            "https://user@host.example:8443/a?b#c",
        ]))
        .is_empty());
        assert_eq!(
            fields(links(&[
                "https://ok.example",
                "ftp://files.example/a",
                "javascript:alert(1)",
                "file:///etc/passwd",
                "https://",
                "https://exa mple.com",
                "/relative/path",
                "https://:80/a",
            ])),
            [
                "evidence_urls[1]",
                "evidence_urls[2]",
                "evidence_urls[3]",
                "evidence_urls[4]",
                "evidence_urls[5]",
                "evidence_urls[6]",
                "evidence_urls[7]"
            ]
        );
        let many = vec!["https://a.example"; MAX_EVIDENCE_URLS + 1];
        assert_eq!(fields(links(&many)), ["evidence_urls"]);
        // Too many links, all bad: still one problem.
        let many_bad = vec![""; 10_000];
        assert_eq!(fields(links(&many_bad)), ["evidence_urls"]);
        let long = format!("https://a.example/{}", "x".repeat(MAX_URL));
        assert_eq!(fields(links(&[&long])), ["evidence_urls[0]"]);
        let narrative = ReportContent {
            narrative: Some("ก".repeat(MAX_TEXT + 1)),
            ..content(Some(1.0))
        };
        assert_eq!(fields(narrative), ["narrative"]);
    }

    #[test]
    fn placement_by_span_frequency_and_assignment() {
        let placement = |frequency, role| Placement {
            fiscal_year: FiscalYear(2565),
            span: (p("2021-09"), p("2022-09")),
            frequency,
            indicator_code: "1.1",
            organization_code: "YST-AGRI",
            role,
        };
        let host = Some(AssignmentRole::Host);
        let fields = |placement: &Placement<'_>, period: &str| -> Vec<String> {
            placement_problems(placement, p(period))
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        let quarterly = placement(Frequency::Quarterly, host);
        assert!(fields(&quarterly, "2021-12").is_empty());
        // A quarterly indicator in January; September 2564 is before the fiscal year.
        assert_eq!(fields(&quarterly, "2022-01"), ["period"]);
        assert_eq!(fields(&quarterly, "2021-09"), ["period"]);
        let monthly = placement(Frequency::Monthly, host);
        assert!(fields(&monthly, "2021-09").is_empty());
        assert_eq!(fields(&monthly, "2021-08"), ["period"]);
        assert_eq!(fields(&monthly, "2022-10"), ["period"]);
        assert!(fields(
            &placement(Frequency::Monthly, Some(AssignmentRole::CoHost)),
            "2022-01"
        )
        .is_empty());
        assert_eq!(
            fields(
                &placement(Frequency::Monthly, Some(AssignmentRole::Supervisor)),
                "2022-01"
            ),
            ["organization_id"]
        );
        assert_eq!(
            fields(&placement(Frequency::Quarterly, None), "2022-01"),
            ["period", "organization_id"]
        );
    }

    #[test]
    fn only_an_active_evaluation_accepts_reports() {
        assert!(require_accepting_reports(EvaluationStatus::Active, 1).is_ok());
        for status in [EvaluationStatus::Draft, EvaluationStatus::Closed] {
            assert!(matches!(
                require_accepting_reports(status, 1),
                Err(Error::Conflict { .. })
            ));
        }
    }

    #[test]
    fn the_evidence_pattern_is_the_rule() {
        let pattern = regex::Regex::new(EVIDENCE_URL_PATTERN).expect("pattern");
        for url in [
            "https://drive.example.go.th/a.pdf",
            "HTTP://yasothon.go.th",
            "https://u@h:1/a?b#c",
            "https://a@b@c/d",
            "https://",
            "https://@/x",
            "https://a@:80",
            "https:// a",
            "https://a/\u{202E}b",
            "ftp://a",
            "https:/a",
        ] {
            assert_eq!(
                check_evidence_url(url).is_ok(),
                pattern.is_match(url),
                "{url}"
            );
        }
    }

    proptest! {
        /// The contract's pattern accepts exactly what the service takes.
        #[test]
        fn evidence_pattern_and_rule_agree(tail in "[a-c@:/?#. \t\u{202E}\u{1}Ãก]{0,12}", scheme in "(https?|HtTp|ftp|http:/)://") {
            let pattern = regex::Regex::new(EVIDENCE_URL_PATTERN).expect("pattern");
            let url = format!("{scheme}{tail}");
            prop_assert_eq!(check_evidence_url(&url).is_ok(), pattern.is_match(&url), "{}", url);
        }

        /// Whatever happens to a report, its first submission never moves.
        #[test]
        fn first_submitted_at_never_changes_once_set(steps in proptest::collection::vec(0u8..4, 1..30)) {
            let mut t = at("2022-02-01T00:00:00Z");
            let mut report = ReportState::filed(content(Some(1.0)), InitialStatus::Draft, t).expect("draft");
            let mut first = None;
            for step in steps {
                t += chrono::Duration::hours(1);
                let next = match step {
                    0 => report.transitioned(Transition::Submit, PROVINCE_ADMIN, None, t),
                    1 => report.transitioned(Transition::Approve, PROVINCE_ADMIN, None, t),
                    2 => report.transitioned(Transition::Return, PROVINCE_ADMIN, Some("แก้ไข"), t),
                    _ => report.edited(content(Some(2.0)), PROVINCE_ADMIN),
                };
                if let Ok(next) = next {
                    report = next;
                }
                if first.is_none() {
                    first = report.first_submitted_at;
                }
                prop_assert_eq!(report.first_submitted_at, first);
                prop_assert!(!report.status.is_counted() || report.content.value.is_some());
            }
        }
    }
}
