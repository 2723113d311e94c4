//! The chain: `solana-program-test`'s in-process bank with Fulcrum (native), SPL Token and the
//! bookkeeping the JSON-RPC API needs and the bank does not offer.
//!
//! `BanksClient` cannot scan accounts and `ProgramTestContext` keeps its bank private, so the
//! chain keeps an index of every address it has set up or seen in a transaction (all account keys
//! of every transaction, lookup-table addresses included) with a copy of each account, refreshed
//! after every transaction and every direct write. `getProgramAccounts` and the account/program
//! subscriptions are served from it. Each transaction's outcome (logs, return data, status, slot)
//! is kept for `getTransaction` / `getSignatureStatuses`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use solana_program_test::{BanksClient, ProgramTestContext};
use solana_sdk::{
    account::{Account, AccountSharedData},
    clock::Clock,
    hash::Hash,
    instruction::Instruction,
    message::VersionedMessage,
    pubkey::Pubkey,
    signature::{Keypair, Signature, Signer},
    transaction::{Transaction, TransactionError, VersionedTransaction},
};
use solana_transaction_context::TransactionReturnData;
use tokio::sync::{broadcast, Mutex};

/// Lamports per signature of the bank (`FeeRateGovernor` of program-test).
pub const LAMPORTS_PER_SIGNATURE: u64 = 5_000;
/// How long the bank accepts a blockhash. program-test registers a new blockhash every 6.4 ms
/// (64 ticks of 100 µs) and a transaction may use one of the last 150, so a blockhash lives about
/// one second here, not the ~60 s of a cluster: `lastValidBlockHeight` says so, and clients
/// re-sign with a fresh blockhash when they get `BlockhashNotFound` (the SDK does).
pub const BLOCKHASH_LIFETIME_MS: u64 = 900;
/// Size of an address lookup table's header before its addresses.
const LOOKUP_TABLE_META_SIZE: usize = 56;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Longest wait for one answer of the bank while the chain lock is held. The bank answers in
/// milliseconds; a lost answer must not keep the lock (and with it the slot timer) forever.
const BANK_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs a bank call made under the chain lock with [`BANK_TIMEOUT`].
async fn bank<T, E: std::error::Error + Send + Sync + 'static>(
    what: &str,
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, BoxError> {
    match tokio::time::timeout(BANK_TIMEOUT, f).await {
        Ok(r) => r.map_err(|e| Box::new(e) as BoxError),
        Err(_) => Err(format!("the bank did not answer {what} within {BANK_TIMEOUT:?}").into()),
    }
}

/// Runs synchronous work on the bank (warping, writing accounts and sysvars: milliseconds of
/// CPU under the bank's own locks) without stalling the tasks queued on this runtime worker:
/// `block_in_place` hands them to another worker first.
fn sync_bank<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// What happened on the chain, for the WebSocket subscriptions.
#[derive(Clone, Debug)]
pub enum Notice {
    Slot { slot: u64 },
    Account { key: Pubkey, account: Option<Account>, slot: u64 },
    Signature { signature: Signature, err: Option<TransactionError>, slot: u64 },
}

/// A processed transaction as `getTransaction` reports it.
#[derive(Clone, Debug)]
pub struct TxRecord {
    pub slot: u64,
    pub block_time: i64,
    pub tx: VersionedTransaction,
    pub err: Option<TransactionError>,
    pub logs: Vec<String>,
    pub units: u64,
    pub return_data: Option<TransactionReturnData>,
    pub fee: u64,
    pub pre_balances: Vec<u64>,
    pub post_balances: Vec<u64>,
    pub loaded_writable: Vec<Pubkey>,
    pub loaded_readonly: Vec<Pubkey>,
}

/// Outcome of a simulation.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub err: Option<TransactionError>,
    pub logs: Vec<String>,
    pub units: u64,
    pub return_data: Option<TransactionReturnData>,
}

struct Inner {
    ctx: ProgramTestContext,
    cache: HashMap<Pubkey, Account>,
    txs: HashMap<Signature, TxRecord>,
    nonce: u32,
    unix_time: i64,
    tx_count: u64,
}

/// The local chain. Everything that writes or executes (transactions, simulations, warps, account
/// writes) is serialised by one lock; account reads go to the bank directly.
pub struct Chain {
    inner: Mutex<Inner>,
    banks: BanksClient,
    payer: Keypair,
    events: broadcast::Sender<Notice>,
    slot: AtomicU64,
    genesis_hash: Hash,
    epoch_schedule: solana_sdk::epoch_schedule::EpochSchedule,
}

