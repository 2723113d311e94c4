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
    /// Fill price (the oracle price).
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
