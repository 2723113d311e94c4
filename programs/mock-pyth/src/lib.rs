//! mock-pyth: a test double of Pyth for a **local validator only** (`scripts/test-validator.sh`),
//! as Drift's and Mango's test set-ups use. Never part of the Fulcrum program and never deployed
//! to a cluster: Pyth's own programs own the real price accounts there.
//!
//! The same `.so` is loaded at the Pyth program ids on the local validator (`--bpf-program`):
//! at the legacy oracle program (`FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH`) it owns legacy
//! price accounts, at the Pyth Solana Receiver (`rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ`)
//! PriceUpdateV2 accounts. So Fulcrum's owner checks stay exactly as they are.
//!
//! One instruction, on one account (writable, owned by this program, created by the client with
//! the real size: 3,312 bytes legacy, 134 bytes PriceUpdateV2). Its data (little-endian):
//!
//! | tag | then | effect |
//! |---|---|---|
//! | 0 | [`Price`], `status: u32` | writes a legacy Pyth price account (magic `0xa1b2c3d4`, version 2, aggregate `status`, 1 = Trading) |
//! | 1 | [`Price`], `feed_id: [u8; 32]` | writes a fully verified PriceUpdateV2 (Anchor discriminator included) |
//! | 2 | — | re-stamps the account's publish time and slots to the clock, keeping its prices (a feeder's keep-alive that never races a price change) |
//!
//! [`Price`] is `price: i64, conf: u64, ema_price: i64, exponent: i32, publish_time: i64`
//! (`publish_time` 0: the clock's unix time). Anyone may write: it is a local test double.
#![cfg_attr(sbf_upstream_llvm, feature(abi_unadjusted), allow(internal_features))]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use solana_program::{
    account_info::AccountInfo, clock::Clock, entrypoint::ProgramResult, program_error::ProgramError, pubkey::Pubkey,
    sysvar::Sysvar,
};

// The 128-bit libcalls of the upstream-LLVM build, shared with Fulcrum (as sbf-libcall-check).
#[cfg(sbf_upstream_llvm)]
#[path = "../../fulcrum/src/sbf.rs"]
#[allow(dead_code)]
mod sbf;
#[cfg(sbf_upstream_llvm)]
use solana_compiler_builtins as _;

// The VM entry point only: natively (tests) the processor is registered by hand, and a second
// `entrypoint` symbol would clash with Fulcrum's in the same test binary.
#[cfg(all(target_os = "solana", not(feature = "no-entrypoint")))]
solana_program::entrypoint!(process_instruction);

/// Pyth's legacy oracle program, mainnet-beta (Fulcrum also accepts the devnet one).
pub const PYTH_LEGACY_MAINNET: Pubkey = Pubkey::from_str_const("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH");
/// Pyth Solana Receiver: the owner of PriceUpdateV2 accounts.
pub const PYTH_RECEIVER: Pubkey = Pubkey::from_str_const("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");

pub const TAG_LEGACY: u8 = 0;
pub const TAG_PRICE_UPDATE_V2: u8 = 1;
pub const TAG_REFRESH: u8 = 2;

/// Size of a legacy price account on mainnet.
pub const LEGACY_LEN: usize = 3_312;
/// Bytes of the legacy layout written (the publisher components after them stay zero).
const LEGACY_HEADER: usize = 240;
/// `PriceUpdateV2::LEN`.
pub const PRICE_UPDATE_V2_LEN: usize = 134;
/// Anchor discriminator of PriceUpdateV2: sha256("account:PriceUpdateV2")[..8].
pub const PRICE_UPDATE_V2_DISCRIMINATOR: [u8; 8] = [34, 241, 35, 99, 157, 126, 244, 205];
const LEGACY_MAGIC: u32 = 0xa1b2_c3d4;

/// Bytes of a [`Price`] in the instruction.
pub const PRICE_LEN: usize = 8 + 8 + 8 + 4 + 8;

