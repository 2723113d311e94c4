//! The PubSub WebSocket API: signatureSubscribe, accountSubscribe, programSubscribe,
//! slotSubscribe, logsSubscribe (and their unsubscribes). Other requests on the socket are answered like HTTP.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use solana_sdk::{pubkey::Pubkey, signature::Signature};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::tungstenite::Message;

use crate::chain::Notice;
use crate::rpc::{account_json, filters_match, tx_err_json, AccountEncoding, Rpc, RpcError};

static NEXT_SUB: AtomicU64 = AtomicU64::new(1);

enum Sub {
    Account(Pubkey, AccountEncoding),
    Program(Pubkey, AccountEncoding, Vec<Value>),
    Signature(Signature),
    Slot,
    /// Logs of every transaction (`None`: "all" / "allWithVotes") or of those mentioning a key.
    Logs(Option<Pubkey>),
}

impl Sub {
    fn kind(&self) -> &'static str {
        match self {
            Sub::Account(..) => "account",
            Sub::Program(..) => "program",
            Sub::Signature(_) => "signature",
            Sub::Slot => "slot",
            Sub::Logs(_) => "logs",
        }
    }
}

fn notification(method: &str, sub: u64, result: Value) -> Message {
    Message::text(
        json!({ "jsonrpc": "2.0", "method": method, "params": { "result": result, "subscription": sub } }).to_string(),
    )
}

fn ctx(slot: u64, value: Value) -> Value {
    json!({ "context": { "slot": slot }, "value": value })
}

/// Accepts WebSocket connections on `listener` until the process ends.
pub async fn serve(listener: TcpListener, rpc: Arc<Rpc>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let rpc = rpc.clone();
        tokio::spawn(async move {
            if let Err(e) = connection(stream, rpc).await {
                eprintln!("localnet: websocket: {e}");
            }
        });
    }
}

async fn connection(stream: TcpStream, rpc: Arc<Rpc>) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let ws = tokio_tungstenite::accept_async(stream).await?;
    let (mut tx, mut rx) = ws.split();
    let mut events = rpc.chain.subscribe();
    let mut subs: HashMap<u64, Sub> = HashMap::new();
    loop {
        tokio::select! {
            msg = rx.next() => {
                let Some(msg) = msg else { return Ok(()) };
                let text = match msg? {
                    Message::Text(t) => t.to_string(),
                    Message::Binary(b) => String::from_utf8_lossy(&b).to_string(),
                    Message::Ping(p) => { tx.send(Message::Pong(p)).await?; continue }
                    Message::Close(_) => return Ok(()),
                    _ => continue,
                };
                let req: Value = match serde_json::from_str(&text) {
                    Ok(v) => v,
                    Err(_) => {
                        let e = json!({ "jsonrpc": "2.0", "error": RpcError::new(-32700, "Parse error").to_json(), "id": null });
                        tx.send(Message::text(e.to_string())).await?;
                        continue;
                    }
                };
                let (reply, immediate) = handle(&rpc, &req, &mut subs).await;
                if let Some(r) = reply {
                    tx.send(Message::text(r.to_string())).await?;
                }
                for m in immediate {
                    tx.send(m).await?;
                }
            }
            ev = events.recv() => {
                let ev = match ev {
                    Ok(ev) => ev,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return Ok(()),
                };
                for m in matches(&ev, &mut subs) {
                    tx.send(m).await?;
                }
            }
        }
    }
}

/// Notifications `ev` triggers; signature subscriptions end with their notification.
fn matches(ev: &Notice, subs: &mut HashMap<u64, Sub>) -> Vec<Message> {
    let mut out = vec![];
    let mut done = vec![];
    for (id, sub) in subs.iter() {
        match (sub, ev) {
            (Sub::Slot, Notice::Slot { slot }) => {
                out.push(notification(
                    "slotNotification",
                    *id,
                    json!({ "parent": slot.saturating_sub(1), "root": slot.saturating_sub(1), "slot": slot }),
                ));
            }
            (Sub::Account(key, enc), Notice::Account { key: k, account, slot }) if key == k => {
                let value = match account {
                    Some(a) => account_json(a, enc),
                    None => {
                        json!({ "data": ["", "base64"], "executable": false, "lamports": 0, "owner": "11111111111111111111111111111111", "rentEpoch": 0, "space": 0 })
                    }
                };
                out.push(notification("accountNotification", *id, ctx(*slot, value)));
            }
            (Sub::Program(program, enc, filters), Notice::Account { key, account: Some(a), slot })
                if a.owner == *program && filters_match(a, filters).unwrap_or(false) =>
            {
                let value = json!({ "pubkey": key.to_string(), "account": account_json(a, enc) });
                out.push(notification("programNotification", *id, ctx(*slot, value)));
            }
            (Sub::Logs(mention), Notice::Logs { signature, err, logs, keys, slot })
                if mention.is_none_or(|m| keys.contains(&m)) =>
            {
                let value = json!({ "signature": signature.to_string(), "err": tx_err_json(err), "logs": logs });
                out.push(notification("logsNotification", *id, ctx(*slot, value)));
            }
            (Sub::Signature(s), Notice::Signature { signature, err, slot }) if s == signature => {
                out.push(notification("signatureNotification", *id, ctx(*slot, json!({ "err": tx_err_json(err) }))));
                done.push(*id);
            }
            _ => {}
        }
    }
    for id in done {
        subs.remove(&id);
    }
    out
}

