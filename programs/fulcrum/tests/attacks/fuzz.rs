//! Stateful fuzzing: random sequences of instructions from several traders, keepers and an LP,
//! with random price paths, through `BanksClient`; one of the two markets runs every dynamic-risk
//! rule (volatility margin, OI premium, circuit breaker, funding, skew fees). After every transaction:
//! - per-mint conservation: vault == Σ account balances + pool + insurance;
//! - open interest and entry sums == Σ positions; no empty slot counted as active;
//! - the accounts the program accepts for liquidation are exactly those `fulcrum_risk` says
//!   are below maintenance (checked by simulating `liquidate_perp` for every account, through
//!   the position the engine names: cross the largest requirement, portfolio the netted target);
//! - no liquidation raises the liquidated account's maintenance requirement;
//! - no stranger's collateral deposit into another account lands;
//! - every refused transaction carries one of the program's named errors;
//! - a side that grew is within the reserve and the insurance-aware open-interest cap; a close
//!   settles exactly the engine's PnL, funding and borrow fee, and the pool and insurance fund
//!   earn exactly what the account pays (`capacity.rs`; both markets run the capacity rules).
//!
//! Besides trades, deposits, withdrawals, prices, keepers and LP flows, the operations include
//! third-party deposits, a bank listed after the correlations (on no asset), hedged pairs in the
//! two correlated markets (then leg closes), per-second crank runs (each crank must move funding
//! by exactly its accrual), confidence widening past the markets' bound (liquidations must go on
//! at the conservative price: none may fail for its oracle), oracle rotation, isolated collateral
//! and margin-mode switches, oracle-latency round trips (open, newer update, close in one
//! slot: never a gain; the dynamic market also charges a latency spread), and LP flows (issue 13 §2): flash deposits wrapped around a trade
//! (the trade pays the fee of the depth without them), claims (never within the cooldown),
//! deposits and withdrawals that never lower the others' share price, and the LP accounting
//! (locked shares, recorded bad debt, funding snapshot sums) checked after every transaction.
//!
//! Winners are always paid (both markets carry a PnL cap, Σ 3% of the pool's cash, and
//! auto-deleveraging): a close, a liquidation or an auto-deleveraging never fails with
//! `InsufficientPoolLiquidity`, and what it pays is the full profit or exactly its capped share
//! under the haircut before it (`fulcrum_risk::apply_haircut`), never more than the cap; an
//! accepted auto-deleveraging lowered the market's ratio and left it at or above the floor.
//!
//! Orders (issue 16, `orders.rs`): traders place (every kind, reduce-only and whole-position
//! triggers), cancel (one or all) and a keeper executes. After every transaction each order
//! book's lamports are its rent plus `escrowed_fees`, which is Σ its open orders' fees; a fill is
//! never at a price published at or before the order's placement; the keeper earns exactly the
//! order's fee (filled or cancelled) and nothing when refused; a cancel refunds exactly the fees.
//!
//! Seeds are fixed (`FULCRUM_FUZZ_SEED`, default 1), so a run is reproducible; a failing
//! sequence is shrunk by proptest and written to `tests/attacks/regressions/` as JSON, which
//! `fuzz_regressions_replay` replays forever after. `FULCRUM_FUZZ_CASES` × `FULCRUM_FUZZ_OPS`
//! sets the campaign size (CI: 12 × 250; `scripts/fuzz-campaign.sh`: ≥ 100,000 transactions).

use std::time::Instant;

use fulcrum::instructions::Side;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde::{Deserialize, Serialize};

use crate::harness::*;
use solana_sdk::signature::Signer;

/// Fulcrum's own error codes: Anchor's custom range, 6,000 + the variant's index (113 variants
/// after issue 16: the range must cover every one, or a named refusal reads as unnamed).
const NAMED: std::ops::Range<u32> = 6_000..6_200;

const TRADERS: usize = 4;
const MARKETS: usize = 2;
/// Quote, SOL (on the correlations' asset map) and JUP (listed after them: on no asset).
const BANKS: u8 = 3;

