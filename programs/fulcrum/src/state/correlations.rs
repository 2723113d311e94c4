use anchor_lang::prelude::*;
use fulcrum_risk::{Correlation, MAX_ASSETS};

/// Banks and markets (by index) that portfolio margin can place on an asset.
pub const MAX_MAPPED: usize = 32;
/// `bank_assets` / `market_assets` entry of a bank or market on no asset.
pub const NO_ASSET: u8 = u8::MAX;

/// The exchange's portfolio-margin configuration, set whole by the admin (`set_correlations`):
/// the correlation matrix over its assets, which asset each bank and perp market is, the floor
/// and the minimum equity to opt in. Portfolio accounts pass it after their health accounts.
#[account(zero_copy)]
#[derive(Debug)]
#[repr(C)]
pub struct Correlations {
    pub exchange: Pubkey,
    /// Least account equity (full value) to switch to portfolio margin, quote native units.
    pub min_equity: u64,
    /// Portfolio requirement ≥ floor × gross risk; ppm.
    pub floor: u32,
    /// Assets the matrix covers (≤ `MAX_ASSETS`).
    pub num_assets: u8,
    pub bump: u8,
    pub _pad: [u8; 2],
    /// Correlations, ppm, row-major `num_assets × num_assets` in a `MAX_ASSETS²` grid; cells
    /// outside the matrix are zero.
    pub matrix: [[i32; MAX_ASSETS]; MAX_ASSETS],
    /// Asset of collateral bank `i` ([`NO_ASSET`]: none; bank 0, the quote, is never an asset).
    pub bank_assets: [u8; MAX_MAPPED],
    /// Asset of perp market `i` ([`NO_ASSET`]: none).
    pub market_assets: [u8; MAX_MAPPED],
    pub reserved: [u8; 64],
}
const _: () = assert!(core::mem::size_of::<Correlations>() == 752);

impl Correlations {
    pub const SIZE: usize = 8 + core::mem::size_of::<Correlations>();

    /// The engine's matrix.
    pub fn correlation(&self) -> Correlation {
        Correlation { n: usize::from(self.num_assets).min(MAX_ASSETS), c: self.matrix }
    }

    /// Asset of bank `index`, if it has one.
    pub fn bank_asset(&self, index: u16) -> Option<u8> {
        self.bank_assets.get(usize::from(index)).copied().filter(|a| usize::from(*a) < usize::from(self.num_assets))
    }

    /// Asset of market `index`, if it has one.
    pub fn market_asset(&self, index: u16) -> Option<u8> {
        self.market_assets.get(usize::from(index)).copied().filter(|a| usize::from(*a) < usize::from(self.num_assets))
    }
}
