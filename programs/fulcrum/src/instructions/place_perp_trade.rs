use anchor_lang::prelude::*;
use fulcrum_risk::{
    apply_fill, fill_price, insurance_oi_cap, is_reducing, portfolio_reduction_allowed, reserve_ok, side_notional,
    trade_fee_rate, AccountHealth, FillOutcome, PerpExposure, PerpMarketRisk, PerpPosition, Price,
};

use crate::error::{is_error, FulcrumError, MathResultExt, OptionExt};
use crate::events::{CircuitBreakerEvent, TradeEvent};
use crate::health::{load_health_inputs_with, observe};
use crate::oracle::{load_fill_observation, FillObservation, Pricing};
use crate::state::*;
use fulcrum_risk::profile as cu;

/// Direction of a trade.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Buy,
    Sell,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradeParams {
    pub side: Side,
    /// Base native units, a multiple of the market's step size.
    pub base_size: u64,
    /// Worst acceptable fill price (engine units): a buy fails above it, a sell below it.
    pub limit_price: u64,
    /// Only reduce the position: the size is clamped to the position, and an order that would
    /// open or grow one fails.
    pub reduce_only: bool,
}

#[derive(Accounts)]
pub struct PlacePerpTrade<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    /// The owner or the delegate.
    pub trader: Signer<'info>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange, has_one = oracle @ FulcrumError::OracleMismatch)]
    pub market: AccountLoader<'info, PerpMarket>,
    /// CHECK: the market's oracle, read and checked by `oracle::load_price`.
    pub oracle: UncheckedAccount<'info>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub pool: AccountLoader<'info, LiquidityPool>,
}

/// Trades against the pool at the oracle price ± the latency spread
/// (`fulcrum_risk::fill_spread`; from the worse of the slot's observations, see
/// `fulcrum_risk::fill_price`) plus the taker fee. The oracle must be no older than the market's
/// `max_fill_age` and than the last price the market observed. A trade that opens, grows or
/// flips a position must leave the account at initial margin; one that only reduces is always
/// allowed, except that a portfolio account left below initial margin must not have less free
/// initial collateral than before (closing one leg of a hedge raises the netted requirement).
/// In a market where the account holds an isolated slot (see `transfer_isolated_collateral`)
/// the trade is isolated: PnL and fee settle in the slot's
/// collateral and the position alone must meet initial margin. Remaining accounts: the margin
/// check's, for the account after the trade.
///
/// Load → [`execute_trade`] (the state change, on plain structs) → [`check_trade_health`] →
/// [`emit_trade`]; `execute_order` fills through the same three.
pub fn place_perp_trade<'info>(ctx: Context<'info, PlacePerpTrade<'info>>, params: TradeParams) -> Result<()> {
    cu::entry();
    let accounts = &ctx.accounts;
    let exchange = accounts.exchange.load()?;
    require!(!exchange.is_paused(pause::TRADING), FulcrumError::Paused);
    let mut acct = accounts.margin_account.load_mut()?;
    require!(acct.can_trade(&accounts.trader.key()), FulcrumError::NotAccountOwner);
    let clock = Clock::get()?;
    let key = accounts.margin_account.key();

    let filled = {
        let mut market = accounts.market.load_mut()?;
        check_tradable(&market, params.base_size)?;
        let obs = load_fill_observation(
            &accounts.oracle.to_account_info(),
            &market.oracle_config(),
            exchange.quote_decimals,
            clock.unix_timestamp,
        )?;
        cu::phase("trade: fill oracle read");
        let mut pool = accounts.pool.load_mut()?;
        execute_trade(&exchange, &mut acct, &mut market, &mut pool, &obs, &params, &clock, &key)?
    };
    cu::phase("trade: execute_trade (fill, fees, OI, pool)");
    // The market may be among the health accounts: its borrow above is released.
    let exchange_key = accounts.exchange.key();
    let health =
        check_trade_health(&exchange, &exchange_key, &mut acct, &key, &filled, ctx.remaining_accounts, &clock)?;
    emit_trade(&filled, &health);
    cu::phase("event");
    Ok(())
}

