//! CSV files for people to open in a spreadsheet (Excel, LibreOffice): UTF-8 with a byte order
//! mark (Excel reads Thai only then), CRLF line ends, RFC 4180 quoting, and cells that a
//! spreadsheet would run as a formula neutralised. One writer for every CSV the service gives.

use actix_web::http::header;
use actix_web::HttpResponse;

/// The byte order mark Excel needs to read a CSV file as UTF-8.
pub const BOM: &str = "\u{feff}";

pub const CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// A CSV document being written: the BOM, then rows.
#[derive(Debug, Clone)]
pub struct CsvWriter {
    text: String,
}

impl Default for CsvWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvWriter {
    pub fn new() -> Self {
        Self {
            text: BOM.to_owned(),
        }
    }

    /// One row; every row ends with CRLF.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.push_row(cells, true);
    }

    /// One row of cells handed back exactly as their author wrote them (the `import` command's
    /// rejected rows, to fix and re-import): quoted, but never prefixed, since a prefix would
    /// change a value such as `-12.5` on re-import. Only for cells the reader of the file wrote.
    pub fn row_as_written<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.push_row(cells, false);
    }

    /// One row of text cells (neutralised like `row`) and figures the service computed
    /// (written as numbers, never prefixed: `-5.25` stays a negative number).
    pub fn row_of<'a, I>(&mut self, cells: I)
    where
        I: IntoIterator<Item = CsvCell<'a>>,
    {
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            match cell {
                CsvCell::Text(text) => push_cell(&mut self.text, text, true),
                CsvCell::Number(number) => self.text.push_str(&number.to_string()),
            }
        }
        self.text.push_str("\r\n");
    }

    fn push_row<I, S>(&mut self, cells: I, neutralise: bool)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            push_cell(&mut self.text, cell.as_ref(), neutralise);
        }
        self.text.push_str("\r\n");
    }

    pub fn finish(self) -> String {
        self.text
    }

    /// 200 with the document as `text/csv; charset=utf-8`, to be saved as `filename` (ASCII).
    pub fn attachment(self, filename: &str) -> HttpResponse {
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, CONTENT_TYPE))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ))
            .body(self.finish())
    }
}

/// A cell of `CsvWriter::row_of`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CsvCell<'a> {
    Text(&'a str),
    /// Written as Rust writes it: unformatted, no exponent, `.` as the decimal point.
    Number(f64),
}

/// Whether a spreadsheet could read the cell as a formula (or a command): it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP, "CSV Injection").
pub fn formula_prone(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Appends one cell: prefixed with `'` when formula-prone and `neutralise` (the spreadsheet
/// then shows it as text), quoted when it holds a comma, a quote, a line break or starts with a
/// space, its quotes doubled.
fn push_cell(out: &mut String, cell: &str, neutralise: bool) {
    let neutralised;
    let cell = if neutralise && formula_prone(cell) {
        neutralised = format!("'{cell}");
        neutralised.as_str()
    } else {
        cell
    };
    let needs_quotes = cell.contains([',', '"', '\r', '\n']) || cell.starts_with(' ');
    if needs_quotes {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn document(rows: &[Vec<&str>]) -> String {
        let mut csv = CsvWriter::new();
        for row in rows {
            csv.row(row);
        }
        csv.finish()
    }

    /// A strict RFC 4180 reader, to read back what the writer wrote.
    fn read(text: &str) -> Vec<Vec<String>> {
        let text = text.strip_prefix(BOM).expect("BOM");
        let mut rows = Vec::new();
        let mut row = Vec::new();
        let mut cell = String::new();
        let mut chars = text.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => cell.push(c),
                (false, '"') if cell.is_empty() => quoted = true,
                (false, ',') => row.push(std::mem::take(&mut cell)),
                (false, '\r') => {
                    assert_eq!(chars.next(), Some('\n'), "CR without LF");
                    row.push(std::mem::take(&mut cell));
                    rows.push(std::mem::take(&mut row));
                }
                (false, c) => {
                    assert!(c != '"' && c != '\n', "bare {c:?} in {text:?}");
                    cell.push(c);
                }
            }
        }
        assert!(cell.is_empty() && row.is_empty(), "unterminated row");
        rows
    }

    #[test]
    fn thai_headers_crlf_and_quoting() {
        let text = document(&[
            vec!["หน่วยงาน", "เดือน"],
            vec!["สำนักงานพลังงานจังหวัดยโสธร", "ม.ค. 2565"],
            vec!["a,b", "say \"hi\""],
            vec!["two\nlines", " leading space"],
            vec!["", "x"],
        ]);
        assert_eq!(
            text,
            "\u{feff}หน่วยงาน,เดือน\r\nสำนักงานพลังงานจังหวัดยโสธร,ม.ค. 2565\r\n\"a,b\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",\" leading space\"\r\n,x\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralised() {
        let text = document(&[vec![
            "=HYPERLINK(\"http://x\")",
            "+66 45 712 233",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "a=b",
        ]]);
        assert_eq!(
            read(&text),
            vec![vec![
                "'=HYPERLINK(\"http://x\")",
                "'+66 45 712 233",
                "'-1",
                "'@SUM(A1)",
                "'\tx",
                "'\rx",
                "a=b",
            ]]
        );
    }

    #[test]
    fn cells_as_written_are_quoted_not_prefixed() {
        let mut csv = CsvWriter::new();
        csv.row_as_written(["-12.5", "=1+1, said they", "two\r\nlines"]);
        assert_eq!(
            read(&csv.finish()),
            vec![vec!["-12.5", "=1+1, said they", "two\r\nlines"]]
        );
    }

    #[test]
    fn figures_are_numbers_and_text_is_neutralised() {
        let mut csv = CsvWriter::new();
        csv.row_of([
            CsvCell::Number(-5.25),
            CsvCell::Number(70.0),
            CsvCell::Text("-5"),
            CsvCell::Text("a,b"),
        ]);
        assert_eq!(read(&csv.finish()), vec![vec!["-5.25", "70", "'-5", "a,b"]]);
    }

    proptest! {
        /// Whatever the cells, the document reads back as the same cells (formula-prone ones
        /// with their quote prefix), one row per line.
        #[test]
        fn reads_back_what_it_wrote(rows in proptest::collection::vec(
            proptest::collection::vec("[a-zก-ฮ ,\"\r\n=+@\t-]{0,8}", 1..5), 0..5)
        ) {
            let mut csv = CsvWriter::new();
            for row in &rows {
                csv.row(row);
            }
            let expected: Vec<Vec<String>> = rows
                .iter()
                .map(|row| row.iter().map(|cell| {
                    if formula_prone(cell) { format!("'{cell}") } else { cell.clone() }
                }).collect())
                .collect();
            prop_assert_eq!(read(&csv.finish()), expected);
        }
    }
}
