//! Folded negotiations, kept per process and keyed by the log's head.
//!
//! A read checks the head in the database on every request and folds the log only when the head
//! differs from the one its cached copy was folded at, so a write made through another process
//! is seen by the next read here. The answers of the reads computed from a folded copy are kept
//! too, under the same head and keyed by viewer and request, so a read repeated at an unchanged
//! head costs two lookups (the token and the head), not a status computed anew.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use parley_core::model::Negotiation;
use parley_store::Store;

use crate::error::ApiError;
use crate::reads::{Head, head_of};

/// The most negotiations kept folded (a server usually holds a handful).
const MAX_CACHED: usize = 64;

/// The most answers kept (all dropped when full: a new head makes them stale anyway).
const MAX_ANSWERS: usize = 4096;

/// Negotiations folded at a head, by id.
#[derive(Debug, Default)]
pub struct FoldCache {
    folded: Mutex<HashMap<String, (Head, Arc<Negotiation>)>>,
    answers: Mutex<HashMap<String, (Head, Arc<String>)>>,
}

impl FoldCache {
    /// The negotiation `id` at its current head (read now), folded once per head.
    pub fn folded(&self, store: &mut dyn Store, id: &str) -> Result<(Arc<Negotiation>, Head), ApiError> {
        let head = head_of(store, id)?;
        if let Some((cached, negotiation)) = self.folded.lock().ok().and_then(|map| map.get(id).cloned()) {
            if cached == head {
                return Ok((negotiation, head));
            }
        }
        let negotiation = Arc::new(store.negotiation(id, Some(head.seq)).map_err(ApiError::store)?);
        if let Ok(mut map) = self.folded.lock() {
            if map.len() >= MAX_CACHED && !map.contains_key(id) {
                map.clear();
            }
            map.insert(id.to_owned(), (head.clone(), negotiation.clone()));
        }
        Ok((negotiation, head))
    }

    /// The answer kept for `key` (negotiation, viewer and request), if computed at `head`.
    pub fn answer(&self, key: &str, head: &Head) -> Option<Arc<String>> {
        let answers = self.answers.lock().ok()?;
        answers.get(key).filter(|(at, _)| at == head).map(|(_, text)| text.clone())
    }

    /// Keeps the answer for `key` computed at `head`.
    pub fn keep(&self, key: String, head: &Head, text: Arc<String>) {
        if let Ok(mut answers) = self.answers.lock() {
            if answers.len() >= MAX_ANSWERS {
                answers.clear();
            }
            answers.insert(key, (head.clone(), text));
        }
    }
}