/// What a fill leaves for its margin check and its event.
pub struct Filled {
    /// The trade event, leverage and health state still to fill in.
    pub event: TradeEvent,
    pub reducing: bool,
    pub isolated: bool,
    pub market_index: u16,
    /// The position before the fill, at the fill's market risk (portfolio reductions).
    pub before: PerpExposure,
    /// The account's quote balance before the fill.
    pub quote_before: i64,
}

/// Size on the market's step and the market not paused for trading.
pub fn check_tradable(market: &PerpMarket, base_size: u64) -> Result<()> {
    require!(base_size > 0 && base_size.is_multiple_of(market.step_size), FulcrumError::InvalidOrderSize);
    require!(market.paused & pause::TRADING == 0, FulcrumError::MarketPaused);
    Ok(())
}

/// The fill itself, on plain structs: latency checks of the observation `obs` and the market's
/// observation of it ([`observe_fill`]), fill price and slippage ([`quote_fill`]), the signed
/// size (reduce-only: clamped to the position, refused if it would open or grow one), fee
/// ([`fee_rate`]), open interest ([`record_fill`]), the pool's side of the trade
/// ([`settle_pool`]) and its capacity ([`check_capacity`]), and the account's settlement
/// ([`settle_account`]). The size stays inline: as a helper it cost the VM a few compute units. No margin check (see [`check_trade_health`]); on error the
/// caller's transaction (or its restore) undoes it.
#[allow(clippy::too_many_arguments)]
pub fn execute_trade(
    exchange: &Exchange,
    acct: &mut MarginAccount,
    market: &mut PerpMarket,
    pool: &mut LiquidityPool,
    obs: &FillObservation,
    params: &TradeParams,
    clock: &Clock,
    key: &Pubkey,
) -> Result<Filled> {
    let now = clock.unix_timestamp;
    let quote_before = acct.quote_balance;
    let depth = observe_fill(market, pool, obs, clock)?;
    let quote = quote_fill(market, obs, params)?;
    let slot_i = acct.perp_slot(market.index).ok_or(FulcrumError::PerpSlotsFull)?;
    let old = acct.perps[slot_i].position();
    let mut size = i64::try_from(params.base_size).map_err(|_| FulcrumError::InvalidOrderSize)?;
    if params.side == Side::Sell {
        size = -size;
    }
    if params.reduce_only {
        require!(old.base != 0 && (old.base > 0) != (size > 0), FulcrumError::ReduceOnlyWouldIncrease);
        if size.unsigned_abs() > old.base.unsigned_abs() {
            size = -old.base;
        }
    }
    let reducing = is_reducing(old.base, size);
    require!(reducing || !market.is_reduce_only(now), FulcrumError::MarketReduceOnly);
    // A realised gain is paid through the market's PnL cap, as margin counted it.
    let uncapped = market.risk(quote.price);
    let risk = PerpMarketRisk { pnl_haircut: market.pnl_haircut_at(quote.fill_price, depth).math()?, ..uncapped };
    let unpriced = apply_fill(&old, &uncapped, size, quote.fill_price, 0).math()?;
    let fee_rate = fee_rate(market, &old, &unpriced.position, quote.price.oracle, depth)?;
    let fill = apply_fill(&old, &risk, size, quote.fill_price, fee_rate).math()?;
    let (long_before, short_before) = (market.long_base, market.short_base);
    let seq = record_fill(market, &old, &fill, unpriced.realized_pnl, long_before, short_before)?;
    settle_pool(exchange, pool, &fill)?;
    // Open interest moved: the OI premium, the funding rate and the borrow rate follow.
    market.refresh_ratios(quote.price.oracle, now, pool.depth(clock.slot)).math()?;
    let oi_cap = check_capacity(market, pool, quote.price.oracle, long_before, short_before)?;
    super::reputation::on_fill(acct, exchange, market.index, old.base, &fill, now)?;
    let isolated = settle_account(acct, slot_i, &fill)?;
    // A close that leaves the account (or an isolated slot) owing what nothing backs is bad
    // debt from now: LP flows price it in before `resolve_bankruptcy` runs.
    pool.sync_bad_debt(acct).overflow()?;
    let event = trade_event(market, key, seq, size, &quote, &fill, fee_rate, oi_cap);
    let before = PerpExposure {
        position: old,
        market: acct
            .reputation
            .tiered(PerpMarketRisk { pnl_haircut: risk.pnl_haircut, ..market.risk(quote.price) })
            .math()?,
    };
    Ok(Filled { event, reducing, isolated, market_index: market.index, before, quote_before })
}

