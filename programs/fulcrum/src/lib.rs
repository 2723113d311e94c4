//! Fulcrum: a leveraged-derivatives margin engine.
//!
//! Traders keep collateral and perpetual positions in margin accounts, trade against the
//! liquidity pool at the Pyth price plus a fee, and must meet initial margin on every
//! risk-increasing trade and withdrawal. All margin math is `fulcrum_risk`; this crate is
//! accounts, checks and token movements. The dispatcher below is thin: one instruction per file in
//! `instructions/`, its entry function named after it.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![allow(unexpected_cfgs)]
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
pub mod rate_source;
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

/// Natively (program-test, `fulcrum-testkit`), [`entry`] as the chain runs it, but with the line
/// Anchor logs for a failing instruction (its error, and the file and line that raised it) in
/// the bank's log, where tests read it: off chain Anchor's own `msg!` prints to stdout.
#[cfg(not(target_os = "solana"))]
pub fn native_entry<'info>(
    program_id: &'info Pubkey,
    accounts: &'info [AccountInfo<'info>],
    data: &'info [u8],
) -> anchor_lang::solana_program::entrypoint::ProgramResult {
    try_entry(program_id, accounts, data).map_err(|e| {
        error::log_native(&e);
        e.into()
    })
}

#[program]
pub mod fulcrum {
    use super::*;

    // ----- admin

    /// Admin (the signer becomes the exchange's admin): creates an exchange with its quote bank
    /// (bank 0), quote vault, liquidity pool and LP mint, after checking `params` one rule per line.
    /// No remaining accounts.
    pub fn initialize_exchange(
        ctx: Context<InitializeExchange>,
        exchange_id: u16,
        params: ExchangeParams,
        quote_deposit_cap: u64,
    ) -> Result<()> {
        instructions::initialize_exchange::initialize_exchange(ctx, exchange_id, params, quote_deposit_cap)
    }

    /// Admin: lists a collateral mint as bank `bank_index` (the exchange's next index) with its Pyth
    /// oracle, checked as a price (owner, layout, feed, verification); `params` checked one rule per
    /// line, and its maintenance weight against the exchange's collateral liquidation discount.
    /// SPL Token or Token-2022 (a transfer fee is admitted; a transfer hook, permanent delegate,
    /// non-transferable, confidential transfers or default-frozen state refused by name).
    /// No remaining accounts.
    pub fn add_collateral_bank(
        ctx: Context<AddCollateralBank>,
        bank_index: u16,
        oracle_kind: u8,
        feed_id: [u8; 32],
        params: BankParams,
    ) -> Result<()> {
        instructions::add_collateral_bank::add_collateral_bank(ctx, bank_index, oracle_kind, feed_id, params)
    }

