//! Reputation-tiered leverage (issue 18 §1, s6-rep): gaming the track record. Wash trading,
//! parked equity, sybil sub-accounts, moving a record, climbing fast, and the two guarantees a
//! trader relies on: a liquidation drops the tier at once, a downgrade never liquidates.

use anchor_lang::{InstructionData, ToAccountMetas};
use fulcrum::events::TierChangedEvent;
use fulcrum::instructions::{ReputationParams, Side, TierParams};
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

use crate::harness::*;

const DAY: i64 = 86_400;
const MIN_HOLD: u32 = 60;

/// Tier 0 = 1.5×, tier 1 = 1× (a day old, 500 USD-days, 500 USD of volume), tier 2 = 0.8× (two
/// days, 1,000 USD-days, 1,000 USD, never liquidated); one tier up a day at most, a week's
/// cool-off.
pub fn tiers() -> ReputationParams {
    ReputationParams {
        tiers: vec![
            TierParams { max_liquidations: u16::MAX, init_multiplier: 1_500_000, ..Default::default() },
            TierParams {
                min_age_days: 1,
                max_liquidations: 0,
                min_equity_days: 500,
                min_volume: 500,
                init_multiplier: 1_000_000,
            },
            TierParams {
                min_age_days: 2,
                max_liquidations: 0,
                min_equity_days: 1_000,
                min_volume: 1_000,
                init_multiplier: 800_000,
            },
        ],
        equity_cap: 0,
        min_hold_secs: MIN_HOLD,
        upgrade_period_secs: DAY as u32,
        cool_off_secs: 7 * DAY as u32,
    }
}

pub fn set_tiers_ix(h: &Harness, params: ReputationParams) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::SetReputationTiers { admin: h.admin.pubkey(), exchange: h.exchange }
            .to_account_metas(None),
        data: fulcrum::instruction::SetReputationTiers { params }.data(),
    }
}

pub async fn set_tiers(h: &mut Harness, params: ReputationParams) {
    let ix = set_tiers_ix(h, params);
    let admin = h.admin.insecure_clone();
    h.send(&[ix], &[&admin]).await.unwrap();
}

pub async fn crank_ix(h: &mut Harness, account: &Pubkey) -> Instruction {
    h.refresh_reputation_ix(account).await
}

/// `refresh_reputation` of `account` by a stranger (the payer): the tier events it logged.
pub async fn crank(h: &mut Harness, account: &Pubkey) -> Vec<TierChangedEvent> {
    let ix = crank_ix(h, account).await;
    let logs = h.send_logged(&[ix], &[]).await.unwrap();
    events::<TierChangedEvent>(&logs)
}

pub async fn record(h: &mut Harness, account: &Pubkey) -> fulcrum::state::ReputationRecord {
    h.margin(account).await.reputation
}

pub async fn wait(h: &mut Harness, secs: i64) {
    h.advance(secs).await;
    h.refresh_oracles().await;
}

/// An exchange with tiers, one SOL-PERP market at $100 (10% initial, 5% maintenance) and a pool.
pub async fn tiered_exchange() -> Harness {
    let mut h = Setup { insurance: 1_000 * USDC, ..Setup::markets(1, 100_000 * USDC) }.build().await;
    set_tiers(&mut h, tiers()).await;
    h
}

/// A trader with 1,000 USDC who trades honestly: 20 SOL held a minute and closed ($2,000 of
/// volume), then cranked daily for two days: tier 2.
pub async fn veteran(h: &mut Harness) -> Trader {
    let t = h.trader_with_deposit(1_000 * USDC).await;
    crank(h, &t.account).await;
    h.trade(&t, 0, Side::Buy, 20 * SOL).await.unwrap();
    wait(h, i64::from(MIN_HOLD)).await;
    h.close(&t, 0).await.unwrap();
    for _ in 0..2 {
        wait(h, DAY).await;
        crank(h, &t.account).await;
    }
    assert_eq!(record(h, &t.account).await.tier, 2, "the honest path reaches the top");
    t
}

