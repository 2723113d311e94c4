//! Solana JSON-RPC 2.0 methods over the local chain, with the response shapes of the real API.

use std::str::FromStr;
use std::sync::Arc;

use base64::Engine;
use serde_json::{json, Value};
use solana_sdk::{
    account::Account,
    hash::Hash,
    pubkey::Pubkey,
    signature::Signature,
    transaction::{TransactionError, VersionedTransaction},
};

use crate::chain::{Chain, TxRecord, BLOCKHASH_VALID_SLOTS};
use crate::oracle::PriceBook;
use crate::token;

/// Methods served over HTTP (and WebSocket), in the order of the issue; `fulcrum_*` are
/// local-only.
pub const METHODS: &[&str] = &[
    "getLatestBlockhash",
    "isBlockhashValid",
    "sendTransaction",
    "simulateTransaction",
    "getSignatureStatuses",
    "getTransaction",
    "getAccountInfo",
    "getMultipleAccounts",
    "getProgramAccounts",
    "getBalance",
    "getMinimumBalanceForRentExemption",
    "requestAirdrop",
    "getSlot",
    "getBlockHeight",
    "getEpochInfo",
    "getVersion",
    "getGenesisHash",
    "getFeeForMessage",
    "getHealth",
    "getIdentity",
    "getTransactionCount",
    "getEpochSchedule",
    "getTokenAccountBalance",
    "getTokenSupply",
    "getTokenAccountsByOwner",
    "getSignaturesForAddress",
    "getRecentPrioritizationFees",
    "fulcrum_setPrice",
    "fulcrum_getBootstrap",
    "fulcrum_getPrices",
];

/// WebSocket subscription methods.
pub const SUBSCRIPTIONS: &[&str] =
    &["signatureSubscribe", "accountSubscribe", "programSubscribe", "slotSubscribe", "logsSubscribe"];

/// A JSON-RPC error.
#[derive(Debug)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), data: None }
    }
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(-32602, message)
    }
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(-32603, format!("Internal error: {message}"))
    }
    pub fn to_json(&self) -> Value {
        let mut e = json!({ "code": self.code, "message": self.message });
        if let Some(d) = &self.data {
            e["data"] = d.clone();
        }
        e
    }
}

type RpcResult = Result<Value, RpcError>;

/// Shared state of the RPC handlers.
pub struct Rpc {
    pub chain: Arc<Chain>,
    pub prices: Arc<PriceBook>,
    pub bootstrap: tokio::sync::RwLock<Option<Value>>,
    pub identity: Pubkey,
}

fn param(params: &Value, i: usize) -> Option<&Value> {
    params.as_array().and_then(|a| a.get(i)).filter(|v| !v.is_null())
}

fn str_param<'a>(params: &'a Value, i: usize, what: &str) -> Result<&'a str, RpcError> {
    param(params, i).and_then(Value::as_str).ok_or_else(|| RpcError::invalid_params(format!("missing {what}")))
}

fn pubkey_param(params: &Value, i: usize) -> Result<Pubkey, RpcError> {
    let s = str_param(params, i, "pubkey")?;
    Pubkey::from_str(s).map_err(|_| RpcError::invalid_params(format!("Invalid param: {s}")))
}

fn config(params: &Value, i: usize) -> Value {
    param(params, i).filter(|v| v.is_object()).cloned().unwrap_or_else(|| json!({}))
}

fn ctx(slot: u64, value: Value) -> Value {
    json!({ "context": { "slot": slot, "apiVersion": "3.1.12" }, "value": value })
}

/// `TransactionError` as the real API renders it (`{"InstructionError":[0,{"Custom":6001}]}`).
pub fn tx_err_json(e: &Option<TransactionError>) -> Value {
    match e {
        None => Value::Null,
        Some(e) => serde_json::to_value(e).unwrap_or_else(|_| json!(e.to_string())),
    }
}