    /// Admin: lists perp market `market_index` (the exchange's next index) on its Pyth oracle, with
    /// `params` checked one rule per line, against the exchange's liquidation fees and the markets'
    /// PnL-cap budget; the oracle's price must be fine enough in engine units. No remaining accounts.
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
        instructions::add_perp_market::add_perp_market(
            ctx,
            market_index,
            name,
            base_decimals,
            oracle_kind,
            feed_id,
            params,
        )
    }

    /// Admin: replaces the exchange-wide risk parameters, checked one rule per line and against
    /// the banks and markets already listed. No remaining accounts.
    pub fn update_exchange_params(ctx: Context<UpdateExchange>, params: ExchangeParams) -> Result<()> {
        instructions::update_params::update_exchange_params(ctx, params)
    }

    /// Admin: sets the exchange's pause flags (`state::pause` bits: deposits, withdrawals,
    /// trading, liquidations, LP flows; 0 resumes everything). No remaining accounts.
    pub fn set_paused(ctx: Context<UpdateExchange>, flags: u8) -> Result<()> {
        instructions::update_params::set_paused(ctx, flags)
    }

    /// Admin: replaces a collateral bank's parameters (weights, oracle age and confidence, deposit
    /// cap), checked as listing checks them. No remaining accounts.
    pub fn update_bank_params(ctx: Context<UpdateBank>, params: BankParams) -> Result<()> {
        instructions::update_params::update_bank_params(ctx, params)
    }

    /// Admin: replaces the whole portfolio-margin configuration (correlation matrix over the
    /// exchange's assets, each bank's and market's asset, floor, minimum equity); each way a matrix can
    /// be wrong has its error. No remaining accounts.
    pub fn set_correlations(ctx: Context<SetCorrelations>, params: CorrelationParams) -> Result<()> {
        instructions::set_correlations::set_correlations(ctx, params)
    }

    /// Admin: replaces a market's parameters, checked as listing checks them (one rule per line,
    /// the exchange's fees, the PnL-cap budget). No remaining accounts.
    pub fn update_market_params(ctx: Context<UpdateMarket>, params: MarketParams) -> Result<()> {
        instructions::update_params::update_market_params(ctx, params)
    }

    /// Admin: points a market at another oracle account, with the checks of listing (Pyth
    /// format, owner, layout, feed, verification) and a price trading would accept now.
    /// No remaining accounts.
    pub fn set_market_oracle(ctx: Context<SetMarketOracle>, oracle_kind: u8, feed_id: [u8; 32]) -> Result<()> {
        instructions::set_oracle::set_market_oracle(ctx, oracle_kind, feed_id)
    }

    /// Admin: points a collateral bank at another oracle account (checked as
    /// `set_market_oracle`) and sets the oldest last valid price a liquidation may use
    /// (`liquidation_max_age`, seconds, ≤ 3,600). Not the quote bank.
    /// No remaining accounts.
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
    /// No remaining accounts.
    pub fn set_market_status(ctx: Context<UpdateMarket>, status: u8, settlement_price: u64) -> Result<()> {
        instructions::wind_down::set_market_status(ctx, status, settlement_price)
    }

    // ----- traders

    /// Anyone, for themselves: opens an empty cross-margin account owned by the signer
    /// (`sub_account_id` tells one owner's accounts apart). No remaining accounts.
    pub fn create_margin_account(ctx: Context<CreateMarginAccount>, sub_account_id: u16) -> Result<()> {
        instructions::create_margin_account::create_margin_account(ctx, sub_account_id)
    }

    /// The account's owner: lets `delegate` trade (never withdraw) for the account;
    /// `Pubkey::default()` removes it. No remaining accounts.
    pub fn set_delegate(ctx: Context<SetDelegate>, delegate: Pubkey) -> Result<()> {
        instructions::set_delegate::set_delegate(ctx, delegate)
    }

    /// Deposits `amount` of the bank's mint into a margin account. Quote: anyone (it repays debt
    /// first); other collateral: the owner or the delegate only. Capped by the bank's deposit cap.
    /// Remaining accounts: the bank's mint (required for Token-2022, `transfer_checked`), then
    /// (optional, quote only) the account's margin-check accounts (`health` module order), so a
    /// top-up below initial margin is exempt from the quote cap. Credits what the vault received.
    pub fn deposit<'info>(ctx: Context<'info, Deposit<'info>>, amount: u64) -> Result<()> {
        instructions::deposit::deposit(ctx, amount)
    }

    /// The account's owner: withdraws `amount` of the bank's mint to a token account of theirs.
    /// Quote may not go below zero; the account must meet initial margin afterwards. Remaining
    /// accounts: the bank's mint (required for Token-2022), then the margin check's (`health`
    /// module order), for the account after the withdrawal. A transfer fee is the owner's.
    pub fn withdraw<'info>(ctx: Context<'info, Withdraw<'info>>, amount: u64) -> Result<()> {
        instructions::withdraw::withdraw(ctx, amount)
    }

    /// The owner or the delegate: trades `params.base_size` against the pool at the oracle price ±
    /// the latency spread plus the taker fee, within `params.limit_price`. A risk-increasing trade must
    /// leave the account (or the isolated position) at initial margin; a reducing one is always
    /// allowed (portfolio: if it does not lower free collateral below initial margin). Remaining
    /// accounts: the margin check's (`health` module order), for the account after the trade.
    pub fn place_perp_trade<'info>(ctx: Context<'info, PlacePerpTrade<'info>>, params: TradeParams) -> Result<()> {
        instructions::place_perp_trade::place_perp_trade(ctx, params)
    }

    /// The owner or the delegate: moves quote between the account's balance and its isolated
    /// position in `market` (`amount` > 0 in, opening the slot; < 0 out). The side it leaves must stay
    /// at initial margin. Remaining accounts: the margin check's, for the account after.
    pub fn transfer_isolated_collateral<'info>(
        ctx: Context<'info, TransferIsolatedCollateral<'info>>,
        amount: i64,
    ) -> Result<()> {
        instructions::transfer_isolated_collateral::transfer_isolated_collateral(ctx, amount)
    }

    /// The account's owner: switches the account between cross and portfolio margin (`mode`:
    /// `fulcrum_risk::MarginMode` as u8).
    /// Portfolio needs the exchange's minimum equity; back to cross must keep initial margin.
    /// Remaining accounts: the margin check's (without the correlations, which are named), then the
    /// pool when the account holds a perp slot.
    pub fn set_margin_mode<'info>(ctx: Context<'info, SetMarginMode<'info>>, mode: u8) -> Result<()> {
        instructions::set_margin_mode::set_margin_mode(ctx, mode)
    }

    /// The account's owner: closes an empty margin account (no balances, no positions, no order
    /// book: `OrderBookStillOpen`) and returns its rent. No remaining accounts.
    pub fn close_margin_account(ctx: Context<CloseMarginAccount>) -> Result<()> {
        instructions::close_margin_account::close_margin_account(ctx)
    }

    // ----- keepers

    /// Permissionless: observes the market's oracle: accrues funding and the borrow fee, updates
    /// the volatility estimate, trips or extends the circuit breaker, moves the effective margin
    /// ratios, the funding rate and the borrow rate. No remaining accounts.
    pub fn crank_market(ctx: Context<CrankMarket>) -> Result<()> {
        instructions::crank_market::crank_market(ctx)
    }

    /// Admin: pauses trading and/or liquidations of one market (`pause::TRADING`,
    /// `pause::LIQUIDATIONS`; 0 resumes). No remaining accounts.
    pub fn set_market_paused(ctx: Context<UpdateMarket>, flags: u8) -> Result<()> {
        instructions::update_params::set_market_paused(ctx, flags)
    }

    /// Permissionless: records the account's health state and starts or ends its margin call
    /// (with events), pricing as a liquidation does. Remaining accounts: the margin check's.
    pub fn refresh_health<'info>(ctx: Context<'info, RefreshHealth<'info>>) -> Result<()> {
        instructions::refresh_health::refresh_health(ctx)
    }

    /// Permissionless (the liquidator needs no collateral): closes part of a position in `market`
    /// against the pool at the oracle price, just enough to restore maintenance × (1 + buffer), or
    /// all of it; fees to the liquidator and the insurance fund. An isolated position is liquidated
    /// alone; otherwise the account must be liquidatable and `market` the position the margin model
    /// names. Remaining accounts: the margin check's (`health` module order), for the account before.
    pub fn liquidate_perp<'info>(ctx: Context<'info, LiquidatePerp<'info>>) -> Result<()> {
        instructions::liquidate_perp::liquidate_perp(ctx)
    }

    /// Permissionless: while a market's winners' profit / pool cash is above its
    /// `adl_threshold`, closes (part of) the account's winning position there at the oracle
    /// price, paid through the PnL cap, never taking the ratio below `adl_floor`.
    /// No remaining accounts (a close only lowers the account's risk: no margin check).
    pub fn auto_deleverage(ctx: Context<AutoDeleverage>) -> Result<()> {
        instructions::auto_deleverage::auto_deleverage(ctx)
    }

    /// Permissionless: for a liquidatable account with quote debt and no perp positions to cut
    /// first, the liquidator repays up to `max_repay` of the debt and receives the bank's collateral at
    /// oracle × (1 − discount), never past what restores maintenance. Remaining accounts: for a
    /// Token-2022 bank its mint and the Token-2022 program, then the margin check's, for the
    /// account before. A transfer fee is the liquidator's.
    pub fn liquidate_collateral<'info>(ctx: Context<'info, LiquidateCollateral<'info>>, max_repay: u64) -> Result<()> {
        instructions::liquidate_collateral::liquidate_collateral(ctx, max_repay)
    }

    /// Permissionless: closes an account's position in a settled market at the settlement price
    /// (funding settled, no fee) and returns an isolated slot's collateral to the account.
    /// No remaining accounts.
    pub fn settle_position(ctx: Context<SettlePosition>) -> Result<()> {
        instructions::wind_down::settle_position(ctx)
    }

    /// Permissionless: for an account with nothing left but quote debt (or isolated slots closed in
    /// deficit), pays the debt from its isolated collateral, then the insurance fund, and socialises the
    /// rest to the pool's LPs. No remaining accounts.
    pub fn resolve_bankruptcy(ctx: Context<ResolveBankruptcy>) -> Result<()> {
        instructions::resolve_bankruptcy::resolve_bankruptcy(ctx)
    }

    // ----- insurance fund

    /// Anyone: adds `amount` of quote to the insurance fund. No remaining accounts.
    pub fn insurance_deposit(ctx: Context<InsuranceDeposit>, amount: u64) -> Result<()> {
        instructions::insurance::insurance_deposit(ctx, amount)
    }

    /// Admin: takes `amount` of quote out of the insurance fund, never below the exchange's
    /// `insurance_floor`. No remaining accounts.
    pub fn insurance_withdraw(ctx: Context<InsuranceWithdraw>, amount: u64) -> Result<()> {
        instructions::insurance::insurance_withdraw(ctx, amount)
    }

    // ----- liquidity providers

    /// Any provider: adds `amount` of quote to the pool for shares at the pool's LP value (rounded
    /// against the depositor), at least `min_shares_out`; locked until `lp_claim` when the exchange has
    /// an LP cooldown. Remaining accounts: every market then its oracle, in index order.
    pub fn lp_deposit<'info>(ctx: Context<'info, LpDeposit<'info>>, amount: u64, min_shares_out: u64) -> Result<()> {
        instructions::lp_deposit::lp_deposit(ctx, amount, min_shares_out)
    }

    /// A provider, with their minted shares: burns `shares` for quote at the pool's LP value
    /// (rounded down) less the withdrawal fee, at least `min_amount_out`, within the pool's utilisation
    /// cap. Remaining accounts: every market then its oracle, in index order.
    pub fn lp_withdraw<'info>(ctx: Context<'info, LpWithdraw<'info>>, shares: u64, min_amount_out: u64) -> Result<()> {
        instructions::lp_withdraw::lp_withdraw(ctx, shares, min_amount_out)
    }

    /// The provider: mints their locked shares once the cooldown has passed. No remaining accounts.
    pub fn lp_claim(ctx: Context<LpClaim>) -> Result<()> {
        instructions::lp_deposit::lp_claim(ctx)
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

    // ----- rate-priced collateral (issue 18 part 2)

    /// Admin: prices a collateral bank as its oracle (the underlying, e.g. SOL) × an exchange
    /// rate read from `rate_source` (kind 1: SPL stake pool, owner, pool mint = the bank's mint,
    /// updated this epoch; kind 2: vault share), its rises capped at `max_rise_ppm` per epoch,
    /// and, with a `direct_oracle` of the token, never above that oracle. Kind 0 turns it off.
    /// The first reading is accepted as it is. No remaining accounts.
    pub fn set_bank_rate_source(ctx: Context<SetBankRateSource>, params: RateSourceParams) -> Result<()> {
        instructions::bank_rate::set_bank_rate_source(ctx, params)
    }

    /// Permissionless (keepers, liquidators): reads a rate-priced bank's rate source (fresh this
    /// epoch) and direct oracle and stores the rate margin uses: a fall at once, a rise at most
    /// the bank's cap per elapsed epoch; the depeg factor as measured. No remaining accounts.
    pub fn refresh_bank_rate(ctx: Context<RefreshBankRate>) -> Result<()> {
        instructions::bank_rate::refresh_bank_rate(ctx)
    }

    // ----- reputation tiers (issue 18 §1)

    /// Admin: replaces the reputation tier table (requirements per tier and each tier's
    /// initial-margin multiplier; empty turns tiers off). One named error per rule. Accounts move
    /// to the new table at their next `refresh_reputation`. No remaining accounts.
    pub fn set_reputation_tiers(ctx: Context<SetReputationTiers>, params: ReputationParams) -> Result<()> {
        instructions::reputation::set_reputation_tiers(ctx, params)
    }

    /// Permissionless crank: earns the account time-weighted equity (the lower of its equity at
    /// the last crank and now, capped, × the time between) and moves its tier: down at once, up
    /// by one tier at most per upgrade period, never up during a liquidation's cool-off. The tier
    /// scales initial margin only, never below the market's floor (maintenance untouched).
    /// Remaining accounts: the margin check's, for the account.
    pub fn refresh_reputation<'info>(ctx: Context<'info, RefreshReputation<'info>>) -> Result<()> {
        instructions::reputation::refresh_reputation(ctx)
    }
}