/// One step of a campaign. Amounts are fractions (‰) of what the actor has, so most steps are
/// meaningful whatever the state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Op {
    Deposit {
        who: u8,
        bank: u8,
        permille: u16,
    },
    Withdraw {
        who: u8,
        bank: u8,
        permille: u16,
    },
    Trade {
        who: u8,
        market: u8,
        buy: bool,
        steps: u32,
    },
    Close {
        who: u8,
        market: u8,
    },
    Price {
        market: u8,
        bps: i16,
    },
    CollateralPrice {
        bps: i16,
    },
    Liquidate {
        target: u8,
    },
    LiquidateCollateral {
        target: u8,
        permille: u16,
    },
    Bankruptcy {
        target: u8,
    },
    Refresh {
        target: u8,
    },
    LpDeposit {
        permille: u16,
    },
    LpWithdraw {
        permille: u16,
    },
    Wait {
        secs: u8,
    },
    Crank {
        market: u8,
    },
    /// Moves ‰ of the quote balance into (`into`) the trader's isolated slot in `market`, or ‰
    /// of that slot's collateral back out.
    Isolate {
        who: u8,
        market: u8,
        into: bool,
        permille: u16,
    },
    /// Switches to portfolio (`portfolio`) or back to cross margin.
    Mode {
        who: u8,
        portfolio: bool,
    },
    /// `from` deposits ‰ of its tokens of `bank` into `to`'s account (quote: anyone may; other
    /// assets: refused unless `from` is `to`).
    DepositFor {
        from: u8,
        to: u8,
        bank: u8,
        permille: u16,
    },
    /// A hedged pair: `steps` of market 0 one way and as much notional of market 1 the other way.
    Hedge {
        who: u8,
        long_first: bool,
        steps: u32,
    },
    /// A keeper cranks `market` once a second for `secs` seconds; each crank must move funding
    /// by exactly its accrual (so the run accrues what one accrual over it would).
    Cranks {
        market: u8,
        secs: u8,
    },
    /// The confidence of a market's oracle (`target` < MARKETS) or of the SOL collateral's
    /// becomes `ppm` of the price (up to 6%: past the 2% the markets allow, as in a crash).
    Confidence {
        target: u8,
        ppm: u32,
    },
    /// The admin rotates `market`'s oracle to a new account at the same price.
    Rotate {
        market: u8,
    },
    /// Oracle-latency round trip in one slot (issue 13 §1): a trader with no position in
    /// `market` opens `steps`, a newer update moves the price `bps`, and it closes; it must not
    /// have earned anything ([`crate::latency::fuzz_round_trip`]).
    LatencyRoundTrip {
        who: u8,
        market: u8,
        buy: bool,
        steps: u32,
        bps: i16,
    },
    /// The LP deposits ‰ of its quote and `who` trades in the same transaction (a flash LP
    /// around a trade): the trade must pay the fee of the depth without the deposit.
    FlashLp {
        who: u8,
        market: u8,
        buy: bool,
        steps: u32,
        permille: u16,
    },
    /// The LP claims its locked shares: never within the cooldown, always after it.
    LpClaim,
    /// A keeper auto-deleverages `who`'s position in `market` (refused by name unless the market's
    /// winners are above its threshold and the close lowers the ratio).
    Adl {
        who: u8,
        market: u8,
    },
    /// Orders (issue 16): `who` places an order ([`crate::orders::fuzz_place`]).
    PlaceOrder {
        who: u8,
        market: u8,
        kind: u8,
        buy: bool,
        steps: u32,
        bps: i16,
    },
    /// `who` cancels its `pick`-th open order, or all of them ([`crate::orders::fuzz_cancel`]).
    CancelOrder {
        who: u8,
        pick: u8,
    },
    /// The keeper executes `who`'s `pick`-th open order ([`crate::orders::fuzz_execute`]).
    ExecuteOrder {
        who: u8,
        pick: u8,
    },
    /// s6-lst: the JUP bank's vault-share rate moves `bps` (within or past its 0.1%-per-epoch
    /// rise cap) `epochs` later and anyone refreshes it
    /// ([`crate::yield_collateral::fuzz_rate_move`]).
    RateMove {
        bps: i16,
        epochs: u8,
    },
    /// A keeper cranks `target`'s reputation tier ([`crate::reputation::fuzz_refresh`]).
    RefreshReputation {
        target: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0..TRADERS as u8;
    let m = 0..MARKETS as u8;
    prop_oneof![
        3 => (who.clone(), 0u8..BANKS, 1u16..1_000).prop_map(|(who, bank, permille)| Op::Deposit { who, bank, permille }),
        2 => (who.clone(), 0u8..BANKS, 1u16..1_000).prop_map(|(who, bank, permille)| Op::Withdraw { who, bank, permille }),
        6 => (who.clone(), m.clone(), any::<bool>(), 1u32..90_000).prop_map(|(who, market, buy, steps)| Op::Trade { who, market, buy, steps }),
        1 => (who.clone(), m.clone()).prop_map(|(who, market)| Op::Close { who, market }),
        5 => (m, -2_000i16..2_000).prop_map(|(market, bps)| Op::Price { market, bps }),
        2 => (-2_500i16..2_000).prop_map(|bps| Op::CollateralPrice { bps }),
        4 => who.clone().prop_map(|target| Op::Liquidate { target }),
        2 => (who.clone(), 1u16..1_000).prop_map(|(target, permille)| Op::LiquidateCollateral { target, permille }),
        2 => who.clone().prop_map(|target| Op::Bankruptcy { target }),
        1 => who.clone().prop_map(|target| Op::Refresh { target }),
        1 => (1u16..1_000).prop_map(|permille| Op::LpDeposit { permille }),
        1 => (1u16..1_000).prop_map(|permille| Op::LpWithdraw { permille }),
        1 => (1u8..90).prop_map(|secs| Op::Wait { secs }),
        2 => (0..MARKETS as u8).prop_map(|market| Op::Crank { market }),
        2 => (who.clone(), 0..MARKETS as u8, any::<bool>(), 1u16..1_000)
            .prop_map(|(who, market, into, permille)| Op::Isolate { who, market, into, permille }),
        2 => (who.clone(), any::<bool>()).prop_map(|(who, portfolio)| Op::Mode { who, portfolio }),
        2 => (who.clone(), who.clone(), 0u8..BANKS, 1u16..1_000)
            .prop_map(|(from, to, bank, permille)| Op::DepositFor { from, to, bank, permille }),
        1 => who.clone().prop_map(|target| Op::RefreshReputation { target }),
        3 => (who, any::<bool>(), 1u32..60_000).prop_map(|(who, long_first, steps)| Op::Hedge { who, long_first, steps }),
        1 => (0..MARKETS as u8, 1u8..30).prop_map(|(market, secs)| Op::Cranks { market, secs }),
        2 => (0..=MARKETS as u8, 0u32..60_000).prop_map(|(target, ppm)| Op::Confidence { target, ppm }),
        1 => (0..MARKETS as u8).prop_map(|market| Op::Rotate { market }),
        2 => (0..TRADERS as u8, 0..MARKETS as u8, any::<bool>(), 1u32..60_000, -300i16..300)
            .prop_map(|(who, market, buy, steps, bps)| Op::LatencyRoundTrip { who, market, buy, steps, bps }),
        1 => (0..TRADERS as u8, 0..MARKETS as u8, any::<bool>(), 1u32..90_000, 1u16..1_000)
            .prop_map(|(who, market, buy, steps, permille)| Op::FlashLp { who, market, buy, steps, permille }),
        1 => Just(Op::LpClaim),
        2 => (0..TRADERS as u8, 0..MARKETS as u8).prop_map(|(who, market)| Op::Adl { who, market }),
        2 => (0..TRADERS as u8, 0..MARKETS as u8, 0u8..4, any::<bool>(), 1u32..30_000, -500i16..500)
            .prop_map(|(who, market, kind, buy, steps, bps)| Op::PlaceOrder { who, market, kind, buy, steps, bps }),
        1 => (0..TRADERS as u8, any::<u8>()).prop_map(|(who, pick)| Op::CancelOrder { who, pick }),
        3 => (0..TRADERS as u8, any::<u8>()).prop_map(|(who, pick)| Op::ExecuteOrder { who, pick }),
        // s6-lst: rate moves within the cap (≤ 10 bp an epoch) and over it (a donation, a loss).
        1 => (0i16..=10, 1u8..3).prop_map(|(bps, epochs)| Op::RateMove { bps, epochs }),
        1 => (-3_000i16..10_000, 0u8..3).prop_map(|(bps, epochs)| Op::RateMove { bps, epochs }),
    ]
}

