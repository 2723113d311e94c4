use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022::extension::{
    default_account_state::DefaultAccountState, BaseStateWithExtensions, ExtensionType, StateWithExtensions,
};
use anchor_spl::token_2022::spl_token_2022::state::{AccountState, Mint as MintState};
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use fulcrum_risk::RATIO_ONE;

use crate::error::{FulcrumError, OptionExt};
use crate::oracle::{read_oracle, OracleConfig, OracleKind};
use crate::seeds;
use crate::state::*;
use crate::validate::{admit_bank_weight, base_decimals, in_range, oracle_age};

/// Risk parameters of a collateral bank.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct BankParams {
    /// Share of value counted for initial margin, ppm, 0..=maint weight.
    pub init_asset_weight: u32,
    /// Share of value counted for maintenance, ppm, init weight..=1,000,000, and below
    /// quote maint liability weight × (1 − collateral liquidation discount).
    pub maint_asset_weight: u32,
    /// Oldest oracle publish time accepted for trading and margin, seconds,
    /// 1..=`MAX_ORACLE_AGE_SECS` (300).
    pub max_oracle_age: u32,
    /// Widest conf / price accepted, ppm, 1..=1,000,000.
    pub max_conf_ratio: u32,
    /// Most that may be deposited, native units.
    pub deposit_cap: u64,
}

impl BankParams {
    /// The bank's own ranges, one rule per line. The rule against the exchange's collateral
    /// discount is [`crate::validate::admit_bank_weight`], checked where the exchange is loaded.
    pub fn validate(&self) -> Result<()> {
        use FulcrumError::InvalidParameter as Bad;
        in_range("maint_asset_weight", self.maint_asset_weight.into(), 0, RATIO_ONE, Bad)?;
        in_range("init_asset_weight", self.init_asset_weight.into(), 0, self.maint_asset_weight.into(), Bad)?;
        oracle_age("max_oracle_age", self.max_oracle_age)?;
        in_range("max_conf_ratio", self.max_conf_ratio.into(), 1, RATIO_ONE, Bad)?;
        Ok(())
    }

    pub fn apply(&self, bank: &mut CollateralBank) {
        bank.init_asset_weight = self.init_asset_weight;
        bank.maint_asset_weight = self.maint_asset_weight;
        bank.max_oracle_age = self.max_oracle_age;
        bank.max_conf_ratio = self.max_conf_ratio;
        bank.deposit_cap = self.deposit_cap;
    }
}

#[derive(Accounts)]
#[instruction(bank_index: u16)]
pub struct AddCollateralBank<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(mut, has_one = admin @ FulcrumError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// SPL Token or Token-2022 (see [`admit_mint_extensions`]).
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    /// CHECK: read and checked as a Pyth price of `oracle_kind` in the handler.
    pub oracle: UncheckedAccount<'info>,
    #[account(
        init, payer = admin, space = CollateralBank::SIZE,
        seeds = [seeds::BANK, exchange.key().as_ref(), &bank_index.to_le_bytes()], bump
    )]
    pub bank: AccountLoader<'info, CollateralBank>,
    #[account(
        init, payer = admin,
        seeds = [seeds::VAULT, exchange.key().as_ref(), mint.key().as_ref()], bump,
        token::mint = mint, token::authority = exchange, token::token_program = token_program
    )]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The mint's token program.
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

/// Lists a collateral mint with its oracle. `bank_index` must be the exchange's next index.
pub fn add_collateral_bank(
    ctx: Context<AddCollateralBank>,
    bank_index: u16,
    oracle_kind: u8,
    feed_id: [u8; 32],
    params: BankParams,
) -> Result<()> {
    params.validate()?;
    let accounts = &ctx.accounts;
    base_decimals("mint.decimals", accounts.mint.decimals)?;
    admit_mint_extensions(&accounts.mint.to_account_info())?;
    let mut exchange = accounts.exchange.load_mut()?;
    let next = u64::from(exchange.num_banks);
    in_range("bank_index", bank_index.into(), next, next, FulcrumError::InvalidParameter)?;
    in_range("bank_index", bank_index.into(), 0, u64::from(MAX_BANKS) - 1, FulcrumError::InvalidParameter)?;
    require!(accounts.mint.key() != exchange.quote_mint, FulcrumError::InvalidParameter);
    require!(OracleKind::from_u8(oracle_kind)? != OracleKind::None, FulcrumError::InvalidParameter);
    admit_bank_weight(&mut exchange, params.maint_asset_weight)?;
    let cfg = OracleConfig {
        kind: oracle_kind,
        key: accounts.oracle.key(),
        feed_id,
        max_age: params.max_oracle_age,
        max_conf_ratio: params.max_conf_ratio,
        base_decimals: accounts.mint.decimals,
    };
    read_oracle(&accounts.oracle.to_account_info(), &cfg)?;
    exchange.num_banks = exchange.num_banks.checked_add(1).overflow()?;

    let mut bank = accounts.bank.load_init()?;
    bank.exchange = accounts.exchange.key();
    bank.mint = accounts.mint.key();
    bank.vault = accounts.vault.key();
    bank.oracle = accounts.oracle.key();
    bank.feed_id = feed_id;
    bank.index = bank_index;
    bank.decimals = accounts.mint.decimals;
    bank.oracle_kind = oracle_kind;
    bank.bump = ctx.bumps.bank;
    bank.vault_bump = ctx.bumps.vault;
    params.apply(&mut bank);
    bank.liquidation_max_age = CollateralBank::default_liquidation_max_age(params.max_oracle_age);
    Ok(())
}

/// A Token-2022 mint is refused, by name, for each extension that breaks the vault's ledger
/// (vault = Σ what accounts are owed): a transfer hook (foreign code in every transfer), a
/// permanent delegate (may move the vault's tokens), non-transferable, confidential transfers
/// (balances the vault cannot read), new accounts frozen by default. A transfer fee is admitted
/// (deposits credit what the vault received). SPL Token mints have no extensions.
pub fn admit_mint_extensions(mint: &AccountInfo) -> Result<()> {
    if *mint.owner != anchor_spl::token_2022::ID {
        return Ok(());
    }
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<MintState>::unpack(&data)?;
    for ext in state.get_extension_types()? {
        match ext {
            ExtensionType::TransferHook => return err!(FulcrumError::MintHasTransferHook),
            ExtensionType::PermanentDelegate => return err!(FulcrumError::MintHasPermanentDelegate),
            ExtensionType::NonTransferable => return err!(FulcrumError::MintNonTransferable),
            ExtensionType::ConfidentialTransferMint
            | ExtensionType::ConfidentialTransferFeeConfig
            | ExtensionType::ConfidentialMintBurn => return err!(FulcrumError::MintHasConfidentialTransfers),
            ExtensionType::DefaultAccountState => {
                let frozen = state.get_extension::<DefaultAccountState>()?.state == AccountState::Frozen as u8;
                require!(!frozen, FulcrumError::MintDefaultFrozen);
            }
            _ => {}
        }
    }
    Ok(())
}
