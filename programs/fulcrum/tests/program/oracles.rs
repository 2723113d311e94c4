//! Both Pyth formats, real mainnet dumps, and every oracle rejection by name.

use fulcrum::instructions::Side;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use solana_sdk::pubkey::Pubkey;

use crate::harness::*;

const SOL_FEED: [u8; 32] = [
    0xef, 0x0d, 0x8b, 0x6f, 0xda, 0x2c, 0xeb, 0xa4, 0x1d, 0xa1, 0x5d, 0x40, 0x95, 0xd1, 0xda, 0x39, 0x2a, 0x0d, 0x2f,
    0x8e, 0xd0, 0xc6, 0xc7, 0xbc, 0x0f, 0x4c, 0xfa, 0xc8, 0xc2, 0x80, 0xb5, 0x6d,
];
const SOL_DUMP: &[u8] = include_bytes!("../fixtures/pyth/7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE.bin");
const USDC_DUMP: &[u8] = include_bytes!("../fixtures/pyth/Gnt27xtC473ZT2Mw5u8wZ68Z3gULkSTb5DuxJy7eJotD.bin");
const SOL_PUBLISH_TIME: i64 = 1_720_533_480;
const USDC_PUBLISH_TIME: i64 = 1_701_981_042;

fn dump_oracle(key: &str, format: OracleFormat, feed_id: [u8; 32]) -> OracleHandle {
    let owner = match format {
        OracleFormat::Pull => fulcrum::oracle::PYTH_RECEIVER,
        OracleFormat::Legacy => fulcrum::oracle::PYTH_LEGACY_MAINNET,
    };
    OracleHandle { key: key.parse().unwrap(), format, feed_id, owner, verification: VerificationLevel::Full }
}

#[tokio::test]
async fn a_trade_fills_at_exactly_the_mainnet_price_update_v2_price_plus_its_confidence() {
    let mut h = Harness::new().await;
    let sol = dump_oracle("7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE", OracleFormat::Pull, SOL_FEED);
    let usdc = dump_oracle("Gnt27xtC473ZT2Mw5u8wZ68Z3gULkSTb5DuxJy7eJotD", OracleFormat::Legacy, [0; 32]);
    h.write_oracle(&sol, SOL_DUMP.to_vec()).await;
    h.write_oracle(&usdc, USDC_DUMP.to_vec()).await;
    // USDC-denominated collateral priced by the legacy USDC/USD account, at its publish time.
    h.set_time(USDC_PUBLISH_TIME + 10).await;
    let mut bp = default_bank_params();
    // A stablecoin's weights, just inside the 5% collateral discount (0.945 < 1 × 0.95).
    bp.init_asset_weight = 940_000;
    bp.maint_asset_weight = 945_000;
    let usdc_bank = h.add_bank_with_oracle(6, usdc, bp).await;
    let t = h.trader(0).await;
    h.fund(&t, usdc_bank.index, 1_000 * USDC).await;
    // The collateral's price is read (fresh) by the margin check of a withdrawal.
    h.withdraw(&t, usdc_bank.index, 100 * USDC).await.unwrap();
    // Months later the same account is stale.
    h.set_time(USDC_PUBLISH_TIME + 61).await;
    assert_error(h.withdraw(&t, usdc_bank.index, 100 * USDC).await, FulcrumError::OracleStale);

    // SOL-PERP on the PriceUpdateV2 dump; the clock at its publish time.
    h.set_time(SOL_PUBLISH_TIME + 5).await;
    h.add_market_with_oracle(9, sol, default_market_params()).await;
    let _lp = h.seed_pool(10_000 * USDC).await;
    let t2 = h.trader(1_000 * USDC).await;
    h.deposit(&t2, 0, 1_000 * USDC).await.unwrap();
    h.trade(&t2, 0, Side::Buy, SOL).await.unwrap();
    let a = h.margin(&t2.account).await;
    // 1 SOL at $140.61593700 (price 14061593700, exponent −8) plus the latency spread, which
    // under the default market is the update's confidence: 13,793,699 / 14,061,593,700 =
    // 980.95 ppm, rounded up to 981. Fill ⌈140,615,937,000 × 1.000981⌉ = 140,753,881,235 engine
    // units: 1 SOL costs 140.753882 USDC (rounded up).
    assert_eq!(fulcrum_risk::conf_ratio(13_793_699, 14_061_593_700), Ok(981));
    assert_eq!(fulcrum_risk::fill_price(true, 140_615_937_000, 0, 0, 981), Ok(140_753_881_235));
    assert_eq!(a.perps[0].quote_entry, -140_753_882);
    // Fee 0.1%, rounded up: 0.140753882 → 0.140754.
    assert_eq!(a.quote_balance, 1_000 * USDC as i64 - 140_754);
    h.assert_conservation().await;
}

/// A market whose oracle the test then corrupts; returns the harness, trader and ledger keys.
async fn setup(format: OracleFormat) -> (Harness, Trader, Vec<Pubkey>) {
    let mut h = Harness::new().await;
    h.add_market(format, Quote::at(px(100)), default_market_params()).await;
    let _lp = h.seed_pool(10_000 * USDC).await;
    let t = h.trader(1_000 * USDC).await;
    h.deposit(&t, 0, 1_000 * USDC).await.unwrap();
    let mut keys = h.ledger_keys();
    keys.extend(t.tokens.values().copied());
    (h, t, keys)
}

