//! The one harness of the program tests: a bank with Fulcrum (native, or the `.so` in the real VM
//! with `FULCRUM_SBF=1`: [`sbf_mode`]), SPL Token and Pyth
//! accounts, builders for exchanges, banks, markets, oracles and traders, and every
//! instruction as a real signed transaction through `BanksClient`.

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

pub fn default_exchange_params() -> ExchangeParams {
    ExchangeParams {
        quote_init_liability_weight: 1_000_000,
        quote_maint_liability_weight: 1_000_000,
        unrealized_pnl_init_weight: 1_000_000,
        max_pool_utilisation: 800_000,
        margin_call_grace_slots: 0,
        liquidation_threshold_ratio: 800_000,
        liquidation_buffer: 100_000, // 10%
        liquidator_fee: 5_000,       // 0.5%
        insurance_fee: 2_500,        // 0.25%
        collateral_liquidation_discount: 50_000,
        insurance_fee_share: 0,
        insurance_floor: 0,
        dust_notional: 10 * USDC,
        // LP flows: no cooldown, no withdrawal fee, traders' PnL uncapped (tests set their own).
        lp_cooldown_secs: 0,
        lp_withdrawal_fee: 0,
        max_pnl_factor_for_deposits: 0,
        max_pnl_factor_for_withdrawals: 0,
        // Orders: 0.001 SOL per order; triggers within 10% of the EMA.
        order_fee_lamports: 1_000_000,
        trigger_band: 100_000,
    }
}

pub fn default_market_params() -> MarketParams {
    MarketParams {
        init_margin_ratio: 100_000, // 10x
        maint_margin_ratio: 50_000,
        imf: 0,
        taker_fee: 1_000, // 0.1%
        max_oracle_age: 60,
        max_conf_ratio: 20_000, // 2%
        step_size: SOL / 1_000,
        long_oi_cap: 1_000_000 * SOL,
        short_oi_cap: 1_000_000 * SOL,
        // Dynamic risk off by default: static ratios, no breaker, no funding, no impact fee.
        vol_z: 0,
        vol_horizon_secs: 3_600,
        vol_decay_secs: 3_600,
        maint_fraction: 0,
        max_maint_increase_per_hour: 0,
        oi_premium: 0,
        price_band: 0,
        breaker_cooldown_secs: 0,
        funding_factor: 0,
        max_funding_rate: 0,
        impact_fee: 0,
        liquidation_max_age: 120,
        // Latency spread: fills take prices as old as margin checks do, and the spread is the
        // oracle's confidence (`Quote::at`: 5 bp) with no floor and no volatility term.
        max_fill_age: 60,
        min_spread: 0,
        spread_z: 0,
        // No PnL cap and no auto-deleveraging by default (the winners tests set them).
        max_pnl_factor: 0,
        adl_threshold: 0,
        adl_floor: 0,
        // Pool capacity off by default (tests trade against empty pools): no reserve, no borrow
        // fee, no insurance-aware cap. `attacks/capacity.rs` turns them on.
        reserve_factor: 0,
        borrow_base_rate: 0,
        borrow_slope1: 0,
        borrow_kink: 800_000,
        borrow_slope2: 0,
        oi_shock: 0,
        oi_pool_fraction: 0,
    }
}

