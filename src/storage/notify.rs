//! Telling every instance that the facts callers are resolved from (accounts and
//! organizations: `users::caller_facts`) have changed, so an instance may keep callers in memory
//! (`auth::CallerCache`) and still refuse a disabled account at its next request.
//!
//! Two paths, one signal, `CallerFactsEpoch::changed`:
//! - this instance's own change: the storage functions that write accounts or organizations
//!   call `caller_facts_changed`; `Database::run` sees it after the work (committed or not)
//!   and moves the epoch before the response leaves;
//! - anyone else's (another instance, `psql`, a migration): on PostgreSQL, triggers on `users`
//!   and `organizations` (migration `caller_facts_notify`) `NOTIFY kpi_caller_facts` when the
//!   change commits, and a listener thread per instance moves the epoch when it hears it. While
//!   the listener is not connected, nothing is cached (`current` is None).
//!
//! SQLite runs as one instance on one server and its caller query never leaves the process:
//! nothing is cached there, so there is nothing to tell.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Weak;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// The PostgreSQL channel the triggers notify on.
pub const CALLER_FACTS_CHANNEL: &str = "kpi_caller_facts";

/// How often the listener looks for a notification. diesel hands out notifications without
/// blocking (and hides the socket to wait on), so this bounds how late another instance hears
/// of a change: a disable reaches every instance within a few milliseconds of its commit.
const LISTEN_POLL: Duration = Duration::from_millis(1);

/// Waited between attempts to (re)connect the listener; nothing is cached meanwhile.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// A number that moves whenever the caller facts may have changed; a cached caller is good
/// only for the epoch it was read in.
#[derive(Debug, Default)]
pub struct CallerFactsEpoch {
    epoch: AtomicU64,
    listening: AtomicBool,
}

impl CallerFactsEpoch {
    /// The current epoch, or None when changes by others could go unheard (SQLite, or the
    /// listener not connected): then callers are read from the database every time.
    pub fn current(&self) -> Option<u64> {
        // The flag first: an epoch read after it was seen set belongs to a listening period.
        if self.listening.load(Ordering::Acquire) {
            Some(self.epoch.load(Ordering::Acquire))
        } else {
            None
        }
    }

    /// Every caller cached so far is stale.
    pub fn changed(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    fn set_listening(&self, listening: bool) {
        // Either way, what was cached before may have missed a change.
        self.changed();
        self.listening.store(listening, Ordering::Release);
    }
}

thread_local! {
    static LOCAL_CHANGE: Cell<bool> = const { Cell::new(false) };
}

/// Called by every storage function that writes an account or an organization.
pub fn caller_facts_changed() {
    LOCAL_CHANGE.with(|changed| changed.set(true));
}

/// Whether this thread changed caller facts since the last call (and forgets it).
pub(super) fn take_local_caller_facts_change() -> bool {
    LOCAL_CHANGE.with(|changed| changed.replace(false))
}

/// Starts the listener thread; it ends when the epoch is dropped (the instance's state).
pub(super) fn listen_for_caller_facts(
    url: String,
    epoch: Weak<CallerFactsEpoch>,
) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("caller-facts-listener".into())
        .spawn(move || {
            while epoch.strong_count() > 0 {
                match PgConnection::establish(&url).map_err(|e| e.to_string()).and_then(|mut conn| {
                    conn.batch_execute(&format!("LISTEN {CALLER_FACTS_CHANNEL}"))
                        .map(|()| conn)
                        .map_err(|e| e.to_string())
                }) {
                    Ok(conn) => {
                        let lost = listen(conn, &epoch);
                        if let Some(error) = lost {
                            tracing::warn!(%error, "the caller-facts listener lost its connection; callers are read from the database until it is back");
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "the caller-facts listener cannot connect; callers are read from the database until it can");
                    }
                }
                std::thread::sleep(RECONNECT_AFTER);
            }
        })?;
    Ok(())
}

/// Moves the epoch at every notification until the connection fails (its error) or the
/// instance is gone (None).
fn listen(mut conn: PgConnection, epoch: &Weak<CallerFactsEpoch>) -> Option<String> {
    match epoch.upgrade() {
        Some(epoch) => epoch.set_listening(true),
        None => return None,
    }
    loop {
        let mut heard = false;
        let mut failure = None;
        for notification in conn.notifications_iter() {
            match notification {
                Ok(_) => heard = true,
                Err(error) => {
                    failure = Some(error.to_string());
                    break;
                }
            }
        }
        // The instance is gone: None ends the thread.
        let epoch = epoch.upgrade()?;
        if heard {
            epoch.changed();
        }
        if failure.is_some() {
            epoch.set_listening(false);
            return failure;
        }
        drop(epoch);
        std::thread::sleep(LISTEN_POLL);
    }
}
