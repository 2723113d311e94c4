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
    // --- LP flows (issue 13 §2): 48 bytes
    /// Slot of the latest LP deposit, and the quote deposited in that slot: not depth for fees,
    /// funding or dynamic ratios in that slot ([`LiquidityPool::depth`]).
    pub deposit_slot: u64,
    pub deposited_in_slot: u64,
    /// Shares owed to providers and not yet minted (held in their `LpPosition` through the
    /// cooldown): part of the share supply.
    pub locked_shares: u64,
    /// Shares minted to no one by the first deposit (`fulcrum_risk::DEAD_SHARES` plus any value
    /// already in the pool): part of the share supply, never withdrawn.
    pub dead_shares: u64,
    /// Bad debt of bankrupt accounts recorded and not yet resolved (`resolve_bankruptcy`),
    /// quote native: LP flows value the pool net of what the insurance fund cannot cover.
    pub unresolved_bad_debt: u64,
    /// LP withdrawal fees kept by the pool, ever, quote native.
    pub withdrawal_fees_earned: u64,
    pub reserved: [u8; 120],
}
const _: () = assert!(core::mem::size_of::<LiquidityPool>() == 280);

impl LiquidityPool {
    pub const SIZE: usize = 8 + core::mem::size_of::<LiquidityPool>();

    /// Depth for skew fees, funding and dynamic ratios at `slot`: the balance less what was
    /// deposited in this very slot (`fulcrum_risk::pool_depth`).
    pub fn depth(&self, slot: u64) -> u64 {
        fulcrum_risk::pool_depth(self.balance, self.deposit_slot, self.deposited_in_slot, slot)
    }

    /// Every share: minted, locked in providers' cooldowns, and dead.
    pub fn share_supply(&self, minted: u64) -> Option<u64> {
        minted.checked_add(self.locked_shares)?.checked_add(self.dead_shares)
    }

    /// Records `amount` deposited at `slot` (see [`LiquidityPool::depth`]).
    pub fn note_deposit(&mut self, amount: u64, slot: u64) -> Option<()> {
        if self.deposit_slot == slot {
            self.deposited_in_slot = self.deposited_in_slot.checked_add(amount)?;
        } else {
            self.deposit_slot = slot;
            self.deposited_in_slot = amount;
        }
        Some(())
    }

    /// Brings `acct`'s recorded bad debt to what it owes now with nothing left to pay it
    /// ([`MarginAccount::pending_bad_debt`]), moving the pool's unresolved total by the change.
    /// Called wherever a loss is realised (trades, liquidations); `resolve_bankruptcy` releases.
    pub fn sync_bad_debt(&mut self, acct: &mut super::MarginAccount) -> Option<()> {
        let now = acct.pending_bad_debt();
        let was = acct.recorded_bad_debt;
        self.unresolved_bad_debt = self.unresolved_bad_debt.saturating_sub(was).checked_add(now)?;
        acct.recorded_bad_debt = now;
        Some(())
    }

    /// Forgets `acct`'s recorded bad debt (it is being resolved now, or is no longer owed).
    pub fn release_bad_debt(&mut self, acct: &mut super::MarginAccount) -> u64 {
        let was = core::mem::take(&mut acct.recorded_bad_debt);
        self.unresolved_bad_debt = self.unresolved_bad_debt.saturating_sub(was);
        was
    }

    /// Pays a trader's realised PnL out of the pool's cash (a loss, negative, is paid in): `None`
    /// when the cash cannot pay the gain.
    pub fn pay_pnl(&mut self, trader_pnl: i64) -> Option<()> {
        self.balance = u64::try_from(i128::from(self.balance) - i128::from(trader_pnl)).ok()?;
        Some(())
    }

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
