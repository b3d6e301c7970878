//! What `import` shows while it works, on standard error: on a terminal a bar (bytes of the
//! file read, so the ETA holds for rows of any length; rows and rows/s beside it) and a spinner
//! for each phase after it; elsewhere (a log, a pipe, CI) plain lines, one every 10,000 rows
//! and one at each phase. Each phase leaves one line behind in both forms.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Rows between two plain progress lines.
const PLAIN_EVERY: usize = 10_000;

pub struct Progress {
    /// The file's size in bytes (0 when unknown).
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
            size,
            started: now,
            phase_started: now,
            bar,
            terminal,
            next_line: PLAIN_EVERY,
        }
    }

    /// `rows` read so far, `read` bytes of the file consumed.
    pub fn reading(&mut self, rows: usize, read: u64) {
        let rate = per_second(rows, self.started.elapsed());
        match &self.bar {
            Some(bar) => {
                bar.set_position(read.min(self.size));
                bar.set_message(format!("{rows} rows, {rate} rows/s"));
            }
            None if rows >= self.next_line => {
                self.next_line = rows - rows % PLAIN_EVERY + PLAIN_EVERY;
                let elapsed = self.started.elapsed().as_secs_f64();
                let done = read.min(self.size) as f64 / self.size.max(1) as f64;
                let left = if done > 0.0 {
                    elapsed * (1.0 - done) / done
                } else {
                    0.0
                };
                eprintln!(
                    "import: {rows} rows read ({:.0} %), {rate} rows/s, about {left:.1} s left",
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
            eprintln!("import: {text}");
        }
    }

    /// Clears whatever is drawn (before an error is printed).
    pub fn abandon(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn prefix(&self) -> &'static str {
        if self.terminal {
            ""
        } else {
            "import: "
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
