//! `import FILE.csv --evaluation ID`: the batch intake of `POST /submissions/batch` with a CSV
//! body (docs/DOMAIN.md, "Batch intake"), straight into the database, as the system account
//! `import` with an admin's rights (so `submitted_at` may be backfilled). The file is read
//! row by row (`intake::csv`); the evaluation is checked and the items classified and written
//! in one write transaction (`storage::batch`). Rejected rows go to `FILE.rejected.csv` as
//! they were written, with a last `error` column that the reader ignores: fixed, that file is
//! imported as it is.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::progress::Progress;
use crate::config::Config;
use crate::domain::batch::Lang;
use crate::error::{Error, FieldError};
use crate::http::csv::CsvWriter;
use crate::intake::csv::REASON_COLUMN;
use crate::policy::Caller;
use crate::storage::audit::Actor;
use crate::storage::batch::{self, Batch, BatchReport};
use crate::storage::{self, write_transaction, ConnectionManager};

/// What `--help` says about the exit status.
pub const EXIT_STATUS: &str =
    "Exit status: 0 when every item was applied (with --dry-run: would be); \
3 when some items were rejected (listed in FILE.rejected.csv) and the others applied; \
1 when nothing was applied: the evaluation or the file refused, an --atomic import with a \
rejected item, or an error; 2 for a usage error.";

/// Some items were rejected, the others applied (2 is clap's usage error).
const PARTLY_APPLIED: u8 = 3;

/// Rejected rows printed for a person; the rest are in the rejected file.
const SHOWN: usize = 20;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file: a header row naming the item fields (indicator_code, organization_code,
    /// period required; value, narrative, status, submitted_at optional), then one item a row.
    pub file: PathBuf,
    /// The evaluation the figures go into (its id; it must be active).
    #[arg(long, value_name = "ID")]
    pub evaluation: i64,
    /// Apply nothing when any item is rejected.
    #[arg(long)]
    pub atomic: bool,
    /// Check every item and report, writing nothing (the rejected file is still written).
    #[arg(long)]
    pub dry_run: bool,
    /// The language of the reasons (default: Thai when LC_ALL, LC_MESSAGES or LANG is a Thai
    /// locale such as th_TH.UTF-8, else English).
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
    /// Print the report as the API's JSON ({created, updated, unchanged, rejected, errors}).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    Th,
    En,
}

impl From<LangArg> for Lang {
    fn from(lang: LangArg) -> Self {
        match lang {
            LangArg::Th => Lang::Thai,
            LangArg::En => Lang::English,
        }
    }
}

/// The language of the locale: the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set.
pub fn locale_lang(lookup: impl Fn(&str) -> Option<String>) -> Lang {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .filter_map(lookup)
        .find(|value| !value.is_empty())
        .map_or(Lang::English, |value| Lang::from_preference(&value))
}

/// What became of the batch as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Applied,
    DryRun,
    /// Atomic with a rejected item: nothing applied.
    Refused,
}

