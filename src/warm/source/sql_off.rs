//! SQL sources in a library built without the `sql` feature: a plan that names one is
//! refused with what to do, before anything is written.

use serde_json::Value;
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::warm::plan::SqlSource;
use crate::warm::source::Chunk;

/// No pool can be opened without the drivers: the type has no values.
pub enum SqlPool {}

/// A prepared query, as the server describes it.
pub struct Described {
    pub columns: Vec<String>,
    pub params: Option<usize>,
    pub param_types: Vec<String>,
}

impl SqlPool {
    pub async fn connect(src: &SqlSource, _max_connections: u32) -> Result<SqlPool> {
        Err(Error::Usage(format!(
            "{}: this cachectl was built without SQL sources (cargo feature `sql`)",
            src.display
        )))
    }

    pub async fn columns(&self, _query: &str) -> Result<Vec<String>> {
        match *self {}
    }

    pub async fn describe(&self, _query: &str) -> Result<Described> {
        match *self {}
    }

    pub async fn stream(
        &self,
        _query: &str,
        _params: &[Value],
        _tx: mpsc::Sender<Chunk>,
    ) -> Result<()> {
        match *self {}
    }
}
