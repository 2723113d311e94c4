//! Token-2022 collateral (issue 18 part 3) through the real Token-2022 program in the bank: a
//! transfer-fee mint (a deposit credits what the vault received, a withdrawal debits the amount
//! sent, liquidation of that collateral), and each extension refused at listing by name.
//!
//! A Token-2022 bank's instructions name its mint first among the remaining accounts
//! (`transfer_checked` needs it); a liquidation adds the Token-2022 program after it.

use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token_2022::spl_token_2022 as t22;
use fulcrum::instructions::Side;
use solana_sdk::{
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
    signature::{Keypair, Signer},
};
use t22::extension::ExtensionType;

use crate::harness::*;

const T22: Pubkey = t22::ID;

/// What a Token-2022 test mint carries.
#[derive(Clone, Copy, Debug)]
enum Ext {
    /// Transfer fee of `bps` basis points, at most `max` native units.
    TransferFee {
        bps: u16,
        max: u64,
    },
    TransferHook,
    PermanentDelegate,
    NonTransferable,
    ConfidentialTransfers,
    DefaultFrozen,
}

impl Ext {
    fn kind(self) -> ExtensionType {
        match self {
            Ext::TransferFee { .. } => ExtensionType::TransferFeeConfig,
            Ext::TransferHook => ExtensionType::TransferHook,
            Ext::PermanentDelegate => ExtensionType::PermanentDelegate,
            Ext::NonTransferable => ExtensionType::NonTransferable,
            Ext::ConfidentialTransfers => ExtensionType::ConfidentialTransferMint,
            Ext::DefaultFrozen => ExtensionType::DefaultAccountState,
        }
    }

    fn init(self, mint: &Pubkey, authority: &Pubkey) -> Instruction {
        use t22::extension::*;
        let ix = match self {
            Ext::TransferFee { bps, max } => transfer_fee::instruction::initialize_transfer_fee_config(
                &T22,
                mint,
                Some(authority),
                Some(authority),
                bps,
                max,
            ),
            Ext::TransferHook => {
                transfer_hook::instruction::initialize(&T22, mint, Some(*authority), Some(fulcrum::ID))
            }
            Ext::PermanentDelegate => t22::instruction::initialize_permanent_delegate(&T22, mint, authority),
            Ext::NonTransferable => t22::instruction::initialize_non_transferable_mint(&T22, mint),
            Ext::ConfidentialTransfers => {
                confidential_transfer::instruction::initialize_mint(&T22, mint, Some(*authority), true, None)
            }
            Ext::DefaultFrozen => default_account_state::instruction::initialize_default_account_state(
                &T22,
                mint,
                &t22::state::AccountState::Frozen,
            ),
        };
        ix.expect("extension instruction")
    }
}

/// A Token-2022 mint with `ext`, the payer its mint (and freeze) authority.
async fn t22_mint(h: &mut Harness, decimals: u8, ext: Ext) -> Pubkey {
    let mint = Keypair::new();
    let payer = h.payer();
    let len = ExtensionType::try_calculate_account_len::<t22::state::Mint>(&[ext.kind()]).expect("mint len");
    let init = [
        ext.init(&mint.pubkey(), &payer.pubkey()),
        t22::instruction::initialize_mint2(&T22, &mint.pubkey(), &payer.pubkey(), Some(&payer.pubkey()), decimals)
            .expect("initialize_mint2"),
    ];
    t22_create(h, &mint, len, &init, "create Token-2022 mint").await;
    mint.pubkey()
}

/// Creates `kp` as a rent-exempt account of `len` bytes owned by Token-2022 (the payer pays) and
/// initialises it with `init` in the same transaction.
async fn t22_create(h: &mut Harness, kp: &Keypair, len: usize, init: &[Instruction], what: &str) {
    let payer = h.payer();
    let rent = h.ctx.banks_client.get_rent().await.expect("rent");
    let mut ixs = vec![solana_system_interface::instruction::create_account(
        &payer.pubkey(),
        &kp.pubkey(),
        rent.minimum_balance(len),
        len as u64,
        &T22,
    )];
    ixs.extend_from_slice(init);
    h.send(&ixs, &[kp]).await.expect(what);
}

