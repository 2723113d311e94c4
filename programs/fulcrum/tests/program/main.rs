//! Fulcrum's program tests: every scenario through real signed transactions in
//! `solana-program-test` (real bank, real SPL Token), one shared harness.
#![allow(deprecated, dead_code, clippy::too_many_arguments)]

mod harness;

mod access;
mod compute_units;
mod dynamic;
mod full_slots;
mod liquidation;
mod lp;
mod modes;
mod oracles;
mod orders;
mod readable;
mod sbf_libcalls;
mod sim_vectors;
mod token2022;
mod trading;
mod yield_collateral; // s6-lst
