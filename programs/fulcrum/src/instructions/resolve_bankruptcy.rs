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
/// debt, what it cannot pay is socialised to the pool's LPs. The account is left at zero.
pub fn handler(ctx: Context<ResolveBankruptcy>) -> Result<()> {
    require!(!ctx.accounts.exchange.load()?.is_paused(pause::LIQUIDATIONS), FulcrumError::Paused);
    let key = ctx.accounts.margin_account.key();
    let mut acct = ctx.accounts.margin_account.load_mut()?;
    // Isolated positions stand apart: they neither hold the account's debt back nor pay it.
    let backed_perps = acct.active_perps().iter().any(|p| !p.is_isolated());
    require!(!backed_perps && acct.num_collateral == 0 && acct.quote_balance < 0, FulcrumError::NotBankrupt);
    let mut pool = ctx.accounts.pool.load_mut()?;
    let debt = acct.quote_balance.unsigned_abs();
    let r = pool.cover_bad_debt(debt).overflow()?;
    acct.quote_balance = -i64::try_from(r.uncovered).map_err(|_| FulcrumError::MathOverflow)?;
    if r.uncovered == 0 {
        acct.in_margin_call = 0;
        acct.margin_call_slot = 0;
        acct.health_state = fulcrum_risk::HealthState::Healthy as u8;
    }
    crate::emit_event!(BankruptcyEvent {
        margin_account: key,
        debt,
        insurance_paid: r.insurance_paid,
        socialised: r.socialised,
        uncovered: r.uncovered,
        socialised_total: pool.socialised_loss,
    });
    Ok(())
}