/// The fuzzer's table: tier 0 at 1× (so the other operations see the markets' own ratios), tier 1
/// at 0.8× after one USD-day of equity, never liquidated; a tier a minute, two minutes' cool-off.
pub fn fuzz_tiers() -> ReputationParams {
    ReputationParams {
        tiers: vec![
            TierParams { max_liquidations: u16::MAX, init_multiplier: 1_000_000, ..Default::default() },
            TierParams { min_equity_days: 1, init_multiplier: 800_000, ..Default::default() },
        ],
        equity_cap: 0,
        min_hold_secs: MIN_HOLD,
        upgrade_period_secs: 60,
        cool_off_secs: 120,
    }
}

/// The fuzzer's `refresh_reputation`: a tier moves up one step at most, only once the upgrade
/// period and any cool-off have passed; earned equity never falls.
pub async fn fuzz_refresh(h: &mut Harness, account: &Pubkey) -> Result<Option<TxResult>, String> {
    let before = record(h, account).await;
    let ix = crank_ix(h, account).await;
    let r = h.send(&[ix], &[]).await;
    let after = record(h, account).await;
    let now = h.now().await;
    if after.tier > before.tier
        && (after.tier != before.tier + 1 || now - before.tier_changed_at < 60 || now < before.cool_off_until)
    {
        return Err(format!("tier climbed against the rules: {before:?} -> {after:?} at {now}"));
    }
    if after.equity_secs() < before.equity_secs() {
        return Err(format!("earned equity fell: {before:?} -> {after:?}"));
    }
    Ok(Some(r))
}

/// Every trader's record: the multiplier is its tier's, and no account ever liquidated or
/// bankrupt sits above tier 0 (the fuzz table's tier 1 allows none).
pub async fn check_records(h: &mut Harness, traders: &[Trader]) -> Result<(), String> {
    for t in traders {
        let r = record(h, &t.account).await;
        let expected = if r.tier == 0 { 1_000_000 } else { 800_000 };
        if r.tier > 1 || r.init_multiplier != expected {
            return Err(format!("record out of its table: {r:?}"));
        }
        if r.tier > 0 && r.liquidations + r.bankruptcies > 0 {
            return Err(format!("a liquidated account above tier 0: {r:?}"));
        }
    }
    Ok(())
}

async fn sub_account(
    h: &mut Harness,
    owner: &Keypair,
    sub: u16,
) -> Result<Pubkey, solana_program_test::BanksClientError> {
    let account = margin_account_address(&h.exchange, &owner.pubkey(), sub);
    create_at(h, owner, account, sub).await?;
    if !h.margin_accounts.contains(&account) {
        h.margin_accounts.push(account);
    }
    Ok(account)
}

async fn create_at(h: &mut Harness, owner: &Keypair, account: Pubkey, sub: u16) -> TxResult {
    let ix = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::CreateMarginAccount {
            owner: owner.pubkey(),
            exchange: h.exchange,
            margin_account: account,
            system_program: anchor_lang::system_program::ID,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::CreateMarginAccount { sub_account_id: sub }.data(),
    };
    h.send(&[ix], &[owner]).await
}

#[tokio::test]
async fn wash_trading_against_the_pool_pays_fees_and_earns_no_volume() {
    let mut h = tiered_exchange().await;
    let t = h.trader_with_deposit(1_000 * USDC).await;
    for _ in 0..5 {
        h.trade(&t, 0, Side::Buy, 50 * SOL).await.unwrap();
        h.close(&t, 0).await.unwrap();
    }
    let a = h.margin(&t.account).await;
    assert_eq!(a.reputation.net_volume, 0, "$50,000 of round trips count nothing");
    assert!(a.fees_paid >= 5 * 2 * 5 * USDC, "they cost fees: {}", a.fees_paid);
    assert!(a.quote_balance < (1_000 * USDC) as i64);
    // Growing a held position restarts its clock: closing right after counts nothing either.
    h.trade(&t, 0, Side::Buy, 10 * SOL).await.unwrap();
    wait(&mut h, i64::from(MIN_HOLD)).await;
    h.trade(&t, 0, Side::Buy, 10 * SOL).await.unwrap();
    h.close(&t, 0).await.unwrap();
    assert_eq!(record(&mut h, &t.account).await.net_volume, 0);
    // Held the minimum: the close counts its notional.
    h.trade(&t, 0, Side::Buy, 10 * SOL).await.unwrap();
    wait(&mut h, i64::from(MIN_HOLD)).await;
    h.close(&t, 0).await.unwrap();
    let v = record(&mut h, &t.account).await.net_volume;
    assert!((990 * USDC..=1_000 * USDC).contains(&v), "{v}");
    h.assert_conservation().await;
}