fn status_json(e: &Option<TransactionError>) -> Value {
    match e {
        None => json!({ "Ok": null }),
        Some(_) => json!({ "Err": tx_err_json(e) }),
    }
}

/// Encoding and slice options of account methods.
#[derive(Clone, Debug)]
pub struct AccountEncoding {
    pub encoding: String,
    pub slice: Option<(usize, usize)>,
}

impl AccountEncoding {
    pub fn from_config(cfg: &Value, default: &str) -> Result<Self, RpcError> {
        let encoding = cfg.get("encoding").and_then(Value::as_str).unwrap_or(default).to_string();
        if !matches!(encoding.as_str(), "base64" | "base58" | "jsonParsed" | "binary") {
            return Err(RpcError::invalid_params(format!("unsupported encoding: {encoding}")));
        }
        let slice = cfg.get("dataSlice").map(|s| {
            (
                s.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize,
                s.get("length").and_then(Value::as_u64).unwrap_or(0) as usize,
            )
        });
        Ok(Self { encoding, slice })
    }
}

/// An account in the API's JSON form.
pub fn account_json(a: &Account, enc: &AccountEncoding) -> Value {
    let data: &[u8] = match enc.slice {
        Some((off, len)) => a.data.get(off.min(a.data.len())..(off + len).min(a.data.len())).unwrap_or(&[]),
        None => &a.data,
    };
    let data_json = match enc.encoding.as_str() {
        "base58" => json!([bs58::encode(data).into_string(), "base58"]),
        "binary" => json!(bs58::encode(data).into_string()),
        // jsonParsed falls back to base64 for accounts without a parser, as the real API does.
        _ => json!([base64::engine::general_purpose::STANDARD.encode(data), "base64"]),
    };
    json!({
        "data": data_json,
        "executable": a.executable,
        "lamports": a.lamports,
        "owner": a.owner.to_string(),
        "rentEpoch": a.rent_epoch,
        "space": a.data.len(),
    })
}

/// Whether `a` passes `getProgramAccounts` filters.
pub fn filters_match(a: &Account, filters: &[Value]) -> Result<bool, RpcError> {
    for f in filters {
        if let Some(size) = f.get("dataSize") {
            let size = size.as_u64().ok_or_else(|| RpcError::invalid_params("dataSize must be a number"))?;
            if a.data.len() as u64 != size {
                return Ok(false);
            }
        } else if let Some(m) = f.get("memcmp") {
            let offset = m.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
            let bytes =
                m.get("bytes").and_then(Value::as_str).ok_or_else(|| RpcError::invalid_params("memcmp.bytes"))?;
            let want = match m.get("encoding").and_then(Value::as_str).unwrap_or("base58") {
                "base64" => base64::engine::general_purpose::STANDARD
                    .decode(bytes)
                    .map_err(|_| RpcError::invalid_params("memcmp.bytes: bad base64"))?,
                _ => {
                    bs58::decode(bytes).into_vec().map_err(|_| RpcError::invalid_params("memcmp.bytes: bad base58"))?
                }
            };
            if a.data.get(offset..offset + want.len()) != Some(&want[..]) {
                return Ok(false);
            }
        } else {
            return Err(RpcError::invalid_params("unsupported filter"));
        }
    }
    Ok(true)
}

fn decode_tx(params: &Value) -> Result<VersionedTransaction, RpcError> {
    let raw = str_param(params, 0, "transaction")?;
    let cfg = config(params, 1);
    let bytes = match cfg.get("encoding").and_then(Value::as_str).unwrap_or("base58") {
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(raw)
            .map_err(|e| RpcError::invalid_params(format!("invalid transaction: {e}")))?,
        _ => bs58::decode(raw).into_vec().map_err(|e| RpcError::invalid_params(format!("invalid transaction: {e}")))?,
    };
    bincode::deserialize(&bytes)
        .map_err(|e| RpcError::invalid_params(format!("failed to deserialize VersionedTransaction: {e}")))
}

