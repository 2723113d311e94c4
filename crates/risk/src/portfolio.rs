//! Portfolio margin: requirements that net across correlated exposures, collateral included.
//!
//! Every exposure has a risk ratio `r` and a signed risk `v = signed value × r`: a collateral
//! balance is long its asset with `r = 1 − asset weight`; a perp position is long or short its
//! asset with `r` = its margin ratio (size premium included). With `V_a = Σ v` over the
//! exposures of asset `a` and `C` the exchange's correlation matrix:
//!
//! - cross:     equity at full value − Σ|v|                (no netting; equals [`crate::health`]);
//! - portfolio: requirement = max(floor × Σ|v|, √(Vᵀ C V) + Σ|v| of standalone holdings),
//!   equity at full value.
//!
//! A holding on no asset of the matrix ([`STANDALONE`]: a bank or market listed after the last
//! `set_correlations`, or taken off the map) nets with nothing: its |v| is added to the netted
//! requirement, which is what the worst correlation the admin could later set would ask
//! (`√(Vᵀ C V)` is a norm, so adding one asset adds at most its |v|). The account stays in
//! portfolio margin; it never falls back to cross because of a listing it did not choose.
//!
//! Correlations are ppm (`RATIO_ONE` = 1.0). Requirements round up.

use crate::fixed::*;
use crate::margin::*;
use crate::types::*;

/// Assets a correlation matrix covers. A full 12 × 12 ppm matrix is 576 bytes: it fits one
/// transaction, so `set_correlations` can take it whole and check every entry.
pub const MAX_ASSETS: usize = 12;

/// A symmetric correlation matrix over `n` assets, ppm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Correlation {
    pub n: usize,
    pub c: [[i32; MAX_ASSETS]; MAX_ASSETS],
}

/// Why a correlation matrix is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CorrelationError {
    TooManyAssets,
    NotSymmetric,
    DiagonalNotOne,
    OutOfRange,
    NotPositiveSemiDefinite,
}

/// Asset index of a holding the correlation map does not place on any asset.
pub const STANDALONE: u8 = u8::MAX;

/// Tolerance of the positive semi-definiteness check, in ppm² of a Cholesky pivot.
pub const PSD_TOLERANCE: i128 = 1_000;

impl Correlation {
    /// The identity (uncorrelated assets).
    pub fn identity(n: usize) -> Self {
        let mut c = [[0; MAX_ASSETS]; MAX_ASSETS];
        for (i, row) in c.iter_mut().enumerate().take(n.min(MAX_ASSETS)) {
            row[i] = RATIO_ONE as i32;
        }
        Self { n: n.min(MAX_ASSETS), c }
    }

    /// Symmetric, unit diagonal, entries in [−1, 1], positive semi-definite (a fixed-point
    /// Cholesky factorisation `C = L Lᵀ` whose pivots may dip below zero by at most
    /// [`PSD_TOLERANCE`]).
    pub fn validate(&self) -> Result<(), CorrelationError> {
        let n = self.n;
        if n > MAX_ASSETS {
            return Err(CorrelationError::TooManyAssets);
        }
        let one = RATIO_ONE as i32;
        for i in 0..n {
            if self.c[i][i] != one {
                return Err(CorrelationError::DiagonalNotOne);
            }
            for j in 0..n {
                if self.c[i][j] != self.c[j][i] {
                    return Err(CorrelationError::NotSymmetric);
                }
                if !(-one..=one).contains(&self.c[i][j]) {
                    return Err(CorrelationError::OutOfRange);
                }
            }
        }
        // Cholesky in ppm: L[i][j] with L Lᵀ = C.
        let scale = i128::from(RATIO_ONE);
        let mut l = [[0i128; MAX_ASSETS]; MAX_ASSETS];
        for j in 0..n {
            let pivot = i128::from(self.c[j][j]) * scale - l[j][..j].iter().map(|x| x * x).sum::<i128>();
            if pivot < -PSD_TOLERANCE * scale {
                return Err(CorrelationError::NotPositiveSemiDefinite);
            }
            let d = isqrt_floor(pivot.max(0) as u128) as i128;
            l[j][j] = d;
            for i in j + 1..n {
                let s = i128::from(self.c[i][j]) * scale
                    - l[i][..j].iter().zip(&l[j][..j]).map(|(a, b)| a * b).sum::<i128>();
                l[i][j] = if d == 0 {
                    // A zero pivot: the column must be (numerically) zero too.
                    if s.abs() > PSD_TOLERANCE * scale {
                        return Err(CorrelationError::NotPositiveSemiDefinite);
                    }
                    0
                } else {
                    s / d
                };
            }
        }
        Ok(())
    }
}