/// The filter of `logsSubscribe`: "all", "allWithVotes" (no votes here) or `{"mentions": [key]}`
/// with exactly one key, as a validator accepts.
fn logs_filter(filter: Option<&Value>) -> Result<Option<Pubkey>, RpcError> {
    match filter {
        Some(Value::String(s)) if s == "all" || s == "allWithVotes" => Ok(None),
        Some(Value::Object(o)) => match o.get("mentions").and_then(Value::as_array).map(Vec::as_slice) {
            Some([Value::String(k)]) => Pubkey::from_str(k)
                .map(Some)
                .map_err(|_| RpcError::invalid_params(format!("Invalid Request: Invalid pubkey provided: {k}"))),
            Some(_) => Err(RpcError::invalid_params("Invalid Request: Only 1 address supported")),
            None => Err(RpcError::invalid_params("Invalid Request: expected {\"mentions\": [address]}")),
        },
        _ => Err(RpcError::invalid_params(
            "Invalid Request: filter must be \"all\", \"allWithVotes\" or {\"mentions\": [address]}",
        )),
    }
}

async fn handle(rpc: &Rpc, req: &Value, subs: &mut HashMap<u64, Sub>) -> (Option<Value>, Vec<Message>) {
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let method = req.get("method").and_then(Value::as_str).unwrap_or_default();
    let params = req.get("params").cloned().unwrap_or_else(|| json!([]));
    let p0 = params.get(0).and_then(Value::as_str).unwrap_or_default();
    let cfg = params.get(1).filter(|v| v.is_object()).cloned().unwrap_or_else(|| json!({}));
    let ok = |v: Value| Some(json!({ "jsonrpc": "2.0", "result": v, "id": id }));
    let fail = |e: RpcError| Some(json!({ "jsonrpc": "2.0", "error": e.to_json(), "id": id }));
    let new_id = || NEXT_SUB.fetch_add(1, Ordering::SeqCst);
    let mut immediate = vec![];
    let reply = match method {
        "slotSubscribe" => {
            let sid = new_id();
            subs.insert(sid, Sub::Slot);
            ok(json!(sid))
        }
        "accountSubscribe" => match (Pubkey::from_str(p0), AccountEncoding::from_config(&cfg, "base58")) {
            (Ok(key), Ok(enc)) => {
                let sid = new_id();
                subs.insert(sid, Sub::Account(key, enc));
                ok(json!(sid))
            }
            (Err(_), _) => fail(RpcError::invalid_params(format!("Invalid Request: Invalid pubkey provided: {p0}"))),
            (_, Err(e)) => fail(e),
        },
        "programSubscribe" => match (Pubkey::from_str(p0), AccountEncoding::from_config(&cfg, "base58")) {
            (Ok(key), Ok(enc)) => {
                let filters = cfg.get("filters").and_then(Value::as_array).cloned().unwrap_or_default();
                let sid = new_id();
                subs.insert(sid, Sub::Program(key, enc, filters));
                ok(json!(sid))
            }
            (Err(_), _) => fail(RpcError::invalid_params(format!("Invalid Request: Invalid pubkey provided: {p0}"))),
            (_, Err(e)) => fail(e),
        },
        "logsSubscribe" => match logs_filter(params.get(0)) {
            Ok(mention) => {
                let sid = new_id();
                subs.insert(sid, Sub::Logs(mention));
                ok(json!(sid))
            }
            Err(e) => fail(e),
        },
        "signatureSubscribe" => match Signature::from_str(p0) {
            Ok(sig) => {
                let sid = new_id();
                // Already processed: notify at once (the subscription then ends).
                if let Some(rec) = rpc.chain.transaction(&sig).await {
                    immediate.push(notification(
                        "signatureNotification",
                        sid,
                        ctx(rec.slot, json!({ "err": tx_err_json(&rec.err) })),
                    ));
                } else {
                    subs.insert(sid, Sub::Signature(sig));
                }
                ok(json!(sid))
            }
            Err(_) => fail(RpcError::invalid_params(format!("Invalid Request: Invalid signature provided: {p0}"))),
        },
        m if m.ends_with("Unsubscribe") => {
            let kind = m.trim_end_matches("Unsubscribe");
            let sid = params.get(0).and_then(Value::as_u64).unwrap_or(0);
            match subs.get(&sid) {
                Some(s) if s.kind() == kind => {
                    subs.remove(&sid);
                    ok(json!(true))
                }
                // A signature subscription that already fired is gone: not an error for clients.
                None if kind == "signature" => ok(json!(true)),
                _ => fail(RpcError::invalid_params("Invalid subscription id.")),
            }
        }
        _ => rpc.handle(req).await,
    };
    (reply, immediate)
}
