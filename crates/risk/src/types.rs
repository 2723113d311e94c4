//! The engine's inputs: what an account holds and how each holding is priced and weighted.
//! Units are those of [`crate::fixed`].

use crate::fixed::{MarginKind, MathError, MathResult, RATIO_ONE};

/// An oracle observation, both in [`crate::fixed::PRICE_SCALE`] units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Price {
    /// Latest aggregate price.
    pub oracle: u64,
    /// Exponential moving average of the price.
    pub ema: u64,
}

impl Price {
    /// A price whose oracle and EMA agree.
    pub const fn flat(p: u64) -> Self {
        Self { oracle: p, ema: p }
    }

    /// The conservative bound of an oracle price whose confidence interval is `± conf`, against
    /// the holder: a long (or collateral) at `oracle − conf`, a short at `oracle + conf`, and the
    /// EMA no more favourable than that bound. `None` when the bound a long needs is not
    /// positive (the oracle says nothing about the price).
    pub fn conservative(oracle: u64, ema: u64, conf: u64, long: bool) -> Option<Self> {
        if long {
            let p = oracle.checked_sub(conf).filter(|p| *p > 0)?;
            Some(Self { oracle: p, ema: ema.min(p) })
        } else {
            let p = oracle.checked_add(conf)?;
            Some(Self { oracle: p, ema: ema.max(p) })
        }
    }

    /// Price to value an asset at: `min(oracle, ema)` for initial margin, oracle for maintenance.
    #[inline]
    pub fn asset(&self, kind: MarginKind) -> u64 {
        match kind {
            MarginKind::Initial => self.oracle.min(self.ema),
            MarginKind::Maintenance => self.oracle,
        }
    }

    /// Price to value a liability at: `max(oracle, ema)` for initial margin, oracle for maintenance.
    #[inline]
    pub fn liability(&self, kind: MarginKind) -> u64 {
        match kind {
            MarginKind::Initial => self.oracle.max(self.ema),
            MarginKind::Maintenance => self.oracle,
        }
    }
}

/// A non-quote collateral balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Collateral {
    /// Amount held, in the collateral mint's native units.
    pub amount: u64,
    /// Price of one native unit in quote native units × `PRICE_SCALE`.
    pub price: Price,
    /// Share of the value counted for initial margin, ppm (0..=`RATIO_ONE`).
    pub init_asset_weight: u32,
    /// Share of the value counted for maintenance margin, ppm (`init_asset_weight..=RATIO_ONE`).
    pub maint_asset_weight: u32,
}

impl Collateral {
    /// Asset weight for `kind`, ppm.
    #[inline]
    pub fn weight(&self, kind: MarginKind) -> u32 {
        match kind {
            MarginKind::Initial => self.init_asset_weight,
            MarginKind::Maintenance => self.maint_asset_weight,
        }
    }
}

/// A perpetual position as stored in an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PerpPosition {
    /// Signed size in base native units: positive long, negative short.
    pub base: i64,
    /// Signed quote cost basis in quote native units: what opening the position paid (negative,
    /// for longs) or received (positive, for shorts). Unrealised PnL = `base × price + quote_entry`.
    pub quote_entry: i64,
    /// The index of the position's side ([`PerpMarketRisk::position_index`]) when funding and
    /// the borrow fee were last settled, `FUNDING_SCALE`; 0 with no position.
    pub funding_snapshot: i128,
}

/// What the engine needs of a perp market to risk one position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PerpMarketRisk {
    /// Oracle price and EMA of one base native unit.
    pub price: Price,
    /// Decimals of the base asset (size premium is per whole base unit).
    pub base_decimals: u8,
    /// Initial margin ratio, ppm (1 / max leverage).
    pub init_margin_ratio: u32,
    /// Maintenance margin ratio, ppm (`< init_margin_ratio`).
    pub maint_margin_ratio: u32,
    /// Size premium factor, ppm per √(whole base unit): ratio += `imf × √|size|`.
    pub imf: u32,
    /// Current cumulative funding index, `FUNDING_SCALE`; longs owe `base × (index − snapshot)`.
    pub cumulative_funding: i128,
    /// The market's PnL cap now ([`crate::pool::pnl_haircut`]): positive unrealised and realised
    /// PnL count and are paid through it ([`PnlHaircut::NONE`]: no cap).
    pub pnl_haircut: crate::pool::PnlHaircut,
    /// Current cumulative borrow-fee index, `FUNDING_SCALE` (never decreasing): every position
    /// owes the pool `|base| × (index − snapshot)` (see [`PerpMarketRisk::position_index`]).
    pub cumulative_borrow: i128,
}