/// A token account of a transfer-fee mint owned by `owner`.
async fn t22_account(h: &mut Harness, mint: &Pubkey, owner: &Pubkey) -> Pubkey {
    let acct = Keypair::new();
    let len = ExtensionType::try_calculate_account_len::<t22::state::Account>(&[ExtensionType::TransferFeeAmount])
        .expect("account len");
    let init = [t22::instruction::initialize_account3(&T22, &acct.pubkey(), mint, owner).expect("initialize_account3")];
    t22_create(h, &acct, len, &init, "create Token-2022 account").await;
    acct.pubkey()
}

async fn t22_mint_to(h: &mut Harness, mint: &Pubkey, to: &Pubkey, amount: u64) {
    let payer = h.payer();
    let ix = t22::instruction::mint_to(&T22, mint, to, &payer.pubkey(), &[], amount).expect("mint_to");
    h.send(&[ix], &[]).await.expect("Token-2022 mint_to");
}

fn list_ix(h: &Harness, mint: &Pubkey, oracle: &OracleHandle) -> Instruction {
    let index = 1 + h.banks.len() as u16;
    Listing { admin: h.admin.pubkey(), exchange: h.exchange, index }.bank_ix(*mint, T22, oracle, default_bank_params())
}

/// Lists `mint` (Token-2022) as the next bank at $100, 6 decimals.
async fn list(h: &mut Harness, mint: Pubkey) -> BankHandle {
    let oracle = h.new_oracle(OracleFormat::Pull, Quote::at(px(100))).await;
    h.list_bank(mint, T22, 6, oracle, default_bank_params()).await
}

fn deposit_ix(h: &Harness, t: &Trader, bank: &BankHandle, source: &Pubkey, amount: u64) -> Instruction {
    let mut metas = fulcrum::accounts::Deposit {
        exchange: h.exchange,
        margin_account: t.account,
        bank: bank.key,
        vault: bank.vault,
        source: *source,
        depositor: t.key(),
        token_program: T22,
        pool: h.pool,
    }
    .to_account_metas(None);
    metas.push(AccountMeta::new_readonly(bank.mint, false));
    Instruction { program_id: fulcrum::ID, accounts: metas, data: fulcrum::instruction::Deposit { amount }.data() }
}

async fn withdraw_ix(h: &mut Harness, t: &Trader, bank: &BankHandle, to: &Pubkey, amount: u64) -> Instruction {
    let acct = h.margin_after_withdrawal(&t.account, bank.index, amount).await;
    let mut metas = fulcrum::accounts::Withdraw {
        exchange: h.exchange,
        margin_account: t.account,
        owner: t.key(),
        bank: bank.key,
        vault: bank.vault,
        destination: *to,
        token_program: T22,
    }
    .to_account_metas(None);
    metas.push(AccountMeta::new_readonly(bank.mint, false));
    metas.extend(h.health_metas(&acct));
    Instruction { program_id: fulcrum::ID, accounts: metas, data: fulcrum::instruction::Withdraw { amount }.data() }
}

async fn liquidate_ix(
    h: &mut Harness,
    keeper: &Trader,
    account: &Pubkey,
    bank: &BankHandle,
    to: &Pubkey,
) -> Instruction {
    let acct = h.margin(account).await;
    let mut metas = fulcrum::accounts::LiquidateCollateral {
        exchange: h.exchange,
        margin_account: *account,
        liquidator: keeper.key(),
        liquidator_quote: keeper.token(&h.quote.mint),
        liquidator_collateral: *to,
        quote: fulcrum::accounts::QuoteVault { bank: h.quote.key, vault: h.quote.vault },
        bank: bank.key,
        vault: bank.vault,
        token_program: anchor_spl::token::spl_token::ID,
        pool: h.pool,
    }
    .to_account_metas(None);
    metas.push(AccountMeta::new_readonly(bank.mint, false));
    metas.push(AccountMeta::new_readonly(T22, false));
    metas.extend(h.health_metas(&acct));
    let data = fulcrum::instruction::LiquidateCollateral { max_repay: 10_000 * USDC }.data();
    Instruction { program_id: fulcrum::ID, accounts: metas, data }
}