fn return_data_json(rd: &Option<solana_transaction_context::TransactionReturnData>) -> Value {
    match rd {
        Some(r) if !r.data.is_empty() => json!({
            "programId": r.program_id.to_string(),
            "data": [base64::engine::general_purpose::STANDARD.encode(&r.data), "base64"],
        }),
        _ => Value::Null,
    }
}

/// A transaction in the API's `json` encoding.
pub fn tx_json(tx: &VersionedTransaction) -> Value {
    let m = &tx.message;
    let h = m.header();
    let instructions: Vec<Value> = m
        .instructions()
        .iter()
        .map(|ix| {
            json!({
                "programIdIndex": ix.program_id_index,
                "accounts": ix.accounts,
                "data": bs58::encode(&ix.data).into_string(),
                "stackHeight": null,
            })
        })
        .collect();
    let mut message = json!({
        "accountKeys": m.static_account_keys().iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        "header": {
            "numRequiredSignatures": h.num_required_signatures,
            "numReadonlySignedAccounts": h.num_readonly_signed_accounts,
            "numReadonlyUnsignedAccounts": h.num_readonly_unsigned_accounts,
        },
        "instructions": instructions,
        "recentBlockhash": m.recent_blockhash().to_string(),
    });
    if let Some(lookups) = m.address_table_lookups() {
        message["addressTableLookups"] = lookups
            .iter()
            .map(|l| {
                json!({
                    "accountKey": l.account_key.to_string(),
                    "writableIndexes": l.writable_indexes,
                    "readonlyIndexes": l.readonly_indexes,
                })
            })
            .collect();
    }
    json!({
        "signatures": tx.signatures.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        "message": message,
    })
}

fn tx_version(tx: &VersionedTransaction) -> Value {
    match tx.message {
        solana_sdk::message::VersionedMessage::Legacy(_) => json!("legacy"),
        solana_sdk::message::VersionedMessage::V0(_) => json!(0),
    }
}

fn record_json(rec: &TxRecord, encoding: &str) -> Value {
    let transaction = match encoding {
        "base64" => json!([
            base64::engine::general_purpose::STANDARD.encode(bincode::serialize(&rec.tx).unwrap_or_default()),
            "base64"
        ]),
        "base58" => json!([bs58::encode(bincode::serialize(&rec.tx).unwrap_or_default()).into_string(), "base58"]),
        _ => tx_json(&rec.tx),
    };
    let mut meta = json!({
        "err": tx_err_json(&rec.err),
        "status": status_json(&rec.err),
        "fee": rec.fee,
        "preBalances": rec.pre_balances,
        "postBalances": rec.post_balances,
        "innerInstructions": [],
        "logMessages": rec.logs,
        "preTokenBalances": [],
        "postTokenBalances": [],
        "rewards": [],
        "loadedAddresses": {
            "writable": rec.loaded_writable.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
            "readonly": rec.loaded_readonly.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        },
        "computeUnitsConsumed": rec.units,
    });
    let rd = return_data_json(&rec.return_data);
    if !rd.is_null() {
        meta["returnData"] = rd;
    }
    json!({
        "slot": rec.slot,
        "blockTime": rec.block_time,
        "meta": meta,
        "transaction": transaction,
        "version": tx_version(&rec.tx),
    })
}

fn simulation_failed(sim: &crate::chain::Simulation) -> RpcError {
    let detail = match &sim.err {
        Some(TransactionError::InstructionError(i, e)) => format!("Error processing Instruction {i}: {e}"),
        Some(e) => e.to_string(),
        None => String::new(),
    };
    RpcError {
        code: -32002,
        message: format!("Transaction simulation failed: {detail}"),
        data: Some(json!({
            "accounts": null,
            "err": tx_err_json(&sim.err),
            "innerInstructions": null,
            "logs": sim.logs,
            "replacementBlockhash": null,
            "returnData": return_data_json(&sim.return_data),
            "unitsConsumed": sim.units,
        })),
    }
}

