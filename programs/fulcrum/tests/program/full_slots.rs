//! An account with every slot in use (8 collateral balances, 8 perps) still trades and
//! withdraws in one transaction: a v0 transaction with an address lookup table.

use fulcrum::instructions::Side;
use fulcrum::state::{MarginAccount, MAX_COLLATERAL, MAX_PERPS};

use crate::harness::*;

/// Largest serialized transaction the network accepts.
const PACKET_DATA_SIZE: usize = 1_232;

#[tokio::test]
async fn a_full_account_trades_and_withdraws_in_one_transaction() {
    let mut h = Harness::new().await;
    for i in 0..MAX_COLLATERAL as i64 {
        h.add_bank(9, OracleFormat::Pull, Quote::at(px(10 + i)), default_bank_params()).await;
    }
    for i in 0..MAX_PERPS as i64 {
        h.add_market(OracleFormat::Pull, Quote::at(px(100 + 10 * i)), default_market_params()).await;
    }
    let _lp = h.seed_pool(1_000_000 * USDC).await;
    let t = h.trader(10_000 * USDC).await;
    h.deposit(&t, 0, 10_000 * USDC).await.unwrap();
    for b in 1..=MAX_COLLATERAL as u16 {
        h.fund(&t, b, 10 * SOL).await;
    }

    // Every static account of trades and withdrawals goes in the table.
    let mut addrs =
        vec![h.exchange, h.pool, t.account, h.quote.key, h.quote.vault, t.token(&h.quote.mint), anchor_spl::token::ID];
    for b in h.banks.clone() {
        addrs.extend([b.key, b.oracle.unwrap().key]);
    }
    for m in h.markets.clone() {
        addrs.extend([m.key, m.oracle.key]);
    }
    let table = h.lookup_table(&addrs).await;

    // 8 perps, alternating long and short: the last trade's margin check reads 32 accounts.
    let mut largest = 0;
    for m in 0..MAX_PERPS as u16 {
        let side = if m % 2 == 0 { Side::Buy } else { Side::Sell };
        let ix = h.trade_ix(&t, m, side, SOL, None, false).await;
        let tx = h.v0_transaction(&[ix], &[&t.kp], &table).await;
        largest = largest.max(bincode_size(&tx));
        h.ctx.banks_client.process_transaction(tx).await.unwrap();
    }
    let a: MarginAccount = h.margin(&t.account).await;
    assert_eq!((a.num_collateral as usize, a.num_perps as usize), (MAX_COLLATERAL, MAX_PERPS));
    assert!(a.active_perps().iter().enumerate().all(|(i, p)| (p.base > 0) == (i % 2 == 0)));

    // A withdrawal with the full margin check.
    let ix = h.withdraw_ix(&t, 0, 100 * USDC).await;
    assert_eq!(ix.accounts.len(), 7 + 2 * (MAX_COLLATERAL + MAX_PERPS) + 1);
    let tx = h.v0_transaction(&[ix], &[&t.kp], &table).await;
    largest = largest.max(bincode_size(&tx));
    h.ctx.banks_client.process_transaction(tx).await.unwrap();
    assert!(largest <= PACKET_DATA_SIZE, "largest transaction {largest} bytes");
    println!("full-slots transaction: {largest} bytes; MarginAccount: {} bytes", MarginAccount::SIZE);
    const { assert!(MarginAccount::SIZE <= 1_600) };
    h.assert_conservation().await;
}

fn bincode_size(tx: &solana_sdk::transaction::VersionedTransaction) -> usize {
    // Wire size: signatures (short-vec + 64 each) + message.
    let msg = tx.message.serialize().len();
    1 + 64 * tx.signatures.len() + msg
}
