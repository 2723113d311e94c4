//! `fulcrum-localnet`: a local Solana chain for Fulcrum's TypeScript SDK, keeper and CLI.
//!
//! The in-process bank of `solana-program-test` with the Fulcrum program (native), SPL Token and
//! Pyth price accounts, behind the Solana JSON-RPC 2.0 API on HTTP (`--rpc-port`, default 8899)
//! and the PubSub WebSocket API (port + 1), on 127.0.0.1 unless `--bind-address` says otherwise.
//! Slots advance on a timer. One process, no persistence; SIGINT/SIGTERM stop it.
#![allow(deprecated)] // program-test 3.1 marks its API deprecated

mod bootstrap;
mod chain;
mod oracle;
mod rpc;
mod token;
mod ws;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use solana_sdk::signature::Signer;
use tokio::net::TcpListener;

use crate::chain::{BoxError, Chain};
use crate::oracle::{PriceBook, PriceMode};
use crate::rpc::Rpc;

const USAGE: &str = "fulcrum-localnet: a local Solana JSON-RPC chain with the Fulcrum program

USAGE: fulcrum-localnet [OPTIONS]

OPTIONS:
  --rpc-port N           JSON-RPC HTTP port; WebSocket on N+1 (default 8899)
  --bind-address IP      address to bind (default 127.0.0.1)
  --bootstrap demo       create the demo exchange (USDC quote; SOL/BTC/ETH banks and perps)
  --bootstrap-out PATH   where to write the deployment JSON (default: target/localnet/deployment.json)
  --prices MODE          static (default: only fulcrum_setPrice moves prices) or synthetic
                         (GBM with jumps, fixed seed)
  --seed N               seed of the synthetic prices (default 42)
  --slot-ms N            slot duration in milliseconds (default 400)
  --mock-pyth            run mock-pyth (programs/mock-pyth) at the Pyth program ids, as the local
                         validator of scripts/test-validator.sh does (its rehearsal on this chain)
  --methods              list the RPC methods served and exit
  -h, --help             this text

Local-only RPC methods: fulcrum_setPrice [symbol, price], fulcrum_getPrices, fulcrum_getBootstrap.";

struct Args {
    port: u16,
    bind: IpAddr,
    bootstrap: Option<String>,
    out: String,
    prices: PriceMode,
    seed: u64,
    slot_ms: u64,
    mock_pyth: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        port: 8899,
        bind: IpAddr::from([127, 0, 0, 1]),
        bootstrap: None,
        out: "target/localnet/deployment.json".into(),
        prices: PriceMode::Static,
        seed: 42,
        slot_ms: 400,
        mock_pyth: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--rpc-port" => a.port = value("--rpc-port")?.parse().map_err(|e| format!("--rpc-port: {e}"))?,
            "--bind-address" => {
                a.bind = value("--bind-address")?.parse().map_err(|e| format!("--bind-address: {e}"))?
            }
            "--bootstrap" => {
                let v = value("--bootstrap")?;
                if v != "demo" && v != "none" {
                    return Err(format!("--bootstrap: unknown profile '{v}' (demo, none)"));
                }
                a.bootstrap = Some(v).filter(|v| v == "demo");
            }
            "--bootstrap-out" => a.out = value("--bootstrap-out")?,
            "--prices" => {
                a.prices = match value("--prices")?.as_str() {
                    "static" => PriceMode::Static,
                    "synthetic" => PriceMode::Synthetic,
                    other => return Err(format!("--prices: unknown mode '{other}' (static, synthetic)")),
                }
            }
            "--seed" => a.seed = value("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--slot-ms" => a.slot_ms = value("--slot-ms")?.parse().map_err(|e| format!("--slot-ms: {e}"))?,
            "--mock-pyth" => a.mock_pyth = true,
            "--methods" => {
                println!("{}", rpc::METHODS.iter().chain(rpc::SUBSCRIPTIONS).copied().collect::<Vec<_>>().join("\n"));
                std::process::exit(0);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument '{other}'\n\n{USAGE}")),
        }
    }
    if a.port == u16::MAX {
        return Err("--rpc-port: the WebSocket port (N+1) must fit".into());
    }
    Ok(a)
}

