//! Zero-copy accounts. Every struct is `repr(C)`, `Pod`, 8-byte aligned with explicit padding
//! and reserved bytes, and its size is asserted at compile time so the native (test) and SBF
//! layouts are the same byte for byte.

pub mod bank;
pub mod correlations;
pub mod exchange;
pub mod lp_position;
pub mod margin_account;
pub mod market;
pub mod order_book;
pub mod pool;

pub use bank::*;
pub use correlations::*;
pub use exchange::*;
pub use lp_position::*;
pub use margin_account::*;
pub use market::*;
pub use order_book::*;
pub use pool::*;

/// Reads an `i128` stored little-endian in 16 bytes (no `i128` fields: their alignment differs
/// between x86-64 and SBF).
#[inline]
pub fn get_i128(bytes: &[u8; 16]) -> i128 {
    i128::from_le_bytes(*bytes)
}

/// Writes an `i128` as 16 little-endian bytes.
#[inline]
pub fn put_i128(v: i128) -> [u8; 16] {
    v.to_le_bytes()
}
