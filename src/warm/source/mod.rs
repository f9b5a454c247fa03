//! Where warm rows come from.

// Each source kind is a cargo feature; without it, its module refuses a plan that names one.
#[cfg(feature = "http")]
pub mod http;
#[cfg(not(feature = "http"))]
#[path = "http_off.rs"]
pub mod http;
#[cfg(feature = "sql")]
mod pg_copy;
#[cfg(feature = "sql")]
pub mod sql;
#[cfg(not(feature = "sql"))]
#[path = "sql_off.rs"]
pub mod sql;

/// Rows travel from a source to the writer in chunks: one hand-off per chunk, not per row.
pub type Chunk = Vec<serde_json::Value>;

/// Rows per chunk.
pub const CHUNK_ROWS: usize = 512;
