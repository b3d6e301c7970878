//! Rounds (รอบการประเมิน): a named window of months of one evaluation that a summary covers,
//! such as "รอบ 6 เดือน (ก.ย. 2564 – ก.พ. 2565)" over 2021-09 … 2022-02 (docs/DOMAIN.md,
//! "Rounds"). The window's rule and the name's.

use serde::{Deserialize, Serialize};

use super::framework::check_name;
use super::period::Period;
use crate::error::FieldError;

/// The longest round name, in characters (after trimming).
pub const NAME_MAX: usize = 200;

/// The writable fields of a round, after a create body or a merge patch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundFields {
    pub name: String,
    pub start_period: Period,
    pub end_period: Period,
}

impl RoundFields {
    /// Every broken rule (422): the name (`check_round_name`) and the window inside the
    /// evaluation's `span` (`check_window`).
    pub fn check(&self, span: (Period, Period)) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Err(message) = check_round_name(&self.name) {
            errors.push(FieldError::new("name", message));
        }
        errors.extend(check_window(self.start_period, self.end_period, span));
        errors
    }
}

/// A round's name is what rankings find it by and what meeting pages print as a title: 1–200
/// characters once trimmed, on one line (no control characters: no line break, no tab), with
/// at least one visible character (not only spaces or invisible format characters such as a
/// zero-width space or a byte-order mark).
pub fn check_round_name(name: &str) -> Result<(), String> {
    check_name(name, NAME_MAX)?;
    if name.chars().any(char::is_control) {
        return Err(
            "must be one line, without control characters such as a line break or a tab".into(),
        );
    }
    if name.chars().all(is_invisible) {
        return Err("must contain a visible character".into());
    }
    Ok(())
}

/// Whitespace and the format characters that print as nothing.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}' | '\u{034F}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
        )
}

/// A round's window: `start ≤ end`, both months inside the evaluation's span `(first, last)`
/// (`reporting_start ..= reporting_end`). Nothing is clipped: a month outside is a problem
/// naming its field, and every problem is listed. Rounds of one evaluation may overlap (a
/// 6-month and a 12-month round), and a window may start before the fiscal year when the
/// span does (Sep 2564 = 2021-09 in FY 2565).
pub fn check_window(
    start: Period,
    end: Period,
    (first, last): (Period, Period),
) -> Vec<FieldError> {
    let outside =
        |period: Period| format!("{period} is outside the evaluation's span {first} … {last}");
    let mut errors = Vec::new();
    if start < first || start > last {
        errors.push(FieldError::new("start_period", outside(start)));
    }
    if end < first || end > last {
        errors.push(FieldError::new("end_period", outside(end)));
    }
    if start > end {
        errors.push(FieldError::new(
            "end_period",
            format!("must not be before start_period ({start})"),
        ));
    }
    errors
}

/// A draft's span may change, but never so that a round's window would lie outside it (round
/// windows lie inside the span, as reports do): each round left outside is a 422 naming
/// `reporting_start` or `reporting_end`, the round named so the user can change or delete it.
pub fn span_problems<'a>(
    (first, last): (Period, Period),
    rounds: impl IntoIterator<Item = (&'a str, (Period, Period))>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (name, (start, end)) in rounds {
        let message = || {
            format!(
                "round \"{name}\" ({start} … {end}) would lie outside the span {first} … {last}; \
                 change or delete the round first"
            )
        };
        if start < first {
            errors.push(FieldError::new("reporting_start", message()));
        }
        if end > last {
            errors.push(FieldError::new("reporting_end", message()));
        }
    }
    errors
}

