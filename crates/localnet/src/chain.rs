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
/// Slots a blockhash handed out by the chain stays valid, as on a validator (`MAX_PROCESSING_AGE`):
/// `lastValidBlockHeight` is the slot it was handed out at plus this.
///
/// The bank itself rotates blockhashes much faster: program-test registers a new one every
/// 6.4 ms (64 ticks of 100 µs, hard-coded) and accepts one of the last 150, about one second.
/// So the chain remembers every blockhash it hands out (`getLatestBlockhash`, a simulation's
/// replacement blockhash) with its slot, and while that blockhash is within this many slots a
/// transaction carrying it runs with the bank's current blockhash in its message instead. Its
/// signatures are verified by the RPC layer against the message as signed (the bank does not
/// verify signatures, a validator's sigverify stage does); the record `getTransaction` returns is
/// the transaction as sent. A repeated signature is refused as `AlreadyProcessed` by the chain
/// itself. Blockhashes the chain did not hand out (durable nonces) go to the bank unchanged.
pub const BLOCKHASH_VALID_SLOTS: u64 = 150;
/// Slots of prioritization fees `getRecentPrioritizationFees` reports (a validator's cache).
pub const PRIORITIZATION_FEE_SLOTS: u64 = 150;
/// The Compute Budget program (SetComputeUnitPrice sets a transaction's prioritization fee).
const COMPUTE_BUDGET_ID: Pubkey = Pubkey::from_str_const("ComputeBudget111111111111111111111111111111");
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
    Slot {
        slot: u64,
    },
    Account {
        key: Pubkey,
        account: Option<Account>,
        slot: u64,
    },
    Signature {
        signature: Signature,
        err: Option<TransactionError>,
        slot: u64,
    },
    /// A processed transaction's logs; `keys` are all its account keys (lookup tables resolved).
    Logs {
        signature: Signature,
        err: Option<TransactionError>,
        logs: Vec<String>,
        keys: Vec<Pubkey>,
        slot: u64,
    },
}

/// Prioritization fees (micro-lamports per compute unit) of the transactions of one slot.
#[derive(Clone, Debug, Default)]
pub struct SlotFees {
    /// Lowest fee of any transaction in the slot.
    pub min: Option<u64>,
    /// Lowest fee of the transactions write-locking each account.
    pub writable: HashMap<Pubkey, u64>,
}

/// One entry of `getSignaturesForAddress`.
#[derive(Clone, Debug)]
pub struct SignatureInfo {
    pub signature: Signature,
    pub slot: u64,
    pub err: Option<TransactionError>,
    pub block_time: i64,
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
    /// Signatures of the processed transactions mentioning each address, oldest first.
    by_address: HashMap<Pubkey, Vec<Signature>>,
    /// Prioritization fees by slot (the last [`PRIORITIZATION_FEE_SLOTS`]).
    fees: BTreeMap<u64, SlotFees>,
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
    /// The slot the chain started at.
    first_slot: u64,
    /// Blockhashes handed out, with the slot each was first handed out at.
    issued: std::sync::Mutex<HashMap<Hash, u64>>,
    genesis_hash: Hash,
    epoch_schedule: solana_sdk::epoch_schedule::EpochSchedule,
}

/// The bank's logs as a validator prints them: [`restitch_invocations`], then the native event
/// line rewritten to the on-chain one (the program logs its events natively as
/// `Program log: data: <base64>`; on chain, `sol_log_data`, they read `Program data: <base64>`,
/// which is what Anchor's `EventParser` looks for).
pub fn rewrite_logs(logs: Vec<String>) -> Vec<String> {
    restitch_invocations(logs)
        .into_iter()
        .map(|l| match l.strip_prefix("Program log: data: ") {
            Some(rest) => format!("Program data: {rest}"),
            None => l,
        })
        .collect()
}