#[tokio::test]
async fn equity_parked_around_a_crank_earns_nothing() {
    let mut h = tiered_exchange().await;
    let t = h.trader(1_000_000 * USDC).await;
    h.deposit(&t, 0, 10 * USDC).await.unwrap();
    crank(&mut h, &t.account).await;
    wait(&mut h, DAY).await;
    // A million parked for one transaction around the crank.
    let deposit = h.deposit_ix(&t.account, &h.quote.clone(), &t.token(&h.quote.mint), &t.key(), 999_990 * USDC);
    let crank_ix = crank_ix(&mut h, &t.account).await;
    let withdraw = h.withdraw_ix(&t, 0, 999_990 * USDC).await;
    h.send(&[deposit, crank_ix, withdraw], &[&t.kp]).await.unwrap();
    let r = record(&mut h, &t.account).await;
    let day_secs = (DAY as u128) + 1; // `wait`'s oracle refresh moves no time; the crank's sample is a day old
    assert!(r.equity_secs() <= 10 * u128::from(USDC) * day_secs, "{}", r.equity_secs());
    assert_eq!(r.sampled_equity, 10 * USDC, "the withdrawal lowered the sample");
    // Parked for a whole day but withdrawn (then put back) before the crank: the day counts at
    // the lowest equity the withdrawal left.
    h.deposit(&t, 0, 999_990 * USDC).await.unwrap();
    crank(&mut h, &t.account).await;
    let before = record(&mut h, &t.account).await.equity_secs();
    h.withdraw(&t, 0, 999_990 * USDC).await.unwrap();
    wait(&mut h, DAY).await;
    h.deposit(&t, 0, 999_990 * USDC).await.unwrap();
    crank(&mut h, &t.account).await;
    let earned = record(&mut h, &t.account).await.equity_secs() - before;
    assert_eq!(earned, 10 * u128::from(USDC) * DAY as u128);
    assert_eq!(record(&mut h, &t.account).await.tier, 0, "ten dollars for two days is no record");
}

#[tokio::test]
async fn a_fresh_sub_account_starts_at_tier_zero() {
    let mut h = tiered_exchange().await;
    let vet = veteran(&mut h).await;
    // 115 SOL ($11,500) on $1,000: 8% at tier 2, refused at 15% (tier 0).
    h.trade(&vet, 0, Side::Buy, 115 * SOL).await.unwrap();
    let kp = vet.kp.insecure_clone();
    let sybil = sub_account(&mut h, &kp, 1).await.unwrap();
    let r = record(&mut h, &sybil).await;
    assert_eq!((r.tier, r.init_multiplier, r.net_volume, r.equity_secs()), (0, 1_500_000, 0, 0));
    assert_eq!(r.created_at, h.now().await);
    crank(&mut h, &sybil).await;
    assert_eq!(record(&mut h, &sybil).await.tier, 0);
    let s = Trader { kp: vet.kp.insecure_clone(), account: sybil, tokens: vet.tokens.clone() };
    h.mint_to(&h.quote.mint.clone(), &s.token(&h.quote.mint), 1_000 * USDC).await;
    h.deposit(&s, 0, 1_000 * USDC).await.unwrap();
    let r = h.trade(&s, 0, Side::Buy, 115 * SOL).await;
    assert_error(r, FulcrumError::TradeExceedsInitialMargin);
    // Tier 0 allows 6.6x on this market: 66 SOL on $1,000.
    h.trade(&s, 0, Side::Buy, 60 * SOL).await.unwrap();
    h.assert_conservation().await;
}

