//! Per-knowledge-base load state shared by concurrent callers (the vector indexes in
//! `indexes.rs`, the keyword indexes in `keywords.rs`): the first use starts the load in a task of
//! its own, so a caller that gives up (a closed connection) does not cancel it, and later callers
//! watch the same load.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

use crate::{Error, Result};

pub(super) struct Slots<P> {
    map: Mutex<HashMap<String, watch::Receiver<P>>>,
}

impl<P> Default for Slots<P> {
    fn default() -> Self {
        Self { map: Mutex::default() }
    }
}

impl<P: Send + Sync + 'static> Slots<P> {
    /// The knowledge base's slot. When it has none, a new one in phase `start`, whose load
    /// `load(sender)` runs in a task of its own.
    pub(super) fn get_or_load<F>(
        &self,
        kb_id: &str,
        start: P,
        load: impl FnOnce(watch::Sender<P>) -> F,
    ) -> watch::Receiver<P>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let mut map = lock(&self.map);
        if let Some(slot) = map.get(kb_id) {
            return slot.clone();
        }
        let (phase, slot) = watch::channel(start);
        map.insert(kb_id.to_owned(), slot.clone());
        tokio::spawn(load(phase));
        slot
    }

    /// Forgets the slot: the next use starts a new load.
    pub(super) fn remove(&self, kb_id: &str) {
        lock(&self.map).remove(kb_id);
    }

    /// Forgets the slot if it is still `slot` (a load that failed, unless it was replaced
    /// meanwhile).
    pub(super) fn remove_if(&self, kb_id: &str, slot: &watch::Receiver<P>) {
        let mut map = lock(&self.map);
        if map.get(kb_id).is_some_and(|s| s.same_channel(slot)) {
            map.remove(kb_id);
        }
    }

    /// What `f` reads from the slot's current phase; None without a slot.
    pub(super) fn read<R>(&self, kb_id: &str, f: impl FnOnce(&P) -> R) -> Option<R> {
        lock(&self.map).get(kb_id).map(|s| f(&s.borrow()))
    }
}

/// A panic while one of these locks was held cannot leave a map half-updated: poisoning is ignored.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `f` on the blocking pool.
pub(super) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(Error::internal)?
}
