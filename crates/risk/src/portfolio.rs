//! Portfolio margin: requirements that net across correlated exposures, collateral included.
//!
//! Every exposure has a risk ratio `r` and a signed risk `v = signed value × r`: a collateral
//! balance is long its asset with `r = 1 − asset weight`; a perp position is long or short its
//! asset with `r` = its margin ratio (size premium included). With `V_a = Σ v` over the
//! exposures of asset `a` and `C` the exchange's correlation matrix:
//!
//! - cross:     equity at full value − Σ|v|                (no netting; equals [`crate::health`]);
//! - portfolio: requirement = max(floor × Σ|v|, √(Vᵀ C V)), equity at full value.
//!
//! Correlations are ppm (`RATIO_ONE` = 1.0). Requirements round up.

use crate::fixed::*;
use crate::margin::*;
use crate::types::*;

/// Assets a correlation matrix covers.
pub const MAX_ASSETS: usize = 16;

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

/// Signed risk per asset: `V_a = Σ v` over the account's exposures to asset `a`, and the gross
/// `Σ|v|` over exposures (quote native units).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exposures {
    pub per_asset: [i128; MAX_ASSETS],
    pub gross: i128,
}

/// The account's exposures for `kind`. `collateral_assets[i]` and `perp_assets[i]` give the asset
/// index of each collateral balance and perp position.
pub fn exposures(
    account: &RiskAccount,
    collateral_assets: &[u8],
    perp_assets: &[u8],
    kind: MarginKind,
) -> MathResult<Exposures> {
    let mut e = Exposures { per_asset: [0; MAX_ASSETS], gross: 0 };
    for (c, a) in account.collateral.iter().zip(collateral_assets) {
        let full = to_i128(u128::from(c.amount) * u128::from(c.price.asset(kind)) / PRICE_SCALE)?;
        let v = sub(full, collateral_value(c, kind)?)?; // value × (1 − weight), as cross counts it
        let slot = e.per_asset.get_mut(usize::from(*a)).ok_or(MathError::InvalidInput)?;
        *slot = add(*slot, v)?;
        e.gross = add(e.gross, v)?;
    }
    for (p, a) in account.perps.iter().zip(perp_assets) {
        let r = position_requirement(p.position.base, &p.market, kind)?;
        let v = if p.position.base >= 0 { r } else { -r };
        let slot = e.per_asset.get_mut(usize::from(*a)).ok_or(MathError::InvalidInput)?;
        *slot = add(*slot, v)?;
        e.gross = add(e.gross, r)?;
    }
    Ok(e)
}

/// `⌈√(Vᵀ C V)⌉`, quote native units.
pub fn correlated_risk(v: &[i128; MAX_ASSETS], c: &Correlation) -> MathResult<i128> {
    let n = c.n.min(MAX_ASSETS);
    let mut total: i128 = 0;
    for i in 0..n {
        if v[i] == 0 {
            continue;
        }
        // w_i = Σ_j C_ij V_j, rounded away from zero in V_i's direction (an upper bound).
        let mut w: i128 = 0;
        for (vj, cij) in v[..n].iter().zip(&c.c[i][..n]) {
            w = add(w, vj.checked_mul(i128::from(*cij)).ok_or(MathError::Overflow)?)?;
        }
        let w = if v[i] > 0 {
            mul_div_signed_ceil(w, 1, u128::from(RATIO_ONE))?
        } else {
            mul_div_signed_floor(w, 1, u128::from(RATIO_ONE))?
        };
        total = add(total, v[i].checked_mul(w).ok_or(MathError::Overflow)?)?;
    }
    to_i128(isqrt_ceil(total.max(0).unsigned_abs()))
}

/// Portfolio requirement: `max(⌈floor × Σ|v|⌉, ⌈√(Vᵀ C V)⌉)`.
pub fn portfolio_requirement(e: &Exposures, c: &Correlation, floor: u32) -> MathResult<i128> {
    let floored = to_i128(mul_div_ceil(e.gross.max(0).unsigned_abs(), u128::from(floor), u128::from(RATIO_ONE))?)?;
    Ok(floored.max(correlated_risk(&e.per_asset, c)?))
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
    let cross = health(account, kind)?;
    let e = exposures(account, collateral_assets, perp_assets, kind)?;
    let collateral_haircut = sub(e.gross, cross.requirement)?; // Σ value × (1 − weight)
    Ok(Health { equity: add(cross.equity, collateral_haircut)?, requirement: portfolio_requirement(&e, c, floor)? })
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
