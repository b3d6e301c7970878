//! Periods (calendar months), fiscal years (Buddhist Era), evaluation spans, reporting months
//! by frequency, and due instants in Asia/Bangkok.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Bangkok;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// Buddhist Era year = Common Era year + 543.
pub const BE_OFFSET: i32 = 543;

const THAI_MONTHS: [&str; 12] = [
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
];

/// A calendar month, written `YYYY-MM` (Common Era). Only valid months can exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a month written YYYY-MM, e.g. 2022-01")]
pub struct PeriodError;

impl Period {
    pub fn new(year: i32, month: u32) -> Result<Self, PeriodError> {
        if (1..=12).contains(&month) && (1900..=2999).contains(&year) {
            Ok(Self { year, month })
        } else {
            Err(PeriodError)
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Months from `self` to `other` (negative when `other` is earlier).
    pub fn months_until(self, other: Period) -> i32 {
        (other.year - self.year) * 12 + other.month as i32 - self.month as i32
    }

    /// Every month from `start` to `end`, both included (empty when `start > end`).
    pub fn range(start: Period, end: Period) -> impl Iterator<Item = Period> {
        std::iter::successors(Some(start), |p| Some(p.next())).take_while(move |p| *p <= end)
    }

    /// `2022-01` → `ม.ค. 2565`.
    pub fn thai_label(self) -> String {
        format!(
            "{} {}",
            THAI_MONTHS[(self.month - 1) as usize],
            self.year + BE_OFFSET
        )
    }

    /// The fiscal year this month falls in: October starts the next one.
    pub fn fiscal_year(self) -> FiscalYear {
        let ce = if self.month >= 10 {
            self.year + 1
        } else {
            self.year
        };
        FiscalYear(ce + BE_OFFSET)
    }

    /// The result for this period is due at 00:00 Asia/Bangkok on `deadline_day` of the next month.
    pub fn due_at(self, deadline_day: u32) -> DateTime<Utc> {
        let next = self.next();
        let day = deadline_day.clamp(1, 28);
        let local = NaiveDate::from_ymd_opt(next.year, next.month, day)
            .and_then(|date| date.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        // Bangkok has no daylight saving: every local time maps to exactly one instant.
        Bangkok
            .from_local_datetime(&local)
            .single()
            .map(|instant| instant.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&local))
    }
}

impl Period {
    /// The month `instant` falls in, in Asia/Bangkok. Outside the years a period may be written
    /// with (1900–2999) it still compares in time order, for cut-offs.
    pub fn containing(instant: DateTime<Utc>) -> Self {
        let local = instant.with_timezone(&Bangkok);
        Self {
            year: local.year(),
            month: local.month(),
        }
    }

    /// The latest period whose due instant is at or before `as_of`. Due instants grow with the
    /// period, so the periods due by `as_of` are exactly those up to this one: `as_of`'s own
    /// month is due next month at the earliest, and the month before may be due already.
    pub fn last_due_by(as_of: DateTime<Utc>, deadline_day: u32) -> Self {
        let previous = Self::containing(as_of).prev();
        if previous.due_at(deadline_day) <= as_of {
            previous
        } else {
            previous.prev()
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bytes = text.as_bytes();
        if bytes.len() != 7
            || bytes[4] != b'-'
            || !text
                .chars()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit())
        {
            return Err(PeriodError);
        }
        let year = text[..4].parse().map_err(|_| PeriodError)?;
        let month = text[5..].parse().map_err(|_| PeriodError)?;
        Period::new(year, month)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|_| serde::de::Error::custom(format!("`{text}` {PeriodError}")))
    }
}

impl PartialSchema for Period {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            // ASCII digits (`\d` is any Unicode digit in some regex engines), years 1900–2999.
            .pattern(Some(r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$"))
            .description(Some("A calendar month, YYYY-MM (Common Era, 1900–2999)"))
            .examples([serde_json::json!("2022-01")])
            .into()
    }
}

impl ToSchema for Period {}

/// A fiscal year named by its Buddhist-Era year: FY 2565 runs October 2021 – September 2022.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FiscalYear(pub i32);

/// How far a span may reach before and after its fiscal year.
pub const SPAN_SLACK_MONTHS: i32 = 3;

impl FiscalYear {
    pub const MIN: i32 = 2500;
    pub const MAX: i32 = 2700;

