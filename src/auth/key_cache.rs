//! API keys recently found live, so a request with one costs no database round trip (one query
//! per key per [`KEY_CACHE_TTL`] instead of one per request; measured in the TTFT benchmark).
//!
//! Revoking a key or disabling a user through this process's [`super::Accounts`] forgets their
//! entries at once. Done anywhere else (another server on the same PostgreSQL, the `webplus admin`
//! command), it takes effect within the TTL.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use super::Principal;

/// How long a key found live is trusted without asking the database again.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(5);
/// Entries kept at most; past this, expired entries go, and if none had, all do.
const MAX_ENTRIES: usize = 10_000;

/// Principals by key hash. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct KeyCache(Arc<Mutex<HashMap<String, (Principal, Instant)>>>);

impl KeyCache {
    /// The principal of a key hash found live less than the TTL ago.
    pub fn get(&self, key_hash: &str) -> Option<Principal> {
        let entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        entries.get(key_hash).filter(|(_, at)| at.elapsed() < KEY_CACHE_TTL).map(|(p, _)| p.clone())
    }

    pub fn put(&self, key_hash: String, principal: Principal) {
        let mut entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (_, at)| at.elapsed() < KEY_CACHE_TTL);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key_hash, (principal, Instant::now()));
    }

    /// Forgets the entries of one key (`key_id`) or of every key of a user (`key_id` None).
    pub fn forget(&self, user_id: &str, key_id: Option<&str>) {
        let mut entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, (p, _)| p.user_id != user_id || key_id.is_some_and(|k| p.api_key_id.as_deref() != Some(k)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Role;

    fn principal(user: &str, key: &str) -> Principal {
        Principal {
            user_id: user.into(),
            email: format!("{user}@example.com"),
            role: Role::User,
            session_id: None,
            api_key_id: Some(key.into()),
        }
    }

    #[test]
    fn forgetting_a_key_keeps_the_users_other_keys_and_forgetting_a_user_drops_all_of_theirs() {
        let cache = KeyCache::default();
        cache.put("h1".into(), principal("ada", "k1"));
        cache.put("h2".into(), principal("ada", "k2"));
        cache.put("h3".into(), principal("bob", "k3"));
        cache.forget("ada", Some("k1"));
        assert_eq!(cache.get("h1"), None);
        assert_eq!(cache.get("h2"), Some(principal("ada", "k2")));
        cache.forget("ada", None);
        assert_eq!(cache.get("h2"), None);
        assert_eq!(cache.get("h3"), Some(principal("bob", "k3")));
    }

    #[test]
    fn an_entry_older_than_the_ttl_is_not_used() {
        let cache = KeyCache::default();
        let stale = Instant::now().checked_sub(KEY_CACHE_TTL + Duration::from_millis(1));
        let Some(stale) = stale else { return };
        cache.0.lock().unwrap().insert("h".into(), (principal("ada", "k"), stale));
        assert_eq!(cache.get("h"), None);
    }
}
