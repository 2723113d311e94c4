//! Pyth price accounts on the local chain and the price feeder that moves them.
//!
//! Every oracle is a PriceUpdateV2 (owner: the Pyth Solana Receiver) or a legacy Pyth price
//! account (owner: the Pyth oracle program), written with `set_account`. The feeder republishes
//! each one every second (so none goes stale against the markets' `max_oracle_age`), and in
//! `synthetic` mode moves it by a geometric Brownian motion with jumps from a fixed seed.
//! `fulcrum_setPrice` (local-only RPC method) sets a price at once.

use std::collections::BTreeMap;
use std::sync::Arc;

use fulcrum_testkit::{legacy_price_data, price_account, price_update_v2_data, PythPrice};
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use solana_sdk::pubkey::Pubkey;
use tokio::sync::Mutex;

use crate::chain::{BoxError, Chain};

pub use fulcrum_testkit::{OracleFormat, EXPO};

/// One price account the feeder owns.
#[derive(Clone, Debug)]
pub struct Feed {
    pub symbol: String,
    pub key: Pubkey,
    pub format: OracleFormat,
    pub feed_id: [u8; 32],
    /// Current price, dollars.
    pub price: f64,
    /// Confidence as a share of the price.
    pub conf_ratio: f64,
    /// GBM volatility per √second (synthetic mode).
    pub sigma: f64,
}

impl Feed {
    pub fn owner(&self) -> Pubkey {
        self.format.owner()
    }

    /// Price in Pyth units at [`EXPO`].
    pub fn pyth_price(&self) -> i64 {
        (self.price * 1e8).round().max(1.0) as i64
    }
}

/// Deterministic xorshift64* generator.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// How the feeder moves prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceMode {
    /// Republish the current prices; only `fulcrum_setPrice` moves them.
    Static,
    /// GBM with jumps from a fixed seed, one step per second.
    Synthetic,
}

/// All feeds, by symbol.
pub struct PriceBook {
    feeds: Mutex<BTreeMap<String, Feed>>,
    rng: Mutex<XorShift>,
    /// Serialises feeder steps and `set_price`, so a step never republishes a stale price.
    gate: Mutex<()>,
}

impl PriceBook {
    pub fn new(seed: u64) -> Arc<Self> {
        Arc::new(Self {
            feeds: Mutex::new(BTreeMap::new()),
            rng: Mutex::new(XorShift::new(seed)),
            gate: Mutex::new(()),
        })
    }

    pub async fn feeds(&self) -> Vec<Feed> {
        self.feeds.lock().await.values().cloned().collect()
    }

    /// Writes `feed` at its price now and keeps it.
    pub async fn publish(&self, chain: &Chain, feed: Feed) -> Result<(), BoxError> {
        let (now, slot) = chain.unix_time_and_slot().await;
        let price = feed.pyth_price();
        let conf = ((price as f64) * feed.conf_ratio).round() as u64;
        let p = PythPrice { price, conf, ema_price: price, publish_time: now };
        let data = match feed.format {
            OracleFormat::Pull => {
                price_update_v2_data(feed.feed_id, p, slot, VerificationLevel::Full, Pubkey::default())
            }
            OracleFormat::Legacy => legacy_price_data(p, fulcrum::oracle::LEGACY_STATUS_TRADING, slot, slot),
        };
        chain.set_account(&feed.key, &price_account(&feed.owner(), &data)).await?;
        self.feeds.lock().await.insert(feed.symbol.clone(), feed);
        Ok(())
    }

    /// Sets the price of `symbol` (or of the feed at address `symbol`) and publishes it.
    pub async fn set_price(&self, chain: &Chain, symbol: &str, price: f64) -> Result<Feed, BoxError> {
        if !(price.is_finite() && price > 0.0) {
            return Err("price must be a positive number".into());
        }
        let _gate = self.gate.lock().await;
        let feed = {
            let feeds = self.feeds.lock().await;
            let found = feeds
                .get(&symbol.to_uppercase())
                .or_else(|| feeds.values().find(|f| f.key.to_string() == symbol))
                .cloned();
            found.ok_or_else(|| format!("unknown price feed '{symbol}'"))?
        };
        let feed = Feed { price, ..feed };
        self.publish(chain, feed.clone()).await?;
        Ok(feed)
    }

    /// One feeder step: moves the prices (synthetic) and republishes all.
    pub async fn step(&self, chain: &Chain, mode: PriceMode, dt: f64) -> Result<(), BoxError> {
        let _gate = self.gate.lock().await;
        let feeds = self.feeds().await;
        for mut f in feeds {
            if mode == PriceMode::Synthetic {
                let mut rng = self.rng.lock().await;
                let z = rng.normal();
                let mut ret = -0.5 * f.sigma * f.sigma * dt + f.sigma * dt.sqrt() * z;
                // A jump about every 5 minutes per feed: −8 % … +6 %.
                if rng.uniform() < dt / 300.0 {
                    ret += -0.08 + 0.14 * rng.uniform();
                }
                f.price *= ret.exp();
            }
            self.publish(chain, f).await?;
        }
        Ok(())
    }
}
