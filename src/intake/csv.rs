//! A CSV batch: a header row naming the item fields (any order; `indicator_code`,
//! `organization_code` and `period` required), then one item per row. UTF-8, a byte order mark
//! tolerated, CRLF or LF, RFC 4180 quoting (commas and line breaks inside quotes). Read row by
//! row from any reader; an empty cell is an absent field; cells other than `narrative` are
//! trimmed (spreadsheets pad them); a CRLF inside a quoted narrative is a line break (LF).
//!
//! A column named `error` (`REASON_COLUMN`) is read past: it is where the `import` command's
//! `FILE.rejected.csv` says why each row was rejected, so that file is imported again as it is
//! once its rows are fixed.

use std::io::Read;

use super::too_many_items;
use crate::domain::batch::{Raw, RawItem, FIELDS, MAX_ITEMS};
use crate::error::{Error, FieldError, Result};

/// The column that says why a row was rejected (in `import`'s `FILE.rejected.csv`), ignored
/// on reading.
pub const REASON_COLUMN: &str = "error";

/// Reads every row into an item; `progress` is called with the rows read so far (every 1000
/// rows, and at the end). A header that names an unknown or repeated column, or lacks a
/// required one, is a 400 naming `header`; unreadable CSV a 400 naming the line.
pub fn read(reader: impl Read, mut progress: impl FnMut(usize)) -> Result<Vec<RawItem>> {
    let mut csv = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let header = csv.byte_headers().map_err(unreadable)?.clone();
    let columns = columns(&header)?;
    let mut items = Vec::new();
    let mut record = ::csv::ByteRecord::new();
    // Lines counted from the cells themselves: the reader's own positions are a line early
    // after a CRLF, and a quoted cell may span lines.
    let mut next_line = 2 + line_breaks(&header);
    while csv.read_byte_record(&mut record).map_err(unreadable)? {
        if items.len() == MAX_ITEMS {
            return Err(too_many_items());
        }
        let line = next_line;
        next_line += 1 + line_breaks(&record);
        let mut item = RawItem::new(items.len(), Some(line));
        if record.len() != columns.len() {
            item.shape = Some((record.len(), columns.len()));
        }
        for (name, cell) in columns.iter().zip(record.iter()) {
            if *name == REASON_COLUMN {
                continue;
            }
            let raw = match std::str::from_utf8(cell) {
                Err(_) => Raw::NotUtf8,
                Ok("") => Raw::Absent,
                // A line break inside a quoted cell is CRLF when the file's lines are; the
                // service keeps line breaks as LF (docs/DOMAIN.md, "Text").
                Ok(text) if *name == "narrative" => Raw::Text(text.replace("\r\n", "\n")),
                Ok(text) => match text.trim() {
                    "" => Raw::Absent,
                    text => Raw::Text(text.to_owned()),
                },
            };
            item.set(name, raw);
        }
        items.push(item);
        if items.len() % 1000 == 0 {
            progress(items.len());
        }
    }
    progress(items.len());
    Ok(items)
}

fn line_breaks(record: &::csv::ByteRecord) -> u64 {
    record
        .iter()
        .map(|cell| cell.iter().filter(|b| **b == b'\n').count() as u64)
        .sum()
}

/// The header's columns, each a known field (or the ignored reason column), each once, the
/// required ones present.
fn columns(header: &::csv::ByteRecord) -> Result<Vec<&'static str>> {
    let bad = |message: String| {
        Error::bad_request(
            "the CSV header is not a batch header",
            vec![FieldError::new("header", message)],
        )
    };
    let mut columns = Vec::new();
    for (position, cell) in header.iter().enumerate() {
        let text = String::from_utf8_lossy(cell);
        let name = text.trim().trim_start_matches('\u{feff}');
        let mut known = FIELDS.iter().chain(std::iter::once(&REASON_COLUMN));
        let Some(field) = known.find(|field| **field == name) else {
            return Err(bad(format!(
                "column {} is `{name}`: the columns are {} (and `{REASON_COLUMN}`, ignored)",
                position + 1,
                FIELDS.join(", ")
            )));
        };
        if columns.contains(field) {
            return Err(bad(format!("column `{name}` appears twice")));
        }
        columns.push(*field);
    }
    for required in ["indicator_code", "organization_code", "period"] {
        if !columns.contains(&required) {
            return Err(bad(format!("the column `{required}` is required")));
        }
    }
    Ok(columns)
}

fn unreadable(error: ::csv::Error) -> Error {
    let line = error.position().map(|p| p.line()).unwrap_or_default();
    Error::bad_request(
        "the body is not readable CSV",
        vec![FieldError::new("body", format!("line {line}: {error}"))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_quotes_line_breaks_a_bom_and_crlf() {
        let csv = "\u{feff}indicator_code,organization_code,period,value,narrative\r\n\
                   E.1, YST-PEO ,2022-01,1180.5,\"ปิดไฟ, ลดแอร์\r\nช่วงพักเที่ยง\"\r\n\
                   E.2,YST-PEO,2022-01,,\r\n";
        let items = read(csv.as_bytes(), |_| {}).expect("items");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].organization_code, Raw::Text("YST-PEO".into()));
        assert_eq!(
            items[0].narrative,
            Raw::Text("ปิดไฟ, ลดแอร์\nช่วงพักเที่ยง".into())
        );
        assert_eq!(items[0].line, Some(2));
        assert_eq!(items[1].line, Some(4));
        assert_eq!(items[1].index, 1);
        assert_eq!(items[1].value, Raw::Absent);
    }

    #[test]
    fn the_reason_column_of_a_rejected_file_is_read_past() {
        let csv = "indicator_code,error,organization_code,period,value\r\n\
                   E.1,\"value: `many` is not a number\",YST-PEO,2022-01,1180\r\n";
        let items = read(csv.as_bytes(), |_| {}).expect("items");
        assert_eq!(items[0].value, Raw::Text("1180".into()));
        assert!(items[0].unknown.is_empty(), "{:?}", items[0].unknown);
        assert_eq!(items[0].shape, None);
        match read(
            "error,error,indicator_code,organization_code,period\n".as_bytes(),
            |_| {},
        ) {
            Err(Error::BadRequest { errors, .. }) => assert_eq!(errors[0].field, "header"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bad_header_is_refused_a_bad_row_kept_for_its_own_rejection() {
        for header in [
            "indicator_code,organization_code",
            "indicator_code,organization_code,period,colour",
            "period,period,indicator_code,organization_code",
        ] {
            match read(format!("{header}\n").as_bytes(), |_| {}) {
                Err(Error::BadRequest { errors, .. }) => assert_eq!(errors[0].field, "header"),
                other => panic!("{header}: {other:?}"),
            }
        }
        let items = read(
            "indicator_code,organization_code,period\nE.1,YST-PEO\nE.1,YST-PEO,2022-01,extra\n"
                .as_bytes(),
            |_| {},
        )
        .expect("items");
        assert_eq!((items[0].line, items[1].line), (Some(2), Some(3)));
        assert_eq!(items[0].shape, Some((2, 3)));
        assert_eq!(items[1].shape, Some((4, 3)));
        let latin =
            b"indicator_code,organization_code,period,narrative\nE.1,YST-PEO,2022-01,\xe0\xb8\n";
        let items = read(&latin[..], |_| {}).expect("items");
        assert_eq!(items[0].narrative, Raw::NotUtf8);
    }
}
