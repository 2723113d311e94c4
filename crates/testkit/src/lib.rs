//! What the program tests (`programs/fulcrum/tests`) and the local chain (`crates/localnet`) both
//! need to run Fulcrum on a `solana-program-test` bank: the native entry shim, Pyth price
//! accounts in both formats, SPL mints and token accounts. Not part of the program.
// solana-program-test marks its whole API deprecated ("Agave Unstable API"); it is what we use.
#![allow(deprecated)]

use anchor_lang::AccountSerialize;
use anchor_spl::token::spl_token;
use fulcrum::oracle::{LegacyPriceAccount, LegacyPriceInfo, LegacyRational, OracleKind};
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};
use solana_program_test::{processor, ProgramTest};
use solana_sdk::{
    account::AccountSharedData, instruction::Instruction, program_pack::Pack, pubkey::Pubkey, rent::Rent,
};

/// Pyth exponent of every price the kit writes.
pub const EXPO: i32 = -8;
/// Size of a legacy Pyth price account on mainnet.
pub const LEGACY_PRICE_ACCOUNT_LEN: usize = 3_312;

// ------------------------------------------------------------------ the program

/// Native entry point: Anchor's `entry` wants one lifetime for everything, `processor!` gives
/// independent ones. The accounts outlive the call, so shortening them is sound.
fn process_instruction(
    program_id: &Pubkey,
    accounts: &[anchor_lang::prelude::AccountInfo],
    data: &[u8],
) -> anchor_lang::solana_program::entrypoint::ProgramResult {
    // SAFETY: see above; the bank keeps the accounts alive for the whole call.
    let accounts: &[anchor_lang::prelude::AccountInfo] = unsafe { std::mem::transmute(accounts) };
    // As `fulcrum::entry`, with Anchor's error line (file and line) in the bank's log.
    fulcrum::native_entry(program_id, accounts, data)
}

/// `FULCRUM_SBF=1` runs Fulcrum from `target/deploy/fulcrum.so` (`scripts/build-sbf.sh`) in the
/// real Solana VM instead of natively; `SBF_OUT_DIR` may name another directory holding it.
pub fn sbf_mode() -> bool {
    static MODE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *MODE.get_or_init(|| {
        if !std::env::var("FULCRUM_SBF").is_ok_and(|v| v == "1") {
            return false;
        }
        let dir = std::env::var("SBF_OUT_DIR")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/deploy").to_string());
        let so = std::path::Path::new(&dir).join("fulcrum.so");
        assert!(so.is_file(), "FULCRUM_SBF=1 but {} is missing: run scripts/build-sbf.sh", so.display());
        // Set once, before any bank starts; program-test reads it when it loads the program.
        std::env::set_var("SBF_OUT_DIR", &dir);
        true
    })
}

/// A `ProgramTest` with Fulcrum: natively (SPL Token is built in), or in the real VM from its
/// `.so` when [`sbf_mode`].
pub fn program_test() -> ProgramTest {
    if sbf_mode() {
        // program-test loads `fulcrum.so` from SBF_OUT_DIR when no processor is given.
        let mut pt = ProgramTest::new("fulcrum", fulcrum::ID, None);
        pt.prefer_bpf(true);
        return pt;
    }
    let mut pt = ProgramTest::new("fulcrum", fulcrum::ID, processor!(process_instruction));
    pt.prefer_bpf(false);
    pt
}

// ------------------------------------------------------------------ Pyth price accounts

/// The two Pyth account formats the program reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OracleFormat {
    /// A legacy Pyth price account (owner: the Pyth oracle program).
    Legacy,
    /// A PriceUpdateV2 (owner: the Pyth Solana Receiver).
    Pull,
}

impl OracleFormat {
    /// The program that owns a price account of this format.
    pub fn owner(self) -> Pubkey {
        match self {
            OracleFormat::Pull => fulcrum::oracle::PYTH_RECEIVER,
            OracleFormat::Legacy => fulcrum::oracle::PYTH_LEGACY_MAINNET,
        }
    }

    /// The `oracle_kind` a bank or market is listed with on a feed of this format.
    pub fn kind(self) -> u8 {
        let kind = match self {
            OracleFormat::Legacy => OracleKind::PythLegacy,
            OracleFormat::Pull => OracleKind::PythPull,
        };
        kind as u8
    }
}

/// One Pyth observation at [`EXPO`], as both formats carry it.
#[derive(Clone, Copy, Debug)]
pub struct PythPrice {
    pub price: i64,
    /// Confidence of the price and of the EMA.
    pub conf: u64,
    pub ema_price: i64,
    pub publish_time: i64,
}

