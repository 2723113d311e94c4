//! Exchange-rate sources of yield-bearing collateral (issue 18 part 2): an account of the
//! asset's own program that states how much underlying one token is worth. Two formats behind
//! one interface ([`read_rate`]), each read at fixed offsets, only the fields needed:
//!
//! - **SPL stake pool** (liquid-staking tokens: jitoSOL and every pool of the SPL program), owner
//!   [`SPL_STAKE_POOL_PROGRAM`]. Borsh layout of `spl_stake_pool::state::StakePool`
//!   (solana-program-library `stake-pool/program/src/state.rs`): `account_type` u8 (1 =
//!   StakePool), manager, staker, stake_deposit_authority (32 each), stake_withdraw_bump_seed
//!   u8, validator_list, reserve_stake, pool_mint, manager_fee_account, token_program_id (32
//!   each), then `total_lamports` u64 at 258, `pool_token_supply` u64 at 266,
//!   `last_update_epoch` u64 at 274 (offsets checked on a mainnet dump of Jito's pool:
//!   `tests/fixtures/stake_pool/`). Rate = total_lamports / pool_token_supply (SOL and pool
//!   tokens both 9 decimals). Refused unless `last_update_epoch` is the current epoch: until the
//!   pool's epoch update runs, `total_lamports` is last epoch's.
//! - **Vault share** ([`vault_layout`]), Fulcrum's documented minimal format for any vault whose
//!   program writes it: magic, share mint, total assets, total shares, asset decimals, last
//!   update epoch. Owner: the program the admin named at configuration (pinned by
//!   `CollateralBank::rate_identity`).
//!
//! What a source states is a claim, not a price: [`fulcrum_risk::guarded_rate`] caps its rises.

use anchor_lang::prelude::*;

use crate::error::FulcrumError;

/// SPL stake-pool program (mainnet and devnet).
pub const SPL_STAKE_POOL_PROGRAM: Pubkey = pubkey!("SPoo1Ku8WFXoNDMHPsrGSTSG1Y47rzgn41SLUNakuHy");

/// Which format a rate source has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RateKind {
    /// Not rate-priced.
    None = 0,
    /// An SPL stake pool.
    StakePool = 1,
    /// A [`vault_layout`] account.
    VaultShare = 2,
}

impl RateKind {
    pub fn from_u8(v: u8) -> Result<Self> {
        match v {
            0 => Ok(Self::None),
            1 => Ok(Self::StakePool),
            2 => Ok(Self::VaultShare),
            _ => err!(FulcrumError::InvalidRateKind),
        }
    }
}

/// Byte offsets of the SPL stake pool fields read (Borsh, no discriminator).
pub mod stake_pool_layout {
    pub const ACCOUNT_TYPE: usize = 0;
    /// `AccountType::StakePool`.
    pub const TYPE_STAKE_POOL: u8 = 1;
    pub const POOL_MINT: usize = 1 + 32 * 3 + 1 + 32 * 2;
    pub const TOTAL_LAMPORTS: usize = POOL_MINT + 32 * 3;
    pub const POOL_TOKEN_SUPPLY: usize = TOTAL_LAMPORTS + 8;
    pub const LAST_UPDATE_EPOCH: usize = POOL_TOKEN_SUPPLY + 8;
    /// Through `last_update_epoch`.
    pub const LEN: usize = LAST_UPDATE_EPOCH + 8;
    /// SOL's decimals, and every pool mint's (the program creates them so).
    pub const DECIMALS: u8 = 9;
}

/// The vault-share format (little-endian, 72 bytes, longer accounts accepted):
///
/// | offset | field | type |
/// |---|---|---|
/// | 0 | magic `b"FLCVSHR1"` | [u8; 8] |
/// | 8 | share mint | Pubkey |
/// | 40 | total assets, underlying native units | u64 |
/// | 48 | total shares, share native units | u64 |
/// | 56 | last update epoch | u64 |
/// | 64 | underlying decimals | u8 |
/// | 65 | reserved (zero) | [u8; 7] |
pub mod vault_layout {
    pub const MAGIC: [u8; 8] = *b"FLCVSHR1";
    pub const SHARE_MINT: usize = 8;
    pub const TOTAL_ASSETS: usize = 40;
    pub const TOTAL_SHARES: usize = 48;
    pub const LAST_UPDATE_EPOCH: usize = 56;
    pub const ASSET_DECIMALS: usize = 64;
    pub const LEN: usize = 72;
}

/// What a source states, before any guard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateReading {
    /// The token's mint the source accounts for.
    pub mint: Pubkey,
    pub total_assets: u64,
    pub total_shares: u64,
    pub asset_decimals: u8,
    pub last_update_epoch: u64,
}

fn u64_at(data: &[u8], at: usize) -> Result<u64> {
    let mut b = [0u8; 8];
    b.copy_from_slice(data.get(at..at + 8).ok_or_else(|| error!(FulcrumError::InvalidRateSource))?);
    Ok(u64::from_le_bytes(b))
}

fn key_at(data: &[u8], at: usize) -> Result<Pubkey> {
    let mut b = [0u8; 32];
    b.copy_from_slice(data.get(at..at + 32).ok_or_else(|| error!(FulcrumError::InvalidRateSource))?);
    Ok(Pubkey::new_from_array(b))
}