pub fn default_bank_params() -> BankParams {
    BankParams {
        init_asset_weight: 800_000,
        maint_asset_weight: 900_000,
        max_oracle_age: 60,
        max_conf_ratio: 20_000,
        deposit_cap: u64::MAX / 2,
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

impl Harness {
    /// A bank with the program and a fresh exchange (USDC-like quote, 6 decimals), clock at
    /// [`GENESIS_TIME`].
    pub async fn new() -> Self {
        Self::with_params(default_exchange_params()).await
    }

    pub async fn with_params(params: ExchangeParams) -> Self {
        let ctx = fulcrum_testkit::program_test().start_with_context().await;
        let admin = Keypair::new();
        let mut h = Harness {
            ctx,
            admin,
            exchange: Pubkey::default(),
            quote: BankHandle {
                index: 0,
                key: Pubkey::default(),
                mint: Pubkey::default(),
                vault: Pubkey::default(),
                oracle: None,
                decimals: 6,
            },
            pool: Pubkey::default(),
            lp_mint: Pubkey::default(),
            banks: vec![],
            markets: vec![],
            margin_accounts: vec![],
            nonce: 0,
        };
        h.set_time(GENESIS_TIME).await;
        let admin_key = h.admin.pubkey();
        h.airdrop(&admin_key, 100 * SOL).await;
        let quote_mint = h.create_mint(6).await;
        let exchange =
            Pubkey::find_program_address(&[seeds::EXCHANGE, admin_key.as_ref(), &0u16.to_le_bytes()], &fulcrum::ID).0;
        let quote_bank = bank_address(&exchange, 0);
        let quote_vault = vault_address(&exchange, &quote_mint);
        let pool = Pubkey::find_program_address(&[seeds::POOL, exchange.as_ref()], &fulcrum::ID).0;
        let lp_mint = Pubkey::find_program_address(&[seeds::LP_MINT, exchange.as_ref()], &fulcrum::ID).0;
        let ix = Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::InitializeExchange {
                admin: admin_key,
                quote_mint,
                exchange,
                quote_bank,
                quote_vault,
                pool,
                lp_mint,
                token_program: spl_token::ID,
                system_program: anchor_lang::system_program::ID,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::InitializeExchange { exchange_id: 0, params, quote_deposit_cap: u64::MAX / 2 }
                .data(),
        };
        let admin = h.admin.insecure_clone();
        h.send(&[ix], &[&admin]).await.expect("initialize_exchange");
        h.exchange = exchange;
        h.quote =
            BankHandle { index: 0, key: quote_bank, mint: quote_mint, vault: quote_vault, oracle: None, decimals: 6 };
        h.pool = pool;
        h.lp_mint = lp_mint;
        h
    }

    // ------------------------------------------------------------------ chain plumbing

    pub fn payer(&self) -> Keypair {
        self.ctx.payer.insecure_clone()
    }

    /// Sends `ixs` signed by the payer and `signers`. Each transaction gets a distinct compute
    /// limit so identical instructions are never deduplicated as one.
    pub async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> TxResult {
        self.nonce += 1;
        let mut all = vec![ComputeBudgetInstruction::set_compute_unit_limit(1_400_000 - self.nonce)];
        all.extend_from_slice(ixs);
        let payer = self.payer();
        let mut keys: Vec<&Keypair> = vec![&payer];
        keys.extend_from_slice(signers);
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await.expect("blockhash");
        let tx = Transaction::new_signed_with_payer(&all, Some(&payer.pubkey()), &keys, blockhash);
        self.ctx.banks_client.process_transaction(tx).await
    }

    pub async fn airdrop(&mut self, to: &Pubkey, lamports: u64) {
        let payer = self.payer();
        let ix = system_instruction::transfer(&payer.pubkey(), to, lamports);
        self.send(&[ix], &[]).await.expect("airdrop");
    }

    pub async fn clock(&mut self) -> Clock {
        self.ctx.banks_client.get_sysvar::<Clock>().await.expect("clock")
    }

    pub async fn set_time(&mut self, unix: i64) {
        let mut c = self.clock().await;
        c.unix_timestamp = unix;
        self.ctx.set_sysvar(&c);
    }

    pub async fn now(&mut self) -> i64 {
        self.clock().await.unix_timestamp
    }

    /// Moves the clock `secs` forward and the slot by 2.5 per second (400 ms slots).
    pub async fn advance(&mut self, secs: i64) {
        let c = self.clock().await;
        let slot = c.slot + (secs as u64 * 5 / 2).max(1);
        self.ctx.warp_to_slot(slot).expect("warp");
        self.set_time(c.unix_timestamp + secs).await;
    }

    pub async fn account(&mut self, key: &Pubkey) -> Option<Account> {
        self.ctx.banks_client.get_account(*key).await.expect("get_account")
    }

    pub async fn account_data(&mut self, key: &Pubkey) -> Vec<u8> {
        self.account(key).await.map(|a| a.data).unwrap_or_default()
    }

    pub async fn load<T: bytemuck::Pod>(&mut self, key: &Pubkey) -> T {
        let data = self.account_data(key).await;
        bytemuck::pod_read_unaligned(&data[8..8 + std::mem::size_of::<T>()])
    }

    pub async fn margin(&mut self, key: &Pubkey) -> MarginAccount {
        self.load(key).await
    }

    pub async fn market(&mut self, i: usize) -> PerpMarket {
        let k = self.markets[i].key;
        self.load(&k).await
    }

    pub async fn pool_state(&mut self) -> LiquidityPool {
        let k = self.pool;
        self.load(&k).await
    }

    pub async fn token_balance(&mut self, key: &Pubkey) -> u64 {
        let data = self.account_data(key).await;
        u64::from_le_bytes(data[64..72].try_into().unwrap())
    }

    pub async fn mint_supply(&mut self, mint: &Pubkey) -> u64 {
        let data = self.account_data(mint).await;
        u64::from_le_bytes(data[36..44].try_into().unwrap())
    }

    // ------------------------------------------------------------------ tokens

    pub async fn create_mint(&mut self, decimals: u8) -> Pubkey {
        let mint = Keypair::new();
        let payer = self.payer();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let ixs = fulcrum_testkit::create_mint_ixs(&rent, &payer.pubkey(), &mint.pubkey(), &payer.pubkey(), decimals);
        self.send(&ixs, &[&mint]).await.expect("create mint");
        mint.pubkey()
    }

    pub async fn create_token_account(&mut self, mint: &Pubkey, owner: &Pubkey) -> Pubkey {
        let acct = Keypair::new();
        let payer = self.payer();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let ixs = fulcrum_testkit::create_token_account_ixs(&rent, &payer.pubkey(), &acct.pubkey(), mint, owner);
        self.send(&ixs, &[&acct]).await.expect("create token account");
        acct.pubkey()
    }

    /// Mints `amount` to `to` (the payer is every test mint's authority).
    pub async fn mint_to(&mut self, mint: &Pubkey, to: &Pubkey, amount: u64) {
        let payer = self.payer();
        let ix = spl_token::instruction::mint_to(&spl_token::ID, mint, to, &payer.pubkey(), &[], amount).unwrap();
        self.send(&[ix], &[]).await.expect("mint_to");
    }

    // ------------------------------------------------------------------ oracles

    /// Writes `q` into `oracle` in its format, published `q.age` seconds before now.
    pub async fn set_oracle(&mut self, oracle: &OracleHandle, q: Quote) {
        let now = self.now().await;
        let slot = self.clock().await.slot;
        let data = match oracle.format {
            OracleFormat::Pull => pull_oracle_data(oracle.feed_id, q, now - q.age, slot, oracle.verification),
            OracleFormat::Legacy => legacy_oracle_data(q, now - q.age, 1),
        };
        self.write_oracle(oracle, data).await;
    }

    pub async fn write_oracle(&mut self, oracle: &OracleHandle, data: Vec<u8>) {
        self.ctx.set_account(&oracle.key, &fulcrum_testkit::price_account(&oracle.owner, &data));
    }

    pub async fn new_oracle(&mut self, format: OracleFormat, q: Quote) -> OracleHandle {
        let mut feed_id = [0u8; 32];
        feed_id[..8].copy_from_slice(&rand_u64().to_le_bytes());
        let o = OracleHandle {
            key: Pubkey::new_unique(),
            format,
            feed_id,
            owner: format.owner(),
            verification: VerificationLevel::Full,
        };
        self.set_oracle(&o, q).await;
        o
    }

    // ------------------------------------------------------------------ listing

    pub async fn add_bank(&mut self, decimals: u8, format: OracleFormat, q: Quote, params: BankParams) -> BankHandle {
        let oracle = self.new_oracle(format, q).await;
        self.add_bank_with_oracle(decimals, oracle, params).await
    }

    /// `add_collateral_bank` of `mint` as the exchange's next bank, priced by `oracle`.
    pub fn add_bank_ix(&self, mint: Pubkey, oracle: &OracleHandle, params: BankParams) -> Instruction {
        let index = 1 + self.banks.len() as u16;
        Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::AddCollateralBank {
                admin: self.admin.pubkey(),
                exchange: self.exchange,
                mint,
                oracle: oracle.key,
                bank: bank_address(&self.exchange, index),
                vault: vault_address(&self.exchange, &mint),
                token_program: spl_token::ID,
                system_program: anchor_lang::system_program::ID,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::AddCollateralBank {
                bank_index: index,
                oracle_kind: oracle.format.kind(),
                feed_id: oracle.feed_id,
                params,
            }
            .data(),
        }
    }

    pub async fn add_bank_with_oracle(&mut self, decimals: u8, oracle: OracleHandle, params: BankParams) -> BankHandle {
        let mint = self.create_mint(decimals).await;
        let index = 1 + self.banks.len() as u16;
        let bank = bank_address(&self.exchange, index);
        let vault = vault_address(&self.exchange, &mint);
        let ix = self.add_bank_ix(mint, &oracle, params);
        let admin = self.admin.insecure_clone();
        self.send(&[ix], &[&admin]).await.expect("add_collateral_bank");
        let h = BankHandle { index, key: bank, mint, vault, oracle: Some(oracle), decimals };
        self.banks.push(h);
        h
    }

    pub async fn add_market(&mut self, format: OracleFormat, q: Quote, params: MarketParams) -> MarketHandle {
        let oracle = self.new_oracle(format, q).await;
        self.add_market_with_oracle(9, oracle, params).await
    }

    pub async fn add_market_with_oracle(
        &mut self,
        base_decimals: u8,
        oracle: OracleHandle,
        params: MarketParams,
    ) -> MarketHandle {
        let index = self.markets.len() as u16;
        let market = market_address(&self.exchange, index);
        let kind = oracle.format.kind();
        let mut name = [0u8; 16];
        let label = format!("PERP-{index}");
        name[..label.len()].copy_from_slice(label.as_bytes());
        let ix = Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::AddPerpMarket {
                admin: self.admin.pubkey(),
                exchange: self.exchange,
                oracle: oracle.key,
                market,
                system_program: anchor_lang::system_program::ID,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::AddPerpMarket {
                market_index: index,
                name,
                base_decimals,
                oracle_kind: kind,
                feed_id: oracle.feed_id,
                params,
            }
            .data(),
        };
        let admin = self.admin.insecure_clone();
        self.send(&[ix], &[&admin]).await.expect("add_perp_market");
        let h = MarketHandle { index, key: market, oracle, base_decimals };
        self.markets.push(h);
        h
    }

    /// Moves market `i`'s price (and EMA) to `pyth` now.
    pub async fn set_market_price(&mut self, i: usize, pyth: i64) {
        let o = self.markets[i].oracle;
        self.set_oracle(&o, Quote::at(pyth)).await;
    }

    /// Moves bank `i`'s (1-based bank index) price to `pyth` now.
    pub async fn set_bank_price(&mut self, bank_index: u16, pyth: i64) {
        let o = self.banks[bank_index as usize - 1].oracle.unwrap();
        self.set_oracle(&o, Quote::at(pyth)).await;
    }

    /// Republishes every oracle at its current price with the current time (after a clock move).
    pub async fn refresh_oracles(&mut self) {
        let oracles: Vec<OracleHandle> =
            self.markets.iter().map(|m| m.oracle).chain(self.banks.iter().filter_map(|b| b.oracle)).collect();
        for o in oracles {
            let data = self.account_data(&o.key).await;
            let q = read_quote(&o, &data);
            self.set_oracle(&o, q).await;
        }
    }

    // ------------------------------------------------------------------ traders

    /// A funded keypair with a margin account (sub-account 0) and token accounts for every
    /// listed mint; `quote` USDC native units minted to it.
    pub async fn trader(&mut self, quote: u64) -> Trader {
        let kp = Keypair::new();
        self.airdrop(&kp.pubkey(), 10 * SOL).await;
        let account = margin_account_address(&self.exchange, &kp.pubkey(), 0);
        let ix = Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::CreateMarginAccount {
                owner: kp.pubkey(),
                exchange: self.exchange,
                margin_account: account,
                system_program: anchor_lang::system_program::ID,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::CreateMarginAccount { sub_account_id: 0 }.data(),
        };
        self.send(&[ix], &[&kp]).await.expect("create_margin_account");
        self.margin_accounts.push(account);
        let mut tokens = HashMap::new();
        let mints: Vec<Pubkey> =
            std::iter::once(self.quote.mint).chain(self.banks.iter().map(|b| b.mint)).chain([self.lp_mint]).collect();
        for mint in mints {
            let t = self.create_token_account(&mint, &kp.pubkey()).await;
            tokens.insert(mint, t);
        }
        let q = tokens[&self.quote.mint];
        if quote > 0 {
            let m = self.quote.mint;
            self.mint_to(&m, &q, quote).await;
        }
        Trader { kp, account, tokens }
    }

    /// A keypair that is nobody in particular (a keeper, an attacker) with SOL for fees.
    pub async fn stranger(&mut self) -> Keypair {
        let kp = Keypair::new();
        self.airdrop(&kp.pubkey(), SOL).await;
        kp
    }

    pub fn bank(&self, index: u16) -> BankHandle {
        if index == 0 {
            self.quote
        } else {
            self.banks[index as usize - 1]
        }
    }

    // ------------------------------------------------------------------ instructions

    pub fn deposit_ix(
        &self,
        account: &Pubkey,
        bank: &BankHandle,
        source: &Pubkey,
        depositor: &Pubkey,
        amount: u64,
    ) -> Instruction {
        Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::Deposit {
                exchange: self.exchange,
                margin_account: *account,
                bank: bank.key,
                vault: bank.vault,
                source: *source,
                depositor: *depositor,
                token_program: spl_token::ID,
                pool: self.pool,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::Deposit { amount }.data(),
        }
    }

    pub async fn deposit(&mut self, t: &Trader, bank_index: u16, amount: u64) -> TxResult {
        let bank = self.bank(bank_index);
        let ix = self.deposit_ix(&t.account, &bank, &t.token(&bank.mint), &t.key(), amount);
        self.send(&[ix], &[&t.kp]).await
    }

    /// Mints `amount` of bank `bank_index`'s mint to the trader and deposits it.
    pub async fn fund(&mut self, t: &Trader, bank_index: u16, amount: u64) {
        let bank = self.bank(bank_index);
        self.mint_to(&bank.mint, &t.token(&bank.mint), amount).await;
        self.deposit(t, bank_index, amount).await.expect("deposit");
    }

    pub async fn withdraw_ix(&mut self, t: &Trader, bank_index: u16, amount: u64) -> Instruction {
        let bank = self.bank(bank_index);
        let mut acct = self.margin(&t.account).await;
        // The health accounts are those of the account after the withdrawal.
        if let Some(i) = acct.find_collateral(bank_index) {
            acct.collateral[i].amount = acct.collateral[i].amount.saturating_sub(amount);
            acct.compact_collateral(i);
        }
        let mut metas = fulcrum::accounts::Withdraw {
            exchange: self.exchange,
            margin_account: t.account,
            owner: t.key(),
            bank: bank.key,
            vault: bank.vault,
            destination: t.token(&bank.mint),
            token_program: spl_token::ID,
        }
        .to_account_metas(None);
        metas.extend(self.health_metas(&acct));
        Instruction { program_id: fulcrum::ID, accounts: metas, data: fulcrum::instruction::Withdraw { amount }.data() }
    }

    pub async fn withdraw(&mut self, t: &Trader, bank_index: u16, amount: u64) -> TxResult {
        let ix = self.withdraw_ix(t, bank_index, amount).await;
        self.send(&[ix], &[&t.kp]).await
    }

    /// `(bank, oracle)` per active collateral slot then `(market, oracle)` per active perp slot,
    /// the correlations (portfolio), the pool (any perp slot).
    pub fn health_metas(&self, acct: &MarginAccount) -> Vec<AccountMeta> {
        let mut metas = vec![];
        for s in acct.active_collateral() {
            let b = self.bank(s.bank_index);
            metas.push(AccountMeta::new_readonly(b.key, false));
            metas.push(AccountMeta::new_readonly(b.oracle.unwrap().key, false));
        }
        for s in acct.active_perps() {
            let m = self.markets[s.market_index as usize];
            metas.push(AccountMeta::new_readonly(m.key, false));
            metas.push(AccountMeta::new_readonly(m.oracle.key, false));
        }
        if acct.is_portfolio() {
            metas.push(AccountMeta::new_readonly(correlations_address(&self.exchange), false));
        }
        if !acct.active_perps().is_empty() {
            metas.push(AccountMeta::new_readonly(self.pool, false));
        }
        metas
    }

    /// The account as it will be after trading `delta` on market `i` (slots only; for the
    /// health account list).
    pub async fn after_trade(&mut self, account: &Pubkey, market: u16, delta: i64) -> MarginAccount {
        let mut acct = self.margin(account).await;
        let i = acct.perp_slot(market).expect("slot");
        acct.perps[i].base += delta;
        if acct.perps[i].base == 0 {
            acct.perps[i].quote_entry = 0;
        } else if acct.perps[i].quote_entry == 0 {
            acct.perps[i].quote_entry = 1;
        }
        acct.compact_perp(i);
        acct
    }

    pub async fn trade_ix(
        &mut self,
        t: &Trader,
        market: u16,
        side: Side,
        size: u64,
        limit: Option<u64>,
        reduce_only: bool,
    ) -> Instruction {
        let m = self.markets[market as usize];
        let before = self.margin(&t.account).await;
        let held = before.find_perp(market).map(|i| before.perps[i].base).unwrap_or(0);
        let mut delta = if side == Side::Buy { size as i64 } else { -(size as i64) };
        if reduce_only && held != 0 && delta.unsigned_abs() > held.unsigned_abs() {
            delta = -held;
        }
        let after = self.after_trade(&t.account, market, delta).await;
        let limit_price = limit.unwrap_or(if side == Side::Buy { u64::MAX } else { 0 });
        let mut metas = fulcrum::accounts::PlacePerpTrade {
            exchange: self.exchange,
            margin_account: t.account,
            trader: t.key(),
            market: m.key,
            oracle: m.oracle.key,
            pool: self.pool,
        }
        .to_account_metas(None);
        metas.extend(self.health_metas(&after));
        Instruction {
            program_id: fulcrum::ID,
            accounts: metas,
            data: fulcrum::instruction::PlacePerpTrade {
                params: TradeParams { side, base_size: size, limit_price, reduce_only },
            }
            .data(),
        }
    }

    pub async fn trade(&mut self, t: &Trader, market: u16, side: Side, size: u64) -> TxResult {
        let ix = self.trade_ix(t, market, side, size, None, false).await;
        self.send(&[ix], &[&t.kp]).await
    }

    /// Closes the whole position in `market` (reduce-only).
    pub async fn close(&mut self, t: &Trader, market: u16) -> TxResult {
        let acct = self.margin(&t.account).await;
        let base = acct.find_perp(market).map(|i| acct.perps[i].base).unwrap_or(0);
        let side = if base > 0 { Side::Sell } else { Side::Buy };
        let ix = self.trade_ix(t, market, side, base.unsigned_abs(), None, true).await;
        self.send(&[ix], &[&t.kp]).await
    }

    // -------------------------------------------------------------- keepers

    pub async fn refresh_health_ix(&mut self, account: &Pubkey) -> Instruction {
        let acct = self.margin(account).await;
        let mut metas = fulcrum::accounts::RefreshHealth { exchange: self.exchange, margin_account: *account }
            .to_account_metas(None);
        metas.extend(self.health_metas(&acct));
        Instruction { program_id: fulcrum::ID, accounts: metas, data: fulcrum::instruction::RefreshHealth {}.data() }
    }

    pub async fn refresh_health(&mut self, account: &Pubkey) -> TxResult {
        let ix = self.refresh_health_ix(account).await;
        self.send(&[ix], &[]).await
    }

    /// `liquidate_perp` of `account`'s position in `market`, signed by `keeper`, fee to
    /// `fee_to` (a quote token account).
    pub async fn liquidate_perp_ix(
        &mut self,
        keeper: &Pubkey,
        fee_to: &Pubkey,
        account: &Pubkey,
        market: u16,
    ) -> Instruction {
        let acct = self.margin(account).await;
        let m = self.markets[market as usize];
        let mut metas = fulcrum::accounts::LiquidatePerp {
            exchange: self.exchange,
            margin_account: *account,
            liquidator: *keeper,
            liquidator_quote: *fee_to,
            quote: fulcrum::accounts::QuoteVault { bank: self.quote.key, vault: self.quote.vault },
            market: m.key,
            oracle: m.oracle.key,
            pool: self.pool,
            token_program: spl_token::ID,
            order_book: None,
        }
        .to_account_metas(None);
        metas.extend(self.health_metas(&acct));
        Instruction { program_id: fulcrum::ID, accounts: metas, data: fulcrum::instruction::LiquidatePerp {}.data() }
    }

    pub async fn liquidate_perp(
        &mut self,
        keeper: &Keypair,
        fee_to: &Pubkey,
        account: &Pubkey,
        market: u16,
    ) -> TxResult {
        let ix = self.liquidate_perp_ix(&keeper.pubkey(), fee_to, account, market).await;
        self.send(&[ix], &[keeper]).await
    }

    pub async fn liquidate_collateral(
        &mut self,
        keeper: &Trader,
        account: &Pubkey,
        bank_index: u16,
        max_repay: u64,
    ) -> TxResult {
        let acct = self.margin(account).await;
        let bank = self.bank(bank_index);
        let mut metas = fulcrum::accounts::LiquidateCollateral {
            exchange: self.exchange,
            margin_account: *account,
            liquidator: keeper.key(),
            liquidator_quote: keeper.token(&self.quote.mint),
            liquidator_collateral: keeper.token(&bank.mint),
            quote: fulcrum::accounts::QuoteVault { bank: self.quote.key, vault: self.quote.vault },
            bank: bank.key,
            vault: bank.vault,
            token_program: spl_token::ID,
            pool: self.pool,
        }
        .to_account_metas(None);
        metas.extend(self.health_metas(&acct));
        let ix = Instruction {
            program_id: fulcrum::ID,
            accounts: metas,
            data: fulcrum::instruction::LiquidateCollateral { max_repay }.data(),
        };
        self.send(&[ix], &[&keeper.kp]).await
    }

    pub async fn resolve_bankruptcy(&mut self, account: &Pubkey) -> TxResult {
        let ix = Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::ResolveBankruptcy {
                exchange: self.exchange,
                margin_account: *account,
                pool: self.pool,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::ResolveBankruptcy {}.data(),
        };
        self.send(&[ix], &[]).await
    }

    /// Mints `amount` of quote to a fresh depositor and puts it in the insurance fund.
    pub async fn fund_insurance(&mut self, amount: u64) {
        let d = self.trader(amount).await;
        let ix = Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::InsuranceDeposit {
                exchange: self.exchange,
                pool: self.pool,
                quote: fulcrum::accounts::QuoteVault { bank: self.quote.key, vault: self.quote.vault },
                source: d.token(&self.quote.mint),
                depositor: d.key(),
                token_program: spl_token::ID,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::InsuranceDeposit { amount }.data(),
        };
        self.send(&[ix], &[&d.kp]).await.expect("insurance_deposit");
    }

    pub fn insurance_withdraw_ix(&self, admin: &Pubkey, destination: &Pubkey, amount: u64) -> Instruction {
        Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::InsuranceWithdraw {
                admin: *admin,
                exchange: self.exchange,
                pool: self.pool,
                quote: fulcrum::accounts::QuoteVault { bank: self.quote.key, vault: self.quote.vault },
                destination: *destination,
                token_program: spl_token::ID,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::InsuranceWithdraw { amount }.data(),
        }
    }

    pub async fn update_exchange(&mut self, params: ExchangeParams) {
        let ix = Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::UpdateExchange { admin: self.admin.pubkey(), exchange: self.exchange }
                .to_account_metas(None),
            data: fulcrum::instruction::UpdateExchangeParams { params }.data(),
        };
        let admin = self.admin.insecure_clone();
        self.send(&[ix], &[&admin]).await.expect("update_exchange_params");
    }

    pub fn market_metas(&self) -> Vec<AccountMeta> {
        self.markets
            .iter()
            .flat_map(|m| [AccountMeta::new_readonly(m.key, false), AccountMeta::new_readonly(m.oracle.key, false)])
            .collect()
    }

    pub fn lp_deposit_ix(&self, provider: &Trader, amount: u64) -> Instruction {
        let mut metas = fulcrum::accounts::LpDeposit {
            exchange: self.exchange,
            pool: self.pool,
            lp_mint: self.lp_mint,
            quote_bank: self.quote.key,
            vault: self.quote.vault,
            source: provider.token(&self.quote.mint),
            lp_destination: provider.token(&self.lp_mint),
            lp_position: lp_position_address(&self.exchange, &provider.key()),
            provider: provider.key(),
            token_program: spl_token::ID,
            system_program: anchor_lang::system_program::ID,
        }
        .to_account_metas(None);
        metas.extend(self.market_metas());
        Instruction {
            program_id: fulcrum::ID,
            accounts: metas,
            data: fulcrum::instruction::LpDeposit { amount, min_shares_out: 0 }.data(),
        }
    }

    pub async fn lp_deposit(&mut self, provider: &Trader, amount: u64) -> TxResult {
        let ix = self.lp_deposit_ix(provider, amount);
        self.send(&[ix], &[&provider.kp]).await
    }

    pub async fn lp_withdraw(&mut self, provider: &Trader, shares: u64) -> TxResult {
        let mut metas = fulcrum::accounts::LpWithdraw {
            exchange: self.exchange,
            pool: self.pool,
            lp_mint: self.lp_mint,
            quote_bank: self.quote.key,
            vault: self.quote.vault,
            lp_source: provider.token(&self.lp_mint),
            destination: provider.token(&self.quote.mint),
            provider: provider.key(),
            token_program: spl_token::ID,
        }
        .to_account_metas(None);
        metas.extend(self.market_metas());
        let ix = Instruction {
            program_id: fulcrum::ID,
            accounts: metas,
            data: fulcrum::instruction::LpWithdraw { shares, min_amount_out: 0 }.data(),
        };
        self.send(&[ix], &[&provider.kp]).await
    }

    /// A liquidity provider with `amount` USDC in the pool.
    pub async fn seed_pool(&mut self, amount: u64) -> Trader {
        let lp = self.trader(amount).await;
        self.lp_deposit(&lp, amount).await.expect("lp_deposit");
        // The next slot: a deposit is not depth in its own slot (`LiquidityPool::depth`), and a
        // seeded pool stands for liquidity provided long before.
        self.advance(0).await;
        lp
    }

    // ------------------------------------------------------------------ invariants

    /// Every vault holds exactly what the ledger says it owes: quote vault = Σ account quote
    /// balances + Σ isolated collateral + pool + insurance; collateral vault = Σ account balances = bank total.
    pub async fn assert_conservation(&mut self) {
        let accounts = self.margin_accounts.clone();
        let mut quote_owed: i128 = 0;
        let mut owed: HashMap<u16, u128> = HashMap::new();
        for key in &accounts {
            if self.account(key).await.is_none() {
                continue;
            }
            let a = self.margin(key).await;
            quote_owed += a.quote_balance as i128;
            quote_owed += a.active_perps().iter().map(|p| p.isolated_collateral as i128).sum::<i128>();
            for s in a.active_collateral() {
                *owed.entry(s.bank_index).or_default() += s.amount as u128;
            }
        }
        let pool = self.pool_state().await;
        quote_owed += pool.balance as i128 + pool.insurance_balance as i128;
        let qv = self.quote.vault;
        assert_eq!(self.token_balance(&qv).await as i128, quote_owed, "quote vault vs ledger");
        for b in self.banks.clone() {
            let vault = self.token_balance(&b.vault).await as u128;
            let bank: CollateralBank = self.load(&b.key).await;
            assert_eq!(vault, owed.get(&b.index).copied().unwrap_or(0), "bank {} vault vs accounts", b.index);
            assert_eq!(vault, bank.total_deposits as u128, "bank {} vault vs total", b.index);
        }
    }

    /// Everything a failed instruction could have touched, to compare before and after.
    pub async fn snapshot(&mut self, keys: &[Pubkey]) -> Vec<Option<Account>> {
        let mut out = vec![];
        for k in keys {
            out.push(self.account(k).await);
        }
        out
    }

    /// Keys of the ledger: the exchange, pool, every bank, vault, market and margin account.
    pub fn ledger_keys(&self) -> Vec<Pubkey> {
        let mut keys = vec![self.exchange, self.pool, self.lp_mint, self.quote.key, self.quote.vault];
        for b in &self.banks {
            keys.extend([b.key, b.vault]);
        }
        keys.extend(self.markets.iter().map(|m| m.key));
        keys.extend(self.margin_accounts.iter().copied());
        keys.push(correlations_address(&self.exchange));
        keys
    }
}

pub fn lp_position_address(exchange: &Pubkey, provider: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[seeds::LP_POSITION, exchange.as_ref(), provider.as_ref()], &fulcrum::ID).0
}

