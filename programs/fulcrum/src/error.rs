use core::panic::Location;

use anchor_lang::error::Source;
use anchor_lang::prelude::*;
use fulcrum_risk::MathError;

/// Every way a Fulcrum instruction refuses. Names are stable: the SDK decodes them.
#[error_code]
pub enum FulcrumError {
    // --- access and accounts
    #[msg("Signer is not the exchange admin")]
    NotAdmin,
    #[msg("Signer may not act for this margin account")]
    NotAccountOwner,
    #[msg("Account belongs to another exchange")]
    WrongExchange,
    #[msg("Token account has the wrong mint")]
    WrongMint,
    #[msg("Token account is not the bank's vault")]
    WrongVault,
    #[msg("Withdrawal destination is not owned by the margin account's owner")]
    WrongDestinationOwner,
    #[msg("LP share token account has the wrong mint")]
    WrongLpMint,
    #[msg("Parameter outside its documented range")]
    InvalidParameter,
    // --- oracles
    #[msg("Oracle account is not the one configured")]
    OracleMismatch,
    #[msg("Oracle account is not owned by the Pyth program")]
    InvalidOracleOwner,
    #[msg("Oracle account data is not a Pyth price")]
    InvalidOracleAccount,
    #[msg("Oracle carries another price feed")]
    OracleFeedMismatch,
    #[msg("Price update is not fully verified")]
    OracleNotFullyVerified,
    #[msg("Oracle price is not trading")]
    OracleNotTrading,
    #[msg("Oracle price is stale")]
    OracleStale,
    #[msg("Oracle confidence interval is too wide")]
    OracleConfidenceTooWide,
    #[msg("Oracle price is zero or negative")]
    OracleNonPositivePrice,
    // --- health accounts
    #[msg("Margin check is missing bank/market or oracle accounts")]
    MissingHealthAccounts,
    #[msg("Margin check got more accounts than the margin account holds assets")]
    ExtraHealthAccounts,
    #[msg("Margin check account is not the expected bank/market or oracle, or out of order")]
    HealthAccountMismatch,
    #[msg("Pool valuation needs every market and its oracle, in index order")]
    MarketAccountsMismatch,
    // --- amounts and state
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("Operation is paused")]
    Paused,
    #[msg("Bank deposit cap exceeded")]
    DepositCapExceeded,
    #[msg("All collateral slots are in use")]
    CollateralSlotsFull,
    #[msg("All perp position slots are in use")]
    PerpSlotsFull,
    #[msg("Balance is smaller than the amount")]
    InsufficientBalance,
    #[msg("Withdrawal would leave the account below initial margin")]
    WithdrawalExceedsInitialMargin,
    #[msg("Trade would leave the account below initial margin")]
    TradeExceedsInitialMargin,
    #[msg("Fill price is beyond the limit price")]
    SlippageExceeded,
    #[msg("Order size must be a positive multiple of the market's step size")]
    InvalidOrderSize,
    #[msg("Reduce-only order would open or grow a position")]
    ReduceOnlyWouldIncrease,
    #[msg("Open interest cap exceeded")]
    OpenInterestCapExceeded,
    #[msg("Pool cannot pay this profit")]
    InsufficientPoolLiquidity,
    #[msg("Withdrawal would take the pool past its utilisation cap")]
    PoolUtilisationExceeded,
    #[msg("Pool value is zero or negative")]
    PoolInsolvent,
    #[msg("LP deposit too small to mint a share")]
    LpDepositTooSmall,
    #[msg("Account still holds balances or positions")]
    AccountNotEmpty,
    // --- margin calls and liquidation
    #[msg("Account is not below maintenance margin")]
    NotLiquidatable,
    #[msg("Account is in its margin call grace period")]
    MarginCallGracePeriod,
    #[msg("Liquidate the position with the largest maintenance requirement first")]
    NotLargestPosition,
    #[msg("Account is in margin call: only risk-reducing trades and deposits")]
    AccountInMarginCall,
    #[msg("Account still has perp positions: liquidate those first")]
    PerpPositionsOpen,
    #[msg("Account has no quote debt")]
    NoDebt,
    #[msg("Account is not bankrupt: it holds positions or collateral, or owes nothing")]
    NotBankrupt,
    #[msg("Insurance withdrawal would go below the floor")]
    InsuranceBelowFloor,
    #[msg("Account holds none of this collateral")]
    CollateralNotHeld,
    // --- dynamic risk
    #[msg("Market is reduce-only: the circuit breaker tripped (price outside its band)")]
    MarketReduceOnly,
    #[msg("Market is paused")]
    MarketPaused,
    // --- arithmetic
    #[msg("Arithmetic overflow")]
    MathOverflow,
    #[msg("Division by zero")]
    DivideByZero,
    #[msg("Value outside the engine's documented range")]
    MathInvalidInput,
    // --- margin modes (appended: earlier codes stay stable)
    #[msg("Position is cross and the instruction wants an isolated one, or the other way round")]
    PositionModeMismatch,
    #[msg("Moving isolated collateral out would leave the position below initial margin")]
    IsolatedCollateralBelowInitialMargin,
    #[msg("Isolated collateral of this position is less than the amount")]
    InsufficientIsolatedCollateral,
    #[msg("Account equity is below the exchange's minimum for portfolio margin")]
    PortfolioMinimumEquity,
    #[msg("Switching to cross margin would leave the account below initial margin")]
    CrossModeBelowInitialMargin,
    #[msg("Account already uses this margin mode")]
    MarginModeUnchanged,
    #[msg("Portfolio margin needs the exchange's correlations after the health accounts")]
    MissingCorrelations,
    /// No longer raised: an unmapped holding is margined on its own (kept for stable codes).
    #[msg("A bank or market the account holds has no asset in the correlations")]
    AssetNotInCorrelations,
    #[msg("Correlation matrix is not symmetric")]
    CorrelationNotSymmetric,
    #[msg("Correlation matrix has a diagonal entry other than 1")]
    CorrelationDiagonalNotOne,
    #[msg("Correlation outside [-1, 1]")]
    CorrelationOutOfRange,
    #[msg("Correlation matrix is not positive semi-definite")]
    CorrelationNotPositiveSemiDefinite,
    #[msg("Too many assets for the correlation matrix, or a matrix of the wrong size")]
    TooManyAssets,
    // --- market integrity
    #[msg("Only the account's owner or delegate may deposit collateral other than the quote")]
    ThirdPartyCollateralDeposit,
    #[msg("Below initial margin, a portfolio trade may not lower free initial collateral")]
    TradeLowersFreeCollateral,
    #[msg("No liquidation of this position lowers the account's netted requirement")]
    LiquidationCannotReduceRisk,
    #[msg("Oracle price too small in engine units for the market's base decimals (coarser than 1 ppm)")]
    EnginePriceTooCoarse,
    // --- parameter ranges under which liquidation restores health (appended)
    #[msg("Collateral liquidation discount does not fit a bank's maintenance weight: discount < 1 − maint weight / liability weight")]
    CollateralDiscountTooLarge,
    #[msg("Liquidation fee (liquidator + insurance) is not below a market's maintenance ratio")]
    LiquidationFeeTooLarge,
    #[msg("Portfolio-margin floor is below the documented minimum")]
    CorrelationFloorTooLow,
    #[msg("Base or collateral mint decimals above the documented maximum")]
    BaseDecimalsOutOfRange,
    #[msg("Oracle max age for trading above the documented maximum")]
    OracleAgeTooLong,
    #[msg("The market is settled: positions close with settle_position at its settlement price")]
    MarketSettled,
    #[msg("The market is not settled")]
    MarketNotSettled,
    #[msg("That market status change is not allowed")]
    InvalidMarketStatus,
    #[msg("The market still has open interest")]
    MarketHasOpenInterest,
    #[msg("The quote bank has no oracle")]
    QuoteBankHasNoOracle,
    #[msg("The account has no position in this market")]
    NoPositionToSettle,
    // --- issue 13 §1: oracle-latency arbitrage
    #[msg("The oracle price is older than one this market has already observed")]
    OracleOlderThanObserved,
    #[msg("The oracle price is older than the market's max_fill_age: post a newer update to trade")]
    OracleTooOldForFill,
    #[msg("max_fill_age must be 1..=max_oracle_age")]
    FillAgeOutOfRange,
    #[msg("min_spread must be at most 100,000 ppm (10%)")]
    MinSpreadTooLarge,
    #[msg("spread_z must be at most 10,000,000 ppm (10)")]
    SpreadZTooLarge,
    // --- LP flows (issue 13 §2)
    #[msg("LP deposit or withdrawal below its minimum out")]
    LpSlippageExceeded,
    #[msg("LP shares are still in their cooldown")]
    LpCooldownActive,
    #[msg("No locked LP shares to claim")]
    NothingToClaim,
    #[msg("The markets' PnL caps would sum to more than the pool (100%)")]
    PnlFactorBudgetExceeded,
    #[msg("adl_floor must be below adl_threshold (0 when auto-deleveraging is off)")]
    AdlFloorNotBelowThreshold,
    #[msg("The account has positions: the health accounts must end with the liquidity pool")]
    MissingPoolAccount,
    #[msg("Auto-deleveraging is off in this market")]
    AdlDisabled,
    #[msg("Winners' profit against the pool is not above the market's auto-deleveraging threshold")]
    AdlBelowThreshold,
    #[msg("Auto-deleveraging closes only a winning position")]
    AdlPositionNotProfitable,
    #[msg("This auto-deleveraging would not lower the market's ratio without going below its floor")]
    AdlRatioNotLowered,
    // --- pool capacity (issue 13 §3, §4)
    #[msg("A side's open interest would exceed the market's reserve factor times the pool balance")]
    ReserveExceeded,
    #[msg("A side's open interest would exceed what insurance and the pool cover under the market's shock")]
    InsuranceOiLimitExceeded,
    #[msg("reserve_factor outside 0..=10,000,000 ppm")]
    ReserveFactorOutOfRange,
    #[msg("A borrow rate or slope outside its range")]
    BorrowRateOutOfRange,
    #[msg("borrow_kink outside 1..=1,000,000 ppm")]
    BorrowKinkOutOfRange,
    #[msg("oi_shock or oi_pool_fraction above 1,000,000 ppm")]
    OiShockOutOfRange,
    // --- orders (issue 16)
    #[msg("The account's order book has no free slot (32 orders)")]
    OrderBookFull,
    #[msg("No open order with this id in this order book")]
    OrderNotFound,
    #[msg("The order book still has open orders")]
    OrdersStillOpen,
    #[msg("The market account is not the order's market")]
    OrderMarketMismatch,
    #[msg("Invalid order: kind, size, trigger, limit or expiry out of range")]
    InvalidOrderParams,
    #[msg("The order's condition does not hold at this price")]
    OrderNotTriggered,
    #[msg("The oracle price was not published after the order was placed")]
    OrderPriceNotNewer,
    #[msg("The oracle is outside the trigger band of its EMA: triggers do not fire")]
    OrderTriggerOutsideBand,
    #[msg("The order has not expired")]
    OrderNotExpired,
    #[msg("The order book is not this margin account's")]
    WrongOrderBook,
    #[msg("The liquidator must be writable to receive cancelled orders' fees")]
    LiquidatorNotWritable,
    #[msg("The order book's lamports do not cover its rent and escrowed fees")]
    OrderEscrowShort,
    #[msg("Close the account's order book (cancel its orders) before closing the account")]
    OrderBookStillOpen,
    #[msg("The mint has a transfer hook: collateral transfers would run foreign code")]
    MintHasTransferHook,
    #[msg("The mint has a permanent delegate: it could move the vault's tokens")]
    MintHasPermanentDelegate,
    #[msg("The mint is non-transferable")]
    MintNonTransferable,
    #[msg("The mint has confidential transfers: balances the vault cannot read")]
    MintHasConfidentialTransfers,
    #[msg("The mint's new token accounts start frozen")]
    MintDefaultFrozen,
    #[msg("A Token-2022 bank's mint must lead the remaining accounts (transfer_checked)")]
    MintAccountRequired,
    #[msg("The token program is not the vault's")]
    WrongTokenProgram,
    // --- rate-priced (yield-bearing) collateral
    #[msg("Unknown rate source kind")]
    InvalidRateKind,
    #[msg("The rate source account does not have the layout of its kind")]
    InvalidRateSource,
    #[msg("The rate source is not owned by its program")]
    RateSourceWrongOwner,
    #[msg("The rate source accounts for another mint than the bank's")]
    RateSourceWrongMint,
    #[msg("The rate source was not updated in the current epoch")]
    RateSourceStale,
    #[msg("The rate source has no shares or no assets: no rate")]
    RateSourceEmpty,
    #[msg("The account is not the bank's rate source or direct oracle, or its owner or feed changed")]
    RateSourceMismatch,
    #[msg("The bank is not rate-priced")]
    BankNotRatePriced,
    // --- reputation tiers (issue 18 §1)
    #[msg("A tier table holds at most 4 tiers")]
    TooManyTiers,
    #[msg("A tier's initial-margin multiplier must lie in 0.5x..=3x")]
    TierMultiplierOutOfRange,
    #[msg("A higher tier must not raise the initial-margin multiplier")]
    TierMultiplierNotDecreasing,
    #[msg("Tier 0 must require nothing: every account starts there")]
    TierZeroHasRequirements,
    #[msg("A higher tier must require at least what the tier below requires")]
    TierRequirementsNotIncreasing,
    #[msg("Tier upgrades need an upgrade period and liquidations a cool-off (> 0 s)")]
    TierPeriodZero,
    /// A risk-increasing margin check would use a depeg factor measured too long ago.
    #[msg("The bank's depeg factor is older than its max oracle age: refresh_bank_rate first")]
    DepegFactorStale,
}

