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

/// The epoch [`LstWorld`] runs in.
pub const EPOCH: u64 = 700;
/// [`LstWorld`]'s pool tokens outstanding.
pub const SUPPLY: u64 = 1_000_000 * SOL;
/// [`LstWorld`]'s pool lamports: 1 LST = 1.0725 SOL.
pub const LAMPORTS: u64 = 1_072_500 * SOL;
/// [`LstWorld`]'s rise cap: 0.1% per epoch.
pub const CAP_PPM: u32 = 1_000;

/// An exchange with SOL-PERP ($100) and an LST bank (bank 1: its oracle is SOL's, $100; weights
/// 0.8 / 0.9) priced through a stake pool at 1.0725, capped at 0.1% per epoch; optionally a
/// direct oracle of the LST at `direct` dollars.
pub struct LstWorld {
    pub h: Harness,
    pub lst: BankHandle,
    pub pool: Pubkey,
    pub direct: Option<OracleHandle>,
}

impl LstWorld {
    pub async fn new(direct: Option<i64>) -> Self {
        let mut h =
            Setup { banks: vec![BankSpec::default()], insurance: 1_000 * USDC, ..Setup::markets(1, 100_000 * USDC) }
                .build()
                .await;
        set_epoch(&mut h, EPOCH).await;
        let lst = h.bank(1);
        let pool = Pubkey::new_unique();
        write_pool(&mut h, &pool, &lst.mint, LAMPORTS, SUPPLY, EPOCH).await;
        let direct = match direct {
            Some(d) => Some(h.new_oracle(OracleFormat::Pull, Quote::at(d)).await),
            None => None,
        };
        let ix = set_rate_ix(&h, &lst, pool, 1, direct.as_ref(), CAP_PPM);
        let admin = h.admin.insecure_clone();
        h.send(&[ix], &[&admin]).await.unwrap();
        LstWorld { h, lst, pool, direct }
    }

    pub async fn bank(&mut self) -> CollateralBank {
        self.h.load(&self.lst.key).await
    }

    /// Anyone refreshes the rate.
    pub async fn refresh(&mut self) -> TxResult {
        let ix = refresh_rate_ix(&self.h, &self.lst, self.pool, self.direct.as_ref());
        self.h.send(&[ix], &[]).await
    }

    /// The pool moves to `lamports` per `SUPPLY`, updated in `epoch`.
    pub async fn pool_at(&mut self, lamports: u64, epoch: u64) {
        let (pool, mint) = (self.pool, self.lst.mint);
        write_pool(&mut self.h, &pool, &mint, lamports, SUPPLY, epoch).await;
    }

    /// A trader with `lst` LST deposited and $100 of quote.
    pub async fn holder(&mut self, lst: u64) -> Trader {
        let t = self.h.trader(100 * USDC).await;
        self.h.deposit(&t, 0, 100 * USDC).await.unwrap();
        self.h.fund(&t, 1, lst).await;
        t
    }

    /// The largest SOL-PERP long `t` may open now, in 0.01 SOL steps (simulated: nothing sent).
    pub async fn max_long(&mut self, t: &Trader) -> u64 {
        let (mut lo, mut hi) = (0u64, 100_000u64);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let ix = self.h.trade_ix(t, 0, Side::Buy, mid * SOL / 100, None, false).await;
            if self.h.simulate(&[ix], &[&t.kp]).await {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo * SOL / 100
    }
}