pub fn correlations_address(exchange: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[seeds::CORRELATIONS, exchange.as_ref()], &fulcrum::ID).0
}

pub fn bank_address(exchange: &Pubkey, index: u16) -> Pubkey {
    Pubkey::find_program_address(&[seeds::BANK, exchange.as_ref(), &index.to_le_bytes()], &fulcrum::ID).0
}

pub fn vault_address(exchange: &Pubkey, mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[seeds::VAULT, exchange.as_ref(), mint.as_ref()], &fulcrum::ID).0
}

pub fn market_address(exchange: &Pubkey, index: u16) -> Pubkey {
    Pubkey::find_program_address(&[seeds::MARKET, exchange.as_ref(), &index.to_le_bytes()], &fulcrum::ID).0
}

pub fn margin_account_address(exchange: &Pubkey, owner: &Pubkey, sub: u16) -> Pubkey {
    Pubkey::find_program_address(
        &[seeds::MARGIN_ACCOUNT, exchange.as_ref(), owner.as_ref(), &sub.to_le_bytes()],
        &fulcrum::ID,
    )
    .0
}

fn rand_u64() -> u64 {
    Pubkey::new_unique().to_bytes()[..8].iter().fold(0u64, |a, b| a.wrapping_mul(131).wrapping_add(*b as u64))
}

