//! Set-up: the default parameters, a fresh exchange, the clock, mints, oracles, listing
//! banks and markets, traders and funding, and the PDA addresses.

use super::*;

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

/// A test's exchange as data, the harness defaults filled in:
/// `Setup { pool: 100_000 * USDC, ..Setup::default() }.build().await` is a fresh exchange with
/// one SOL-PERP-like market at $100 and a seeded pool. [`Setup::build`] lists the banks, then the
/// markets, then seeds the pool and funds the insurance, in that order.
pub struct Setup {
    pub exchange: ExchangeParams,
    /// Collateral banks, listed first (indices 1, 2, …).
    pub banks: Vec<BankSpec>,
    /// Perp markets, listed after the banks (indices 0, 1, …).
    pub markets: Vec<MarketSpec>,
    /// USDC a fresh liquidity provider puts in the pool ([`Harness::seed_pool`]); none at 0.
    pub pool: u64,
    /// USDC put in the insurance fund ([`Harness::fund_insurance`]); none at 0.
    pub insurance: u64,
}

impl Default for Setup {
    /// The default exchange with one default market, no banks, an empty pool and fund.
    fn default() -> Self {
        Self {
            exchange: default_exchange_params(),
            banks: vec![],
            markets: vec![MarketSpec::default()],
            pool: 0,
            insurance: 0,
        }
    }
}

impl Setup {
    /// `n` default markets and a pool seeded with `pool` USDC.
    pub fn markets(n: usize, pool: u64) -> Self {
        Self { markets: vec![MarketSpec::default(); n], pool, ..Self::default() }
    }

    /// One market with `params` and a pool seeded with `pool` USDC.
    pub fn market(params: MarketParams, pool: u64) -> Self {
        Self { markets: vec![MarketSpec::with(params)], pool, ..Self::default() }
    }

    pub async fn build(self) -> Harness {
        let mut h = Harness::with_params(self.exchange).await;
        for b in self.banks {
            h.add_bank(b.decimals, b.format, b.quote, b.params).await;
        }
        for m in self.markets {
            h.add_market(m.format, m.quote, m.params).await;
        }
        if self.pool > 0 {
            h.seed_pool(self.pool).await;
        }
        if self.insurance > 0 {
            h.fund_insurance(self.insurance).await;
        }
        h
    }
}

/// A perp market to list: 9 base decimals, priced by a fresh oracle.
#[derive(Clone, Copy, Debug)]
pub struct MarketSpec {
    pub format: OracleFormat,
    pub quote: Quote,
    pub params: MarketParams,
}

impl Default for MarketSpec {
    /// A Pyth pull oracle at $100 and [`default_market_params`].
    fn default() -> Self {
        Self { format: OracleFormat::Pull, quote: Quote::at(px(100)), params: default_market_params() }
    }
}

impl MarketSpec {
    /// The default market with `params`.
    pub fn with(params: MarketParams) -> Self {
        Self { params, ..Self::default() }
    }
}

/// A collateral bank to list, priced by a fresh oracle.
#[derive(Clone, Copy, Debug)]
pub struct BankSpec {
    pub decimals: u8,
    pub format: OracleFormat,
    pub quote: Quote,
    pub params: BankParams,
}

