//! Compute units in the real VM (`FULCRUM_SBF=1`): every account instruction on a one-position
//! account and on a full 8 + 8 account (cross and portfolio), the liquidations, bankruptcy, the
//! crank and the correlation matrix, each read from the VM's own "consumed N of M compute units"
//! log line. Deterministic (compute units are not time), so these are budgets ([`budget`]: issue
//! 15's goals where met, a ceiling just above today's figure where not), and a test fails naming
//! the instruction, its figure and its budget. `benchmarks/compute-units.sh` runs them with
//! `FULCRUM_CU_TABLE=<dir>` to write `docs/compute-units.md`. Natively they have nothing to
//! measure and return at once.

use std::sync::atomic::{AtomicU32, Ordering};

use anchor_lang::{InstructionData, ToAccountMetas};
use fulcrum::instructions::{CorrelationParams, Side};
use fulcrum::state::{MAX_COLLATERAL, MAX_PERPS};
use fulcrum_risk::MarginMode;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_sdk::{
    instruction::Instruction,
    message::{v0, AddressLookupTableAccount, VersionedMessage},
    pubkey::Pubkey,
    signature::{Keypair, Signer},
    transaction::VersionedTransaction,
};

use crate::harness::*;

/// The compute units a Solana instruction gets by default.
pub const INSTRUCTION_BUDGET: u64 = 200_000;
const ONE: i32 = 1_000_000;

/// Issue 15's goal for every instruction on a full 8 + 8 account (met: the largest, the portfolio
/// `liquidate_perp`, measured 99,918 when issue 15 closed, after the reputation
/// record and rate pricing merged: 457 more than before them; 99,488 since the health loader's
/// split and the liquidation's tier event only on a change).
pub const FULL_ACCOUNT_BUDGET: u64 = 100_000;

/// Issue 15's goals not met yet, each with a ceiling just above the figure measured when issue 15
/// closed (in brackets) and the goal; where the units go: the profile in docs/compute-units.md
/// (`benchmarks/cu-profile.sh`).
const MISSED_GOALS: &[(&str, &str, u64)] = &[
    // Goal 10,000 [14,550; now 14,541]: entry and Anchor's account checks 2.3k, the fill (oracle, funding,
    // fees, OI, pool) 7.3k, the margin check 3.5k with the health inputs' heap set-up.
    ("one position", "place_perp_trade (open)", 14_700),
    // Cross check goal 20,000 (full − empty withdraw) [37,826 = 50,629 − 12,803; now 37,690]: 16 holdings'
    // account and oracle checks and pricing ≈ 14k, the one-pass cross health ≈ 15k, the
    // entrypoint's 32 more accounts ≈ 6k.
    ("full 8+8 cross", "withdraw", 51_500),
    // Portfolio check goal 35,000 [53,197; now 53,061]: the cross check's, both kinds' exposures and two
    // √(VᵀCV) of 8 × 8 correlations (≈ 4.6k each).
    ("full 8+8 portfolio", "withdraw", 67_000),
    // Goal 60,000 [67,330; now 66,900]: the margin check before (≈ 50k with loading), the fee transfer's CPI
    // 6.4k; the check after is one position's update.
    ("full 8+8 cross", "liquidate_perp", 68_500),
    // Goal 60,000 [99,918; now 99,488]: the cross liquidation's, with four √(VᵀCV) (before ×2, after ×2)
    // and the cut's; held at the full-account goal, met.
    ("full 8+8 portfolio", "liquidate_perp", FULL_ACCOUNT_BUDGET),
];

/// The budget of `label` in `scenario`: its [`MISSED_GOALS`] ceiling, else issue 15's goal for a
/// full account, else the 200,000 units of an instruction by default.
fn budget(scenario: &str, label: &str) -> u64 {
    let full = if scenario.starts_with("full") { FULL_ACCOUNT_BUDGET } else { INSTRUCTION_BUDGET };
    MISSED_GOALS.iter().find(|(s, l, _)| *s == scenario && *l == label).map_or(full, |(_, _, ceiling)| *ceiling)
}

static NONCE: AtomicU32 = AtomicU32::new(0);

/// Figures of one scenario, in the order measured.
struct Meter {
    scenario: &'static str,
    rows: Vec<(String, u64)>,
}