/// Signed risk per asset: `V_a = Σ v` over the account's exposures to asset `a`, the gross
/// `Σ|v|` over exposures, and `Σ|v|` over [`STANDALONE`] ones (quote native units).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Exposures {
    pub per_asset: [i128; MAX_ASSETS],
    pub gross: i128,
    pub standalone: i128,
}

impl Exposures {
    /// Adds signed risk `v` on `asset` (a negative `v` counts |v| in the gross).
    pub fn add(&mut self, asset: u8, v: i128) -> MathResult<()> {
        let abs = v.checked_abs().ok_or(MathError::Overflow)?;
        if asset == STANDALONE {
            self.standalone = add(self.standalone, abs)?;
        } else {
            let slot = self.per_asset.get_mut(usize::from(asset)).ok_or(MathError::InvalidInput)?;
            *slot = add(*slot, v)?;
        }
        self.gross = add(self.gross, abs)?;
        Ok(())
    }

    /// Takes signed risk `v` on `asset` back out.
    pub fn remove(&mut self, asset: u8, v: i128) -> MathResult<()> {
        let abs = v.checked_abs().ok_or(MathError::Overflow)?;
        if asset == STANDALONE {
            self.standalone = sub(self.standalone, abs)?;
        } else {
            let slot = self.per_asset.get_mut(usize::from(asset)).ok_or(MathError::InvalidInput)?;
            *slot = sub(*slot, v)?;
        }
        self.gross = sub(self.gross, abs)?;
        Ok(())
    }
}

/// Signed risk of a collateral balance: `value × (1 − weight)` at the asset price for `kind`,
/// the haircut cross applies to it (so cross in exposure form is cross to the unit).
pub fn collateral_risk(c: &Collateral, kind: MarginKind) -> MathResult<i128> {
    let full = to_i128(div_rem_u128(u128::from(c.amount) * u128::from(c.price.asset(kind)), PRICE_SCALE).0)?;
    sub(full, collateral_value(c, kind)?)
}

/// Signed risk of a perp position: its requirement, positive long and negative short.
pub fn perp_risk(base: i64, market: &PerpMarketRisk, kind: MarginKind) -> MathResult<i128> {
    let r = position_requirement(base, market, kind)?;
    Ok(if base >= 0 { r } else { -r })
}

/// The account's exposures for `kind`. `collateral_assets[i]` and `perp_assets[i]` give the asset
/// index of each collateral balance and perp position.
pub fn exposures(
    account: &RiskAccount,
    collateral_assets: &[u8],
    perp_assets: &[u8],
    kind: MarginKind,
) -> MathResult<Exposures> {
    crate::profile::begin("portfolio exposures");
    let mut e = Exposures::default();
    for (c, a) in account.collateral.iter().zip(collateral_assets) {
        let v = collateral_risk(c, kind)?;
        e.add(*a, v)?;
    }
    for (p, a) in account.perps.iter().zip(perp_assets) {
        e.add(*a, perp_risk(p.position.base, &p.market, kind)?)?;
    }
    crate::profile::end("portfolio exposures");
    Ok(e)
}

