//! A round's summary as a bar chart (`image/svg+xml`) for meeting slides: the overall percent,
//! then each component's percent followed by its indicators', one horizontal bar each on a
//! 0–100 % axis, coloured by status. Fixed width ([`WIDTH`]), the height grows with the rows.
//!
//! What a bar is: the indicator's `percent` (score ÷ maximum score × 100, as the summary gives
//! it), so 100 % is the mark every bar is measured against (the dashed line); the value and the
//! target are printed beside the bar as text, not drawn: the target's percent would need the
//! criteria, and a renderer recomputes nothing. Lagging indicators carry a red ▲ mark and are
//! listed, lowest percent first, under the title. A not-due indicator is greyed, with no bar.
//! Text is `<text>` (Thai stays selectable and searchable) in a font stack with common Thai
//! fonts; every value is escaped by maud.

use maud::{html, Markup};

use super::{
    bangkok_time_th, figure, percent, status_key, status_label_th, PublicationMark, StatusColour,
};
use crate::domain::scoring::{IndicatorStatus, ScoreBasis};
use crate::http::routes::summary::{RoundIndicator, RoundSummary};

/// The chart's width in pixels (a slide's width at 1200 × 675 or a page scaled to fit).
pub const WIDTH: f64 = 1200.0;

/// The font stack: Thai fonts people have (Sarabun, TH Sarabun New, Noto Sans Thai on
/// Windows/macOS/Office; Loma, Garuda from Linux's TLWG), then generic.
pub const FONT_FAMILY: &str =
    "Sarabun, 'TH Sarabun New', 'Noto Sans Thai', Loma, Garuda, Tahoma, sans-serif";

const MARGIN: f64 = 32.0;
/// Where bars start (after the lagging mark's room) and how long 100 % is.
const BAR_X: f64 = 56.0;
const BAR_W: f64 = 560.0;
/// The percent beside a bar, then the value, target and reports.
const PERCENT_X: f64 = BAR_X + BAR_W + 14.0;
const DETAIL_X: f64 = PERCENT_X + 90.0;
/// Longest name shown in full (characters that take room; Thai marks above and below do not).
const NAME_MAX: usize = 110;

const TEXT: &str = "#212121";
const MUTED: &str = "#616161";
const GREYED: &str = "#9E9E9E";
const LAGGING: &str = "#B71C1C";
const OVERALL: &str = "#1565C0";
const COMPONENT: &str = "#546E7A";

const STATUSES: [IndicatorStatus; 5] = [
    IndicatorStatus::Achieved,
    IndicatorStatus::BelowTarget,
    IndicatorStatus::NotMet,
    IndicatorStatus::NoData,
    IndicatorStatus::NotDue,
];

/// The standalone chart, served as `image/svg+xml` (XML declaration, SVG namespace).
pub fn render(summary: &RoundSummary, publication: Option<&PublicationMark>) -> String {
    let chart = chart(summary, true, publication);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n",
        chart.into_string()
    )
}

/// The chart to place inside an HTML page (no namespace needed there, nor any URL).
pub fn inline(summary: &RoundSummary) -> Markup {
    chart(summary, false, None)
}

/// A coordinate, to one decimal.
fn n(x: f64) -> String {
    figure((x * 10.0).round() / 10.0)
}

/// The bar length of a percent (clamped to the axis).
fn bar_length(percent: f64) -> f64 {
    (percent.clamp(0.0, 100.0) / 100.0) * BAR_W
}

/// Characters that take horizontal room (Thai vowels and tone marks above or below a
/// consonant do not).
fn spacing_chars(text: &str) -> usize {
    text.chars().filter(|c| !is_thai_mark(*c)).count()
}

fn is_thai_mark(c: char) -> bool {
    matches!(c, '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}')
}

