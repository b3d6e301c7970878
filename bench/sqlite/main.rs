//! The SQLite side of `scripts/bench`: the database's own rate (or latency) for the statements
//! captured from one request of the service, run with the SQLite the service is built with
//! (libsqlite3-sys, bundled) and no interpreter in between.
//!
//! Reads a plan on standard input and writes its figures (JSON) on standard output. The plan is
//! a sequence of netstrings (`<length>:<bytes>`, so any SQL or Thai text passes unescaped),
//! written by `scripts/bench.py` (`sqlite_plan`):
//!
//! ```text
//! database, mode ("rate" | "latency"), seconds, threads, min_samples,
//! statement count,
//!   per statement: sql, exec ("1": sent through sqlite3_exec), returns_id (a column, or ""),
//!     parameter count, per parameter: kind, value
//! slot key count, slot count, per slot: per key: kind, value
//! kinds: "n" null, "i" integer, "f" real, "t" text, "s" the slot's value of key number
//! <value>, "r" the id the statement with returns_id gave back
//! → {"transactions": T, "seconds": S, "samples_ms": [...]}
//! ```
//!
//! Each thread opens its own connection as the service does (busy timeout, WAL, `synchronous =
//! NORMAL`, foreign keys; built, as the service is, with the flags of `.cargo/config.toml`:
//! the query planner stability guarantee) and runs the statements as one transaction, again
//! and again: a
//! statement the service sent through `sqlite3_exec` (transaction control) goes the same way;
//! the others are prepared once per connection, as diesel caches them, bound, stepped through
//! every row with every column read, and reset. With slots (creating reports), each thread
//! takes every N-th slot once; without, each runs for `seconds` (and at least `min_samples`
//! transactions). Only libsqlite3-sys: no other crate to build.

use std::ffi::{c_char, c_int, CStr, CString};
use std::io::Read;
use std::ptr;
use std::time::{Duration, Instant};

use libsqlite3_sys as ffi;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// What one thread did: transactions, how long, and each one's milliseconds (latency mode).
type Run = (usize, Duration, Vec<f64>);

struct Plan {
    database: String,
    latency: bool,
    seconds: f64,
    threads: usize,
    min_samples: usize,
    statements: Vec<Statement>,
    /// Per slot, its values by key number.
    slots: Option<Vec<Vec<Value>>>,
}

struct Statement {
    sql: String,
    exec: bool,
    params: Vec<Param>,
    returns_id: Option<c_int>,
}

#[derive(Clone, Debug)]
enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
}

enum Param {
    Value(Value),
    Slot(usize),
    Returned,
}

/// The plan's netstrings, in order.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn field(&mut self) -> Result<String, Error> {
        let colon = self
            .bytes
            .iter()
            .position(|&b| b == b':')
            .ok_or("the plan ends early")?;
        let length: usize = std::str::from_utf8(&self.bytes[..colon])?.parse()?;
        let end = colon + 1 + length;
        let text = std::str::from_utf8(self.bytes.get(colon + 1..end).ok_or("a short field")?)?;
        self.bytes = &self.bytes[end..];
        Ok(text.to_owned())
    }

    fn number<T: std::str::FromStr>(&mut self) -> Result<T, Error>
    where
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        Ok(self.field()?.parse()?)
    }

    fn param(&mut self) -> Result<Param, Error> {
        let kind = self.field()?;
        let value = self.field()?;
        Ok(match kind.as_str() {
            "n" => Param::Value(Value::Null),
            "i" => Param::Value(Value::Integer(value.parse()?)),
            "f" => Param::Value(Value::Real(value.parse()?)),
            "t" => Param::Value(Value::Text(value)),
            "s" => Param::Slot(value.parse()?),
            "r" => Param::Returned,
            other => return Err(format!("unknown kind {other}").into()),
        })
    }

    fn value(&mut self) -> Result<Value, Error> {
        match self.param()? {
            Param::Value(value) => Ok(value),
            _ => Err("a slot holds values only".into()),
        }
    }

    fn plan(&mut self) -> Result<Plan, Error> {
        let database = self.field()?;
        let latency = self.field()? == "latency";
        let seconds = self.number()?;
        let threads = self.number::<usize>()?.max(1);
        let min_samples = self.number()?;
        let count: usize = self.number()?;
        let mut statements = Vec::with_capacity(count);
        for _ in 0..count {
            let sql = self.field()?;
            let exec = self.field()? == "1";
            let returns_id = match self.field()?.as_str() {
                "" => None,
                column => Some(column.parse()?),
            };
            let params = (0..self.number::<usize>()?)
                .map(|_| self.param())
                .collect::<Result<_, _>>()?;
            statements.push(Statement {
                sql,
                exec,
                params,
                returns_id,
            });
        }
        let keys: usize = self.number()?;
        let slot_count: usize = self.number()?;
        let slots = if keys == 0 {
            None
        } else {
            let mut slots = Vec::with_capacity(slot_count);
            for _ in 0..slot_count {
                slots.push((0..keys).map(|_| self.value()).collect::<Result<_, _>>()?);
            }
            Some(slots)
        };
        Ok(Plan {
            database,
            latency,
            seconds,
            threads,
            min_samples,
            statements,
            slots,
        })
    }
}

