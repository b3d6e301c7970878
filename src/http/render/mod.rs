//! The round summary in the forms people take into a meeting: spreadsheets (CSV, XLSX), and
//! what every form shares — the status colours and labels, the Thai title and time. A renderer
//! takes a computed `RoundSummary` or `IndicatorDrillDown` and nothing else (never a query,
//! never a rule), so a stored snapshot renders the same way as the live summary.

pub mod csv;
pub mod html;
pub mod svg;
pub mod xlsx;

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Asia::Bangkok;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::period::Period;
use crate::domain::scoring::{IndicatorStatus, ScoreBasis};
use crate::http::routes::rankings::Rankings;
use crate::http::routes::summary::{IndicatorDrillDown, RoundSummary};

/// An indicator status's colour, the same in every output (spreadsheet cells, chart bars,
/// the printable page): `fill` for the cell or bar, `text` for what is written on it (legible on
/// `fill`). Colours are 0xRRGGBB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusColour {
    pub fill: u32,
    pub text: u32,
}

impl StatusColour {
    /// Green.
    pub const ACHIEVED: Self = Self {
        fill: 0x2E7D32,
        text: 0xFFFFFF,
    };
    /// Amber.
    pub const BELOW_TARGET: Self = Self {
        fill: 0xF2A900,
        text: 0x1F1F1F,
    };
    /// Red.
    pub const NOT_MET: Self = Self {
        fill: 0xC62828,
        text: 0xFFFFFF,
    };
    /// Grey-red: due, and nothing came.
    pub const NO_DATA: Self = Self {
        fill: 0x9C6666,
        text: 0xFFFFFF,
    };
    /// Light grey: nothing due yet, greyed out.
    pub const NOT_DUE: Self = Self {
        fill: 0xD9D9D9,
        text: 0x595959,
    };

    pub const fn of(status: IndicatorStatus) -> Self {
        match status {
            IndicatorStatus::Achieved => Self::ACHIEVED,
            IndicatorStatus::BelowTarget => Self::BELOW_TARGET,
            IndicatorStatus::NotMet => Self::NOT_MET,
            IndicatorStatus::NoData => Self::NO_DATA,
            IndicatorStatus::NotDue => Self::NOT_DUE,
        }
    }

    /// `#2E7D32`, for SVG and CSS.
    pub fn fill_hex(self) -> String {
        format!("#{:06X}", self.fill)
    }

    pub fn text_hex(self) -> String {
        format!("#{:06X}", self.text)
    }
}

/// An indicator status as a Thai reader reads it.
pub const fn status_label_th(status: IndicatorStatus) -> &'static str {
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

/// What an indicator's value is, in Thai.
pub const fn score_basis_label_th(basis: ScoreBasis) -> &'static str {
    match basis {
        ScoreBasis::Value => "ค่าที่รายงาน",
        ScoreBasis::ReductionFromBaseline => "ร้อยละที่ลดลงจากค่าฐาน",
    }
}

/// An instant as a Thai reader writes it, in Bangkok time: `10 ส.ค. 2565 10:00 น.`.
pub fn bangkok_time_th(instant: DateTime<Utc>) -> String {
    let local = instant.with_timezone(&Bangkok);
    format!(
        "{} {} {:02}:{:02} น.",
        local.format("%-d"),
        Period::containing(instant).thai_label(),
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

/// A published snapshot, named on its chart and page so a printed copy says which one it is.
#[derive(Debug, Clone, Copy)]
pub struct PublicationMark<'a> {
    pub id: i64,
    pub sha256: &'a str,
    pub published_at: DateTime<Utc>,
    /// The publisher's name.
    pub published_by: &'a str,
}

impl PublicationMark<'_> {
    /// `ฉบับเผยแพร่ #1 · เผยแพร่เมื่อ 10 ส.ค. 2565 10:00 น. โดย … · SHA-256 1e60…`.
    pub fn line_th(&self) -> String {
        format!(
            "ฉบับเผยแพร่ #{} · เผยแพร่เมื่อ {} โดย {} · SHA-256 {}",
            self.id,
            bangkok_time_th(self.published_at),
            self.published_by,
            self.sha256
        )
    }
}

/// The title of a summary's page or sheet: province, fiscal year (BE), round, as of when.
/// `จังหวัดยโสธร · ปีงบประมาณ พ.ศ. 2565 · รอบ 6 เดือน (…) · ข้อมูล ณ 10 ส.ค. 2565 10:00 น.`
pub fn summary_title_th(summary: &RoundSummary) -> String {
    title_th(
        &summary.evaluation.province_name_th,
        summary.evaluation.fiscal_year,
        &summary.round.name,
        summary.as_of,
    )
}

/// A drill-down's title: the indicator, then what a summary's title says.
pub fn drill_down_title_th(drill: &IndicatorDrillDown) -> String {
    format!(
        "ตัวชี้วัด {} {} · {}",
        drill.indicator.indicator_code,
        drill.indicator.name,
        title_th(
            &drill.evaluation.province_name_th,
            drill.evaluation.fiscal_year,
            &drill.round.name,
            drill.as_of,
        )
    )
}