/// Rewrites the native event log line to the on-chain one: the program logs its events natively
/// as `Program log: data: <base64>`; on chain (`sol_log_data`) they read `Program data: <base64>`,
/// which is what Anchor's `EventParser` looks for.
pub fn rewrite_logs(logs: Vec<String>) -> Vec<String> {
    logs.into_iter()
        .map(|l| match l.strip_prefix("Program log: data: ") {
            Some(rest) => format!("Program data: {rest}"),
            None => l,
        })
        .collect()
}

fn wall_clock() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn same(a: Option<&Account>, b: Option<&Account>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.lamports == b.lamports && a.owner == b.owner && a.data == b.data,
        _ => false,
    }
}

impl Chain {
    /// Starts the bank with Fulcrum and SPL Token, clock at wall time. Fulcrum runs natively, or
    /// with `FULCRUM_SBF=1` from `target/deploy/fulcrum.so` (`scripts/build-sbf.sh`; or the one in
    /// `SBF_OUT_DIR`) in the real Solana VM.
    pub async fn start() -> Result<Arc<Chain>, BoxError> {
        let ctx = fulcrum_testkit::program_test().start_with_context().await;
        let banks = ctx.banks_client.clone();
        let payer = ctx.payer.insecure_clone();
        let genesis_hash = ctx.genesis_config().hash();
        let epoch_schedule = ctx.genesis_config().epoch_schedule.clone();
        let clock: Clock = banks.get_sysvar().await?;
        let (events, _) = broadcast::channel(4096);
        let chain = Arc::new(Chain {
            inner: Mutex::new(Inner {
                ctx,
                cache: HashMap::new(),
                txs: HashMap::new(),
                nonce: 0,
                unix_time: wall_clock(),
                tx_count: 0,
            }),
            banks,
            payer,
            events,
            slot: AtomicU64::new(clock.slot),
            genesis_hash,
            epoch_schedule,
        });
        chain.set_clock().await?;
        let payer_key = chain.payer.pubkey();
        chain.track(&[payer_key]).await?;
        Ok(chain)
    }

    pub fn banks(&self) -> BanksClient {
        self.banks.clone()
    }

    pub fn payer(&self) -> &Keypair {
        &self.payer
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.events.subscribe()
    }

    pub fn slot(&self) -> u64 {
        self.slot.load(Ordering::SeqCst)
    }

    pub fn genesis_hash(&self) -> Hash {
        self.genesis_hash
    }

    pub fn epoch_schedule(&self) -> &solana_sdk::epoch_schedule::EpochSchedule {
        &self.epoch_schedule
    }

    pub async fn tx_count(&self) -> u64 {
        self.inner.lock().await.tx_count
    }

    fn notify(&self, n: Notice) {
        // No receivers is fine.
        let _ = self.events.send(n);
    }

    async fn set_clock(&self) -> Result<(), BoxError> {
        let mut inner = self.inner.lock().await;
        let mut clock: Clock = bank("getSysvar", self.banks.get_sysvar()).await?;
        let now = wall_clock().max(inner.unix_time);
        clock.unix_timestamp = now;
        inner.unix_time = now;
        sync_bank(|| inner.ctx.set_sysvar(&clock));
        Ok(())
    }

    /// Moves the bank one slot on, sets the clock to wall time and tells the subscribers.
    pub async fn advance_slot(&self) -> Result<u64, BoxError> {
        let slot = {
            let mut inner = self.inner.lock().await;
            let next = self.slot() + 1;
            sync_bank(|| inner.ctx.warp_to_slot(next)).map_err(|e| format!("warp_to_slot: {e:?}"))?;
            let mut clock: Clock = bank("getSysvar", self.banks.get_sysvar()).await?;
            let now = wall_clock().max(inner.unix_time);
            clock.unix_timestamp = now;
            inner.unix_time = now;
            sync_bank(|| inner.ctx.set_sysvar(&clock));
            self.slot.store(clock.slot, Ordering::SeqCst);
            clock.slot
        };
        self.notify(Notice::Slot { slot });
        Ok(slot)
    }