/// `text` cut to `max` spacing characters with `…` (never inside a character's marks).
fn shorten(text: &str, max: usize) -> String {
    if spacing_chars(text) <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut count = 0;
    for c in text.chars() {
        if !is_thai_mark(c) {
            if count == max - 1 {
                break;
            }
            count += 1;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// What is printed beside an indicator's bar: its value, target and reports received.
fn details(indicator: &RoundIndicator) -> String {
    let reduction = indicator.score_basis == ScoreBasis::ReductionFromBaseline;
    let mut parts = Vec::new();
    match (indicator.value, reduction) {
        (Some(value), true) => parts.push(format!("ลดลง {} %", figure(value))),
        (Some(value), false) => parts.push(format!("ค่า {}", figure(value))),
        (None, _) => {}
    }
    if let Some(target) = indicator.target {
        let unit = if reduction { " %" } else { "" };
        parts.push(format!("เป้าหมาย {}{unit}", figure(target)));
    }
    if indicator.expected > 0 {
        parts.push(format!(
            "ส่งแล้ว {}/{}",
            indicator.received, indicator.expected
        ));
    }
    parts.join(" · ")
}

enum Row<'a> {
    Overall,
    Component(&'a crate::http::routes::summary::RoundComponent),
    Indicator(&'a RoundIndicator),
}

impl Row<'_> {
    fn height(&self) -> f64 {
        match self {
            Row::Overall => 58.0,
            Row::Component(_) => 50.0,
            Row::Indicator(_) => 50.0,
        }
    }
}

/// Overall, then each component followed by its indicators (the summary's order); indicators
/// of no listed component last.
fn rows(summary: &RoundSummary) -> Vec<Row<'_>> {
    let mut rows = vec![Row::Overall];
    for component in &summary.components {
        rows.push(Row::Component(component));
        rows.extend(
            summary
                .indicators
                .iter()
                .filter(|i| i.component_code == component.code)
                .map(Row::Indicator),
        );
    }
    rows.extend(
        summary
            .indicators
            .iter()
            .filter(|i| {
                !summary
                    .components
                    .iter()
                    .any(|c| c.code == i.component_code)
            })
            .map(Row::Indicator),
    );
    rows
}

const TITLE_Y: f64 = 42.0;
const SUBTITLE_Y: f64 = 72.0;
const LAGGING_Y: f64 = 100.0;
const LEGEND_Y: f64 = 130.0;
const AXIS_Y: f64 = 168.0;
const ROWS_Y: f64 = 178.0;
const FOOTER_H: f64 = 44.0;
/// The line a published snapshot's chart adds under the footer.
const PUBLICATION_H: f64 = 22.0;

fn chart(
    summary: &RoundSummary,
    standalone: bool,
    publication: Option<&PublicationMark>,
) -> Markup {
    let rows = rows(summary);
    let rows_end = ROWS_Y + rows.iter().map(Row::height).sum::<f64>();
    let height = rows_end + FOOTER_H + publication.map_or(0.0, |_| PUBLICATION_H);
    let evaluation = &summary.evaluation;
    let title = format!(
        "ผลการประเมินส่วนราชการ {} ปีงบประมาณ พ.ศ. {}",
        evaluation.province_name_th, evaluation.fiscal_year
    );
    let subtitle = format!(
        "{} · ข้อมูล ณ {}",
        summary.round.name,
        bangkok_time_th(summary.as_of)
    );
    let lagging = if summary.lagging.is_empty() {
        "ไม่มีตัวชี้วัดที่ต้องเร่งรัด".to_owned()
    } else {
        format!("ต้องเร่งรัด (ร้อยละต่ำสุดก่อน): {}", summary.lagging.join(", "))
    };
    let namespace = standalone.then_some("http://www.w3.org/2000/svg");
    let placed: Vec<(f64, &Row<'_>)> = rows
        .iter()
        .scan(ROWS_Y, |top, row| {
            let at = *top;
            *top += row.height();
            Some((at, row))
        })
        .collect();
    html! {
        svg xmlns=[namespace] version="1.1" width=(n(WIDTH)) height=(n(height))
            viewBox={ "0 0 " (n(WIDTH)) " " (n(height)) }
            font-family=(FONT_FAMILY) font-size="15" fill=(TEXT)
            role="img" aria-label=(title) {
            title { (title) " — " (subtitle) }
            rect x="0" y="0" width=(n(WIDTH)) height=(n(height)) fill="#FFFFFF" {}
            text x=(n(MARGIN)) y=(n(TITLE_Y)) font-size="24" font-weight="bold" { (title) }
            text x=(n(MARGIN)) y=(n(SUBTITLE_Y)) font-size="18" fill=(MUTED) { (subtitle) }
            g {
                (lagging_mark(MARGIN, LAGGING_Y - 13.0))
                text x=(n(MARGIN + 22.0)) y=(n(LAGGING_Y)) font-size="16" fill=(LAGGING) font-weight="bold" { (lagging) }
            }
            (legend())
            (grid(rows_end))
            @for (top, row) in &placed {
                (draw_row(summary, row, *top))
            }
            text x=(n(MARGIN)) y=(n(rows_end + 28.0)) font-size="13" fill=(MUTED) {
                "แถบ = ร้อยละของคะแนนเต็ม (คะแนน ÷ คะแนนสูงสุด × 100) · เส้นประ = 100 % · "
                "องค์ประกอบและภาพรวม: ค่าเฉลี่ยถ่วงน้ำหนักของตัวชี้วัดที่ถึงกำหนด"
            }
            @if let Some(publication) = publication {
                text class="publication" x=(n(MARGIN)) y=(n(rows_end + 28.0 + PUBLICATION_H))
                    font-size="13" fill=(MUTED) { (publication.line_th()) }
            }
        }
    }
}

/// A red triangle with `!`, 18 px wide, its top-left corner at (x, y).
fn lagging_mark(x: f64, y: f64) -> Markup {
    html! {
        g {
            polygon points={
                (n(x + 9.0)) "," (n(y)) " " (n(x + 18.0)) "," (n(y + 16.0)) " " (n(x)) "," (n(y + 16.0))
            } fill=(LAGGING) {}
            text x=(n(x + 9.0)) y=(n(y + 14.5)) font-size="12" font-weight="bold"
                text-anchor="middle" fill="#FFFFFF" { "!" }
        }
    }
}

fn legend() -> Markup {
    let swatch = 16.0;
    html! {
        g font-size="15" {
            @for (i, status) in STATUSES.iter().enumerate() {
                @let x = MARGIN + i as f64 * 150.0;
                rect x=(n(x)) y=(n(LEGEND_Y - 13.0)) width=(n(swatch)) height=(n(swatch))
                    fill=(StatusColour::of(*status).fill_hex()) {}
                text x=(n(x + swatch + 6.0)) y=(n(LEGEND_Y)) { (status_label_th(*status)) }
            }
            @let x = MARGIN + 5.0 * 150.0;
            (lagging_mark(x, LEGEND_Y - 14.0))
            text x=(n(x + 24.0)) y=(n(LEGEND_Y)) { "ต้องเร่งรัด" }
            @let x = x + 150.0;
            line x1=(n(x + 8.0)) y1=(n(LEGEND_Y - 15.0)) x2=(n(x + 8.0)) y2=(n(LEGEND_Y + 3.0))
                stroke=(MUTED) stroke-width="2" stroke-dasharray="4 3" {}
            text x=(n(x + 18.0)) y=(n(LEGEND_Y)) { "100 %" }
        }
    }
}

/// The 0–100 % axis: labels above the rows, light lines through them, 100 % dashed.
fn grid(rows_end: f64) -> Markup {
    html! {
        g font-size="13" fill=(MUTED) {
            @for tick in [0.0, 25.0, 50.0, 75.0, 100.0] {
                @let x = BAR_X + bar_length(tick);
                text x=(n(x)) y=(n(AXIS_Y)) text-anchor="middle" { (figure(tick)) " %" }
                @if tick < 100.0 {
                    line x1=(n(x)) y1=(n(ROWS_Y)) x2=(n(x)) y2=(n(rows_end)) stroke="#E0E0E0" stroke-width="1" {}
                }
            }
        }
    }
}

/// The dashed 100 % mark across one row's bar.
fn full_mark(bar_y: f64, bar_h: f64) -> Markup {
    let x = BAR_X + BAR_W;
    html! {
        line x1=(n(x)) y1=(n(bar_y - 2.0)) x2=(n(x)) y2=(n(bar_y + bar_h + 3.0))
            stroke=(MUTED) stroke-width="2" stroke-dasharray="4 3" {}
    }
}

fn draw_row(summary: &RoundSummary, row: &Row<'_>, top: f64) -> Markup {
    match row {
        Row::Overall => {
            let bar_y = top + 28.0;
            let bar_h = 20.0;
            html! {
                g class="overall" {
                    text x=(n(MARGIN)) y=(n(top + 20.0)) font-size="18" font-weight="bold" {
                        "คะแนนภาพรวม"
                        tspan fill=(MUTED) font-weight="normal" font-size="15" {
                            " (น้ำหนักองค์ประกอบรวม " (figure(summary.component_weight_total)) ")"
                        }
                    }
                    (bar(summary.overall_percent, OVERALL, bar_y, bar_h, "ยังไม่มีตัวชี้วัดที่ถึงกำหนด"))
                    (full_mark(bar_y, bar_h))
                    text x=(n(PERCENT_X)) y=(n(bar_y + 17.0)) font-size="22" font-weight="bold" fill=(OVERALL) {
                        (percent(summary.overall_percent))
                    }
                }
            }
        }
        Row::Component(component) => {
            let bar_y = top + 28.0;
            let bar_h = 14.0;
            html! {
                g class="component" data-code=(component.code) {
                    rect x=(n(MARGIN - 8.0)) y=(n(top + 2.0)) width=(n(WIDTH - 2.0 * MARGIN + 16.0))
                        height=(n(48.0)) fill="#ECEFF1" {}
                    text x=(n(MARGIN)) y=(n(top + 20.0)) font-size="16" font-weight="bold" {
                        "องค์ประกอบที่ " (component.code) " " (shorten(&component.name, NAME_MAX - 24))
                        tspan fill=(MUTED) font-weight="normal" { " (น้ำหนัก " (figure(component.weight)) ")" }
                    }
                    (bar(component.percent, COMPONENT, bar_y, bar_h, "ยังไม่มีตัวชี้วัดที่ถึงกำหนด"))
                    (full_mark(bar_y, bar_h))
                    text x=(n(PERCENT_X)) y=(n(bar_y + 13.0)) font-size="17" font-weight="bold" fill=(COMPONENT) {
                        (percent(component.percent))
                    }
                }
            }
        }
        Row::Indicator(indicator) => {
            let lagging = summary.lagging.contains(&indicator.indicator_code);
            let not_due = indicator.status == IndicatorStatus::NotDue;
            let colour = StatusColour::of(indicator.status).fill_hex();
            let bar_y = top + 27.0;
            let bar_h = 16.0;
            let name_x = BAR_X;
            html! {
                g class="indicator" data-code=(indicator.indicator_code)
                    data-status=(status_key(indicator.status)) data-lagging=(lagging) {
                    title {
                        (indicator.indicator_code) " " (indicator.name) ": "
                        (status_label_th(indicator.status)) " " (percent(indicator.percent))
                    }
                    @if lagging {
                        (lagging_mark(MARGIN, top + 8.0))
                    }
                    text x=(n(name_x)) y=(n(top + 21.0)) font-size="16"
                        fill=(if not_due { GREYED } else { TEXT }) {
                        tspan font-weight="bold" { (indicator.indicator_code) }
                        " " (shorten(&indicator.name, NAME_MAX))
                    }
                    @if not_due {
                        rect x=(n(BAR_X)) y=(n(bar_y)) width=(n(BAR_W)) height=(n(bar_h))
                            fill="none" stroke=(colour) stroke-dasharray="3 3" {}
                        text x=(n(PERCENT_X)) y=(n(bar_y + 13.5)) font-size="17" fill=(GREYED) { "–" }
                        text x=(n(DETAIL_X)) y=(n(bar_y + 13.0)) font-size="14" fill=(GREYED) {
                            (status_label_th(indicator.status)) " · " (details(indicator))
                        }
                    } @else {
                        (bar(indicator.percent, &colour, bar_y, bar_h, ""))
                        (full_mark(bar_y, bar_h))
                        text x=(n(PERCENT_X)) y=(n(bar_y + 13.5)) font-size="17" font-weight="bold" {
                            (percent(indicator.percent))
                        }
                        text x=(n(DETAIL_X)) y=(n(bar_y + 13.0)) font-size="14" fill=(MUTED) {
                            (status_label_th(indicator.status)) " · " (details(indicator))
                        }
                    }
                }
            }
        }
    }
}

/// A bar of `percent` on its light track; without a percent, the track and `none`.
fn bar(percent: Option<f64>, colour: &str, y: f64, h: f64, none: &str) -> Markup {
    html! {
        rect x=(n(BAR_X)) y=(n(y)) width=(n(BAR_W)) height=(n(h)) fill="#F5F5F5" {}
        @match percent {
            // A zero still shows its colour: a 3 px stub at the axis.
            Some(p) => {
                rect class="bar" x=(n(BAR_X)) y=(n(y)) width=(n(bar_length(p).max(3.0)))
                    height=(n(h)) fill=(colour) {}
            }
            None => {
                text x=(n(BAR_X + 8.0)) y=(n(y + h - 3.0)) font-size="13" fill=(GREYED) { (none) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_between_characters_not_inside_their_marks() {
        // 'ที่' is one spacing character with two marks.
        assert_eq!(spacing_chars("ที่"), 1);
        assert_eq!(shorten("ร้อยละ", 10), "ร้อยละ");
        assert_eq!(shorten("ร้อยละที่เพิ่มขึ้น", 4), "ร้อย…");
        assert_eq!(shorten("abcdef", 4), "abc…");
    }

    #[test]
    fn bars_are_clamped_to_the_axis() {
        assert_eq!(bar_length(50.0), BAR_W / 2.0);
        assert_eq!(bar_length(120.0), BAR_W);
        assert_eq!(bar_length(-5.0), 0.0);
    }
}