#[tokio::test]
async fn a_record_cannot_be_transferred() {
    let mut h = tiered_exchange().await;
    let vet = veteran(&mut h).await;
    // Nobody else can create, and so own, the account at the veteran's address.
    let buyer = h.stranger().await;
    let before = h.snapshot(&[vet.account]).await;
    let r = create_at(&mut h, &buyer, vet.account, 0).await;
    assert_anchor_error(r, anchor_lang::error::ErrorCode::ConstraintSeeds);
    assert_eq!(h.snapshot(&[vet.account]).await, before);
    // The owner is a seed of the address and no instruction writes it; the delegate (the one
    // right the owner can hand out) trades on the owner's record, never gets one of its own.
    let ix = set_delegate_ix(vet.key(), vet.account, buyer.pubkey());
    h.send(&[ix], &[&vet.kp]).await.unwrap();
    assert_eq!(h.margin(&vet.account).await.owner, vet.key());
    // Closing and re-opening the same address starts the record over.
    let quote = h.quote;
    let balance = h.margin(&vet.account).await.quote_balance as u64;
    h.withdraw(&vet, quote.index, balance).await.unwrap();
    let ix = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::CloseMarginAccount {
            exchange: h.exchange,
            margin_account: vet.account,
            owner: vet.key(),
        }
        .to_account_metas(None),
        data: fulcrum::instruction::CloseMarginAccount {}.data(),
    };
    h.send(&[ix], &[&vet.kp]).await.unwrap();
    let kp = vet.kp.insecure_clone();
    sub_account(&mut h, &kp, 0).await.unwrap();
    let r = record(&mut h, &vet.account).await;
    assert_eq!((r.tier, r.net_volume, r.equity_secs()), (0, 0, 0));
}

#[tokio::test]
async fn tier_improvement_is_rate_limited() {
    let mut h = tiered_exchange().await;
    let t = h.trader_with_deposit(1_000 * USDC).await;
    crank(&mut h, &t.account).await;
    h.trade(&t, 0, Side::Buy, 20 * SOL).await.unwrap();
    wait(&mut h, i64::from(MIN_HOLD)).await;
    h.close(&t, 0).await.unwrap();
    // Qualifies for the top after three days of waiting: climbs one tier per crank per day.
    wait(&mut h, 3 * DAY).await;
    let e = crank(&mut h, &t.account).await;
    assert_eq!((e.len(), e[0].old_tier, e[0].new_tier, e[0].init_multiplier), (1, 0, 1, 1_000_000));
    assert!(crank(&mut h, &t.account).await.is_empty(), "a second crank at once changes nothing");
    wait(&mut h, DAY - 10).await;
    assert!(crank(&mut h, &t.account).await.is_empty(), "nor one a little before the period");
    wait(&mut h, 10).await;
    let e = crank(&mut h, &t.account).await;
    assert_eq!((e[0].old_tier, e[0].new_tier, e[0].init_multiplier), (1, 2, 800_000));
}

#[tokio::test]
async fn a_liquidation_drops_the_tier_at_once() {
    let mut h = tiered_exchange().await;
    let vet = veteran(&mut h).await;
    h.trade(&vet, 0, Side::Buy, 115 * SOL).await.unwrap();
    h.set_market_price(0, px(96)).await;
    let k = h.trader(0).await;
    let quote = h.quote.mint;
    let ix = h.liquidate_perp_ix(&k.kp.pubkey(), &k.token(&quote), &vet.account, 0).await;
    let logs = h.send_logged(&[ix], &[&k.kp]).await.unwrap();
    let e = events::<TierChangedEvent>(&logs);
    assert_eq!(e.iter().map(|e| (e.old_tier, e.new_tier, e.cause)).collect::<Vec<_>>(), [(2, 0, 1)]);
    let r = record(&mut h, &vet.account).await;
    let now = h.now().await;
    assert_eq!((r.tier, r.init_multiplier, r.liquidations), (0, 1_500_000, 1));
    assert_eq!((r.last_liquidation_at, r.cool_off_until), (now, now + 7 * DAY));
    // Its record still meets tier 1's age, equity and volume, but not its liquidation limit.
    wait(&mut h, 2 * DAY).await;
    crank(&mut h, &vet.account).await;
    assert_eq!(record(&mut h, &vet.account).await.tier, 0);
    // Liquidated again at tier 0: counted and the cool-off restarted, but no tier change to log.
    assert!(h.margin(&vet.account).await.perps[0].base > 0, "the first liquidation was partial");
    h.set_market_price(0, px(90)).await;
    let ix = h.liquidate_perp_ix(&k.kp.pubkey(), &k.token(&quote), &vet.account, 0).await;
    let logs = h.send_logged(&[ix], &[&k.kp]).await.unwrap();
    assert!(events::<TierChangedEvent>(&logs).is_empty());
    let r = record(&mut h, &vet.account).await;
    assert_eq!((r.tier, r.liquidations, r.cool_off_until), (0, 2, h.now().await + 7 * DAY));
}