impl From<fulcrum_risk::TierTableError> for FulcrumError {
    fn from(e: fulcrum_risk::TierTableError) -> Self {
        use fulcrum_risk::TierTableError as T;
        match e {
            T::TooManyTiers => FulcrumError::TooManyTiers,
            T::MultiplierOutOfRange => FulcrumError::TierMultiplierOutOfRange,
            T::MultiplierNotDecreasing => FulcrumError::TierMultiplierNotDecreasing,
            T::TierZeroHasRequirements => FulcrumError::TierZeroHasRequirements,
            T::RequirementsNotIncreasing => FulcrumError::TierRequirementsNotIncreasing,
        }
    }
}

impl From<fulcrum_risk::CorrelationError> for FulcrumError {
    fn from(e: fulcrum_risk::CorrelationError) -> Self {
        use fulcrum_risk::CorrelationError as C;
        match e {
            C::TooManyAssets => FulcrumError::TooManyAssets,
            C::NotSymmetric => FulcrumError::CorrelationNotSymmetric,
            C::DiagonalNotOne => FulcrumError::CorrelationDiagonalNotOne,
            C::OutOfRange => FulcrumError::CorrelationOutOfRange,
            C::NotPositiveSemiDefinite => FulcrumError::CorrelationNotPositiveSemiDefinite,
        }
    }
}

