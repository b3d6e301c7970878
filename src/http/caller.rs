//! The caller of a request, resolved once: handlers hand the verified token to
//! `AppState::read` or `AppState::write`, whose closure receives the resolved `Caller` (and, for
//! writes, the audit `Actor`) inside the request's one transaction.

use super::extract::Authenticated;
use super::AppState;
use crate::auth::resolve_caller;
use crate::error::Result;
use crate::policy::Caller;
use crate::storage::audit::Actor;
use crate::storage::DbConnection;

impl AppState {
    /// One read-only transaction (one snapshot) as the caller.
    pub async fn read<T, F>(&self, auth: Authenticated, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Caller) -> Result<T> + Send + 'static,
    {
        self.db
            .read(move |conn| {
                let caller = resolve_caller(conn, &auth.claims)?;
                work(conn, &caller)
            })
            .await
    }

    /// One write transaction as the caller; every change it makes is signed by the actor.
    pub async fn write<T, F>(&self, auth: Authenticated, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Caller, &Actor) -> Result<T> + Send + 'static,
    {
        self.db
            .write(move |conn| in_caller_scope(conn, auth, work))
            .await
    }
}

/// Resolves the caller inside an open transaction and runs `work` as it (also used by
/// `idempotent::create`, whose transaction records the key beside the work).
pub fn in_caller_scope<T>(
    conn: &mut DbConnection,
    auth: Authenticated,
    work: impl FnOnce(&mut DbConnection, &Caller, &Actor) -> Result<T>,
) -> Result<T> {
    let caller = resolve_caller(conn, &auth.claims)?;
    let actor = Actor::of(&caller, Some(auth.request_id.0));
    work(conn, &caller, &actor)
}
