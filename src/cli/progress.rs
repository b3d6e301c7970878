//! What `import` and `generate` show while they work, on standard error: on a terminal a bar
//! (`import`: bytes of the file read, so the ETA holds for rows of any length, rows and rows/s
//! beside it; `generate`: places of reports done, reports and reports/s beside it) and a
//! spinner for each phase; elsewhere (a log, a pipe, CI) plain lines, one every 10,000 rows
//! and one at each phase. Each phase leaves one line behind in both forms.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Rows between two plain progress lines.
const PLAIN_EVERY: usize = 10_000;

pub struct Progress {
    /// The command the plain lines start with (`import: …`).
    command: &'static str,
    /// What the rows are called in the bar and the lines (`rows`, `reports`).
    unit: &'static str,
    /// What happened to them, in the plain lines (`read`, `written`).
    verb: &'static str,
    /// The whole the bar fills: the file's size in bytes, or a count (0 when unknown).
    size: u64,
    started: Instant,
    phase_started: Instant,
    /// The bar or spinner on a terminal; None when plain.
    bar: Option<ProgressBar>,
    terminal: bool,
    next_line: usize,
}

impl Progress {
    /// Starts reading a file of `size` bytes: a bar on a terminal, else a first plain line.
    pub fn start(size: u64, what: &str) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = terminal.then(|| {
            let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
            bar.set_style(style(
                "reading [{wide_bar}] {percent:>3}%  {msg}  ETA {eta}",
            ));
            bar.set_message("0 rows");
            bar
        });
        if !terminal {
            eprintln!("import: reading {what} ({})", bytes(size));
        }
        let now = Instant::now();
        Self {
            command: "import",
            unit: "rows",
            verb: "read",
            size,
            started: now,
            phase_started: now,
            bar,
            terminal,
            next_line: PLAIN_EVERY,
        }
    }

    /// Shows nothing yet: `phase` starts a spinner, `count` a bar. The plain lines start with
    /// `command`; the bar counts `unit`s, `verb` in the plain lines (`reports`, `written`).
    pub fn quiet(command: &'static str, (unit, verb): (&'static str, &'static str)) -> Self {
        let now = Instant::now();
        Self {
            command,
            unit,
            verb,
            size: 0,
            started: now,
            phase_started: now,
            bar: None,
            terminal: std::io::stderr().is_terminal(),
            next_line: PLAIN_EVERY,
        }
    }

    /// Starts a phase with a bar of `total` steps (`advance` moves it, `finish` ends it);
    /// off a terminal, a first line saying `what`.
    pub fn count(&mut self, total: u64, what: &str) {
        let unit = self.unit;
        self.size = total;
        self.started = Instant::now();
        self.phase_started = self.started;
        self.next_line = PLAIN_EVERY;
        if self.terminal {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(style("[{wide_bar}] {percent:>3}%  {msg}  ETA {eta}"));
            bar.set_message(format!("0 {unit}"));
            self.bar = Some(bar);
        } else {
            eprintln!("{}: {what}", self.command);
        }
    }

    /// `rows` read so far, `read` bytes of the file consumed.
    pub fn reading(&mut self, rows: usize, read: u64) {
        self.advance(rows, read);
    }

    /// `rows` done so far, `position` of the bar's whole reached.
    pub fn advance(&mut self, rows: usize, position: u64) {
        let rate = per_second(rows, self.started.elapsed());
        let unit = self.unit;
        match &self.bar {
            Some(bar) => {
                bar.set_position(position.min(self.size));
                bar.set_message(format!("{rows} {unit}, {rate} {unit}/s"));
            }
            None if rows >= self.next_line => {
                self.next_line = rows - rows % PLAIN_EVERY + PLAIN_EVERY;
                let elapsed = self.started.elapsed().as_secs_f64();
                let done = position.min(self.size) as f64 / self.size.max(1) as f64;
                let left = if done > 0.0 {
                    elapsed * (1.0 - done) / done
                } else {
                    0.0
                };
                eprintln!(
                    "{}: {rows} {unit} {} ({:.0} %), {rate} {unit}/s, about {left:.1} s left",
                    self.command,
                    self.verb,
                    done * 100.0
                );
            }
            None => {}
        }
    }

    /// Ends the current phase with its line (the bar or spinner gives way to it).
    pub fn finish(&mut self, line: &str) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        eprintln!(
            "{}{line} in {:.1} s",
            self.prefix(),
            seconds(self.phase_started)
        );
    }

    /// Ends the reading phase: how many rows, how fast.
    pub fn finish_reading(&mut self, rows: usize) {
        let rate = per_second(rows, self.phase_started.elapsed());
        self.finish(&format!("read {rows} rows ({rate} rows/s)"));
    }

    /// Starts a phase: a spinner on a terminal, a plain line elsewhere.
    pub fn phase(&mut self, text: String) {
        self.phase_started = Instant::now();
        if self.terminal {
            let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            spinner.set_style(style("{spinner} {msg} ({elapsed})"));
            spinner.set_message(text);
            spinner.enable_steady_tick(Duration::from_millis(100));
            self.bar = Some(spinner);
        } else {
            eprintln!("{}: {text}", self.command);
        }
    }

    /// Clears whatever is drawn (before an error is printed).
    pub fn abandon(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn prefix(&self) -> String {
        if self.terminal {
            String::new()
        } else {
            format!("{}: ", self.command)
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.abandon();
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

fn per_second(count: usize, elapsed: Duration) -> u64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        (count as f64 / seconds) as u64
    } else {
        0
    }
}

fn seconds(since: Instant) -> f64 {
    since.elapsed().as_secs_f64()
}

fn bytes(size: u64) -> String {
    match size {
        0..1_024 => format!("{size} B"),
        1_024..1_048_576 => format!("{:.1} KiB", size as f64 / 1_024.0),
        _ => format!("{:.1} MiB", size as f64 / 1_048_576.0),
    }
}