pub fn run(config: &Config, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let lang = args
        .lang
        .map_or_else(|| locale_lang(|name| std::env::var(name).ok()), Lang::from);
    let file =
        File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or_default();
    storage::run_migrations(&config.database_url)?;
    let mut conn = ConnectionManager::new(config.database_url.clone())
        .establish()
        .context("connecting to the database")?;
    let caller = Caller::system("import");
    let actor = Actor::system("import");
    // As the API does before reading a body: a wrong or closed evaluation is refused before
    // a large file is read.
    batch::in_view(&mut conn, &caller, args.evaluation).map_err(refusal)?;

    let mut progress = Progress::start(size, &args.file.display().to_string());
    let consumed = Rc::new(Cell::new(0));
    let reader = Counted {
        inner: BufReader::new(file),
        consumed: consumed.clone(),
    };
    let items =
        match crate::intake::csv::read(reader, |rows| progress.reading(rows, consumed.get())) {
            Ok(items) => items,
            Err(error) => {
                progress.abandon();
                return Err(refusal(error));
            }
        };
    let count = items.len();
    progress.finish_reading(count);

    progress.phase(if args.dry_run {
        format!("checking {count} items (dry run: nothing is written)")
    } else {
        format!("checking and writing {count} items")
    });
    let mut refused = None;
    let outcome = write_transaction(&mut conn, |conn| {
        let evaluation = batch::target(conn, &caller, args.evaluation)?;
        let request = Batch {
            atomic: args.atomic,
            dry_run: args.dry_run,
            items,
        };
        let report = batch::intake(
            conn,
            &caller,
            &actor,
            &evaluation,
            request,
            lang,
            storage::now(),
        )?;
        if args.atomic && report.rejected > 0 {
            let error = Error::BatchRejected {
                rejected: report.rejected,
                items: count,
                errors: Vec::new(),
            };
            refused = Some(report);
            // Rolled back: an atomic batch with a rejected item applies nothing.
            return Err(error);
        }
        Ok(report)
    });
    let (report, fate) = match (outcome, refused) {
        (Ok(report), _) if args.dry_run => (report, Fate::DryRun),
        (Ok(report), _) => (report, Fate::Applied),
        (Err(Error::BatchRejected { .. }), Some(report)) => (report, Fate::Refused),
        (Err(error), _) => {
            progress.abandon();
            return Err(refusal(error));
        }
    };
    progress.finish(&match fate {
        Fate::Applied => format!("checked and wrote {count} items"),
        Fate::DryRun => format!("checked {count} items, wrote nothing"),
        Fate::Refused => format!("checked {count} items, wrote nothing (atomic)"),
    });

    let rejected_path = rejected_path(&args.file);
    if report.rejected > 0 {
        progress.phase(format!("writing {}", rejected_path.display()));
        let rows = write_rejected(&args.file, &rejected_path, &report.errors)?;
        progress.finish(&format!("wrote {rows} rejected rows"));
    } else {
        // A rejected file of an earlier run would describe rows this run took.
        match std::fs::remove_file(&rejected_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("removing {}", rejected_path.display()))
            }
            _ => {}
        }
    }
    drop(progress);

    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).context("serializing the report")?
        );
    } else {
        print!(
            "{}",
            for_a_person(&args.file, &report, fate, &rejected_path, lang)
        );
    }
    Ok(match (fate, report.rejected) {
        (Fate::Refused, _) => ExitCode::FAILURE,
        (_, 0) => ExitCode::SUCCESS,
        _ => ExitCode::from(PARTLY_APPLIED),
    })
}

/// A refusal of the whole import as one message, with the fields it names.
fn refusal(error: Error) -> anyhow::Error {
    let errors: &[FieldError] = match &error {
        Error::BadRequest { errors, .. }
        | Error::Validation { errors }
        | Error::Conflict { errors, .. } => errors,
        _ => &[],
    };
    let mut message = error.to_string();
    for problem in errors {
        message.push_str(&format!("\n  {}: {}", problem.field, problem.message));
    }
    anyhow::anyhow!(message)
}

/// A reader that counts the bytes it hands on (the bar's position).
struct Counted<R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

/// `data.csv` → `data.rejected.csv`, beside it.
pub fn rejected_path(input: &Path) -> PathBuf {
    let is_csv = input
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("csv"));
    let stem = if is_csv {
        input.file_stem()
    } else {
        input.file_name()
    };
    let mut name = stem.unwrap_or_default().to_os_string();
    name.push(".rejected.csv");
    input.with_file_name(name)
}

/// Reads the input again and writes its rejected rows, cells as they were written, the reason
/// last (`field: message; …`, so the cell never starts like a formula), into `output` with the
/// project's CSV writer (BOM, CRLF). Holds the rejected rows only. Returns how many.
fn write_rejected(input: &Path, output: &Path, errors: &[FieldError]) -> anyhow::Result<usize> {
    let mut reasons: BTreeMap<usize, String> = BTreeMap::new();
    for error in errors {
        let Some(index) = error.index else { continue };
        let reason = reasons.entry(index).or_default();
        if !reason.is_empty() {
            reason.push_str("; ");
        }
        reason.push_str(&format!("{}: {}", error.field, error.message));
    }
    let again = || format!("reading {} again for its rejected rows", input.display());
    let file = File::open(input).with_context(again)?;
    // Read as `intake::csv::read` reads it, so the n-th record is item n.
    let mut csv = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(BufReader::new(file));
    let header = csv.byte_headers().with_context(again)?.clone();
    let names: Vec<String> = header
        .iter()
        .map(|cell| {
            String::from_utf8_lossy(cell)
                .trim_start_matches('\u{feff}')
                .to_owned()
        })
        .collect();
    // A re-imported rejected file has its reason column already: replaced, not repeated.
    let old_reason = names.iter().position(|name| name.trim() == REASON_COLUMN);
    let width = names.len() - usize::from(old_reason.is_some());
    let kept = |position: usize| Some(position) != old_reason;
    let mut out = CsvWriter::new();
    out.row_as_written(
        names
            .iter()
            .enumerate()
            .filter(|(position, _)| kept(*position))
            .map(|(_, name)| name.as_str())
            .chain([REASON_COLUMN]),
    );
    let mut record = ::csv::ByteRecord::new();
    let mut index = 0;
    let mut written = 0;
    while written < reasons.len() && csv.read_byte_record(&mut record).with_context(again)? {
        if let Some(reason) = reasons.get(&index) {
            let mut cells: Vec<Cow<'_, str>> = record
                .iter()
                .enumerate()
                .filter(|(position, _)| kept(*position))
                .map(|(_, cell)| String::from_utf8_lossy(cell))
                .collect();
            if cells.len() < width {
                cells.resize(width, Cow::Borrowed(""));
            }
            cells.push(Cow::Borrowed(reason));
            out.row_as_written(&cells);
            written += 1;
        }
        index += 1;
    }
    if written < reasons.len() {
        anyhow::bail!(
            "{} changed during the import: {} rejected rows are missing from {}",
            input.display(),
            reasons.len() - written,
            output.display()
        );
    }
    std::fs::write(output, out.finish())
        .with_context(|| format!("writing {}", output.display()))?;
    Ok(written)
}

