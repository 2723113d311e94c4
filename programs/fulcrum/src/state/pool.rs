use anchor_lang::prelude::*;

/// The counterparty of every trade, and the insurance fund's ledger. Both live in the quote
/// vault: `vault = Σ account quote balances + balance + insurance_balance`.
#[account(zero_copy)]
#[derive(Debug)]
#[repr(C)]
pub struct LiquidityPool {
    pub exchange: Pubkey,
    /// LP share mint (authority = exchange).
    pub lp_mint: Pubkey,
    /// Quote the pool owns, native units: LP deposits, fees and traders' realised losses, less
    /// traders' realised gains and LP withdrawals.
    pub balance: u64,
    /// Quote held by the insurance fund, native units.
    pub insurance_balance: u64,
    /// Fees the pool has earned, ever.
    pub fees_earned: u64,
    /// Bad debt socialised to LPs, ever.
    pub socialised_loss: u64,
    /// Bad debt the insurance fund paid, ever.
    pub insurance_paid_out: u64,
    pub bump: u8,
    pub lp_mint_bump: u8,
    pub _pad: [u8; 6],
    pub reserved: [u8; 120],
}
const _: () = assert!(core::mem::size_of::<LiquidityPool>() == 232);

impl LiquidityPool {
    pub const SIZE: usize = 8 + core::mem::size_of::<LiquidityPool>();

    /// Covers `debt` of a bankrupt account or isolated position: the insurance fund first, then
    /// the pool (socialised to LPs); what neither holds stays uncovered.
    pub fn cover_bad_debt(&mut self, debt: u64) -> Option<fulcrum_risk::BankruptcyResolution> {
        let r = fulcrum_risk::resolve_bankruptcy(debt, self.insurance_balance, self.balance);
        self.insurance_balance -= r.insurance_paid;
        self.balance -= r.socialised;
        self.socialised_loss = self.socialised_loss.checked_add(r.socialised)?;
        self.insurance_paid_out = self.insurance_paid_out.checked_add(r.insurance_paid)?;
        Some(r)
    }
}