/// One observation, in the feed's units (`price × 10^exponent` USD).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Price {
    pub price: i64,
    pub conf: u64,
    pub ema_price: i64,
    pub exponent: i32,
    /// Unix seconds; 0 in an instruction means the clock's time.
    pub publish_time: i64,
}

impl Price {
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.price.to_le_bytes());
        out.extend_from_slice(&self.conf.to_le_bytes());
        out.extend_from_slice(&self.ema_price.to_le_bytes());
        out.extend_from_slice(&self.exponent.to_le_bytes());
        out.extend_from_slice(&self.publish_time.to_le_bytes());
    }

    fn decode(d: &[u8]) -> Result<Self, ProgramError> {
        Ok(Self {
            price: i64::from_le_bytes(arr(d, 0)?),
            conf: u64::from_le_bytes(arr(d, 8)?),
            ema_price: i64::from_le_bytes(arr(d, 16)?),
            exponent: i32::from_le_bytes(arr(d, 24)?),
            publish_time: i64::from_le_bytes(arr(d, 28)?),
        })
    }
}

fn arr<const N: usize>(d: &[u8], at: usize) -> Result<[u8; N], ProgramError> {
    d.get(at..at + N).and_then(|b| <[u8; N]>::try_from(b).ok()).ok_or(ProgramError::InvalidInstructionData)
}

fn put(d: &mut [u8], at: usize, bytes: &[u8]) -> Result<(), ProgramError> {
    d.get_mut(at..at + bytes.len()).ok_or(ProgramError::AccountDataTooSmall)?.copy_from_slice(bytes);
    Ok(())
}

/// Instruction data of tag 0 (legacy) or 1 (PriceUpdateV2; `feed_id` required).
pub fn set_price_data(p: &Price, legacy_status: Option<u32>, feed_id: Option<[u8; 32]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + PRICE_LEN + 32);
    match (legacy_status, feed_id) {
        (Some(status), _) => {
            out.push(TAG_LEGACY);
            p.encode(&mut out);
            out.extend_from_slice(&status.to_le_bytes());
        }
        (None, id) => {
            out.push(TAG_PRICE_UPDATE_V2);
            p.encode(&mut out);
            out.extend_from_slice(&id.unwrap_or([0; 32]));
        }
    }
    out
}

/// Writes the legacy layout (version 2, price account) into `d`: aggregate `p` with `status`,
/// the previous aggregate the same price (the last Trading one), published at `slot`.
pub fn write_legacy(d: &mut [u8], p: &Price, status: u32, slot: u64) -> Result<(), ProgramError> {
    if d.len() < LEGACY_HEADER {
        return Err(ProgramError::AccountDataTooSmall);
    }
    let size = u32::try_from(d.len()).map_err(|_| ProgramError::InvalidAccountData)?;
    d[..LEGACY_HEADER].fill(0);
    put(d, 0, &LEGACY_MAGIC.to_le_bytes())?;
    put(d, 4, &2u32.to_le_bytes())?; // version
    put(d, 8, &3u32.to_le_bytes())?; // account type: price
    put(d, 12, &size.to_le_bytes())?;
    put(d, 16, &1u32.to_le_bytes())?; // price type: price
    put(d, 20, &p.exponent.to_le_bytes())?;
    put(d, 24, &1u32.to_le_bytes())?; // publishers
    put(d, 28, &1u32.to_le_bytes())?; // quoters
                                      // ema_price and ema_conf: {val, numer, denom}.
    for (at, v) in [(48, p.ema_price), (72, p.conf as i64)] {
        put(d, at, &v.to_le_bytes())?;
        put(d, at + 8, &v.to_le_bytes())?;
        put(d, at + 16, &1i64.to_le_bytes())?;
    }
    put(d, 104, &[1])?; // min_pub
    put(d, 184, &p.price.to_le_bytes())?; // prev_price
    put(d, 192, &p.conf.to_le_bytes())?; // prev_conf
    put(d, 208, &p.price.to_le_bytes())?; // agg.price
    put(d, 216, &p.conf.to_le_bytes())?; // agg.conf
    put(d, 224, &status.to_le_bytes())?; // agg.status
    stamp_legacy(d, p.publish_time, slot)
}