impl From<MathError> for FulcrumError {
    fn from(e: MathError) -> Self {
        match e {
            MathError::Overflow => FulcrumError::MathOverflow,
            MathError::DivideByZero => FulcrumError::DivideByZero,
            MathError::InvalidInput => FulcrumError::MathInvalidInput,
        }
    }
}

/// `code` as an error raised at `at`: the log of a failing transaction names that file and line
/// (`AnchorError thrown in <file>:<line>`), not this one. The callers below take `at` from
/// `#[track_caller]`, as Drift's `safe_math` does. Cold: the success path pays nothing.
#[cold]
#[inline(never)]
pub fn error_at(code: FulcrumError, at: &'static Location<'static>) -> Error {
    Error::from(code).with_source(Source { filename: at.file(), line: at.line() })
}

/// Natively, the line Anchor's entry logs for a failing instruction (`AnchorError thrown in
/// <file>:<line>. …`), written to the bank's log: off chain Anchor's `msg!` prints to stdout.
#[cfg(not(target_os = "solana"))]
pub fn log_native(e: &Error) {
    use anchor_lang::error::ErrorOrigin;
    let text = match e {
        Error::AnchorError(a) => {
            let what = format!(
                "Error Code: {}. Error Number: {}. Error Message: {}.",
                a.error_name, a.error_code_number, a.error_msg
            );
            match &a.error_origin {
                Some(ErrorOrigin::Source(s)) => format!("AnchorError thrown in {}:{}. {what}", s.filename, s.line),
                Some(ErrorOrigin::AccountName(n)) => format!("AnchorError caused by account: {n}. {what}"),
                None => format!("AnchorError occurred. {what}"),
            }
        }
        Error::ProgramError(p) => format!("ProgramError occurred. Error Code: {:?}.", p.program_error),
    };
    crate::validate::log(&text);
}

