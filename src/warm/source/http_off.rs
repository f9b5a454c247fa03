//! HTTP sources in a library built without the `http` feature: a plan that names one is
//! refused with what to do, before anything is written.

use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::keys::template::Vars;
use crate::stop::Stop;
use crate::warm::plan::{HttpSource, Request};
use crate::warm::source::Chunk;

/// No client can be made without an HTTP stack: the type has no values.
pub enum HttpClient {}

fn unbuilt() -> Error {
    Error::Usage("this cachectl was built without HTTP sources (cargo feature `http`)".into())
}

impl HttpClient {
    pub fn new(_src: &HttpSource, _stop: &Stop) -> Result<HttpClient> {
        Err(unbuilt())
    }

    pub async fn stream(
        &self,
        _src: &HttpSource,
        _req: &Request,
        _vars: &dyn Vars,
        _tx: mpsc::Sender<Chunk>,
    ) -> Result<()> {
        match *self {}
    }
}

/// Whether the API at `base` answers: never, without an HTTP stack.
pub async fn reach(_base: &str) -> Result<()> {
    Err(unbuilt())
}