impl Meter {
    fn new(scenario: &'static str) -> Self {
        Self { scenario, rows: vec![] }
    }

    /// Sends `ixs` (the last one is Fulcrum's, measured) and records its compute units under
    /// `label`. With `table` the transaction is v0 (a full account's 39 accounts need one).
    async fn run(
        &mut self,
        h: &mut Harness,
        label: &str,
        ixs: &[Instruction],
        signers: &[&Keypair],
        table: Option<&AddressLookupTableAccount>,
    ) -> u64 {
        let (cu, logs) =
            send_measured(h, ixs, signers, table).await.unwrap_or_else(|e| panic!("{}: {label}: {e}", self.scenario));
        self.record(label, cu, &logs);
        cu
    }

    /// Records `cu` under `label`; with `FULCRUM_CU_PROFILE=<dir>` (a `cu-profile` build's marks,
    /// `benchmarks/cu-profile.sh`) also the instruction's log, to `<dir>/<scenario>_<label>.log`.
    fn record(&mut self, label: &str, cu: u64, logs: &[String]) {
        self.rows.push((label.to_string(), cu));
        if let Ok(dir) = std::env::var("FULCRUM_CU_PROFILE") {
            let name = format!("{}\t{label}", self.scenario);
            let body = format!("{name}\n{}\n", logs.join("\n"));
            let file = format!("{dir}/{}.log", name.replace(|c: char| !c.is_ascii_alphanumeric(), "_"));
            std::fs::write(file, body).expect("write the profile log");
        }
    }

    /// Every figure within its [`budget`]; with `FULCRUM_CU_TABLE` set, writes
    /// the rows to `<dir>/<scenario>.tsv` for the benchmark.
    fn finish(self) {
        for (label, cu) in &self.rows {
            let over = if *cu > budget(self.scenario, label) { "  ABOVE ITS BUDGET" } else { "" };
            eprintln!("compute units: {} / {label}: {cu}{over}", self.scenario);
        }
        if let Ok(dir) = std::env::var("FULCRUM_CU_TABLE") {
            let body: String = self.rows.iter().map(|(l, cu)| format!("{}\t{l}\t{cu}\n", self.scenario)).collect();
            std::fs::write(format!("{dir}/{}.tsv", self.scenario.replace([' ', '/', '+'], "_")), body)
                .expect("write the compute-unit rows");
        }
        if std::env::var("FULCRUM_CU_PROFILE").is_ok() {
            return; // The profile's marks cost units of their own: no budgets.
        }
        let over: Vec<String> = self
            .rows
            .iter()
            .filter(|(l, cu)| *cu > budget(self.scenario, l))
            .map(|(l, cu)| format!("{l}: {cu} CU (budget {})", budget(self.scenario, l)))
            .collect();
        assert!(over.is_empty(), "{}: above the compute-unit budget: {}", self.scenario, over.join(", "));
    }
}

/// Sends and returns the compute units Fulcrum's instruction consumed, from the VM's log.
async fn send_measured(
    h: &mut Harness,
    ixs: &[Instruction],
    signers: &[&Keypair],
    table: Option<&AddressLookupTableAccount>,
) -> Result<(u64, Vec<String>), String> {
    let n = NONCE.fetch_add(1, Ordering::Relaxed);
    let mut all = vec![ComputeBudgetInstruction::set_compute_unit_limit(1_000_000 - n)];
    all.extend_from_slice(ixs);
    let payer = h.payer();
    let mut keys: Vec<&Keypair> = vec![&payer];
    keys.extend_from_slice(signers);
    let blockhash = h.ctx.banks_client.get_latest_blockhash().await.map_err(|e| e.to_string())?;
    let tables: Vec<AddressLookupTableAccount> = table.into_iter().cloned().collect();
    let msg = v0::Message::try_compile(&payer.pubkey(), &all, &tables, blockhash).map_err(|e| e.to_string())?;
    let tx = VersionedTransaction::try_new(VersionedMessage::V0(msg), &keys).map_err(|e| e.to_string())?;
    let r = h.ctx.banks_client.process_transaction_with_metadata(tx).await.map_err(|e| e.to_string())?;
    let logs = r.metadata.map(|m| m.log_messages).unwrap_or_default();
    if let Err(e) = r.result {
        let code = logs.iter().rev().find(|l| l.contains("Error Code:")).cloned().unwrap_or_default();
        return Err(format!("{e:?} {code}"));
    }
    let cu = consumed(&logs).ok_or_else(|| format!("no compute-unit line in {logs:?}"))?;
    Ok((cu, logs))
}