/// PriceUpdateV2 account data of `q` (a fresh write authority), discriminator included.
pub fn pull_oracle_data(
    feed_id: [u8; 32],
    q: Quote,
    publish_time: i64,
    slot: u64,
    verification_level: VerificationLevel,
) -> Vec<u8> {
    fulcrum_testkit::price_update_v2_data(
        feed_id,
        q.published(publish_time),
        slot,
        verification_level,
        Pubkey::new_unique(),
    )
}

/// Legacy Pyth price account data of `q` (3,312 bytes, as on mainnet), published at slot 1.
pub fn legacy_oracle_data(q: Quote, publish_time: i64, status: u32) -> Vec<u8> {
    fulcrum_testkit::legacy_price_data(q.published(publish_time), status, 1, 0)
}

/// The quote an oracle account currently holds (age measured later by the caller).
pub fn read_quote(o: &OracleHandle, data: &[u8]) -> Quote {
    match o.format {
        OracleFormat::Pull => {
            let u = PriceUpdateV2::try_deserialize(&mut &data[..]).unwrap();
            Quote { price: u.price_message.price, conf: u.price_message.conf, ema: u.price_message.ema_price, age: 0 }
        }
        OracleFormat::Legacy => {
            let a: LegacyPriceAccount = bytemuck::pod_read_unaligned(&data[..240]);
            Quote { price: a.agg.price, conf: a.agg.conf, ema: a.ema_price.val, age: 0 }
        }
    }
}

