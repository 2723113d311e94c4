//! Fulcrum's stress-test simulator.
//!
//! A book of accounts ([`book`]) is driven along Monte Carlo price paths ([`prices`]); each step
//! ([`sim`]) finds the accounts whose maintenance health changed, lets keepers liquidate them
//! with limited latency and capacity, feeds liquidation flow back into prices, and settles
//! bankruptcies against the insurance fund and the pool. Every protocol rule is a call into
//! `fulcrum_risk`, the engine the on-chain program uses; this crate only moves the amounts the
//! engine returns and keeps statistics. [`report`], [`plots`] and [`sweep`] turn runs into
//! JSON, CSV, SVG/PNG and a parameter heat map; [`vectors`] writes the liquidation vectors the
//! program tests replay.

pub mod book;
pub mod config;
pub mod market;
pub mod mech;
pub mod plots;
pub mod prices;
pub mod report;
pub mod sim;
pub mod sweep;
pub mod vectors;

pub use book::World;
pub use config::Config;
pub use prices::{PricePath, Scenario};
pub use sim::{run_path, PathResult, RunOpts, Summary};