/// "Program <fulcrum> consumed N of M compute units": the last top-level Fulcrum invocation.
pub fn consumed(logs: &[String]) -> Option<u64> {
    let prefix = format!("Program {} consumed ", fulcrum::ID);
    logs.iter().rev().find_map(|l| l.strip_prefix(&prefix)?.split(' ').next()?.parse().ok())
}

// ------------------------------------------------------------------ instruction builders

fn create_margin_account_ix(h: &Harness, owner: &Pubkey, sub: u16) -> (Instruction, Pubkey) {
    let account = margin_account_address(&h.exchange, owner, sub);
    let ix = Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::CreateMarginAccount {
            owner: *owner,
            exchange: h.exchange,
            margin_account: account,
            system_program: anchor_lang::system_program::ID,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::CreateMarginAccount { sub_account_id: sub }.data(),
    };
    (ix, account)
}

fn set_correlations_ix(h: &Harness, params: CorrelationParams) -> Instruction {
    Instruction {
        program_id: fulcrum::ID,
        accounts: fulcrum::accounts::SetCorrelations {
            admin: h.admin.pubkey(),
            exchange: h.exchange,
            correlations: correlations_address(&h.exchange),
            system_program: anchor_lang::system_program::ID,
        }
        .to_account_metas(None),
        data: fulcrum::instruction::SetCorrelations { params }.data(),
    }
}

async fn liquidate_collateral_ix(
    h: &mut Harness,
    keeper: &Trader,
    account: &Pubkey,
    bank_index: u16,
    max_repay: u64,
) -> Instruction {
    let acct = h.margin(account).await;
    let bank = h.bank(bank_index);
    let mut metas = fulcrum::accounts::LiquidateCollateral {
        exchange: h.exchange,
        margin_account: *account,
        liquidator: keeper.key(),
        liquidator_quote: keeper.token(&h.quote.mint),
        liquidator_collateral: keeper.token(&bank.mint),
        quote: fulcrum::accounts::QuoteVault { bank: h.quote.key, vault: h.quote.vault },
        bank: bank.key,
        vault: bank.vault,
        token_program: anchor_spl::token::ID,
        pool: h.pool,
    }
    .to_account_metas(None);
    metas.extend(h.health_metas(&acct));
    Instruction {
        program_id: fulcrum::ID,
        accounts: metas,
        data: fulcrum::instruction::LiquidateCollateral { max_repay }.data(),
    }
}

/// Every instruction that names the account's perps, tried in turn: the first accepted is the
/// largest position (cross liquidation must cut it first). Records it, or panics with each refusal.
async fn liquidate_some_perp(
    m: &mut Meter,
    h: &mut Harness,
    label: &str,
    keeper: &Keypair,
    fee_to: &Pubkey,
    account: &Pubkey,
    table: Option<&AddressLookupTableAccount>,
) -> u64 {
    let mut refusals = vec![];
    let markets: Vec<u16> = h.margin(account).await.active_perps().iter().map(|p| p.market_index).collect();
    for market in markets {
        let ix = h.liquidate_perp_ix(&keeper.pubkey(), fee_to, account, market).await;
        match send_measured(h, &[ix], &[keeper], table).await {
            Ok((cu, logs)) => {
                m.record(label, cu, &logs);
                return cu;
            }
            Err(e) => refusals.push(format!("market {market}: {e}")),
        }
    }
    panic!("{}: {label}: no perp liquidatable: {}", m.scenario, refusals.join("; "));
}

// ------------------------------------------------------------------ scenarios