/// The Fulcrum error a failed transaction carries.
pub fn error_code(r: &TxResult) -> Option<u32> {
    match r {
        Err(BanksClientError::TransactionError(TransactionError::InstructionError(_, InstructionError::Custom(c))))
        | Err(BanksClientError::SimulationError {
            err: TransactionError::InstructionError(_, InstructionError::Custom(c)),
            ..
        }) => Some(*c),
        _ => None,
    }
}

/// Asserts `r` failed with the program error `e`.
#[track_caller]
pub fn assert_error(r: TxResult, e: FulcrumError) {
    let want: u32 = e.into();
    assert_eq!(error_code(&r), Some(want), "expected {e:?} ({want}), got {r:?}");
}

/// Asserts `r` failed with Anchor's framework error `e`.
#[track_caller]
pub fn assert_anchor_error(r: TxResult, e: anchor_lang::error::ErrorCode) {
    let want: u32 = e.into();
    assert_eq!(error_code(&r), Some(want), "expected {e:?} ({want}), got {r:?}");
}

// ---------------------------------------------------------------------- v0 transactions

use solana_address_lookup_table_interface::state::{AddressLookupTable, LookupTableMeta};
use solana_sdk::{
    message::{v0, AddressLookupTableAccount, VersionedMessage},
    transaction::VersionedTransaction,
};