impl Rpc {
    /// Slots a fresh blockhash stays valid, as on a validator (see [`BLOCKHASH_VALID_SLOTS`]).
    fn blockhash_slots(&self) -> u64 {
        BLOCKHASH_VALID_SLOTS
    }

    /// Decimals of `mint` (an SPL Token or Token-2022 mint), `None` if it is not one.
    async fn mint_decimals(&self, mint: &Pubkey) -> Option<u8> {
        let a = self.chain.banks().get_account(*mint).await.ok()??;
        token::mint(&a).map(|m| m.decimals)
    }

    /// The account at the address of the first parameter; "could not find account" without one.
    async fn account_param(&self, params: &Value) -> Result<Account, RpcError> {
        let key = pubkey_param(params, 0)?;
        self.chain
            .banks()
            .get_account(key)
            .await
            .map_err(RpcError::internal)?
            .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find account"))
    }

    /// [`account_json`], with SPL Token accounts and mints parsed for `jsonParsed` as the real
    /// API does (other accounts fall back to base64 there too).
    async fn account_value(&self, a: &Account, enc: &AccountEncoding) -> Value {
        if enc.encoding == "jsonParsed" && enc.slice.is_none() && token::is_token_program(&a.owner) {
            let parsed = if let Some(t) = token::account(a) {
                let decimals = self.mint_decimals(&t.mint).await;
                decimals.map(|d| token::account_data_json(&t, d, &a.owner, a.data.len()))
            } else {
                token::mint(a).map(|m| token::mint_data_json(&m, &a.owner, a.data.len()))
            };
            if let Some(data) = parsed {
                let mut v = account_json(a, enc);
                v["data"] = data;
                return v;
            }
        }
        account_json(a, enc)
    }

    /// Handles one request object; `None` for notifications (no `id`).
    pub async fn handle(&self, req: &Value) -> Option<Value> {
        let id = req.get("id").cloned();
        let Some(method) = req.get("method").and_then(Value::as_str) else {
            return Some(json!({
                "jsonrpc": "2.0",
                "error": RpcError::new(-32600, "Invalid request").to_json(),
                "id": id.unwrap_or(Value::Null),
            }));
        };
        let id = id?;
        let params = req.get("params").cloned().unwrap_or_else(|| json!([]));
        let out = match self.call(method, &params).await {
            Ok(result) => json!({ "jsonrpc": "2.0", "result": result, "id": id }),
            Err(e) => json!({ "jsonrpc": "2.0", "error": e.to_json(), "id": id }),
        };
        Some(out)
    }