/// `⌈√(Vᵀ C V)⌉`, quote native units.
pub fn correlated_risk(v: &[i128; MAX_ASSETS], c: &Correlation) -> MathResult<i128> {
    crate::profile::begin("netted requirement √(VᵀCV)");
    let n = c.n.min(MAX_ASSETS);
    // Every V_a fits 64 bits in practice (quote native units): then each product below is
    // computed with 64-bit multiplies (see `row_dot_64`), exact, where a checked 128-bit
    // multiply costs the VM hundreds of units. Otherwise the checked 128-bit loop.
    let mut small = [0i64; MAX_ASSETS];
    let mut fits = true;
    for (s, x) in small.iter_mut().zip(&v[..n]) {
        match i64::try_from(*x) {
            Ok(y) => *s = y,
            Err(_) => fits = false,
        }
    }
    let mut total: i128 = 0;
    for i in 0..n {
        if v[i] == 0 {
            continue;
        }
        // w_i = Σ_j C_ij V_j, rounded away from zero in V_i's direction (an upper bound).
        let w = if fits {
            row_dot_64(&small[..n], &c.c[i][..n])
        } else {
            let mut w: i128 = 0;
            for (vj, cij) in v[..n].iter().zip(&c.c[i][..n]) {
                w = add(w, vj.checked_mul(i128::from(*cij)).ok_or(MathError::Overflow)?)?;
            }
            w
        };
        let w = if v[i] > 0 {
            mul_div_signed_ceil(w, 1, u128::from(RATIO_ONE))?
        } else {
            mul_div_signed_floor(w, 1, u128::from(RATIO_ONE))?
        };
        let term = match (fits, i64::try_from(w)) {
            // Two 64-bit factors: the 128-bit product cannot overflow.
            (true, Ok(w)) => i128::from(small[i]).wrapping_mul(i128::from(w)),
            _ => v[i].checked_mul(w).ok_or(MathError::Overflow)?,
        };
        total = add(total, term)?;
    }
    let root = to_i128(isqrt_ceil(total.max(0).unsigned_abs()));
    crate::profile::end("netted requirement √(VᵀCV)");
    root
}

/// `Σ_j v_j × c_j`, exact, with 64-bit multiplies only: each `v_j` splits into a signed high
/// and an unsigned low 32-bit half, `v_j = h × 2³² + l`; `|h × c| ≤ 2⁶²` and `|l × c| < 2⁶³`
/// fit 64 bits whatever the `i32` correlation, and at most [`MAX_ASSETS`] of each sum to under
/// 2⁶⁶ in 128 bits: the same value as the checked 128-bit sum, which cannot overflow here.
#[inline(always)]
fn row_dot_64(v: &[i64], c: &[i32]) -> i128 {
    let (mut hi, mut lo) = (0i128, 0i128);
    for (x, cij) in v.iter().zip(c) {
        let c = i64::from(*cij);
        hi = hi.wrapping_add(i128::from((x >> 32).wrapping_mul(c)));
        lo = lo.wrapping_add(i128::from((x & 0xFFFF_FFFF).wrapping_mul(c)));
    }
    (hi << 32).wrapping_add(lo)
}

/// Portfolio requirement: `max(⌈floor × Σ|v|⌉, ⌈√(Vᵀ C V)⌉ + Σ|v| standalone)`.
pub fn portfolio_requirement(e: &Exposures, c: &Correlation, floor: u32) -> MathResult<i128> {
    Ok(portfolio_requirement_parts(e, c, floor)?.0)
}

/// [`portfolio_requirement`] and the `⌈√(Vᵀ C V)⌉` it took ([`correlated_risk`]).
#[inline(always)]
fn portfolio_requirement_parts(e: &Exposures, c: &Correlation, floor: u32) -> MathResult<(i128, i128)> {
    let floored = to_i128(mul_div_ceil(e.gross.max(0).unsigned_abs(), u128::from(floor), u128::from(RATIO_ONE))?)?;
    let correlated = correlated_risk(&e.per_asset, c)?;
    Ok((floored.max(add(correlated, e.standalone)?), correlated))
}

