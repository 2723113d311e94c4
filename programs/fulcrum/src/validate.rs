//! Parameter checks, one rule per line: a refusal logs the field, its value and its bound, then
//! fails with the rule's error. The rules that tie exchange-wide parameters to a bank's or a
//! market's are pure functions in `fulcrum_risk::params`; the exchange keeps the tightest bank
//! weight and market ratio listed so that an exchange update can be checked against all of them
//! without loading them (see [`Exchange::max_maint_asset_weight`]).

use anchor_lang::prelude::*;
use fulcrum_risk::{
    discount_fits, fill_age_fits, liquidation_fee_fits, max_discount, MAX_BASE_DECIMALS, MAX_ORACLE_AGE_SECS,
};

use crate::error::FulcrumError;
use crate::state::Exchange;

/// Writes `text` to the transaction log, natively too (as `events::log_event_data` does; `msg!`
/// prints to stdout off chain), so tests read which rule refused.
pub(crate) fn log(text: &str) {
    #[cfg(target_os = "solana")]
    solana_program::log::sol_log(text);
    #[cfg(not(target_os = "solana"))]
    solana_program::program_stubs::sol_log(text);
}

/// `value` of `field` must lie in `lo..=hi`.
pub fn in_range(field: &str, value: u64, lo: u64, hi: u64, e: FulcrumError) -> Result<()> {
    if (lo..=hi).contains(&value) {
        return Ok(());
    }
    log(&format!("{field} = {value}: outside {lo}..={hi}"));
    Err(error!(e))
}

/// An oracle age for trading and margin: 1..=[`MAX_ORACLE_AGE_SECS`].
pub fn oracle_age(field: &str, secs: u32) -> Result<()> {
    in_range(field, secs.into(), 1, u64::MAX, FulcrumError::InvalidParameter)?;
    in_range(field, secs.into(), 0, MAX_ORACLE_AGE_SECS.into(), FulcrumError::OracleAgeTooLong)
}

/// A market's fill age: 1..=`max_oracle_age` ([`fill_age_fits`]).
pub fn fill_age(field: &str, secs: u32, max_oracle_age: u32) -> Result<()> {
    in_range(field, secs.into(), 1, max_oracle_age.into(), FulcrumError::FillAgeOutOfRange)?;
    // The engine's rule, which the range above spells out.
    require!(fill_age_fits(secs, max_oracle_age), FulcrumError::FillAgeOutOfRange);
    Ok(())
}

/// Decimals of a market's base or a collateral mint: ≤ [`MAX_BASE_DECIMALS`].
pub fn base_decimals(field: &str, decimals: u8) -> Result<()> {
    in_range(field, decimals.into(), 0, MAX_BASE_DECIMALS.into(), FulcrumError::BaseDecimalsOutOfRange)
}

/// A bank of maintenance weight `w` under the exchange's discount `d` and debt weight `L`:
/// `d < 1 − w / L`, or a collateral liquidation sells the balance without restoring health.
pub fn discount_fits_weight(w: u32, liability_weight: u32, discount: u32) -> Result<()> {
    if discount_fits(w, liability_weight, discount) {
        return Ok(());
    }
    log(&format!(
        "collateral_liquidation_discount = {discount}: must be ≤ {:?} (< 1 − maint_asset_weight {w} / \
         quote_maint_liability_weight {liability_weight})",
        max_discount(w, liability_weight),
    ));
    Err(error!(FulcrumError::CollateralDiscountTooLarge))
}

/// A market of maintenance ratio `m` under the exchange's liquidation fees `f` (liquidator +
/// insurance): `f < m`, or a liquidation closes the whole position.
pub fn fee_fits_ratio(maint_margin_ratio: u32, liquidator_fee: u32, insurance_fee: u32) -> Result<()> {
    let fee = u64::from(liquidator_fee) + u64::from(insurance_fee);
    if liquidation_fee_fits(maint_margin_ratio, fee) {
        return Ok(());
    }
    log(&format!("liquidator_fee + insurance_fee = {fee}: must be < maint_margin_ratio {maint_margin_ratio}"));
    Err(error!(FulcrumError::LiquidationFeeTooLarge))
}

/// A bank of maintenance weight `w` fits the exchange's discount; the exchange records it.
pub fn admit_bank_weight(exchange: &mut Exchange, w: u32) -> Result<()> {
    discount_fits_weight(w, exchange.quote_maint_liability_weight, exchange.collateral_liquidation_discount)?;
    exchange.max_maint_asset_weight = exchange.max_maint_asset_weight.max(w);
    Ok(())
}

/// A market of maintenance ratio `m` fits the exchange's fees; the exchange records it.
pub fn admit_market_ratio(exchange: &mut Exchange, m: u32) -> Result<()> {
    fee_fits_ratio(m, exchange.liquidator_fee, exchange.insurance_fee)?;
    if exchange.min_maint_margin_ratio == 0 || m < exchange.min_maint_margin_ratio {
        exchange.min_maint_margin_ratio = m;
    }
    Ok(())
}

/// A market's PnL cap replacing `old` by `new` (ppm of pool cash): the markets' caps together fit
/// the pool (Σ ≤ 100%), so every market's capped winners can be paid at once. The exchange
/// records the sum.
pub fn admit_pnl_factor(exchange: &mut Exchange, old: u32, new: u32) -> Result<()> {
    let sum = exchange.pnl_factor_sum.saturating_sub(u64::from(old)).saturating_add(u64::from(new));
    if sum > fulcrum_risk::RATIO_ONE {
        log(&format!("max_pnl_factor = {new}: the markets' caps would sum to {sum} > 1000000"));
        return Err(error!(FulcrumError::PnlFactorBudgetExceeded));
    }
    exchange.pnl_factor_sum = sum;
    Ok(())
}