impl Default for BankSpec {
    /// A 9-decimal asset on a Pyth pull oracle at $100 with [`default_bank_params`].
    fn default() -> Self {
        Self { decimals: 9, format: OracleFormat::Pull, quote: Quote::at(px(100)), params: default_bank_params() }
    }
}

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

    pub fn payer(&self) -> Keypair {
        self.ctx.payer.insecure_clone()
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
        let listing =
            Listing { admin: self.admin.pubkey(), exchange: self.exchange, index: 1 + self.banks.len() as u16 };
        listing.bank_ix(mint, spl_token::ID, oracle, params)
    }

    pub async fn add_bank_with_oracle(&mut self, decimals: u8, oracle: OracleHandle, params: BankParams) -> BankHandle {
        let mint = self.create_mint(decimals).await;
        self.list_bank(mint, spl_token::ID, decimals, oracle, params).await
    }

    /// Lists the existing `mint` (of `token_program`, `decimals`) as the exchange's next bank,
    /// priced by `oracle`.
    pub async fn list_bank(
        &mut self,
        mint: Pubkey,
        token_program: Pubkey,
        decimals: u8,
        oracle: OracleHandle,
        params: BankParams,
    ) -> BankHandle {
        let index = 1 + self.banks.len() as u16;
        let listing = Listing { admin: self.admin.pubkey(), exchange: self.exchange, index };
        let ix = listing.bank_ix(mint, token_program, &oracle, params);
        let admin = self.admin.insecure_clone();
        self.send(&[ix], &[&admin]).await.expect("add_collateral_bank");
        let vault = vault_address(&self.exchange, &mint);
        let h =
            BankHandle { index, key: bank_address(&self.exchange, index), mint, vault, oracle: Some(oracle), decimals };
        self.banks.push(h);
        h
    }

    pub async fn add_market(&mut self, format: OracleFormat, q: Quote, params: MarketParams) -> MarketHandle {
        let oracle = self.new_oracle(format, q).await;
        self.add_market_with_oracle(9, oracle, params).await
    }

    /// `add_perp_market` of a `base_decimals` market priced by `oracle` as the exchange's next
    /// market (named `PERP-<index>`).
    pub fn add_market_ix(&self, oracle: &OracleHandle, base_decimals: u8, params: MarketParams) -> Instruction {
        let index = self.markets.len() as u16;
        let mut name = [0u8; 16];
        let label = format!("PERP-{index}");
        name[..label.len()].copy_from_slice(label.as_bytes());
        let listing = Listing { admin: self.admin.pubkey(), exchange: self.exchange, index };
        listing.market_ix(name, base_decimals, oracle, params)
    }

    pub async fn add_market_with_oracle(
        &mut self,
        base_decimals: u8,
        oracle: OracleHandle,
        params: MarketParams,
    ) -> MarketHandle {
        let index = self.markets.len() as u16;
        let market = market_address(&self.exchange, index);
        let ix = self.add_market_ix(&oracle, base_decimals, params);
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

    /// A [`Harness::trader`] with all of its `quote` USDC deposited.
    pub async fn trader_with_deposit(&mut self, quote: u64) -> Trader {
        let t = self.trader(quote).await;
        self.deposit(&t, 0, quote).await.expect("deposit");
        t
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

    /// Mints `amount` of bank `bank_index`'s mint to the trader and deposits it.
    pub async fn fund(&mut self, t: &Trader, bank_index: u16, amount: u64) {
        let bank = self.bank(bank_index);
        self.mint_to(&bank.mint, &t.token(&bank.mint), amount).await;
        self.deposit(t, bank_index, amount).await.expect("deposit");
    }

    /// Mints `amount` of quote to a fresh depositor and puts it in the insurance fund.
    pub async fn fund_insurance(&mut self, amount: u64) {
        let d = self.trader(amount).await;
        let ix = self.insurance_deposit_ix(&d, amount);
        self.send(&[ix], &[&d.kp]).await.expect("insurance_deposit");
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

/// Who lists what where: `admin` (signing or not) adds bank or market `index` to `exchange`.
pub struct Listing {
    pub admin: Pubkey,
    pub exchange: Pubkey,
    pub index: u16,
}

impl Listing {
    /// `add_collateral_bank` of `mint` (owned by `token_program`) priced by `oracle`.
    pub fn bank_ix(
        &self,
        mint: Pubkey,
        token_program: Pubkey,
        oracle: &OracleHandle,
        params: BankParams,
    ) -> Instruction {
        Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::AddCollateralBank {
                admin: self.admin,
                exchange: self.exchange,
                mint,
                oracle: oracle.key,
                bank: bank_address(&self.exchange, self.index),
                vault: vault_address(&self.exchange, &mint),
                token_program,
                system_program: anchor_lang::system_program::ID,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::AddCollateralBank {
                bank_index: self.index,
                oracle_kind: oracle.format.kind(),
                feed_id: oracle.feed_id,
                params,
            }
            .data(),
        }
    }

    /// `add_perp_market` (market `index`) of a `base_decimals` market priced by `oracle`.
    pub fn market_ix(
        &self,
        name: [u8; 16],
        base_decimals: u8,
        oracle: &OracleHandle,
        params: MarketParams,
    ) -> Instruction {
        Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::AddPerpMarket {
                admin: self.admin,
                exchange: self.exchange,
                oracle: oracle.key,
                market: market_address(&self.exchange, self.index),
                system_program: anchor_lang::system_program::ID,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::AddPerpMarket {
                market_index: self.index,
                name,
                base_decimals,
                oracle_kind: oracle.format.kind(),
                feed_id: oracle.feed_id,
                params,
            }
            .data(),
        }
    }
}

/// `set_delegate`: `owner` (the signer) lets `delegate` trade `margin_account`.
pub fn set_delegate_ix(owner: Pubkey, margin_account: Pubkey, delegate: Pubkey) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::SetDelegate { owner, margin_account }.to_account_metas(None),
        data: fulcrum::instruction::SetDelegate { delegate }.data(),
    }
}