/// SOL-PERP at $100 and a SOL bank; a trader with one perp position and quote collateral.
#[tokio::test]
async fn one_position_account_instructions_within_the_instruction_budget() {
    if !sbf_mode() {
        return;
    }
    let mut m = Meter::new("one position");
    let mut h = Harness::new().await;
    let sol = h.add_bank(9, OracleFormat::Pull, Quote::at(px(100)), default_bank_params()).await;
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), default_market_params()).await;
    h.add_market(OracleFormat::Pull, Quote::at(px(50)), default_market_params()).await;
    let lp = h.seed_pool(100_000 * USDC).await;
    let qm = h.quote.mint;
    h.mint_to(&qm, &lp.token(&qm), 1_000 * USDC).await;

    let t = h.trader(5_000 * USDC).await;
    let (ix, second) = create_margin_account_ix(&h, &t.key(), 1);
    m.run(&mut h, "create_margin_account", &[ix], &[&t.kp], None).await;
    h.margin_accounts.push(second);
    let quote = h.quote;
    let ix = h.deposit_ix(&t.account, &quote, &t.token(&quote.mint), &t.key(), 2_000 * USDC);
    m.run(&mut h, "deposit (empty account)", &[ix], &[&t.kp], None).await;
    let ix = h.withdraw_ix(&t, 0, 100 * USDC).await;
    m.run(&mut h, "withdraw (no position)", &[ix], &[&t.kp], None).await;
    let ix = h.trade_ix(&t, 0, Side::Buy, 10 * SOL, None, false).await;
    m.run(&mut h, "place_perp_trade (open)", &[ix], &[&t.kp], None).await;
    let ix = h.trade_ix(&t, 0, Side::Buy, SOL, None, false).await;
    m.run(&mut h, "place_perp_trade (increase)", &[ix], &[&t.kp], None).await;
    let ix = h.deposit_ix(&t.account, &quote, &t.token(&quote.mint), &t.key(), 100 * USDC);
    m.run(&mut h, "deposit", &[ix], &[&t.kp], None).await;
    let ix = h.withdraw_ix(&t, 0, 100 * USDC).await;
    m.run(&mut h, "withdraw", &[ix], &[&t.kp], None).await;
    let ix = h.refresh_health_ix(&t.account).await;
    m.run(&mut h, "refresh_health", &[ix], &[], None).await;
    let ix = h.refresh_reputation_ix(&t.account).await;
    m.run(&mut h, "refresh_reputation", &[ix], &[], None).await;
    let ix = h.transfer_isolated_ix(&t, 1, 200 * USDC as i64).await;
    m.run(&mut h, "transfer_isolated_collateral (open isolated slot)", &[ix], &[&t.kp], None).await;
    let ix = h.trade_ix(&t, 0, Side::Sell, 11 * SOL, None, true).await;
    m.run(&mut h, "place_perp_trade (close)", &[ix], &[&t.kp], None).await;
    let ix = h.crank_ix(0);
    m.run(&mut h, "crank_market", &[ix], &[], None).await;
    let ix = h.lp_deposit_ix(&lp, 1_000 * USDC);
    m.run(&mut h, "lp_deposit (2 markets)", &[ix], &[&lp.kp], None).await;

    // Collateral liquidation: a realised loss against SOL collateral, then SOL falls.
    let u = h.trader(0).await;
    h.fund(&u, sol.index, 10 * SOL).await;
    h.trade(&u, 0, Side::Buy, 50 * SOL).await.unwrap();
    h.set_market_price(0, px(90)).await;
    h.close(&u, 0).await.unwrap();
    h.set_bank_price(sol.index, px(55)).await;
    let liq = h.trader(1_000 * USDC).await;
    let ix = liquidate_collateral_ix(&mut h, &liq, &u.account, sol.index, 1_000 * USDC).await;
    m.run(&mut h, "liquidate_collateral", &[ix], &[&liq.kp], None).await;

    // A 9.5x long gapped to bankruptcy: liquidated, then the debt resolved.
    h.set_market_price(0, px(100)).await;
    h.set_bank_price(sol.index, px(100)).await;
    let v = h.trader(1_000 * USDC).await;
    h.deposit(&v, 0, 1_000 * USDC).await.unwrap();
    h.trade(&v, 0, Side::Buy, 95 * SOL).await.unwrap();
    h.set_market_price(0, px(88)).await;
    let k = h.stranger().await;
    let qm = h.quote.mint;
    let fee_to = h.create_token_account(&qm, &k.pubkey()).await;
    let ix = h.liquidate_perp_ix(&k.pubkey(), &fee_to, &v.account, 0).await;
    m.run(&mut h, "liquidate_perp (one position, to bankruptcy)", &[ix], &[&k], None).await;
    let ix = h.resolve_bankruptcy_ix(&v.account);
    m.run(&mut h, "resolve_bankruptcy", &[ix], &[], None).await;
    m.finish();
}

