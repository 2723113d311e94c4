//! Arithmetic extremes: max amounts, max sizes, extreme prices and exponents. Each is a named
//! error, never a panic or a wrap.

use fulcrum::instructions::Side;

use crate::harness::*;
use crate::World;

#[tokio::test]
async fn max_u64_deposit_withdraw_and_lp_amounts() {
    let mut w = World::new().await;
    let attacker = w.attacker.kp.insecure_clone();
    let quote = w.h.quote;
    let ix = w.h.deposit_ix(&w.attacker.account, &quote, &w.attacker.token(&quote.mint), &w.attacker.key(), u64::MAX);
    w.rejected(&[ix], &[&attacker], FulcrumError::DepositCapExceeded).await;
    let ix = w.h.withdraw_ix(&w.attacker, 0, u64::MAX).await;
    w.rejected(&[ix], &[&attacker], FulcrumError::MathOverflow).await;
    let ix = w.h.withdraw_ix(&w.attacker, w.sol.index, u64::MAX).await;
    w.rejected(&[ix], &[&attacker], FulcrumError::InsufficientBalance).await;
    let ix = w.h.lp_deposit_ix(&w.attacker, u64::MAX);
    w.rejected_by_anchor_or(&[ix], &[&attacker]).await;
}

#[tokio::test]
async fn max_position_sizes() {
    let mut w = World::new().await;
    let attacker = w.attacker.kp.insecure_clone();
    let ix = w.h.trade_ix(&w.attacker, 0, Side::Buy, u64::MAX, None, false).await;
    w.rejected(&[ix], &[&attacker], FulcrumError::InvalidOrderSize).await;
    let huge = (i64::MAX as u64 / 1_000_000) * 1_000_000;
    let ix = w.h.trade_ix(&w.attacker, 0, Side::Buy, huge, None, false).await;
    w.rejected(&[ix], &[&attacker], FulcrumError::OpenInterestCapExceeded).await;
    let ix = w.h.trade_ix(&w.attacker, 0, Side::Sell, huge, None, false).await;
    w.rejected(&[ix], &[&attacker], FulcrumError::OpenInterestCapExceeded).await;
}

#[tokio::test]
async fn extreme_prices_and_exponents() {
    let mut w = World::new().await;
    let o = w.h.markets[0].oracle;
    let attacker = w.attacker.kp.insecure_clone();
    // i64::MAX dollars-ish: the engine price does not fit.
    let slot = w.h.clock().await.slot;
    let now = w.h.now().await;
    let mut data = pull_oracle_data(
        o.feed_id,
        Quote { price: i64::MAX, conf: 1, ema: i64::MAX, age: 0 },
        now,
        slot,
        o.verification,
    );
    // exponent at offset 8 + 32 + 1 + 32 + 8 + 8 (Full verification is one byte)
    data[89..93].copy_from_slice(&10i32.to_le_bytes());
    w.h.write_oracle(&o, data).await;
    let ix = w.h.trade_ix(&w.attacker, 0, Side::Buy, SOL, None, false).await;
    w.rejected(&[ix], &[&attacker], FulcrumError::MathOverflow).await;
    // A tiny exponent rounds the price to nothing.
    let mut data = pull_oracle_data(o.feed_id, Quote::at(px(100)), now, slot, o.verification);
    data[89..93].copy_from_slice(&(-40i32).to_le_bytes());
    w.h.write_oracle(&o, data).await;
    let ix = w.h.trade_ix(&w.attacker, 0, Side::Buy, SOL, None, false).await;
    w.rejected(&[ix], &[&attacker], FulcrumError::OracleNonPositivePrice).await;
    // An exponent whose power of ten does not exist in 128 bits.
    let mut data = pull_oracle_data(o.feed_id, Quote::at(px(100)), now, slot, o.verification);
    data[89..93].copy_from_slice(&i32::MAX.to_le_bytes());
    w.h.write_oracle(&o, data).await;
    let ix = w.h.trade_ix(&w.attacker, 0, Side::Buy, SOL, None, false).await;
    w.rejected(&[ix], &[&attacker], FulcrumError::MathOverflow).await;
}

impl World {
    /// LP deposit of more than the attacker holds: the share mint is fine, the token program
    /// refuses the transfer (insufficient funds), and nothing changes.
    pub async fn rejected_by_anchor_or(
        &mut self,
        ixs: &[solana_sdk::instruction::Instruction],
        signers: &[&solana_sdk::signature::Keypair],
    ) {
        let keys = self.keys();
        let before = self.h.snapshot(&keys).await;
        assert!(self.h.send(ixs, signers).await.is_err());
        assert_eq!(self.h.snapshot(&keys).await, before);
    }
}
