//! Renderers of a round's summary for people: each takes the summary JSON's values
//! (`routes::summary::RoundSummary`) and nothing else, so a published snapshot renders the
//! same way; none re-queries or recomputes a rule. docs/DOMAIN.md, "Round summaries".

pub mod html;
pub mod svg;

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Asia::Bangkok;

use crate::domain::period::Period;
use crate::domain::scoring::IndicatorStatus;

/// The colour of an indicator status, the same in the chart, the page and the spreadsheet:
/// green achieved, amber below target, red not met, brown no data, grey not due.
pub fn status_colour(status: IndicatorStatus) -> &'static str {
    match status {
        IndicatorStatus::Achieved => "#2E7D32",
        IndicatorStatus::BelowTarget => "#F9A825",
        IndicatorStatus::NotMet => "#C62828",
        IndicatorStatus::NoData => "#8D6E63",
        IndicatorStatus::NotDue => "#BDBDBD",
    }
}

/// An indicator status in Thai, as the legend and the page name it.
pub fn status_label_th(status: IndicatorStatus) -> &'static str {
    match status {
        IndicatorStatus::Achieved => "บรรลุเป้าหมาย",
        IndicatorStatus::BelowTarget => "ต่ำกว่าเป้าหมาย",
        IndicatorStatus::NotMet => "ไม่ผ่านเกณฑ์",
        IndicatorStatus::NoData => "ไม่มีข้อมูล",
        IndicatorStatus::NotDue => "ยังไม่ถึงกำหนด",
    }
}

/// The status as the JSON spells it (`data-status` in the chart, a class in the page).
pub fn status_key(status: IndicatorStatus) -> &'static str {
    match status {
        IndicatorStatus::Achieved => "achieved",
        IndicatorStatus::BelowTarget => "below_target",
        IndicatorStatus::NotMet => "not_met",
        IndicatorStatus::NoData => "no_data",
        IndicatorStatus::NotDue => "not_due",
    }
}

/// An instant as a Thai reader writes it, in Bangkok time: `10 ส.ค. 2565 10:00 น.` (day,
/// month abbreviation and Buddhist Era year as `Period::thai_label`, 24-hour clock).
pub fn bangkok_time_th(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&Bangkok);
    format!(
        "{} {} {:02}:{:02} น.",
        local.format("%-d"),
        Period::containing(at).thai_label(),
        local.hour(),
        local.minute()
    )
}

/// A figure as the summary gives it (already rounded there), without trailing zeros:
/// `57.3`, `12.8771`, `80`. Nothing is recomputed; at most 4 decimals are shown.
pub fn figure(x: f64) -> String {
    let text = format!("{x:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" => "0".to_owned(),
        text => text.to_owned(),
    }
}

/// A percent of the summary (2 decimals there) with its sign: `64.39 %`; `–` when absent.
pub fn percent(x: Option<f64>) -> String {
    match x {
        Some(x) => format!("{} %", figure(x)),
        None => "–".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_status_has_its_colour() {
        let colours: Vec<&str> = [
            IndicatorStatus::Achieved,
            IndicatorStatus::BelowTarget,
            IndicatorStatus::NotMet,
            IndicatorStatus::NoData,
            IndicatorStatus::NotDue,
        ]
        .into_iter()
        .map(status_colour)
        .collect();
        assert_eq!(
            colours,
            ["#2E7D32", "#F9A825", "#C62828", "#8D6E63", "#BDBDBD"]
        );
    }

    #[test]
    fn bangkok_time_in_thai() {
        let at = Utc
            .with_ymd_and_hms(2022, 8, 10, 3, 0, 0)
            .single()
            .expect("instant");
        assert_eq!(bangkok_time_th(at), "10 ส.ค. 2565 10:00 น.");
        // 17:30 UTC on 31 December is already 1 January in Bangkok.
        let at = Utc
            .with_ymd_and_hms(2021, 12, 31, 17, 30, 0)
            .single()
            .expect("instant");
        assert_eq!(bangkok_time_th(at), "1 ม.ค. 2565 00:30 น.");
    }

    #[test]
    fn figures_without_trailing_zeros() {
        assert_eq!(figure(57.3), "57.3");
        assert_eq!(figure(12.8771), "12.8771");
        assert_eq!(figure(80.0), "80");
        assert_eq!(figure(-0.0), "0");
        assert_eq!(percent(Some(45.62)), "45.62 %");
        assert_eq!(percent(None), "–");
    }
}