/// Portfolio health for `kind`: equity with collateral at full value (quote debt weighted and
/// gains at the PnL weight, as in cross), against the portfolio requirement.
pub fn portfolio_health(
    account: &RiskAccount,
    collateral_assets: &[u8],
    perp_assets: &[u8],
    c: &Correlation,
    floor: u32,
    kind: MarginKind,
) -> MathResult<Health> {
    Ok(portfolio_health_parts(account, collateral_assets, perp_assets, c, floor, kind)?.0)
}

/// [`portfolio_health`], the exposures it nets and their `⌈√(Vᵀ C V)⌉`.
#[inline(always)]
fn portfolio_health_parts(
    account: &RiskAccount,
    collateral_assets: &[u8],
    perp_assets: &[u8],
    c: &Correlation,
    floor: u32,
    kind: MarginKind,
) -> MathResult<(Health, Exposures, i128)> {
    let cross = health(account, kind)?;
    let e = exposures(account, collateral_assets, perp_assets, kind)?;
    let collateral_haircut = sub(e.gross, cross.requirement)?; // Σ value × (1 − weight)
    let (requirement, correlated) = portfolio_requirement_parts(&e, c, floor)?;
    Ok((Health { equity: add(cross.equity, collateral_haircut)?, requirement }, e, correlated))
}

/// What a liquidation reuses of the margin check before it (issue 15: each costs the VM
/// thousands of units): maintenance health under the account's model, equity at full value and,
/// in portfolio, the maintenance exposures and their `⌈√(Vᵀ C V)⌉`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidationBasis {
    pub maint: Health,
    pub raw_equity: i128,
    pub exposures: Option<Exposures>,
    /// [`correlated_risk`] of `exposures` (0 in cross).
    pub correlated: i128,
    /// The one pass's sums ([`HealthSums`]; both kinds' exposures in portfolio): the health after
    /// the liquidation is these with one position and the quote balance replaced
    /// ([`model_account_health_after`]).
    pub sums: HealthSums,
}

/// Maintenance health under `model` and, in portfolio, the exposures it nets and their root.
fn maint_parts(account: &RiskAccount, model: &MarginModel) -> MathResult<(Health, Option<Exposures>, i128)> {
    let kind = MarginKind::Maintenance;
    Ok(match model {
        MarginModel::Cross => (health(account, kind)?, None, 0),
        MarginModel::Portfolio(p) => {
            let (h, e, root) =
                portfolio_health_parts(account, p.collateral_assets, p.perp_assets, p.correlation, p.floor, kind)?;
            (h, Some(e), root)
        }
    })
}

/// The [`LiquidationBasis`] of `account` under `model`, alone.
pub fn liquidation_basis(account: &RiskAccount, model: &MarginModel) -> MathResult<LiquidationBasis> {
    let (maint, exposures, correlated) = maint_parts(account, model)?;
    let sums = match model {
        MarginModel::Cross => account_health_pass::<0>(account, (&[], &[]))?.widen(),
        MarginModel::Portfolio(p) => account_health_pass::<2>(account, (p.collateral_assets, p.perp_assets))?,
    };
    Ok(LiquidationBasis { maint, raw_equity: raw_equity(account)?, exposures, correlated, sums })
}

/// Portfolio health from the one pass's sums: each kind's cross terms netted (equity at full
/// value, the netted requirement), and the maintenance `⌈√(Vᵀ C V)⌉`.
#[inline(always)]
fn net_health(sums: &HealthSums, p: &PortfolioModel) -> MathResult<(AccountHealth, i128)> {
    let cross = sums.health()?;
    let net = |h: &Health, e: &Exposures| -> MathResult<(Health, i128)> {
        let equity = add(h.equity, sub(e.gross, h.requirement)?)?;
        let (requirement, root) = portfolio_requirement_parts(e, p.correlation, p.floor)?;
        Ok((Health { equity, requirement }, root))
    };
    let ((init, _), (maint, root)) = (net(&cross.init, &sums.exposures[0])?, net(&cross.maint, &sums.exposures[1])?);
    Ok((AccountHealth { init, maint, state: health_state(&init, &maint, cross.equity), ..cross }, root))
}