fn title_th(province: &str, fiscal_year: i32, round: &str, as_of: DateTime<Utc>) -> String {
    format!(
        "{province} · ปีงบประมาณ พ.ศ. {fiscal_year} · {round} · ข้อมูล ณ {}",
        bangkok_time_th(as_of)
    )
}

/// The date part of an export's file name: `as_of`'s day in Bangkok, `2022-08-10`.
pub fn file_date(as_of: DateTime<Utc>) -> String {
    as_of.with_timezone(&Bangkok).format("%Y-%m-%d").to_string()
}

/// One table of a summary: a CSV file, or a sheet of the workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SummaryPart {
    /// One row per indicator (the default).
    Indicators,
    /// One row per reporting organization: its completeness and timeliness.
    Organizations,
    /// One row per expected report not received: organization, indicator, period.
    Missing,
}

impl SummaryPart {
    pub const ALL: [Self; 3] = [Self::Indicators, Self::Organizations, Self::Missing];

    /// Its name as in `part=` (and the workbook's sheet name).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Indicators => "indicators",
            Self::Organizations => "organizations",
            Self::Missing => "missing",
        }
    }
}

/// A cell of a table: text, a figure, a count, or an indicator's status.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A figure (value, target, score, percent, weight); blank when absent.
    Number(Option<f64>),
    Count(usize),
    Status(IndicatorStatus),
}

impl Cell {
    fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    fn optional_text(text: &Option<String>) -> Self {
        Self::Text(text.clone().unwrap_or_default())
    }
}

/// A table with its Thai column headers, one row of cells per line.
#[derive(Debug, Clone)]
pub struct Table {
    pub headers: &'static [&'static str],
    pub rows: Vec<Vec<Cell>>,
}

const INDICATOR_HEADERS: &[&str] = &[
    "รหัสตัวชี้วัด",
    "องค์ประกอบ",
    "ชื่อตัวชี้วัด",
    "หน่วยนับ",
    "ฐานการให้คะแนน",
    "น้ำหนัก",
    "ผลการดำเนินงาน",
    "ค่าเป้าหมาย",
    "คะแนน",
    "คะแนนเต็ม",
    "ร้อยละของคะแนน",
    "สถานะ",
    "รายงานที่ต้องส่ง",
    "ได้รับแล้ว",
    "ส่งตรงเวลา",
    "ส่งล่าช้า",
];

const ORGANIZATION_HEADERS: &[&str] = &[
    "รหัสหน่วยงาน",
    "หน่วยงาน",
    "รายงานที่ต้องส่ง",
    "ได้รับแล้ว",
    "ส่งตรงเวลา",
    "ส่งล่าช้า",
    "ค้างส่ง",
    "ร้อยละความครบถ้วน",
    "ร้อยละความตรงเวลา",
];

const MISSING_HEADERS: &[&str] = &[
    "รหัสหน่วยงาน",
    "หน่วยงาน",
    "รหัสตัวชี้วัด",
    "ชื่อตัวชี้วัด",
    "เดือน",
    "เดือน (ไทย)",
];

const DRILL_DOWN_HEADERS: &[&str] = &[
    "รหัสหน่วยงาน",
    "หน่วยงาน",
    "ผลการดำเนินงาน",
    "ค่าฐาน",
    "ค่าเป้าหมายของหน่วยงาน",
    "รายงานที่ต้องส่ง",
    "ได้รับแล้ว",
    "ส่งตรงเวลา",
    "ส่งล่าช้า",
    "เดือนที่ค้างส่ง",
    "เดือนที่ค้างส่ง (ไทย)",
];

const RANKING_HEADERS: &[&str] = &[
    "อันดับ",
    "รหัสจังหวัด",
    "จังหวัด",
    "รหัสการประเมิน",
    "รหัสรอบ",
    "ร้อยละคะแนนภาพรวม",
    "ร้อยละความครบถ้วน",
    "ร้อยละความตรงเวลา",
];

/// A ranking's title: `การจัดอันดับจังหวัด · ปีงบประมาณ พ.ศ. 2565 · รอบ 6 เดือน · ข้อมูล ณ …`.
pub fn rankings_title_th(rankings: &Rankings) -> String {
    format!(
        "การจัดอันดับจังหวัด · ปีงบประมาณ พ.ศ. {} · {} · ข้อมูล ณ {}",
        rankings.fiscal_year,
        rankings.round_name,
        bangkok_time_th(rankings.as_of)
    )
}