    pub fn is_supported(self) -> bool {
        (Self::MIN..=Self::MAX).contains(&self.0)
    }

    /// October of the previous calendar year.
    pub fn first_month(self) -> Period {
        Period {
            // Saturating: any i32 a client sends must not overflow before `check_span` refuses it.
            year: self.0.saturating_sub(BE_OFFSET + 1),
            month: 10,
        }
    }

    /// September.
    pub fn last_month(self) -> Period {
        Period {
            year: self.0.saturating_sub(BE_OFFSET),
            month: 9,
        }
    }

    /// The default reporting span: October … September.
    pub fn default_span(self) -> (Period, Period) {
        (self.first_month(), self.last_month())
    }

    /// Span rules: start ≤ end; start at most 3 months before the fiscal year, end at most 3
    /// after. Returns every broken rule as (field, message).
    pub fn check_span(self, start: Period, end: Period) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if !self.is_supported() {
            problems.push((
                "fiscal_year",
                format!(
                    "must be a Buddhist-Era year between {} and {}",
                    Self::MIN,
                    Self::MAX
                ),
            ));
            return problems;
        }
        let earliest = self.first_month();
        let latest = self.last_month();
        let bounds = || {
            format!(
                "must lie between {} and {} for FY {}",
                shift(earliest, -SPAN_SLACK_MONTHS),
                shift(latest, SPAN_SLACK_MONTHS),
                self.0
            )
        };
        if earliest.months_until(start) < -SPAN_SLACK_MONTHS
            || start.months_until(latest) < -SPAN_SLACK_MONTHS
        {
            problems.push(("reporting_start", bounds()));
        }
        if end.months_until(latest) < -SPAN_SLACK_MONTHS
            || earliest.months_until(end) < -SPAN_SLACK_MONTHS
        {
            problems.push(("reporting_end", bounds()));
        }
        if start > end {
            problems.push((
                "reporting_end",
                "must not be before reporting_start".to_owned(),
            ));
        }
        problems
    }
}

fn shift(period: Period, months: i32) -> Period {
    let mut p = period;
    for _ in 0..months.abs() {
        p = if months > 0 { p.next() } else { p.prev() };
    }
    p
}

text_enum!(
    /// How often an indicator is reported.
    Frequency {
        /// Every month of the span.
        Monthly => "monthly",
        /// The fiscal year's December, March, June and September.
        Quarterly => "quarterly",
        /// March and September.
        Semiannual => "semiannual",
        /// September.
        Annual => "annual",
    }
);

impl Frequency {
    /// Whether `period` is a reporting month of this frequency in the evaluation of `fiscal_year`
    /// spanning `start`…`end`. Months outside the fiscal year report only monthly.
    pub fn is_reporting_month(
        self,
        period: Period,
        fiscal_year: FiscalYear,
        start: Period,
        end: Period,
    ) -> bool {
        if period < start || period > end {
            return false;
        }
        let in_fiscal_year = period.fiscal_year() == fiscal_year;
        match self {
            Frequency::Monthly => true,
            Frequency::Quarterly => in_fiscal_year && matches!(period.month, 12 | 3 | 6 | 9),
            Frequency::Semiannual => in_fiscal_year && matches!(period.month, 3 | 9),
            Frequency::Annual => in_fiscal_year && period.month == 9,
        }
    }