async fn http(rpc: Arc<Rpc>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let json = |status: StatusCode, body: String| {
        let mut r = Response::new(Full::new(Bytes::from(body)));
        *r.status_mut() = status;
        r.headers_mut()
            .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
        r
    };
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/health") => Ok(Response::new(Full::new(Bytes::from_static(b"ok")))),
        (&Method::POST, _) => {
            let body = req.into_body().collect().await?.to_bytes();
            let out = rpc.handle_body(&body).await;
            Ok(json(StatusCode::OK, out.to_string()))
        }
        _ => Ok(json(StatusCode::METHOD_NOT_ALLOWED, "{\"error\":\"use POST with a JSON-RPC 2.0 body\"}".into())),
    }
}

async fn serve_http(listener: TcpListener, rpc: Arc<Rpc>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let rpc = rpc.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| http(rpc.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
        });
    }
}

async fn run(args: Args) -> Result<(), BoxError> {
    let http_addr = SocketAddr::new(args.bind, args.port);
    let ws_addr = SocketAddr::new(args.bind, args.port + 1);
    // Bind first: a taken port fails fast, before the bank starts.
    let http_listener = TcpListener::bind(http_addr).await.map_err(|e| format!("bind {http_addr}: {e}"))?;
    let ws_listener = TcpListener::bind(ws_addr).await.map_err(|e| format!("bind {ws_addr}: {e}"))?;
    let chain = Chain::start(args.mock_pyth).await?;
    let prices = PriceBook::new(args.seed);
    let rpc_url = format!("http://{http_addr}");
    let rpc = Arc::new(Rpc {
        chain: chain.clone(),
        prices: prices.clone(),
        bootstrap: tokio::sync::RwLock::new(None),
        identity: chain.payer().pubkey(),
    });

    // Slots on a timer.
    let ticker = chain.clone();
    let slot_ms = args.slot_ms.max(10);
    tokio::spawn(async move {
        let mut iv = tokio::time::interval(Duration::from_millis(slot_ms));
        iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            iv.tick().await;
            if let Err(e) = ticker.advance_slot().await {
                eprintln!("localnet: slot: {e}");
            }
        }
    });

    if args.bootstrap.is_some() {
        let deployment = bootstrap::demo(&chain, &prices, &rpc_url).await?;
        if let Some(dir) = std::path::Path::new(&args.out).parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&args.out, serde_json::to_string_pretty(&deployment)?)?;
        *rpc.bootstrap.write().await = Some(deployment);
        println!("localnet: demo exchange bootstrapped; deployment written to {}", args.out);
    }

    // The price feeder: one step a second (republish; move in synthetic mode).
    let (feeder_chain, feeder_prices, mode) = (chain.clone(), prices.clone(), args.prices);
    tokio::spawn(async move {
        let mut iv = tokio::time::interval(Duration::from_secs(1));
        iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            iv.tick().await;
            if let Err(e) = feeder_prices.step(&feeder_chain, mode, 1.0).await {
                eprintln!("localnet: prices: {e}");
            }
        }
    });

    tokio::spawn(serve_http(http_listener, rpc.clone()));
    tokio::spawn(ws::serve(ws_listener, rpc.clone()));
    println!(
        "localnet: JSON-RPC http://{http_addr}  WebSocket ws://{ws_addr}  (slot {} ms, prices {:?})",
        slot_ms, args.prices
    );
    println!("localnet: ready");

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    println!("localnet: shutting down");
    Ok(())
}

fn main() {
    // The bank logs every instruction at debug level; keep it quiet unless asked.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fulcrum-localnet: {e}");
            std::process::exit(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fulcrum-localnet: runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = match rt.block_on(run(args)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("fulcrum-localnet: {e}");
            1
        }
    };
    // Background tasks (bank, feeder, connections) end with the process.
    rt.shutdown_timeout(Duration::from_millis(200));
    std::process::exit(code);
}