/// 8 collateral banks ($10…$17) and 8 perp markets ($100…$170); assets: bank i+1 and market i
/// share asset i, every pair correlated at 0.3. A trader with no quote, 20 coins of every bank
/// and alternately long and short 15 coins of every market (about 9× levered): every slot used.
async fn full_account(m: &mut Meter, portfolio: bool) -> (Harness, Trader, AddressLookupTableAccount) {
    let mut h = Harness::new().await;
    for i in 0..MAX_COLLATERAL as i64 {
        h.add_bank(9, OracleFormat::Pull, Quote::at(px(10 + i)), default_bank_params()).await;
    }
    for i in 0..MAX_PERPS as i64 {
        h.add_market(OracleFormat::Pull, Quote::at(px(100 + 10 * i)), default_market_params()).await;
    }
    let n = MAX_PERPS;
    let matrix = (0..n * n).map(|k| if k / n == k % n { ONE } else { 300_000 }).collect();
    let params = CorrelationParams {
        matrix,
        bank_assets: std::iter::once(255).chain(0..MAX_COLLATERAL as u8).collect(),
        market_assets: (0..MAX_PERPS as u8).collect(),
        floor: 300_000,
        min_equity: 1_000 * USDC,
    };
    let ix = set_correlations_ix(&h, params);
    let admin = h.admin.insecure_clone();
    m.run(&mut h, "set_correlations (8 × 8)", &[ix], &[&admin], None).await;
    let lp = h.seed_pool(1_000_000 * USDC).await;
    let qm = h.quote.mint;
    h.mint_to(&qm, &lp.token(&qm), 1_000 * USDC).await;
    let ix = h.lp_deposit_ix(&lp, 1_000 * USDC);
    m.run(&mut h, "lp_deposit (8 markets)", &[ix], &[&lp.kp], None).await;

    let t = h.trader(1_000 * USDC).await;
    for b in 1..=MAX_COLLATERAL as u16 {
        h.fund(&t, b, 20 * SOL).await;
    }
    let mut addrs = vec![
        h.exchange,
        h.pool,
        t.account,
        h.quote.key,
        h.quote.vault,
        t.token(&h.quote.mint),
        anchor_spl::token::ID,
        correlations_address(&h.exchange),
    ];
    for b in h.banks.clone() {
        addrs.extend([b.key, b.oracle.unwrap().key, b.vault, t.token(&b.mint)]);
    }
    for mk in h.markets.clone() {
        addrs.extend([mk.key, mk.oracle.key]);
    }
    let table = h.lookup_table(&addrs).await;
    if portfolio {
        let ix = h.set_margin_mode_ix(&t, MarginMode::Portfolio).await;
        m.run(&mut h, "set_margin_mode (to portfolio, 8 collateral)", &[ix], &[&t.kp], Some(&table)).await;
    }
    for mk in 0..MAX_PERPS as u16 {
        let side = if mk % 2 == 0 { Side::Buy } else { Side::Sell };
        let ix = h.trade_ix(&t, mk, side, 15 * SOL, None, false).await;
        let label = if mk + 1 == MAX_PERPS as u16 { "place_perp_trade (open the 8th perp)" } else { "" };
        let (cu, logs) = send_measured(&mut h, &[ix], &[&t.kp], Some(&table)).await.expect("open the full account");
        if !label.is_empty() {
            m.record(label, cu, &logs);
        }
    }
    let a = h.margin(&t.account).await;
    assert_eq!((a.num_collateral as usize, a.num_perps as usize), (MAX_COLLATERAL, MAX_PERPS));
    (h, t, table)
}