    /// The reporting months inside the span, in order.
    pub fn reporting_months(
        self,
        fiscal_year: FiscalYear,
        start: Period,
        end: Period,
    ) -> Vec<Period> {
        Period::range(start, end)
            .filter(|p| self.is_reporting_month(*p, fiscal_year, start, end))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Period {
        text.parse().expect("period")
    }

    #[test]
    fn parses_strictly_and_labels_in_thai() {
        assert_eq!(p("2022-01").to_string(), "2022-01");
        for bad in [
            "2022-1",
            "2022-13",
            "2022-00",
            "22-01",
            "2022/01",
            "2022-01-01",
            "",
            "abcd-ef",
            "+022-01",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
        assert_eq!(p("2022-01").thai_label(), "ม.ค. 2565");
        assert_eq!(p("2021-10").thai_label(), "ต.ค. 2564");
        assert_eq!(p("2021-12").next(), p("2022-01"));
        assert_eq!(p("2022-01").prev(), p("2021-12"));
    }

    #[test]
    fn fiscal_year_2565_runs_october_to_september() {
        let fy = FiscalYear(2565);
        assert_eq!(fy.default_span(), (p("2021-10"), p("2022-09")));
        assert_eq!(p("2021-10").fiscal_year(), fy);
        assert_eq!(p("2022-09").fiscal_year(), fy);
        assert_eq!(p("2021-09").fiscal_year(), FiscalYear(2564));
    }

    #[test]
    fn any_fiscal_year_number_is_refused_without_overflow() {
        for fy in [i32::MIN, -1, 0, 2022, i32::MAX] {
            let fiscal_year = FiscalYear(fy);
            let (start, end) = fiscal_year.default_span();
            assert_eq!(fiscal_year.check_span(start, end)[0].0, "fiscal_year");
        }
    }

    #[test]
    fn span_may_reach_three_months_either_side() {
        let fy = FiscalYear(2565);
        assert!(
            fy.check_span(p("2021-09"), p("2022-09")).is_empty(),
            "Sep 2564 – Sep 2565"
        );
        assert!(fy.check_span(p("2021-07"), p("2022-12")).is_empty());
        assert_eq!(
            fy.check_span(p("2021-06"), p("2022-09"))[0].0,
            "reporting_start"
        );
        assert_eq!(
            fy.check_span(p("2021-10"), p("2023-01"))[0].0,
            "reporting_end"
        );
        assert_eq!(
            fy.check_span(p("2022-03"), p("2022-02"))[0].0,
            "reporting_end"
        );
        assert_eq!(
            FiscalYear(2022).check_span(p("2021-10"), p("2022-09"))[0].0,
            "fiscal_year"
        );
    }

    #[test]
    fn reporting_months_follow_the_fiscal_year() {
        let fy = FiscalYear(2565);
        let (start, end) = (p("2021-09"), p("2022-09"));
        let quarterly: Vec<String> = Frequency::Quarterly
            .reporting_months(fy, start, end)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(quarterly, ["2021-12", "2022-03", "2022-06", "2022-09"]);
        assert_eq!(
            Frequency::Semiannual.reporting_months(fy, start, end),
            vec![p("2022-03"), p("2022-09")]
        );
        assert_eq!(
            Frequency::Annual.reporting_months(fy, start, end),
            vec![p("2022-09")]
        );
        let monthly = Frequency::Monthly.reporting_months(fy, start, end);
        assert_eq!(monthly.len(), 13);
        assert_eq!(
            monthly[0],
            p("2021-09"),
            "the month before the fiscal year reports monthly only"
        );
        assert!(!Frequency::Quarterly.is_reporting_month(p("2021-09"), fy, start, end));
    }

    #[test]
    fn periods_step_and_count_months_across_year_ends() {
        assert_eq!(p("2022-03").prev(), p("2022-02"), "prev inside a year");
        assert_eq!(p("2022-12").prev(), p("2022-11"));
        assert_eq!(p("2022-03").next(), p("2022-04"), "next inside a year");
        assert_eq!(p("2021-10").months_until(p("2022-09")), 11);
        assert_eq!(p("2022-09").months_until(p("2021-10")), -11);
        assert_eq!(p("2021-07").months_until(p("2022-12")), 17);
        assert_eq!(p("2022-05").months_until(p("2022-05")), 0);
        assert_eq!(p("2021-12").months_until(p("2023-01")), 13);
        assert_eq!(p("2022-12").thai_label(), "ธ.ค. 2565");
        assert_eq!(p("2021-09").fiscal_year(), FiscalYear(2564));
        assert_eq!(p("2021-10").fiscal_year(), FiscalYear(2565));
        assert_eq!(p("2022-12").fiscal_year(), FiscalYear(2566));
        for ok in ["1900-01", "2999-12"] {
            assert_eq!(p(ok).to_string(), ok);
        }
        for bad in ["1899-12", "3000-01"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn accessors_serde_and_schema_use_yyyy_mm() {
        let december = p("2022-12");
        assert_eq!((december.year(), december.month()), (2022, 12));
        assert_eq!(
            serde_json::to_string(&december).expect("serialize"),
            "\"2022-12\""
        );
        assert_eq!(
            serde_json::from_str::<Period>("\"2022-01\"").expect("deserialize"),
            p("2022-01")
        );
        let error = serde_json::from_str::<Period>("\"2022-13\"").expect_err("month 13");
        assert_eq!(
            error.to_string(),
            "`2022-13` must be a month written YYYY-MM, e.g. 2022-01"
        );
        let schema = serde_json::to_value(Period::schema()).expect("schema");
        assert_eq!(schema["type"], "string");
        assert_eq!(schema["pattern"], r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$");
        assert_eq!(schema["examples"], serde_json::json!(["2022-01"]));
    }

    #[test]
    fn shift_moves_by_whole_months_either_way() {
        assert_eq!(shift(p("2021-10"), -3), p("2021-07"));
        assert_eq!(shift(p("2022-09"), 3), p("2022-12"));
        assert_eq!(shift(p("2022-01"), -1), p("2021-12"));
        assert_eq!(shift(p("2021-12"), 1), p("2022-01"));
        assert_eq!(shift(p("2022-05"), 0), p("2022-05"));
        assert_eq!(shift(p("2022-05"), 14), p("2023-07"));
        assert_eq!(shift(p("2022-05"), -14), p("2021-03"));
    }

    /// Every edge of the span rule for FY 2565 (Oct 2021 – Sep 2022, 3 months of slack):
    /// reporting_start and reporting_end each lie in 2021-07 … 2022-12, and start ≤ end.
    #[test]
    fn span_edges_are_exact() {
        let fy = FiscalYear(2565);
        let fields = |start: &str, end: &str| -> Vec<&'static str> {
            fy.check_span(p(start), p(end))
                .into_iter()
                .map(|(field, _)| field)
                .collect()
        };
        let none: Vec<&str> = Vec::new();
        // Start: 3 months before the fiscal year is the earliest, 3 after the latest.
        assert_eq!(fields("2021-07", "2022-09"), none);
        assert_eq!(fields("2021-06", "2022-09"), ["reporting_start"]);
        assert_eq!(fields("2022-12", "2022-12"), none);
        assert_eq!(
            fields("2023-01", "2023-01"),
            ["reporting_start", "reporting_end"]
        );
        // End: the same bounds.
        assert_eq!(fields("2021-10", "2022-12"), none);
        assert_eq!(fields("2021-10", "2023-01"), ["reporting_end"]);
        assert_eq!(fields("2021-07", "2021-07"), none);
        assert_eq!(
            fields("2021-06", "2021-06"),
            ["reporting_start", "reporting_end"]
        );
        // Only the end out of range on the early side, and an end before a valid start.
        assert_eq!(
            fields("2021-07", "2021-06"),
            ["reporting_end", "reporting_end"]
        );
        // start == end is a one-month span; start one month after end is refused.
        assert_eq!(fields("2022-03", "2022-03"), none);
        assert_eq!(fields("2022-04", "2022-03"), ["reporting_end"]);
        // The default span and the widest span.
        assert_eq!(fields("2021-10", "2022-09"), none);
        assert_eq!(fields("2021-07", "2022-12"), none);
        // The message names the bounds.
        let problems = fy.check_span(p("2021-06"), p("2023-01"));
        let expected = "must lie between 2021-07 and 2022-12 for FY 2565";
        assert_eq!(
            problems,
            vec![
                ("reporting_start", expected.to_owned()),
                ("reporting_end", expected.to_owned()),
            ]
        );
        assert_eq!(
            fy.check_span(p("2022-04"), p("2022-03")),
            vec![(
                "reporting_end",
                "must not be before reporting_start".to_owned()
            )]
        );
    }

    #[test]
    fn supported_fiscal_years_are_2500_to_2700() {
        for fy in [FiscalYear::MIN, FiscalYear::MAX] {
            let (start, end) = FiscalYear(fy).default_span();
            assert!(FiscalYear(fy).check_span(start, end).is_empty(), "{fy}");
        }
        for fy in [FiscalYear::MIN - 1, FiscalYear::MAX + 1] {
            let (start, end) = FiscalYear(fy).default_span();
            assert_eq!(
                FiscalYear(fy).check_span(start, end),
                vec![(
                    "fiscal_year",
                    "must be a Buddhist-Era year between 2500 and 2700".to_owned()
                )]
            );
        }
    }

    #[test]
    fn reporting_months_stay_inside_the_span() {
        let fy = FiscalYear(2565);
        let (start, end) = (p("2021-09"), p("2022-06"));
        for frequency in Frequency::ALL {
            let monthly = *frequency == Frequency::Monthly;
            assert!(
                !frequency.is_reporting_month(p("2021-08"), fy, start, end),
                "{frequency:?} before the span"
            );
            assert!(
                !frequency.is_reporting_month(p("2022-07"), fy, start, end),
                "{frequency:?} after the span"
            );
            assert_eq!(
                frequency.is_reporting_month(start, fy, start, end),
                monthly,
                "{frequency:?} at the first month (Sep 2564, before the fiscal year)"
            );
        }
        // The span's own first and last months report.
        assert!(Frequency::Monthly.is_reporting_month(start, fy, start, end));
        assert!(Frequency::Monthly.is_reporting_month(end, fy, start, end));
        assert!(Frequency::Quarterly.is_reporting_month(end, fy, start, end));
        // September is a quarter end, but June is the last month of this span: not September.
        assert!(!Frequency::Quarterly.is_reporting_month(p("2022-09"), fy, start, end));
        assert!(!Frequency::Semiannual.is_reporting_month(p("2022-09"), fy, start, end));
        assert!(!Frequency::Annual.is_reporting_month(p("2022-09"), fy, start, end));
        assert_eq!(
            Frequency::Annual.reporting_months(fy, start, end),
            Vec::<Period>::new()
        );
        assert_eq!(
            Frequency::Semiannual.reporting_months(fy, start, end),
            vec![p("2022-03")]
        );
        // Months after the fiscal year (Oct–Dec 2565) report monthly only.
        let (start, end) = (p("2021-10"), p("2022-12"));
        assert_eq!(
            Frequency::Quarterly.reporting_months(fy, start, end),
            vec![p("2021-12"), p("2022-03"), p("2022-06"), p("2022-09")]
        );
        assert_eq!(
            Frequency::Semiannual.reporting_months(fy, start, end),
            vec![p("2022-03"), p("2022-09")]
        );
        assert_eq!(
            Frequency::Annual.reporting_months(fy, start, end),
            vec![p("2022-09")]
        );
        assert_eq!(
            Frequency::Monthly.reporting_months(fy, start, end).len(),
            15
        );
        // A month before the fiscal year that is a quarter end elsewhere: Sep 2564, FY 2565.
        let (start, end) = (p("2021-07"), p("2022-09"));
        for frequency in [Frequency::Semiannual, Frequency::Annual] {
            assert!(!frequency.is_reporting_month(p("2021-09"), fy, start, end));
        }
    }

    #[test]
    fn due_instant_is_midnight_bangkok_on_the_deadline_day() {
        assert_eq!(
            p("2022-01").due_at(3).to_rfc3339(),
            "2022-02-02T17:00:00+00:00"
        );
        assert_eq!(
            p("2021-12").due_at(1).to_rfc3339(),
            "2021-12-31T17:00:00+00:00"
        );
        assert_eq!(
            p("2022-09").due_at(28).to_rfc3339(),
            "2022-10-27T17:00:00+00:00"
        );
    }
}