impl Harness {
    /// Writes an address lookup table holding `addresses` (as `create` + `extend` would leave
    /// it) and moves one slot on so the runtime accepts it.
    pub async fn lookup_table(&mut self, addresses: &[Pubkey]) -> AddressLookupTableAccount {
        let key = Pubkey::new_unique();
        let table = AddressLookupTable {
            meta: LookupTableMeta { authority: Some(self.payer().pubkey()), ..LookupTableMeta::default() },
            addresses: std::borrow::Cow::Borrowed(addresses),
        };
        let data = table.serialize_for_tests().unwrap();
        let lamports = self.ctx.banks_client.get_rent().await.unwrap().minimum_balance(data.len());
        let mut acct =
            AccountSharedData::new(lamports, data.len(), &solana_address_lookup_table_interface::program::ID);
        acct.set_data_from_slice(&data);
        self.ctx.set_account(&key, &acct);
        let slot = self.clock().await.slot;
        self.ctx.warp_to_slot(slot + 2).unwrap();
        AddressLookupTableAccount { key, addresses: addresses.to_vec() }
    }

    /// Builds the v0 transaction (payer + `signers`) without sending it.
    pub async fn v0_transaction(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        table: &AddressLookupTableAccount,
    ) -> VersionedTransaction {
        self.nonce += 1;
        let mut all = vec![ComputeBudgetInstruction::set_compute_unit_limit(1_400_000 - self.nonce)];
        all.extend_from_slice(ixs);
        let payer = self.payer();
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await.unwrap();
        let msg = v0::Message::try_compile(&payer.pubkey(), &all, std::slice::from_ref(table), blockhash).unwrap();
        let mut keys: Vec<&Keypair> = vec![&payer];
        keys.extend_from_slice(signers);
        VersionedTransaction::try_new(VersionedMessage::V0(msg), &keys).unwrap()
    }
}