/// 1% transfer fee, capped far above any amount here.
const FEE: Ext = Ext::TransferFee { bps: 100, max: u64::MAX / 4 };

/// An exchange with a funded pool and SOL-PERP, a trader (quote token account only), and a 1%
/// transfer-fee Token-2022 mint listed as collateral with `minted` of it in the trader's account.
async fn fee_world(minted: u64) -> (Harness, Trader, BankHandle, Pubkey) {
    let (h, t, _, bank, src) = fee_world_with_keeper(minted).await;
    (h, t, bank, src)
}

/// As [`fee_world`], with a keeper holding 1,000 USDC.
async fn fee_world_with_keeper(minted: u64) -> (Harness, Trader, Trader, BankHandle, Pubkey) {
    let mut h = Harness::new().await;
    h.add_market(OracleFormat::Pull, Quote::at(px(100)), default_market_params()).await;
    let _lp = h.seed_pool(100_000 * USDC).await;
    // Traders first: the harness makes classic token accounts for every listed mint.
    let t = h.trader(0).await;
    let keeper = h.trader(1_000 * USDC).await;
    let mint = t22_mint(&mut h, 6, FEE).await;
    let bank = list(&mut h, mint).await;
    let src = t22_account(&mut h, &mint, &t.key()).await;
    t22_mint_to(&mut h, &mint, &src, minted).await;
    (h, t, keeper, bank, src)
}

/// Attack (fee-on-transfer inflation): deposit 100 of a 1% fee mint, the vault receives 99; a
/// ledger crediting the 100 asked for would hand out 1 unit per deposit that nothing backs.
#[tokio::test]
async fn a_transfer_fee_deposit_credits_what_the_vault_received() {
    let (mut h, t, bank, src) = fee_world(1_000 * USDC).await;
    for round in 1..=3u64 {
        let ix = deposit_ix(&h, &t, &bank, &src, 100 * USDC);
        h.send(&[ix], &[&t.kp]).await.expect("deposit");
        let credited = h.margin(&t.account).await.collateral[0].amount;
        let vault = h.token_balance(&bank.vault).await;
        assert_eq!((credited, vault), (round * 99 * USDC, round * 99 * USDC), "round {round}: credited vs received");
        h.assert_conservation().await;
    }
    assert_eq!(h.token_balance(&src).await, 700 * USDC);
    // A deposit the fee swallows whole (1 unit, fee rounded up to 1) credits nothing: refused.
    let ix = deposit_ix(&h, &t, &bank, &src, 1);
    let keys = [h.ledger_keys(), vec![src]].concat();
    let before = h.snapshot(&keys).await;
    assert_error(h.send(&[ix], &[&t.kp]).await, FulcrumError::ZeroAmount);
    assert_eq!(h.snapshot(&keys).await, before);
}

/// A withdrawal debits the account what leaves the vault; the mint's fee comes out of what the
/// user receives (the vault never pays it).
#[tokio::test]
async fn a_transfer_fee_withdrawal_debits_the_amount_and_delivers_it_less_the_fee() {
    let (mut h, t, bank, src) = fee_world(1_000 * USDC).await;
    let ix = deposit_ix(&h, &t, &bank, &src, 1_000 * USDC);
    h.send(&[ix], &[&t.kp]).await.expect("deposit");
    let ix = withdraw_ix(&mut h, &t, &bank, &src, 500 * USDC).await;
    h.send(&[ix], &[&t.kp]).await.expect("withdraw");
    assert_eq!(h.margin(&t.account).await.collateral[0].amount, 490 * USDC);
    assert_eq!(h.token_balance(&bank.vault).await, 490 * USDC);
    assert_eq!(h.token_balance(&src).await, 495 * USDC);
    h.assert_conservation().await;
    // Without the mint the transfer cannot be checked: refused by name, nothing changed.
    let mut ix = withdraw_ix(&mut h, &t, &bank, &src, USDC).await;
    ix.accounts.remove(7);
    let keys = [h.ledger_keys(), vec![src]].concat();
    let before = h.snapshot(&keys).await;
    assert_error(h.send(&[ix], &[&t.kp]).await, FulcrumError::MintAccountRequired);
    assert_eq!(h.snapshot(&keys).await, before);
    // SPL Token named for a Token-2022 vault: refused by name.
    let mut ix = withdraw_ix(&mut h, &t, &bank, &src, USDC).await;
    ix.accounts[6].pubkey = anchor_spl::token::spl_token::ID;
    assert_error(h.send(&[ix], &[&t.kp]).await, FulcrumError::WrongTokenProgram);
    assert_eq!(h.snapshot(&keys).await, before);
    h.assert_conservation().await;
}

