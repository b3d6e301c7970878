//! Callers' facts kept per instance, so that a request by a known caller spends no round trip
//! on who it is. Good only for the epoch they were read in (`storage::notify`): any change of an
//! account or an organization, on any instance, moves the epoch and every entry goes stale.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::Result;
use crate::storage::notify::CallerFactsEpoch;
use crate::storage::users::{self, CallerFacts};
use crate::storage::DbConnection;

/// Entries kept at most: past it the cache starts again empty. Every entry is a validly signed
/// token's (subject, organization), so this bounds what many distinct callers can make one
/// instance hold; a province's callers fit many times over.
const MAX_ENTRIES: usize = 10_000;

/// A token's subject and `org` claim: the caller facts depend on nothing else.
type Key = (String, Option<String>);

pub struct CallerCache {
    epoch: Arc<CallerFactsEpoch>,
    entries: Mutex<HashMap<Key, (u64, CallerFacts)>>,
}

impl CallerCache {
    pub fn new(epoch: Arc<CallerFactsEpoch>) -> Self {
        Self {
            epoch,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The caller facts of `subject` (with its `org` claim): from memory when they were read
    /// in the current epoch, else from the database (and kept, unless the epoch moved while
    /// they were read: then they may be older than the change).
    pub fn facts(
        &self,
        conn: &mut DbConnection,
        subject: &str,
        organization_code: Option<&str>,
    ) -> Result<CallerFacts> {
        let Some(epoch) = self.epoch.current() else {
            return users::caller_facts(conn, subject, organization_code);
        };
        let key = (subject.to_owned(), organization_code.map(str::to_owned));
        if let Some((read_in, facts)) = self.lock().get(&key) {
            if *read_in == epoch {
                return Ok(facts.clone());
            }
        }
        let facts = users::caller_facts(conn, subject, organization_code)?;
        if self.epoch.current() == Some(epoch) {
            let mut entries = self.lock();
            if entries.len() >= MAX_ENTRIES {
                // Entries of past epochs first; then, if the current one alone fills it, all.
                entries.retain(|_, (read_in, _)| *read_in == epoch);
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(key, (epoch, facts.clone()));
        }
        Ok(facts)
    }

    /// Entries are plain data, whole after any panic: a poisoned lock is still usable.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, (u64, CallerFacts)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
