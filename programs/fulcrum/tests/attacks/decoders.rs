//! Arbitrary bytes into the decoders: the oracle parsers and every instruction's data. The
//! equivalent of a `cargo fuzz` target on a stable toolchain (proptest-driven, fixed seed): no
//! input may panic; every one gets an error or a value.

use anchor_lang::Discriminator;
use proptest::prelude::*;
use solana_sdk::instruction::{AccountMeta, Instruction};

use crate::harness::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn oracle_parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4_000), feed in any::<[u8; 32]>()) {
        let _ = fulcrum::oracle::read_legacy(&data);
        let _ = fulcrum::oracle::read_price_update(&data, &feed);
        if let Ok(r) = fulcrum::oracle::read_legacy(&data) {
            let _ = r.to_price(9, 6);
        }
    }

    #[test]
    fn oracle_parsers_survive_mutated_real_accounts(flips in proptest::collection::vec((0usize..3_312, any::<u8>()), 1..16)) {
        let mut legacy = include_bytes!("../fixtures/pyth/Gnt27xtC473ZT2Mw5u8wZ68Z3gULkSTb5DuxJy7eJotD.bin").to_vec();
        let mut pull = include_bytes!("../fixtures/pyth/7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE.bin").to_vec();
        for (i, b) in &flips {
            legacy[*i] ^= b;
            let n = pull.len();
            pull[*i % n] ^= b;
        }
        if let Ok(r) = fulcrum::oracle::read_legacy(&legacy) {
            let _ = r.to_price(9, 6);
        }
        if let Ok(r) = fulcrum::oracle::read_price_update(&pull, &[0; 32]) {
            let _ = r.to_price(9, 6);
        }
    }
}

/// Every instruction's discriminator with random argument bytes, sent to the program through
/// the bank with random accounts: each transaction is refused, none panics.
#[tokio::test]
async fn instruction_decoders_refuse_garbage() {
    let mut h = Setup::default().build().await;
    let discriminators: Vec<&[u8]> = vec![
        fulcrum::instruction::Deposit::DISCRIMINATOR,
        fulcrum::instruction::Withdraw::DISCRIMINATOR,
        fulcrum::instruction::PlacePerpTrade::DISCRIMINATOR,
        fulcrum::instruction::LpDeposit::DISCRIMINATOR,
        fulcrum::instruction::LpWithdraw::DISCRIMINATOR,
        fulcrum::instruction::LiquidatePerp::DISCRIMINATOR,
        fulcrum::instruction::LiquidateCollateral::DISCRIMINATOR,
        fulcrum::instruction::ResolveBankruptcy::DISCRIMINATOR,
        fulcrum::instruction::RefreshHealth::DISCRIMINATOR,
        fulcrum::instruction::InitializeExchange::DISCRIMINATOR,
        fulcrum::instruction::AddPerpMarket::DISCRIMINATOR,
        fulcrum::instruction::AddCollateralBank::DISCRIMINATOR,
        fulcrum::instruction::UpdateExchangeParams::DISCRIMINATOR,
        fulcrum::instruction::UpdateMarketParams::DISCRIMINATOR,
        fulcrum::instruction::UpdateBankParams::DISCRIMINATOR,
        fulcrum::instruction::SetPaused::DISCRIMINATOR,
        fulcrum::instruction::CreateMarginAccount::DISCRIMINATOR,
        fulcrum::instruction::CloseMarginAccount::DISCRIMINATOR,
        fulcrum::instruction::SetDelegate::DISCRIMINATOR,
        fulcrum::instruction::InsuranceDeposit::DISCRIMINATOR,
        fulcrum::instruction::InsuranceWithdraw::DISCRIMINATOR,
        &[],
        &[1, 2, 3],
    ];
    let pool = h.ledger_keys();
    // xorshift64*, fixed seed: reproducible.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |bound: usize| -> usize {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % bound.max(1)
    };
    let before = h.snapshot(&pool).await;
    for round in 0..400 {
        let d = discriminators[round % discriminators.len()];
        let tail: Vec<u8> = (0..next(200)).map(|_| next(256) as u8).collect();
        let accounts: Vec<AccountMeta> =
            (0..next(12)).map(|_| AccountMeta::new_readonly(pool[next(pool.len())], false)).collect();
        let ix = Instruction { program_id: fulcrum::ID, accounts, data: [d, &tail].concat() };
        assert!(h.send(&[ix], &[]).await.is_err(), "garbage accepted in round {round}");
    }
    assert_eq!(h.snapshot(&pool).await, before);
}
