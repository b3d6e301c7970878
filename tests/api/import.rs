//! `provincial-kpi import FILE.csv --evaluation ID` (issue 11 items 5 and 6), run as the real
//! binary on a fresh database with the demo evaluation: the report, the rejected file and its
//! re-import, dry runs and atomic imports, Thai reasons, plain progress lines off a terminal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::prelude::*;
use provincial_kpi::config::DatabaseUrl;
use provincial_kpi::storage::schema::{audit_events, submission_events, submissions};
use provincial_kpi::storage::{write_transaction, ConnectionManager, DbConnection};

use crate::support::{self, Engine};

const BIN: &str = env!("CARGO_BIN_EXE_provincial-kpi");

/// A database with the demo organizations and the active demo evaluation (no reports yet), and
/// a folder for the CSV files.
struct Setup {
    engine: Engine,
    url: DatabaseUrl,
    evaluation: i64,
    files: tempfile::TempDir,
    _database: Option<tempfile::TempDir>,
}

fn setup(engine: Engine) -> Option<Setup> {
    let (url, database) = support::fresh_database(engine)?;
    let mut conn = ConnectionManager::new(url.clone())
        .establish()
        .expect("connect");
    let evaluation = write_transaction(&mut conn, |conn| {
        provincial_kpi::demo::seed_organizations_and_accounts(conn)?;
        provincial_kpi::demo::seed_framework(conn)
    })
    .expect("demo evaluation");
    Some(Setup {
        engine,
        url,
        evaluation,
        files: tempfile::tempdir().expect("dir"),
        _database: database,
    })
}

impl Setup {
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.files.path().join(name);
        std::fs::write(&path, text).expect("write the CSV");
        path
    }

    /// Runs `import FILE --evaluation <the demo's>` with `args`, in an English locale unless
    /// `env` says otherwise; standard error is a pipe (not a terminal).
    fn import(&self, file: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(BIN);
        command
            .arg("import")
            .arg(file)
            .args(["--evaluation", &self.evaluation.to_string()])
            .args(args)
            .env("DATABASE_URL", self.database())
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", "C.UTF-8");
        for (name, value) in env {
            command.env(name, value);
        }
        Run(command.output().expect("run import"))
    }

    fn database(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }

    fn conn(&self) -> DbConnection {
        ConnectionManager::new(self.url.clone())
            .establish()
            .expect("connect")
    }

    /// Every report (id, version, status, value, narrative) and the counts of history entries
    /// and audit events: what a dry run or a refused atomic import must leave as it was.
    fn snapshot(&self) -> Snapshot {
        let mut conn = self.conn();
        let reports = submissions::table
            .order(submissions::id)
            .select((
                submissions::id,
                submissions::version,
                submissions::status,
                submissions::value,
                submissions::narrative,
            ))
            .load(&mut conn)
            .expect("reports");
        let history = submission_events::table
            .count()
            .get_result(&mut conn)
            .expect("history");
        let audit = audit_events::table
            .count()
            .get_result(&mut conn)
            .expect("audit");
        (reports, history, audit)
    }

    /// The stored report of E.1/E.2 of YST-PEO for a month: (value, narrative, status,
    /// first submitted at, on time).
    fn report(&self, indicator: &str, period: &str) -> Option<Report> {
        use provincial_kpi::storage::schema::{indicators, organizations};
        let mut conn = self.conn();
        submissions::table
            .inner_join(indicators::table)
            .inner_join(organizations::table)
            .filter(indicators::code.eq(indicator))
            .filter(organizations::code.eq("YST-PEO"))
            .filter(submissions::period.eq(period))
            .select((
                submissions::value,
                submissions::narrative,
                submissions::status,
                submissions::first_submitted_at,
                submissions::on_time,
            ))
            .first(&mut conn)
            .optional()
            .expect("report")
    }
}

type Snapshot = (
    Vec<(i64, i64, String, Option<f64>, Option<String>)>,
    i64,
    i64,
);

type Report = (
    Option<f64>,
    Option<String>,
    String,
    Option<chrono::NaiveDateTime>,
    Option<bool>,
);

struct Run(Output);

