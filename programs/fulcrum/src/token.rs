//! Token movements in and out of the vaults (SPL Token CPI; collateral banks also Token-2022
//! through the token interface).

use anchor_lang::prelude::*;
use anchor_spl::token::{self, Burn, MintTo, Transfer};
use anchor_spl::token_interface::{self, TransferChecked};

use crate::error::FulcrumError;

use crate::seeds;
use crate::state::{CollateralBank, Exchange};

/// Signer seeds of the exchange PDA (authority of the vaults and the LP mint).
pub struct ExchangeSeeds {
    admin: Pubkey,
    id: [u8; 2],
    bump: [u8; 1],
}

impl ExchangeSeeds {
    pub fn of(exchange: &Exchange) -> Self {
        Self { admin: exchange.admin, id: exchange.exchange_id.to_le_bytes(), bump: [exchange.bump] }
    }

    pub fn with<R>(&self, f: impl FnOnce(&[&[&[u8]]]) -> R) -> R {
        let s: &[&[u8]] = &[seeds::EXCHANGE, self.admin.as_ref(), &self.id, &self.bump];
        f(&[s])
    }
}

/// Moves `amount` from a user's token account (signed by `authority`) into a vault.
pub fn transfer_in<'info>(
    token_program: &AccountInfo<'info>,
    from: &AccountInfo<'info>,
    vault: &AccountInfo<'info>,
    authority: &AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    let accounts = Transfer { from: from.clone(), to: vault.clone(), authority: authority.clone() };
    token::transfer(CpiContext::new(*token_program.key, accounts), amount)
}

/// Moves `amount` from a vault to `to`, signed by the exchange PDA.
pub fn transfer_out<'info>(
    token_program: &AccountInfo<'info>,
    vault: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    exchange_ai: &AccountInfo<'info>,
    seeds: &ExchangeSeeds,
    amount: u64,
) -> Result<()> {
    let accounts = Transfer { from: vault.clone(), to: to.clone(), authority: exchange_ai.clone() };
    seeds.with(|s| token::transfer(CpiContext::new_with_signer(*token_program.key, accounts, s), amount))
}

/// Mints LP shares, signed by the exchange PDA.
pub fn mint_shares<'info>(
    token_program: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    exchange_ai: &AccountInfo<'info>,
    seeds: &ExchangeSeeds,
    amount: u64,
) -> Result<()> {
    let accounts = MintTo { mint: mint.clone(), to: to.clone(), authority: exchange_ai.clone() };
    seeds.with(|s| token::mint_to(CpiContext::new_with_signer(*token_program.key, accounts, s), amount))
}

/// Burns LP shares from `from`, signed by its owner.
pub fn burn_shares<'info>(
    token_program: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    from: &AccountInfo<'info>,
    authority: &AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    let accounts = Burn { mint: mint.clone(), from: from.clone(), authority: authority.clone() };
    token::burn(CpiContext::new(*token_program.key, accounts), amount)
}

/// A collateral bank's token movement: its token program, its mint when the caller passed it
/// (first of the remaining accounts; required for Token-2022, whose `transfer_checked` needs it)
/// and its decimals.
pub struct BankToken<'a, 'info> {
    pub program: Pubkey,
    pub mint: Option<&'a AccountInfo<'info>>,
    pub decimals: u8,
}

impl<'a, 'info> BankToken<'a, 'info> {
    /// Takes the bank's mint off the front of `remaining` if it is there; returns the rest.
    /// `program` must own `vault`.
    pub fn split(
        program: Pubkey,
        vault: &AccountInfo,
        mint: &Pubkey,
        decimals: u8,
        remaining: &'a [AccountInfo<'info>],
    ) -> Result<(Self, &'a [AccountInfo<'info>])> {
        let (first, rest) = match remaining.split_first() {
            Some((m, rest)) if m.key == mint => (Some(m), rest),
            _ => (None, remaining),
        };
        require!(*vault.owner == program, FulcrumError::WrongTokenProgram);
        require!(first.is_some() || program == token::ID, FulcrumError::MintAccountRequired);
        Ok((Self { program, mint: first, decimals }, rest))
    }

    /// [`Self::split`] with `bank`'s mint and decimals.
    pub fn of_bank(
        program: Pubkey,
        vault: &AccountInfo,
        bank: &AccountLoader<CollateralBank>,
        remaining: &'a [AccountInfo<'info>],
    ) -> Result<(Self, &'a [AccountInfo<'info>])> {
        let bank = bank.load()?;
        Self::split(program, vault, &bank.mint, bank.decimals, remaining)
    }

    /// Moves `amount` from `from` to `to`, signed by `authority` (with `signer` seeds when the
    /// vault pays): `transfer_checked` when the mint is at hand, SPL Token `transfer` otherwise.
    fn transfer(
        &self,
        from: &AccountInfo<'info>,
        to: &AccountInfo<'info>,
        authority: &AccountInfo<'info>,
        signer: &[&[&[u8]]],
        amount: u64,
    ) -> Result<()> {
        match self.mint {
            Some(mint) => {
                let accounts = TransferChecked {
                    from: from.clone(),
                    mint: mint.clone(),
                    to: to.clone(),
                    authority: authority.clone(),
                };
                let ctx = CpiContext::new_with_signer(self.program, accounts, signer);
                token_interface::transfer_checked(ctx, amount, self.decimals)
            }
            None => {
                let accounts = Transfer { from: from.clone(), to: to.clone(), authority: authority.clone() };
                token::transfer(CpiContext::new_with_signer(self.program, accounts, signer), amount)
            }
        }
    }

    /// Moves `amount` from a user's account into `vault`; returns what the vault received (less
    /// than `amount` by a Token-2022 transfer fee): what the ledger may credit.
    pub fn transfer_in(
        &self,
        from: &AccountInfo<'info>,
        vault: &AccountInfo<'info>,
        authority: &AccountInfo<'info>,
        amount: u64,
    ) -> Result<u64> {
        let before = token_amount(vault)?;
        self.transfer(from, vault, authority, &[], amount)?;
        let after = token_amount(vault)?;
        after.checked_sub(before).ok_or_else(|| FulcrumError::MathOverflow.into())
    }

    /// Moves `amount` out of `vault` (signed by the exchange PDA): the vault pays exactly
    /// `amount`; a Token-2022 transfer fee is withheld from what `to` receives.
    pub fn transfer_out(
        &self,
        vault: &AccountInfo<'info>,
        to: &AccountInfo<'info>,
        exchange_ai: &AccountInfo<'info>,
        seeds: &ExchangeSeeds,
        amount: u64,
    ) -> Result<()> {
        seeds.with(|s| self.transfer(vault, to, exchange_ai, s, amount))
    }
}

/// A token account's balance as the token program left it (SPL Token and Token-2022 share the
/// base layout: amount at bytes 64..72).
pub fn token_amount(account: &AccountInfo) -> Result<u64> {
    let data = account.try_borrow_data()?;
    let bytes = data.get(64..72).ok_or(ErrorCode::AccountDidNotDeserialize)?;
    let mut le = [0u8; 8];
    le.copy_from_slice(bytes);
    Ok(u64::from_le_bytes(le))
}
