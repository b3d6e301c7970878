//! A round's summary as one printable page (`text/html`) for the governor's meeting: the title,
//! the overall, component and reporting figures, the chart inline (`svg::inline`), the lagging
//! indicators and each reporting organization's completeness with what it has not sent. A4 in
//! print (`@page`), Thai, self-contained: no script, no external resource (the CSS is inline,
//! the fonts are the reader's). maud templates, checked at compile time, escape every value.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::svg::FONT_FAMILY;
use super::{
    bangkok_time_th, figure, percent, status_key, status_label_th, svg, PublicationMark,
    StatusColour,
};
use crate::http::routes::summary::{RoundIndicator, RoundSummary};

/// The page's style: screen shows the sheet as it prints; print keeps the colours and keeps
/// rows whole.
const CSS: &str = r#"
@page { size: A4; margin: 12mm 12mm 14mm 12mm; }
* { box-sizing: border-box; }
html { background: #FFFFFF; }
body { font-family: FONTS; color: #212121; font-size: 10.5pt; line-height: 1.45;
  max-width: 186mm; margin: 8mm auto; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h1 { font-size: 16pt; margin: 0 0 1mm; line-height: 1.3; }
h2 { font-size: 12.5pt; margin: 5mm 0 2mm; border-bottom: 1.5pt solid #546E7A; padding-bottom: 1mm; }
p.sub { margin: 0; color: #424242; font-size: 11pt; }
p.title { margin: 0 0 1mm; color: #616161; font-size: 9.5pt; }
.figures { display: flex; gap: 3mm; margin: 4mm 0 2mm; }
.figure { flex: 1; border: 0.75pt solid #CFD8DC; border-radius: 2mm; padding: 2mm 3mm; }
.figure .label { font-size: 9pt; color: #546E7A; }
.figure .value { font-size: 17pt; font-weight: bold; line-height: 1.2; }
.figure .note { font-size: 8.5pt; color: #616161; }
.figure.overall .value { color: #1565C0; }
.chart svg { display: block; width: 100%; height: auto; }
table { width: 100%; border-collapse: collapse; font-size: 9.5pt; }
th, td { border: 0.5pt solid #B0BEC5; padding: 1mm 1.5mm; vertical-align: top; text-align: left; }
th { background: #ECEFF1; font-weight: bold; }
td.num, th.num { text-align: right; white-space: nowrap; }
thead { display: table-header-group; }
tr, li, .figure { break-inside: avoid; page-break-inside: avoid; }
tr.total td { font-weight: bold; background: #FAFAFA; }
ol.lagging { margin: 0; padding-left: 6mm; }
ol.lagging li { margin: 0.5mm 0; }
.status { display: inline-block; padding: 0 1.5mm; border-radius: 1mm; color: #FFFFFF; font-size: 9pt; }
.status.below_target { color: #212121; }
.missing { color: #B71C1C; }
.none { color: #2E7D32; }
footer { margin-top: 4mm; font-size: 8.5pt; color: #757575; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } }
"#;

/// The page.
pub fn render(summary: &RoundSummary, publication: Option<&PublicationMark>) -> String {
    page(summary, publication).into_string()
}

fn indicator<'a>(summary: &'a RoundSummary, code: &str) -> Option<&'a RoundIndicator> {
    summary.indicators.iter().find(|i| i.indicator_code == code)
}

fn page(summary: &RoundSummary, publication: Option<&PublicationMark>) -> Markup {
    let evaluation = &summary.evaluation;
    let round = &summary.round;
    let heading = format!(
        "ผลการประเมินส่วนราชการ {} ปีงบประมาณ พ.ศ. {}",
        evaluation.province_name_th, evaluation.fiscal_year
    );
    let at = bangkok_time_th(summary.as_of);
    let css = CSS.replace("FONTS", FONT_FAMILY);
    let completeness = &summary.completeness;
    html! {
        (DOCTYPE)
        html lang="th" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (heading) " — " (round.name) }
                style { (PreEscaped(css)) }
            }
            body {
                header {
                    h1 { (heading) }
                    @if evaluation.title != heading {
                        p.title { (evaluation.title) }
                    }
                    p.sub {
                        strong { (round.name) }
                        // The window, unless the name already says it (the demo's do).
                        @if !round.name.contains(&round.start_period_label_th) {
                            " (" (round.start_period_label_th) " – " (round.end_period_label_th) ")"
                        }
                        " · ข้อมูล ณ " (at)
                    }
                    @if let Some(publication) = publication {
                        p.sub.publication { (publication.line_th()) }
                    }
                }
                section.figures {
                    div.figure.overall {
                        div.label { "คะแนนภาพรวม" }
                        div.value { (percent(summary.overall_percent)) }
                        div.note { "น้ำหนักองค์ประกอบรวม " (figure(summary.component_weight_total)) }
                    }
                    @for component in &summary.components {
                        div.figure.component {
                            div.label { "องค์ประกอบที่ " (component.code) }
                            div.value { (percent(component.percent)) }
                            div.note { (component.name) " · น้ำหนัก " (figure(component.weight)) }
                        }
                    }
                    div.figure.reporting {
                        div.label { "การรายงานผล" }
                        div.value { (percent(completeness.completeness_percent)) }
                        div.note {
                            "ได้รับ " (completeness.received) " จาก " (completeness.expected)
                            " รายงาน · ตรงเวลา " (percent(completeness.timeliness_percent))
                        }
                    }
                }
                section.chart { (svg::inline(summary)) }
                section {
                    h2 { "ตัวชี้วัดที่ต้องเร่งรัด (ร้อยละต่ำสุดก่อน)" }
                    @if summary.lagging.is_empty() {
                        p.none { "ไม่มี: ตัวชี้วัดที่ถึงกำหนดบรรลุเป้าหมายทั้งหมด" }
                    } @else {
                        ol.lagging {
                            @for code in &summary.lagging {
                                li data-code=(code) {
                                    @match indicator(summary, code) {
                                        Some(indicator) => {
                                            strong { (code) } " " (indicator.name) " — "
                                            span class={ "status " (status_key(indicator.status)) }
                                                style={ "background:" (StatusColour::of(indicator.status).fill_hex()) } {
                                                (status_label_th(indicator.status))
                                            }
                                            " " (percent(indicator.percent))
                                            @if let Some(value) = indicator.value {
                                                " · ค่า " (figure(value))
                                            }
                                            @if let Some(target) = indicator.target {
                                                " · เป้าหมาย " (figure(target))
                                            }
                                            " · ส่งแล้ว " (indicator.received) "/" (indicator.expected)
                                        }
                                        None => { strong { (code) } }
                                    }
                                }
                            }
                        }
                    }
                }
                section {
                    h2 { "การรายงานผลของหน่วยงาน" }
                    table.organizations {
                        thead {
                            tr {
                                th { "หน่วยงาน" }
                                th.num { "ต้องส่ง" }
                                th.num { "ได้รับ" }
                                th.num { "ตรงเวลา" }
                                th.num { "ล่าช้า" }
                                th.num { "ครบถ้วน" }
                                th.num { "ตรงเวลา %" }
                                th { "ยังไม่ได้รับ (ตัวชี้วัด เดือน)" }
                            }
                        }
                        tbody {
                            @for organization in &summary.organizations {
                                tr data-code=(organization.organization_code) {
                                    td {
                                        (organization.name_th)
                                        br;
                                        small { (organization.organization_code) }
                                    }
                                    td.num { (organization.expected) }
                                    td.num { (organization.received) }
                                    td.num { (organization.on_time) }
                                    td.num { (organization.late) }
                                    td.num { (percent(organization.completeness_percent)) }
                                    td.num { (percent(organization.timeliness_percent)) }
                                    td {
                                        @if organization.missing.is_empty() {
                                            @if organization.expected > 0 {
                                                span.none { "ครบ" }
                                            } @else {
                                                "–"
                                            }
                                        } @else {
                                            span.missing {
                                                @for (i, missing) in organization.missing.iter().enumerate() {
                                                    @if i > 0 { ", " }
                                                    span.pair { (missing.indicator_code) " " (missing.period_label_th) }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                            // In the body, not a tfoot: Chromium repeats a tfoot on every printed
                            // sheet, which would put the total under the first rows.
                            tr.total {
                                td { "รวมทุกหน่วยงาน" }
                                td.num { (completeness.expected) }
                                td.num { (completeness.received) }
                                td.num { (completeness.on_time) }
                                td.num { (completeness.late) }
                                td.num { (percent(completeness.completeness_percent)) }
                                td.num { (percent(completeness.timeliness_percent)) }
                                td.num { "ขาด " (completeness.missing) " รายงาน" }
                            }
                        }
                    }
                }
                footer {
                    "คะแนนตัวชี้วัดเป็นร้อยละของคะแนนเต็ม; องค์ประกอบและภาพรวมเป็นค่าเฉลี่ยถ่วงน้ำหนักของตัวชี้วัดที่ถึงกำหนด; "
                    "ต้องส่ง = รายงานรายเดือนที่ถึงกำหนดภายใน " (at) "; ได้รับ = ส่งครั้งแรกภายในเวลานั้นและยังนับอยู่"
                }
            }
        }
    }
}