/// The price a fill is quoted at.
struct FillQuote {
    /// The oracle's observation.
    price: Price,
    /// Latency spread, ppm.
    spread: u32,
    /// Oracle ± the spread.
    fill_price: u64,
}

/// Latency checks of `obs` (never a price older than one already observed, nor older than the
/// market's fill age), then the market observes it: funding, EMA, circuit breaker, and this
/// slot's range. Returns the pool's depth now: LP deposits of this slot are not depth (a flash
/// deposit cannot dilute the impact fee or pin the funding rate).
#[inline(always)]
fn observe_fill(market: &mut PerpMarket, pool: &LiquidityPool, obs: &FillObservation, clock: &Clock) -> Result<u64> {
    let (now, price) = (clock.unix_timestamp, obs.price);
    require!(obs.publish_time >= market.last_publish_time, FulcrumError::OracleOlderThanObserved);
    require!(now.saturating_sub(obs.publish_time) <= i64::from(market.max_fill_age), FulcrumError::OracleTooOldForFill);
    let depth = pool.depth(clock.slot);
    if market.observe(price, obs.publish_time, now, depth).math()? {
        emit_breaker(market, price);
    }
    market.observe_in_slot(price.oracle, clock.slot);
    Ok(depth)
}

/// Oracle ± the spread, from the worse of this slot's observations (after the variance has seen
/// this price), within the trade's limit price.
#[inline(always)]
fn quote_fill(market: &PerpMarket, obs: &FillObservation, params: &TradeParams) -> Result<FillQuote> {
    let price = obs.price;
    let spread = market.fill_spread(obs.conf_ratio).math()?;
    let fill_price = fill_price(params.side == Side::Buy, price.oracle, market.obs_lo, market.obs_hi, spread).math()?;
    match params.side {
        Side::Buy => require!(fill_price <= params.limit_price, FulcrumError::SlippageExceeded),
        Side::Sell => require!(fill_price >= params.limit_price, FulcrumError::SlippageExceeded),
    }
    Ok(FillQuote { price, spread, fill_price })
}

/// The fee rate of a fill that moves the position `old` to `new`: base, plus the impact of the
/// skew the trade leaves (a skew-reducing trade pays base).
#[inline(always)]
fn fee_rate(market: &PerpMarket, old: &PerpPosition, new: &PerpPosition, oracle: u64, depth: u64) -> Result<u32> {
    let mut after = *market;
    after.update_open_interest(old, new).overflow()?;
    let rate = trade_fee_rate(
        market.taker_fee,
        market.skew(oracle, depth).math()?,
        after.skew(oracle, depth).math()?,
        &market.dynamic_params(),
    )
    .math()?;
    Ok(rate)
}

/// The market's side of the fill: open interest (caps bind only on the side that grows, from
/// `long_before`, `short_before`), withheld PnL, fees, volume. Returns the trade's sequence number.
#[inline(always)]
fn record_fill(
    market: &mut PerpMarket,
    old: &PerpPosition,
    fill: &FillOutcome,
    uncapped_pnl: i64,
    long_before: u64,
    short_before: u64,
) -> Result<u64> {
    market.update_open_interest(old, &fill.position).overflow()?;
    require!(
        (market.long_base <= long_before || market.long_base <= market.long_oi_cap)
            && (market.short_base <= short_before || market.short_base <= market.short_oi_cap),
        FulcrumError::OpenInterestCapExceeded
    );
    market.record_withheld(uncapped_pnl, fill.realized_pnl);
    market.fees_collected = market.fees_collected.checked_add(fill.fee).overflow()?;
    market.volume = market.volume.saturating_add(fill.fill_quote);
    let seq = market.trade_seq;
    market.trade_seq = seq.checked_add(1).overflow()?;
    Ok(seq)
}

