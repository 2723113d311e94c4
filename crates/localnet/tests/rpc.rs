//! Every RPC method the local chain serves, called once against the running binary, with
//! checks of the response shapes of the real Solana API.
#![allow(deprecated)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use solana_sdk::{
    hash::Hash,
    instruction::Instruction,
    message::Message,
    signature::{Keypair, Signer},
    transaction::Transaction,
};
use tokio_tungstenite::tungstenite::Message as WsMessage;

struct Localnet {
    child: Child,
    port: u16,
}

impl Drop for Localnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port `p` with `p + 1` free too.
fn free_ports() -> u16 {
    for _ in 0..50 {
        let Ok(a) = TcpListener::bind("127.0.0.1:0") else { continue };
        let Ok(addr) = a.local_addr() else { continue };
        let p = addr.port();
        if p < u16::MAX && TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
    panic!("no free port pair");
}

fn start() -> Localnet {
    let port = free_ports();
    let out = std::env::temp_dir().join(format!("fulcrum-localnet-test-{port}.json"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_fulcrum-localnet"))
        .args(["--rpc-port", &port.to_string(), "--bootstrap", "demo", "--bootstrap-out"])
        .arg(&out)
        .args(["--slot-ms", "100"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn fulcrum-localnet");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "localnet did not start");
        match lines.next() {
            Some(Ok(l)) if l.contains("localnet: ready") => break,
            Some(Ok(_)) => continue,
            _ => panic!("localnet exited before it was ready"),
        }
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Localnet { child, port }
}

fn post(port: u16, body: &Value) -> Value {
    let body = body.to_string();
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        body
    )
    .expect("write");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let (head, body) = resp.split_once("\r\n\r\n").expect("http response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_str(body).expect("json body")
}

fn call(port: u16, method: &str, params: Value) -> Value {
    let r = post(port, &json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params }));
    assert_eq!(r["jsonrpc"], "2.0");
    assert_eq!(r["id"], 7);
    assert!(r.get("error").is_none(), "{method}: {r}");
    r["result"].clone()
}

fn with_context(v: &Value) -> &Value {
    assert!(v["context"]["slot"].is_u64(), "context.slot: {v}");
    &v["value"]
}

fn account_shape(a: &Value) {
    assert_eq!(a["data"][1], "base64", "{a}");
    assert!(a["data"][0].is_string());
    assert!(a["lamports"].is_u64());
    assert!(a["owner"].is_string());
    assert!(a["executable"].is_boolean());
    assert!(a["rentEpoch"].is_u64());
    assert!(a["space"].is_u64());
}

/// A transaction of `ixs` signed by `signers` (the first pays) at `blockhash`.
fn signed(signers: &[&Keypair], ixs: &[Instruction], blockhash: Hash) -> Transaction {
    Transaction::new(signers, Message::new_with_blockhash(ixs, Some(&signers[0].pubkey()), &blockhash), blockhash)
}

/// The chain's latest blockhash (`getLatestBlockhash`).
fn latest_blockhash(port: u16) -> Hash {
    with_context(&call(port, "getLatestBlockhash", json!([])))["blockhash"]
        .as_str()
        .expect("blockhash")
        .parse()
        .expect("hash")
}

fn b64(tx: &Transaction) -> String {
    base64::engine::general_purpose::STANDARD.encode(bincode::serialize(tx).expect("serialize"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_once() {
    let net = start();
    let port = net.port;
    let deployment = call(port, "fulcrum_getBootstrap", json!([]));
    let program = deployment["programId"].as_str().expect("programId").to_string();
    let exchange = deployment["exchange"].as_str().expect("exchange").to_string();

    assert_eq!(call(port, "getHealth", json!([])), "ok");
    assert!(call(port, "getVersion", json!([]))["solana-core"].is_string());
    assert!(call(port, "getGenesisHash", json!([])).is_string());
    let s1 = call(port, "getSlot", json!([])).as_u64().expect("slot");
    assert!(call(port, "getBlockHeight", json!([])).is_u64());
    let epoch = call(port, "getEpochInfo", json!([]));
    for k in ["absoluteSlot", "blockHeight", "epoch", "slotIndex", "slotsInEpoch"] {
        assert!(epoch[k].is_u64(), "getEpochInfo.{k}: {epoch}");
    }
    assert!(call(port, "getMinimumBalanceForRentExemption", json!([165])).as_u64().expect("rent") > 0);

    let bh = call(port, "getLatestBlockhash", json!([{ "commitment": "confirmed" }]));
    let v = with_context(&bh);
    let blockhash: Hash = v["blockhash"].as_str().expect("blockhash").parse().expect("hash");
    assert!(v["lastValidBlockHeight"].is_u64());
    assert_eq!(*with_context(&call(port, "isBlockhashValid", json!([blockhash.to_string()]))), json!(true));

    // Airdrop, balance.
    let payer = Keypair::new();
    let sig = call(port, "requestAirdrop", json!([payer.pubkey().to_string(), 2_000_000_000u64]));
    assert!(sig.is_string());
    assert_eq!(*with_context(&call(port, "getBalance", json!([payer.pubkey().to_string()]))), json!(2_000_000_000u64));

    // Fee, simulation, sending.
    let to = Keypair::new().pubkey();
    let ix = solana_system_interface::instruction::transfer(&payer.pubkey(), &to, 1_000_000);
    let msg = Message::new_with_blockhash(&[ix], Some(&payer.pubkey()), &blockhash);
    let msg_b64 = base64::engine::general_purpose::STANDARD.encode(msg.serialize());
    assert_eq!(*with_context(&call(port, "getFeeForMessage", json!([msg_b64]))), json!(5000));
    let tx = Transaction::new(&[&payer], msg, blockhash);
    let sim = call(port, "simulateTransaction", json!([b64(&tx), { "encoding": "base64" }]));
    let sv = with_context(&sim);
    assert!(sv["err"].is_null(), "{sim}");
    assert!(sv["logs"].is_array());
    assert!(sv["unitsConsumed"].is_u64());
    let sig = call(port, "sendTransaction", json!([b64(&tx), { "encoding": "base64" }]));
    let sig = sig.as_str().expect("signature").to_string();
    assert_eq!(sig, tx.signatures[0].to_string());
    let st = call(port, "getSignatureStatuses", json!([[sig.clone()], { "searchTransactionHistory": true }]));
    let s0 = &with_context(&st)[0];
    assert!(s0["slot"].is_u64());
    assert!(s0["err"].is_null());
    assert_eq!(s0["confirmationStatus"], "finalized");
    assert_eq!(s0["status"], json!({ "Ok": null }));
    let got = call(port, "getTransaction", json!([sig, { "encoding": "json", "maxSupportedTransactionVersion": 0 }]));
    assert!(got["slot"].is_u64());
    assert!(got["meta"]["logMessages"].is_array());
    assert_eq!(got["meta"]["fee"], 5000);
    assert_eq!(got["transaction"]["signatures"][0], sig);
    assert!(got["transaction"]["message"]["accountKeys"].is_array());
    assert_eq!(got["version"], "legacy");

    // Failed preflight: the real error object.
    let bad = signed(
        &[&payer],
        &[solana_system_interface::instruction::transfer(&payer.pubkey(), &to, 1_000_000_000_000)],
        blockhash,
    );
    let r = post(
        port,
        &json!({ "jsonrpc": "2.0", "id": 1, "method": "sendTransaction", "params": [b64(&bad), { "encoding": "base64" }] }),
    );
    assert_eq!(r["error"]["code"], -32002, "{r}");
    assert!(r["error"]["data"]["err"]["InstructionError"].is_array(), "{r}");
    assert!(r["error"]["data"]["logs"].is_array());

    // Accounts.
    let info = call(port, "getAccountInfo", json!([exchange.clone(), { "encoding": "base64" }]));
    account_shape(with_context(&info));
    assert!(with_context(&call(
        port,
        "getAccountInfo",
        json!([Keypair::new().pubkey().to_string(), { "encoding": "base64" }])
    ))
    .is_null());
    let multi =
        call(port, "getMultipleAccounts", json!([[exchange.clone(), to.to_string()], { "encoding": "base64" }]));
    let mv = with_context(&multi).as_array().expect("array").clone();
    account_shape(&mv[0]);
    account_shape(&mv[1]);
    let all = call(port, "getProgramAccounts", json!([program.clone(), { "encoding": "base64" }]));
    assert!(all.as_array().expect("array").len() >= 8, "{all}");
    account_shape(&all[0]["account"]);
    let markets = call(
        port,
        "getProgramAccounts",
        json!([program.clone(), { "encoding": "base64", "withContext": true,
            "filters": [{ "dataSize": fulcrum::state::PerpMarket::SIZE }, { "memcmp": { "offset": 8, "bytes": exchange.clone() } }] }]),
    );
    assert_eq!(with_context(&markets).as_array().expect("array").len(), 3, "{markets}");

    // Local-only price control.
    let set = call(port, "fulcrum_setPrice", json!(["SOL", 99.5]));
    assert_eq!(set["symbol"], "SOL");

    // Unknown method.
    let r = post(port, &json!({ "jsonrpc": "2.0", "id": 1, "method": "getNothing", "params": [] }));
    assert_eq!(r["error"]["code"], -32601);
    assert_eq!(r["error"]["message"], "Method not found");

    // WebSocket subscriptions.
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{}", port + 1)).await.expect("ws connect");
    let oracle = deployment["oracles"]["SOL"]["address"].as_str().expect("oracle").to_string();
    let requests = [
        json!({ "jsonrpc": "2.0", "id": 1, "method": "slotSubscribe" }),
        json!({ "jsonrpc": "2.0", "id": 2, "method": "accountSubscribe", "params": [oracle, { "encoding": "base64" }] }),
        json!({ "jsonrpc": "2.0", "id": 3, "method": "programSubscribe", "params": [deployment["oracles"]["SOL"]["format"].as_str().map(|_| "rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ"), { "encoding": "base64" }] }),
    ];
    for r in &requests {
        ws.send(WsMessage::text(r.to_string())).await.expect("send");
    }
    let mut subscribed = 0;
    let mut seen = std::collections::HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut sig_sent = false;
    while seen.len() < 4 {
        assert!(Instant::now() < deadline, "notifications missing: saw {seen:?}");
        if subscribed == 3 && !sig_sent {
            // Price move → account + program notifications; a transfer → signature notification.
            call(port, "fulcrum_setPrice", json!(["SOL", 101.25]));
            let bh = latest_blockhash(port);
            let tx = signed(&[&payer], &[solana_system_interface::instruction::transfer(&payer.pubkey(), &to, 7)], bh);
            ws.send(WsMessage::text(json!({ "jsonrpc": "2.0", "id": 4, "method": "signatureSubscribe", "params": [tx.signatures[0].to_string()] }).to_string())).await.expect("send");
            tokio::time::sleep(Duration::from_millis(50)).await;
            call(port, "sendTransaction", json!([b64(&tx), { "encoding": "base64" }]));
            sig_sent = true;
        }
        let v = next_json(&mut ws).await;
        if v.get("id").is_some() {
            assert!(v["result"].is_u64(), "subscription id: {v}");
            subscribed += 1;
            continue;
        }
        let method = v["method"].as_str().expect("method").to_string();
        let result = &v["params"]["result"];
        assert!(v["params"]["subscription"].is_u64());
        match method.as_str() {
            "slotNotification" => {
                assert!(result["slot"].is_u64() && result["parent"].is_u64() && result["root"].is_u64())
            }
            "accountNotification" => account_shape(with_context(result)),
            "programNotification" => {
                let pv = with_context(result);
                assert!(pv["pubkey"].is_string());
                account_shape(&pv["account"]);
            }
            "signatureNotification" => assert!(with_context(result)["err"].is_null()),
            other => panic!("unexpected notification {other}"),
        }
        seen.insert(method);
    }
    let s2 = call(port, "getSlot", json!([])).as_u64().expect("slot");
    assert!(s2 > s1, "slots advance on the timer");
}

/// What ordinary clients call besides the above: a blockhash older than the bank's ~1 s still
/// accepted (valid 150 slots), token accounts, signatures for an address, prioritization fees,
/// logsSubscribe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_methods() {
    let net = start();
    let port = net.port;
    let deployment = call(port, "fulcrum_getBootstrap", json!([]));
    let payer = Keypair::new();
    call(port, "requestAirdrop", json!([payer.pubkey().to_string(), 2_000_000_000u64]));
    let to = Keypair::new().pubkey();

    // A blockhash fetched 2.5 s (25 slots of 100 ms) before signing.
    let bh = call(port, "getLatestBlockhash", json!([]));
    let v = with_context(&bh);
    let blockhash: Hash = v["blockhash"].as_str().expect("blockhash").parse().expect("hash");
    let last_valid = v["lastValidBlockHeight"].as_u64().expect("lastValidBlockHeight");
    assert_eq!(last_valid, bh["context"]["slot"].as_u64().expect("slot") + 150);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(*with_context(&call(port, "isBlockhashValid", json!([blockhash.to_string()]))), json!(true));
    let ixs = [
        solana_compute_budget_interface::ComputeBudgetInstruction::set_compute_unit_price(777),
        solana_system_interface::instruction::transfer(&payer.pubkey(), &to, 1_000_000),
    ];
    let tx = signed(&[&payer], &ixs, blockhash);

    // logsSubscribe (mentions) before sending.
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{}", port + 1)).await.expect("ws connect");
    let sub = json!({ "jsonrpc": "2.0", "id": 1, "method": "logsSubscribe", "params": [{ "mentions": [to.to_string()] }, { "commitment": "confirmed" }] });
    ws.send(WsMessage::text(sub.to_string())).await.expect("send");
    let bad = json!({ "jsonrpc": "2.0", "id": 2, "method": "logsSubscribe", "params": [{ "mentions": [to.to_string(), to.to_string()] }] });
    ws.send(WsMessage::text(bad.to_string())).await.expect("send");
    let mut replies = 0;
    while replies < 2 {
        let r = next_json(&mut ws).await;
        match r["id"].as_u64() {
            Some(1) => assert!(r["result"].is_u64(), "{r}"),
            Some(2) => assert_eq!(r["error"]["message"], "Invalid Request: Only 1 address supported", "{r}"),
            _ => continue,
        }
        replies += 1;
    }
    let sig = call(port, "sendTransaction", json!([b64(&tx), { "encoding": "base64" }]));
    let sig = sig.as_str().expect("signature").to_string();
    let status = call(port, "getSignatureStatuses", json!([[sig.clone()]]));
    assert!(with_context(&status)[0]["err"].is_null(), "{status}");
    loop {
        let n = next_json(&mut ws).await;
        if n["method"] != "logsNotification" {
            continue;
        }
        let value = with_context(&n["params"]["result"]);
        assert_eq!(value["signature"], sig);
        assert!(value["err"].is_null());
        assert!(value["logs"]
            .as_array()
            .expect("logs")
            .iter()
            .any(|l| l == "Program 11111111111111111111111111111111 success"));
        break;
    }

    // Signatures for the address, newest first.
    let sigs = call(port, "getSignaturesForAddress", json!([to.to_string(), { "limit": 10 }]));
    assert_eq!(sigs.as_array().expect("array").len(), 1, "{sigs}");
    assert_eq!(sigs[0]["signature"], sig);
    assert!(
        sigs[0]["slot"].is_u64()
            && sigs[0]["blockTime"].is_i64()
            && sigs[0]["memo"].is_null()
            && sigs[0]["err"].is_null()
    );

    // Prioritization fees: the price paid for `to`, in the transaction's slot.
    let slot = with_context(&status)[0]["slot"].as_u64().expect("slot");
    let fees = call(port, "getRecentPrioritizationFees", json!([[to.to_string()]]));
    let at: Vec<&Value> = fees.as_array().expect("array").iter().filter(|f| f["slot"] == slot).collect();
    assert_eq!(at.len(), 1, "{fees}");
    assert_eq!(at[0]["prioritizationFee"], 777);

    // Token accounts of the faucet (the local chain's LP provider): its quote and LP-share accounts.
    let secret: Vec<u8> =
        serde_json::from_value(deployment["localOnly"]["faucetSecretKey"].clone()).expect("faucet key");
    let faucet = solana_sdk::pubkey::Pubkey::try_from(&secret[32..]).expect("faucet pubkey");
    let token_program = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
    let parsed = call(
        port,
        "getTokenAccountsByOwner",
        json!([faucet.to_string(), { "programId": token_program }, { "encoding": "jsonParsed" }]),
    );
    let accounts = with_context(&parsed).as_array().expect("array").clone();
    assert_eq!(accounts.len(), 2, "{parsed}");
    for a in &accounts {
        let data = &a["account"]["data"];
        assert_eq!(data["program"], "spl-token");
        assert_eq!(data["parsed"]["type"], "account");
        assert_eq!(data["parsed"]["info"]["owner"], faucet.to_string());
        assert!(data["parsed"]["info"]["tokenAmount"]["amount"].is_string());
    }
    let quote = deployment["quoteMint"].as_str().expect("quoteMint");
    let by_mint =
        call(port, "getTokenAccountsByOwner", json!([faucet.to_string(), { "mint": quote }, { "encoding": "base64" }]));
    let by_mint = with_context(&by_mint).as_array().expect("array").clone();
    assert_eq!(by_mint.len(), 1);
    account_shape(&by_mint[0]["account"]);
    let balance = call(port, "getTokenAccountBalance", json!([by_mint[0]["pubkey"].clone()]));
    let b = with_context(&balance);
    assert_eq!(b["decimals"], 6);
    assert!(b["amount"].is_string() && b["uiAmountString"].is_string() && b["uiAmount"].is_number(), "{balance}");
}

/// The `Program <id> invoke [n]` / `Program <id> success` lines of `logs`, in order.
fn invocation_lines(logs: &Value) -> Vec<String> {
    logs.as_array()
        .expect("logs")
        .iter()
        .filter_map(Value::as_str)
        .filter(|l| l.starts_with("Program ") && (l.contains(" invoke [") || l.ends_with(" success")))
        .map(str::to_string)
        .collect()
}

/// A three-instruction transaction (SPL Token mint_to, then two Fulcrum insurance deposits, each
/// a CPI into SPL Token) is logged as a validator logs it, by simulateTransaction,
/// getTransaction and logsSubscribe alike: one invoke [1] / success pair per instruction, the
/// CPIs at depth 2 inside their caller's pair, no doubled lines. And getTokenSupply answers the
/// quote mint's supply in the validator's shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_instruction_logs_and_token_supply() {
    use anchor_lang::{InstructionData, ToAccountMetas};
    use solana_sdk::pubkey::Pubkey;

    let net = start();
    let port = net.port;
    let d = call(port, "fulcrum_getBootstrap", json!([]));
    let key = |v: &Value| -> Pubkey { v.as_str().expect("address").parse().expect("pubkey") };
    let (program, exchange, pool, quote_mint) =
        (key(&d["programId"]), key(&d["exchange"]), key(&d["pool"]), key(&d["quoteMint"]));
    let (quote_bank, quote_vault) = (key(&d["banks"][0]["address"]), key(&d["banks"][0]["vault"]));
    let secret: Vec<u8> = serde_json::from_value(d["localOnly"]["faucetSecretKey"].clone()).expect("faucet key");
    let faucet = Keypair::try_from(&secret[..]).expect("faucet keypair");
    let payer = Keypair::new();
    call(port, "requestAirdrop", json!([payer.pubkey().to_string(), 1_000_000_000u64]));
    let held = call(
        port,
        "getTokenAccountsByOwner",
        json!([faucet.pubkey().to_string(), { "mint": quote_mint.to_string() }, { "encoding": "base64" }]),
    );
    let source = key(&with_context(&held)[0]["pubkey"]);

    let supply = call(port, "getTokenSupply", json!([quote_mint.to_string()]));
    let before = with_context(&supply).clone();
    assert_eq!(before["decimals"], 6, "{supply}");
    assert!(before["uiAmount"].is_number() && before["uiAmountString"].is_string(), "{supply}");
    let before: u64 = before["amount"].as_str().expect("amount").parse().expect("u64");

    let token = anchor_spl::token::spl_token::ID;
    let mint = anchor_spl::token::spl_token::instruction::mint_to(
        &token,
        &quote_mint,
        &source,
        &faucet.pubkey(),
        &[],
        7_000_000,
    )
    .expect("mint_to");
    let insurance = |amount: u64| Instruction {
        program_id: program,
        accounts: fulcrum::accounts::InsuranceDeposit {
            exchange,
            pool,
            quote: fulcrum::accounts::QuoteVault { bank: quote_bank, vault: quote_vault },
            source,
            depositor: faucet.pubkey(),
            token_program: token,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::InsuranceDeposit { amount }.data(),
    };
    let blockhash = latest_blockhash(port);
    let tx = signed(&[&payer, &faucet], &[mint, insurance(3_000_000), insurance(4_000_000)], blockhash);
    let (p, t) = (program.to_string(), token.to_string());
    let want: Vec<String> = [
        format!("Program {t} invoke [1]"),
        format!("Program {t} success"),
        format!("Program {p} invoke [1]"),
        format!("Program {t} invoke [2]"),
        format!("Program {t} success"),
        format!("Program {p} success"),
        format!("Program {p} invoke [1]"),
        format!("Program {t} invoke [2]"),
        format!("Program {t} success"),
        format!("Program {p} success"),
    ]
    .to_vec();

    let sim = call(port, "simulateTransaction", json!([b64(&tx), { "encoding": "base64" }]));
    assert!(with_context(&sim)["err"].is_null(), "{sim}");
    assert_eq!(invocation_lines(&with_context(&sim)["logs"]), want, "simulateTransaction: {sim}");

    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{}", port + 1)).await.expect("ws connect");
    let sub = json!({ "jsonrpc": "2.0", "id": 1, "method": "logsSubscribe", "params": [{ "mentions": [p.clone()] }] });
    ws.send(WsMessage::text(sub.to_string())).await.expect("send");
    loop {
        let r = next_json(&mut ws).await;
        if r["id"] == 1 {
            assert!(r["result"].is_u64(), "{r}");
            break;
        }
    }
    let sig = call(port, "sendTransaction", json!([b64(&tx), { "encoding": "base64" }]));
    let got = call(port, "getTransaction", json!([sig.clone(), { "encoding": "json" }]));
    assert!(got["meta"]["err"].is_null(), "{got}");
    let logs = got["meta"]["logMessages"].clone();
    assert_eq!(invocation_lines(&logs), want, "getTransaction: {got}");
    // The whole log equals the simulation's, line for line (compute figures aside, none here).
    assert_eq!(logs, with_context(&sim)["logs"]);
    // Program logs sit inside their program's pair: "Instruction: MintTo" before the first
    // Fulcrum invoke, each deposit's event (`Program data:`) after its transfer and before its
    // Fulcrum success.
    let texts: Vec<&str> = logs.as_array().expect("logs").iter().filter_map(Value::as_str).collect();
    let at = |needle: &str, from: usize| texts.iter().skip(from).position(|l| *l == needle).map(|i| i + from);
    let first = at(&format!("Program {p} invoke [1]"), 0).expect("first Fulcrum invoke");
    assert!(at("Program log: Instruction: MintTo", 0).expect("MintTo") < first);
    let mut from = first;
    for _ in 0..2 {
        let open = at(&format!("Program {p} invoke [1]"), from).expect("Fulcrum invoke");
        let transfer = at("Program log: Instruction: Transfer", open).expect("transfer");
        let close = at(&format!("Program {p} success"), open).expect("Fulcrum success");
        let event = texts.iter().skip(open).position(|l| l.starts_with("Program data: ")).map(|i| i + open);
        assert!(transfer < close && event.is_some_and(|e| transfer < e && e < close), "{logs}");
        from = close;
    }
    loop {
        let n = next_json(&mut ws).await;
        if n["method"] == "logsNotification" && n["params"]["result"]["value"]["signature"] == sig {
            assert_eq!(n["params"]["result"]["value"]["logs"], logs, "logsNotification");
            break;
        }
    }

    // getTokenSupply: 7 more minted (the deposits only move tokens).
    let after = call(port, "getTokenSupply", json!([quote_mint.to_string()]));
    let v = with_context(&after);
    assert_eq!(v["amount"], (before + 7_000_000).to_string(), "{after}");
    assert_eq!(v["decimals"], 6);
    assert_eq!(v["uiAmountString"], token_ui(before + 7_000_000, 6));
    assert_eq!(v["uiAmount"].as_f64(), Some((before + 7_000_000) as f64 / 1e6));
    // Not a mint: the validator's errors.
    for (account, message) in [
        (payer.pubkey(), "Invalid param: not a Token mint"),
        (source, "Invalid param: mint could not be unpacked"),
        (Keypair::new().pubkey(), "Invalid param: could not find account"),
    ] {
        let r = post(
            port,
            &json!({ "jsonrpc": "2.0", "id": 1, "method": "getTokenSupply", "params": [account.to_string()] }),
        );
        assert_eq!(r["error"]["code"], -32602, "{r}");
        assert_eq!(r["error"]["message"], message, "{r}");
    }
}

/// The next text message of a WebSocket as JSON (10 s at most).
async fn next_json<S>(ws: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<WsMessage, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("ws timeout")
            .expect("ws open")
            .expect("ws message");
        if let WsMessage::Text(text) = msg {
            return serde_json::from_str(&text).expect("json");
        }
    }
}

/// `amount` with `decimals` as the API's `uiAmountString` (no trailing zeros).
fn token_ui(amount: u64, decimals: u32) -> String {
    let unit = 10u64.pow(decimals);
    let (whole, frac) = (amount / unit, amount % unit);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:0width$}", width = decimals as usize);
    format!("{whole}.{}", frac.trim_end_matches('0'))
}
