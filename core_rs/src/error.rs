//! The one error type of the core. Each variant has a stable code that clients may match on.

use thiserror::Error;

/// Everything that can go wrong in the core, as data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OmsError {
    /// Not a finite decimal number of an accepted type (floats, NaN, infinities, junk text).
    #[error("invalid number: {0}")]
    InvalidNumber(String),
    /// A number too large for the fixed-point representation.
    #[error("number out of range: {0}")]
    NumberOverflow(String),
    /// A price that is not positive or not on the instrument's tick grid.
    #[error("invalid price: {0}")]
    InvalidPrice(String),
    /// A quantity that is not positive or not on the instrument's lot grid.
    #[error("invalid quantity: {0}")]
    InvalidQuantity(String),
    #[error("unknown instrument: {0}")]
    UnknownInstrument(String),
    /// An instrument registry or limits configuration that is inconsistent.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// An event that the order's current state does not allow; nothing was changed.
    #[error("invalid transition: {event} in state {state}")]
    InvalidTransition {
        state: &'static str,
        event: &'static str,
    },
    /// A fill larger than the order's leaves quantity; nothing was changed.
    #[error("overfill: fill of {fill} lots exceeds leaves {leaves} lots")]
    Overfill { fill: i64, leaves: i64 },
    #[error("unknown order: {0}")]
    UnknownOrder(String),
    /// An order id or (account, client order id) pair that is already taken.
    #[error("duplicate order: {0}")]
    DuplicateOrder(String),
    /// A book update whose sequence number skips ahead; resync from a snapshot.
    #[error("sequence gap: expected {expected}, got {got}")]
    SequenceGap { expected: u64, got: u64 },
    #[error("unknown account: {0}")]
    UnknownAccount(String),
    #[error("invalid leverage: {0}")]
    InvalidLeverage(String),
    /// Arguments that do not fit together (array lengths, enum values out of range).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl OmsError {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidNumber(_) => "INVALID_NUMBER",
            Self::NumberOverflow(_) => "NUMBER_OVERFLOW",
            Self::InvalidPrice(_) => "INVALID_PRICE",
            Self::InvalidQuantity(_) => "INVALID_QUANTITY",
            Self::UnknownInstrument(_) => "UNKNOWN_INSTRUMENT",
            Self::InvalidConfig(_) => "INVALID_CONFIG",
            Self::InvalidTransition { .. } => "INVALID_TRANSITION",
            Self::Overfill { .. } => "OVERFILL",
            Self::UnknownOrder(_) => "UNKNOWN_ORDER",
            Self::DuplicateOrder(_) => "DUPLICATE_ORDER",
            Self::SequenceGap { .. } => "SEQUENCE_GAP",
            Self::UnknownAccount(_) => "UNKNOWN_ACCOUNT",
            Self::InvalidLeverage(_) => "INVALID_LEVERAGE",
            Self::InvalidArgument(_) => "INVALID_ARGUMENT",
        }
    }
}

pub type Result<T> = std::result::Result<T, OmsError>;