/// Publish time and slots of a legacy account.
fn stamp_legacy(d: &mut [u8], time: i64, slot: u64) -> Result<(), ProgramError> {
    put(d, 32, &slot.to_le_bytes())?; // last_slot
    put(d, 40, &slot.to_le_bytes())?; // valid_slot
    put(d, 96, &time.to_le_bytes())?; // timestamp
    put(d, 176, &slot.to_le_bytes())?; // prev_slot
    put(d, 200, &time.to_le_bytes())?; // prev_timestamp
    put(d, 232, &slot.to_le_bytes()) // agg.pub_slot
}

/// Writes a fully verified PriceUpdateV2 (Anchor discriminator, Borsh) into `d`.
pub fn write_price_update_v2(d: &mut [u8], p: &Price, feed_id: &[u8; 32], slot: u64) -> Result<(), ProgramError> {
    if d.len() < PRICE_UPDATE_V2_LEN {
        return Err(ProgramError::AccountDataTooSmall);
    }
    d[..PRICE_UPDATE_V2_LEN].fill(0);
    put(d, 0, &PRICE_UPDATE_V2_DISCRIMINATOR)?;
    // 8..40 write_authority: zero. 40: VerificationLevel::Full (Borsh variant 1).
    put(d, 40, &[1])?;
    put(d, 41, feed_id)?;
    put(d, 73, &p.price.to_le_bytes())?;
    put(d, 81, &p.conf.to_le_bytes())?;
    put(d, 89, &p.exponent.to_le_bytes())?;
    put(d, 109, &p.ema_price.to_le_bytes())?;
    put(d, 117, &p.conf.to_le_bytes())?; // ema_conf
    stamp_price_update_v2(d, p.publish_time, slot)
}

/// Publish times and posted slot of a PriceUpdateV2.
fn stamp_price_update_v2(d: &mut [u8], time: i64, slot: u64) -> Result<(), ProgramError> {
    put(d, 93, &time.to_le_bytes())?; // publish_time
    put(d, 101, &time.saturating_sub(1).to_le_bytes())?; // prev_publish_time
    put(d, 125, &slot.to_le_bytes()) // posted_slot
}

pub fn process_instruction(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let account = accounts.first().ok_or(ProgramError::NotEnoughAccountKeys)?;
    if account.owner != program_id {
        return Err(ProgramError::IncorrectProgramId);
    }
    if !account.is_writable {
        return Err(ProgramError::InvalidAccountData);
    }
    let clock = Clock::get()?;
    let (tag, rest) = data.split_first().ok_or(ProgramError::InvalidInstructionData)?;
    let mut d = account.try_borrow_mut_data()?;
    let now = |t: i64| if t == 0 { clock.unix_timestamp } else { t };
    match *tag {
        TAG_LEGACY => {
            let mut p = Price::decode(rest)?;
            p.publish_time = now(p.publish_time);
            let status = u32::from_le_bytes(arr(rest, PRICE_LEN)?);
            write_legacy(&mut d, &p, status, clock.slot)
        }
        TAG_PRICE_UPDATE_V2 => {
            let mut p = Price::decode(rest)?;
            p.publish_time = now(p.publish_time);
            let feed_id: [u8; 32] = arr(rest, PRICE_LEN)?;
            write_price_update_v2(&mut d, &p, &feed_id, clock.slot)
        }
        TAG_REFRESH => {
            if d.get(..8) == Some(&PRICE_UPDATE_V2_DISCRIMINATOR[..]) {
                stamp_price_update_v2(&mut d, clock.unix_timestamp, clock.slot)
            } else if d.get(..4) == Some(&LEGACY_MAGIC.to_le_bytes()[..]) {
                stamp_legacy(&mut d, clock.unix_timestamp, clock.slot)
            } else {
                Err(ProgramError::UninitializedAccount)
            }
        }
        _ => Err(ProgramError::InvalidInstructionData),
    }
}
