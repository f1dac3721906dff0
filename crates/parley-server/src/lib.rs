//! parley over HTTP.
