use crate::error::{FulcrumError, OptionExt};
use crate::events::BankruptcyEvent;
use crate::state::*;
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ResolveBankruptcy<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub pool: AccountLoader<'info, LiquidityPool>,
}

/// Permissionless, for an account with nothing left but quote debt: the insurance fund pays the
/// debt, what it cannot pay is socialised to the pool's LPs. The account is left at zero. Also
/// covers isolated positions closed in deficit (an owner may close an underwater isolated
/// position; its loss beyond its collateral is left on the slot), freeing their slots. Isolated
/// positions neither hold the account's debt back nor pay it.
pub fn handler(ctx: Context<ResolveBankruptcy>) -> Result<()> {
    require!(!ctx.accounts.exchange.load()?.is_paused(pause::LIQUIDATIONS), FulcrumError::Paused);
    let key = ctx.accounts.margin_account.key();
    let mut acct = ctx.accounts.margin_account.load_mut()?;
    let mut pool = ctx.accounts.pool.load_mut()?;
    let mut covered_any = false;
    // The account's own debt, once it holds nothing that could pay it.
    let backed_perps = acct.active_perps().iter().any(|p| !p.is_isolated());
    if !backed_perps && acct.num_collateral == 0 && acct.quote_balance < 0 {
        let uncovered = cover(&mut pool, key, acct.quote_balance.unsigned_abs())?;
        acct.quote_balance = uncovered;
        if uncovered == 0 {
            acct.in_margin_call = 0;
            acct.margin_call_slot = 0;
            acct.health_state = fulcrum_risk::HealthState::Healthy as u8;
        }
        covered_any = true;
    }
    // Closed isolated positions in deficit (at most 8 slots, from the back so compaction is safe).
    for i in (0..acct.active_perps().len()).rev() {
        let s = acct.perps[i];
        if s.is_isolated() && s.base == 0 && s.isolated_collateral < 0 {
            acct.perps[i].isolated_collateral = cover(&mut pool, key, s.isolated_collateral.unsigned_abs())?;
            acct.compact_perp(i);
            covered_any = true;
        }
    }
    require!(covered_any, FulcrumError::NotBankrupt);
    Ok(())
}

/// Covers `debt` from the fund then the pool, with its event; returns what stays owed (≤ 0).
fn cover(pool: &mut LiquidityPool, margin_account: Pubkey, debt: u64) -> Result<i64> {
    let r = pool.cover_bad_debt(debt).overflow()?;
    crate::emit_event!(BankruptcyEvent {
        margin_account,
        debt,
        insurance_paid: r.insurance_paid,
        socialised: r.socialised,
        uncovered: r.uncovered,
        socialised_total: pool.socialised_loss,
    });
    Ok(-i64::try_from(r.uncovered).map_err(|_| FulcrumError::MathOverflow)?)
}