/// The pool pays realised profits, takes realised losses and the fee, less the insurance fund's
/// share of it.
#[inline(always)]
fn settle_pool(exchange: &Exchange, pool: &mut LiquidityPool, fill: &FillOutcome) -> Result<()> {
    let to_insurance = fulcrum_risk::fixed::mul_div_floor(
        u128::from(fill.fee),
        u128::from(exchange.insurance_fee_share),
        u128::from(fulcrum_risk::RATIO_ONE),
    )
    .math()?;
    let to_insurance = u64::try_from(to_insurance).map_err(|_| FulcrumError::MathOverflow)?;
    let to_pool = fill.fee - to_insurance;
    let pool_delta = i128::from(to_pool) - i128::from(fill.realized_pnl);
    pool.balance =
        u64::try_from(i128::from(pool.balance) + pool_delta).map_err(|_| FulcrumError::InsufficientPoolLiquidity)?;
    pool.insurance_balance = pool.insurance_balance.checked_add(to_insurance).overflow()?;
    pool.fees_earned = pool.fees_earned.checked_add(to_pool).overflow()?;
    Ok(())
}

/// The account's side of the fill in perp slot `slot_i`: PnL and fee settle into the isolated
/// collateral of an isolated position, into the quote balance otherwise; the position is
/// written (and the slot freed when closed). Returns whether the position is isolated.
#[inline(always)]
fn settle_account(acct: &mut MarginAccount, slot_i: usize, fill: &FillOutcome) -> Result<bool> {
    let fee = i64::try_from(fill.fee).map_err(|_| FulcrumError::MathOverflow)?;
    let settled = if acct.perps[slot_i].is_isolated() {
        &mut acct.perps[slot_i].isolated_collateral
    } else {
        &mut acct.quote_balance
    };
    *settled = settled.checked_add(fill.realized_pnl).and_then(|q| q.checked_sub(fee)).overflow()?;
    acct.fees_paid = acct.fees_paid.checked_add(fill.fee).overflow()?;
    let slot = &mut acct.perps[slot_i];
    slot.set_position(&fill.position);
    slot.realized_pnl = slot.realized_pnl.checked_add(fill.realized_pnl).overflow()?;
    if fill.position.base == 0 {
        slot.realized_pnl = 0;
    }
    let isolated = slot.is_isolated();
    acct.compact_perp(slot_i);
    Ok(isolated)
}

/// The trade event of a fill (leverage and health state filled in after the margin check).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn trade_event(
    market: &PerpMarket,
    key: &Pubkey,
    seq: u64,
    size: i64,
    quote: &FillQuote,
    fill: &FillOutcome,
    fee_rate: u32,
    oi_cap: u64,
) -> TradeEvent {
    TradeEvent {
        seq,
        margin_account: *key,
        market_index: market.index,
        base_delta: size,
        price: quote.fill_price,
        fill_quote: fill.fill_quote,
        fee: fill.fee,
        realized_pnl: fill.realized_pnl,
        base_after: fill.position.base,
        leverage: 0,
        health_state: 0,
        init_ratio: market.effective_init_ratio.max(market.init_margin_ratio),
        maint_ratio: market.effective_maint_ratio.max(market.maint_margin_ratio),
        fee_rate,
        oracle_price: quote.price.oracle,
        spread: quote.spread,
        borrow_rate: market.borrow_rate,
        insurance_oi_cap: oi_cap,
    }
}

