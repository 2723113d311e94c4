use anchor_lang::prelude::*;
use fulcrum_risk::PerpPosition;

use super::{get_i128, put_i128};

/// Collateral slots per account (non-quote banks).
pub const MAX_COLLATERAL: usize = 8;
/// Perp position slots per account.
pub const MAX_PERPS: usize = 8;

/// A non-quote collateral balance. Free when `amount == 0` (then `bank_index == 0`).
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct CollateralSlot {
    /// Native units of the bank's mint.
    pub amount: u64,
    /// Bank index (≥ 1; bank 0 is the quote balance).
    pub bank_index: u16,
    pub _pad: [u8; 6],
}

/// A perp position. Free when `base == 0 && quote_entry == 0 && isolated_collateral == 0`.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct PerpSlot {
    /// Signed size, base native units.
    pub base: i64,
    /// Signed cost basis, quote native units (see `fulcrum_risk::PerpPosition`).
    pub quote_entry: i64,
    /// Funding index at last settlement (i128 little-endian, `FUNDING_SCALE`).
    pub funding_snapshot: [u8; 16],
    /// Realised PnL of this position since it opened, quote native units (display only).
    pub realized_pnl: i64,
    /// Isolated positions: the quote collateral that alone backs this position (its PnL, fees
    /// and funding settle here, not in the account's quote balance), quote native units.
    /// Negative only when the owner closed the position under water: `resolve_bankruptcy` then
    /// covers it from the insurance fund and the pool. Zero for cross positions.
    pub isolated_collateral: i64,
    pub market_index: u16,
    /// 1: an isolated position (see `isolated_collateral`); 0: backed by the account.
    pub isolated: u8,
    pub _pad: [u8; 5],
}

impl PerpSlot {
    pub fn is_active(&self) -> bool {
        self.base != 0 || self.quote_entry != 0 || self.isolated_collateral != 0
    }

    pub fn is_isolated(&self) -> bool {
        self.isolated != 0
    }

    pub fn position(&self) -> PerpPosition {
        PerpPosition {
            base: self.base,
            quote_entry: self.quote_entry,
            funding_snapshot: get_i128(&self.funding_snapshot),
        }
    }

    pub fn set_position(&mut self, p: &PerpPosition) {
        self.base = p.base;
        self.quote_entry = p.quote_entry;
        self.funding_snapshot = put_i128(p.funding_snapshot);
    }
}

/// A trader's margin account: quote balance, collateral and perp positions in fixed slots.
///
/// Active slots are kept packed at the front and sorted by bank / market index. The margin
/// check reads, as remaining accounts, exactly `(bank, oracle)` for each active collateral slot
/// then `(market, oracle)` for each active perp slot, in slot order: the canonical order.
#[account(zero_copy)]
#[derive(Debug)]
#[repr(C)]
pub struct MarginAccount {
    pub exchange: Pubkey,
    pub owner: Pubkey,
    /// May trade (not withdraw) for the owner; `Pubkey::default()` when none.
    pub delegate: Pubkey,
    /// Quote native units; negative is debt from realised losses.
    pub quote_balance: i64,
    /// Slot at which the account entered margin call (0 = not in margin call).
    pub margin_call_slot: u64,
    /// Quote fees paid, ever.
    pub fees_paid: u64,
    pub sub_account_id: u16,
    pub bump: u8,
    /// Last health state an instruction computed (`fulcrum_risk::HealthState` as u8).
    pub health_state: u8,
    pub num_collateral: u8,
    pub num_perps: u8,
    /// 1 while the account is in margin call (since `margin_call_slot`).
    pub in_margin_call: u8,
    /// `fulcrum_risk::MarginMode` as u8: how the account's collateral backs its (non-isolated)
    /// positions. Portfolio accounts append the exchange's `Correlations` to every margin check.
    pub margin_mode: u8,
    pub collateral: [CollateralSlot; MAX_COLLATERAL],
    pub perps: [PerpSlot; MAX_PERPS],
    // --- LP flows (issue 13 §2): 8 bytes
    /// Bad debt of this account counted in the pool's `unresolved_bad_debt`, quote native.
    pub recorded_bad_debt: u64,
    // --- order book lifetime (issue 16 fix): 8 bytes
    /// 1 while the account's order book (`[ORDERS, margin_account]`) exists: set by
    /// `create_order_book`, cleared by `close_order_book`. The account does not close while it
    /// is set, so a book (its orders, escrowed fees) never outlives the account it trades for.
    pub has_order_book: u8,
    pub _pad_orders: [u8; 7],
    // --- reputation (issue 18 §1): 232 bytes, the account grows from 776 to 1,008
    /// The account's track record and tier ([`ReputationRecord`]).
    pub reputation: ReputationRecord,
    pub reserved: [u8; 56],
}
const _: () = assert!(core::mem::size_of::<MarginAccount>() == 1_008);
const _: () = assert!(core::mem::size_of::<ReputationRecord>() == 232);

