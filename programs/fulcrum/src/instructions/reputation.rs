//! Reputation-tiered leverage (issue 18 §1): the admin's tier table, the permissionless
//! crank that moves a tier, and the hooks trades, margin calls and liquidations call.

use anchor_lang::prelude::*;
use fulcrum_risk::{accrue_equity, next_tier, qualified_tier, validate_tier_table, TierClock, TierRequirement};

use crate::error::{Cast, FulcrumError, OptionExt};
use crate::events::TierChangedEvent;
use crate::health::account_health;
use crate::state::*;

/// One tier as the admin sets it (see [`TierRow`]).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TierParams {
    /// Days since the account was created.
    pub min_age_days: u16,
    /// Most liquidations plus bankruptcies, ever.
    pub max_liquidations: u16,
    /// Time-weighted equity, whole quote units × days.
    pub min_equity_days: u32,
    /// Volume net of wash, whole quote units.
    pub min_volume: u32,
    /// Initial-margin multiplier, ppm of the market's initial ratio (500,000..=3,000,000).
    pub init_multiplier: u32,
}

/// The exchange's whole tier table, replaced at once.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ReputationParams {
    /// Tier 0 first (requires nothing); at most 4; empty turns tiers off (every account at 1×).
    pub tiers: Vec<TierParams>,
    /// Equity counted for time-weighted equity at most this, quote native (0: no cap).
    pub equity_cap: u64,
    /// A reduction counts as volume only this long after the position last grew, seconds.
    pub min_hold_secs: u32,
    /// A tier rises by at most one per this many seconds (> 0 with tiers).
    pub upgrade_period_secs: u32,
    /// A liquidation or bankruptcy holds the account at tier 0 this long, seconds (> 0 with tiers).
    pub cool_off_secs: u32,
}

impl ReputationParams {
    /// One rule per line; every rule of the table is `fulcrum_risk::validate_tier_table`'s.
    pub fn validate(&self) -> Result<()> {
        let rows: Vec<TierRequirement> = self.tiers.iter().map(TierParams::requirement).collect();
        validate_tier_table(&rows).map_err(FulcrumError::from)?;
        let tiers_on = !self.tiers.is_empty();
        require!(!tiers_on || self.upgrade_period_secs > 0, FulcrumError::TierPeriodZero);
        require!(!tiers_on || self.cool_off_secs > 0, FulcrumError::TierPeriodZero);
        Ok(())
    }

    pub fn config(&self) -> Result<ReputationConfig> {
        let mut cfg = ReputationConfig {
            equity_cap: self.equity_cap,
            min_hold_secs: self.min_hold_secs,
            upgrade_period_secs: self.upgrade_period_secs,
            cool_off_secs: self.cool_off_secs,
            num_tiers: self.tiers.len().cast()?,
            ..ReputationConfig::default()
        };
        for (row, t) in cfg.tiers.iter_mut().zip(self.tiers.iter()) {
            *row = TierRow {
                min_age_days: t.min_age_days,
                max_liquidations: t.max_liquidations,
                min_equity_days: t.min_equity_days,
                min_volume: t.min_volume,
                init_multiplier: t.init_multiplier,
            };
        }
        Ok(cfg)
    }
}

impl TierParams {
    fn requirement(&self) -> TierRequirement {
        TierRequirement {
            min_age_days: self.min_age_days,
            max_liquidations: self.max_liquidations,
            min_equity_days: self.min_equity_days,
            min_volume: self.min_volume,
            init_multiplier: self.init_multiplier,
        }
    }
}

#[derive(Accounts)]
pub struct SetReputationTiers<'info> {
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ FulcrumError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
}

/// See the instruction's doc in lib.rs. Accounts keep their tier's old multiplier until their
/// next `refresh_reputation` (or liquidation).
pub fn set_reputation_tiers(ctx: Context<SetReputationTiers>, params: ReputationParams) -> Result<()> {
    params.validate()?;
    ctx.accounts.exchange.load_mut()?.reputation = params.config()?;
    Ok(())
}

#[derive(Accounts)]
pub struct RefreshReputation<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