    /// Adds `keys` to the index (reading them from the bank) and notifies changes.
    pub async fn track(&self, keys: &[Pubkey]) -> Result<(), BoxError> {
        let mut inner = self.inner.lock().await;
        self.refresh(&mut inner, keys).await
    }

    async fn refresh(&self, inner: &mut Inner, keys: &[Pubkey]) -> Result<(), BoxError> {
        let slot = self.slot();
        for key in keys {
            let now = bank("getAccount", self.banks.get_account(*key)).await?;
            let prev = inner.cache.get(key);
            if !same(prev, now.as_ref()) {
                match &now {
                    Some(a) => {
                        inner.cache.insert(*key, a.clone());
                    }
                    None => {
                        inner.cache.remove(key);
                    }
                }
                self.notify(Notice::Account { key: *key, account: now, slot });
            }
        }
        Ok(())
    }

    /// Overwrites an account (oracles, lookup tables) and notifies.
    pub async fn set_account(&self, key: &Pubkey, account: &AccountSharedData) -> Result<(), BoxError> {
        let mut inner = self.inner.lock().await;
        sync_bank(|| inner.ctx.set_account(key, account));
        self.refresh(&mut inner, &[*key]).await
    }

    /// Every indexed account owned by `owner`.
    pub async fn accounts_owned_by(&self, owner: &Pubkey) -> Vec<(Pubkey, Account)> {
        let inner = self.inner.lock().await;
        let sorted: BTreeMap<Pubkey, &Account> =
            inner.cache.iter().filter(|(_, a)| a.owner == *owner).map(|(k, a)| (*k, a)).collect();
        sorted.into_iter().map(|(k, a)| (k, a.clone())).collect()
    }

    pub async fn transaction(&self, sig: &Signature) -> Option<TxRecord> {
        self.inner.lock().await.txs.get(sig).cloned()
    }

    pub async fn unix_time_and_slot(&self) -> (i64, u64) {
        let inner = self.inner.lock().await;
        (inner.unix_time, self.slot())
    }

    /// Static keys then lookup-table addresses (writable, readonly) of `tx`.
    async fn account_keys(&self, tx: &VersionedTransaction) -> (Vec<Pubkey>, Vec<Pubkey>, Vec<Pubkey>) {
        let keys = tx.message.static_account_keys().to_vec();
        let (mut w, mut r) = (vec![], vec![]);
        if let Some(lookups) = tx.message.address_table_lookups() {
            for l in lookups {
                let Ok(Some(table)) = self.banks.get_account(l.account_key).await else { continue };
                let addrs: Vec<Pubkey> = table
                    .data
                    .get(LOOKUP_TABLE_META_SIZE..)
                    .unwrap_or(&[])
                    .chunks_exact(32)
                    .filter_map(|c| <[u8; 32]>::try_from(c).ok().map(Pubkey::new_from_array))
                    .collect();
                w.extend(l.writable_indexes.iter().filter_map(|i| addrs.get(*i as usize).copied()));
                r.extend(l.readonly_indexes.iter().filter_map(|i| addrs.get(*i as usize).copied()));
            }
        }
        (keys, w, r)
    }

    /// Simulates `tx` on the working bank (no signature check).
    ///
    /// Under the chain lock, like everything that executes programs: executing takes the program
    /// cache's lock and then the bank forks' (for the fork graph), while `warp_to_slot` holds the
    /// bank forks' and then takes the program cache's. A simulation racing the slot timer
    /// deadlocked the whole bank that way (seen as `getHealth` hanging once in a few runs).
    pub async fn simulate(&self, tx: VersionedTransaction) -> Result<Simulation, BoxError> {
        let _serialised = self.inner.lock().await;
        let r = bank("simulateTransaction", self.banks.simulate_transaction(tx)).await?;
        let err = match r.result {
            Some(Ok(())) => None,
            Some(Err(e)) => Some(e),
            None => Some(TransactionError::BlockhashNotFound),
        };
        let (logs, units, return_data) = match r.simulation_details {
            Some(d) => (rewrite_logs(d.logs), d.units_consumed, d.return_data),
            None => (vec![], 0, None),
        };
        Ok(Simulation { err, logs, units, return_data })
    }

