use anchor_lang::prelude::*;

/// One provider's LP shares still in their cooldown (seeds `[LP_POSITION, exchange,
/// provider]`). `lp_deposit` adds the shares it owes here instead of minting them when the
/// exchange has an `lp_cooldown_secs`; `lp_claim` mints them to the provider once
/// `unlock_ts` has passed. The shares are not tokens until then, so they cannot be transferred
/// to an account without a cooldown, nor withdrawn.
#[account(zero_copy)]
#[derive(Debug)]
#[repr(C)]
pub struct LpPosition {
    pub exchange: Pubkey,
    pub provider: Pubkey,
    /// Shares owed and not yet minted.
    pub locked_shares: u64,
    /// `lp_claim` may mint them from this unix time (each deposit pushes it to now + cooldown).
    pub unlock_ts: i64,
    pub bump: u8,
    pub _pad: [u8; 7],
    pub reserved: [u8; 32],
}
const _: () = assert!(core::mem::size_of::<LpPosition>() == 120);

impl LpPosition {
    pub const SIZE: usize = 8 + core::mem::size_of::<LpPosition>();
}
