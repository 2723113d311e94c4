use anchor_lang::prelude::*;
use fulcrum_risk::{Correlation, MAX_ASSETS, MIN_CORRELATION_FLOOR, RATIO_ONE};

use crate::error::FulcrumError;
use crate::events::CorrelationsEvent;
use crate::seeds;
use crate::state::*;
use crate::validate::in_range;

/// The whole portfolio-margin configuration, replaced at once.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct CorrelationParams {
    /// Correlations, ppm, row-major `n × n` (n = √len ≤ 12): symmetric, unit diagonal,
    /// entries in [−1, 1], positive semi-definite.
    pub matrix: Vec<i32>,
    /// Asset of each collateral bank by bank index (255: none; bank 0, the quote, is ignored).
    pub bank_assets: Vec<u8>,
    /// Asset of each perp market by market index (255: none).
    pub market_assets: Vec<u8>,
    /// Portfolio requirement ≥ floor × gross risk; ppm, `MIN_CORRELATION_FLOOR` (100,000)..=1,000,000
    /// (default 300,000).
    pub floor: u32,
    /// Least account equity to switch to portfolio margin, quote native units.
    pub min_equity: u64,
}

#[derive(Accounts)]
pub struct SetCorrelations<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(has_one = admin @ FulcrumError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        init_if_needed,
        payer = admin,
        space = Correlations::SIZE,
        seeds = [seeds::CORRELATIONS, exchange.key().as_ref()],
        bump
    )]
    pub correlations: AccountLoader<'info, Correlations>,
    pub system_program: Program<'info, System>,
}

/// See the instruction's doc in lib.rs. Portfolio accounts are margined with the new matrix from
/// their next instruction on.
pub fn set_correlations(ctx: Context<SetCorrelations>, params: CorrelationParams) -> Result<()> {
    let len = params.matrix.len();
    let n = (0..=MAX_ASSETS).find(|n| n * n == len).ok_or(FulcrumError::TooManyAssets)?;
    require!(n > 0, FulcrumError::TooManyAssets);
    let mut c = Correlation { n, c: [[0; MAX_ASSETS]; MAX_ASSETS] };
    for (i, row) in params.matrix.chunks_exact(n).enumerate() {
        c.c[i][..n].copy_from_slice(row);
    }
    c.validate().map_err(FulcrumError::from)?;
    let floor = u64::from(params.floor);
    in_range("floor", floor, MIN_CORRELATION_FLOOR.into(), u64::MAX, FulcrumError::CorrelationFloorTooLow)?;
    in_range("floor", floor, 0, RATIO_ONE, FulcrumError::InvalidParameter)?;
    require!(
        params.bank_assets.len() <= MAX_MAPPED && params.market_assets.len() <= MAX_MAPPED,
        FulcrumError::TooManyAssets
    );
    let on_asset = |a: &u8| *a == NO_ASSET || usize::from(*a) < n;
    require!(
        params.bank_assets.iter().all(on_asset) && params.market_assets.iter().all(on_asset),
        FulcrumError::InvalidParameter
    );

    // Created by this instruction (zeroed, no discriminator yet) or replaced whole.
    let mut corr = match ctx.accounts.correlations.load_mut() {
        Ok(c) => c,
        Err(_) => ctx.accounts.correlations.load_init()?,
    };
    corr.exchange = ctx.accounts.exchange.key();
    corr.bump = ctx.bumps.correlations;
    corr.num_assets = n as u8;
    corr.floor = params.floor;
    corr.min_equity = params.min_equity;
    corr.matrix = c.c;
    corr.bank_assets = [NO_ASSET; MAX_MAPPED];
    corr.market_assets = [NO_ASSET; MAX_MAPPED];
    corr.bank_assets[..params.bank_assets.len()].copy_from_slice(&params.bank_assets);
    corr.market_assets[..params.market_assets.len()].copy_from_slice(&params.market_assets);
    // The quote is the unit of account, never an exposure.
    corr.bank_assets[usize::from(CollateralBank::QUOTE_INDEX)] = NO_ASSET;
    crate::emit_event!(CorrelationsEvent {
        exchange: corr.exchange,
        num_assets: corr.num_assets,
        floor: corr.floor,
        min_equity: corr.min_equity,
    });
    Ok(())
}