impl PerpMarketRisk {
    /// The index a position of `base` settles against, `FUNDING_SCALE`: funding plus the borrow
    /// fee for a long, funding less the borrow fee for a short (its base is negative, so
    /// `base × Δindex` charges it the fee too), 0 with no position. A position owes
    /// `base × (position_index(base) − snapshot)`; one that changes side settles against its
    /// old side's index and takes the new side's as its snapshot.
    #[inline]
    pub fn position_index(&self, base: i64) -> MathResult<i128> {
        match base.signum() {
            1 => self.cumulative_funding.checked_add(self.cumulative_borrow),
            -1 => self.cumulative_funding.checked_sub(self.cumulative_borrow),
            _ => Some(0),
        }
        .ok_or(MathError::Overflow)
    }

    /// Base margin ratio for `kind`, ppm, before the size premium.
    #[inline]
    pub fn margin_ratio(&self, kind: MarginKind) -> u32 {
        match kind {
            MarginKind::Initial => self.init_margin_ratio,
            MarginKind::Maintenance => self.maint_margin_ratio,
        }
    }
}

/// A position with its market, the unit the health computation walks over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PerpExposure {
    pub position: PerpPosition,
    pub market: PerpMarketRisk,
}

/// Exchange-wide parameters the account computation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountParams {
    /// Weight of quote debt for initial margin, ppm (≥ `RATIO_ONE`).
    pub quote_init_liability_weight: u32,
    /// Weight of quote debt for maintenance margin, ppm (≥ `RATIO_ONE`).
    pub quote_maint_liability_weight: u32,
    /// Share of positive unrealised PnL counted for initial margin, ppm.
    pub unrealized_pnl_init_weight: u32,
}

impl Default for AccountParams {
    fn default() -> Self {
        Self {
            quote_init_liability_weight: RATIO_ONE as u32,
            quote_maint_liability_weight: RATIO_ONE as u32,
            unrealized_pnl_init_weight: RATIO_ONE as u32,
        }
    }
}

impl AccountParams {
    /// Liability weight of quote debt for `kind`, ppm.
    #[inline]
    pub fn quote_liability_weight(&self, kind: MarginKind) -> u32 {
        match kind {
            MarginKind::Initial => self.quote_init_liability_weight,
            MarginKind::Maintenance => self.quote_maint_liability_weight,
        }
    }

    /// Checks the documented ranges.
    pub fn validate(&self) -> MathResult<()> {
        let one = RATIO_ONE as u32;
        if self.quote_init_liability_weight < self.quote_maint_liability_weight
            || self.quote_maint_liability_weight < one
            || self.quote_init_liability_weight > 2 * one
            || self.unrealized_pnl_init_weight > one
        {
            return Err(MathError::InvalidInput);
        }
        Ok(())
    }
}

/// Everything one margin computation looks at: a view over an account and its priced assets.
#[derive(Clone, Copy, Debug)]
pub struct RiskAccount<'a> {
    /// Quote balance in quote native units; negative is debt from realised losses.
    pub quote_balance: i64,
    /// Non-quote collateral balances.
    pub collateral: &'a [Collateral],
    /// Open perp positions with their markets.
    pub perps: &'a [PerpExposure],
    /// Exchange-wide parameters.
    pub params: AccountParams,
}

#[cfg(test)]
mod tests {
    use super::Price;

    #[test]
    fn the_conservative_bound_is_against_the_holder() {
        assert_eq!(Price::conservative(100, 101, 3, true), Some(Price { oracle: 97, ema: 97 }));
        assert_eq!(Price::conservative(100, 95, 3, true), Some(Price { oracle: 97, ema: 95 }));
        assert_eq!(Price::conservative(100, 99, 3, false), Some(Price { oracle: 103, ema: 103 }));
        assert_eq!(Price::conservative(100, 105, 3, false), Some(Price { oracle: 103, ema: 105 }));
        assert_eq!(Price::conservative(100, 100, 100, true), None);
        assert_eq!(Price::conservative(100, 100, 0, true), Some(Price::flat(100)));
    }
}
