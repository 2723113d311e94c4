//! The simulator's liquidation vectors (`crates/sim/vectors/liquidation.json`) replayed through
//! real transactions: the program reaches exactly the state the simulator computed.

use fulcrum::instructions::Side;
use solana_sdk::signature::Signer;

use crate::harness::*;

fn field(v: &serde_json::Value, k: &str) -> i128 {
    v[k].as_i64().map(i128::from).or_else(|| v[k].as_u64().map(i128::from)).unwrap_or_else(|| panic!("{k}"))
}

#[tokio::test]
async fn the_program_liquidates_exactly_as_the_simulator() {
    let text = include_str!("../../../../crates/sim/vectors/liquidation.json");
    let cases: Vec<serde_json::Value> = serde_json::from_str(text).unwrap();
    assert!(cases.len() >= 20);
    for c in &cases {
        let name = c["name"].as_str().unwrap();
        let e = &c["expected"];
        let mut p = default_exchange_params();
        p.liquidation_buffer = field(c, "buffer") as u32;
        p.liquidator_fee = field(c, "liquidator_fee") as u32;
        p.insurance_fee = field(c, "insurance_fee") as u32;
        p.dust_notional = field(c, "dust_notional") as u64;
        let mut h = Harness::with_params(p).await;
        let mut mp = default_market_params();
        mp.maint_margin_ratio = field(c, "maint_margin_ratio") as u32;
        mp.init_margin_ratio = mp.maint_margin_ratio + 1; // open at any leverage the case has
        mp.imf = 0; // restored before the crash
        mp.step_size = field(c, "step") as u64;
        mp.taker_fee = 0;
        h.add_market(OracleFormat::Pull, Quote::at(px(100)), mp).await;
        let _lp = h.seed_pool(100_000_000 * USDC).await;

        // Open at the entry price the case's cost basis implies.
        let base = field(c, "base") as i64;
        let quote_entry = field(c, "quote_entry") as i64;
        let entry = (quote_entry.unsigned_abs() as u128 * 1_000_000_000_000 / base.unsigned_abs() as u128) as u64;
        assert_eq!(fulcrum_risk::fill_quote_flow(base, entry).unwrap(), quote_entry as i128, "{name}: entry");
        h.set_engine_price(0, entry).await;
        let quote = field(c, "quote_balance") as u64;
        let t = h.trader(quote).await;
        h.deposit(&t, 0, quote).await.unwrap();
        let side = if base > 0 { Side::Buy } else { Side::Sell };
        h.trade(&t, 0, side, base.unsigned_abs()).await.unwrap_or_else(|err| panic!("{name}: open {err:?}"));
        let a = h.margin(&t.account).await;
        assert_eq!(
            (a.quote_balance, a.perps[0].base, a.perps[0].quote_entry),
            (quote as i64, base, quote_entry),
            "{name}: opened"
        );
        mp.init_margin_ratio = field(c, "init_margin_ratio") as u32;
        mp.imf = field(c, "imf") as u32;
        h.update_market(0, mp).await;

        // Crash and liquidate.
        h.set_engine_price(0, field(c, "price") as u64).await;
        let k = h.stranger().await;
        let fee_to = h.create_token_account(&h.quote.mint.clone(), &k.pubkey()).await;
        let pool_before = h.pool_state().await;
        h.liquidate_perp(&k, &fee_to, &t.account, 0).await.unwrap_or_else(|err| panic!("{name}: {err:?}"));
        let a = h.margin(&t.account).await;
        let base_after = if a.num_perps == 0 { 0 } else { a.perps[0].base };
        let entry_after = if a.num_perps == 0 { 0 } else { a.perps[0].quote_entry };
        assert_eq!(base_after as i128, field(e, "base_after"), "{name}: base");
        assert_eq!(entry_after as i128, field(e, "quote_entry_after"), "{name}: quote entry");
        assert_eq!(a.quote_balance as i128, field(e, "quote_balance_after"), "{name}: quote balance");
        assert_eq!(h.token_balance(&fee_to).await as i128, field(e, "liquidator_fee"), "{name}: keeper fee");
        let pool = h.pool_state().await;
        assert_eq!(
            pool.insurance_balance as i128 - pool_before.insurance_balance as i128,
            field(e, "insurance_delta"),
            "{name}: insurance"
        );
        assert_eq!(pool.balance as i128 - pool_before.balance as i128, field(e, "pool_delta"), "{name}: pool");
        h.assert_conservation().await;
    }
}
