//! Python numbers at the edge: `str`, `int` and `decimal.Decimal` are taken exactly; `float`
//! and `bool` are refused, so no binary rounding ever reaches a price or a balance.

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString, PyType};

use crate::error::OmsError;
use crate::fixed::{self, format_atoms};
use crate::instrument::Instrument;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DECIMAL.import(py, "decimal", "Decimal")
}

/// The exact decimal text of a Python `str`, `int` or `Decimal`.
pub fn number_text<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, str>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Cow::Owned(s.to_str()?.to_owned()));
    }
    if obj.is_instance_of::<PyBool>() {
        return Err(OmsError::InvalidNumber("bool is not a number".into()).into());
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(Cow::Owned(obj.str()?.to_str()?.to_owned()));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Err(OmsError::InvalidNumber(
            "floats are not accepted; pass str, int or decimal.Decimal".into(),
        )
        .into());
    }
    if obj.is_instance(decimal_type(obj.py())?)? {
        return Ok(Cow::Owned(obj.str()?.to_str()?.to_owned()));
    }
    let type_name = obj.get_type().name()?;
    Err(OmsError::InvalidNumber(format!("expected str, int or Decimal, got {type_name}")).into())
}

/// A price in atoms on `inst`'s tick grid.
pub fn price_atoms(inst: &Instrument, obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    Ok(inst.parse_price(&number_text(obj)?)?)
}

/// A quantity in atoms on `inst`'s lot grid.
pub fn qty_atoms(inst: &Instrument, obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    Ok(inst.parse_qty(&number_text(obj)?)?)
}

/// Any amount in atoms at `decimals` (may be zero or negative; the caller checks the sign).
pub fn atoms(obj: &Bound<'_, PyAny>, decimals: u32) -> PyResult<i64> {
    Ok(fixed::parse_atoms(&number_text(obj)?, decimals)?)
}

/// A rate such as `"0.05"` in rate units.
pub fn rate(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    Ok(fixed::parse_rate(&number_text(obj)?)?)
}

/// Atoms at `decimals` as a `decimal.Decimal`, without trailing fraction zeros.
pub fn to_decimal<'py>(py: Python<'py>, value: i128, decimals: u32) -> PyResult<Bound<'py, PyAny>> {
    let text = format_atoms(value, decimals);
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    decimal_type(py)?.call1((text,))
}
