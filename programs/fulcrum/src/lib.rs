//! Fulcrum: a leveraged-derivatives margin engine.
//!
//! Traders keep collateral and perpetual positions in margin accounts, trade against the
//! liquidity pool at the Pyth price plus a fee, and must meet initial margin on every
//! risk-increasing trade and withdrawal. All margin math is `fulcrum_risk`; this crate is
//! accounts, checks and token movements. The dispatcher below is thin: one handler per file in
//! `instructions/`.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![allow(ambiguous_glob_reexports, unexpected_cfgs)]
// scripts/build-sbf.sh (upstream LLVM, `--cfg sbf_upstream_llvm`): its 128-bit libcalls need
// rustc's internal ABI (see `sbf.rs`). Not set by `cargo build-sbf`, whose toolchain has its own.
#![cfg_attr(sbf_upstream_llvm, feature(abi_unadjusted), allow(internal_features))]

use anchor_lang::prelude::*;

pub mod error;
pub mod events;
pub mod health;
pub mod instructions;
pub mod oracle;
pub mod pool;
pub mod seeds;
pub mod state;
pub mod token;
pub mod validate;

#[cfg(any(sbf_upstream_llvm, test))]
mod sbf;
#[cfg(sbf_upstream_llvm)]
use solana_compiler_builtins as _;

use instructions::*;

declare_id!("FuLcMkoFUKUPH5wzGiZRs744Zee4krNbRMQhdZHyLUVL");

#[program]
pub mod fulcrum {
    use super::*;

    // ----- admin

    pub fn initialize_exchange(
        ctx: Context<InitializeExchange>,
        exchange_id: u16,
        params: ExchangeParams,
        quote_deposit_cap: u64,
    ) -> Result<()> {
        instructions::initialize_exchange::handler(ctx, exchange_id, params, quote_deposit_cap)
    }

    pub fn add_collateral_bank(
        ctx: Context<AddCollateralBank>,
        bank_index: u16,
        oracle_kind: u8,
        feed_id: [u8; 32],
        params: BankParams,
    ) -> Result<()> {
        instructions::add_collateral_bank::handler(ctx, bank_index, oracle_kind, feed_id, params)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn add_perp_market(
        ctx: Context<AddPerpMarket>,
        market_index: u16,
        name: [u8; 16],
        base_decimals: u8,
        oracle_kind: u8,
        feed_id: [u8; 32],
        params: MarketParams,
    ) -> Result<()> {
        instructions::add_perp_market::handler(ctx, market_index, name, base_decimals, oracle_kind, feed_id, params)
    }

    pub fn update_exchange_params(ctx: Context<UpdateExchange>, params: ExchangeParams) -> Result<()> {
        instructions::update_params::update_exchange_params(ctx, params)
    }

    pub fn set_paused(ctx: Context<UpdateExchange>, flags: u8) -> Result<()> {
        instructions::update_params::set_paused(ctx, flags)
    }

    pub fn update_bank_params(ctx: Context<UpdateBank>, params: BankParams) -> Result<()> {
        instructions::update_params::update_bank_params(ctx, params)
    }

    pub fn set_correlations(ctx: Context<SetCorrelations>, params: CorrelationParams) -> Result<()> {
        instructions::set_correlations::handler(ctx, params)
    }

    pub fn update_market_params(ctx: Context<UpdateMarket>, params: MarketParams) -> Result<()> {
        instructions::update_params::update_market_params(ctx, params)
    }

    /// Admin: points a market at another oracle account, with the checks of listing (Pyth
    /// format, owner, layout, feed, verification) and a price trading would accept now.
    pub fn set_market_oracle(ctx: Context<SetMarketOracle>, oracle_kind: u8, feed_id: [u8; 32]) -> Result<()> {
        instructions::set_oracle::set_market_oracle(ctx, oracle_kind, feed_id)
    }

    /// Admin: points a collateral bank at another oracle account (checked as
    /// `set_market_oracle`) and sets the oldest last valid price a liquidation may use
    /// (`liquidation_max_age`, seconds, ≤ 3,600). Not the quote bank.
    pub fn set_bank_oracle(
        ctx: Context<SetBankOracle>,
        oracle_kind: u8,
        feed_id: [u8; 32],
        liquidation_max_age: u32,
    ) -> Result<()> {
        instructions::set_oracle::set_bank_oracle(ctx, oracle_kind, feed_id, liquidation_max_age)
    }

    /// Admin: winds a market down. `status` 1 makes it reduce-only (0 undoes that); 2 settles
    /// it at `settlement_price` (0: the last valid oracle price, published within
    /// `liquidation_max_age`), after which it trades no more and `settle_position` closes every
    /// position at that price; 3 closes it once no open interest is left.
    pub fn set_market_status(ctx: Context<UpdateMarket>, status: u8, settlement_price: u64) -> Result<()> {
        instructions::wind_down::set_market_status(ctx, status, settlement_price)
    }

    // ----- traders

    pub fn create_margin_account(ctx: Context<CreateMarginAccount>, sub_account_id: u16) -> Result<()> {
        instructions::create_margin_account::handler(ctx, sub_account_id)
    }

    pub fn set_delegate(ctx: Context<SetDelegate>, delegate: Pubkey) -> Result<()> {
        instructions::set_delegate::handler(ctx, delegate)
    }

    pub fn deposit<'info>(ctx: Context<'info, Deposit<'info>>, amount: u64) -> Result<()> {
        instructions::deposit::handler(ctx, amount)
    }