struct World {
    h: Harness,
    traders: Vec<Trader>,
    keeper: Trader,
    lp: Trader,
    txs: u64,
    /// Outcome counts: "Liquidate ok", "Trade TradeExceedsInitialMargin", …
    outcomes: std::collections::BTreeMap<String, u64>,
}

fn permille(v: u64, p: u16) -> u64 {
    (v as u128 * p as u128 / 1_000) as u64
}

impl World {
    async fn new() -> World {
        let mut h = Harness::new().await;
        h.add_bank(9, OracleFormat::Legacy, Quote::at(px(100)), default_bank_params()).await;
        // Both markets run the pool's capacity rules (reserve, borrow fee, insurance-aware cap).
        // The first market's insurance-aware cap binds before its reserve (5% of the pool), the
        // second's reserve before its cap.
        let capacity = crate::capacity::with_capacity(default_market_params());
        let first = fulcrum::instructions::MarketParams { oi_pool_fraction: 50_000, ..capacity };
        h.add_market(OracleFormat::Pull, Quote::at(px(100)), first).await;
        // The second market runs every dynamic-risk rule: volatility margin, OI premium, breaker,
        // funding, skew fees.
        let dynamic = fulcrum::instructions::MarketParams {
            vol_z: 2_000_000,
            vol_decay_secs: 600,
            maint_fraction: 500_000,
            max_maint_increase_per_hour: 20_000,
            oi_premium: 50_000,
            price_band: 150_000,
            breaker_cooldown_secs: 120,
            funding_factor: 20_000,
            max_funding_rate: 5_000,
            impact_fee: 5_000,
            // Latency spread: 5 bp floor, 2σ over a 30 s fill age.
            max_fill_age: 30,
            min_spread: 500,
            spread_z: 2_000_000,
            long_oi_cap: 5_000 * SOL,
            short_oi_cap: 5_000 * SOL,
            ..capacity
        };
        h.add_market(OracleFormat::Legacy, Quote::at(px(20)), dynamic).await;
        // Portfolio margin: SOL collateral and SOL-PERP on asset 0, the dynamic market on asset 1.
        h.set_correlations(fulcrum::instructions::CorrelationParams {
            matrix: vec![1_000_000, 500_000, 500_000, 1_000_000],
            bank_assets: vec![255, 0],
            market_assets: vec![0, 1],
            floor: 300_000,
            min_equity: 1_000 * USDC,
        })
        .await
        .expect("set_correlations");
        // A bank listed after the correlations: portfolio accounts holding it margin it alone.
        h.add_bank(6, OracleFormat::Pull, Quote::at(px(1)), default_bank_params()).await;
        crate::yield_collateral::fuzz_setup(&mut h).await; // s6-lst: JUP priced through a vault share
        set_pnl_caps(&mut h).await;
        let lp = h.seed_pool(200_000 * USDC).await;
        h.mint_to(&h.quote.mint.clone(), &lp.token(&h.quote.mint), 100_000 * USDC).await;
        // LP flows from here on: new shares locked for 30 s, 0.05% withdrawal fee.
        h.update_exchange(fulcrum::instructions::ExchangeParams {
            lp_cooldown_secs: 30,
            lp_withdrawal_fee: 500,
            ..default_exchange_params()
        })
        .await;
        h.fund_insurance(1_000 * USDC).await;
        crate::reputation::set_tiers(&mut h, crate::reputation::fuzz_tiers()).await;
        let mut traders = vec![];
        for _ in 0..TRADERS {
            let t = h.trader(5_000 * USDC).await;
            let sol = h.banks[0].mint;
            h.mint_to(&sol, &t.token(&sol), 50 * SOL).await;
            let jup = h.banks[1].mint;
            h.mint_to(&jup, &t.token(&jup), 5_000 * USDC).await;
            traders.push(t);
        }
        let keeper = h.trader(1_000_000 * USDC).await;
        World { h, traders, keeper, lp, txs: 0, outcomes: Default::default() }
    }