/// The instructions a full account runs while healthy, then its liquidations.
async fn full_account_figures(scenario: &'static str, portfolio: bool) {
    let mut m = Meter::new(scenario);
    let (mut h, t, table) = full_account(&mut m, portfolio).await;
    let ix = h.trade_ix(&t, 0, Side::Buy, SOL / 10, None, false).await;
    m.run(&mut h, "place_perp_trade (increase)", &[ix], &[&t.kp], Some(&table)).await;
    let ix = h.trade_ix(&t, 1, Side::Buy, SOL / 10, None, true).await;
    m.run(&mut h, "place_perp_trade (reduce)", &[ix], &[&t.kp], Some(&table)).await;
    let quote = h.quote;
    let ix = h.deposit_ix(&t.account, &quote, &t.token(&quote.mint), &t.key(), 10 * USDC);
    m.run(&mut h, "deposit", &[ix], &[&t.kp], Some(&table)).await;
    let ix = h.withdraw_ix(&t, 1, SOL / 10).await;
    m.run(&mut h, "withdraw", &[ix], &[&t.kp], Some(&table)).await;
    let ix = h.refresh_health_ix(&t.account).await;
    m.run(&mut h, "refresh_health", &[ix], &[], Some(&table)).await;
    let ix = h.refresh_reputation_ix(&t.account).await;
    m.run(&mut h, "refresh_reputation", &[ix], &[], Some(&table)).await;
    if !portfolio {
        let ix = h.set_margin_mode_ix(&t, MarginMode::Portfolio).await;
        m.run(&mut h, "set_margin_mode (to portfolio)", &[ix], &[&t.kp], Some(&table)).await;
        let ix = h.set_margin_mode_ix(&t, MarginMode::Cross).await;
        m.run(&mut h, "set_margin_mode (back to cross)", &[ix], &[&t.kp], Some(&table)).await;
    }

    // Every perp moves against the account until it is liquidatable (cross: 8%; portfolio nets
    // the pairs and needs more), never to bankruptcy.
    let k = h.stranger().await;
    let qm = h.quote.mint;
    let fee_to = h.create_token_account(&qm, &k.pubkey()).await;
    let liq = h.trader(100_000 * USDC).await;
    for pct in [8i64, 10, 12, 14] {
        for mk in 0..MAX_PERPS {
            let base = 100 + 10 * mk as i64;
            let moved = if mk % 2 == 0 { base * (100 - pct) } else { base * (100 + pct) };
            h.set_market_price(mk, px(moved) / 100).await;
        }
        if !h.report(&t.account).await.maint.is_met() {
            break;
        }
    }
    assert!(!h.report(&t.account).await.maint.is_met(), "{scenario}: never below maintenance");
    let ix = h.refresh_health_ix(&t.account).await;
    m.run(&mut h, "refresh_health (starts the margin call)", &[ix], &[], Some(&table)).await;
    liquidate_some_perp(&mut m, &mut h, "liquidate_perp", &k, &fee_to, &t.account, Some(&table)).await;
    if !portfolio {
        collateral_liquidation(&mut m, &mut h, &liq, &table).await;
    }
    m.finish();
}

/// Collateral is liquidated only once no perp is open: an account with all 8 collateral
/// balances, a realised loss in quote, and collateral that fell to 30 % (below maintenance,
/// above bankruptcy).
async fn collateral_liquidation(m: &mut Meter, h: &mut Harness, liq: &Trader, table: &AddressLookupTableAccount) {
    for mk in 0..MAX_PERPS {
        h.set_market_price(mk, px(100 + 10 * mk as i64)).await;
    }
    let u = h.trader(0).await;
    for b in 1..=MAX_COLLATERAL as u16 {
        h.fund(&u, b, 20 * SOL).await;
    }
    let ix = h.trade_ix(&u, 0, Side::Buy, 15 * SOL, None, false).await;
    send_measured(h, &[ix], &[&u.kp], Some(table)).await.expect("open");
    h.set_market_price(0, px(60)).await;
    let ix = h.trade_ix(&u, 0, Side::Sell, 15 * SOL, None, true).await;
    send_measured(h, &[ix], &[&u.kp], Some(table)).await.expect("close at a loss");
    for b in 1..=MAX_COLLATERAL as u16 {
        h.set_bank_price(b, px(10 + b as i64 - 1) * 3 / 10).await;
    }
    let ix = liquidate_collateral_ix(h, liq, &u.account, MAX_COLLATERAL as u16, 100 * USDC).await;
    m.run(h, "liquidate_collateral (8 collateral, no perp)", &[ix], &[&liq.kp], Some(table)).await;
}

#[tokio::test]
async fn full_cross_account_instructions_within_the_instruction_budget() {
    if sbf_mode() {
        full_account_figures("full 8+8 cross", false).await;
    }
}

#[tokio::test]
async fn full_portfolio_account_instructions_within_the_instruction_budget() {
    if sbf_mode() {
        full_account_figures("full 8+8 portfolio", true).await;
    }
}