/// Which of a liquidation's kinds [`ReputationRecord::punish`] records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setback {
    Liquidation,
    Bankruptcy,
}

/// An account's on-chain track record (issue 18 §1): it lives in the account, so it moves with
/// nothing (the account's owner is a PDA seed: no instruction changes it) and every trade and
/// liquidation updates it without another account. Times are unix seconds, equity and volume
/// quote native. Read by `refresh_reputation`, the only instruction that raises a tier.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct ReputationRecord {
    pub created_at: i64,
    pub created_slot: u64,
    /// Time-weighted equity, quote native × seconds (u128 little-endian).
    pub equity_secs: [u8; 16],
    /// When `refresh_reputation` last sampled the equity, and what it was (lowered by
    /// withdrawals in between): the next crank earns the lower of it and the equity then.
    pub sampled_at: i64,
    pub sampled_equity: u64,
    /// Volume net of wash, quote native (`fulcrum_risk::washed_volume`).
    pub net_volume: u64,
    /// Realised PnL of trades, ever, quote native.
    pub realized_pnl: i64,
    pub last_margin_call_at: i64,
    pub last_liquidation_at: i64,
    pub last_bankruptcy_at: i64,
    pub last_margin_call_slot: u64,
    pub last_liquidation_slot: u64,
    pub last_bankruptcy_slot: u64,
    pub tier_changed_at: i64,
    /// No tier above 0 before this (a liquidation's or bankruptcy's cool-off).
    pub cool_off_until: i64,
    /// When the position in `hold_market[i]` was last opened, grown or flipped (0: entry free):
    /// its reductions count as volume only `min_hold_secs` later.
    pub hold_since: [i64; MAX_PERPS],
    pub hold_market: [u16; MAX_PERPS],
    pub margin_calls: u32,
    pub liquidations: u32,
    pub bankruptcies: u32,
    /// The tier's initial-margin multiplier, ppm (0: tiers off, 1×); copied from the exchange's
    /// table when the tier changes, so a margin check needs no other account.
    pub init_multiplier: u32,
    pub tier: u8,
    pub _pad: [u8; 7],
}

impl ReputationRecord {
    pub fn equity_secs(&self) -> u128 {
        u128::from_le_bytes(self.equity_secs)
    }

    /// What a tier reads, at `now`.
    pub fn stats(&self, now: i64) -> fulcrum_risk::ReputationStats {
        fulcrum_risk::ReputationStats {
            age_secs: u64::try_from(now.saturating_sub(self.created_at)).unwrap_or(0),
            equity_secs: self.equity_secs(),
            net_volume: self.net_volume,
            liquidations: self.liquidations.saturating_add(self.bankruptcies),
        }
    }

    /// A market's risk with this account's tiered initial ratio (maintenance untouched).
    pub fn tiered(
        &self,
        mut risk: fulcrum_risk::PerpMarketRisk,
    ) -> fulcrum_risk::MathResult<fulcrum_risk::PerpMarketRisk> {
        risk.init_margin_ratio =
            fulcrum_risk::tiered_init_ratio(risk.init_margin_ratio, risk.maint_margin_ratio, self.init_multiplier)?;
        Ok(risk)
    }

    /// Sets the tier and its multiplier from `table`; whether it changed.
    pub fn set_tier(&mut self, tier: u8, table: &super::ReputationConfig, now: i64) -> bool {
        let multiplier = table.multiplier(tier);
        let changed = tier != self.tier || multiplier != self.init_multiplier;
        if tier != self.tier {
            self.tier_changed_at = now;
        }
        self.tier = tier;
        self.init_multiplier = multiplier;
        changed
    }

    /// A liquidation or bankruptcy: counted, and the tier drops to 0 at once for the table's
    /// cool-off. Returns the tier before.
    pub fn punish(&mut self, kind: Setback, table: &super::ReputationConfig, now: i64, slot: u64) -> u8 {
        match kind {
            Setback::Liquidation => {
                self.liquidations = self.liquidations.saturating_add(1);
                self.last_liquidation_at = now;
                self.last_liquidation_slot = slot;
            }
            Setback::Bankruptcy => {
                self.bankruptcies = self.bankruptcies.saturating_add(1);
                self.last_bankruptcy_at = now;
                self.last_bankruptcy_slot = slot;
            }
        }
        self.cool_off_until = now.saturating_add(i64::from(table.cool_off_secs));
        let was = self.tier;
        self.tier_changed_at = now;
        self.tier = 0;
        self.init_multiplier = table.multiplier(0);
        was
    }

