use anchor_lang::prelude::*;

use crate::error::{FulcrumError, OptionExt};
use crate::events::IsolatedCollateralEvent;
use crate::health::{load_health_inputs_with, observe};
use crate::oracle::Pricing;
use crate::state::*;

#[derive(Accounts)]
pub struct TransferIsolatedCollateral<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    /// The owner or the delegate (the quote stays in the account either way).
    pub trader: Signer<'info>,
    #[account(has_one = exchange @ FulcrumError::WrongExchange)]
    pub market: AccountLoader<'info, PerpMarket>,
}

impl TransferIsolatedCollateral<'_> {
    /// The access checks that belong to these accounts, on them as loaded: the trader may act
    /// for the account (`NotAccountOwner`), and moving collateral out needs trading unpaused
    /// (`Paused`; adding collateral only lowers the position's risk).
    pub fn validate(&self, exchange: &Exchange, acct: &MarginAccount, amount: i64) -> Result<()> {
        require!(amount > 0 || !exchange.is_paused(pause::TRADING), FulcrumError::Paused);
        require!(acct.can_trade(&self.trader.key()), FulcrumError::NotAccountOwner);
        Ok(())
    }
}

/// Moves quote between the account's balance and its isolated position in `market`. A positive
/// `amount` moves it in, opening the isolated slot if the account has none in this market (the
/// rest of the account must stay at initial margin); a negative one moves it back out (the
/// position must stay at initial margin; an empty closed slot is freed). A market holding a
/// cross position cannot take isolated collateral. A trading pause refuses only moving it out.
/// Remaining accounts: the margin check's, for the account after.
pub fn transfer_isolated_collateral<'info>(
    ctx: Context<'info, TransferIsolatedCollateral<'info>>,
    amount: i64,
) -> Result<()> {
    require!(amount != 0, FulcrumError::ZeroAmount);
    let accounts = &ctx.accounts;
    let exchange = accounts.exchange.load()?;
    let key = accounts.margin_account.key();
    let mut acct = accounts.margin_account.load_mut()?;
    accounts.validate(&exchange, &acct, amount)?;
    let market_index = accounts.market.load()?.index;
    let abs = amount.checked_abs().overflow()?;

    let slot_i = if amount > 0 {
        require!(acct.quote_balance >= abs, FulcrumError::InsufficientBalance);
        let i = acct.perp_slot(market_index).ok_or(FulcrumError::PerpSlotsFull)?;
        let slot = &mut acct.perps[i];
        if !slot.is_active() {
            slot.isolated = 1;
        }
        require!(slot.is_isolated(), FulcrumError::PositionModeMismatch);
        slot.isolated_collateral = slot.isolated_collateral.checked_add(abs).overflow()?;
        acct.quote_balance -= abs;
        i
    } else {
        let i = acct.find_perp(market_index).ok_or(FulcrumError::PositionModeMismatch)?;
        let slot = &mut acct.perps[i];
        require!(slot.is_isolated(), FulcrumError::PositionModeMismatch);
        require!(slot.isolated_collateral >= abs, FulcrumError::InsufficientIsolatedCollateral);
        slot.isolated_collateral -= abs;
        acct.quote_balance = acct.quote_balance.checked_add(abs).overflow()?;
        i
    };
    let isolated_collateral = acct.perps[slot_i].isolated_collateral;
    acct.compact_perp(slot_i);

    let now = Clock::get()?.unix_timestamp;
    // Quote moving within the account: priced as an exit (see `oracle::Pricing::Exit`).
    let inputs = load_health_inputs_with(
        &acct,
        &accounts.exchange.key(),
        exchange.quote_decimals,
        ctx.remaining_accounts,
        now,
        Pricing::Exit,
    )?;
    let main = inputs.main_health(acct.quote_balance, &exchange)?;
    if amount > 0 {
        require!(main.init.is_met(), FulcrumError::WithdrawalExceedsInitialMargin);
        require!(acct.in_margin_call == 0, FulcrumError::AccountInMarginCall);
    } else if let Some(k) = acct.find_perp(market_index).and_then(|i| inputs.isolated_index(i)) {
        let iso = inputs.isolated_health(k, &acct, &exchange)?;
        require!(iso.init.is_met(), FulcrumError::IsolatedCollateralBelowInitialMargin);
    }
    observe(&mut acct, &key, &main, &exchange, Clock::get()?.slot)?;
    crate::emit_event!(IsolatedCollateralEvent { margin_account: key, market_index, amount, isolated_collateral });
    Ok(())
}