async fn assert_trade_rejected(h: &mut Harness, t: &Trader, keys: &[Pubkey], e: FulcrumError) {
    let before = h.snapshot(keys).await;
    assert_error(h.trade(t, 0, Side::Buy, SOL).await, e);
    assert_eq!(h.snapshot(keys).await, before);
}

#[tokio::test]
async fn bad_oracles_are_rejected_by_name_and_change_nothing() {
    for format in [OracleFormat::Pull, OracleFormat::Legacy] {
        let (mut h, t, keys) = setup(format).await;
        let o = h.markets[0].oracle;

        h.set_oracle(&o, Quote { age: 61, ..Quote::at(px(100)) }).await;
        assert_trade_rejected(&mut h, &t, &keys, FulcrumError::OracleStale).await;

        h.set_oracle(&o, Quote { conf: px(3) as u64, ..Quote::at(px(100)) }).await;
        assert_trade_rejected(&mut h, &t, &keys, FulcrumError::OracleConfidenceTooWide).await;

        h.set_oracle(&o, Quote { price: 0, ..Quote::at(px(100)) }).await;
        assert_trade_rejected(&mut h, &t, &keys, FulcrumError::OracleNonPositivePrice).await;
        h.set_oracle(&o, Quote { price: -px(100), ..Quote::at(px(100)) }).await;
        assert_trade_rejected(&mut h, &t, &keys, FulcrumError::OracleNonPositivePrice).await;

        // The right layout under another owner.
        let spoof = OracleHandle { owner: Pubkey::new_unique(), ..o };
        h.set_oracle(&spoof, Quote::at(px(100))).await;
        assert_trade_rejected(&mut h, &t, &keys, FulcrumError::InvalidOracleOwner).await;

        // Garbage under the right owner.
        h.write_oracle(&o, vec![7u8; 3_312]).await;
        assert_trade_rejected(&mut h, &t, &keys, FulcrumError::InvalidOracleAccount).await;

        match format {
            OracleFormat::Pull => {
                let other_feed = OracleHandle { feed_id: [9; 32], ..o };
                h.set_oracle(&other_feed, Quote::at(px(100))).await;
                assert_trade_rejected(&mut h, &t, &keys, FulcrumError::OracleFeedMismatch).await;
                let partial = OracleHandle { verification: VerificationLevel::Partial { num_signatures: 5 }, ..o };
                h.set_oracle(&partial, Quote::at(px(100))).await;
                assert_trade_rejected(&mut h, &t, &keys, FulcrumError::OracleNotFullyVerified).await;
            }
            OracleFormat::Legacy => {
                let now = h.now().await;
                h.write_oracle(&o, legacy_oracle_data(Quote::at(px(100)), now, 2)).await;
                assert_trade_rejected(&mut h, &t, &keys, FulcrumError::OracleNotTrading).await;
            }
        }

        // A price account that is not the market's.
        h.set_oracle(&o, Quote::at(px(100))).await;
        let other = h.new_oracle(format, Quote::at(px(100))).await;
        let mut ix = h.trade_ix(&t, 0, Side::Buy, SOL, None, false).await;
        ix.accounts[4].pubkey = other.key;
        let before = h.snapshot(&keys).await;
        assert_error(h.send(&[ix], &[&t.kp]).await, FulcrumError::OracleMismatch);
        assert_eq!(h.snapshot(&keys).await, before);

        // And with the real one back, the same trade passes.
        h.trade(&t, 0, Side::Buy, SOL).await.unwrap();
        h.assert_conservation().await;
    }
}

// ---- the parsers on their own (no transaction): exact values of the real mainnet dumps
#[test]
fn reads_the_mainnet_price_update_v2_dump() {
    let data = SOL_DUMP;
    let r = fulcrum::oracle::read_price_update(data, &SOL_FEED).unwrap();
    assert_eq!(
        r,
        fulcrum::oracle::OracleReading {
            price: 14_061_593_700,
            conf: 13_793_699,
            exponent: -8,
            publish_time: 1_720_533_480,
            ema_price: 14_106_684_700,
            trading: true,
        }
    );
    // SOL (9 decimals) in USDC (6): $140.615937 = 140_615_937_000 engine units.
    let p = r.to_price(9, 6).unwrap();
    assert_eq!(p, fulcrum_risk::Price { oracle: 140_615_937_000, ema: 141_066_847_000 });
    let mut other = SOL_FEED;
    other[0] ^= 1;
    assert!(fulcrum::oracle::read_price_update(data, &other).is_err());
}

#[test]
fn reads_the_mainnet_legacy_dump() {
    let data = USDC_DUMP;
    assert_eq!(data.len(), 3312);
    let r = fulcrum::oracle::read_legacy(data).unwrap();
    assert_eq!(
        r,
        fulcrum::oracle::OracleReading {
            price: 100_000_750,
            conf: 24_249,
            exponent: -8,
            publish_time: 1_701_981_042,
            ema_price: 100_000_290,
            trading: true,
        }
    );
    assert!(fulcrum::oracle::read_legacy(&data[..100]).is_err());
}