struct Connection {
    db: *mut ffi::sqlite3,
}

impl Connection {
    fn open(path: &str) -> Result<Self, Error> {
        let path = CString::new(path)?;
        let mut db = ptr::null_mut();
        let flags = ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_NOMUTEX;
        // SAFETY: a valid C string and out-pointer; the handle is closed in Drop.
        let rc = unsafe { ffi::sqlite3_open_v2(path.as_ptr(), &mut db, flags, ptr::null()) };
        let conn = Self { db };
        conn.check(rc)?;
        for pragma in [
            "PRAGMA busy_timeout = 5000",
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA foreign_keys = ON",
        ] {
            conn.exec(&CString::new(pragma)?)?;
        }
        Ok(conn)
    }

    fn check(&self, rc: c_int) -> Result<(), Error> {
        if rc == ffi::SQLITE_OK || rc == ffi::SQLITE_ROW || rc == ffi::SQLITE_DONE {
            return Ok(());
        }
        // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by the connection.
        let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.db)) };
        Err(format!("SQLite error {rc}: {}", message.to_string_lossy()).into())
    }

    fn exec(&self, sql: &CStr) -> Result<(), Error> {
        // SAFETY: a valid connection and C string; no callback.
        let rc = unsafe {
            ffi::sqlite3_exec(
                self.db,
                sql.as_ptr(),
                None,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        self.check(rc)
    }

    fn prepare(&self, sql: &CStr) -> Result<*mut ffi::sqlite3_stmt, Error> {
        let mut stmt = ptr::null_mut();
        // SAFETY: a valid connection and C string; the statement is finalized in Drop.
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                self.db,
                sql.as_ptr(),
                -1,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut stmt,
                ptr::null_mut(),
            )
        };
        self.check(rc)?;
        Ok(stmt)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // SAFETY: the handle came from sqlite3_open_v2; statements are finalized before.
        unsafe { ffi::sqlite3_close(self.db) };
    }
}

/// One statement on one connection: prepared once, or run through sqlite3_exec every time.
struct Prepared<'a> {
    statement: &'a Statement,
    sql: CString,
    stmt: *mut ffi::sqlite3_stmt,
}

impl Drop for Prepared<'_> {
    fn drop(&mut self) {
        if !self.stmt.is_null() {
            // SAFETY: the statement came from sqlite3_prepare_v3 on a still open connection.
            unsafe { ffi::sqlite3_finalize(self.stmt) };
        }
    }
}

fn bind(
    conn: &Connection,
    stmt: *mut ffi::sqlite3_stmt,
    index: c_int,
    value: &Value,
) -> Result<(), Error> {
    // SAFETY: a prepared statement and an index within its parameters; SQLITE_TRANSIENT
    // makes SQLite copy text before this function returns.
    let rc = unsafe {
        match value {
            Value::Null => ffi::sqlite3_bind_null(stmt, index),
            Value::Integer(i) => ffi::sqlite3_bind_int64(stmt, index, *i),
            Value::Real(f) => ffi::sqlite3_bind_double(stmt, index, *f),
            Value::Text(s) => ffi::sqlite3_bind_text(
                stmt,
                index,
                s.as_ptr() as *const c_char,
                c_int::try_from(s.len())?,
                ffi::SQLITE_TRANSIENT(),
            ),
        }
    };
    conn.check(rc)
}

