//! Every PDA seed of the program, in one place. The TypeScript SDK mirrors this module.

/// `[EXCHANGE, admin, exchange_id (u16 LE)]`: the exchange; also the authority of every vault
/// and of the LP share mint.
pub const EXCHANGE: &[u8] = b"exchange";
/// `[BANK, exchange, bank_index (u16 LE)]`: a collateral bank. Index 0 is the quote mint.
pub const BANK: &[u8] = b"bank";
/// `[VAULT, exchange, mint]`: the one token vault of a mint.
pub const VAULT: &[u8] = b"vault";
/// `[MARKET, exchange, market_index (u16 LE)]`: a perp market.
pub const MARKET: &[u8] = b"market";
/// `[POOL, exchange]`: the liquidity pool (and insurance fund ledger).
pub const POOL: &[u8] = b"pool";
/// `[LP_MINT, exchange]`: the pool's share mint.
pub const LP_MINT: &[u8] = b"lp_mint";
/// `[MARGIN_ACCOUNT, exchange, owner, sub_account_id (u16 LE)]`: a trader's margin account.
pub const MARGIN_ACCOUNT: &[u8] = b"margin";
/// `[CORRELATIONS, exchange]`: the exchange's portfolio-margin configuration (correlations).
pub const CORRELATIONS: &[u8] = b"correlations";

/// `[LP_POSITION, exchange, provider]`: a provider's LP shares in cooldown.
pub const LP_POSITION: &[u8] = b"lp_position";
/// `[ORDERS, margin_account]`: a margin account's resting orders (`OrderBook`).
pub const ORDERS: &[u8] = b"orders";
