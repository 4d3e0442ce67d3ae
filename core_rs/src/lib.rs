//! `oms_core`: the pure domain of the OMS.
//!
//! Plain Rust modules with no I/O and no Python: instruments, the order state machine and
//! order table, pre-trade risk, margin math, and L2 order books. The `python` feature adds one
//! thin bindings module (`python/`) that maps them to the Python extension `oms_core`.

pub mod account;
pub mod book;
pub mod consolidated;
pub mod error;
pub mod fixed;
pub mod instrument;
pub mod margin;
pub mod order;
pub mod order_table;
pub mod risk;

#[cfg(feature = "python")]
mod python;

pub use error::{OmsError, Result};