    /// Handles a request body: one object or a batch.
    pub async fn handle_body(&self, body: &[u8]) -> Value {
        let req: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => {
                return json!({ "jsonrpc": "2.0", "error": RpcError::new(-32700, "Parse error").to_json(), "id": null })
            }
        };
        match req {
            Value::Array(reqs) => {
                let mut out = vec![];
                for r in &reqs {
                    if let Some(v) = self.handle(r).await {
                        out.push(v);
                    }
                }
                Value::Array(out)
            }
            r => self.handle(&r).await.unwrap_or(Value::Null),
        }
    }

    async fn call(&self, method: &str, params: &Value) -> RpcResult {
        let chain = &self.chain;
        let slot = chain.slot();
        match method {
            "getHealth" => Ok(json!("ok")),
            "getVersion" => Ok(json!({ "solana-core": "3.1.12", "feature-set": 3_294_202_862u64 })),
            "getIdentity" => Ok(json!({ "identity": self.identity.to_string() })),
            "getGenesisHash" => Ok(json!(chain.genesis_hash().to_string())),
            "getSlot" => Ok(json!(slot)),
            "getBlockHeight" => Ok(json!(slot)),
            "getTransactionCount" => Ok(json!(chain.tx_count().await)),
            "getEpochSchedule" => {
                let s = chain.epoch_schedule();
                Ok(json!({
                    "slotsPerEpoch": s.slots_per_epoch,
                    "leaderScheduleSlotOffset": s.leader_schedule_slot_offset,
                    "warmup": s.warmup,
                    "firstNormalEpoch": s.first_normal_epoch,
                    "firstNormalSlot": s.first_normal_slot,
                }))
            }
            "getEpochInfo" => {
                let s = chain.epoch_schedule();
                let (epoch, index) = s.get_epoch_and_slot_index(slot);
                Ok(json!({
                    "absoluteSlot": slot,
                    "blockHeight": slot,
                    "epoch": epoch,
                    "slotIndex": index,
                    "slotsInEpoch": s.get_slots_in_epoch(epoch),
                    "transactionCount": chain.tx_count().await,
                }))
            }
            "getLatestBlockhash" => {
                let h = chain.latest_blockhash().await.map_err(RpcError::internal)?;
                Ok(ctx(
                    slot,
                    json!({ "blockhash": h.to_string(), "lastValidBlockHeight": slot + self.blockhash_slots() }),
                ))
            }
            "isBlockhashValid" => {
                let h = Hash::from_str(str_param(params, 0, "blockhash")?)
                    .map_err(|_| RpcError::invalid_params("Invalid param: blockhash"))?;
                let ok = chain.blockhash_valid(&h).await.map_err(RpcError::internal)?;
                Ok(ctx(slot, json!(ok)))
            }
            "getFeeForMessage" => {
                let raw = str_param(params, 0, "message")?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(raw)
                    .map_err(|_| RpcError::invalid_params("invalid base64 message"))?;
                let msg: solana_sdk::message::VersionedMessage = bincode::deserialize(&bytes)
                    .map_err(|e| RpcError::invalid_params(format!("invalid message: {e}")))?;
                let fee = chain.fee_for_message(&msg).await.map_err(RpcError::internal)?;
                Ok(ctx(slot, json!(fee)))
            }
            "getBalance" => {
                let key = pubkey_param(params, 0)?;
                let b = chain.banks().get_balance(key).await.map_err(RpcError::internal)?;
                Ok(ctx(slot, json!(b)))
            }
            "getMinimumBalanceForRentExemption" => {
                let size = param(params, 0).and_then(Value::as_u64).unwrap_or(0) as usize;
                let rent = chain.banks().get_rent().await.map_err(RpcError::internal)?;
                Ok(json!(rent.minimum_balance(size)))
            }
            "getAccountInfo" => {
                let key = pubkey_param(params, 0)?;
                let enc = AccountEncoding::from_config(&config(params, 1), "base58")?;
                let a = chain.banks().get_account(key).await.map_err(RpcError::internal)?;
                Ok(ctx(
                    slot,
                    match a {
                        Some(a) => self.account_value(&a, &enc).await,
                        None => Value::Null,
                    },
                ))
            }
            "getMultipleAccounts" => {
                let keys = param(params, 0)
                    .and_then(Value::as_array)
                    .ok_or_else(|| RpcError::invalid_params("missing pubkeys"))?;
                if keys.len() > 100 {
                    return Err(RpcError::invalid_params("Too many inputs provided; max 100"));
                }
                let enc = AccountEncoding::from_config(&config(params, 1), "base64")?;
                let mut out = vec![];
                for k in keys {
                    let key = k
                        .as_str()
                        .and_then(|s| Pubkey::from_str(s).ok())
                        .ok_or_else(|| RpcError::invalid_params(format!("Invalid param: {k}")))?;
                    let a = chain.banks().get_account(key).await.map_err(RpcError::internal)?;
                    out.push(match a {
                        Some(a) => self.account_value(&a, &enc).await,
                        None => Value::Null,
                    });
                }
                Ok(ctx(slot, Value::Array(out)))
            }
            "getProgramAccounts" => {
                let program = pubkey_param(params, 0)?;
                let cfg = config(params, 1);
                let enc = AccountEncoding::from_config(&cfg, "base64")?;
                let filters = cfg.get("filters").and_then(Value::as_array).cloned().unwrap_or_default();
                let mut out = vec![];
                for (key, a) in chain.accounts_owned_by(&program).await {
                    if filters_match(&a, &filters)? {
                        out.push(json!({ "pubkey": key.to_string(), "account": self.account_value(&a, &enc).await }));
                    }
                }
                if cfg.get("withContext").and_then(Value::as_bool).unwrap_or(false) {
                    Ok(ctx(slot, Value::Array(out)))
                } else {
                    Ok(Value::Array(out))
                }
            }
            "requestAirdrop" => {
                let key = pubkey_param(params, 0)?;
                let lamports = param(params, 1)
                    .and_then(Value::as_u64)
                    .ok_or_else(|| RpcError::invalid_params("missing lamports"))?;
                let sig = chain.airdrop(&key, lamports).await.map_err(RpcError::internal)?;
                Ok(json!(sig.to_string()))
            }
            "simulateTransaction" => {
                let mut tx = decode_tx(params)?;
                let cfg = config(params, 1);
                let replace = cfg.get("replaceRecentBlockhash").and_then(Value::as_bool).unwrap_or(false);
                let sig_verify = cfg.get("sigVerify").and_then(Value::as_bool).unwrap_or(false);
                if replace && sig_verify {
                    return Err(RpcError::invalid_params("sigVerify may not be used with replaceRecentBlockhash"));
                }
                let mut replacement = Value::Null;
                if replace {
                    let h = chain.latest_blockhash().await.map_err(RpcError::internal)?;
                    tx.message.set_recent_blockhash(h);
                    replacement =
                        json!({ "blockhash": h.to_string(), "lastValidBlockHeight": slot + self.blockhash_slots() });
                }
                if sig_verify && tx.verify_with_results().iter().any(|ok| !ok) {
                    return Err(RpcError::new(-32003, "Transaction signature verification failure"));
                }
                let sim = chain.simulate(tx).await.map_err(RpcError::internal)?;
                Ok(ctx(
                    slot,
                    json!({
                        "err": tx_err_json(&sim.err),
                        "logs": sim.logs,
                        "accounts": null,
                        "unitsConsumed": sim.units,
                        "returnData": return_data_json(&sim.return_data),
                        "innerInstructions": null,
                        "replacementBlockhash": replacement,
                    }),
                ))
            }
            "sendTransaction" => {
                let tx = decode_tx(params)?;
                let cfg = config(params, 1);
                if tx.verify_with_results().iter().any(|ok| !ok) || tx.signatures.is_empty() {
                    return Err(RpcError::new(-32003, "Transaction signature verification failure"));
                }
                let sig = tx.signatures[0];
                if !cfg.get("skipPreflight").and_then(Value::as_bool).unwrap_or(false) {
                    let sim = chain.simulate(tx.clone()).await.map_err(RpcError::internal)?;
                    if sim.err.is_some() {
                        return Err(simulation_failed(&sim));
                    }
                }
                // Not committed (expired blockhash, …): like a validator, the signature is
                // returned and never lands.
                let _ = chain.process(tx).await.map_err(RpcError::internal)?;
                Ok(json!(sig.to_string()))
            }
            "getSignatureStatuses" => {
                let sigs = param(params, 0)
                    .and_then(Value::as_array)
                    .ok_or_else(|| RpcError::invalid_params("missing signatures"))?;
                if sigs.len() > 256 {
                    return Err(RpcError::invalid_params("Too many inputs provided; max 256"));
                }
                let mut out = vec![];
                for s in sigs {
                    let sig = s
                        .as_str()
                        .and_then(|s| Signature::from_str(s).ok())
                        .ok_or_else(|| RpcError::invalid_params(format!("Invalid param: {s}")))?;
                    out.push(match chain.transaction(&sig).await {
                        Some(rec) => json!({
                            "slot": rec.slot,
                            "confirmations": null,
                            "err": tx_err_json(&rec.err),
                            "status": status_json(&rec.err),
                            "confirmationStatus": "finalized",
                        }),
                        None => Value::Null,
                    });
                }
                Ok(ctx(slot, Value::Array(out)))
            }
            "getTransaction" => {
                let sig = Signature::from_str(str_param(params, 0, "signature")?)
                    .map_err(|_| RpcError::invalid_params("Invalid param: signature"))?;
                let cfg = config(params, 1);
                let encoding = cfg.get("encoding").and_then(Value::as_str).unwrap_or("json");
                match chain.transaction(&sig).await {
                    None => Ok(Value::Null),
                    Some(rec) => {
                        let supported = cfg.get("maxSupportedTransactionVersion").and_then(Value::as_u64);
                        if matches!(rec.tx.message, solana_sdk::message::VersionedMessage::V0(_)) && supported.is_none()
                        {
                            return Err(RpcError::new(
                                -32015,
                                "Transaction version (0) is not supported by the requesting client. Please try the request again with the following configuration parameter: \"maxSupportedTransactionVersion\": 0",
                            ));
                        }
                        Ok(record_json(&rec, encoding))
                    }
                }
            }
            "getTokenAccountBalance" => {
                let a = self.account_param(params).await?;
                let t =
                    token::account(&a).ok_or_else(|| RpcError::invalid_params("Invalid param: not a Token account"))?;
                let decimals = self
                    .mint_decimals(&t.mint)
                    .await
                    .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find mint"))?;
                Ok(ctx(slot, token::amount_json(t.amount, decimals)))
            }
            "getTokenSupply" => {
                // As a validator: the mint's supply in the token-amount shape, or -32602.
                let a = self.account_param(params).await?;
                if !token::is_token_program(&a.owner) {
                    return Err(RpcError::invalid_params("Invalid param: not a Token mint"));
                }
                let m = token::mint(&a)
                    .ok_or_else(|| RpcError::invalid_params("Invalid param: mint could not be unpacked"))?;
                Ok(ctx(slot, token::amount_json(m.supply, m.decimals)))
            }
            "getTokenAccountsByOwner" => {
                let owner = pubkey_param(params, 0)?;
                let filter = param(params, 1).filter(|v| v.is_object()).ok_or_else(|| {
                    RpcError::invalid_params("Invalid params: a filter {\"mint\": …} or {\"programId\": …} is required")
                })?;
                let key_of = |field: &str| -> Result<Option<Pubkey>, RpcError> {
                    match filter.get(field).and_then(Value::as_str) {
                        None => Ok(None),
                        Some(s) => Pubkey::from_str(s)
                            .map(Some)
                            .map_err(|_| RpcError::invalid_params(format!("Invalid param: {s}"))),
                    }
                };
                let (mint, program) = match (key_of("mint")?, key_of("programId")?) {
                    (Some(m), None) => {
                        let a = chain
                            .banks()
                            .get_account(m)
                            .await
                            .map_err(RpcError::internal)?
                            .filter(|a| token::mint(a).is_some())
                            .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find mint"))?;
                        (Some(m), a.owner)
                    }
                    (None, Some(p)) if token::is_token_program(&p) => (None, p),
                    (None, Some(_)) => {
                        return Err(RpcError::invalid_params("Invalid param: unrecognized Token program id"))
                    }
                    _ => {
                        return Err(RpcError::invalid_params("Invalid params: give exactly one of mint and programId"))
                    }
                };
                let enc = AccountEncoding::from_config(&config(params, 2), "binary")?;
                let mut out = vec![];
                for (key, a) in chain.accounts_owned_by(&program).await {
                    let Some(t) = token::account(&a) else { continue };
                    if t.owner == owner && mint.is_none_or(|m| m == t.mint) {
                        out.push(json!({ "pubkey": key.to_string(), "account": self.account_value(&a, &enc).await }));
                    }
                }
                Ok(ctx(slot, Value::Array(out)))
            }
            "getSignaturesForAddress" => {
                let address = pubkey_param(params, 0)?;
                let cfg = config(params, 1);
                let limit = cfg.get("limit").and_then(Value::as_u64).unwrap_or(1000);
                if limit == 0 || limit > 1000 {
                    return Err(RpcError::invalid_params("Invalid limit; max 1000"));
                }
                let sig_of = |field: &str| -> Result<Option<Signature>, RpcError> {
                    match cfg.get(field).and_then(Value::as_str) {
                        None => Ok(None),
                        Some(s) => Signature::from_str(s)
                            .map(Some)
                            .map_err(|_| RpcError::invalid_params(format!("Invalid param: {s}"))),
                    }
                };
                let (before, until) = (sig_of("before")?, sig_of("until")?);
                let sigs = chain.signatures_for(&address, limit as usize, before, until).await;
                Ok(Value::Array(
                    sigs.iter()
                        .map(|s| {
                            json!({
                                "signature": s.signature.to_string(),
                                "slot": s.slot,
                                "err": tx_err_json(&s.err),
                                "memo": null,
                                "blockTime": s.block_time,
                                "confirmationStatus": "finalized",
                            })
                        })
                        .collect(),
                ))
            }
            "getRecentPrioritizationFees" => {
                let keys = param(params, 0).and_then(Value::as_array).cloned().unwrap_or_default();
                if keys.len() > 128 {
                    return Err(RpcError::invalid_params("Too many inputs provided; max 128"));
                }
                let mut accounts = vec![];
                for k in &keys {
                    accounts.push(
                        k.as_str()
                            .and_then(|s| Pubkey::from_str(s).ok())
                            .ok_or_else(|| RpcError::invalid_params(format!("Invalid param: {k}")))?,
                    );
                }
                Ok(Value::Array(
                    chain
                        .prioritization_fees(&accounts)
                        .await
                        .into_iter()
                        .map(|(slot, fee)| json!({ "slot": slot, "prioritizationFee": fee }))
                        .collect(),
                ))
            }
            "fulcrum_setPrice" => {
                // Local only: ["SOL", 80.5] or [{"symbol": "SOL", "price": 80.5}].
                let (symbol, price) = match param(params, 0) {
                    Some(Value::Object(o)) => (
                        o.get("symbol").and_then(Value::as_str).unwrap_or_default().to_string(),
                        o.get("price").and_then(Value::as_f64),
                    ),
                    Some(Value::String(s)) => (s.clone(), param(params, 1).and_then(Value::as_f64)),
                    _ => (String::new(), None),
                };
                let price = price.ok_or_else(|| RpcError::invalid_params("usage: fulcrum_setPrice [symbol, price]"))?;
                let f = self
                    .prices
                    .set_price(chain, &symbol, price)
                    .await
                    .map_err(|e| RpcError::invalid_params(e.to_string()))?;
                Ok(json!({ "symbol": f.symbol, "oracle": f.key.to_string(), "price": f.price, "slot": chain.slot() }))
            }
            "fulcrum_getPrices" => {
                let feeds = self.prices.feeds().await;
                Ok(Value::Array(
                    feeds
                        .iter()
                        .map(|f| json!({ "symbol": f.symbol, "oracle": f.key.to_string(), "price": f.price }))
                        .collect(),
                ))
            }
            "fulcrum_getBootstrap" => Ok(self.bootstrap.read().await.clone().unwrap_or(Value::Null)),
            m if SUBSCRIPTIONS.contains(&m) || m.ends_with("Unsubscribe") => {
                Err(RpcError::new(-32601, "Method not found"))
            }
            _ => Err(RpcError::new(-32601, "Method not found")),
        }
    }
}
