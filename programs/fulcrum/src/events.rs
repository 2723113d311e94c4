//! Events (`emit!`, in the transaction logs). Amounts in native units, prices in engine units
//! (quote native per base native × 10¹²), leverage in ppm (`u64::MAX` = unbounded).

use anchor_lang::prelude::*;

/// Emits an event as `emit!` does: discriminator + borsh, base64, in the transaction log.
///
/// On chain this is the `sol_log_data` syscall ("Program data: <base64>"). Natively (program-test,
/// the local chain) Anchor's log shim drops event data, so the same bytes are logged through the
/// runtime's log stub as "Program log: data: <base64>"; the test harness and the SDK read both.
#[macro_export]
macro_rules! emit_event {
    ($event:expr) => {{
        let data = anchor_lang::Event::data(&$event);
        $crate::events::log_event_data(&data);
    }};
}

/// Writes serialized event bytes to the transaction log (see [`emit_event!`]).
pub fn log_event_data(data: &[u8]) {
    #[cfg(target_os = "solana")]
    solana_program::log::sol_log_data(&[data]);
    #[cfg(not(target_os = "solana"))]
    {
        use base64::Engine;
        let text = base64::engine::general_purpose::STANDARD.encode(data);
        solana_program::program_stubs::sol_log(&format!("data: {text}"));
    }
}

#[event]
pub struct DepositEvent {
    pub margin_account: Pubkey,
    pub depositor: Pubkey,
    pub bank_index: u16,
    pub amount: u64,
}

#[event]
pub struct WithdrawEvent {
    pub margin_account: Pubkey,
    pub owner: Pubkey,
    pub bank_index: u16,
    pub amount: u64,
    /// Initial-margin free collateral left, quote native units.
    pub free_collateral: i64,
}

#[event]
pub struct TradeEvent {
    pub seq: u64,
    pub margin_account: Pubkey,
    pub market_index: u16,
    /// Signed base filled: positive bought, negative sold.
    pub base_delta: i64,
    /// Fill price: the oracle price ± the spread (`oracle_price`, `spread` below).
    pub price: u64,
    /// Quote value of the fill.
    pub fill_quote: u64,
    pub fee: u64,
    /// PnL realised by the fill (funding included).
    pub realized_pnl: i64,
    /// Position after the fill.
    pub base_after: i64,
    /// Effective leverage after the fill, ppm (`u64::MAX` when equity ≤ 0).
    pub leverage: u64,
    /// Health state after the fill (`fulcrum_risk::HealthState`).
    pub health_state: u8,
    /// The market's effective initial and maintenance ratios after the fill, ppm.
    pub init_ratio: u32,
    pub maint_ratio: u32,
    /// Fee rate charged, ppm (base + skew impact).
    pub fee_rate: u32,
    /// Oracle price the fill was priced from, engine units.
    pub oracle_price: u64,
    /// Latency spread of the fill, ppm (`fulcrum_risk::fill_spread`): the trader's cost, the
    /// pool's revenue, through the fill price.
    pub spread: u32,
    /// The market's borrow rate after the fill, ppm of notional per hour.
    pub borrow_rate: u64,
    /// Insurance-aware open-interest cap per side after the fill, quote native notional
    /// (`u64::MAX`: none; see `fulcrum_risk::insurance_oi_cap`).
    pub insurance_oi_cap: u64,
}

#[event]
pub struct LpDepositEvent {
    pub provider: Pubkey,
    pub amount: u64,
    pub shares: u64,
    /// Pool value before the deposit, quote native units.
    pub pool_value: i64,
}

#[event]
pub struct LpWithdrawEvent {
    pub provider: Pubkey,
    pub amount: u64,
    pub shares: u64,
    /// Pool value before the withdrawal, quote native units.
    pub pool_value: i64,
}

#[event]
pub struct MarginCallEvent {
    pub margin_account: Pubkey,
    /// Slot the margin call began.
    pub slot: u64,
    /// Maintenance equity and requirement when observed.
    pub equity: i64,
    pub requirement: i64,
}

#[event]
pub struct MarginCallClearedEvent {
    pub margin_account: Pubkey,
    pub slot: u64,
    pub equity: i64,
    pub requirement: i64,
}

#[event]
pub struct LiquidationEvent {
    pub margin_account: Pubkey,
    pub liquidator: Pubkey,
    pub market_index: u16,
    /// Signed base closed (opposite to the position).
    pub base_closed: i64,
    pub price: u64,
    pub realized_pnl: i64,
    pub liquidator_fee: u64,
    pub insurance_fee: u64,
    pub equity_before: i64,
    pub requirement_before: i64,
    pub leverage_before: u64,
    pub equity_after: i64,
    pub requirement_after: i64,
    pub leverage_after: u64,
}

/// An auto-deleveraging close (`auto_deleverage`).
#[event]
pub struct AutoDeleverageEvent {
    pub margin_account: Pubkey,
    pub keeper: Pubkey,
    pub market_index: u16,
    /// Signed base closed (opposite to the position).
    pub base_closed: i64,
    pub price: u64,
    /// Paid to the account, through the PnL cap.
    pub realized_pnl: i64,
    /// Profit the cap kept with the pool.
    pub withheld: i64,
    /// Winners' profit / pool cash, ppm, before and after.
    pub ratio_before: u64,
    pub ratio_after: u64,
}