/// The margin check after a fill (the market and pool written back: they may be among the
/// health accounts). A reducing trade is an exit: an unfit oracle elsewhere in the account does
/// not block it. Fails with `TradeExceedsInitialMargin`, `AccountInMarginCall` or
/// `TradeLowersFreeCollateral` ([`is_margin_error`]).
pub fn check_trade_health(
    exchange: &Exchange,
    exchange_key: &Pubkey,
    acct: &mut MarginAccount,
    key: &Pubkey,
    filled: &Filled,
    remaining: &[AccountInfo],
    clock: &Clock,
) -> Result<AccountHealth> {
    let (reducing, isolated, market_index) = (filled.reducing, filled.isolated, filled.market_index);
    let pricing = if reducing { Pricing::Exit } else { Pricing::Strict };
    let mut inputs =
        load_health_inputs_with(acct, exchange_key, exchange.quote_decimals, remaining, clock.unix_timestamp, pricing)?;
    let main = inputs.main_health(acct.quote_balance, exchange)?;
    cu::phase("margin computed");
    observe(acct, key, &main, exchange, clock.slot)?;
    cu::phase("observe (margin-call record)");
    // An isolated trade is checked against the position's own collateral only.
    let iso = acct.find_perp(market_index).and_then(|i| inputs.isolated_index(i));
    let health = match (isolated, iso) {
        (true, Some(k)) => inputs.isolated_health(k, acct, exchange)?,
        _ => main,
    };
    if !reducing {
        require!(health.init.is_met(), FulcrumError::TradeExceedsInitialMargin);
        require!(isolated || acct.in_margin_call == 0, FulcrumError::AccountInMarginCall);
    } else if inputs.portfolio && !isolated && !health.init.is_met() {
        // Reducing by size is not reducing by risk in portfolio: compare with the account before.
        let was = inputs.main_health_with(market_index, acct, filled.before, filled.quote_before, exchange)?;
        require!(portfolio_reduction_allowed(&was.init, &health.init), FulcrumError::TradeLowersFreeCollateral);
    }
    Ok(health)
}

/// Whether `e` is one of [`check_trade_health`]'s margin refusals.
pub fn is_margin_error(e: &Error) -> bool {
    [
        FulcrumError::TradeExceedsInitialMargin,
        FulcrumError::AccountInMarginCall,
        FulcrumError::TradeLowersFreeCollateral,
    ]
    .iter()
    .any(|m| is_error(e, *m))
}

/// The trade event with the account's leverage and health state after the fill.
pub fn emit_trade(filled: &Filled, health: &AccountHealth) {
    crate::emit_event!(TradeEvent {
        leverage: health.leverage.unwrap_or(u64::MAX),
        health_state: health.state as u8,
        ..filled.event
    });
}

/// The pool's capacity after a fill at `price` (issue 13 §3, §4), binding only a side that grew:
/// its open interest notional must fit the reserve (`reserve_factor` × pool balance) and the
/// insurance-aware cap (what a `oi_shock` move loses beyond maintenance must fit in insurance +
/// `oi_pool_fraction` × pool balance). Returns that cap (quote native notional per side) for the
/// trade event.
fn check_capacity(
    market: &PerpMarket,
    pool: &LiquidityPool,
    price: u64,
    long_before: u64,
    short_before: u64,
) -> Result<u64> {
    let maint = market.effective_maint_ratio.max(market.maint_margin_ratio);
    let cap = insurance_oi_cap(pool.insurance_balance, pool.balance, market.oi_pool_fraction, market.oi_shock, maint);
    for (base, before) in [(market.long_base, long_before), (market.short_base, short_before)] {
        if base <= before {
            continue;
        }
        let notional = side_notional(base, price).math()?;
        require!(reserve_ok(notional, market.reserve_factor, pool.balance), FulcrumError::ReserveExceeded);
        require!(notional <= u128::from(cap), FulcrumError::InsuranceOiLimitExceeded);
    }
    Ok(cap)
}

/// Records a circuit-breaker trip.
pub fn emit_breaker(market: &PerpMarket, price: Price) {
    crate::emit_event!(CircuitBreakerEvent {
        market_index: market.index,
        oracle_price: price.oracle,
        ema_price: price.ema,
        reduce_only_until: market.reduce_only_until,
    });
}
