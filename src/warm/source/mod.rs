//! Where warm rows come from.

pub mod http;
pub mod sql;

/// Rows travel from a source to the writer in chunks: one hand-off per chunk, not per row.
pub type Chunk = Vec<serde_json::Value>;

/// Rows per chunk.
pub const CHUNK_ROWS: usize = 512;