/// One transaction: every statement in order. Returns nothing; fails on any SQLite error.
fn transaction(
    conn: &Connection,
    prepared: &[Prepared<'_>],
    slot: Option<&[Value]>,
) -> Result<(), Error> {
    let mut returned = Value::Null;
    for p in prepared {
        if p.statement.exec {
            conn.exec(&p.sql)?;
            continue;
        }
        for (i, param) in p.statement.params.iter().enumerate() {
            let value = match param {
                Param::Value(value) => value,
                Param::Slot(key) => slot
                    .and_then(|s| s.get(*key))
                    .ok_or_else(|| format!("no slot value {key}"))?,
                Param::Returned => &returned,
            };
            bind(conn, p.stmt, c_int::try_from(i + 1)?, value)?;
        }
        loop {
            // SAFETY: a prepared statement with every parameter bound.
            let rc = unsafe { ffi::sqlite3_step(p.stmt) };
            if rc == ffi::SQLITE_ROW {
                // SAFETY: the statement has a row; every column index is below the count.
                unsafe {
                    for column in 0..ffi::sqlite3_column_count(p.stmt) {
                        match ffi::sqlite3_column_type(p.stmt, column) {
                            ffi::SQLITE_TEXT | ffi::SQLITE_BLOB => {
                                ffi::sqlite3_column_bytes(p.stmt, column);
                            }
                            ffi::SQLITE_FLOAT => {
                                ffi::sqlite3_column_double(p.stmt, column);
                            }
                            _ => {
                                ffi::sqlite3_column_int64(p.stmt, column);
                            }
                        }
                    }
                    if let Some(column) = p.statement.returns_id {
                        returned = Value::Integer(ffi::sqlite3_column_int64(p.stmt, column));
                    }
                }
                continue;
            }
            // SAFETY: resets a statement of this connection.
            unsafe { ffi::sqlite3_reset(p.stmt) };
            conn.check(rc)?;
            break;
        }
    }
    Ok(())
}

fn worker(plan: &Plan, index: usize, start: Instant) -> Result<Run, Error> {
    let conn = Connection::open(&plan.database)?;
    let mut prepared = Vec::with_capacity(plan.statements.len());
    for statement in &plan.statements {
        let sql = CString::new(statement.sql.as_str())?;
        let stmt = if statement.exec {
            ptr::null_mut()
        } else {
            conn.prepare(&sql)?
        };
        prepared.push(Prepared {
            statement,
            sql,
            stmt,
        });
    }
    let latency = plan.latency;
    let mut samples = Vec::new();
    let mut count = 0;
    if let Some(wait) = start.checked_duration_since(Instant::now()) {
        std::thread::sleep(wait);
    }
    let began = Instant::now();
    match &plan.slots {
        Some(slots) => {
            for slot in slots.iter().skip(index).step_by(plan.threads) {
                let t = Instant::now();
                transaction(&conn, &prepared, Some(slot.as_slice()))?;
                if latency {
                    samples.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                count += 1;
            }
        }
        None => {
            let deadline = began + Duration::from_secs_f64(plan.seconds);
            loop {
                let t = Instant::now();
                transaction(&conn, &prepared, None)?;
                if latency {
                    samples.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                count += 1;
                if t >= deadline && count >= plan.min_samples {
                    break;
                }
            }
        }
    }
    let elapsed = began.elapsed();
    drop(prepared);
    Ok((count, elapsed, samples))
}

fn main() -> Result<(), Error> {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input)?;
    let plan = Reader { bytes: &input }.plan()?;
    // Every thread starts at the same instant, after its connection and statements are ready.
    let start = Instant::now() + Duration::from_millis(500);
    let results: Vec<Result<Run, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..plan.threads.max(1))
            .map(|index| {
                let plan = &plan;
                scope.spawn(move || worker(plan, index, start))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a thread panicked".into())))
            .collect()
    });
    let mut transactions = 0;
    let mut seconds: f64 = 0.0;
    let mut samples = Vec::new();
    for result in results {
        let (count, elapsed, own) = result?;
        transactions += count;
        seconds = seconds.max(elapsed.as_secs_f64());
        samples.extend(own.iter().map(|ms| format!("{ms:.4}")));
    }
    // SAFETY: sqlite3_libversion returns a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(ffi::sqlite3_libversion()) };
    println!(
        "{{\"sqlite_version\": \"{}\", \"transactions\": {transactions}, \"seconds\": {seconds}, \"samples_ms\": [{}]}}",
        version.to_string_lossy(),
        samples.join(", ")
    );
    Ok(())
}
