//! `--bootstrap demo`: an exchange with a USDC-like quote mint, SOL/BTC/ETH collateral banks and
//! perp markets on Pyth accounts, a seeded pool and insurance fund. The addresses (and the local
//! faucet key that mints the test tokens) are written to a JSON file the SDK reads, and served
//! by the local-only `fulcrum_getBootstrap` RPC method.

use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use fulcrum::instructions::{BankParams, ExchangeParams, MarketParams};
use fulcrum::seeds;
use serde_json::{json, Value};
use solana_sdk::{
    instruction::Instruction,
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};

use crate::chain::{BoxError, Chain};
use crate::oracle::{Feed, OracleFormat, PriceBook};

const USDC: u64 = 1_000_000;

fn pda(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &fulcrum::ID).0
}

/// One listed asset: collateral bank and perp market on one Pyth feed.
struct Asset {
    symbol: &'static str,
    decimals: u8,
    price: f64,
    sigma: f64,
    init_margin_ratio: u32,
    maint_margin_ratio: u32,
    step_size: u64,
    init_asset_weight: u32,
    maint_asset_weight: u32,
    format: OracleFormat,
}

const ASSETS: [Asset; 3] = [
    Asset {
        symbol: "SOL",
        decimals: 9,
        price: 150.0,
        sigma: 0.0009,
        init_margin_ratio: 100_000,
        maint_margin_ratio: 50_000,
        step_size: 1_000_000,
        init_asset_weight: 800_000,
        maint_asset_weight: 900_000,
        format: OracleFormat::Pull,
    },
    Asset {
        symbol: "BTC",
        decimals: 8,
        price: 65_000.0,
        sigma: 0.0005,
        init_margin_ratio: 50_000,
        maint_margin_ratio: 25_000,
        step_size: 10_000,
        init_asset_weight: 900_000,
        maint_asset_weight: 950_000,
        format: OracleFormat::Pull,
    },
    Asset {
        symbol: "ETH",
        decimals: 8,
        price: 3_000.0,
        sigma: 0.0007,
        init_margin_ratio: 100_000,
        maint_margin_ratio: 50_000,
        step_size: 100_000,
        init_asset_weight: 850_000,
        maint_asset_weight: 900_000,
        format: OracleFormat::Legacy,
    },
];

async fn create_mint(chain: &Chain, authority: &Pubkey, decimals: u8) -> Result<Pubkey, BoxError> {
    let mint = Keypair::new();
    let rent = chain.banks().get_rent().await?;
    let ixs = fulcrum_testkit::create_mint_ixs(&rent, &chain.payer().pubkey(), &mint.pubkey(), authority, decimals);
    chain.send_ixs(&ixs, &[&mint]).await?;
    Ok(mint.pubkey())
}

async fn token_account(chain: &Chain, mint: &Pubkey, owner: &Pubkey) -> Result<Pubkey, BoxError> {
    let acct = Keypair::new();
    let rent = chain.banks().get_rent().await?;
    let ixs = fulcrum_testkit::create_token_account_ixs(&rent, &chain.payer().pubkey(), &acct.pubkey(), mint, owner);
    chain.send_ixs(&ixs, &[&acct]).await?;
    Ok(acct.pubkey())
}

