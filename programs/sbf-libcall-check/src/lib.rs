//! Test program for the VM suite (`programs/fulcrum/tests/program/sbf_libcalls.rs`), never
//! deployed: it runs 128-bit operations on operands taken from the instruction, inside the VM,
//! with Fulcrum's own libcalls (`programs/fulcrum/src/sbf.rs`, included from there), and returns
//! the results so the test can compare them with the host's.
//!
//! Instruction data: records of `op: u8, a: [u8; 16], b: [u8; 16]` (little-endian). Return
//! data: per record `ok: u8, value: [u8; 16]` (`ok` = 0 when a checked operation gave `None`).
#![cfg_attr(sbf_upstream_llvm, feature(abi_unadjusted), allow(internal_features))]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use solana_program::{
    account_info::AccountInfo, entrypoint::ProgramResult, program_error::ProgramError, pubkey::Pubkey,
};

#[cfg(sbf_upstream_llvm)]
#[path = "../../fulcrum/src/sbf.rs"]
mod sbf;
#[cfg(sbf_upstream_llvm)]
use solana_compiler_builtins as _;

#[cfg(not(feature = "no-entrypoint"))]
solana_program::entrypoint!(process_instruction);

pub const RECORD: usize = 33;

/// The operations, by code: the same function runs in the VM and, in the test, on the host.
pub fn apply(op: u8, a: u128, b: u128) -> Option<u128> {
    let (sa, sb) = (a as i128, b as i128);
    match op {
        0 => Some(a.wrapping_mul(b)),
        1 => a.checked_mul(b),
        2 => sa.checked_mul(sb).map(|v| v as u128),
        3 => a.checked_div(b),
        4 => a.checked_rem(b),
        5 => sa.checked_div(sb).map(|v| v as u128),
        6 => sa.checked_rem(sb).map(|v| v as u128),
        7 => Some(a << (b as u32 & 127)),
        8 => Some(a >> (b as u32 & 127)),
        9 => Some((sa >> (b as u32 & 127)) as u128),
        10 => Some(sa.wrapping_mul(sb) as u128),
        _ => None,
    }
}

pub const OPS: u8 = 11;

pub fn process_instruction(_program_id: &Pubkey, _accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    if !data.len().is_multiple_of(RECORD) {
        return Err(ProgramError::InvalidInstructionData);
    }
    let mut out = Vec::with_capacity(data.len() / RECORD * 17);
    for rec in data.chunks_exact(RECORD) {
        let word = |at: usize| {
            let mut w = [0u8; 16];
            w.copy_from_slice(&rec[at..at + 16]);
            u128::from_le_bytes(w)
        };
        let (a, b) = (core::hint::black_box(word(1)), core::hint::black_box(word(17)));
        let r = apply(rec[0], a, b);
        out.push(r.is_some() as u8);
        out.extend_from_slice(&r.unwrap_or(0).to_le_bytes());
    }
    solana_program::program::set_return_data(&out);
    Ok(())
}