/// `Program <id> invoke [<depth>]` → `(id, depth)`.
fn invoke_line(l: &str) -> Option<(&str, usize)> {
    let rest = l.strip_prefix("Program ")?;
    let (id, depth) = rest.split_once(" invoke [")?;
    Some((id, depth.strip_suffix(']')?.parse().ok()?))
}

/// `Program <id> success` or `Program <id> failed: …` → `id`.
fn closing_line(l: &str) -> Option<&str> {
    let rest = l.strip_prefix("Program ")?;
    if let Some(id) = rest.strip_suffix(" success") {
        return (!id.contains(' ')).then_some(id);
    }
    let (id, _) = rest.split_once(" failed: ")?;
    (!id.contains(' ')).then_some(id)
}

/// One invocation open while the logs are read.
struct Frame {
    program: String,
    /// Duplicate invoke lines folded into this one: as many duplicate closing lines follow it.
    duplicates: usize,
}

/// One `invoke [n]` / `success` pair per invocation, at its real depth, as a validator logs.
///
/// Natively run programs (program-test's `processor!`, Fulcrum and mock-pyth without
/// `FULCRUM_SBF`) are logged twice: the runtime logs `invoke` / `success` around every builtin
/// and program-test's builtin wrapper logs them again, so each native instruction reads
/// `invoke [1]`, `invoke [1]`, …, `success`, `success`. A native program's CPI (program-test's
/// `sol_invoke_signed` stub) logs `invoke` at the *caller's* depth before the callee's own
/// `invoke [n+1]`, and a second `success` after the callee's. Anchor's `EventParser` reads the
/// extra lines as invocations of their own and throws ("Expected the stack to have elements").
///
/// The duplicates are always adjacent: an invoke line of the program just opened, claiming a
/// depth no deeper than the frames already open (a real nested call is exactly one deeper), is
/// folded into that frame, and the same number of adjacent closing lines of that program after
/// its first closing line are dropped. Every invoke line kept is rewritten with its depth on the
/// stack. Logs that are already well formed (SBF programs, the system program) are unchanged.
pub fn restitch_invocations(logs: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(logs.len());
    let mut stack: Vec<Frame> = vec![];
    // The previous line opened this frame (top of the stack): a duplicate invoke may follow.
    let mut just_opened = false;
    // (program, duplicate closing lines still to drop) right after a frame closed.
    let mut just_closed: Option<(String, usize)> = None;
    for line in logs {
        if let Some((id, depth)) = invoke_line(&line) {
            just_closed = None;
            let open = stack.len();
            if let Some(top) = stack.last_mut().filter(|f| just_opened && f.program == id && depth <= open) {
                top.duplicates += 1;
                continue;
            }
            stack.push(Frame { program: id.to_string(), duplicates: 0 });
            out.push(format!("Program {id} invoke [{}]", stack.len()));
            just_opened = true;
            continue;
        }
        just_opened = false;
        if let Some(id) = closing_line(&line) {
            if let Some((closed, left)) = just_closed.as_mut() {
                if *closed == id && *left > 0 {
                    *left -= 1;
                    continue;
                }
            }
            just_closed = None;
            if let Some(at) = stack.iter().rposition(|f| f.program == id) {
                // Frames above it that never logged their end (a failed CPI) end with it.
                stack.truncate(at + 1);
                if let Some(f) = stack.pop() {
                    just_closed = Some((f.program, f.duplicates));
                }
            }
            out.push(line);
            continue;
        }
        just_closed = None;
        out.push(line);
    }
    out
}