/// See the instruction's doc in lib.rs.
pub fn refresh_reputation<'info>(ctx: Context<'info, RefreshReputation<'info>>) -> Result<()> {
    let exchange = ctx.accounts.exchange.load()?;
    let key = ctx.accounts.margin_account.key();
    let mut acct = ctx.accounts.margin_account.load_mut()?;
    let now = Clock::get()?.unix_timestamp;
    let health = account_health(&acct, &ctx.accounts.exchange.key(), &exchange, ctx.remaining_accounts, now)?;
    let equity = u64::try_from(health.maint.equity.max(0)).unwrap_or(u64::MAX);
    let cfg = &exchange.reputation;
    let rec = &mut acct.reputation;
    let earned = accrue_equity(rec.sampled_equity, equity, cfg.equity_cap, now.saturating_sub(rec.sampled_at));
    rec.equity_secs = rec.equity_secs().saturating_add(earned).to_le_bytes();
    rec.sampled_at = rec.sampled_at.max(now);
    rec.sampled_equity = equity;
    let (table, n) = cfg.table();
    let unit = 10u64.checked_pow(exchange.quote_decimals.into()).ok_or(FulcrumError::MathOverflow)?;
    let qualified = qualified_tier(&rec.stats(now), &table[..n], unit);
    let clock = TierClock {
        now,
        changed_at: rec.tier_changed_at,
        cool_off_until: rec.cool_off_until,
        upgrade_period: cfg.upgrade_period_secs,
    };
    let old = rec.tier;
    if rec.set_tier(next_tier(old, qualified, &clock), cfg, now) {
        emit_tier(&key, old, rec, 0, now);
    }
    Ok(())
}

fn emit_tier(key: &Pubkey, old_tier: u8, rec: &ReputationRecord, cause: u8, now: i64) {
    crate::emit_event!(TierChangedEvent {
        margin_account: *key,
        old_tier,
        new_tier: rec.tier,
        init_multiplier: rec.init_multiplier,
        cause,
        unix_timestamp: now,
    });
}

/// A new account's record: created now, at tier 0 with tier 0's multiplier.
pub fn start_record(acct: &mut MarginAccount, exchange: &Exchange, clock: &Clock) {
    let now = clock.unix_timestamp;
    acct.reputation = ReputationRecord {
        created_at: now,
        created_slot: clock.slot,
        sampled_at: now,
        tier_changed_at: now,
        init_multiplier: exchange.reputation.multiplier(0),
        ..ReputationRecord::default()
    };
}

/// A liquidation or bankruptcy of `acct`: counted, and the tier to 0 at once for the cool-off
/// (`TierChanged` when it was above 0: the liquidation's own event says the rest).
pub fn setback(acct: &mut MarginAccount, key: &Pubkey, exchange: &Exchange, kind: Setback, clock: &Clock) {
    let now = clock.unix_timestamp;
    let was = acct.reputation.punish(kind, &exchange.reputation, now, clock.slot);
    if was != acct.reputation.tier {
        let cause = if kind == Setback::Liquidation { 1 } else { 2 };
        emit_tier(key, was, &acct.reputation, cause, now);
    }
}

/// A fill of `market` that moved the position from `old_base`: volume net of wash, realised PnL
/// and the position's hold time ([`ReputationRecord::record_fill`]).
pub fn on_fill(
    acct: &mut MarginAccount,
    exchange: &Exchange,
    market: u16,
    old_base: i64,
    fill: &fulcrum_risk::FillOutcome,
    now: i64,
) -> Result<()> {
    let min_hold = exchange.reputation.min_hold_secs;
    let (base, quote, pnl) = (fill.position.base, fill.fill_quote, fill.realized_pnl);
    acct.reputation.record_fill(market, old_base, base, quote, pnl, now, min_hold).overflow()
}

/// The account entered margin call at `slot`: counted.
pub fn on_margin_call(acct: &mut MarginAccount, slot: u64) -> Result<()> {
    let rec = &mut acct.reputation;
    rec.margin_calls = rec.margin_calls.saturating_add(1);
    rec.last_margin_call_slot = slot;
    rec.last_margin_call_at = Clock::get()?.unix_timestamp;
    Ok(())
}

/// A withdrawal left maintenance equity at `equity`: the next crank earns no more than it.
pub fn lower_sample(acct: &mut MarginAccount, equity: i128) {
    let e = u64::try_from(equity.max(0)).unwrap_or(u64::MAX);
    acct.reputation.sampled_equity = acct.reputation.sampled_equity.min(e);
}
