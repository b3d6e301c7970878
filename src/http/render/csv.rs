//! A summary's table, or a drill-down, as a CSV file (src/http/csv.rs: BOM, CRLF, formula-like
//! text neutralised): Thai headers, figures unformatted as in the JSON, a status in Thai.

use super::{
    drill_down_table, rankings_table, status_label_th, summary_table, Cell, SummaryPart, Table,
};
use crate::http::csv::{CsvCell, CsvWriter};
use crate::http::routes::rankings::Rankings;
use crate::http::routes::summary::{IndicatorDrillDown, RoundSummary};

/// One part of the summary: indicators, organizations or missing reports.
pub fn summary(summary: &RoundSummary, part: SummaryPart) -> CsvWriter {
    write(&summary_table(summary, part))
}

/// The drill-down: one row per reporting organization.
pub fn drill_down(drill: &IndicatorDrillDown) -> CsvWriter {
    write(&drill_down_table(drill))
}

/// A fiscal year's ranking: one row per evaluation.
pub fn rankings(rankings: &Rankings) -> CsvWriter {
    write(&rankings_table(rankings))
}

fn write(table: &Table) -> CsvWriter {
    let mut csv = CsvWriter::new();
    csv.row(table.headers);
    for row in &table.rows {
        csv.row_of(row.iter().map(|cell| match cell {
            Cell::Text(text) => CsvCell::Text(text),
            Cell::Number(Some(number)) => CsvCell::Number(*number),
            Cell::Number(None) => CsvCell::Text(""),
            Cell::Count(count) => CsvCell::Number(*count as f64),
            Cell::Status(status) => CsvCell::Text(status_label_th(*status)),
        }));
    }
    csv
}
