//! Reads: accounts, token balances, oracle quotes and prices, and the risk engine's view of
//! a margin account.

use super::*;

impl Harness {
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
            let price = bank.rate_priced(price).unwrap(); // s6-lst: rate-priced banks as the program
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
            let risk = acct.reputation.tiered(market.risk_at(price, now).unwrap()).unwrap(); // s6-rep: as the program
            let mut e = fulcrum_risk::PerpExposure { position: s.position(), market: risk };
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
