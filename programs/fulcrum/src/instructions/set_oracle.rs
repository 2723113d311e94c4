//! Admin: rotate a market's or a collateral bank's oracle, with the checks of listing and a live
//! price on the new one.

use anchor_lang::prelude::*;

use crate::error::FulcrumError;
use crate::oracle::{read_oracle, OracleConfig, OracleKind};
use crate::state::*;

#[derive(Accounts)]
pub struct SetMarketOracle<'info> {
    pub admin: Signer<'info>,
    #[account(has_one = admin @ FulcrumError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub market: AccountLoader<'info, PerpMarket>,
    /// CHECK: read and checked as a Pyth price of `oracle_kind` in the handler.
    pub oracle: UncheckedAccount<'info>,
}

#[derive(Accounts)]
pub struct SetBankOracle<'info> {
    pub admin: Signer<'info>,
    #[account(has_one = admin @ FulcrumError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub bank: AccountLoader<'info, CollateralBank>,
    /// CHECK: read and checked as a Pyth price of `oracle_kind` in the handler.
    pub oracle: UncheckedAccount<'info>,
}

/// What listing checks (a Pyth format, owner, layout, feed, full verification), and that the
/// new oracle has a price trading would accept now: a rotation never lands on a dead feed.
fn check_new_oracle(ai: &AccountInfo, cfg: &OracleConfig, now: i64) -> Result<()> {
    require!(OracleKind::from_u8(cfg.kind)? != OracleKind::None, FulcrumError::InvalidParameter);
    read_oracle(ai, cfg)?.validate(cfg, now)
}

/// Points `market` at another oracle account (`oracle_kind`, `feed_id`). The last valid
/// observation stays (it prices the same asset).
pub fn set_market_oracle(ctx: Context<SetMarketOracle>, oracle_kind: u8, feed_id: [u8; 32]) -> Result<()> {
    let accounts = &ctx.accounts;
    let mut market = accounts.market.load_mut()?;
    require!(!market.is_settled(), FulcrumError::MarketSettled);
    let cfg = OracleConfig { kind: oracle_kind, key: accounts.oracle.key(), feed_id, ..market.oracle_config() };
    check_new_oracle(&accounts.oracle.to_account_info(), &cfg, Clock::get()?.unix_timestamp)?;
    market.oracle = cfg.key;
    market.oracle_kind = oracle_kind;
    market.feed_id = feed_id;
    Ok(())
}

/// Points a collateral bank at another oracle account and sets how old a last valid price a
/// liquidation may use (`liquidation_max_age`, ≤ 3,600 s). Not the quote bank.
pub fn set_bank_oracle(
    ctx: Context<SetBankOracle>,
    oracle_kind: u8,
    feed_id: [u8; 32],
    liquidation_max_age: u32,
) -> Result<()> {
    let accounts = &ctx.accounts;
    let mut bank = accounts.bank.load_mut()?;
    require!(bank.index != CollateralBank::QUOTE_INDEX, FulcrumError::QuoteBankHasNoOracle);
    require!(liquidation_max_age <= CollateralBank::MAX_LIQUIDATION_AGE, FulcrumError::InvalidParameter);
    let cfg = OracleConfig { kind: oracle_kind, key: accounts.oracle.key(), feed_id, ..bank.oracle_config() };
    check_new_oracle(&accounts.oracle.to_account_info(), &cfg, Clock::get()?.unix_timestamp)?;
    bank.oracle = cfg.key;
    bank.oracle_kind = oracle_kind;
    bank.feed_id = feed_id;
    bank.liquidation_max_age = liquidation_max_age;
    Ok(())
}
