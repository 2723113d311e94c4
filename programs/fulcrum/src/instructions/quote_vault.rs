//! The exchange's quote bank and vault, for the instructions that move quote in or out of the
//! vault without keeping the bank's books (liquidations, the insurance fund).

use anchor_lang::prelude::*;
use anchor_spl::token::TokenAccount;

use crate::error::FulcrumError;
use crate::state::*;

/// The quote bank and its vault, checked once here. A composite cannot see its parent's
/// accounts, so each user ties the bank to its exchange with one line:
/// `#[account(constraint = quote.is_of(&exchange)? @ FulcrumError::WrongExchange)]`.
#[derive(Accounts)]
pub struct QuoteVault<'info> {
    #[account(
        has_one = vault @ FulcrumError::WrongVault,
        constraint = bank.load()?.index == CollateralBank::QUOTE_INDEX @ FulcrumError::WrongVault
    )]
    pub bank: AccountLoader<'info, CollateralBank>,
    #[account(mut)]
    pub vault: Box<Account<'info, TokenAccount>>,
}

impl QuoteVault<'_> {
    /// Whether the bank belongs to `exchange`.
    pub fn is_of(&self, exchange: &AccountLoader<Exchange>) -> Result<bool> {
        Ok(self.bank.load()?.exchange == exchange.key())
    }
}