#[tokio::test]
async fn a_downgrade_never_makes_a_healthy_account_liquidatable() {
    let mut h = tiered_exchange().await;
    let vet = veteran(&mut h).await;
    // 11.5x, allowed at tier 2 only; healthy: maintenance needs $575 of ~$980.
    h.trade(&vet, 0, Side::Buy, 115 * SOL).await.unwrap();
    let before = h.report(&vet.account).await;
    // The admin makes the tiers ten times older: the crank moves the account down to 0 at once.
    let mut harder = tiers();
    for t in harder.tiers.iter_mut().skip(1) {
        t.min_age_days *= 10;
    }
    set_tiers(&mut h, harder).await;
    let e = crank(&mut h, &vet.account).await;
    assert_eq!((e[0].old_tier, e[0].new_tier), (2, 0));
    let after = h.report(&vet.account).await;
    assert_eq!((after.maint.equity, after.maint.requirement), (before.maint.equity, before.maint.requirement));
    assert!(after.init.requirement > before.init.requirement && !after.init.is_met());
    let k = h.stranger().await;
    let fee_to = h.create_token_account(&h.quote.mint.clone(), &k.pubkey()).await;
    let ix = h.liquidate_perp_ix(&k.pubkey(), &fee_to, &vet.account, 0).await;
    let keys = h.ledger_keys();
    let snap = h.snapshot(&keys).await;
    assert_error(h.send(&[ix], &[&k]).await, FulcrumError::NotLiquidatable);
    assert_eq!(h.snapshot(&keys).await, snap);
    // It may still reduce, not grow.
    assert_error(h.trade(&vet, 0, Side::Buy, SOL).await, FulcrumError::TradeExceedsInitialMargin);
    h.trade(&vet, 0, Side::Sell, 60 * SOL).await.unwrap();
    h.assert_conservation().await;
}

/// One way to break a tier table.
type Breaks = Box<dyn Fn(&mut ReputationParams)>;

#[tokio::test]
async fn a_bad_tier_table_is_refused_by_name() {
    let mut h = tiered_exchange().await;
    let admin = h.admin.insecure_clone();
    let cases: Vec<(Breaks, FulcrumError)> = vec![
        (Box::new(|p| p.tiers.extend(vec![p.tiers[2]; 2])), FulcrumError::TooManyTiers),
        (Box::new(|p| p.tiers[2].init_multiplier = 100_000), FulcrumError::TierMultiplierOutOfRange),
        (Box::new(|p| p.tiers[2].init_multiplier = 1_200_000), FulcrumError::TierMultiplierNotDecreasing),
        (Box::new(|p| p.tiers[0].min_volume = 1), FulcrumError::TierZeroHasRequirements),
        (Box::new(|p| p.tiers[2].min_volume = 1), FulcrumError::TierRequirementsNotIncreasing),
        (Box::new(|p| p.upgrade_period_secs = 0), FulcrumError::TierPeriodZero),
        (Box::new(|p| p.cool_off_secs = 0), FulcrumError::TierPeriodZero),
    ];
    let before = h.snapshot(&[h.exchange]).await;
    for (bad, e) in cases {
        let mut p = tiers();
        bad(&mut p);
        let ix = set_tiers_ix(&h, p);
        assert_error(h.send(&[ix], &[&admin]).await, e);
    }
    let stranger = h.stranger().await;
    let mut ix = set_tiers_ix(&h, tiers());
    ix.accounts[0].pubkey = stranger.pubkey();
    assert_error(h.send(&[ix], &[&stranger]).await, FulcrumError::NotAdmin);
    assert_eq!(h.snapshot(&[h.exchange]).await, before);
}