/// `?` on engine results inside instructions; the error names the caller's line.
pub trait MathResultExt<T> {
    fn math(self) -> Result<T>;
}

impl<T> MathResultExt<T> for core::result::Result<T, MathError> {
    #[inline]
    #[track_caller]
    fn math(self) -> Result<T> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(error_at(FulcrumError::from(e), Location::caller())),
        }
    }
}

/// `?` on `Option` from checked integer ops: `MathOverflow` naming the caller's line.
pub trait OptionExt<T> {
    fn overflow(self) -> Result<T>;
}

impl<T> OptionExt<T> for Option<T> {
    #[inline]
    #[track_caller]
    fn overflow(self) -> Result<T> {
        match self {
            Some(v) => Ok(v),
            None => Err(error_at(FulcrumError::MathOverflow, Location::caller())),
        }
    }
}

/// Integer conversion: `x.cast::<i64>()?` fails as `MathOverflow` naming the caller's line
/// (instead of `i64::try_from(x).map_err(|_| FulcrumError::MathOverflow)?`).
pub trait Cast: Sized {
    fn cast<T: TryFrom<Self>>(self) -> Result<T>;
}

macro_rules! impl_cast {
    ($($t:ty),*) => {$(
        impl Cast for $t {
            #[inline]
            #[track_caller]
            fn cast<T: TryFrom<Self>>(self) -> Result<T> {
                match T::try_from(self) {
                    Ok(v) => Ok(v),
                    Err(_) => Err(error_at(FulcrumError::MathOverflow, Location::caller())),
                }
            }
        }
    )*};
}
impl_cast!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

/// Whether `e` is the program error `code`.
pub fn is_error(e: &Error, code: FulcrumError) -> bool {
    matches!(e, Error::AnchorError(a) if a.error_code_number == u32::from(code))
}
