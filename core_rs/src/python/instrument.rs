//! Python face of [`crate::instrument`].

use std::sync::Arc;

use pyo3::prelude::*;

use super::convert;
use crate::fixed::{MONEY_DECIMALS, RATE_DECIMALS};
use crate::instrument as domain;

/// `(notional_floor, mmr, maintenance_amount, max_leverage)`, numbers as Decimal.
type Bracket<'py> = (Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>, u32);

/// One tradable instrument (immutable).
#[pyclass(name = "Instrument", module = "oms_core", frozen)]
pub struct Instrument {
    pub inner: Arc<domain::Instrument>,
}

#[pymethods]
impl Instrument {
    #[getter]
    fn symbol(&self) -> &str {
        &self.inner.symbol
    }
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind.as_str()
    }
    #[getter]
    fn base(&self) -> &str {
        &self.inner.base
    }
    #[getter]
    fn quote(&self) -> &str {
        &self.inner.quote
    }
    #[getter]
    fn price_decimals(&self) -> u32 {
        self.inner.price_decimals
    }
    #[getter]
    fn qty_decimals(&self) -> u32 {
        self.inner.qty_decimals
    }
    #[getter]
    fn tick_size<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_decimal(py, self.inner.tick_size.into(), self.inner.price_decimals)
    }
    #[getter]
    fn lot_size<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_decimal(py, self.inner.lot_size.into(), self.inner.qty_decimals)
    }
    #[getter]
    fn min_qty<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_decimal(py, self.inner.min_qty.into(), self.inner.qty_decimals)
    }
    #[getter]
    fn max_qty<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_decimal(py, self.inner.max_qty.into(), self.inner.qty_decimals)
    }
    #[getter]
    fn min_notional<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_decimal(py, self.inner.min_notional, MONEY_DECIMALS)
    }
    #[getter]
    fn maker_fee<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_decimal(py, self.inner.maker_fee.into(), RATE_DECIMALS)
    }
    #[getter]
    fn taker_fee<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::to_decimal(py, self.inner.taker_fee.into(), RATE_DECIMALS)
    }
    #[getter]
    fn max_leverage(&self) -> u32 {
        self.inner.max_leverage()
    }
    /// Maintenance brackets as `(notional_floor, mmr, maintenance_amount, max_leverage)`.
    #[getter]
    fn brackets<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bracket<'py>>> {
        self.inner
            .brackets
            .iter()
            .map(|b| {
                Ok((
                    convert::to_decimal(py, b.notional_floor, MONEY_DECIMALS)?,
                    convert::to_decimal(py, b.mmr.into(), RATE_DECIMALS)?,
                    convert::to_decimal(py, b.maintenance_amount, MONEY_DECIMALS)?,
                    b.max_leverage,
                ))
            })
            .collect()
    }
    /// A price (str, int or Decimal) as an integer number of ticks; off-grid raises.
    fn price_to_ticks(&self, price: &Bound<'_, PyAny>) -> PyResult<i64> {
        Ok(convert::price_atoms(&self.inner, price)? / self.inner.tick_size)
    }
    /// A quantity (str, int or Decimal) as an integer number of lots; off-grid raises.
    fn qty_to_lots(&self, qty: &Bound<'_, PyAny>) -> PyResult<i64> {
        Ok(convert::qty_atoms(&self.inner, qty)? / self.inner.lot_size)
    }
    fn ticks_to_price<'py>(&self, py: Python<'py>, ticks: i64) -> PyResult<Bound<'py, PyAny>> {
        let atoms = i128::from(ticks) * i128::from(self.inner.tick_size);
        convert::to_decimal(py, atoms, self.inner.price_decimals)
    }
    fn lots_to_qty<'py>(&self, py: Python<'py>, lots: i64) -> PyResult<Bound<'py, PyAny>> {
        let atoms = i128::from(lots) * i128::from(self.inner.lot_size);
        convert::to_decimal(py, atoms, self.inner.qty_decimals)
    }
    /// Exact notional (price × quantity) in the quote asset.
    fn notional<'py>(
        &self,
        py: Python<'py>,
        price: &Bound<'py, PyAny>,
        qty: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let px = convert::price_atoms(&self.inner, price)?;
        let q = convert::qty_atoms(&self.inner, qty)?;
        convert::to_decimal(py, self.inner.checked_notional(px, q)?, MONEY_DECIMALS)
    }
    fn __repr__(&self) -> String {
        format!(
            "Instrument({:?}, {})",
            self.inner.symbol,
            self.inner.kind.as_str()
        )
    }
}

/// Every instrument known to the OMS.
#[pyclass(name = "InstrumentRegistry", module = "oms_core", frozen)]
pub struct InstrumentRegistry {
    pub inner: Arc<domain::InstrumentRegistry>,
}

#[pymethods]
impl InstrumentRegistry {
    /// The registry shipped with the project.
    #[staticmethod]
    fn builtin() -> Self {
        Self {
            inner: Arc::new(domain::InstrumentRegistry::builtin()),
        }
    }
    /// A registry from JSON text in the format of the shipped `instruments.json`.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Ok(Self {
            inner: Arc::new(domain::InstrumentRegistry::from_json(text)?),
        })
    }
    fn get(&self, symbol: &str) -> PyResult<Instrument> {
        let inst = self.inner.get(symbol)?;
        Ok(Instrument {
            inner: Arc::new(inst.clone()),
        })
    }
    /// The dense index of `symbol`, used by the batch (numpy) calls.
    fn index_of(&self, symbol: &str) -> PyResult<usize> {
        Ok(self.inner.index_of(symbol)?)
    }
    fn symbols(&self) -> Vec<String> {
        self.inner.iter().map(|i| i.symbol.clone()).collect()
    }
    fn __len__(&self) -> usize {
        self.inner.len()
    }
    fn __contains__(&self, symbol: &str) -> bool {
        self.inner.index_of(symbol).is_ok()
    }
}