/// The compute unit price (micro-lamports) a transaction sets with the Compute Budget program's
/// `SetComputeUnitPrice` (tag 3, u64 little-endian); 0 without one.
fn compute_unit_price(tx: &VersionedTransaction) -> u64 {
    let keys = tx.message.static_account_keys();
    tx.message
        .instructions()
        .iter()
        .filter(|ix| keys.get(usize::from(ix.program_id_index)) == Some(&COMPUTE_BUDGET_ID))
        .filter_map(|ix| match ix.data.split_first() {
            Some((3, rest)) => rest.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_le_bytes),
            _ => None,
        })
        .next_back()
        .unwrap_or(0)
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
    /// `SBF_OUT_DIR`) in the real Solana VM. With `mock_pyth`, mock-pyth (`programs/mock-pyth`)
    /// runs at both Pyth program ids as on the local validator of `scripts/test-validator.sh`
    /// (natively; in SBF mode from `mock_pyth.so` beside `fulcrum.so`, in the real VM, which
    /// `scripts/build-sbf.sh --mock-pyth` builds: program-test refuses to start without it).
    pub async fn start(mock_pyth: bool) -> Result<Arc<Chain>, BoxError> {
        let mut pt = fulcrum_testkit::program_test();
        if mock_pyth {
            for (name, id) in [("mock_pyth", mock_pyth::PYTH_RECEIVER), ("mock_pyth", mock_pyth::PYTH_LEGACY_MAINNET)] {
                pt.add_program(name, id, solana_program_test::processor!(mock_pyth::process_instruction));
            }
        }
        let ctx = pt.start_with_context().await;
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
                by_address: HashMap::new(),
                fees: BTreeMap::new(),
                nonce: 0,
                unix_time: wall_clock(),
                tx_count: 0,
            }),
            banks,
            payer,
            events,
            slot: AtomicU64::new(clock.slot),
            first_slot: clock.slot,
            issued: std::sync::Mutex::new(HashMap::new()),
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
        let serialised = self.inner.lock().await;
        let sig = tx.signatures.first().copied().unwrap_or_default();
        if sig != Signature::default() && serialised.txs.contains_key(&sig) {
            return Ok(Simulation {
                err: Some(TransactionError::AlreadyProcessed),
                logs: vec![],
                units: 0,
                return_data: None,
            });
        }
        let tx = self.executable(tx).await?;
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
        // The bank's status cache cannot see a repeat of a transaction whose blockhash was
        // replaced (see [`BLOCKHASH_VALID_SLOTS`]): the chain refuses it itself.
        if inner.txs.contains_key(&sig) {
            return Ok(Err(TransactionError::AlreadyProcessed));
        }
        let run = self.executable(tx.clone()).await?;
        // Pre-balances: make sure every key is indexed first.
        let missing: Vec<Pubkey> = all.iter().filter(|k| !inner.cache.contains_key(k)).copied().collect();
        self.refresh(&mut inner, &missing).await?;
        let pre: Vec<u64> = all.iter().map(|k| inner.cache.get(k).map(|a| a.lamports).unwrap_or(0)).collect();
        let r = bank("processTransaction", self.banks.process_transaction_with_metadata(run)).await?;
        let Some(meta) = r.metadata else {
            return Ok(Err(r.result.err().unwrap_or(TransactionError::BlockhashNotFound)));
        };
        self.refresh(&mut inner, &all).await?;
        let post: Vec<u64> = all.iter().map(|k| inner.cache.get(k).map(|a| a.lamports).unwrap_or(0)).collect();
        let slot = self.slot();
        let price = compute_unit_price(&tx);
        let writable: Vec<Pubkey> = (0..keys.len())
            .filter(|i| tx.message.is_maybe_writable(*i, None))
            .map(|i| keys[i])
            .chain(lw.iter().copied())
            .collect();
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
        let mut mentioned = all.clone();
        mentioned.sort();
        mentioned.dedup();
        for k in &mentioned {
            inner.by_address.entry(*k).or_default().push(sig);
        }
        let fees = inner.fees.entry(slot).or_default();
        fees.min = Some(fees.min.map_or(price, |m| m.min(price)));
        for k in writable {
            let f = fees.writable.entry(k).or_insert(price);
            *f = (*f).min(price);
        }
        let oldest = slot.saturating_sub(PRIORITIZATION_FEE_SLOTS);
        inner.fees = inner.fees.split_off(&oldest);
        drop(inner);
        self.notify(Notice::Signature { signature: sig, err: rec.err.clone(), slot });
        self.notify(Notice::Logs { signature: sig, err: rec.err.clone(), logs: rec.logs.clone(), keys: all, slot });
        Ok(Ok(rec))
    }

    /// A fresh blockhash of the bank, valid for [`BLOCKHASH_VALID_SLOTS`] slots from now.
    pub async fn latest_blockhash(&self) -> Result<Hash, BoxError> {
        let h = self.banks.get_latest_blockhash().await?;
        let slot = self.slot();
        if let Ok(mut issued) = self.issued.lock() {
            // The latest slot it was handed out at: the `lastValidBlockHeight` clients saw last.
            let at = issued.entry(h).or_insert(slot);
            *at = (*at).max(slot);
            if issued.len() > 4096 {
                issued.retain(|_, s| *s + BLOCKHASH_VALID_SLOTS >= slot);
            }
        }
        Ok(h)
    }

    /// `h` was handed out by the chain no more than [`BLOCKHASH_VALID_SLOTS`] slots ago.
    fn issued_and_live(&self, h: &Hash) -> bool {
        let slot = self.slot();
        self.issued.lock().ok().and_then(|i| i.get(h).copied()).is_some_and(|s| slot <= s + BLOCKHASH_VALID_SLOTS)
    }

    /// `tx` as the bank runs it: with the bank's current blockhash when it carries one the chain
    /// handed out that is still live (see [`BLOCKHASH_VALID_SLOTS`]); otherwise unchanged.
    async fn executable(&self, mut tx: VersionedTransaction) -> Result<VersionedTransaction, BoxError> {
        if self.issued_and_live(tx.message.recent_blockhash()) {
            let h = bank("getLatestBlockhash", self.banks.get_latest_blockhash()).await?;
            tx.message.set_recent_blockhash(h);
        }
        Ok(tx)
    }

    /// Processed transactions mentioning `address`, newest first: at most `limit`, starting
    /// after `before` and stopping before `until` (both excluded).
    pub async fn signatures_for(
        &self,
        address: &Pubkey,
        limit: usize,
        before: Option<Signature>,
        until: Option<Signature>,
    ) -> Vec<SignatureInfo> {
        let inner = self.inner.lock().await;
        let Some(sigs) = inner.by_address.get(address) else { return vec![] };
        let mut newest_first = sigs.iter().rev().peekable();
        if let Some(b) = before {
            // Nothing when `before` does not mention the address, as a validator answers.
            if !sigs.contains(&b) {
                return vec![];
            }
            for s in newest_first.by_ref() {
                if *s == b {
                    break;
                }
            }
        }
        newest_first
            .take_while(|s| Some(**s) != until)
            .take(limit)
            .filter_map(|s| {
                inner.txs.get(s).map(|r| SignatureInfo {
                    signature: *s,
                    slot: r.slot,
                    err: r.err.clone(),
                    block_time: r.block_time,
                })
            })
            .collect()
    }

    /// `(slot, fee)` for each of the last [`PRIORITIZATION_FEE_SLOTS`] slots up to the current
    /// one, as a validator's prioritization fee cache answers: the lowest compute unit price of
    /// the slot's transactions (0 without any), raised to the lowest price paid by the
    /// transactions write-locking each of `accounts` in that slot.
    pub async fn prioritization_fees(&self, accounts: &[Pubkey]) -> Vec<(u64, u64)> {
        let inner = self.inner.lock().await;
        let now = self.slot();
        let first = now.saturating_sub(PRIORITIZATION_FEE_SLOTS - 1).max(self.first_slot);
        (first..=now)
            .map(|slot| {
                let fee = inner.fees.get(&slot).map_or(0, |f| {
                    accounts.iter().filter_map(|a| f.writable.get(a)).fold(f.min.unwrap_or(0), |m, x| m.max(*x))
                });
                (slot, fee)
            })
            .collect()
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

    /// A transaction carrying `blockhash` would be accepted: handed out by the chain within
    /// [`BLOCKHASH_VALID_SLOTS`] slots, or still in the bank's own queue.
    pub async fn blockhash_valid(&self, blockhash: &Hash) -> Result<bool, BoxError> {
        if self.issued_and_live(blockhash) {
            return Ok(true);
        }
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

#[cfg(test)]
mod tests {
    use super::restitch_invocations;

    fn lines(s: &[&str]) -> Vec<String> {
        s.iter().map(|l| l.to_string()).collect()
    }

    /// What program-test's bank logs for [native F (CPI to SBF T), native F]: the runtime's and
    /// the builtin wrapper's invoke/success around F, the CPI stub's invoke at F's depth and its
    /// extra success around T's own.
    #[test]
    fn native_doubles_fold_into_one_pair_per_invocation() {
        let raw = lines(&[
            "Program F invoke [1]",
            "Program F invoke [1]",
            "Program log: Instruction: Deposit",
            "Program T invoke [1]",
            "Program T invoke [2]",
            "Program log: Instruction: Transfer",
            "Program T consumed 4645 of 1391250 compute units",
            "Program T success",
            "Program T success",
            "Program log: data: AAAA",
            "Program F success",
            "Program F success",
            "Program F invoke [1]",
            "Program F invoke [1]",
            "Program log: Instruction: PlacePerpTrade",
            "Program F failed: custom program error: 0x1771",
            "Program F failed: custom program error: 0x1771",
        ]);
        let want = lines(&[
            "Program F invoke [1]",
            "Program log: Instruction: Deposit",
            "Program T invoke [2]",
            "Program log: Instruction: Transfer",
            "Program T consumed 4645 of 1391250 compute units",
            "Program T success",
            "Program log: data: AAAA",
            "Program F success",
            "Program F invoke [1]",
            "Program log: Instruction: PlacePerpTrade",
            "Program F failed: custom program error: 0x1771",
        ]);
        assert_eq!(restitch_invocations(raw), want);
    }

    /// A native CPI into a native program (runtime + wrapper + stub: three invoke lines), and a
    /// failing CPI (the stub logs no success after a callee's failure).
    #[test]
    fn native_callee_and_failed_cpi() {
        let raw = lines(&[
            "Program F invoke [1]",
            "Program F invoke [1]",
            "Program P invoke [1]",
            "Program P invoke [2]",
            "Program P invoke [2]",
            "Program P success",
            "Program P success",
            "Program P success",
            "Program T invoke [1]",
            "Program T invoke [2]",
            "Program T failed: insufficient funds",
            "Program F failed: insufficient funds",
            "Program F failed: insufficient funds",
        ]);
        let want = lines(&[
            "Program F invoke [1]",
            "Program P invoke [2]",
            "Program P success",
            "Program T invoke [2]",
            "Program T failed: insufficient funds",
            "Program F failed: insufficient funds",
        ]);
        assert_eq!(restitch_invocations(raw), want);
    }

    /// Logs a validator would print (SBF programs, builtins) come out unchanged, recursion
    /// included.
    #[test]
    fn well_formed_logs_are_unchanged() {
        let ok = lines(&[
            "Program ComputeBudget111111111111111111111111111111 invoke [1]",
            "Program ComputeBudget111111111111111111111111111111 success",
            "Program F invoke [1]",
            "Program F invoke [2]",
            "Program F success",
            "Program T invoke [2]",
            "Program log: Instruction: Transfer",
            "Program T consumed 4645 of 1391250 compute units",
            "Program T success",
            "Program data: AAAA",
            "Program F consumed 20000 of 1400000 compute units",
            "Program F success",
            "Program 11111111111111111111111111111111 invoke [1]",
            "Program 11111111111111111111111111111111 success",
        ]);
        assert_eq!(restitch_invocations(ok.clone()), ok);
    }
}
