//! Negotiations recorded in a database.

use parley_store::EventStore;

use crate::ServiceError;

/// Opens a database (a SQLite file path or a `postgres://` URL), creating it when `create` is set.
pub fn open_store(db: &str, create: bool) -> Result<Box<dyn EventStore>, ServiceError> {
    parley_store::open(db, create).map_err(ServiceError::store)
}

/// Opens a database to read it, read-only when it cannot be written (a read-only directory or
/// mount, a full disk): reading never needs write access.
pub fn open_read(db: &str) -> Result<Box<dyn EventStore>, ServiceError> {
    parley_store::open_read(db).map_err(ServiceError::store)
}

/// Picks the negotiation: the one named (which must be there), or the only one the database holds.
pub fn choose(store: &mut dyn EventStore, wanted: Option<&str>) -> Result<String, ServiceError> {
    if let Some(wanted) = wanted {
        if store.head(wanted).map_err(ServiceError::store)?.is_none() {
            return Err(ServiceError::store(store.unknown(wanted)));
        }
        return Ok(wanted.to_owned());
    }
    let held = store.negotiations().map_err(ServiceError::store)?;
    match held.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(ServiceError::BadInput(format!(
            "{} holds no negotiation yet (run `parley import FILE --db {}`)",
            store.location(),
            store.location()
        ))),
        _ => Err(ServiceError::BadInput(format!(
            "{} holds several negotiations; pick one with --negotiation ({})",
            store.location(),
            held.join(", ")
        ))),
    }
}
