//! The one mapping from [`OmsError`] to Python exceptions, all rooted in `oms_core.OmsError`.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::error::OmsError;

create_exception!(
    oms_core,
    OmsErrorPy,
    PyException,
    "Base of every error raised by oms_core."
);
create_exception!(
    oms_core,
    InvalidNumber,
    OmsErrorPy,
    "Not an exact decimal of an accepted type."
);
create_exception!(
    oms_core,
    NumberOverflow,
    OmsErrorPy,
    "A number beyond the fixed-point range."
);
create_exception!(
    oms_core,
    InvalidPrice,
    OmsErrorPy,
    "A price not positive or off the tick grid."
);
create_exception!(
    oms_core,
    InvalidQuantity,
    OmsErrorPy,
    "A size not positive or off the lot grid."
);
create_exception!(
    oms_core,
    UnknownInstrument,
    OmsErrorPy,
    "No instrument with this symbol."
);
create_exception!(
    oms_core,
    InvalidConfig,
    OmsErrorPy,
    "An inconsistent registry or limits."
);
create_exception!(
    oms_core,
    InvalidTransition,
    OmsErrorPy,
    "The order's state forbids the event."
);
create_exception!(
    oms_core,
    Overfill,
    OmsErrorPy,
    "A fill larger than the order's leaves."
);
create_exception!(oms_core, UnknownOrder, OmsErrorPy, "No order with this id.");
create_exception!(
    oms_core,
    DuplicateOrder,
    OmsErrorPy,
    "The order id or client id is taken."
);
create_exception!(
    oms_core,
    SequenceGap,
    OmsErrorPy,
    "A book update skipped a sequence number."
);
create_exception!(
    oms_core,
    UnknownAccount,
    OmsErrorPy,
    "No account with this id."
);
create_exception!(
    oms_core,
    InvalidLeverage,
    OmsErrorPy,
    "Leverage outside the allowed range."
);
create_exception!(
    oms_core,
    InvalidArgument,
    OmsErrorPy,
    "Arguments that do not fit together."
);

impl From<OmsError> for PyErr {
    fn from(e: OmsError) -> PyErr {
        let msg = e.to_string();
        match e {
            OmsError::InvalidNumber(_) => InvalidNumber::new_err(msg),
            OmsError::NumberOverflow(_) => NumberOverflow::new_err(msg),
            OmsError::InvalidPrice(_) => InvalidPrice::new_err(msg),
            OmsError::InvalidQuantity(_) => InvalidQuantity::new_err(msg),
            OmsError::UnknownInstrument(_) => UnknownInstrument::new_err(msg),
            OmsError::InvalidConfig(_) => InvalidConfig::new_err(msg),
            OmsError::InvalidTransition { .. } => InvalidTransition::new_err(msg),
            OmsError::Overfill { .. } => Overfill::new_err(msg),
            OmsError::UnknownOrder(_) => UnknownOrder::new_err(msg),
            OmsError::DuplicateOrder(_) => DuplicateOrder::new_err(msg),
            OmsError::SequenceGap { .. } => SequenceGap::new_err(msg),
            OmsError::UnknownAccount(_) => UnknownAccount::new_err(msg),
            OmsError::InvalidLeverage(_) => InvalidLeverage::new_err(msg),
            OmsError::InvalidArgument(_) => InvalidArgument::new_err(msg),
        }
    }
}

/// Adds the exception classes to the module, each with its stable `code` class attribute.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let classes: [(&str, Bound<'_, PyType>, &str); 15] = [
        ("OmsError", py.get_type::<OmsErrorPy>(), "OMS_ERROR"),
        (
            "InvalidNumber",
            py.get_type::<InvalidNumber>(),
            "INVALID_NUMBER",
        ),
        (
            "NumberOverflow",
            py.get_type::<NumberOverflow>(),
            "NUMBER_OVERFLOW",
        ),
        (
            "InvalidPrice",
            py.get_type::<InvalidPrice>(),
            "INVALID_PRICE",
        ),
        (
            "InvalidQuantity",
            py.get_type::<InvalidQuantity>(),
            "INVALID_QUANTITY",
        ),
        (
            "UnknownInstrument",
            py.get_type::<UnknownInstrument>(),
            "UNKNOWN_INSTRUMENT",
        ),
        (
            "InvalidConfig",
            py.get_type::<InvalidConfig>(),
            "INVALID_CONFIG",
        ),
        (
            "InvalidTransition",
            py.get_type::<InvalidTransition>(),
            "INVALID_TRANSITION",
        ),
        ("Overfill", py.get_type::<Overfill>(), "OVERFILL"),
        (
            "UnknownOrder",
            py.get_type::<UnknownOrder>(),
            "UNKNOWN_ORDER",
        ),
        (
            "DuplicateOrder",
            py.get_type::<DuplicateOrder>(),
            "DUPLICATE_ORDER",
        ),
        ("SequenceGap", py.get_type::<SequenceGap>(), "SEQUENCE_GAP"),
        (
            "UnknownAccount",
            py.get_type::<UnknownAccount>(),
            "UNKNOWN_ACCOUNT",
        ),
        (
            "InvalidLeverage",
            py.get_type::<InvalidLeverage>(),
            "INVALID_LEVERAGE",
        ),
        (
            "InvalidArgument",
            py.get_type::<InvalidArgument>(),
            "INVALID_ARGUMENT",
        ),
    ];
    for (name, class, code) in classes {
        class.setattr("code", code)?;
        m.add(name, class)?;
    }
    Ok(())
}