/// The report for a person, in their language.
fn for_a_person(
    file: &Path,
    report: &BatchReport,
    fate: Fate,
    rejected_path: &Path,
    lang: Lang,
) -> String {
    let th = lang == Lang::Thai;
    let items = report.created + report.updated + report.unchanged + report.rejected;
    let file = file.display();
    let mut text = if th {
        format!(
            "{file}: {items} รายการ\n  สร้างใหม่ {}\n  ปรับปรุง {}\n  ไม่เปลี่ยนแปลง {}\n  ไม่รับ {}\n",
            report.created, report.updated, report.unchanged, report.rejected
        )
    } else {
        format!(
            "{file}: {items} items\n  created    {}\n  updated    {}\n  unchanged  {}\n  rejected   {}\n",
            report.created, report.updated, report.unchanged, report.rejected
        )
    };
    if report.rejected > 0 {
        let rejected = rejected_path.display();
        text.push_str(&if th {
            format!("แถวที่ไม่รับพร้อมเหตุผลอยู่ใน {rejected} แก้ไขในไฟล์นั้นแล้วนำเข้าไฟล์นั้นอีกครั้ง:\n")
        } else {
            format!("The rejected rows, with their reasons, are in {rejected}: fix them there and import that file.\n")
        });
        let mut shown = 0;
        let mut last = None;
        for error in &report.errors {
            if last != error.index {
                shown += 1;
                last = error.index;
            }
            if shown > SHOWN {
                break;
            }
            let line = error.line.unwrap_or_default();
            text.push_str(&if th {
                format!("  บรรทัด {line}: {}: {}\n", error.field, error.message)
            } else {
                format!("  line {line}: {}: {}\n", error.field, error.message)
            });
        }
        if report.rejected > SHOWN {
            let more = report.rejected - SHOWN;
            text.push_str(&if th {
                format!("  … และอีก {more} แถวในไฟล์ {rejected}\n")
            } else {
                format!("  … and {more} more rows in {rejected}\n")
            });
        }
    }
    text.push_str(match (fate, th) {
        (Fate::Applied, _) => "",
        (Fate::DryRun, true) => "ทดลองตรวจเท่านั้น (--dry-run): ยังไม่ได้บันทึกข้อมูลใด ๆ\n",
        (Fate::DryRun, false) => "Dry run: nothing was written.\n",
        (Fate::Refused, true) => "นำเข้าแบบทั้งชุด (--atomic) และมีรายการที่ไม่รับ จึงไม่ได้บันทึกรายการใดเลย\n",
        (Fate::Refused, false) => "Atomic import with rejected items: nothing was applied.\n",
    });
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_decides_the_language_unless_told() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        assert_eq!(locale_lang(env(&[("LANG", "th_TH.UTF-8")])), Lang::Thai);
        assert_eq!(
            locale_lang(env(&[("LC_ALL", "en_US.UTF-8"), ("LANG", "th_TH.UTF-8")])),
            Lang::English
        );
        assert_eq!(
            locale_lang(env(&[("LC_ALL", ""), ("LC_MESSAGES", "th"), ("LANG", "C")])),
            Lang::Thai
        );
        assert_eq!(locale_lang(env(&[("LANG", "C.UTF-8")])), Lang::English);
        assert_eq!(locale_lang(env(&[])), Lang::English);
    }

    #[test]
    fn the_rejected_file_sits_beside_the_input() {
        assert_eq!(
            rejected_path(Path::new("/data/ผลงาน.CSV")),
            Path::new("/data/ผลงาน.rejected.csv")
        );
        assert_eq!(
            rejected_path(Path::new("figures")),
            Path::new("figures.rejected.csv")
        );
        assert_eq!(
            rejected_path(Path::new("a/b.rejected.csv")),
            Path::new("a/b.rejected.rejected.csv")
        );
    }
}