// ---------------------------------------------------------------------- off-chain view

impl Harness {
    /// Price of an oracle account as the program reads it (no freshness check).
    pub async fn oracle_price(
        &mut self,
        key: &Pubkey,
        kind: u8,
        feed_id: &[u8; 32],
        decimals: u8,
    ) -> fulcrum_risk::Price {
        let data = self.account_data(key).await;
        let reading = if kind == OracleKind::PythPull as u8 {
            fulcrum::oracle::read_price_update(&data, feed_id).unwrap()
        } else {
            fulcrum::oracle::read_legacy(&data).unwrap()
        };
        reading.to_price(decimals, 6).unwrap()
    }

    /// The price a liquidation sees for a holding on the oracle `cfg` names: the oracle's, or its
    /// conservative bound against the holder (`long`) when its confidence is wider than allowed.
    pub async fn liquidation_price(&mut self, cfg: &fulcrum::oracle::OracleConfig, long: bool) -> fulcrum_risk::Price {
        let data = self.account_data(&cfg.key).await;
        let reading = if cfg.kind == OracleKind::PythPull as u8 {
            fulcrum::oracle::read_price_update(&data, &cfg.feed_id).unwrap()
        } else {
            fulcrum::oracle::read_legacy(&data).unwrap()
        };
        reading.bounded_price(cfg, 6, long).unwrap()
    }

    /// The risk engine's inputs for a margin account, from its on-chain state and oracles (as a
    /// liquidation prices them: a wide oracle at its bound against the account): the
    /// collateral-backed part (with its model) and each isolated position.
    pub async fn risk_inputs(&mut self, key: &Pubkey) -> RiskInputs {
        let acct = self.margin(key).await;
        let exchange_key = self.exchange;
        let exchange: Exchange = self.load(&exchange_key).await;
        let corr_key = correlations_address(&exchange_key);
        let corr: Option<Correlations> = match self.account(&corr_key).await {
            Some(_) => Some(self.load(&corr_key).await),
            None => None,
        };
        let mut i = RiskInputs {
            account: acct,
            collateral: vec![],
            collateral_assets: vec![],
            perps: vec![],
            perp_assets: vec![],
            perp_markets: vec![],
            isolated: vec![],
            correlation: None,
            params: exchange.account_params(),
        };
        for s in acct.active_collateral() {
            let bank: CollateralBank = self.load(&self.bank(s.bank_index).key).await;
            let price = self.liquidation_price(&bank.oracle_config(), true).await;
            i.collateral.push(fulcrum_risk::Collateral {
                amount: s.amount,
                price,
                init_asset_weight: bank.init_asset_weight,
                maint_asset_weight: bank.maint_asset_weight,
            });
            let asset = corr.as_ref().and_then(|c| c.bank_asset(s.bank_index));
            i.collateral_assets.push(asset.unwrap_or(fulcrum_risk::STANDALONE));
        }
        let pool_balance = self.pool_state().await.balance;
        for s in acct.active_perps() {
            let market = self.market(s.market_index as usize).await;
            let price = self.liquidation_price(&market.oracle_config(), s.base > 0).await;
            let now = self.now().await;
            let mut e =
                fulcrum_risk::PerpExposure { position: s.position(), market: market.risk_at(price, now).unwrap() };
            // As the program: profit through the market's PnL cap on the pool's cash.
            e.market.pnl_haircut = market.pnl_haircut_at(price.oracle, pool_balance).unwrap();
            if s.is_isolated() {
                i.isolated.push((s.market_index, e, s.isolated_collateral));
            } else {
                i.perps.push(e);
                i.perp_markets.push(s.market_index);
                let asset = corr.as_ref().and_then(|c| c.market_asset(s.market_index));
                i.perp_assets.push(asset.unwrap_or(fulcrum_risk::STANDALONE));
            }
        }
        if acct.is_portfolio() {
            // As the program: a holding off the asset map is margined on its own (STANDALONE).
            let c = corr.expect("a portfolio account on an exchange without correlations");
            i.correlation = Some((c.correlation(), c.floor));
        }
        i
    }

    /// The risk engine's picture of a margin account's collateral-backed part (by its mode).
    pub async fn report(&mut self, key: &Pubkey) -> fulcrum_risk::AccountHealth {
        let i = self.risk_inputs(key).await;
        fulcrum_risk::model_account_health(&i.risk_account(), &i.model()).unwrap()
    }
}

// ---------------------------------------------------------------------- events