/// Decodes an SPL stake pool's data (layout and account type checked, nothing else).
pub fn parse_stake_pool(data: &[u8]) -> Result<RateReading> {
    use stake_pool_layout as at;
    require!(data.len() >= at::LEN, FulcrumError::InvalidRateSource);
    require!(data[at::ACCOUNT_TYPE] == at::TYPE_STAKE_POOL, FulcrumError::InvalidRateSource);
    Ok(RateReading {
        mint: key_at(data, at::POOL_MINT)?,
        total_assets: u64_at(data, at::TOTAL_LAMPORTS)?,
        total_shares: u64_at(data, at::POOL_TOKEN_SUPPLY)?,
        asset_decimals: at::DECIMALS,
        last_update_epoch: u64_at(data, at::LAST_UPDATE_EPOCH)?,
    })
}

/// Decodes a vault-share account's data (layout and magic checked).
pub fn parse_vault_share(data: &[u8]) -> Result<RateReading> {
    use vault_layout as at;
    require!(data.len() >= at::LEN, FulcrumError::InvalidRateSource);
    require!(data[..8] == at::MAGIC, FulcrumError::InvalidRateSource);
    Ok(RateReading {
        mint: key_at(data, at::SHARE_MINT)?,
        total_assets: u64_at(data, at::TOTAL_ASSETS)?,
        total_shares: u64_at(data, at::TOTAL_SHARES)?,
        asset_decimals: data[at::ASSET_DECIMALS],
        last_update_epoch: u64_at(data, at::LAST_UPDATE_EPOCH)?,
    })
}

/// Reads `ai` as a rate source of `kind` for the bank of `mint` (`share_decimals`) at `epoch`:
/// owner (stake pools: the SPL program; vaults: whatever owns it, pinned by the caller through
/// the bank's identity), layout, mint, freshness and a non-zero supply, each by name. The rate is
/// [`fulcrum_risk::observed_rate`], unguarded.
pub fn read_rate(ai: &AccountInfo, kind: RateKind, mint: &Pubkey, share_decimals: u8, epoch: u64) -> Result<u64> {
    let data = ai.try_borrow_data()?;
    let reading = match kind {
        RateKind::StakePool => {
            require_keys_eq!(*ai.owner, SPL_STAKE_POOL_PROGRAM, FulcrumError::RateSourceWrongOwner);
            parse_stake_pool(&data)?
        }
        RateKind::VaultShare => parse_vault_share(&data)?,
        RateKind::None => return err!(FulcrumError::InvalidRateKind),
    };
    require_keys_eq!(reading.mint, *mint, FulcrumError::RateSourceWrongMint);
    require!(reading.last_update_epoch == epoch, FulcrumError::RateSourceStale);
    require!(reading.total_shares > 0, FulcrumError::RateSourceEmpty);
    let rate =
        fulcrum_risk::observed_rate(reading.total_assets, reading.total_shares, reading.asset_decimals, share_decimals)
            .map_err(|e| error!(FulcrumError::from(e)))?;
    require!(rate > 0, FulcrumError::RateSourceEmpty);
    Ok(rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jito's pool, mainnet, epoch 537 (`tests/fixtures/stake_pool/README.md`).
    const JITO: &[u8] = include_bytes!("../tests/fixtures/stake_pool/Jito4APyf642JPZPx3hGc6WWJ8zPKtRbRs4P815Awbb.bin");

    #[test]
    fn mainnet_jito_pool_to_the_unit() {
        let r = parse_stake_pool(JITO);
        assert_eq!(
            r.ok(),
            Some(RateReading {
                mint: pubkey!("J1toso1uCk3RLmjorhTtrVwY9HJ7X8V9yYac6Y7kGCPn"),
                total_assets: 6_639_028_734_407_647,
                total_shares: 6_189_948_258_688_516,
                asset_decimals: 9,
                last_update_epoch: 537,
            })
        );
        // 6,639,028,734,407,647 × 10¹² / 6,189,948,258,688,516, rounded down.
        assert_eq!(
            fulcrum_risk::observed_rate(6_639_028_734_407_647, 6_189_948_258_688_516, 9, 9),
            Ok(1_072_549_956_308)
        );
    }

    #[test]
    fn malformed_sources_are_refused() {
        assert!(parse_stake_pool(&JITO[..stake_pool_layout::LEN - 1]).is_err());
        let mut validator_list = JITO.to_vec();
        validator_list[0] = 2;
        assert!(parse_stake_pool(&validator_list).is_err());
        let mut vault = vec![0u8; vault_layout::LEN];
        assert!(parse_vault_share(&vault).is_err());
        vault[..8].copy_from_slice(&vault_layout::MAGIC);
        vault[40..48].copy_from_slice(&7u64.to_le_bytes());
        vault[48..56].copy_from_slice(&5u64.to_le_bytes());
        vault[64] = 6;
        let r = parse_vault_share(&vault);
        assert_eq!(r.ok().map(|r| (r.total_assets, r.total_shares, r.asset_decimals)), Some((7, 5, 6)));
        assert!(parse_vault_share(&vault[..vault_layout::LEN - 1]).is_err());
    }
}
