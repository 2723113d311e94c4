//! mock-pyth writes exactly the bytes the test kit (and so the local chain) writes for both Pyth
//! formats, and Fulcrum's own readers accept what its instruction leaves in the account.
#![allow(deprecated)] // program-test 3.1 marks its API deprecated

use fulcrum::oracle::{read_legacy, read_price_update};
use fulcrum_testkit::{legacy_price_data, price_update_v2_data, PythPrice, EXPO};
use mock_pyth::{
    process_instruction, set_price_data, write_legacy, write_price_update_v2, Price, LEGACY_LEN, PRICE_UPDATE_V2_LEN,
    PYTH_LEGACY_MAINNET, PYTH_RECEIVER, TAG_REFRESH,
};
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use solana_program_test::{processor, ProgramTest};
use solana_sdk::{
    account::Account,
    clock::Clock,
    instruction::{AccountMeta, Instruction, InstructionError},
    pubkey::Pubkey,
    signature::Signer,
    transaction::{Transaction, TransactionError},
};

const P: Price = Price {
    price: 15_012_345_678,
    conf: 7_500_000,
    ema_price: 14_990_000_000,
    exponent: EXPO,
    publish_time: 1_700_000_123,
};
const FEED: [u8; 32] = [7; 32];

fn kit(p: &Price) -> PythPrice {
    PythPrice { price: p.price, conf: p.conf, ema_price: p.ema_price, publish_time: p.publish_time }
}

#[test]
fn bytes_equal_the_test_kit() {
    let mut legacy = vec![0u8; LEGACY_LEN];
    write_legacy(&mut legacy, &P, 1, 4_242).expect("legacy");
    assert_eq!(legacy, legacy_price_data(kit(&P), 1, 4_242, 4_242));
    let mut pull = vec![0u8; PRICE_UPDATE_V2_LEN];
    write_price_update_v2(&mut pull, &P, &FEED, 4_242).expect("pull");
    assert_eq!(pull, price_update_v2_data(FEED, kit(&P), 4_242, VerificationLevel::Full, Pubkey::default()));
    // A halted legacy aggregate reads as its last Trading price, not trading.
    write_legacy(&mut legacy, &P, 0, 4_243).expect("halted");
    let r = read_legacy(&legacy).expect("read");
    assert!(!r.trading);
    assert_eq!(r.price, P.price);
}

fn ix(program: Pubkey, account: Pubkey, data: Vec<u8>) -> Instruction {
    Instruction { program_id: program, accounts: vec![AccountMeta::new(account, false)], data }
}

#[tokio::test]
async fn the_instruction_writes_what_fulcrum_reads() {
    let mut pt = ProgramTest::new("mock_pyth", PYTH_RECEIVER, processor!(process_instruction));
    pt.add_program("mock_pyth_legacy", PYTH_LEGACY_MAINNET, processor!(process_instruction));
    pt.prefer_bpf(false);
    let (pull, legacy, foreign) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
    let acct = |owner: Pubkey, len: usize| Account {
        lamports: 1_000_000_000,
        data: vec![0; len],
        owner,
        executable: false,
        rent_epoch: 0,
    };
    pt.add_account(pull, acct(PYTH_RECEIVER, PRICE_UPDATE_V2_LEN));
    pt.add_account(legacy, acct(PYTH_LEGACY_MAINNET, LEGACY_LEN));
    pt.add_account(foreign, acct(Pubkey::new_unique(), PRICE_UPDATE_V2_LEN));
    let mut ctx = pt.start_with_context().await;
    let send = |ixs: Vec<Instruction>, ctx: &solana_program_test::ProgramTestContext| {
        Transaction::new_signed_with_payer(&ixs, Some(&ctx.payer.pubkey()), &[&ctx.payer], ctx.last_blockhash)
    };

    // publish_time 0: the clock's time.
    let now = Price { publish_time: 0, ..P };
    let tx = send(
        vec![
            ix(PYTH_RECEIVER, pull, set_price_data(&now, None, Some(FEED))),
            ix(PYTH_LEGACY_MAINNET, legacy, set_price_data(&now, Some(1), None)),
        ],
        &ctx,
    );
    ctx.banks_client.process_transaction(tx).await.expect("set prices");
    let clock: Clock = ctx.banks_client.get_sysvar().await.expect("clock");
    let data = |k| {
        let b = ctx.banks_client.clone();
        async move { b.get_account(k).await.expect("get").expect("account").data }
    };
    let r = read_price_update(&data(pull).await, &FEED).expect("PriceUpdateV2 read by Fulcrum");
    assert_eq!(
        (r.price, r.conf, r.ema_price, r.exponent, r.publish_time),
        (P.price, P.conf, P.ema_price, EXPO, clock.unix_timestamp)
    );
    let r = read_legacy(&data(legacy).await).expect("legacy read by Fulcrum");
    assert_eq!(
        (r.price, r.conf, r.ema_price, r.publish_time, r.trading),
        (P.price, P.conf, P.ema_price, clock.unix_timestamp, true)
    );

    // Refresh re-stamps the time, keeps the price.
    let later = clock.unix_timestamp + 30;
    ctx.set_sysvar(&Clock { unix_timestamp: later, ..clock });
    ctx.last_blockhash = ctx.banks_client.get_latest_blockhash().await.expect("blockhash");
    let tx = send(
        vec![ix(PYTH_RECEIVER, pull, vec![TAG_REFRESH]), ix(PYTH_LEGACY_MAINNET, legacy, vec![TAG_REFRESH])],
        &ctx,
    );
    ctx.banks_client.process_transaction(tx).await.expect("refresh");
    let r = read_price_update(&data(pull).await, &FEED).expect("read");
    assert_eq!((r.price, r.publish_time), (P.price, later));
    let r = read_legacy(&data(legacy).await).expect("read");
    assert_eq!((r.price, r.publish_time), (P.price, later));

    // An account it does not own is refused.
    let tx = send(vec![ix(PYTH_RECEIVER, foreign, set_price_data(&P, None, Some(FEED)))], &ctx);
    let err = ctx.banks_client.process_transaction(tx).await.expect_err("foreign account").unwrap();
    assert_eq!(err, TransactionError::InstructionError(0, InstructionError::IncorrectProgramId));
}
