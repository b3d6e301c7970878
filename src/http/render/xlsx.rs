//! A round summary as one Excel workbook: sheets `indicators`, `organizations` and `missing`,
//! each with a title row (province, fiscal year, round, as of in Bangkok time), Thai headers,
//! figures as numbers shown with 2 decimals, status cells in the status colours, columns wide
//! enough for their Thai text. Values only: every text is written as a string, never a formula.

use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

use super::{
    rankings_table, rankings_title_th, status_label_th, summary_table, summary_title_th, Cell,
    StatusColour, SummaryPart,
};
use crate::error::{Error, Result};
use crate::http::csv::formula_prone;
use crate::http::routes::rankings::Rankings;
use crate::http::routes::summary::RoundSummary;

pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The rows above the table: the title, then the header row.
const TITLE_ROW: u32 = 0;
const HEADER_ROW: u32 = 1;
const FIRST_DATA_ROW: u32 = 2;

/// Column widths, in Excel's units (the width of a `0`): never narrower than a short figure,
/// never wider than a readable line; longer text wraps.
const MIN_WIDTH: f64 = 8.0;
const MAX_WIDTH: f64 = 60.0;
/// A header wraps onto a second line rather than widen a column of figures.
const HEADER_WIDTH: f64 = 12.0;
/// Points a line of wrapped text takes (the default row is 15).
const LINE_HEIGHT: f64 = 15.0;

/// The workbook of `parts` (every part by default), as the bytes of an .xlsx file.
pub fn summary(summary: &RoundSummary, parts: &[SummaryPart]) -> Result<Vec<u8>> {
    workbook(summary, parts).map_err(|error| {
        tracing::error!(%error, "writing a summary workbook");
        Error::Internal(format!("the workbook could not be written: {error}"))
    })
}

/// A fiscal year's ranking as a workbook of one sheet, `rankings`.
pub fn rankings(rankings: &Rankings) -> Result<Vec<u8>> {
    let written = (|| {
        let mut workbook = Workbook::new();
        workbook.set_properties(&properties(rankings.as_of)?);
        let sheet = workbook.add_worksheet();
        sheet.set_name("rankings")?;
        write_sheet(
            sheet,
            &rankings_title_th(rankings),
            &rankings_table(rankings),
        )?;
        workbook.save_to_buffer()
    })();
    written.map_err(|error| {
        tracing::error!(%error, "writing a rankings workbook");
        Error::Internal(format!("the workbook could not be written: {error}"))
    })
}

/// The workbook's properties, dated `as_of` rather than the moment it is written: the same
/// figures give the same bytes (a published snapshot's workbook keeps its strong ETag).
fn properties(
    as_of: chrono::DateTime<chrono::Utc>,
) -> std::result::Result<DocProperties, XlsxError> {
    // Excel's dates run from 1900 to 9999; a valid `as_of` outside them (1815) dates the
    // workbook at the nearer bound instead of failing the request (found by scripts/fuzz).
    const FIRST: i64 = -2_208_988_800; // 1900-01-01T00:00:00Z
    const LAST: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let created = ExcelDateTime::from_timestamp(as_of.timestamp().clamp(FIRST, LAST))?;
    Ok(DocProperties::new().set_creation_datetime(&created))
}

fn workbook(
    summary: &RoundSummary,
    parts: &[SummaryPart],
) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    workbook.set_properties(&properties(summary.as_of)?);
    let title = summary_title_th(summary);
    for part in parts {
        let sheet = workbook.add_worksheet();
        sheet.set_name(part.name())?;
        write_sheet(sheet, &title, &summary_table(summary, *part))?;
    }
    workbook.save_to_buffer()
}