    /// A fill of `size` on market `market` that moved the position from `old_base` to `new_base`
    /// for `fill_quote` notional, realising `realized_pnl`: volume net of wash, realised PnL, and
    /// the position's hold time. `None` on overflow.
    #[allow(clippy::too_many_arguments)]
    pub fn record_fill(
        &mut self,
        market: u16,
        old_base: i64,
        new_base: i64,
        fill_quote: u64,
        realized_pnl: i64,
        now: i64,
        min_hold: u32,
    ) -> Option<()> {
        let size = new_base.checked_sub(old_base)?;
        let held = (0..MAX_PERPS).find(|&i| self.hold_since[i] != 0 && self.hold_market[i] == market);
        let since = held.map_or(now, |i| self.hold_since[i]);
        let volume = fulcrum_risk::washed_volume(old_base, size, fill_quote, since, now, min_hold).ok()?;
        self.net_volume = self.net_volume.saturating_add(volume);
        self.realized_pnl = self.realized_pnl.saturating_add(realized_pnl);
        let grew = new_base.unsigned_abs() > old_base.unsigned_abs() || (old_base > 0) != (new_base > 0);
        // A position closed by a liquidation or auto-deleveraging leaves its entry: with none
        // free, the oldest goes (its position, if still open, then counts no volume: against
        // the account, never for it).
        let free = || (0..MAX_PERPS).find(|&i| self.hold_since[i] == 0);
        let entry = held.or_else(free).or_else(|| (0..MAX_PERPS).min_by_key(|&i| self.hold_since[i]));
        if new_base == 0 {
            if let Some(i) = held {
                self.hold_since[i] = 0;
            }
        } else if let Some(i) = entry.filter(|_| grew || held.is_none()) {
            self.hold_since[i] = now.max(1);
            self.hold_market[i] = market;
        }
        Some(())
    }
}

impl MarginAccount {
    pub const SIZE: usize = 8 + core::mem::size_of::<MarginAccount>();

    /// What `resolve_bankruptcy` would cover now: the account's quote debt once nothing backs
    /// it (no cross position, no collateral), less the collateral of its open isolated
    /// positions, plus the deficits of closed isolated positions.
    pub fn pending_bad_debt(&self) -> u64 {
        let perps = self.active_perps();
        let mut debt = 0u64;
        let backed = perps.iter().any(|p| !p.is_isolated());
        if !backed && self.num_collateral == 0 && self.quote_balance < 0 {
            let held: u64 = perps
                .iter()
                .filter(|p| p.is_isolated() && p.base != 0 && p.isolated_collateral > 0)
                .fold(0u64, |s, p| s.saturating_add(p.isolated_collateral.unsigned_abs()));
            debt = self.quote_balance.unsigned_abs().saturating_sub(held);
        }
        perps
            .iter()
            .filter(|p| p.is_isolated() && p.base == 0 && p.isolated_collateral < 0)
            .fold(debt, |s, p| s.saturating_add(p.isolated_collateral.unsigned_abs()))
    }

    pub fn active_collateral(&self) -> &[CollateralSlot] {
        &self.collateral[..usize::from(self.num_collateral).min(MAX_COLLATERAL)]
    }

    pub fn active_perps(&self) -> &[PerpSlot] {
        &self.perps[..usize::from(self.num_perps).min(MAX_PERPS)]
    }

    /// Index of the slot holding `bank_index`, inserting an empty one in sorted position if
    /// none does. `None` when all slots are taken.
    pub fn collateral_slot(&mut self, bank_index: u16) -> Option<usize> {
        let n = usize::from(self.num_collateral);
        let at = self.collateral[..n].partition_point(|s| s.bank_index < bank_index);
        if at < n && self.collateral[at].bank_index == bank_index {
            return Some(at);
        }
        if n >= MAX_COLLATERAL {
            return None;
        }
        self.collateral.copy_within(at..n, at + 1);
        self.collateral[at] = CollateralSlot { amount: 0, bank_index, _pad: [0; 6] };
        self.num_collateral += 1;
        Some(at)
    }