#[event]
pub struct CollateralLiquidationEvent {
    pub margin_account: Pubkey,
    pub liquidator: Pubkey,
    pub bank_index: u16,
    pub repaid: u64,
    pub collateral_out: u64,
    pub price: u64,
    pub equity_before: i64,
    pub equity_after: i64,
}

#[event]
pub struct BankruptcyEvent {
    pub margin_account: Pubkey,
    pub debt: u64,
    pub insurance_paid: u64,
    pub socialised: u64,
    pub uncovered: u64,
    /// Bad debt socialised to LPs, ever (after this one).
    pub socialised_total: u64,
}

#[event]
pub struct InsuranceEvent {
    pub actor: Pubkey,
    /// Positive deposited, negative withdrawn.
    pub amount: i64,
    pub balance: u64,
}

/// `i128` quote amounts in events, saturating at the `i64` range.
pub fn sat_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

#[event]
pub struct CircuitBreakerEvent {
    pub market_index: u16,
    pub oracle_price: u64,
    pub ema_price: u64,
    /// Reduce-only until this unix time (extended while the price stays outside the band).
    pub reduce_only_until: i64,
}

#[event]
pub struct MarketStateEvent {
    pub market_index: u16,
    /// EWMA variance, ppm² per second.
    pub variance: u64,
    pub effective_init_ratio: u32,
    pub effective_maint_ratio: u32,
    /// ppm of price per hour; positive: longs pay.
    pub funding_rate: i64,
    pub reduce_only_until: i64,
    pub paused: u8,
    /// ppm of notional per hour, paid by both sides to the pool.
    pub borrow_rate: u64,
}

impl MarketStateEvent {
    /// The market's dynamic state and pause flags now.
    pub fn of(market: &crate::state::PerpMarket) -> Self {
        Self {
            market_index: market.index,
            variance: market.variance,
            effective_init_ratio: market.effective_init_ratio,
            effective_maint_ratio: market.effective_maint_ratio,
            funding_rate: market.funding_rate,
            reduce_only_until: market.reduce_only_until,
            paused: market.paused,
            borrow_rate: market.borrow_rate,
        }
    }
}

#[event]
pub struct ExchangePausedEvent {
    pub exchange: Pubkey,
    /// `state::pause` flags now in force (0: everything running).
    pub flags: u8,
}

#[event]
pub struct IsolatedCollateralEvent {
    pub margin_account: Pubkey,
    pub market_index: u16,
    /// Moved into the position (positive) or back to the account's quote balance (negative).
    pub amount: i64,
    /// The position's collateral afterwards.
    pub isolated_collateral: i64,
}

#[event]
pub struct MarginModeEvent {
    pub margin_account: Pubkey,
    /// `fulcrum_risk::MarginMode` as u8.
    pub mode: u8,
    /// Account equity at full value when it switched.
    pub equity: i64,
    /// Equity and requirement in the new mode, initial then maintenance.
    pub init_equity: i64,
    pub init_requirement: i64,
    pub maint_equity: i64,
    pub maint_requirement: i64,
}

#[event]
pub struct CorrelationsEvent {
    pub exchange: Pubkey,
    pub num_assets: u8,
    pub floor: u32,
    pub min_equity: u64,
}

// --- orders (issue 16)

#[event]
pub struct OrderPlaced {
    pub margin_account: Pubkey,
    pub order_id: u64,
    pub client_id: u64,
    pub market_index: u16,
    /// `OrderKind` as u8.
    pub kind: u8,
    /// 0 Buy, 1 Sell.
    pub side: u8,
    pub reduce_only: bool,
    /// 0 with `whole_position` (reduce-only triggers: the whole position at execution).
    pub base_size: u64,
    pub trigger_price: u64,
    pub limit_price: u64,
    pub placed_ts: i64,
    pub max_ts: i64,
    /// Lamports escrowed for the executor.
    pub fee: u64,
    /// false: placed; true: an existing order modified (same id, new placement time).
    pub modified: bool,
}

#[event]
pub struct OrderExecuted {
    pub margin_account: Pubkey,
    pub order_id: u64,
    pub market_index: u16,
    /// Signed base filled.
    pub base_delta: i64,
    /// Fill price, engine units.
    pub price: u64,
    /// Publish time of the oracle price that filled it (after the order's placement).
    pub publish_time: i64,
    /// Lamports paid to the keeper.
    pub fee: u64,
    pub keeper: Pubkey,
}

#[event]
pub struct OrderCancelled {
    pub margin_account: Pubkey,
    pub order_id: u64,
    pub market_index: u16,
    /// `state::cancel_reason`.
    pub reason: u8,
    /// Lamports released from escrow.
    pub fee: u64,
    /// Who received them: the owner (a refund), the keeper or the liquidator.
    pub fee_to: Pubkey,
}

/// A margin account's reputation tier changed (issue 18 §1): by `refresh_reputation`, or down at
/// once by a liquidation or bankruptcy.
#[event]
pub struct TierChangedEvent {
    pub margin_account: Pubkey,
    pub old_tier: u8,
    pub new_tier: u8,
    /// The new tier's initial-margin multiplier, ppm (0: tiers off, 1×).
    pub init_multiplier: u32,
    /// 0: `refresh_reputation`; 1: liquidation; 2: bankruptcy.
    pub cause: u8,
    pub unix_timestamp: i64,
}