    /// Processes `tx`. `Err(e)` when it was not committed at all (bad blockhash, fee payer
    /// without funds, already processed); otherwise its record (`err` set if it failed).
    pub async fn process(&self, tx: VersionedTransaction) -> Result<Result<TxRecord, TransactionError>, BoxError> {
        let sig = tx.signatures.first().copied().unwrap_or_default();
        let (keys, lw, lr) = self.account_keys(&tx).await;
        let all: Vec<Pubkey> = keys.iter().chain(&lw).chain(&lr).copied().collect();
        let mut inner = self.inner.lock().await;
        // Pre-balances: make sure every key is indexed first.
        let missing: Vec<Pubkey> = all.iter().filter(|k| !inner.cache.contains_key(k)).copied().collect();
        self.refresh(&mut inner, &missing).await?;
        let pre: Vec<u64> = all.iter().map(|k| inner.cache.get(k).map(|a| a.lamports).unwrap_or(0)).collect();
        let r = bank("processTransaction", self.banks.process_transaction_with_metadata(tx.clone())).await?;
        let Some(meta) = r.metadata else {
            return Ok(Err(r.result.err().unwrap_or(TransactionError::BlockhashNotFound)));
        };
        self.refresh(&mut inner, &all).await?;
        let post: Vec<u64> = all.iter().map(|k| inner.cache.get(k).map(|a| a.lamports).unwrap_or(0)).collect();
        let slot = self.slot();
        let rec = TxRecord {
            slot,
            block_time: inner.unix_time,
            fee: LAMPORTS_PER_SIGNATURE * u64::from(tx.message.header().num_required_signatures),
            tx,
            err: r.result.err(),
            logs: rewrite_logs(meta.log_messages),
            units: meta.compute_units_consumed,
            return_data: meta.return_data,
            pre_balances: pre,
            post_balances: post,
            loaded_writable: lw,
            loaded_readonly: lr,
        };
        inner.txs.insert(sig, rec.clone());
        inner.tx_count += 1;
        drop(inner);
        self.notify(Notice::Signature { signature: sig, err: rec.err.clone(), slot });
        Ok(Ok(rec))
    }

    /// A fresh blockhash of the bank.
    pub async fn latest_blockhash(&self) -> Result<Hash, BoxError> {
        Ok(self.banks.get_latest_blockhash().await?)
    }

    /// Builds, signs (payer first) and processes `ixs`; fails on any error. Each transaction gets a
    /// distinct compute limit so identical instructions never collide as one signature.
    pub async fn send_ixs(&self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<Signature, BoxError> {
        let nonce = {
            let mut inner = self.inner.lock().await;
            inner.nonce = inner.nonce.wrapping_add(1) % 100_000;
            inner.nonce
        };
        let mut all =
            vec![solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_limit(1_400_000 - nonce)];
        all.extend_from_slice(ixs);
        let mut keys: Vec<&Keypair> = vec![&self.payer];
        keys.extend_from_slice(signers);
        let blockhash = self.latest_blockhash().await?;
        let tx = Transaction::new_signed_with_payer(&all, Some(&self.payer.pubkey()), &keys, blockhash);
        let sig = tx.signatures[0];
        match self.process(VersionedTransaction::from(tx)).await? {
            Ok(rec) => match rec.err {
                None => Ok(sig),
                Some(e) => Err(format!("transaction {sig} failed: {e} (logs: {:?})", rec.logs).into()),
            },
            Err(e) => Err(format!("transaction {sig} not processed: {e}").into()),
        }
    }

    /// Sends `lamports` from the faucet (the genesis mint) to `to`.
    pub async fn airdrop(&self, to: &Pubkey, lamports: u64) -> Result<Signature, BoxError> {
        let ix = solana_system_interface::instruction::transfer(&self.payer.pubkey(), to, lamports);
        self.send_ixs(&[ix], &[]).await
    }

    /// The message of `tx` has a blockhash the bank still accepts.
    pub async fn blockhash_valid(&self, blockhash: &Hash) -> Result<bool, BoxError> {
        let msg = solana_sdk::message::Message::new_with_blockhash(&[], Some(&self.payer.pubkey()), blockhash);
        Ok(self.banks.get_fee_for_message(msg).await?.is_some())
    }

    /// Fee of a message, `None` when its blockhash is not valid.
    pub async fn fee_for_message(&self, msg: &VersionedMessage) -> Result<Option<u64>, BoxError> {
        if !self.blockhash_valid(msg.recent_blockhash()).await? {
            return Ok(None);
        }
        Ok(Some(LAMPORTS_PER_SIGNATURE * u64::from(msg.header().num_required_signatures)))
    }
}