impl Run {
    fn code(&self) -> Option<i32> {
        self.0.status.code()
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Asserts the exit code, showing both streams when it differs.
    fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            Some(code),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// Two items created (one backfilled, a negative value, a narrative starting with `=`), three
/// rejected (a bad month, an unknown indicator, a value that is not a number on a row whose
/// quoted narrative spans two lines).
const MIXED: &str = "indicator_code,organization_code,period,value,narrative,submitted_at\r\n\
E.1,YST-PEO,2022-01,1180.5,\"ปิดไฟ, ลดแอร์\",2022-02-01T09:30:00+07:00\r\n\
E.1,YST-PEO,2022-13,1,,\r\n\
E.9,YST-PEO,2022-01,1,,\r\n\
E.2,YST-PEO,2022-01,-12.5,=SUM(A1),\r\n\
E.2,YST-PEO,2022-02,-many,\"=two\r\nlines\",\r\n";

/// The rejected rows of `MIXED`, cells as written (no `'` before `-many` or `=two`), the
/// reasons in a last `error` column.
const MIXED_REJECTED: &str =
    "\u{feff}indicator_code,organization_code,period,value,narrative,submitted_at,error\r\n\
E.1,YST-PEO,2022-13,1,,,\"period: `2022-13` must be a month written YYYY-MM, e.g. 2022-01\"\r\n\
E.9,YST-PEO,2022-01,1,,,indicator_code: no indicator E.9 in this evaluation\r\n\
E.2,YST-PEO,2022-02,-many,\"=two\r\nlines\",,value: `-many` is not a number\r\n";

fn engines() -> impl Iterator<Item = Setup> {
    [Engine::Sqlite, Engine::Postgres]
        .into_iter()
        .filter_map(setup)
}

/// The report of a mixed file, its rejected rows written beside it as they were, and that
/// file, one row fixed, imported again: the fixed row is created, the others rejected again.
#[test]
fn a_mixed_file_is_reported_and_its_rejected_rows_come_back_to_fix() {
    for setup in engines() {
        let engine = setup.engine;
        let file = setup.file("mixed.csv", MIXED);
        let run = setup.import(&file, &[], &[]);
        run.expect(3);
        let report = run.stdout();
        for expected in [
            "mixed.csv: 5 items\n",
            "  created    2\n",
            "  updated    0\n",
            "  unchanged  0\n",
            "  rejected   3\n",
            "mixed.rejected.csv: fix them there and import that file.",
            "  line 3: period: `2022-13` must be a month written YYYY-MM, e.g. 2022-01\n",
            "  line 4: indicator_code: no indicator E.9 in this evaluation\n",
            "  line 6: value: `-many` is not a number\n",
        ] {
            assert!(
                report.contains(expected),
                "{engine:?}: {expected}\n{report}"
            );
        }
        let rejected = setup.files.path().join("mixed.rejected.csv");
        let written = std::fs::read_to_string(&rejected).expect("the rejected file");
        assert_eq!(written, MIXED_REJECTED, "{engine:?}");

        let backfilled = setup.report("E.1", "2022-01").expect("E.1 2022-01");
        assert_eq!(backfilled.0, Some(1180.5));
        assert_eq!(backfilled.1.as_deref(), Some("ปิดไฟ, ลดแอร์"));
        assert_eq!(backfilled.2, "submitted");
        assert_eq!(
            backfilled.3.map(|at| at.to_string()).as_deref(),
            Some("2022-02-01 02:30:00"),
            "{engine:?}: submitted_at backfilled (due 2022-02-03)"
        );
        assert_eq!(backfilled.4, Some(true), "{engine:?}");
        let negative = setup.report("E.2", "2022-01").expect("E.2 2022-01");
        assert_eq!(
            (negative.0, negative.1.as_deref()),
            (Some(-12.5), Some("=SUM(A1)"))
        );
        assert!(setup.report("E.2", "2022-02").is_none());

        // Fixed in the rejected file (a spreadsheet would keep the BOM and the error column).
        std::fs::write(&rejected, written.replace("-many", "7")).expect("fix a row");
        let again = setup.import(&rejected, &[], &[]);
        again.expect(3);
        let report = again.stdout();
        assert!(
            report.contains("  created    1\n") && report.contains("  rejected   2\n"),
            "{engine:?}: {report}"
        );
        let fixed = setup.report("E.2", "2022-02").expect("E.2 2022-02 created");
        assert_eq!(
            (fixed.0, fixed.1.as_deref()),
            (Some(7.0), Some("=two\nlines"))
        );
        let still = std::fs::read_to_string(setup.files.path().join("mixed.rejected.rejected.csv"))
            .expect("the rejected rows of the rejected file");
        assert_eq!(
            still.lines().next(),
            Some("\u{feff}indicator_code,organization_code,period,value,narrative,submitted_at,error"),
            "{engine:?}: one reason column, not two"
        );
        assert_eq!(still.matches("\r\n").count(), 3, "{engine:?}: {still}");

        // The same file again, as the API's JSON: what was taken is unchanged now.
        let json = setup.import(&file, &["--json"], &[]);
        json.expect(3);
        let body: serde_json::Value = serde_json::from_str(&json.stdout()).expect("JSON");
        assert_eq!(
            (
                &body["created"],
                &body["updated"],
                &body["unchanged"],
                &body["rejected"]
            ),
            (
                &serde_json::json!(0),
                &serde_json::json!(0),
                &serde_json::json!(2),
                &serde_json::json!(3)
            ),
            "{engine:?}: {body}"
        );
        assert_eq!(
            body["errors"][0],
            serde_json::json!({"field": "period", "message": "`2022-13` must be a month written YYYY-MM, e.g. 2022-01", "index": 1, "line": 3})
        );
    }
}

/// `--dry-run` and `--atomic` with a rejected item change no report, no history, no audit
/// event; an atomic import of good rows applies them all; a clean run removes the rejected
/// file an earlier run left.
#[test]
fn a_dry_run_and_a_refused_atomic_import_change_nothing() {
    for setup in engines() {
        let engine = setup.engine;
        let file = setup.file("mixed.csv", MIXED);
        let before = setup.snapshot();

        let dry = setup.import(&file, &["--dry-run"], &[]);
        dry.expect(3);
        assert!(
            dry.stdout().contains("  created    2\n")
                && dry.stdout().contains("Dry run: nothing was written."),
            "{engine:?}: {}",
            dry.stdout()
        );
        assert!(setup.files.path().join("mixed.rejected.csv").exists());
        assert_eq!(setup.snapshot(), before, "{engine:?}: dry run");

        let atomic = setup.import(&file, &["--atomic"], &[]);
        atomic.expect(1);
        assert!(
            atomic
                .stdout()
                .contains("Atomic import with rejected items: nothing was applied."),
            "{engine:?}: {}",
            atomic.stdout()
        );
        assert_eq!(setup.snapshot(), before, "{engine:?}: atomic");

        let good = setup.file(
            "mixed.csv",
            "indicator_code,organization_code,period,value\nE.1,YST-PEO,2022-01,1180.5\nE.2,YST-PEO,2022-01,240\n",
        );
        let applied = setup.import(&good, &["--atomic"], &[]);
        applied.expect(0);
        assert!(applied.stdout().contains("  created    2\n"));
        assert!(
            !setup.files.path().join("mixed.rejected.csv").exists(),
            "{engine:?}: the earlier run's rejected file is gone"
        );
        let (reports, history, audit) = setup.snapshot();
        assert_eq!(
            (reports.len(), history, audit),
            (before.0.len() + 2, before.1 + 2, before.2 + 1),
            "{engine:?}: two reports, their history, one audit event"
        );
    }
}

/// `--lang th`, or a Thai locale, gives Thai reasons in the report and the rejected file;
/// `--lang en` wins over the locale.
#[test]
fn thai_reasons_for_the_people_who_fix_the_rows() {
    let Some(setup) = setup(Engine::Sqlite) else {
        return;
    };
    let file = setup.file(
        "th.csv",
        "indicator_code,organization_code,period,value\nE.9,YST-PEO,2022-01,1\n",
    );
    let rejected = setup.files.path().join("th.rejected.csv");
    for (args, env) in [
        (&["--lang", "th"][..], &[][..]),
        (&[][..], &[("LANG", "th_TH.UTF-8")][..]),
        (
            &[][..],
            &[("LC_ALL", "th_TH.UTF-8"), ("LANG", "en_US.UTF-8")][..],
        ),
    ] {
        let run = setup.import(&file, args, env);
        run.expect(3);
        let report = run.stdout();
        assert!(
            report.contains("  ไม่รับ 1\n")
                && report.contains("  บรรทัด 2: indicator_code: ไม่พบตัวชี้วัดรหัส E.9 ในการประเมินนี้\n"),
            "{args:?} {env:?}: {report}"
        );
        let written = std::fs::read_to_string(&rejected).expect("rejected");
        assert!(
            written.ends_with(
                "E.9,YST-PEO,2022-01,1,indicator_code: ไม่พบตัวชี้วัดรหัส E.9 ในการประเมินนี้\r\n"
            ),
            "{written}"
        );
    }
    let english = setup.import(&file, &["--lang", "en"], &[("LANG", "th_TH.UTF-8")]);
    english.expect(3);
    assert!(english
        .stdout()
        .contains("  line 2: indicator_code: no indicator E.9 in this evaluation\n"));
}

/// Off a terminal, progress is plain lines on standard error: one every 10,000 rows and one
/// at each phase, no escape sequences; the report alone is on standard output.
#[test]
fn off_a_terminal_progress_is_plain_lines() {
    let Some(setup) = setup(Engine::Sqlite) else {
        return;
    };
    let mut csv = String::from("indicator_code,organization_code,period,value\n");
    for row in 0..12_000 {
        csv.push_str(&format!("E.1,YST-PEO,2022-01,{row}\n"));
    }
    let file = setup.file("many.csv", &csv);
    let run = setup.import(&file, &["--dry-run"], &[]);
    run.expect(3);
    let progress = run.stderr();
    let lines: Vec<&str> = progress.lines().collect();
    assert!(!progress.contains('\u{1b}'), "{progress}");
    assert!(
        lines.iter().all(|line| line.starts_with("import: ")),
        "{progress}"
    );
    assert!(lines[0].starts_with("import: reading "), "{progress}");
    assert!(
        lines[1].starts_with("import: 10000 rows read ("),
        "{progress}"
    );
    assert!(
        lines[1].contains(" rows/s, about ") && lines[1].ends_with(" s left"),
        "{progress}"
    );
    assert!(
        lines[2].starts_with("import: read 12000 rows ("),
        "{progress}"
    );
    assert_eq!(
        lines[3],
        "import: checking 12000 items (dry run: nothing is written)"
    );
    assert!(
        lines[4].starts_with("import: checked 12000 items, wrote nothing in "),
        "{progress}"
    );
    assert!(
        lines[5].starts_with("import: writing ") && lines[5].ends_with("many.rejected.csv"),
        "{progress}"
    );
    let report = run.stdout();
    assert!(
        report.contains("  created    1\n") && report.contains("  rejected   11999\n"),
        "{report}"
    );
    assert!(report.contains("  … and 11979 more rows in "), "{report}");
}

/// A refused import applies nothing and says why on standard error, exit code 1: an
/// evaluation that does not exist, a header that is not a batch header, a file that is not
/// there.
#[test]
fn a_refused_import_says_why() {
    let Some(setup) = setup(Engine::Sqlite) else {
        return;
    };
    let file = setup.file("mixed.csv", MIXED);
    let before = setup.snapshot();
    let missing = Command::new(BIN)
        .args(["import", "--evaluation", "9999"])
        .arg(&file)
        .env("DATABASE_URL", setup.database())
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("9999"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
    let header = setup.file(
        "header.csv",
        "indicator_code,organization_code,colour\nE.1,YST-PEO,red\n",
    );
    let bad = setup.import(&header, &[], &[]);
    bad.expect(1);
    assert!(
        bad.stderr().contains("header: column 3 is `colour`"),
        "{}",
        bad.stderr()
    );
    let absent = setup.import(&setup.files.path().join("absent.csv"), &[], &[]);
    absent.expect(1);
    assert!(
        absent.stderr().contains("absent.csv"),
        "{}",
        absent.stderr()
    );
    assert_eq!(setup.snapshot(), before);
}
