//! The caller of a request, resolved once: handlers hand the verified token to
//! `AppState::read`, `read_one` or `write`, whose closure receives the resolved `Caller` (and,
//! for writes, the audit `Actor`) on the request's one connection.

use std::sync::Arc;

use super::extract::Authenticated;
use super::AppState;
use crate::auth::{resolve_caller, CallerCache};
use crate::error::{Error, Result};
use crate::policy::Caller;
use crate::storage::audit::Actor;
use crate::storage::{statements_on_this_thread, DbConnection};

impl AppState {
    /// One read-only transaction (one snapshot) as the caller: for reads of several statements.
    pub async fn read<T, F>(&self, auth: Authenticated, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Caller) -> Result<T> + Send + 'static,
    {
        let callers = self.callers.clone();
        self.db
            .read(move |conn| {
                let caller = resolve_caller(conn, &callers, &auth.claims)?;
                work(conn, &caller)
            })
            .await
    }

    /// A read whose `work` is ONE statement, which is its own snapshot: no BEGIN, no COMMIT,
    /// so a cached caller's GET is one round trip. `work` running more than one is a bug
    /// (their results could come from different moments): an internal error in debug builds
    /// and tests, an error in the log in release.
    pub async fn read_one<T, F>(&self, auth: Authenticated, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Caller) -> Result<T> + Send + 'static,
    {
        let callers = self.callers.clone();
        self.db
            .run(move |conn| {
                let caller = resolve_caller(conn, &callers, &auth.claims)?;
                let before = statements_on_this_thread();
                let value = work(conn, &caller)?;
                let ran = statements_on_this_thread() - before;
                if ran > 1 {
                    tracing::error!(
                        ran,
                        "a single-statement read ran several statements outside a transaction"
                    );
                    if cfg!(debug_assertions) {
                        return Err(Error::Internal(format!(
                            "a single-statement read ran {ran} statements; use AppState::read"
                        )));
                    }
                }
                Ok(value)
            })
            .await
    }

    /// One write transaction as the caller; every change it makes is signed by the actor.
    pub async fn write<T, F>(&self, auth: Authenticated, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Caller, &Actor) -> Result<T> + Send + 'static,
    {
        let callers = self.callers.clone();
        self.db
            .write(move |conn| in_caller_scope(conn, &callers, auth, work))
            .await
    }
}

/// Resolves the caller inside an open transaction and runs `work` as it (also used by
/// `idempotent::create`, whose transaction records the key beside the work).
pub fn in_caller_scope<T>(
    conn: &mut DbConnection,
    callers: &Arc<CallerCache>,
    auth: Authenticated,
    work: impl FnOnce(&mut DbConnection, &Caller, &Actor) -> Result<T>,
) -> Result<T> {
    let caller = resolve_caller(conn, callers, &auth.claims)?;
    let actor = Actor::of(&caller, Some(auth.request_id.0));
    work(conn, &caller, &actor)
}
