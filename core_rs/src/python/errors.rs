//! The one mapping from [`DomainError`] to Python exceptions, all rooted in `oms_core.OmsError`.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::error::OmsError as DomainError;

create_exception!(
    oms_core,
    OmsError,
    PyException,
    "Base of every error raised by oms_core."
);
create_exception!(
    oms_core,
    InvalidNumber,
    OmsError,
    "Not an exact decimal of an accepted type."
);
create_exception!(
    oms_core,
    NumberOverflow,
    OmsError,
    "A number beyond the fixed-point range."
);
create_exception!(
    oms_core,
    InvalidPrice,
    OmsError,
    "A price not positive or off the tick grid."
);
create_exception!(
    oms_core,
    InvalidQuantity,
    OmsError,
    "A size not positive or off the lot grid."
);
create_exception!(
    oms_core,
    UnknownInstrument,
    OmsError,
    "No instrument with this symbol."
);
create_exception!(
    oms_core,
    InvalidConfig,
    OmsError,
    "An inconsistent registry or limits."
);
create_exception!(
    oms_core,
    InvalidTransition,
    OmsError,
    "The order's state forbids the event."
);
create_exception!(
    oms_core,
    Overfill,
    OmsError,
    "A fill larger than the order's leaves."
);
create_exception!(oms_core, UnknownOrder, OmsError, "No order with this id.");
create_exception!(
    oms_core,
    DuplicateOrder,
    OmsError,
    "The order id or client id is taken."
);
create_exception!(
    oms_core,
    SequenceGap,
    OmsError,
    "A book update skipped a sequence number."
);
create_exception!(
    oms_core,
    UnknownAccount,
    OmsError,
    "No account with this id."
);
create_exception!(
    oms_core,
    InvalidLeverage,
    OmsError,
    "Leverage outside the allowed range."
);
create_exception!(
    oms_core,
    InvalidArgument,
    OmsError,
    "Arguments that do not fit together."
);

impl From<DomainError> for PyErr {
    fn from(e: DomainError) -> PyErr {
        let msg = e.to_string();
        match e {
            DomainError::InvalidNumber(_) => InvalidNumber::new_err(msg),
            DomainError::NumberOverflow(_) => NumberOverflow::new_err(msg),
            DomainError::InvalidPrice(_) => InvalidPrice::new_err(msg),
            DomainError::InvalidQuantity(_) => InvalidQuantity::new_err(msg),
            DomainError::UnknownInstrument(_) => UnknownInstrument::new_err(msg),
            DomainError::InvalidConfig(_) => InvalidConfig::new_err(msg),
            DomainError::InvalidTransition { .. } => InvalidTransition::new_err(msg),
            DomainError::Overfill { .. } => Overfill::new_err(msg),
            DomainError::UnknownOrder(_) => UnknownOrder::new_err(msg),
            DomainError::DuplicateOrder(_) => DuplicateOrder::new_err(msg),
            DomainError::SequenceGap { .. } => SequenceGap::new_err(msg),
            DomainError::UnknownAccount(_) => UnknownAccount::new_err(msg),
            DomainError::InvalidLeverage(_) => InvalidLeverage::new_err(msg),
            DomainError::InvalidArgument(_) => InvalidArgument::new_err(msg),
        }
    }
}

/// Adds the exception classes to the module, each with its stable `code` class attribute.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let classes: [(&str, Bound<'_, PyType>, &str); 15] = [
        ("OmsError", py.get_type::<OmsError>(), "OMS_ERROR"),
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
