//! Fulcrum's risk engine: pure, integer, no Solana dependency.
//!
//! The on-chain program, the simulator and the SDK's test vectors all compute margin with this
//! crate, so one rule has one implementation. Units and rounding are documented in [`fixed`].
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod dynamic;
pub mod fixed;
pub mod liquidation;
pub mod margin;
pub mod params;
pub mod pool;
pub mod portfolio;
pub mod profile;
pub mod rate; // yield-bearing collateral
pub mod reputation;
pub mod trade;
pub mod types;

pub use dynamic::*;
pub use fixed::{MarginKind, MathError, MathResult, FUNDING_SCALE, PRICE_DECIMALS, PRICE_SCALE, RATIO_ONE};
pub use liquidation::*;
pub use margin::*;
pub use params::*;
pub use pool::*;
pub use portfolio::*;
pub use rate::*;
pub use reputation::*;
pub use trade::*;
pub use types::*;
