//! The one harness of the program tests: a bank with Fulcrum (native, or the `.so` in the real VM
//! with `FULCRUM_SBF=1`: [`sbf_mode`]), SPL Token and Pyth
//! accounts, builders for exchanges, banks, markets, oracles and traders, and every
//! instruction as a real signed transaction through `BanksClient`.
//!
//! [`setup`]: defaults, exchange, clock, tokens, oracles, listing, traders, addresses;
//! [`instructions`]: builders and senders; [`send`]: transactions, simulation, events;
//! [`reads`]: accounts, balances, prices, risk inputs; [`asserts`]: conservation, errors.

use std::collections::HashMap;

use anchor_lang::{AccountDeserialize, InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use fulcrum::instructions::{BankParams, ExchangeParams, MarketParams, Side, TradeParams};
use fulcrum::oracle::{LegacyPriceAccount, OracleKind};
use fulcrum::seeds;
use fulcrum::state::*;
use pyth_solana_receiver_sdk::price_update::{PriceUpdateV2, VerificationLevel};
use solana_program_test::*;
use solana_sdk::{
    account::{Account, AccountSharedData},
    clock::Clock,
    instruction::{AccountMeta, Instruction, InstructionError},
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    transaction::{Transaction, TransactionError},
};

mod asserts;
mod instructions;
mod rate; // s6-lst
mod reads;
mod send;
mod setup;

// The free functions of each part; not every includer (the demo) uses every part.
#[allow(unused_imports)]
pub use rate::*;
#[allow(unused_imports)]
pub use {asserts::*, reads::*, send::*, setup::*}; // s6-lst

pub use fulcrum::error::FulcrumError;
#[allow(unused_imports)] // used by the program suite's VM-only tests
pub use fulcrum_testkit::sbf_mode;
pub use fulcrum_testkit::{OracleFormat, EXPO};
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_system_interface::instruction as system_instruction;

/// One USDC in native units (6 decimals).
pub const USDC: u64 = 1_000_000;
/// One whole unit of a 9-decimal asset.
pub const SOL: u64 = 1_000_000_000;
/// `dollars` in Pyth units at [`EXPO`].
pub const fn px(dollars: i64) -> i64 {
    dollars * 100_000_000
}
/// Engine price (quote native per base native × 1e12) of `pyth` (at EXPO) for `decimals`.
pub fn engine_price(pyth: i64, decimals: u8) -> u64 {
    let shift = EXPO + 12 + 6 - decimals as i32;
    if shift >= 0 {
        pyth as u64 * 10u64.pow(shift as u32)
    } else {
        pyth as u64 / 10u64.pow((-shift) as u32)
    }
}
/// Start of the harness clock (unix seconds).
pub const GENESIS_TIME: i64 = 1_750_000_000;

/// A Pyth price the harness writes into an oracle account.
#[derive(Clone, Copy, Debug)]
pub struct Quote {
    pub price: i64,
    pub conf: u64,
    pub ema: i64,
    /// Seconds before the current clock.
    pub age: i64,
}

impl Quote {
    /// `price`, its EMA equal, published now, with no confidence interval: a fill's latency
    /// spread (`fulcrum_risk::fill_spread`) is then the market's own (`min_spread`, volatility
    /// term), 0 under [`default_market_params`], so the suites' expected figures are at the oracle
    /// price. The spread's confidence term is tested where a quote sets `conf` (the latency
    /// attacks, the mainnet updates in `oracles.rs`).
    pub fn at(price: i64) -> Self {
        Self { price, conf: 0, ema: price, age: 0 }
    }

    fn published(self, publish_time: i64) -> fulcrum_testkit::PythPrice {
        fulcrum_testkit::PythPrice { price: self.price, conf: self.conf, ema_price: self.ema, publish_time }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct OracleHandle {
    pub key: Pubkey,
    pub format: OracleFormat,
    pub feed_id: [u8; 32],
    pub owner: Pubkey,
    pub verification: VerificationLevel,
}

#[derive(Clone, Copy, Debug)]
pub struct BankHandle {
    pub index: u16,
    pub key: Pubkey,
    pub mint: Pubkey,
    pub vault: Pubkey,
    pub oracle: Option<OracleHandle>,
    pub decimals: u8,
}

#[derive(Clone, Copy, Debug)]
pub struct MarketHandle {
    pub index: u16,
    pub key: Pubkey,
    pub oracle: OracleHandle,
    pub base_decimals: u8,
}

pub struct Trader {
    pub kp: Keypair,
    pub account: Pubkey,
    /// Token account per mint.
    pub tokens: HashMap<Pubkey, Pubkey>,
}

impl Trader {
    pub fn key(&self) -> Pubkey {
        self.kp.pubkey()
    }
    pub fn token(&self, mint: &Pubkey) -> Pubkey {
        self.tokens[mint]
    }
}

pub struct Harness {
    pub ctx: ProgramTestContext,
    pub admin: Keypair,
    pub exchange: Pubkey,
    pub quote: BankHandle,
    pub pool: Pubkey,
    pub lp_mint: Pubkey,
    pub banks: Vec<BankHandle>,
    pub markets: Vec<MarketHandle>,
    /// Every margin account created, for conservation checks.
    pub margin_accounts: Vec<Pubkey>,
    nonce: u32,
}

pub type TxResult = Result<(), BanksClientError>;
