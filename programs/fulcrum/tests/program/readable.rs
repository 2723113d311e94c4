//! Issue 19: a failing transaction's log says where and why. An arithmetic error names the file
//! and line that failed (not `error.rs`), and a refused parameter names its field, value and
//! bound, the error code unchanged.

use anchor_lang::{InstructionData, ToAccountMetas};
use fulcrum::instructions::{BankParams, ExchangeParams, MarketParams};
use solana_sdk::{
    account::AccountSharedData, instruction::Instruction, signature::Signer, transaction::Transaction,
    transaction::TransactionError,
};

use crate::harness::*;

/// Sends `ix` signed by the payer and `signer`; it must fail. Returns its custom error code and
/// its log.
async fn refused(h: &mut Harness, ix: Instruction, signer: &solana_sdk::signature::Keypair) -> (u32, Vec<String>) {
    use solana_sdk::instruction::InstructionError;
    let payer = h.payer();
    let blockhash = h.ctx.banks_client.get_latest_blockhash().await.unwrap();
    let tx = Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[&payer, signer], blockhash);
    let r = h.ctx.banks_client.process_transaction_with_metadata(tx).await.unwrap();
    let code = match r.result {
        Err(TransactionError::InstructionError(_, InstructionError::Custom(c))) => c,
        other => panic!("expected a program error, got {other:?}"),
    };
    (code, r.metadata.map(|m| m.log_messages).unwrap_or_default())
}

/// The 1-based line of `src/instructions/insurance.rs` that holds `needle` (exactly once).
fn insurance_line(needle: &str) -> usize {
    let src = include_str!("../../src/instructions/insurance.rs");
    let lines: Vec<usize> = src.lines().enumerate().filter(|(_, l)| l.contains(needle)).map(|(i, _)| i + 1).collect();
    assert_eq!(lines.len(), 1, "{needle:?} must be on one line of insurance.rs");
    lines[0]
}

/// Asserts the log has anchor's origin line for `code` at `insurance.rs:line`.
fn assert_thrown_at(logs: &[String], line: usize, code: &str) {
    let at = format!("src/instructions/insurance.rs:{line}.");
    assert!(
        logs.iter().any(|l| l.contains("AnchorError thrown in") && l.contains(&at) && l.contains(code)),
        "no `{code}` thrown at {at} in {logs:#?}"
    );
    assert!(!logs.iter().any(|l| l.contains("src/error.rs")), "the log names error.rs: {logs:#?}");
}

/// Deposits `amount` of quote (minted to a fresh depositor) into the insurance fund, which must
/// fail with `MathOverflow` thrown at the line of `insurance.rs` that holds `needle`.
async fn deposit_overflows_at(h: &mut Harness, amount: u64, needle: &str) {
    let depositor = h.trader(amount).await;
    let ix = h.insurance_deposit_ix(&depositor, amount);
    let (code, logs) = refused(h, ix, &depositor.kp).await;
    assert_eq!(code, u32::from(FulcrumError::MathOverflow));
    assert_thrown_at(&logs, insurance_line(needle), "MathOverflow");
}

#[tokio::test]
async fn a_failed_cast_names_its_file_and_line() {
    let mut h = Harness::new().await;
    // 2^63 quote: a u64 the event's signed amount cannot hold.
    deposit_overflows_at(&mut h, 1 << 63, "let amount = amount.cast::<i64>()?;").await;
    assert_eq!(h.pool_state().await.insurance_balance, 0, "a refused deposit changes nothing");
}

#[tokio::test]
async fn an_overflow_names_its_file_and_line() {
    let mut h = Harness::new().await;
    // The fund at the top of u64 (written directly): one more unit overflows.
    let pool_key = h.pool;
    let mut account = h.account(&pool_key).await.expect("pool");
    let size = core::mem::size_of::<fulcrum::state::LiquidityPool>();
    let mut pool: fulcrum::state::LiquidityPool = bytemuck::pod_read_unaligned(&account.data[8..8 + size]);
    pool.insurance_balance = u64::MAX;
    account.data[8..8 + size].copy_from_slice(bytemuck::bytes_of(&pool));
    h.ctx.set_account(&pool_key, &AccountSharedData::from(account));
    deposit_overflows_at(&mut h, USDC, "pool.insurance_balance.checked_add(amount).overflow()?").await;
}

/// Sends an admin update (`accounts`, `data`), which must be refused as `InvalidParameter`, and
/// asserts its log names `field = value` and the bound it broke.
async fn assert_refused_naming(
    h: &mut Harness,
    accounts: impl ToAccountMetas,
    data: impl InstructionData,
    (field, value, bound): (&str, u64, &str),
) {
    let ix = Instruction { program_id: fulcrum::ID, accounts: accounts.to_account_metas(None), data: data.data() };
    let admin = h.admin.insecure_clone();
    let (code, logs) = refused(h, ix, &admin).await;
    assert_eq!(code, u32::from(FulcrumError::InvalidParameter));
    let want = format!("{field} = {value}: outside {bound}");
    assert!(logs.iter().any(|l| l.contains(&want)), "no `{want}` in {logs:#?}");
}

#[tokio::test]
async fn a_refused_parameter_names_field_value_and_bound() {
    let mut h = Harness::new().await;
    let market = h.add_market(OracleFormat::Pull, Quote::at(px(100)), default_market_params()).await.key;
    let bank = h.add_bank(9, OracleFormat::Pull, Quote::at(px(100)), default_bank_params()).await.key;
    let (admin, exchange) = (h.admin.pubkey(), h.exchange);

    // A market: the taker fee above 10%.
    let params = MarketParams { taker_fee: 100_001, ..default_market_params() };
    let accounts = fulcrum::accounts::UpdateMarket { admin, exchange, market };
    let data = fulcrum::instruction::UpdateMarketParams { params };
    assert_refused_naming(&mut h, accounts, data, ("taker_fee", 100_001, "0..=100000")).await;

    // A bank: a confidence ratio of zero.
    let params = BankParams { max_conf_ratio: 0, ..default_bank_params() };
    let accounts = fulcrum::accounts::UpdateBank { admin, exchange, bank };
    let data = fulcrum::instruction::UpdateBankParams { params };
    assert_refused_naming(&mut h, accounts, data, ("max_conf_ratio", 0, "1..=1000000")).await;

    // The exchange: a liquidation threshold below 10%.
    let params = ExchangeParams { liquidation_threshold_ratio: 99_999, ..default_exchange_params() };
    let accounts = fulcrum::accounts::UpdateExchange { admin, exchange };
    let data = fulcrum::instruction::UpdateExchangeParams { params };
    assert_refused_naming(&mut h, accounts, data, ("liquidation_threshold_ratio", 99_999, "100000..=1000000")).await;
}