/// Liquidation of transfer-fee collateral: the account is debited what leaves the vault, the
/// liquidator receives it less the mint's fee; vault = Σ balances throughout.
#[tokio::test]
async fn transfer_fee_collateral_is_liquidated_with_the_vault_conserved() {
    let (mut h, t, liq, bank, src) = fee_world_with_keeper(10_100 * USDC).await;
    let ix = deposit_ix(&h, &t, &bank, &src, 10_100 * USDC);
    h.send(&[ix], &[&t.kp]).await.expect("deposit");
    assert_eq!(h.margin(&t.account).await.collateral[0].amount, 9_999 * USDC);
    // A realised loss: long 50 at $100, closed at $90.
    h.trade(&t, 0, Side::Buy, 50 * SOL).await.unwrap();
    h.set_market_price(0, px(90)).await;
    h.close(&t, 0).await.unwrap();
    let debt = h.margin(&t.account).await.quote_balance;
    assert!(debt < 0, "{debt}");
    // The collateral to $0.055 (it is 9,999 units at $100 per 1e6): maintenance below zero.
    h.set_bank_price(bank.index, px(55) / 1_000).await;
    let liq_to = t22_account(&mut h, &bank.mint, &liq.key()).await;
    let vault_before = h.token_balance(&bank.vault).await;
    let ix = liquidate_ix(&mut h, &liq, &t.account, &bank, &liq_to).await;
    h.send(&[ix], &[&liq.kp]).await.expect("liquidate_collateral");
    let out = vault_before - h.token_balance(&bank.vault).await;
    assert!(out > 0);
    let fee = out.div_ceil(100);
    assert_eq!(h.token_balance(&liq_to).await, out - fee, "the liquidator bears the mint's fee");
    let a = h.margin(&t.account).await;
    assert_eq!(a.collateral[0].amount, 9_999 * USDC - out);
    assert!(a.quote_balance > debt);
    h.assert_conservation().await;
}

/// Each extension that breaks the ledger is refused at listing by its own error, nothing
/// created or changed.
#[tokio::test]
async fn mints_with_accounting_breaking_extensions_are_refused_by_name() {
    let mut h = Harness::new().await;
    let cases = [
        (Ext::TransferHook, FulcrumError::MintHasTransferHook),
        (Ext::PermanentDelegate, FulcrumError::MintHasPermanentDelegate),
        (Ext::NonTransferable, FulcrumError::MintNonTransferable),
        (Ext::ConfidentialTransfers, FulcrumError::MintHasConfidentialTransfers),
        (Ext::DefaultFrozen, FulcrumError::MintDefaultFrozen),
    ];
    for (ext, e) in cases {
        let mint = t22_mint(&mut h, 6, ext).await;
        let oracle = h.new_oracle(OracleFormat::Pull, Quote::at(px(100))).await;
        let ix = list_ix(&h, &mint, &oracle);
        let keys = [h.ledger_keys(), vec![ix.accounts[4].pubkey, ix.accounts[5].pubkey, mint]].concat();
        let before = h.snapshot(&keys).await;
        let admin = h.admin.insecure_clone();
        let r = h.send(&[ix], &[&admin]).await;
        let want: u32 = e.into();
        assert_eq!(error_code(&r), Some(want), "{ext:?}: expected {e:?}, got {r:?}");
        assert_eq!(h.snapshot(&keys).await, before, "{ext:?} changed state");
    }
    // A transfer-fee mint is accepted (the index the refusals did not take).
    let mint = t22_mint(&mut h, 6, FEE).await;
    assert_eq!(list(&mut h, mint).await.index, 1);
    h.assert_conservation().await;
}