/// [`model_account_health`] of the account `basis` was computed for, with its quote balance
/// `quotes.0` → `quotes.1` and position `index` `positions.0` → `positions.1` (a liquidation's
/// change): [`HealthSums::replace`] on the basis's sums, then the netting in portfolio. The same
/// health as computing it again, to the unit (`tests/fast_paths.rs`), at one position's cost.
pub fn model_account_health_after(
    model: &MarginModel,
    basis: &LiquidationBasis,
    params: &AccountParams,
    quotes: (i64, i64),
    positions: (&PerpExposure, &PerpExposure),
    index: usize,
) -> MathResult<AccountHealth> {
    match model {
        MarginModel::Cross => basis.sums.replace(params, quotes, positions, None)?.health(),
        MarginModel::Portfolio(p) => {
            let asset = p.perp_assets.get(index).copied();
            Ok(net_health(&basis.sums.replace(params, quotes, positions, asset)?, p)?.0)
        }
    }
}

/// [`model_account_health`] and the [`LiquidationBasis`] it computed on the way.
pub fn model_account_health_basis(
    account: &RiskAccount,
    model: &MarginModel,
) -> MathResult<(AccountHealth, LiquidationBasis)> {
    let (health, exposures, correlated, sums) = match model {
        MarginModel::Cross => {
            let sums = account_health_pass::<0>(account, (&[], &[]))?;
            (sums.health()?, None, 0, sums.widen())
        }
        MarginModel::Portfolio(p) => {
            // One pass for both kinds' cross terms and exposures (issue 15), then the netting:
            // portfolio_health's arithmetic on the same values.
            let sums = account_health_pass::<2>(account, (p.collateral_assets, p.perp_assets))?;
            let (health, root) = net_health(&sums, p)?;
            (health, Some(sums.exposures[1]), root, sums)
        }
    };
    let basis = LiquidationBasis { maint: health.maint, raw_equity: health.equity, exposures, correlated, sums };
    Ok((health, basis))
}

/// How an account's collateral backs its positions (isolated positions aside, which always
/// stand alone in cross terms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum MarginMode {
    /// All collateral backs all positions; requirements add up (the default).
    #[default]
    Cross = 0,
    /// Requirements net across correlated exposures, collateral included.
    Portfolio = 1,
}

impl MarginMode {
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::Cross),
            1 => Some(Self::Portfolio),
            _ => None,
        }
    }
}

/// What portfolio margin needs beside the account: the asset of every holding, the exchange's
/// correlations and the floor (ppm of the gross risk).
#[derive(Clone, Copy, Debug)]
pub struct PortfolioModel<'a> {
    pub collateral_assets: &'a [u8],
    pub perp_assets: &'a [u8],
    pub correlation: &'a Correlation,
    pub floor: u32,
}

/// The rule an account's health is computed by.
#[derive(Clone, Copy, Debug)]
pub enum MarginModel<'a> {
    Cross,
    Portfolio(PortfolioModel<'a>),
}

impl MarginModel<'_> {
    pub fn mode(&self) -> MarginMode {
        match self {
            MarginModel::Cross => MarginMode::Cross,
            MarginModel::Portfolio(_) => MarginMode::Portfolio,
        }
    }
}

/// Health for `kind` under `model`: [`health`] in cross, [`portfolio_health`] in portfolio.
pub fn model_health(account: &RiskAccount, model: &MarginModel, kind: MarginKind) -> MathResult<Health> {
    match model {
        MarginModel::Cross => health(account, kind),
        MarginModel::Portfolio(p) => {
            portfolio_health(account, p.collateral_assets, p.perp_assets, p.correlation, p.floor, kind)
        }
    }
}

/// [`account_health`] under `model`: both margins by the model; account equity, notional and
/// leverage do not depend on it.
///
/// In portfolio `account_health_with(model_health(Initial), model_health(Maintenance))` to the
/// unit, in one pass ([`model_account_health_basis`]; `tests/fast_paths.rs`). The one difference:
/// where two different errors would both arise (an overflow and a holding on an asset off the
/// matrix, which the program never builds) the one reported may be the other.
pub fn model_account_health(account: &RiskAccount, model: &MarginModel) -> MathResult<AccountHealth> {
    match model {
        MarginModel::Cross => account_health(account),
        MarginModel::Portfolio(p) => {
            Ok(net_health(&account_health_pass::<2>(account, (p.collateral_assets, p.perp_assets))?, p)?.0)
        }
    }
}