/// A ranking as a table, one row per evaluation in the ranking's order (a blank rank when the
/// overall is null).
pub fn rankings_table(rankings: &Rankings) -> Table {
    Table {
        headers: RANKING_HEADERS,
        rows: rankings
            .items
            .iter()
            .map(|item| {
                vec![
                    item.rank.map_or(Cell::text(""), Cell::Count),
                    Cell::text(&item.province_code),
                    Cell::text(&item.name_th),
                    Cell::Count(usize::try_from(item.evaluation_id).unwrap_or_default()),
                    Cell::Count(usize::try_from(item.round_id).unwrap_or_default()),
                    Cell::Number(item.overall_percent),
                    Cell::Number(item.completeness_percent),
                    Cell::Number(item.timeliness_percent),
                ]
            })
            .collect(),
    }
}

/// One part of a summary as a table, rows in the summary's order.
pub fn summary_table(summary: &RoundSummary, part: SummaryPart) -> Table {
    match part {
        SummaryPart::Indicators => Table {
            headers: INDICATOR_HEADERS,
            rows: summary
                .indicators
                .iter()
                .map(|i| {
                    vec![
                        Cell::text(&i.indicator_code),
                        Cell::text(&i.component_code),
                        Cell::text(&i.name),
                        Cell::optional_text(&i.unit),
                        Cell::text(score_basis_label_th(i.score_basis)),
                        Cell::Number(Some(i.weight)),
                        Cell::Number(i.value),
                        Cell::Number(i.target),
                        Cell::Number(i.score),
                        Cell::Number(Some(i.max_score)),
                        Cell::Number(i.percent),
                        Cell::Status(i.status),
                        Cell::Count(i.expected),
                        Cell::Count(i.received),
                        Cell::Count(i.on_time),
                        Cell::Count(i.late),
                    ]
                })
                .collect(),
        },
        SummaryPart::Organizations => Table {
            headers: ORGANIZATION_HEADERS,
            rows: summary
                .organizations
                .iter()
                .map(|o| {
                    vec![
                        Cell::text(&o.organization_code),
                        Cell::text(&o.name_th),
                        Cell::Count(o.expected),
                        Cell::Count(o.received),
                        Cell::Count(o.on_time),
                        Cell::Count(o.late),
                        Cell::Count(o.missing.len()),
                        Cell::Number(o.completeness_percent),
                        Cell::Number(o.timeliness_percent),
                    ]
                })
                .collect(),
        },
        SummaryPart::Missing => Table {
            headers: MISSING_HEADERS,
            rows: summary
                .organizations
                .iter()
                .flat_map(|o| {
                    o.missing.iter().map(move |m| {
                        let name = summary
                            .indicators
                            .iter()
                            .find(|i| i.indicator_code == m.indicator_code)
                            .map(|i| i.name.clone())
                            .unwrap_or_default();
                        vec![
                            Cell::text(&o.organization_code),
                            Cell::text(&o.name_th),
                            Cell::text(&m.indicator_code),
                            Cell::Text(name),
                            Cell::Text(m.period.to_string()),
                            Cell::text(&m.period_label_th),
                        ]
                    })
                })
                .collect(),
        },
    }
}

/// A drill-down as a table: one row per reporting organization, its missing months joined
/// with `; ` (month, then the same months in Thai in the next column).
pub fn drill_down_table(drill: &IndicatorDrillDown) -> Table {
    Table {
        headers: DRILL_DOWN_HEADERS,
        rows: drill
            .organizations
            .iter()
            .map(|o| {
                let join = |label: fn(&crate::http::routes::summary::MissingPeriod) -> String| {
                    o.missing.iter().map(label).collect::<Vec<_>>().join("; ")
                };
                vec![
                    Cell::text(&o.organization_code),
                    Cell::text(&o.name_th),
                    Cell::Number(o.value),
                    Cell::Number(o.baseline),
                    Cell::Number(o.target),
                    Cell::Count(o.expected),
                    Cell::Count(o.received),
                    Cell::Count(o.on_time),
                    Cell::Count(o.late),
                    Cell::Text(join(|m| m.period.to_string())),
                    Cell::Text(join(|m| m.period_label_th.clone())),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn bangkok_time_in_thai() {
        let at = Utc
            .with_ymd_and_hms(2022, 8, 10, 3, 0, 0)
            .single()
            .expect("instant");
        assert_eq!(bangkok_time_th(at), "10 ส.ค. 2565 10:00 น.");
        // 17:30 UTC on 31 Dec is the next day and year in Bangkok.
        let at = Utc
            .with_ymd_and_hms(2021, 12, 31, 17, 30, 0)
            .single()
            .expect("instant");
        assert_eq!(bangkok_time_th(at), "1 ม.ค. 2565 00:30 น.");
    }

    #[test]
    fn every_status_has_its_own_colour() {
        let statuses = [
            IndicatorStatus::Achieved,
            IndicatorStatus::BelowTarget,
            IndicatorStatus::NotMet,
            IndicatorStatus::NoData,
            IndicatorStatus::NotDue,
        ];
        let fills: std::collections::HashSet<u32> =
            statuses.iter().map(|s| StatusColour::of(*s).fill).collect();
        assert_eq!(fills.len(), statuses.len());
        assert_eq!(StatusColour::ACHIEVED.fill_hex(), "#2E7D32");
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