/// PriceUpdateV2 account data, discriminator included.
pub fn price_update_v2_data(
    feed_id: [u8; 32],
    p: PythPrice,
    posted_slot: u64,
    verification_level: VerificationLevel,
    write_authority: Pubkey,
) -> Vec<u8> {
    let update = PriceUpdateV2 {
        write_authority,
        verification_level,
        price_message: PriceFeedMessage {
            feed_id,
            price: p.price,
            conf: p.conf,
            exponent: EXPO,
            publish_time: p.publish_time,
            prev_publish_time: p.publish_time - 1,
            ema_price: p.ema_price,
            ema_conf: p.conf,
        },
        posted_slot,
    };
    let mut data = vec![];
    update.try_serialize(&mut data).expect("serialising into a Vec cannot fail");
    data.resize(PriceUpdateV2::LEN, 0);
    data
}

/// Legacy Pyth price account data (3,312 bytes, as on mainnet): aggregate `p` in `status`,
/// published at `slot`, the previous aggregate (the same price) at `prev_slot`.
pub fn legacy_price_data(p: PythPrice, status: u32, slot: u64, prev_slot: u64) -> Vec<u8> {
    let header = LegacyPriceAccount {
        magic: fulcrum::oracle::LEGACY_MAGIC,
        ver: fulcrum::oracle::LEGACY_VERSION,
        atype: fulcrum::oracle::LEGACY_TYPE_PRICE,
        size: LEGACY_PRICE_ACCOUNT_LEN as u32,
        ptype: 1,
        expo: EXPO,
        num: 1,
        num_qt: 1,
        last_slot: slot,
        valid_slot: slot,
        ema_price: LegacyRational { val: p.ema_price, numer: p.ema_price, denom: 1 },
        ema_conf: LegacyRational { val: p.conf as i64, numer: p.conf as i64, denom: 1 },
        timestamp: p.publish_time,
        min_pub: 1,
        drv2: 0,
        drv3: 0,
        drv4: 0,
        prod: [0; 32],
        next: [0; 32],
        prev_slot,
        prev_price: p.price,
        prev_conf: p.conf,
        prev_timestamp: p.publish_time,
        agg: LegacyPriceInfo { price: p.price, conf: p.conf, status, corp_act: 0, pub_slot: slot },
    };
    let mut data = bytemuck::bytes_of(&header).to_vec();
    data.resize(LEGACY_PRICE_ACCOUNT_LEN, 0);
    data
}

/// A price account holding `data`, owned by `owner`, with 1 SOL of lamports.
pub fn price_account(owner: &Pubkey, data: &[u8]) -> AccountSharedData {
    let mut acct = AccountSharedData::new(1_000_000_000, data.len(), owner);
    acct.set_data_from_slice(data);
    acct
}

// ------------------------------------------------------------------ SPL Token

/// Allocates `key` (`len` bytes, rent-exempt, paid by `payer`) for SPL Token.
fn token_program_account(rent: &Rent, payer: &Pubkey, key: &Pubkey, len: usize) -> Instruction {
    solana_system_interface::instruction::create_account(
        payer,
        key,
        rent.minimum_balance(len),
        len as u64,
        &spl_token::ID,
    )
}

/// Creates `mint` (a new keypair's address; it signs) as a mint of `decimals` under
/// `authority`, rent paid by `payer`.
pub fn create_mint_ixs(
    rent: &Rent,
    payer: &Pubkey,
    mint: &Pubkey,
    authority: &Pubkey,
    decimals: u8,
) -> [Instruction; 2] {
    [
        token_program_account(rent, payer, mint, spl_token::state::Mint::LEN),
        spl_token::instruction::initialize_mint2(&spl_token::ID, mint, authority, None, decimals)
            .expect("the SPL Token program id"),
    ]
}

/// Creates `account` (a new keypair's address; it signs) as a token account of `mint` owned
/// by `owner`, rent paid by `payer`.
pub fn create_token_account_ixs(
    rent: &Rent,
    payer: &Pubkey,
    account: &Pubkey,
    mint: &Pubkey,
    owner: &Pubkey,
) -> [Instruction; 2] {
    [
        token_program_account(rent, payer, account, spl_token::state::Account::LEN),
        spl_token::instruction::initialize_account3(&spl_token::ID, account, mint, owner)
            .expect("the SPL Token program id"),
    ]
}
