//! Shared fixtures of the benchmarks: the account shape the closing notes compare on.

use fulcrum_risk::*;

/// 8 collateral balances and 8 perps alternating long/short, priced with oracle ≠ EMA, size
/// premium on, unrealised gains weighted: every branch of the margin check is exercised.
pub struct Fixture {
    pub collateral: [Collateral; 8],
    pub perps: [PerpExposure; 8],
    pub params: AccountParams,
}

impl Fixture {
    pub fn new() -> Self {
        let collateral = core::array::from_fn(|i| Collateral {
            amount: 10_000_000_000 + i as u64 * 1_234_567,
            price: Price {
                oracle: 150_000_000_000 + i as u64 * 1_000_000_007,
                ema: 149_000_000_000 + i as u64 * 999_999_937,
            },
            init_asset_weight: 800_000,
            maint_asset_weight: 900_000,
        });
        let perps = core::array::from_fn(|i| {
            let price = Price {
                oracle: 100_000_000_000 + i as u64 * 7_000_000_001,
                ema: 101_000_000_000 + i as u64 * 6_900_000_013,
            };
            let base = if i % 2 == 0 {
                25_000_000_000 + i as i64 * 333_333_333
            } else {
                -(20_000_000_000 + i as i64 * 111_111_111)
            };
            PerpExposure {
                position: PerpPosition {
                    base,
                    quote_entry: -(base as i128 * 98_000_000_000 / 1_000_000_000_000) as i64,
                    funding_snapshot: 1_000_000 * i as i128,
                },
                market: PerpMarketRisk {
                    price,
                    base_decimals: 9,
                    init_margin_ratio: 100_000,
                    maint_margin_ratio: 50_000,
                    imf: 500,
                    cumulative_funding: 1_500_000 * i as i128,
                    pnl_haircut: Default::default(),
                    cumulative_borrow: 0,
                },
            }
        });
        let params = AccountParams { unrealized_pnl_init_weight: 800_000, ..AccountParams::default() };
        Self { collateral, perps, params }
    }

    pub fn account(&self) -> RiskAccount<'_> {
        RiskAccount {
            quote_balance: -1_234_567_890,
            collateral: &self.collateral,
            perps: &self.perps,
            params: self.params,
        }
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

/// The full margin check a trade or withdrawal makes: initial-margin equity and requirement
/// over every holding, prices already parsed.
#[inline(never)]
pub fn margin_check(account: &RiskAccount) -> MathResult<bool> {
    Ok(health(account, MarginKind::Initial)?.is_met())
}

/// The portfolio margin check on the same account, through the entry point the program uses
/// (`model_health`): 8 assets (collateral i and perp i share asset i), pairwise correlation 0.3,
/// floor 0.3.
#[inline(never)]
pub fn portfolio_margin_check(account: &RiskAccount, correlation: &Correlation) -> MathResult<bool> {
    Ok(model_health(account, &model_8(correlation), MarginKind::Initial)?.is_met())
}

/// Portfolio margin over 8 assets, collateral i and perp i on asset i, floor 0.3.
fn model_8(correlation: &Correlation) -> MarginModel<'_> {
    const ASSETS: [u8; 8] = [0, 1, 2, 3, 4, 5, 6, 7];
    MarginModel::Portfolio(PortfolioModel {
        collateral_assets: &ASSETS,
        perp_assets: &ASSETS,
        correlation,
        floor: 300_000,
    })
}

/// The correlation matrix of [`portfolio_margin_check`].
pub fn correlation_8() -> Correlation {
    let mut c = Correlation::identity(8);
    for i in 0..8 {
        for j in 0..8 {
            if i != j {
                c.c[i][j] = 300_000;
            }
        }
    }
    c
}

/// A single-position account just below maintenance: 1,000 USDC, long 95 SOL from $100, now $94
/// (the liquidation test's numbers), with a size premium on.
pub struct LiquidationFixture {
    pub perps: [PerpExposure; 1],
}

impl LiquidationFixture {
    pub fn new() -> Self {
        let position = PerpPosition { base: 95_000_000_000, quote_entry: -9_500_000_000, funding_snapshot: 0 };
        let market = PerpMarketRisk {
            price: Price::flat(94_000_000_000),
            base_decimals: 9,
            init_margin_ratio: 100_000,
            maint_margin_ratio: 50_000,
            imf: 500,
            cumulative_funding: 0,
            pnl_haircut: Default::default(),
            cumulative_borrow: 0,
        };
        Self { perps: [PerpExposure { position, market }] }
    }

    pub fn account(&self) -> RiskAccount<'_> {
        RiskAccount {
            quote_balance: 990_500_000,
            collateral: &[],
            perps: &self.perps,
            params: AccountParams::default(),
        }
    }
}

impl Default for LiquidationFixture {
    fn default() -> Self {
        Self::new()
    }
}

/// Liquidation parameters of the benchmark (the program tests' defaults).
pub const LIQUIDATION: LiquidationParams = LiquidationParams {
    buffer: 100_000,
    liquidator_fee: 5_000,
    insurance_fee: 2_500,
    dust_notional: 10_000_000,
    collateral_discount: 50_000,
};

/// Sizes the liquidation of the fixture's position in 0.001 SOL steps.
#[inline(never)]
pub fn liquidation_sizing(account: &RiskAccount) -> MathResult<PerpLiquidation> {
    plan_perp_liquidation(account, 0, 1_000_000, &LIQUIDATION)
}

/// Sizes the liquidation of the first position of the 8 + 8 fixture in portfolio mode (8
/// assets, as [`portfolio_margin_check`]): the worst shape a portfolio liquidation sizes.
#[inline(never)]
pub fn portfolio_liquidation_sizing(account: &RiskAccount, correlation: &Correlation) -> MathResult<PerpLiquidation> {
    plan_perp_liquidation_in(account, &model_8(correlation), 0, 1_000_000, &LIQUIDATION)
}