    /// Applies one op; `Err` is an invariant violation.
    async fn apply(&mut self, op: &Op) -> Result<(), String> {
        let h = &mut self.h;
        let oi_before = crate::capacity::open_interest(h).await;
        let r: Option<TxResult> = match *op {
            Op::Deposit { who, bank, permille: p } => {
                let t = &self.traders[who as usize];
                let b = h.bank(bank as u16);
                let amount = permille(h.token_balance(&t.token(&b.mint)).await, p);
                if amount == 0 {
                    None
                } else {
                    Some(h.deposit(t, bank as u16, amount).await)
                }
            }
            Op::Withdraw { who, bank, permille: p } => {
                let t = &self.traders[who as usize];
                let a = h.margin(&t.account).await;
                let held = if bank == 0 {
                    a.quote_balance.max(0) as u64
                } else {
                    a.find_collateral(bank as u16).map(|i| a.collateral[i].amount).unwrap_or(0)
                };
                let amount = permille(held, p).max(1);
                Some(h.withdraw(t, bank as u16, amount).await)
            }
            Op::Trade { who, market, buy, steps } => {
                let t = &self.traders[who as usize];
                let side = if buy { Side::Buy } else { Side::Sell };
                Some(h.trade(t, market as u16, side, steps as u64 * (SOL / 1_000)).await)
            }
            Op::Close { who, market } => {
                let t = &self.traders[who as usize];
                let a = h.margin(&t.account).await;
                if a.find_perp(market as u16).is_none() {
                    None
                } else {
                    Some(checked_close(h, t, market as u16).await?)
                }
            }
            Op::Price { market, bps } => {
                let o = h.markets[market as usize].oracle;
                move_price(h, o, bps).await;
                None
            }
            Op::CollateralPrice { bps } => {
                let o = h.banks[0].oracle.expect("collateral oracle");
                move_price(h, o, bps).await;
                None
            }
            Op::Liquidate { target } => {
                let key = self.traders[target as usize].account;
                // An isolated position below its own maintenance first, else the largest position
                // of the collateral-backed part.
                let inputs = h.risk_inputs(&key).await;
                let isolated = inputs.isolated.iter().find(|(_, e, c)| {
                    e.position.base != 0
                        && fulcrum_risk::health(
                            &fulcrum_risk::isolated_account(*c, e, inputs.params),
                            fulcrum_risk::MarginKind::Maintenance,
                        )
                        .is_ok_and(|m| !m.is_met())
                });
                let market = match isolated {
                    Some((m, _, _)) => Some(*m),
                    None => liquidation_market(h, &key).await.map(|(m, _)| m),
                };
                match market {
                    None => None,
                    Some(m) => {
                        let fee_to = self.keeper.token(&h.quote.mint);
                        let before = total_requirement(h, &key).await?;
                        let r = checked_liquidation(h, &self.keeper, &fee_to, &key, m).await?;
                        // Confidence stays under 6%: a conservative price always exists, so a
                        // liquidation never fails for its oracle.
                        if let Some(c) = error_code(&r).filter(|c| NAMED.contains(c)) {
                            let name = fulcrum_error(c);
                            if name.starts_with("Oracle") {
                                return Err(format!("{op:?} failed with {name} while a conservative price exists"));
                            }
                        }
                        // No liquidation raises the liquidated account's maintenance requirement.
                        let after = total_requirement(h, &key).await?;
                        if r.is_ok() && after > before {
                            return Err(format!("{op:?} raised the requirement from {before} to {after}"));
                        }
                        Some(r)
                    }
                }
            }
            Op::LiquidateCollateral { target, permille: p } => {
                let key = self.traders[target as usize].account;
                let a = h.margin(&key).await;
                if a.num_collateral == 0 {
                    None
                } else {
                    let bank = a.collateral[0].bank_index;
                    let max = permille(a.quote_balance.unsigned_abs(), p).max(1);
                    Some(h.liquidate_collateral(&self.keeper, &key, bank, max).await)
                }
            }
            Op::Bankruptcy { target } => {
                let key = self.traders[target as usize].account;
                Some(h.resolve_bankruptcy(&key).await)
            }
            Op::Refresh { target } => {
                let key = self.traders[target as usize].account;
                Some(h.refresh_health(&key).await)
            }
            Op::LpDeposit { permille: p } => {
                let amount = permille(h.token_balance(&self.lp.token(&h.quote.mint)).await, p);
                if amount == 0 {
                    None
                } else {
                    let before = crate::lp::lp_share_price(h).await;
                    let r = h.lp_deposit(&self.lp, amount).await;
                    crate::lp::share_price_kept("LP deposit", before, crate::lp::lp_share_price(h).await)?;
                    Some(r)
                }
            }
            Op::LpWithdraw { permille: p } => {
                let shares = permille(h.token_balance(&self.lp.token(&h.lp_mint)).await, p);
                if shares == 0 {
                    None
                } else {
                    let before = crate::lp::lp_share_price(h).await;
                    let r = h.lp_withdraw(&self.lp, shares).await;
                    crate::lp::share_price_kept("LP withdrawal", before, crate::lp::lp_share_price(h).await)?;
                    Some(r)
                }
            }
            Op::FlashLp { who, market, buy, steps, permille: p } => {
                let amount = permille(h.token_balance(&self.lp.token(&h.quote.mint)).await, p);
                let t = &self.traders[who as usize];
                crate::lp::fuzz_flash_lp(h, &self.lp, t, market as u16, buy, steps as u64 * (SOL / 1_000), amount)
                    .await?
            }
            Op::LpClaim => crate::lp::fuzz_lp_claim(h, &self.lp).await?,
            Op::Crank { market } => Some(h.crank(market as usize).await),
            Op::Isolate { who, market, into, permille: p } => {
                let t = &self.traders[who as usize];
                let a = h.margin(&t.account).await;
                let amount = if into {
                    permille(a.quote_balance.max(0) as u64, p) as i64
                } else {
                    let held = a.find_perp(market as u16).map_or(0, |i| a.perps[i].isolated_collateral);
                    -(permille(held.max(0) as u64, p) as i64)
                };
                if amount == 0 {
                    None
                } else {
                    Some(h.transfer_isolated(t, market as u16, amount).await)
                }
            }
            Op::Mode { who, portfolio } => {
                let mode =
                    if portfolio { fulcrum_risk::MarginMode::Portfolio } else { fulcrum_risk::MarginMode::Cross };
                Some(h.set_margin_mode(&self.traders[who as usize], mode).await)
            }
            Op::Wait { secs } => {
                h.advance(secs as i64).await;
                h.refresh_oracles().await;
                None
            }
            Op::DepositFor { from, to, bank, permille: p } => {
                let (from, to) = (&self.traders[from as usize], &self.traders[to as usize]);
                let b = h.bank(bank as u16);
                let amount = permille(h.token_balance(&from.token(&b.mint)).await, p);
                if amount == 0 {
                    None
                } else {
                    let ix = h.deposit_ix(&to.account, &b, &from.token(&b.mint), &from.key(), amount);
                    let r = h.send(&[ix], &[&from.kp]).await;
                    let stranger = bank != 0 && from.key() != to.key();
                    if stranger && r.is_ok() {
                        return Err(format!("{op:?}: a stranger deposited collateral into another account"));
                    }
                    Some(r)
                }
            }
            Op::Hedge { who, long_first, steps } => {
                // Market 0 at ~$100, market 1 at ~$20: five times the base on market 1.
                let t = &self.traders[who as usize];
                let (first, second) = if long_first { (Side::Buy, Side::Sell) } else { (Side::Sell, Side::Buy) };
                let size = steps as u64 * (SOL / 1_000);
                let a = h.trade_ix(t, 0, first, size, None, false).await;
                let r = h.send(&[a], &[&t.kp]).await;
                if r.is_ok() {
                    self.txs += 1;
                    let b = h.trade_ix(t, 1, second, 5 * size, None, false).await;
                    Some(h.send(&[b], &[&t.kp]).await)
                } else {
                    Some(r)
                }
            }
            Op::Cranks { market, secs } => {
                let m = market as usize;
                for _ in 0..secs {
                    h.advance(1).await;
                    h.refresh_oracles().await;
                    let before = h.market(m).await;
                    let r = h.crank(m).await;
                    self.txs += 1;
                    if let Err(e) = &r {
                        if error_code(&r).is_none_or(|c| !NAMED.contains(&c)) {
                            return Err(format!("{op:?}: crank failed without a named error: {e:?}"));
                        }
                        break;
                    }
                    crate::funding::funding_step_is_exact(&before, &h.market(m).await)?;
                }
                None
            }
            Op::Confidence { target, ppm } => {
                let o = if (target as usize) < MARKETS {
                    h.markets[target as usize].oracle
                } else {
                    h.banks[0].oracle.expect("collateral oracle")
                };
                let data = h.account_data(&o.key).await;
                let q = read_quote(&o, &data);
                let conf = (q.price.unsigned_abs() as u128 * ppm as u128 / 1_000_000) as u64;
                h.set_oracle(&o, Quote { conf, ..q }).await;
                None
            }
            Op::Rotate { market } => {
                let m = market as usize;
                let old = h.markets[m].oracle;
                let data = h.account_data(&old.key).await;
                let q = read_quote(&old, &data);
                let new = h.new_oracle(old.format, Quote { age: 0, ..q }).await;
                let admin = h.admin.insecure_clone();
                let ix = crate::crash::set_market_oracle_ix(h, &admin.pubkey(), m, &new, new.feed_id);
                let r = h.send(&[ix], &[&admin]).await;
                if r.is_ok() {
                    h.markets[m].oracle = new;
                }
                Some(r)
            }
            Op::LatencyRoundTrip { who, market, buy, steps, bps } => {
                let t = &self.traders[who as usize];
                let o = h.markets[market as usize].oracle;
                crate::latency::fuzz_round_trip(h, t, market as u16, buy, steps as u64 * (SOL / 1_000), o, bps).await?
            }
            Op::Adl { who, market } => {
                let key = self.traders[who as usize].account;
                Some(checked_adl(h, &self.keeper, &key, market as u16).await?)
            }
            Op::PlaceOrder { who, market, kind, buy, steps, bps } => {
                let t = &self.traders[who as usize];
                crate::orders::fuzz_place(h, t, market as u16, kind, buy, steps, bps).await?
            }
            Op::CancelOrder { who, pick } => crate::orders::fuzz_cancel(h, &self.traders[who as usize], pick).await?,
            Op::ExecuteOrder { who, pick } => {
                crate::orders::fuzz_execute(h, &self.keeper, &self.traders[who as usize], pick).await?
            }
            Op::RateMove { bps, epochs } => crate::yield_collateral::fuzz_rate_move(h, bps, epochs).await?,
            Op::RefreshReputation { target } => {
                crate::reputation::fuzz_refresh(h, &self.traders[target as usize].account).await?
            }
        };
        if let Some(r) = r {
            self.txs += 1;
            let kind = format!("{op:?}");
            let kind = kind.split([' ', '{']).next().unwrap_or("?").to_string();
            let outcome = match error_code(&r) {
                None if r.is_ok() => "ok".to_string(),
                Some(c) if NAMED.contains(&c) => format!("{:?}", fulcrum_error(c)),
                _ => "other".to_string(),
            };
            *self.outcomes.entry(format!("{kind} {outcome}")).or_default() += 1;
            if let Err(e) = &r {
                let code = error_code(&r);
                let named = code.is_some_and(|c| NAMED.contains(&c));
                if !named {
                    return Err(format!("{op:?} failed without a named error: {e:?}"));
                }
            }
        }
        if matches!(op, Op::Trade { .. }) {
            crate::capacity::growth_within_capacity(&mut self.h, &oi_before).await?;
        }
        self.check().await
    }

