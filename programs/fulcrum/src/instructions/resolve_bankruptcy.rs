use crate::error::{Cast, FulcrumError, OptionExt};
use crate::pool::cover_debt;
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

/// Permissionless, for an account with nothing left but quote debt: its isolated collateral pays
/// first (an isolated slot without a position is swept into the balance; collateral behind an
/// open isolated position holds back that much of the debt, which it repays when moved out or
/// swept once the position closes), then the insurance fund, and what it cannot pay is
/// socialised to the pool's LPs. Also covers isolated positions closed in deficit (an owner may
/// close an underwater isolated position; its loss beyond its collateral is left on the slot),
/// freeing their slots: an isolated loss never reaches the rest of the account.
pub fn resolve_bankruptcy(ctx: Context<ResolveBankruptcy>) -> Result<()> {
    require!(!ctx.accounts.exchange.load()?.is_paused(pause::LIQUIDATIONS), FulcrumError::Paused);
    let key = ctx.accounts.margin_account.key();
    let mut acct = ctx.accounts.margin_account.load_mut()?;
    let mut pool = ctx.accounts.pool.load_mut()?;
    // The bad debt recorded when it arose is resolved now (or, if the account has since paid
    // it, simply forgotten: that alone is reason enough to call this).
    let mut covered_any = pool.release_bad_debt(&mut acct) > 0;
    // The account's own debt, once it holds nothing that could pay it.
    let backed_perps = acct.active_perps().iter().any(|p| !p.is_isolated());
    if !backed_perps && acct.num_collateral == 0 && acct.quote_balance < 0 {
        // The account's own isolated collateral first: swept from empty slots, held back behind
        // open positions (from the back so compaction is safe).
        let mut held_back = 0u64;
        for i in (0..acct.active_perps().len()).rev() {
            let s = acct.perps[i];
            if !s.is_isolated() || s.isolated_collateral <= 0 {
                continue;
            }
            if s.base == 0 {
                acct.quote_balance = acct.quote_balance.checked_add(s.isolated_collateral).overflow()?;
                acct.perps[i].isolated_collateral = 0;
                acct.compact_perp(i);
                covered_any = true;
            } else {
                held_back = held_back.saturating_add(s.isolated_collateral.unsigned_abs());
            }
        }
        let debt = if acct.quote_balance < 0 { acct.quote_balance.unsigned_abs() } else { 0 };
        let kept = debt.min(held_back);
        if debt > kept {
            let uncovered = cover(&mut pool, key, debt - kept)?;
            let kept = kept.cast::<i64>()?;
            acct.quote_balance = uncovered.checked_sub(kept).overflow()?;
            covered_any = true;
        }
        if acct.quote_balance >= 0 {
            acct.in_margin_call = 0;
            acct.margin_call_slot = 0;
            acct.health_state = fulcrum_risk::HealthState::Healthy as u8;
        }
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
    let exchange = ctx.accounts.exchange.load()?;
    super::reputation::setback(&mut acct, &key, &exchange, Setback::Bankruptcy, &Clock::get()?);
    Ok(())
}

/// [`cover_debt`], its event emitted; returns what stays owed (≤ 0).
fn cover(pool: &mut LiquidityPool, margin_account: Pubkey, debt: u64) -> Result<i64> {
    let (owed, event) = cover_debt(pool, margin_account, debt)?;
    crate::emit_event!(event);
    Ok(owed)
}