/// [`liquidation_price`] under `model`. In portfolio mode the requirement is not linear in the
/// price, so the price is found by bisection: maintenance free collateral moves monotonically
/// with the price of one position (its slope is the size, the requirement's at most size ×
/// ratio < size). Same rounding contract as the cross function: a long is liquidatable at or
/// below the result, a short at or above it.
pub fn model_liquidation_price(account: &RiskAccount, model: &MarginModel, index: usize) -> MathResult<Option<u64>> {
    let MarginModel::Portfolio(_) = model else {
        return liquidation_price(account, index);
    };
    let e = account.perps.get(index).ok_or(MathError::InvalidInput)?;
    let base = e.position.base;
    if base == 0 || margin_ratio(base, &e.market, MarginKind::Maintenance)? >= RATIO_ONE {
        return Ok(None);
    }
    let mut perps = [PerpExposure::default(); MAX_PERPS_PER_MODEL];
    let n = account.perps.len();
    if n > MAX_PERPS_PER_MODEL {
        return Err(MathError::InvalidInput);
    }
    perps[..n].copy_from_slice(account.perps);
    let mut met_at = |p: u64| -> MathResult<bool> {
        perps[index].market.price = Price::flat(p);
        let a = RiskAccount { perps: &perps[..n], ..*account };
        Ok(model_health(&a, model, MarginKind::Maintenance)?.is_met())
    };
    // Search [0, hi]: a long is met above its liquidation price, a short below it.
    let hi = e.market.price.oracle.max(1).saturating_mul(1 << 20);
    let long = base > 0;
    match (met_at(0)?, met_at(hi)?) {
        (true, true) => return Ok(if long { None } else { Some(u64::MAX) }),
        (false, false) => return Ok(if long { Some(hi) } else { Some(0) }),
        _ => {}
    }
    // The last price on the liquidatable side: a long's highest unmet, a short's lowest.
    let (mut lo, mut hi) = (0u64, hi); // met(lo) != met(hi)
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if met_at(mid)? == long {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Some(if long { lo } else { hi }))
}

/// Most perp positions a model computation copies (an account's slot count).
pub const MAX_PERPS_PER_MODEL: usize = 8;

/// One perp position with its own quote collateral, risked alone in cross terms: the account an
/// isolated position is.
pub fn isolated_account<'a>(collateral: i64, perp: &'a PerpExposure, params: AccountParams) -> RiskAccount<'a> {
    RiskAccount { quote_balance: collateral, collateral: &[], perps: core::slice::from_ref(perp), params }
}

/// Cross health written in exposure form: equity at full value − Σ|v|. Equal to
/// [`crate::health`]'s `equity − requirement` to the unit.
pub fn cross_free_collateral_from_exposures(
    account: &RiskAccount,
    collateral_assets: &[u8],
    perp_assets: &[u8],
    kind: MarginKind,
) -> MathResult<i128> {
    let cross = health(account, kind)?;
    let e = exposures(account, collateral_assets, perp_assets, kind)?;
    let full_equity = add(cross.equity, sub(e.gross, cross.requirement)?)?;
    sub(full_equity, e.gross)
}

/// Whether a portfolio trade that reduces a position may stand by initial margin `after` it,
/// given `before`: at initial margin, or no less free initial collateral than before. In cross
/// a smaller position never needs more, so a reduction always stands; in portfolio closing one
/// leg of a hedge can raise the netted requirement and leave the other leg naked above its
/// market's leverage cap, which is a risk increase whatever the position's size says.
pub fn portfolio_reduction_allowed(before: &Health, after: &Health) -> bool {
    after.is_met() || after.free_collateral() >= before.free_collateral()
}