    pub fn withdraw<'info>(ctx: Context<'info, Withdraw<'info>>, amount: u64) -> Result<()> {
        instructions::withdraw::handler(ctx, amount)
    }

    pub fn place_perp_trade<'info>(ctx: Context<'info, PlacePerpTrade<'info>>, params: TradeParams) -> Result<()> {
        instructions::place_perp_trade::handler(ctx, params)
    }

    pub fn transfer_isolated_collateral<'info>(
        ctx: Context<'info, TransferIsolatedCollateral<'info>>,
        amount: i64,
    ) -> Result<()> {
        instructions::transfer_isolated_collateral::handler(ctx, amount)
    }

    pub fn set_margin_mode<'info>(ctx: Context<'info, SetMarginMode<'info>>, mode: u8) -> Result<()> {
        instructions::set_margin_mode::handler(ctx, mode)
    }

    pub fn close_margin_account(ctx: Context<CloseMarginAccount>) -> Result<()> {
        instructions::close_margin_account::handler(ctx)
    }

    // ----- keepers

    pub fn crank_market(ctx: Context<CrankMarket>) -> Result<()> {
        instructions::crank_market::handler(ctx)
    }

    pub fn set_market_paused(ctx: Context<UpdateMarket>, flags: u8) -> Result<()> {
        instructions::update_params::set_market_paused(ctx, flags)
    }

    pub fn refresh_health<'info>(ctx: Context<'info, RefreshHealth<'info>>) -> Result<()> {
        instructions::refresh_health::handler(ctx)
    }

    pub fn liquidate_perp<'info>(ctx: Context<'info, LiquidatePerp<'info>>) -> Result<()> {
        instructions::liquidate_perp::handler(ctx)
    }

    /// Permissionless: while a market's winners' profit / pool cash is above its
    /// `adl_threshold`, closes (part of) the account's winning position there at the oracle
    /// price, paid through the PnL cap, never taking the ratio below `adl_floor`.
    pub fn auto_deleverage(ctx: Context<AutoDeleverage>) -> Result<()> {
        instructions::auto_deleverage::handler(ctx)
    }

    pub fn liquidate_collateral<'info>(ctx: Context<'info, LiquidateCollateral<'info>>, max_repay: u64) -> Result<()> {
        instructions::liquidate_collateral::handler(ctx, max_repay)
    }

    /// Permissionless: closes an account's position in a settled market at the settlement price
    /// (funding settled, no fee) and returns an isolated slot's collateral to the account.
    pub fn settle_position(ctx: Context<SettlePosition>) -> Result<()> {
        instructions::wind_down::settle_position(ctx)
    }

    pub fn resolve_bankruptcy(ctx: Context<ResolveBankruptcy>) -> Result<()> {
        instructions::resolve_bankruptcy::handler(ctx)
    }

    // ----- insurance fund

    pub fn insurance_deposit(ctx: Context<InsuranceDeposit>, amount: u64) -> Result<()> {
        instructions::insurance::deposit(ctx, amount)
    }

    pub fn insurance_withdraw(ctx: Context<InsuranceWithdraw>, amount: u64) -> Result<()> {
        instructions::insurance::withdraw(ctx, amount)
    }

    // ----- liquidity providers

    pub fn lp_deposit<'info>(ctx: Context<'info, LpDeposit<'info>>, amount: u64, min_shares_out: u64) -> Result<()> {
        instructions::lp_deposit::handler(ctx, amount, min_shares_out)
    }

    pub fn lp_withdraw<'info>(ctx: Context<'info, LpWithdraw<'info>>, shares: u64, min_amount_out: u64) -> Result<()> {
        instructions::lp_withdraw::handler(ctx, shares, min_amount_out)
    }

    /// Mints a provider's LP shares once their cooldown has passed.
    pub fn lp_claim(ctx: Context<LpClaim>) -> Result<()> {
        instructions::lp_deposit::claim(ctx)
    }

    // ----- orders (issue 16)

    /// Owner: creates the margin account's order book (PDA `["orders", margin_account]`, 32
    /// order slots), paying its rent.
    pub fn create_order_book(ctx: Context<CreateOrderBook>) -> Result<()> {
        instructions::create_order_book::create_order_book(ctx)
    }

    /// Owner: closes the order book, its rent back to the owner; refused while orders are open
    /// (`OrdersStillOpen`).
    pub fn close_order_book(ctx: Context<CloseOrderBook>) -> Result<()> {
        instructions::close_order_book::close_order_book(ctx)
    }

    /// Owner or delegate: rests a Market (delayed), Limit, StopLoss or TakeProfit order in the
    /// order book, escrowing the exchange's `order_fee_lamports` from the trader for its
    /// executor. Only prices published after placement may fill it.
    pub fn place_order(ctx: Context<PlaceOrder>, params: OrderParams) -> Result<()> {
        instructions::place_order::place_order(ctx, params)
    }

    /// Owner or delegate: cancels an open order, its fee back to the owner.
    pub fn cancel_order(ctx: Context<CancelOrder>, order_id: u64) -> Result<()> {
        instructions::cancel_order::cancel_order(ctx, order_id)
    }

    /// Owner or delegate: cancels every open order (of one market when given), fees back to
    /// the owner.
    pub fn cancel_all_orders(ctx: Context<CancelOrder>, market_index: Option<u16>) -> Result<()> {
        instructions::cancel_order::cancel_all_orders(ctx, market_index)
    }

    /// Owner or delegate: replaces an open order's terms (same id and market); it counts as
    /// placed now. Old fee refunded to the owner, the current fee escrowed from the trader.
    pub fn modify_order(ctx: Context<ModifyOrder>, order_id: u64, params: OrderParams) -> Result<()> {
        instructions::modify_order::modify_order(ctx, order_id, params)
    }

    /// Permissionless (keepers): fills an order through `place_perp_trade`'s fill when its
    /// condition holds at a price published after placement, and pays the keeper its fee; an
    /// order that cannot fill for its own reasons is cancelled with the reason (still paid).
    /// Remaining accounts: the margin check's, for the account after the fill (as
    /// `place_perp_trade`).
    pub fn execute_order<'info>(ctx: Context<'info, ExecuteOrder<'info>>, order_id: u64) -> Result<()> {
        instructions::execute_order::execute_order(ctx, order_id)
    }

    /// Permissionless: removes an expired order, its fee to the keeper.
    pub fn cancel_expired_order(ctx: Context<CancelExpiredOrder>, order_id: u64) -> Result<()> {
        instructions::cancel_expired_order::cancel_expired_order(ctx, order_id)
    }
}