fn write_sheet(
    sheet: &mut Worksheet,
    title: &str,
    table: &super::Table,
) -> std::result::Result<(), XlsxError> {
    let title_format = Format::new().set_bold().set_font_size(14);
    let header_format = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(Color::RGB(0xE7E6E6))
        .set_border_bottom(FormatBorder::Thin);
    let text_format = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let quoted_format = text_format.clone().set_quote_prefix();
    let number_format = Format::new()
        .set_num_format("0.00")
        .set_align(FormatAlign::Top);
    let count_format = Format::new()
        .set_num_format("0")
        .set_align(FormatAlign::Top);

    sheet.write_string_with_format(TITLE_ROW, 0, title, &title_format)?;
    sheet.set_row_height(TITLE_ROW, 24)?;
    sheet.set_row_height(HEADER_ROW, 36)?;
    for (col, header) in table.headers.iter().enumerate() {
        sheet.write_string_with_format(HEADER_ROW, col as u16, *header, &header_format)?;
    }
    // Widths first: a row whose text wraps in its column is made tall enough for its lines
    // (spreadsheets do not grow a row for wrapped text they did not lay out themselves).
    let mut widths: Vec<f64> = table
        .headers
        .iter()
        .map(|h| display_width(h).min(HEADER_WIDTH))
        .collect();
    for cells in &table.rows {
        for (widest, cell) in widths.iter_mut().zip(cells) {
            *widest = widest.max(cell_width(cell));
        }
    }
    let widths: Vec<f64> = widths
        .iter()
        .map(|width| (width + 2.0).clamp(MIN_WIDTH, MAX_WIDTH))
        .collect();
    for (col, width) in widths.iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    for (offset, cells) in table.rows.iter().enumerate() {
        let row = FIRST_DATA_ROW + offset as u32;
        let mut lines = 1.0_f64;
        for (col, cell) in cells.iter().enumerate() {
            let column = col as u16;
            match cell {
                Cell::Text(text) => {
                    // A string cell is never run, but editing one that starts like a formula
                    // (F2, Enter) would make it one: Excel's quote prefix keeps it text.
                    let format = if formula_prone(text) {
                        &quoted_format
                    } else {
                        &text_format
                    };
                    sheet.write_string_with_format(row, column, text, format)?;
                    if let Some(width) = widths.get(col) {
                        lines = lines.max((display_width(text) / (width - 1.0)).ceil());
                    }
                }
                Cell::Number(Some(number)) => {
                    sheet.write_number_with_format(row, column, *number, &number_format)?;
                }
                Cell::Number(None) => {}
                Cell::Count(count) => {
                    sheet.write_number_with_format(row, column, *count as f64, &count_format)?;
                }
                Cell::Status(status) => {
                    let colour = StatusColour::of(*status);
                    let format = Format::new()
                        .set_background_color(Color::RGB(colour.fill))
                        .set_font_color(Color::RGB(colour.text))
                        .set_align(FormatAlign::Top);
                    sheet.write_string_with_format(
                        row,
                        column,
                        status_label_th(*status),
                        &format,
                    )?;
                }
            }
        }
        if lines > 1.0 {
            sheet.set_row_height(row, LINE_HEIGHT * lines)?;
        }
    }
    sheet.set_freeze_panes(FIRST_DATA_ROW, 0)?;
    sheet.set_paper_size(9); // A4
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(HEADER_ROW, HEADER_ROW)?;
    Ok(())
}

/// How wide a cell's content shows, in `0`s.
fn cell_width(cell: &Cell) -> f64 {
    match cell {
        Cell::Text(text) => display_width(text),
        Cell::Number(Some(number)) => display_width(&format!("{number:.2}")),
        Cell::Number(None) => 0.0,
        Cell::Count(count) => display_width(&count.to_string()),
        Cell::Status(status) => display_width(status_label_th(*status)),
    }
}

/// About how many `0`s wide a text shows in a spreadsheet: Thai vowel and tone marks above or
/// below a consonant take no width of their own; a Thai letter is a little wider than a digit.
fn display_width(text: &str) -> f64 {
    text.chars()
        .map(|c| match c {
            '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}' => 0.0,
            '\u{0E00}'..='\u{0E7F}' => 1.15,
            c if c.is_ascii_uppercase() => 1.2,
            _ => 1.0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thai_marks_take_no_width() {
        // ที่ (3 code points) shows as one letter with two marks.
        assert!((display_width("ที่") - 1.15).abs() < 1e-9);
        assert!((display_width("12.50") - 5.0).abs() < 1e-9);
    }
}
