//! Rate-priced collateral (issue 18 part 2, s6-lst): stake pool accounts in the real SPL layout,
//! the bank clock's epoch, and the two rate instructions.

use fulcrum::instructions::RateSourceParams;
use fulcrum::rate_source::{stake_pool_layout as at, vault_layout as vl, SPL_STAKE_POOL_PROGRAM};

use super::*;

/// Jito's stake pool, mainnet (`tests/fixtures/stake_pool/README.md`): pool mint jitoSOL,
/// updated in epoch 537.
pub const JITO_POOL: &[u8] =
    include_bytes!("../../fixtures/stake_pool/Jito4APyf642JPZPx3hGc6WWJ8zPKtRbRs4P815Awbb.bin");

/// A stake pool account in the SPL layout (the Jito dump with `mint`, the totals and the epoch
/// replaced), owned by `owner`.
pub fn stake_pool_account(mint: &Pubkey, lamports: u64, supply: u64, epoch: u64, owner: &Pubkey) -> Account {
    let mut data = JITO_POOL.to_vec();
    data[at::POOL_MINT..at::POOL_MINT + 32].copy_from_slice(mint.as_ref());
    data[at::TOTAL_LAMPORTS..at::TOTAL_LAMPORTS + 8].copy_from_slice(&lamports.to_le_bytes());
    data[at::POOL_TOKEN_SUPPLY..at::POOL_TOKEN_SUPPLY + 8].copy_from_slice(&supply.to_le_bytes());
    data[at::LAST_UPDATE_EPOCH..at::LAST_UPDATE_EPOCH + 8].copy_from_slice(&epoch.to_le_bytes());
    Account { lamports: 5_143_440, data, owner: *owner, executable: false, rent_epoch: 0 }
}

/// A vault-share account (the documented layout) owned by `owner`.
pub fn vault_account(
    mint: &Pubkey,
    assets: u64,
    shares: u64,
    epoch: u64,
    asset_decimals: u8,
    owner: &Pubkey,
) -> Account {
    let mut data = vec![0u8; vl::LEN];
    data[..8].copy_from_slice(&vl::MAGIC);
    data[vl::SHARE_MINT..vl::SHARE_MINT + 32].copy_from_slice(mint.as_ref());
    data[vl::TOTAL_ASSETS..vl::TOTAL_ASSETS + 8].copy_from_slice(&assets.to_le_bytes());
    data[vl::TOTAL_SHARES..vl::TOTAL_SHARES + 8].copy_from_slice(&shares.to_le_bytes());
    data[vl::LAST_UPDATE_EPOCH..vl::LAST_UPDATE_EPOCH + 8].copy_from_slice(&epoch.to_le_bytes());
    data[vl::ASSET_DECIMALS] = asset_decimals;
    Account { lamports: 1_000_000, data, owner: *owner, executable: false, rent_epoch: 0 }
}

/// Writes a stake pool at `key` (SPL program owner).
pub async fn write_pool(h: &mut Harness, key: &Pubkey, mint: &Pubkey, lamports: u64, supply: u64, epoch: u64) {
    h.ctx.set_account(key, &stake_pool_account(mint, lamports, supply, epoch, &SPL_STAKE_POOL_PROGRAM).into());
}

/// Sets the bank clock's epoch (after any slot warp, which recomputes it).
pub async fn set_epoch(h: &mut Harness, epoch: u64) {
    let mut c = h.clock().await;
    c.epoch = epoch;
    h.ctx.set_sysvar(&c);
}

/// The accounts both rate instructions take.
fn rate_metas(h: &Harness, bank: &BankHandle, source: Pubkey, direct: Option<&OracleHandle>) -> Vec<AccountMeta> {
    fulcrum::accounts::RefreshBankRate {
        exchange: h.exchange,
        bank: bank.key,
        oracle: bank.oracle.map(|o| o.key).unwrap_or_default(),
        rate_source: source,
        direct_oracle: direct.map(|o| o.key),
    }
    .to_account_metas(None)
}

/// `set_bank_rate_source` of `bank` (rate kind `kind`) by the admin.
pub fn set_rate_ix(
    h: &Harness,
    bank: &BankHandle,
    source: Pubkey,
    kind: u8,
    direct: Option<&OracleHandle>,
    max_rise_ppm: u32,
) -> Instruction {
    let mut accounts = vec![AccountMeta::new_readonly(h.admin.pubkey(), true)];
    accounts.extend(rate_metas(h, bank, source, direct));
    let params = RateSourceParams {
        rate_kind: kind,
        max_rise_ppm,
        direct_oracle_kind: direct.map_or(0, |o| o.format.kind()),
        direct_feed_id: direct.map_or([0; 32], |o| o.feed_id),
    };
    Instruction { program_id: fulcrum::ID, accounts, data: fulcrum::instruction::SetBankRateSource { params }.data() }
}

/// `refresh_bank_rate` of `bank` (anyone).
pub fn refresh_rate_ix(h: &Harness, bank: &BankHandle, source: Pubkey, direct: Option<&OracleHandle>) -> Instruction {
    let accounts = rate_metas(h, bank, source, direct);
    Instruction { program_id: fulcrum::ID, accounts, data: fulcrum::instruction::RefreshBankRate {}.data() }
}