    /// Index of the slot of `bank_index`, if active.
    pub fn find_collateral(&self, bank_index: u16) -> Option<usize> {
        self.active_collateral().iter().position(|s| s.bank_index == bank_index)
    }

    /// Frees collateral slot `i` if it is empty, keeping the rest packed and sorted.
    pub fn compact_collateral(&mut self, i: usize) {
        let n = usize::from(self.num_collateral);
        if i < n && self.collateral[i].amount == 0 {
            self.collateral.copy_within(i + 1..n, i);
            self.collateral[n - 1] = CollateralSlot::default();
            self.num_collateral -= 1;
        }
    }

    /// Index of the perp slot of `market_index`, inserting an empty one if none. `None` when full.
    pub fn perp_slot(&mut self, market_index: u16) -> Option<usize> {
        let n = usize::from(self.num_perps);
        let at = self.perps[..n].partition_point(|s| s.market_index < market_index);
        if at < n && self.perps[at].market_index == market_index {
            return Some(at);
        }
        if n >= MAX_PERPS {
            return None;
        }
        self.perps.copy_within(at..n, at + 1);
        self.perps[at] = PerpSlot { market_index, ..PerpSlot::default() };
        self.num_perps += 1;
        Some(at)
    }

    /// Index of the perp slot of `market_index`, if active.
    pub fn find_perp(&self, market_index: u16) -> Option<usize> {
        self.active_perps().iter().position(|s| s.market_index == market_index)
    }

    /// Settles a fill of perp slot `i`: its realised PnL less `fee` into the position's backing
    /// (the slot's isolated collateral, or the quote balance), the position after it, and the
    /// slot's running realised PnL (reset once the position is closed). `None` on overflow.
    pub fn settle_fill(&mut self, i: usize, position: &PerpPosition, realized_pnl: i64, fee: i64) -> Option<()> {
        let backing =
            if self.perps[i].is_isolated() { &mut self.perps[i].isolated_collateral } else { &mut self.quote_balance };
        *backing = backing.checked_add(realized_pnl)?.checked_sub(fee)?;
        let slot = &mut self.perps[i];
        slot.set_position(position);
        slot.realized_pnl = if position.base == 0 { 0 } else { slot.realized_pnl.checked_add(realized_pnl)? };
        Some(())
    }

    /// Frees perp slot `i` if its position is closed.
    pub fn compact_perp(&mut self, i: usize) {
        let n = usize::from(self.num_perps);
        if i < n && !self.perps[i].is_active() {
            self.perps.copy_within(i + 1..n, i);
            self.perps[n - 1] = PerpSlot::default();
            self.num_perps -= 1;
        }
    }

    /// Whether `key` may trade for this account.
    pub fn can_trade(&self, key: &Pubkey) -> bool {
        *key == self.owner || (*key == self.delegate && self.delegate != Pubkey::default())
    }

    pub fn is_portfolio(&self) -> bool {
        self.margin_mode == fulcrum_risk::MarginMode::Portfolio as u8
    }

    pub fn is_empty(&self) -> bool {
        self.quote_balance == 0 && self.num_collateral == 0 && self.num_perps == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_entries_follow_positions_and_evict_the_oldest() {
        let mut r = ReputationRecord::default();
        for m in 0..8u16 {
            assert!(r.record_fill(m, 0, 10, 1_000, 0, 100 + i64::from(m), 60).is_some());
        }
        // A ninth market takes the oldest entry (market 0's).
        assert!(r.record_fill(8, 0, 10, 1_000, 0, 200, 60).is_some());
        assert!(!r.hold_market.iter().zip(r.hold_since).any(|(m, s)| *m == 0 && s != 0));
        // Market 0's close counts nothing and clears no one's entry; market 1's counts.
        assert!(r.record_fill(0, 10, 0, 1_000, 0, 1_000, 60).is_some());
        assert_eq!(r.net_volume, 0);
        assert_eq!(r.hold_since.iter().filter(|s| **s != 0).count(), 8);
        assert!(r.record_fill(1, 10, 0, 1_000, 5, 1_000, 60).is_some());
        assert_eq!((r.net_volume, r.realized_pnl), (1_000, 5));
        assert_eq!(r.hold_since.iter().filter(|s| **s != 0).count(), 7);
        // Growing restarts the clock; a reduction right after counts nothing.
        assert!(r.record_fill(2, 10, 20, 1_000, 0, 1_000, 60).is_some());
        assert!(r.record_fill(2, 20, 10, 1_000, 0, 1_010, 60).is_some());
        assert_eq!(r.net_volume, 1_000);
    }
}