    /// Every invariant, after every transaction.
    async fn check(&mut self) -> Result<(), String> {
        let h = &mut self.h;
        h.assert_conservation().await;
        crate::lp::check_lp_accounting(h, &self.traders, &self.lp).await?;
        crate::orders::check_escrows(h, &self.traders).await?;
        crate::reputation::check_records(h, &self.traders).await?;
        // Open interest and entry sums are the sums of the positions.
        for m in 0..MARKETS {
            let market = h.market(m).await;
            let (mut lb, mut sb, mut lq, mut sq) = (0u64, 0u64, 0i64, 0i64);
            for t in &self.traders {
                let a = h.margin(&t.account).await;
                for s in a.active_perps() {
                    if s.market_index as usize != m {
                        continue;
                    }
                    if s.base > 0 {
                        lb += s.base as u64;
                        lq += s.quote_entry;
                    } else {
                        sb += s.base.unsigned_abs();
                        sq += s.quote_entry;
                    }
                }
            }
            let got = (market.long_base, market.short_base, market.long_quote_entry, market.short_quote_entry);
            if got != (lb, sb, lq, sq) {
                return Err(format!("market {m} open interest {got:?} != positions {:?}", (lb, sb, lq, sq)));
            }
        }
        for t in &self.traders {
            let a = h.margin(&t.account).await;
            if a.active_collateral().iter().any(|s| s.amount == 0)
                || a.active_perps().iter().any(|s| s.base == 0 && s.isolated_collateral == 0)
                || a.active_perps().iter().any(|s| !s.is_isolated() && s.base == 0)
            {
                return Err(format!("empty slot left active: {a:?}"));
            }
        }
        // Liquidatable according to the engine == accepted by the program: the collateral-backed
        // part by its mode (through its largest position), each isolated position alone.
        let fee_to = self.keeper.token(&h.quote.mint);
        for t in &self.traders {
            let inputs = h.risk_inputs(&t.account).await;
            let mut cases = vec![];
            if let Some((market, cuts)) = liquidation_market(h, &t.account).await {
                let maint = fulcrum_risk::model_health(
                    &inputs.risk_account(),
                    &inputs.model(),
                    fulcrum_risk::MarginKind::Maintenance,
                )
                .map_err(|e| format!("engine: {e:?}"))?;
                cases.push((market, !maint.is_met() && cuts));
            }
            for (market, e, collateral) in &inputs.isolated {
                if e.position.base == 0 {
                    continue;
                }
                let iso = fulcrum_risk::isolated_account(*collateral, e, inputs.params);
                let maint = fulcrum_risk::health(&iso, fulcrum_risk::MarginKind::Maintenance)
                    .map_err(|e| format!("engine: {e:?}"))?;
                cases.push((*market, !maint.is_met()));
            }
            for (market, expected) in cases {
                let ix = h.liquidate_perp_ix(&self.keeper.key(), &fee_to, &t.account, market).await;
                let accepted = h.simulate(&[ix], &[&self.keeper.kp]).await;
                if accepted != expected {
                    return Err(format!(
                        "liquidatable in market {market}: engine says {expected}, program {accepted} for {:?}",
                        inputs.account
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Moves an oracle's price by `bps` basis points (never below $0.00001); the EMA lags at the
/// previous price, so large moves trip circuit breakers.
pub async fn move_price(h: &mut Harness, o: OracleHandle, bps: i16) {
    let data = h.account_data(&o.key).await;
    let p = read_quote(&o, &data).price;
    let next = (p as i128 * (10_000 + bps as i128) / 10_000).max(1_000) as i64;
    h.set_oracle(&o, Quote { ema: p, ..Quote::at(next) }).await;
}

/// The market a liquidation of the account's collateral-backed part must name (cross: the
/// largest requirement; portfolio: the engine's netted target) and whether the engine's plan
/// there closes anything (a portfolio plan closes nothing when any cut would raise the netted
/// requirement: the program refuses it).
async fn liquidation_market(h: &mut Harness, key: &solana_sdk::pubkey::Pubkey) -> Option<(u16, bool)> {
    let inputs = h.risk_inputs(key).await;
    let account = inputs.risk_account();
    let model = inputs.model();
    let i = match &model {
        fulcrum_risk::MarginModel::Cross => fulcrum_risk::largest_requirement(&account).ok()??,
        fulcrum_risk::MarginModel::Portfolio(p) => fulcrum_risk::portfolio_liquidation_target(&account, p).ok()??,
    };
    let market = inputs.perp_markets[i];
    let step = h.market(market as usize).await.step_size;
    let exchange_key = h.exchange;
    let exchange: fulcrum::state::Exchange = h.load(&exchange_key).await;
    let plan = fulcrum_risk::plan_perp_liquidation_in(&account, &model, i, step, &exchange.liquidation_params());
    Some((market, plan.is_ok_and(|p| p.base_delta != 0)))
}

/// Σ maintenance requirements of an account: the collateral-backed part by its mode, and each
/// isolated position alone.
async fn total_requirement(h: &mut Harness, key: &solana_sdk::pubkey::Pubkey) -> Result<i128, String> {
    let inputs = h.risk_inputs(key).await;
    let kind = fulcrum_risk::MarginKind::Maintenance;
    let mut total = fulcrum_risk::model_health(&inputs.risk_account(), &inputs.model(), kind)
        .map_err(|e| format!("engine: {e:?}"))?
        .requirement;
    for (_, e, collateral) in &inputs.isolated {
        let iso = fulcrum_risk::isolated_account(*collateral, e, inputs.params);
        total += fulcrum_risk::health(&iso, kind).map_err(|e| format!("engine: {e:?}"))?.requirement;
    }
    Ok(total)
}

async fn run_ops(ops: &[Op]) -> Result<World, String> {
    let mut w = World::new().await;
    for (i, op) in ops.iter().enumerate() {
        w.apply(op).await.map_err(|e| format!("step {i}: {e}"))?;
    }
    Ok(w)
}

/// The program error with code `c` (6000 + its index).
fn fulcrum_error(c: u32) -> String {
    let idl: serde_json::Value = serde_json::from_str(include_str!("../../../../idl/fulcrum.json")).unwrap();
    idl["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == c)
        .map(|e| e["name"].as_str().unwrap().to_string())
        .unwrap_or(c.to_string())
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn regressions_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/attacks/regressions")
}

#[test]
fn fuzz_campaign() {
    let seed = env("FULCRUM_FUZZ_SEED", 1);
    let cases = env("FULCRUM_FUZZ_CASES", 12) as u32;
    let ops = env("FULCRUM_FUZZ_OPS", 250) as usize;
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config { cases, failure_persistence: None, max_shrink_iters: 200, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &key));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let txs = std::cell::Cell::new(0u64);
    let steps = std::cell::Cell::new(0u64);
    let outcomes = std::cell::RefCell::new(std::collections::BTreeMap::<String, u64>::new());
    let start = Instant::now();
    let result = runner.run(&proptest::collection::vec(op(), ops..=ops), |ops| {
        steps.set(steps.get() + ops.len() as u64);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(run_ops(&ops))));
        match r {
            Ok(Ok(w)) => {
                txs.set(txs.get() + w.txs);
                for (k, v) in w.outcomes {
                    *outcomes.borrow_mut().entry(k).or_default() += v;
                }
                Ok(())
            }
            Ok(Err(e)) => Err(TestCaseError::fail(e)),
            Err(p) => Err(TestCaseError::fail(format!("panic: {:?}", p.downcast_ref::<String>()))),
        }
    });
    let secs = start.elapsed().as_secs_f64();
    println!(
        "fuzz campaign seed {seed}: {} operations, {} transactions, {:.0} tx/s, violations: {}",
        steps.get(),
        txs.get(),
        txs.get() as f64 / secs,
        u32::from(result.is_err())
    );
    for (k, v) in outcomes.borrow().iter() {
        println!("  {v:>7}  {k}");
    }
    println!("  {:>7}  payments reduced by a PnL cap", CAPPED_PAYMENTS.load(std::sync::atomic::Ordering::Relaxed));
    if let Err(e) = result {
        if let proptest::test_runner::TestError::Fail(reason, ops) = &e {
            std::fs::create_dir_all(regressions_dir()).unwrap();
            let path = regressions_dir().join(format!("seed-{seed}-{}.json", ops.len()));
            std::fs::write(&path, serde_json::to_string_pretty(ops).unwrap()).unwrap();
            panic!("violation: {reason}; shrunk sequence of {} ops saved to {}", ops.len(), path.display());
        }
        panic!("{e}");
    }
}

/// Every shrunk failing sequence ever saved, replayed.
#[tokio::test]
async fn fuzz_regressions_replay() {
    let Ok(dir) = std::fs::read_dir(regressions_dir()) else { return };
    for entry in dir.flatten() {
        let ops: Vec<Op> = serde_json::from_str(&std::fs::read_to_string(entry.path()).unwrap()).unwrap();
        if let Err(e) = run_ops(&ops).await {
            panic!("{}: {e}", entry.path().display());
        }
    }
}

// ------------------------------------------------------------------ winners are always paid

/// PnL caps and auto-deleveraging on both markets, tight enough for four traders to reach
/// against a $200,000 pool: 2% and 1% of the pool's cash, ADL above 3% / 1.5%, down to
/// 1.5% / 0.75%.
async fn set_pnl_caps(h: &mut Harness) {
    for (m, (factor, threshold, floor)) in [(20_000, 30_000, 15_000), (10_000, 15_000, 7_500)].into_iter().enumerate() {
        let p = h.market(m).await.params();
        let p = fulcrum::instructions::MarketParams {
            max_pnl_factor: factor,
            adl_threshold: threshold,
            adl_floor: floor,
            ..p
        };
        h.update_market(m, p).await;
    }
}

/// A payment of `paid` for a profit of `full` under `haircut`: the full profit (no haircut, or a
/// loss) or exactly the capped share, never more than the cap.
fn check_payment(what: &str, full: i64, paid: i64, haircut: &fulcrum_risk::PnlHaircut) -> Result<(), String> {
    if paid < full {
        CAPPED_PAYMENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let expected = fulcrum_risk::apply_haircut(full.into(), haircut).map_err(|e| format!("{e:?}"))?;
    if i128::from(paid) != expected || (paid > 0 && paid as u128 > haircut.cap) {
        return Err(format!("{what} paid {paid} of {full} under {haircut:?}: expected {expected}"));
    }
    Ok(())
}

/// Payments the cap reduced, over the campaign (printed with its outcomes).
static CAPPED_PAYMENTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

const INSUFFICIENT_POOL: u32 = 6_000 + FulcrumError::InsufficientPoolLiquidity as u32;

/// Splits `sent` into its result and logs, after checking it did not fail for lack of pool cash.
fn no_lack_of_cash(
    what: &str,
    sent: Result<Vec<String>, solana_program_test::BanksClientError>,
) -> Result<(TxResult, Vec<String>), String> {
    let (r, logs) = match sent {
        Ok(logs) => (Ok(()), logs),
        Err(e) => (Err(e), vec![]),
    };
    if error_code(&r) == Some(INSUFFICIENT_POOL) {
        return Err(format!("{what} failed for lack of pool cash"));
    }
    Ok((r, logs))
}

/// The market's haircut as a fill at its raw oracle price sees it, and its withheld total.
async fn market_haircut(h: &mut Harness, market: u16) -> (fulcrum_risk::PnlHaircut, u64) {
    let m = h.market(market as usize).await;
    let pool = h.pool_state().await.balance;
    let o = h.markets[market as usize].oracle;
    let price = h.oracle_price(&o.key, m.oracle_kind, &m.feed_id, m.base_decimals).await.oracle;
    (m.pnl_haircut_at(price, pool).unwrap(), m.pnl_withheld)
}

/// `h.close`, checking the payment (see [`check_payment`]).
/// Also checks that the close settles exactly what the engine says (PnL through the cap, funding
/// and borrow, fee) and that the account pays exactly what the pool and the insurance fund earn
/// ([`crate::capacity::check_close_settlement`]).
async fn checked_close(h: &mut Harness, t: &Trader, market: u16) -> Result<TxResult, String> {
    let withheld = h.market(market as usize).await.pnl_withheld;
    let slot = h.clock().await.slot;
    let before = crate::capacity::CloseSnapshot::take(h, t, market).await;
    let a = h.margin(&t.account).await;
    let base = a.find_perp(market).map(|i| a.perps[i].base).unwrap_or(0);
    let side = if base > 0 { Side::Sell } else { Side::Buy };
    let ix = h.trade_ix(t, market, side, base.unsigned_abs(), None, true).await;
    let sent = h.send_logged(&[ix], &[&t.kp]).await;
    let (r, logs) = no_lack_of_cash("close", sent)?;
    if r.is_ok() {
        let ev = events::<fulcrum::events::TradeEvent>(&logs);
        let paid = ev.last().map(|e| e.realized_pnl).unwrap_or(0);
        let full = paid + (h.market(market as usize).await.pnl_withheld - withheld) as i64;
        // The cap as the fill priced it: winners' profit at the fill price (oracle ± the latency
        // spread) against the pool's depth (its cash less this slot's LP deposits).
        let event = ev.last().ok_or("no trade event")?;
        let p = &before.pool;
        let depth = fulcrum_risk::pool_depth(p.balance, p.deposit_slot, p.deposited_in_slot, slot);
        let haircut = before.market.pnl_haircut_at(event.price, depth).map_err(|e| format!("engine: {e:?}"))?;
        check_payment("close", full, paid, &haircut)?;
        crate::capacity::check_close_settlement(h, t, market, &before, event, haircut).await?;
    }
    Ok(r)
}

/// `h.liquidate_perp`, checking the payment against the haircut the liquidation prices with.
async fn checked_liquidation(
    h: &mut Harness,
    keeper: &Trader,
    fee_to: &solana_sdk::pubkey::Pubkey,
    key: &solana_sdk::pubkey::Pubkey,
    market: u16,
) -> Result<TxResult, String> {
    let inputs = h.risk_inputs(key).await;
    let haircut = inputs
        .perp_markets
        .iter()
        .position(|m| *m == market)
        .map(|i| inputs.perps[i].market.pnl_haircut)
        .or_else(|| inputs.isolated.iter().find(|(m, _, _)| *m == market).map(|(_, e, _)| e.market.pnl_haircut))
        .unwrap_or_default();
    let withheld = h.market(market as usize).await.pnl_withheld;
    let ix = h.liquidate_perp_ix(&keeper.key(), fee_to, key, market).await;
    let sent = h.send_logged(&[ix], &[&keeper.kp]).await;
    let (r, logs) = no_lack_of_cash("liquidation", sent)?;
    if r.is_ok() {
        let ev = events::<fulcrum::events::LiquidationEvent>(&logs);
        let paid = ev.last().map(|e| e.realized_pnl).unwrap_or(0);
        let full = paid + (h.market(market as usize).await.pnl_withheld - withheld) as i64;
        check_payment("liquidation", full, paid, &haircut)?;
    }
    Ok(r)
}

/// `auto_deleverage`, checking the payment and that the market's ratio fell, not below its floor.
async fn checked_adl(
    h: &mut Harness,
    keeper: &Trader,
    key: &solana_sdk::pubkey::Pubkey,
    market: u16,
) -> Result<TxResult, String> {
    let (haircut, withheld) = market_haircut(h, market).await;
    let ix = crate::winners::adl_ix(h, &keeper.key(), key, market);
    let sent = h.send_logged(&[ix], &[&keeper.kp]).await;
    let (r, logs) = no_lack_of_cash("auto-deleveraging", sent)?;
    if r.is_ok() {
        let ev = events::<fulcrum::events::AutoDeleverageEvent>(&logs);
        let e = ev.last().ok_or("no auto-deleveraging event")?;
        let full = e.realized_pnl + (h.market(market as usize).await.pnl_withheld - withheld) as i64;
        check_payment("auto-deleveraging", full, e.realized_pnl, &haircut)?;
        let floor = u64::from(h.market(market as usize).await.adl_floor);
        if e.ratio_after >= e.ratio_before || e.ratio_after < floor {
            return Err(format!(
                "auto-deleveraging moved the ratio {} -> {} (floor {floor})",
                e.ratio_before, e.ratio_after
            ));
        }
    }
    Ok(r)
}
