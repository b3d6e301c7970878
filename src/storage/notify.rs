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
//!   change commits, and a listener thread per instance moves the epoch when it hears it.
//!
//! A listener that hears nothing may be deaf (a firewall that silently dropped an idle
//! connection, a transaction-mode pooler that never delivers): so it also listens on a channel
//! of its own and pings itself every `PING_EVERY`; caching is allowed only until `LEASE` after
//! the last ping it heard. Deaf, hung, disconnected or dead, the listener stops renewing, and
//! within `LEASE` callers are read from the database again (`current` is None).
//!
//! SQLite runs as one instance on one server and its caller query never leaves the process:
//! nothing is cached there, so there is nothing to tell.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{LazyLock, Weak};
use std::time::{Duration, Instant};

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

/// How often the listener pings itself, and how long after the last ping it heard caching is
/// still allowed: a change can go unheard for at most `LEASE`, whatever happens to the listener.
const PING_EVERY: Duration = Duration::from_millis(500);
const LEASE: Duration = Duration::from_secs(2);

/// Milliseconds are counted from here (an `Instant` cannot live in an atomic).
static EPOCH_CLOCK: LazyLock<Instant> = LazyLock::new(Instant::now);

fn clock_ms() -> u64 {
    u64::try_from(EPOCH_CLOCK.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A number that moves whenever the caller facts may have changed; a cached caller is good
/// only for the epoch it was read in.
#[derive(Debug, Default)]
pub struct CallerFactsEpoch {
    epoch: AtomicU64,
    listening: AtomicBool,
    /// `clock_ms` until which the listener is known to hear (its last ping heard + `LEASE`).
    heard_until: AtomicU64,
}

impl CallerFactsEpoch {
    /// The current epoch, or None when changes by others could go unheard (SQLite, the
    /// listener not connected, or not heard from within its lease): then callers are read from
    /// the database every time.
    pub fn current(&self) -> Option<u64> {
        // The flags first: an epoch read after they were seen set belongs to a heard period.
        let heard = self.listening.load(Ordering::Acquire)
            && clock_ms() < self.heard_until.load(Ordering::Acquire);
        heard.then(|| self.epoch.load(Ordering::Acquire))
    }

    fn heard_ping(&self) {
        let until = clock_ms().saturating_add(u64::try_from(LEASE.as_millis()).unwrap_or(0));
        self.heard_until.store(until, Ordering::Release);
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
                // A channel only this listener hears, for its pings.
                let own = format!("kpi_listener_{}", uuid::Uuid::new_v4().simple());
                let connected = PgConnection::establish(&url)
                    .map_err(|e| e.to_string())
                    .and_then(|mut conn| {
                        conn.batch_execute(&format!(
                            "LISTEN {CALLER_FACTS_CHANNEL}; LISTEN {own}"
                        ))
                        .map(|()| conn)
                        .map_err(|e| e.to_string())
                    });
                match connected {
                    Ok(conn) => {
                        if let Some(error) = listen(conn, &own, &epoch) {
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

/// Moves the epoch at every change notification and renews the lease at every ping heard on
/// `own`, until the connection fails (its error) or the instance is gone (None).
fn listen(mut conn: PgConnection, own: &str, epoch: &Weak<CallerFactsEpoch>) -> Option<String> {
    let ping = format!("NOTIFY {own}");
    let mut last_ping: Option<Instant> = None;
    match epoch.upgrade() {
        Some(epoch) => epoch.set_listening(true),
        None => return None,
    }
    let failure = loop {
        if last_ping.is_none_or(|at| at.elapsed() >= PING_EVERY) {
            if let Err(error) = conn.batch_execute(&ping) {
                break error.to_string();
            }
            last_ping = Some(Instant::now());
        }
        let mut changed = false;
        let mut pinged = false;
        let mut failure = None;
        for notification in conn.notifications_iter() {
            match notification {
                Ok(heard) if heard.channel == own => pinged = true,
                Ok(_) => changed = true,
                Err(error) => {
                    failure = Some(error.to_string());
                    break;
                }
            }
        }
        // The instance is gone: None ends the thread.
        let epoch = epoch.upgrade()?;
        if changed {
            epoch.changed();
        }
        if pinged {
            epoch.heard_ping();
        }
        if let Some(failure) = failure {
            break failure;
        }
        drop(epoch);
        std::thread::sleep(LISTEN_POLL);
    };
    if let Some(epoch) = epoch.upgrade() {
        epoch.set_listening(false);
    }
    Some(failure)
}
