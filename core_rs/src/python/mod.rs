//! The Python extension module `oms_core`: thin wrappers, one file per Python class family.

mod convert;
mod errors;
mod instrument;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<instrument::Instrument>()?;
    m.add_class::<instrument::InstrumentRegistry>()?;
    Ok(())
}
