//! The integration tests, one binary with a module per feature (as `just` does): the
//! shared servers (a 3-master cluster) start once for all of them, and `tests/suite/support`
//! compiles once. Run one feature with `cargo test --test suite -- sweep::`.

mod support;

mod architecture;
mod backup;
mod cli;
mod cluster;
mod connection;
mod contract;
mod doctor;
mod dumps;
mod errors;
mod faults;
mod fields;
mod filters;
mod gate;
mod get_set;
mod hostile;
mod html;
mod inspect;
mod invalidate;
mod metrics;
mod output;
mod permit;
mod rdb;
mod replica;
mod resume;
mod safety;
mod schema;
mod sentinel;
mod sweep;
mod targets;
mod ttl_audit;
mod verify;
mod warm;
mod watch;