fn feed_id(symbol: &str) -> [u8; 32] {
    let mut id = [0u8; 32];
    let tag = format!("fulcrum-localnet:{symbol}");
    for (i, b) in tag.bytes().enumerate() {
        id[i % 32] ^= b;
    }
    id
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Builds the demo exchange; returns the deployment JSON.
pub async fn demo(chain: &Chain, prices: &PriceBook, rpc_url: &str) -> Result<Value, BoxError> {
    let payer = chain.payer().pubkey();
    let admin = Keypair::new();
    let faucet = Keypair::new();
    chain.airdrop(&admin.pubkey(), 100_000_000_000).await?;
    chain.airdrop(&faucet.pubkey(), 100_000_000_000).await?;
    let quote_mint = create_mint(chain, &faucet.pubkey(), 6).await?;

    let exchange_id = 0u16;
    let exchange = pda(&[seeds::EXCHANGE, admin.pubkey().as_ref(), &exchange_id.to_le_bytes()]);
    let quote_bank = pda(&[seeds::BANK, exchange.as_ref(), &0u16.to_le_bytes()]);
    let quote_vault = pda(&[seeds::VAULT, exchange.as_ref(), quote_mint.as_ref()]);
    let pool = pda(&[seeds::POOL, exchange.as_ref()]);
    let lp_mint = pda(&[seeds::LP_MINT, exchange.as_ref()]);
    let params = ExchangeParams {
        quote_init_liability_weight: 1_000_000,
        quote_maint_liability_weight: 1_000_000,
        unrealized_pnl_init_weight: 1_000_000,
        max_pool_utilisation: 800_000,
        margin_call_grace_slots: 0,
        liquidation_threshold_ratio: 800_000,
        liquidation_buffer: 100_000,
        liquidator_fee: 5_000,
        insurance_fee: 2_500,
        // Below 1 − 0.95 (BTC's maintenance weight): `fulcrum_risk::discount_fits`.
        collateral_liquidation_discount: 40_000,
        insurance_fee_share: 100_000,
        insurance_floor: 0,
        dust_notional: 10 * USDC,
        // LP flows: a local chain withdraws at once (mainnet-like: 86,400 s and a fee); traders'
        // PnL counted by deposits at most 60% of the pool, their losses by withdrawals at most 30%.
        lp_cooldown_secs: 0,
        lp_withdrawal_fee: 0,
        max_pnl_factor_for_deposits: 600_000,
        max_pnl_factor_for_withdrawals: 300_000,
        // Orders: 0.0001 SOL escrowed per order for its keeper; triggers within 5% of the EMA.
        order_fee_lamports: 100_000,
        trigger_band: 50_000,
    };
    let ix = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::InitializeExchange {
            admin: admin.pubkey(),
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
        data: fulcrum::instruction::InitializeExchange { exchange_id, params, quote_deposit_cap: u64::MAX / 2 }.data(),
    };
    chain.send_ixs(&[ix], &[&admin]).await?;

    let mut banks = vec![json!({
        "index": 0, "symbol": "USDC", "address": quote_bank.to_string(), "mint": quote_mint.to_string(),
        "vault": quote_vault.to_string(), "oracle": Pubkey::default().to_string(), "decimals": 6,
    })];
    let mut markets = vec![];
    let mut oracles = serde_json::Map::new();
    for (i, a) in ASSETS.iter().enumerate() {
        let oracle = Keypair::new().pubkey();
        let fid = feed_id(a.symbol);
        let feed = Feed {
            symbol: a.symbol.to_string(),
            key: oracle,
            format: a.format,
            feed_id: fid,
            price: a.price,
            conf_ratio: 0.0005,
            sigma: a.sigma,
        };
        prices.publish(chain, feed).await?;
        let kind = a.format.kind();
        oracles.insert(
            a.symbol.to_string(),
            json!({
                "address": oracle.to_string(),
                "format": if a.format == OracleFormat::Pull { "PriceUpdateV2" } else { "legacy" },
                "feedId": hex(&fid), "exponent": crate::oracle::EXPO,
            }),
        );

        // Collateral bank.
        let bank_index = (i + 1) as u16;
        let mint = create_mint(chain, &faucet.pubkey(), a.decimals).await?;
        let bank = pda(&[seeds::BANK, exchange.as_ref(), &bank_index.to_le_bytes()]);
        let vault = pda(&[seeds::VAULT, exchange.as_ref(), mint.as_ref()]);
        let ix = Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::AddCollateralBank {
                admin: admin.pubkey(),
                exchange,
                mint,
                oracle,
                bank,
                vault,
                token_program: spl_token::ID,
                system_program: anchor_lang::system_program::ID,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::AddCollateralBank {
                bank_index,
                oracle_kind: kind,
                feed_id: fid,
                params: BankParams {
                    init_asset_weight: a.init_asset_weight,
                    maint_asset_weight: a.maint_asset_weight,
                    max_oracle_age: 60,
                    max_conf_ratio: 20_000,
                    deposit_cap: u64::MAX / 2,
                },
            }
            .data(),
        };
        chain.send_ixs(&[ix], &[&admin]).await?;
        banks.push(json!({
            "index": bank_index, "symbol": a.symbol, "address": bank.to_string(), "mint": mint.to_string(),
            "vault": vault.to_string(), "oracle": oracle.to_string(), "decimals": a.decimals,
        }));

        // Perp market.
        let market_index = i as u16;
        let market = pda(&[seeds::MARKET, exchange.as_ref(), &market_index.to_le_bytes()]);
        let label = format!("{}-PERP", a.symbol);
        let mut name = [0u8; 16];
        name[..label.len()].copy_from_slice(label.as_bytes());
        let ix = Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::AddPerpMarket {
                admin: admin.pubkey(),
                exchange,
                oracle,
                market,
                system_program: anchor_lang::system_program::ID,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::AddPerpMarket {
                market_index,
                name,
                base_decimals: a.decimals,
                oracle_kind: kind,
                feed_id: fid,
                params: MarketParams {
                    init_margin_ratio: a.init_margin_ratio,
                    maint_margin_ratio: a.maint_margin_ratio,
                    imf: 0,
                    taker_fee: 1_000,
                    max_oracle_age: 60,
                    max_conf_ratio: 20_000,
                    step_size: a.step_size,
                    long_oi_cap: u64::MAX / 4,
                    short_oi_cap: u64::MAX / 4,
                    // Dynamic risk off: static ratios, no breaker, no funding, no impact fee
                    // (as the program tests' defaults); `update_market_params` turns it on.
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
                    // Latency spread: max(conf / price, 3σ over the fill age); fills take
                    // prices as old as margin checks (the local chain republishes slowly).
                    max_fill_age: 60,
                    min_spread: 0,
                    spread_z: 3_000_000,
                    // Winners are always paid: each of the three markets' winners may be paid up
                    // to 30% of the pool's cash (Σ 90% ≤ 100%); auto-deleveraging above 45%,
                    // down to 25%.
                    max_pnl_factor: 300_000,
                    adl_threshold: 450_000,
                    adl_floor: 250_000,
                    // Pool capacity off, as the program tests' defaults.
                    reserve_factor: 0,
                    borrow_base_rate: 0,
                    borrow_slope1: 0,
                    borrow_kink: 800_000,
                    borrow_slope2: 0,
                    oi_shock: 0,
                    oi_pool_fraction: 0,
                },
            }
            .data(),
        };
        chain.send_ixs(&[ix], &[&admin]).await?;
        markets.push(json!({
            "index": market_index, "name": label, "symbol": a.symbol, "address": market.to_string(),
            "oracle": oracle.to_string(), "baseDecimals": a.decimals, "stepSize": a.step_size.to_string(),
        }));
    }

    // Seed the pool (LP) and the insurance fund from the faucet.
    let lp_quote = token_account(chain, &quote_mint, &faucet.pubkey()).await?;
    let lp_shares = token_account(chain, &lp_mint, &faucet.pubkey()).await?;
    let seed = 5_000_000 * USDC;
    let insurance = 50_000 * USDC;
    let ix = spl_token::instruction::mint_to(
        &spl_token::ID,
        &quote_mint,
        &lp_quote,
        &faucet.pubkey(),
        &[],
        seed + insurance,
    )?;
    chain.send_ixs(&[ix], &[&faucet]).await?;
    let mut metas = fulcrum::accounts::LpDeposit {
        exchange,
        pool,
        lp_mint,
        quote_bank,
        vault: quote_vault,
        source: lp_quote,
        lp_destination: lp_shares,
        lp_position: pda(&[seeds::LP_POSITION, exchange.as_ref(), faucet.pubkey().as_ref()]),
        provider: faucet.pubkey(),
        token_program: spl_token::ID,
        system_program: anchor_lang::system_program::ID,
    }
    .to_account_metas(None);
    for m in &markets {
        let key: Pubkey = m["address"].as_str().unwrap_or_default().parse()?;
        let oracle: Pubkey = m["oracle"].as_str().unwrap_or_default().parse()?;
        metas.push(solana_sdk::instruction::AccountMeta::new_readonly(key, false));
        metas.push(solana_sdk::instruction::AccountMeta::new_readonly(oracle, false));
    }
    let ix = Instruction {
        program_id: fulcrum::ID,
        accounts: metas,
        data: fulcrum::instruction::LpDeposit { amount: seed, min_shares_out: 0 }.data(),
    };
    chain.send_ixs(&[ix], &[&faucet]).await?;
    let ix = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::InsuranceDeposit {
            exchange,
            pool,
            quote: fulcrum::accounts::QuoteVault { bank: quote_bank, vault: quote_vault },
            source: lp_quote,
            depositor: faucet.pubkey(),
            token_program: spl_token::ID,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::InsuranceDeposit { amount: insurance }.data(),
    };
    chain.send_ixs(&[ix], &[&faucet]).await?;

    Ok(json!({
        "cluster": "localnet",
        "rpcUrl": rpc_url,
        "programId": fulcrum::ID.to_string(),
        "exchange": exchange.to_string(),
        "exchangeId": exchange_id,
        "admin": admin.pubkey().to_string(),
        "quoteMint": quote_mint.to_string(),
        "quoteDecimals": 6,
        "pool": pool.to_string(),
        "lpMint": lp_mint.to_string(),
        "banks": banks,
        "markets": markets,
        "oracles": oracles,
        "localOnly": {
            "note": "local chain only: the faucet is the mint authority of every test token; never use these keys elsewhere",
            "faucetSecretKey": faucet.to_bytes().to_vec(),
            "adminSecretKey": admin.to_bytes().to_vec(),
            "payer": payer.to_string(),
        },
    }))
}
