//! The Python extension module `oms_core`: thin wrappers, one file per Python class family.

mod book;
mod convert;
mod enums;
mod errors;
mod instrument;
mod order;
mod risk;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<instrument::Instrument>()?;
    m.add_class::<instrument::InstrumentRegistry>()?;
    m.add_class::<enums::Side>()?;
    m.add_class::<enums::OrderType>()?;
    m.add_class::<enums::TimeInForce>()?;
    m.add_class::<enums::OrderStatus>()?;
    m.add_class::<enums::Liquidity>()?;
    m.add_class::<enums::Applied>()?;
    m.add_class::<enums::EventKind>()?;
    m.add_class::<order::OrderView>()?;
    m.add_class::<order::OrderTable>()?;
    m.add("BATCH_ERRORS", order::BATCH_ERRORS.to_vec())?;
    m.add_class::<enums::TradingState>()?;
    m.add_class::<risk::RiskEngine>()?;
    m.add("REJECT_REASONS", risk::reject_reasons())?;
    m.add_function(wrap_pyfunction!(risk::liquidation_price, m)?)?;
    m.add_function(wrap_pyfunction!(risk::maintenance_margin, m)?)?;
    book::register(m)?;
    Ok(())
}