/// What round names are compared by within an evaluation: trimmed and lower-cased here, not
/// by SQL `lower` (SQLite's knows only ASCII, PostgreSQL's follows the collation), so "Round 6"
/// and "ROUND 6" are one name on both engines alike. Thai has no letter case.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn p(text: &str) -> Period {
        text.parse().expect("period")
    }

    fn fields(name: &str, start: &str, end: &str) -> RoundFields {
        RoundFields {
            name: name.into(),
            start_period: p(start),
            end_period: p(end),
        }
    }

    fn names(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    /// FY 2565 over Sep 2564 – Sep 2565, as the demo's evaluation.
    fn span() -> (Period, Period) {
        (p("2021-09"), p("2022-09"))
    }

    #[test]
    fn the_demo_rounds_fit_and_may_overlap() {
        let six = fields("รอบ 6 เดือน (ก.ย. 2564 – ก.พ. 2565)", "2021-09", "2022-02");
        let twelve = fields("รอบ 12 เดือน (ก.ย. 2564 – ส.ค. 2565)", "2021-09", "2022-08");
        assert!(six.check(span()).is_empty());
        assert!(twelve.check(span()).is_empty());
        // One month is a window; the span's own edges are inside.
        assert!(fields("ก.ย. 2565", "2022-09", "2022-09")
            .check(span())
            .is_empty());
        assert!(fields("ทั้งปี", "2021-09", "2022-09").check(span()).is_empty());
    }

    #[test]
    fn a_window_before_the_span_is_refused_not_clipped() {
        // The default span of FY 2565 starts in October: September 2564 is outside it.
        let fiscal_year = (p("2021-10"), p("2022-09"));
        let errors = fields("รอบ 6 เดือน", "2021-09", "2022-02").check(fiscal_year);
        assert_eq!(names(&errors), ["start_period"]);
        assert_eq!(
            errors[0].message,
            "2021-09 is outside the evaluation's span 2021-10 … 2022-09"
        );
        let errors = fields("รอบ 12 เดือน", "2021-10", "2022-10").check(fiscal_year);
        assert_eq!(names(&errors), ["end_period"]);
    }

    #[test]
    fn every_problem_is_listed() {
        let errors = fields("รอบ", "2022-03", "2022-02").check(span());
        assert_eq!(names(&errors), ["end_period"]);
        assert_eq!(
            errors[0].message,
            "must not be before start_period (2022-03)"
        );
        let errors = fields("  ", "2021-01", "2020-12").check(span());
        assert_eq!(
            names(&errors),
            ["name", "start_period", "end_period", "end_period"]
        );
    }

    #[test]
    fn names_are_one_to_two_hundred_characters_once_trimmed() {
        let ok = |name: &str| fields(name, "2021-09", "2022-02").check(span()).is_empty();
        assert!(ok("ก"));
        assert!(ok(&"ก".repeat(200)));
        assert!(ok(&format!("  {}  ", "ก".repeat(200))));
        assert!(!ok(&"ก".repeat(201)));
        assert!(!ok(""));
        assert!(!ok(" \t\n"));
    }

    #[test]
    fn names_compare_ignoring_case_and_surrounding_spaces() {
        assert_eq!(name_key(" Round 6 "), name_key("ROUND 6"));
        assert_eq!(name_key("Éval"), name_key("éVAL"));
        assert_eq!(name_key("รอบ 6 เดือน"), "รอบ 6 เดือน");
        assert_ne!(name_key("รอบ 6 เดือน"), name_key("รอบ 12 เดือน"));
    }

    fn period() -> impl Strategy<Value = Period> {
        (2019i32..2025, 1u32..=12).prop_map(|(year, month)| Period::new(year, month).expect("p"))
    }

    proptest! {
        /// A window accepted is always inside the span and ordered; one inside and ordered is
        /// always accepted; a refusal names only the window's fields.
        #[test]
        fn a_window_is_accepted_exactly_when_inside_and_ordered(
            a in period(), b in period(), start in period(), end in period(),
        ) {
            let span = (a.min(b), a.max(b));
            let errors = check_window(start, end, span);
            let inside_and_ordered = span.0 <= start && start <= end && end <= span.1;
            prop_assert_eq!(errors.is_empty(), inside_and_ordered);
            if errors.is_empty() {
                prop_assert!(span.0 <= start && start <= end && end <= span.1);
            }
            for error in &errors {
                prop_assert!(error.field == "start_period" || error.field == "end_period");
            }
        }
    }

    #[test]
    fn a_span_keeps_every_round_inside() {
        let p = |text: &str| -> Period { text.parse().expect("period") };
        let rounds = [
            ("6 months", (p("2021-09"), p("2022-02"))),
            ("12 months", (p("2021-09"), p("2022-08"))),
        ];
        assert!(span_problems((p("2021-09"), p("2022-09")), rounds).is_empty());
        let fields: Vec<String> = span_problems((p("2021-10"), p("2022-06")), rounds)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec!["reporting_start", "reporting_start", "reporting_end"]
        );
    }

    #[test]
    fn a_round_name_is_one_visible_line() {
        assert_eq!(
            check_round_name("รอบ 6 เดือน (ก.ย. 2564 – ก.พ. 2565)"),
            Ok(())
        );
        for bad in [
            "a\nb",
            "a\tb",
            "\u{200B}",
            "\u{FEFF}",
            " \u{200B} ",
            "",
            "   ",
        ] {
            assert!(check_round_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_round_name(&"ก".repeat(201)).is_err());
    }
}
