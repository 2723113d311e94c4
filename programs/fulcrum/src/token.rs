//! Token movements in and out of the vaults (SPL Token CPI).

use anchor_lang::prelude::*;
use anchor_spl::token::{self, Burn, MintTo, Transfer};

use crate::seeds;
use crate::state::Exchange;

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
