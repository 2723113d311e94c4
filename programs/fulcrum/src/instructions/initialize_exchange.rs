use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use fulcrum_risk::RATIO_ONE;

use crate::error::FulcrumError;
use crate::oracle::OracleKind;
use crate::seeds;
use crate::state::*;
use crate::validate::{discount_fits_weight, fee_fits_ratio, in_range};

/// Exchange-wide risk parameters (ppm).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExchangeParams {
    /// Weight of quote debt for initial margin, 1,000,000..=2,000,000.
    pub quote_init_liability_weight: u32,
    /// Weight of quote debt for maintenance, 1,000,000..=init weight.
    pub quote_maint_liability_weight: u32,
    /// Share of positive unrealised PnL counted for initial margin, 0..=1,000,000.
    pub unrealized_pnl_init_weight: u32,
    /// Most of the pool's value its net exposure may use, 1..=1,000,000.
    pub max_pool_utilisation: u32,
    /// Slots in margin call before liquidation is allowed, ≤ 1,000,000 (0: at once, like Drift).
    pub margin_call_grace_slots: u64,
    /// Equity below this × maintenance requirement is liquidatable whatever the grace,
    /// 100,000..=1,000,000 (default 800,000).
    pub liquidation_threshold_ratio: u32,
    /// Liquidations restore equity to requirement × (1 + buffer), ≤ 1,000,000.
    pub liquidation_buffer: u32,
    /// To the liquidator, ppm of closed notional; with `insurance_fee` ≤ 50,000 and below every
    /// market's maintenance ratio.
    pub liquidator_fee: u32,
    /// To the insurance fund, ppm of closed notional.
    pub insurance_fee: u32,
    /// Discount on collateral sold in a collateral liquidation, ≤ 200,000 and below
    /// 1 − maint weight / quote maint liability weight for every bank.
    pub collateral_liquidation_discount: u32,
    /// Share of trading fees to the insurance fund, ≤ 1,000,000.
    pub insurance_fee_share: u32,
    /// Floor of admin insurance withdrawals, quote native units.
    pub insurance_floor: u64,
    /// Liquidation closes the whole position when less than this would remain, quote native.
    pub dust_notional: u64,
    /// New LP shares are locked this long before `lp_claim` mints them, seconds,
    /// 0..=2,592,000 (30 days; 0: minted at once; mainnet-like default 86,400).
    pub lp_cooldown_secs: u32,
    /// Kept by the pool (for the LPs who stay) from every LP withdrawal, ppm, 0..=50,000.
    pub lp_withdrawal_fee: u32,
    /// LP deposits count traders' net profit per market at most this × pool balance, ppm,
    /// 0..=10,000,000 (0: uncapped).
    pub max_pnl_factor_for_deposits: u32,
    /// LP withdrawals count traders' net loss per market at most this × pool balance, ppm,
    /// 0..=10,000,000 (0: uncapped).
    pub max_pnl_factor_for_withdrawals: u32,
    /// Lamports each order escrows for its executor (refunded on cancel), 0..=100,000,000.
    pub order_fee_lamports: u64,
    /// Triggers (stop-loss, take-profit) fire only while the oracle is within this of its EMA,
    /// ppm, 1..=1,000,000.
    pub trigger_band: u32,
}

impl ExchangeParams {
    /// The exchange's own ranges, one rule per line. [`ExchangeParams::fits_listed`] checks them
    /// against the banks and markets already listed.
    pub fn validate(&self) -> Result<()> {
        use FulcrumError::InvalidParameter as Bad;
        let one = RATIO_ONE;
        let maint_lw = u64::from(self.quote_maint_liability_weight);
        in_range("quote_maint_liability_weight", maint_lw, one, 2 * one, Bad)?;
        in_range("quote_init_liability_weight", self.quote_init_liability_weight.into(), maint_lw, 2 * one, Bad)?;
        in_range("unrealized_pnl_init_weight", self.unrealized_pnl_init_weight.into(), 0, one, Bad)?;
        in_range("max_pool_utilisation", self.max_pool_utilisation.into(), 1, one, Bad)?;
        in_range("margin_call_grace_slots", self.margin_call_grace_slots, 0, 1_000_000, Bad)?;
        in_range("liquidation_threshold_ratio", self.liquidation_threshold_ratio.into(), 100_000, one, Bad)?;
        in_range("liquidation_buffer", self.liquidation_buffer.into(), 0, one, Bad)?;
        let fees = u64::from(self.liquidator_fee) + u64::from(self.insurance_fee);
        in_range("liquidator_fee + insurance_fee", fees, 0, 50_000, Bad)?;
        in_range("collateral_liquidation_discount", self.collateral_liquidation_discount.into(), 0, 200_000, Bad)?;
        in_range("insurance_fee_share", self.insurance_fee_share.into(), 0, one, Bad)?;
        in_range("lp_cooldown_secs", self.lp_cooldown_secs.into(), 0, 30 * 86_400, Bad)?;
        in_range("lp_withdrawal_fee", self.lp_withdrawal_fee.into(), 0, 50_000, Bad)?;
        in_range("max_pnl_factor_for_deposits", self.max_pnl_factor_for_deposits.into(), 0, 10 * one, Bad)?;
        in_range("max_pnl_factor_for_withdrawals", self.max_pnl_factor_for_withdrawals.into(), 0, 10 * one, Bad)?;
        in_range("order_fee_lamports", self.order_fee_lamports, 0, 100_000_000, Bad)?;
        in_range("trigger_band", self.trigger_band.into(), 1, one, Bad)?;
        Ok(())
    }

