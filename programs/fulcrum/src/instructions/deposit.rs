use anchor_lang::prelude::*;
use anchor_spl::token_interface::{TokenAccount, TokenInterface};

use crate::error::{Cast, FulcrumError, OptionExt};
use crate::events::DepositEvent;
use crate::health::load_health_inputs;
use crate::state::*;
use crate::token::BankToken;

#[derive(Accounts)]
pub struct Deposit<'info> {
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, has_one = exchange @ FulcrumError::WrongExchange, has_one = vault @ FulcrumError::WrongVault)]
    pub bank: AccountLoader<'info, CollateralBank>,
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, constraint = source.mint == vault.mint @ FulcrumError::WrongMint)]
    pub source: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Authority of `source`. Anyone may top up any account's quote; only its owner or delegate
    /// may deposit another asset (a stranger's dust would add an oracle to every margin check,
    /// take collateral slots, and could change how the account is margined).
    pub depositor: Signer<'info>,
    /// SPL Token, or Token-2022 for a Token-2022 bank.
    pub token_program: Interface<'info, TokenInterface>,
    /// What it and the insurance fund hold in the quote vault is not the accounts' (quote cap).
    #[account(has_one = exchange @ FulcrumError::WrongExchange)]
    pub pool: AccountLoader<'info, LiquidityPool>,
}

impl Deposit<'_> {
    /// The access check that belongs to these accounts, on them as loaded: anyone may top up an
    /// account's quote, only its owner or delegate may deposit another asset
    /// (`ThirdPartyCollateralDeposit`).
    pub fn validate(&self, bank: &CollateralBank, acct: &MarginAccount) -> Result<()> {
        let quote = bank.index == CollateralBank::QUOTE_INDEX;
        require!(quote || acct.can_trade(&self.depositor.key()), FulcrumError::ThirdPartyCollateralDeposit);
        Ok(())
    }
}

/// See the instruction's doc in lib.rs. The account is credited on the amount sent (cap and
/// overflow checks before any transfer), then a Token-2022 transfer fee is taken back off; for the
/// quote cap's top-up exemption see [`quote_held_after`].
pub fn deposit<'info>(ctx: Context<'info, Deposit<'info>>, amount: u64) -> Result<()> {
    require!(amount > 0, FulcrumError::ZeroAmount);
    let accounts = &ctx.accounts;
    require!(!accounts.exchange.load()?.is_paused(pause::DEPOSITS), FulcrumError::Paused);
    let program = accounts.token_program.key();
    let (token, remaining) =
        BankToken::of_bank(program, &accounts.vault.to_account_info(), &accounts.bank, ctx.remaining_accounts)?;
    let bank_index = {
        let mut bank = accounts.bank.load_mut()?;
        let mut acct = accounts.margin_account.load_mut()?;
        accounts.validate(&bank, &acct)?;
        bank.total_deposits = if bank.index == CollateralBank::QUOTE_INDEX {
            quote_held_after(accounts, &acct, bank.deposit_cap, amount, remaining)?
        } else {
            bank.total_deposits
                .checked_add(amount)
                .filter(|total| *total <= bank.deposit_cap)
                .ok_or(FulcrumError::DepositCapExceeded)?
        };
        if bank.index == CollateralBank::QUOTE_INDEX {
            let add = amount.cast::<i64>()?;
            acct.quote_balance = acct.quote_balance.checked_add(add).overflow()?;
        } else {
            let i = acct.collateral_slot(bank.index).ok_or(FulcrumError::CollateralSlotsFull)?;
            acct.collateral[i].amount = acct.collateral[i].amount.checked_add(amount).overflow()?;
        }
        bank.index
    };
    let received = token.transfer_in(
        &accounts.source.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.depositor.to_account_info(),
        amount,
    )?;
    require!(received > 0, FulcrumError::ZeroAmount);
    // Credited above on the amount sent (so the cap and overflow checks run before any
    // transfer); a Token-2022 transfer fee never reached the vault: the account keeps what did.
    let fee = amount.checked_sub(received).overflow()?;
    if fee > 0 {
        let mut bank = accounts.bank.load_mut()?;
        let mut acct = accounts.margin_account.load_mut()?;
        bank.total_deposits = bank.total_deposits.checked_sub(fee).overflow()?;
        if bank_index == CollateralBank::QUOTE_INDEX {
            acct.quote_balance = acct.quote_balance.checked_sub(fee.cast::<i64>()?).overflow()?;
        } else {
            let i = acct.find_collateral(bank_index).overflow()?;
            acct.collateral[i].amount = acct.collateral[i].amount.checked_sub(fee).overflow()?;
        }
    }
    crate::emit_event!(DepositEvent {
        margin_account: accounts.margin_account.key(),
        depositor: accounts.depositor.key(),
        bank_index,
        amount: received,
    });
    Ok(())
}

/// The quote cap: what the quote vault holds for accounts (the vault less the pool's and the
/// insurance fund's balances: deposits less withdrawals and realised losses) may not pass `cap`,
/// except that a top-up of an account below initial margin that names its margin-check
/// accounts counts only beyond its initial-margin shortfall (its collateral-backed part's plus
/// each isolated position's), so filling the cap cannot block a top-up in a crash. Returns
/// what the vault holds for accounts after the deposit.
fn quote_held_after<'info>(
    accounts: &Deposit<'info>,
    acct: &MarginAccount,
    cap: u64,
    amount: u64,
    remaining: &[AccountInfo<'info>],
) -> Result<u64> {
    let pool = accounts.pool.load()?;
    let held = i128::from(accounts.vault.amount) - i128::from(pool.balance) - i128::from(pool.insurance_balance);
    let held = held.max(0).cast::<u64>()?;
    let after = held.checked_add(amount).ok_or(FulcrumError::DepositCapExceeded)?;
    if after > cap {
        let exempt = if remaining.is_empty() { 0 } else { initial_shortfall(accounts, acct, remaining)? };
        let counted = amount - amount.min(exempt);
        require!(counted == 0 || held.saturating_add(counted) <= cap, FulcrumError::DepositCapExceeded);
    }
    Ok(after)
}

/// How far `acct` is below initial margin: its collateral-backed part plus each isolated
/// position, quote native units (0 when it meets it).
fn initial_shortfall<'info>(
    accounts: &Deposit<'info>,
    acct: &MarginAccount,
    remaining: &[AccountInfo<'info>],
) -> Result<u64> {
    let exchange = accounts.exchange.load()?;
    let now = Clock::get()?.unix_timestamp;
    let inputs = load_health_inputs(acct, &accounts.exchange.key(), exchange.quote_decimals, remaining, now)?;
    let short = |h: fulcrum_risk::Health| u64::try_from((-h.free_collateral()).max(0)).unwrap_or(u64::MAX);
    let mut total = short(inputs.main_health(acct.quote_balance, &exchange)?.init);
    for k in 0..inputs.n_isolated {
        total = total.saturating_add(short(inputs.isolated_health(k, acct, &exchange)?.init));
    }
    Ok(total)
}