impl Harness {
    /// Sends like [`Harness::send`] and returns the transaction's log messages.
    pub async fn send_logged(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Vec<String>, BanksClientError> {
        self.nonce += 1;
        let mut all = vec![ComputeBudgetInstruction::set_compute_unit_limit(1_400_000 - self.nonce)];
        all.extend_from_slice(ixs);
        let payer = self.payer();
        let mut keys: Vec<&Keypair> = vec![&payer];
        keys.extend_from_slice(signers);
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await.expect("blockhash");
        let tx = Transaction::new_signed_with_payer(&all, Some(&payer.pubkey()), &keys, blockhash);
        let r = self.ctx.banks_client.process_transaction_with_metadata(tx).await?;
        r.result.map_err(BanksClientError::TransactionError)?;
        Ok(r.metadata.map(|m| m.log_messages).unwrap_or_default())
    }
}

/// Events of type `T` in `logs` ("Program data: …" on chain, "Program log: data: …" natively).
pub fn events<T: anchor_lang::Event + anchor_lang::AnchorDeserialize>(logs: &[String]) -> Vec<T> {
    use base64::Engine;
    logs.iter()
        .filter_map(|l| l.strip_prefix("Program data: ").or_else(|| l.strip_prefix("Program log: data: ")))
        .filter_map(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .filter(|d| d.starts_with(T::DISCRIMINATOR))
        .filter_map(|d| T::try_from_slice(&d[T::DISCRIMINATOR.len()..]).ok())
        .collect()
}

impl Harness {
    /// Publishes an engine price (quote native per base native × 1e12) exactly, for a 9-decimal
    /// market priced against 6-decimal quote: Pyth exponent −9 makes the two units equal.
    pub async fn set_engine_price(&mut self, market: usize, engine_price: u64) {
        let o = self.markets[market].oracle;
        let now = self.now().await;
        let slot = self.clock().await.slot;
        let q = Quote::at(engine_price as i64);
        let mut data = pull_oracle_data(o.feed_id, q, now, slot, o.verification);
        // PriceFeedMessage.exponent: after discriminator, writer, verification level (Full: one
        // byte), feed id, price and conf.
        data[89..93].copy_from_slice(&(-9i32).to_le_bytes());
        self.write_oracle(&o, data).await;
    }

    pub async fn update_market(&mut self, market: usize, params: MarketParams) {
        let ix = Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::UpdateMarket {
                admin: self.admin.pubkey(),
                exchange: self.exchange,
                market: self.markets[market].key,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::UpdateMarketParams { params }.data(),
        };
        let admin = self.admin.insecure_clone();
        self.send(&[ix], &[&admin]).await.expect("update_market_params");
    }
}

/// What the engine needs of one account, owned.
pub struct RiskInputs {
    pub account: MarginAccount,
    pub collateral: Vec<fulcrum_risk::Collateral>,
    pub collateral_assets: Vec<u8>,
    /// The collateral-backed positions, their assets and markets.
    pub perps: Vec<fulcrum_risk::PerpExposure>,
    pub perp_assets: Vec<u8>,
    pub perp_markets: Vec<u16>,
    /// Isolated positions: market, position, collateral.
    pub isolated: Vec<(u16, fulcrum_risk::PerpExposure, i64)>,
    /// Portfolio accounts: the exchange's correlations and floor.
    pub correlation: Option<(fulcrum_risk::Correlation, u32)>,
    pub params: fulcrum_risk::AccountParams,
}

impl RiskInputs {
    pub fn risk_account(&self) -> fulcrum_risk::RiskAccount<'_> {
        fulcrum_risk::RiskAccount {
            quote_balance: self.account.quote_balance,
            collateral: &self.collateral,
            perps: &self.perps,
            params: self.params,
        }
    }

    pub fn model(&self) -> fulcrum_risk::MarginModel<'_> {
        match &self.correlation {
            None => fulcrum_risk::MarginModel::Cross,
            Some((c, floor)) => fulcrum_risk::MarginModel::Portfolio(fulcrum_risk::PortfolioModel {
                collateral_assets: &self.collateral_assets,
                perp_assets: &self.perp_assets,
                correlation: c,
                floor: *floor,
            }),
        }
    }
}

impl Harness {
    /// Whether `ixs` would succeed now (simulated: nothing changes).
    pub async fn simulate(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> bool {
        let payer = self.payer();
        let mut keys: Vec<&Keypair> = vec![&payer];
        keys.extend_from_slice(signers);
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await.expect("blockhash");
        let tx = Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &keys, blockhash);
        let r = self.ctx.banks_client.simulate_transaction(tx).await.expect("simulate");
        matches!(r.result, Some(Ok(())))
    }
}

impl Harness {
    pub fn crank_ix(&self, market: usize) -> Instruction {
        let m = self.markets[market];
        Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::CrankMarket {
                exchange: self.exchange,
                market: m.key,
                oracle: m.oracle.key,
                pool: self.pool,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::CrankMarket {}.data(),
        }
    }

    /// `crank_market` on market `i`.
    pub async fn crank(&mut self, market: usize) -> TxResult {
        let ix = self.crank_ix(market);
        self.send(&[ix], &[]).await
    }
}

// ---------------------------------------------------------------- margin modes

impl Harness {
    /// `set_correlations` signed by the admin.
    pub fn set_correlations_ix(&self, params: fulcrum::instructions::CorrelationParams) -> Instruction {
        Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::SetCorrelations {
                admin: self.admin.pubkey(),
                exchange: self.exchange,
                correlations: correlations_address(&self.exchange),
                system_program: anchor_lang::system_program::ID,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::SetCorrelations { params }.data(),
        }
    }

    pub async fn set_correlations(&mut self, params: fulcrum::instructions::CorrelationParams) -> TxResult {
        let ix = self.set_correlations_ix(params);
        let admin = self.admin.insecure_clone();
        self.send(&[ix], &[&admin]).await
    }

    /// Moves `amount` quote into (> 0) or out of (< 0) the trader's isolated position in `market`.
    pub async fn transfer_isolated_ix(&mut self, t: &Trader, market: u16, amount: i64) -> Instruction {
        let mut after = self.margin(&t.account).await;
        if let Some(i) = after.perp_slot(market) {
            if !after.perps[i].is_active() {
                after.perps[i].isolated = 1;
            }
            after.perps[i].isolated_collateral += amount;
            after.compact_perp(i);
        }
        let mut metas = fulcrum::accounts::TransferIsolatedCollateral {
            exchange: self.exchange,
            margin_account: t.account,
            trader: t.key(),
            market: self.markets[market as usize].key,
        }
        .to_account_metas(None);
        metas.extend(self.health_metas(&after));
        Instruction {
            program_id: fulcrum::ID,
            accounts: metas,
            data: fulcrum::instruction::TransferIsolatedCollateral { amount }.data(),
        }
    }

    pub async fn transfer_isolated(&mut self, t: &Trader, market: u16, amount: i64) -> TxResult {
        let ix = self.transfer_isolated_ix(t, market, amount).await;
        self.send(&[ix], &[&t.kp]).await
    }

    pub async fn set_margin_mode_ix(&mut self, t: &Trader, mode: fulcrum_risk::MarginMode) -> Instruction {
        let mut acct = self.margin(&t.account).await;
        acct.margin_mode = fulcrum_risk::MarginMode::Cross as u8; // correlations are named, not appended
        let mut metas = fulcrum::accounts::SetMarginMode {
            exchange: self.exchange,
            margin_account: t.account,
            owner: t.key(),
            correlations: correlations_address(&self.exchange),
        }
        .to_account_metas(None);
        metas.extend(self.health_metas(&acct));
        Instruction {
            program_id: fulcrum::ID,
            accounts: metas,
            data: fulcrum::instruction::SetMarginMode { mode: mode as u8 }.data(),
        }
    }

    pub async fn set_margin_mode(&mut self, t: &Trader, mode: fulcrum_risk::MarginMode) -> TxResult {
        let ix = self.set_margin_mode_ix(t, mode).await;
        self.send(&[ix], &[&t.kp]).await
    }
}