    /// The discount against the heaviest bank listed and the fees against the thinnest market
    /// listed (as recorded on the exchange; nothing listed: nothing to check).
    pub fn fits_listed(&self, e: &Exchange) -> Result<()> {
        if e.max_maint_asset_weight > 0 {
            discount_fits_weight(
                e.max_maint_asset_weight,
                self.quote_maint_liability_weight,
                self.collateral_liquidation_discount,
            )?;
        }
        if e.min_maint_margin_ratio > 0 {
            fee_fits_ratio(e.min_maint_margin_ratio, self.liquidator_fee, self.insurance_fee)?;
        }
        Ok(())
    }

    pub fn apply(&self, e: &mut Exchange) {
        e.quote_init_liability_weight = self.quote_init_liability_weight;
        e.quote_maint_liability_weight = self.quote_maint_liability_weight;
        e.unrealized_pnl_init_weight = self.unrealized_pnl_init_weight;
        e.max_pool_utilisation = self.max_pool_utilisation;
        e.margin_call_grace_slots = self.margin_call_grace_slots;
        e.liquidation_threshold_ratio = self.liquidation_threshold_ratio;
        e.liquidation_buffer = self.liquidation_buffer;
        e.liquidator_fee = self.liquidator_fee;
        e.insurance_fee = self.insurance_fee;
        e.collateral_liquidation_discount = self.collateral_liquidation_discount;
        e.insurance_fee_share = self.insurance_fee_share;
        e.insurance_floor = self.insurance_floor;
        e.dust_notional = self.dust_notional;
        e.lp_cooldown_secs = self.lp_cooldown_secs;
        e.lp_withdrawal_fee = self.lp_withdrawal_fee;
        e.max_pnl_factor_for_deposits = self.max_pnl_factor_for_deposits;
        e.max_pnl_factor_for_withdrawals = self.max_pnl_factor_for_withdrawals;
        e.order_fee_lamports = self.order_fee_lamports;
        e.trigger_band = self.trigger_band;
    }
}

#[derive(Accounts)]
#[instruction(exchange_id: u16)]
pub struct InitializeExchange<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    pub quote_mint: Box<Account<'info, Mint>>,
    #[account(
        init, payer = admin, space = Exchange::SIZE,
        seeds = [seeds::EXCHANGE, admin.key().as_ref(), &exchange_id.to_le_bytes()], bump
    )]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        init, payer = admin, space = CollateralBank::SIZE,
        seeds = [seeds::BANK, exchange.key().as_ref(), &CollateralBank::QUOTE_INDEX.to_le_bytes()], bump
    )]
    pub quote_bank: AccountLoader<'info, CollateralBank>,
    #[account(
        init, payer = admin,
        seeds = [seeds::VAULT, exchange.key().as_ref(), quote_mint.key().as_ref()], bump,
        token::mint = quote_mint, token::authority = exchange
    )]
    pub quote_vault: Box<Account<'info, TokenAccount>>,
    #[account(
        init, payer = admin, space = LiquidityPool::SIZE,
        seeds = [seeds::POOL, exchange.key().as_ref()], bump
    )]
    pub pool: AccountLoader<'info, LiquidityPool>,
    #[account(
        init, payer = admin,
        seeds = [seeds::LP_MINT, exchange.key().as_ref()], bump,
        mint::decimals = quote_mint.decimals, mint::authority = exchange
    )]
    pub lp_mint: Box<Account<'info, Mint>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

/// Creates an exchange with its quote bank (bank 0), quote vault, liquidity pool and LP mint.
pub fn handler(
    ctx: Context<InitializeExchange>,
    exchange_id: u16,
    params: ExchangeParams,
    quote_deposit_cap: u64,
) -> Result<()> {
    params.validate()?;
    let a = &ctx.accounts;
    let mut e = a.exchange.load_init()?;
    e.admin = a.admin.key();
    e.quote_mint = a.quote_mint.key();
    e.exchange_id = exchange_id;
    e.bump = ctx.bumps.exchange;
    e.quote_decimals = a.quote_mint.decimals;
    e.num_banks = 1;
    params.apply(&mut e);

    let mut b = a.quote_bank.load_init()?;
    b.exchange = a.exchange.key();
    b.mint = a.quote_mint.key();
    b.vault = a.quote_vault.key();
    b.deposit_cap = quote_deposit_cap;
    b.init_asset_weight = RATIO_ONE as u32;
    b.maint_asset_weight = RATIO_ONE as u32;
    b.index = CollateralBank::QUOTE_INDEX;
    b.decimals = a.quote_mint.decimals;
    b.oracle_kind = OracleKind::None as u8;
    b.bump = ctx.bumps.quote_bank;
    b.vault_bump = ctx.bumps.quote_vault;

    let mut p = a.pool.load_init()?;
    p.exchange = a.exchange.key();
    p.lp_mint = a.lp_mint.key();
    p.bump = ctx.bumps.pool;
    p.lp_mint_bump = ctx.bumps.lp_mint;
    Ok(())
}
