//! Assertions: conservation of the ledger and errors by name.

use super::*;

impl Harness {
    // ------------------------------------------------------------------ invariants

    /// Every vault holds exactly what the ledger says it owes: quote vault = Σ account quote
    /// balances + Σ isolated collateral + pool + insurance; collateral vault = Σ account balances = bank total.
    pub async fn assert_conservation(&mut self) {
        let accounts = self.margin_accounts.clone();
        let mut quote_owed: i128 = 0;
        let mut owed: HashMap<u16, u128> = HashMap::new();
        for key in &accounts {
            if self.account(key).await.is_none() {
                continue;
            }
            let a = self.margin(key).await;
            quote_owed += a.quote_balance as i128;
            quote_owed += a.active_perps().iter().map(|p| p.isolated_collateral as i128).sum::<i128>();
            for s in a.active_collateral() {
                *owed.entry(s.bank_index).or_default() += s.amount as u128;
            }
        }
        let pool = self.pool_state().await;
        quote_owed += pool.balance as i128 + pool.insurance_balance as i128;
        let qv = self.quote.vault;
        assert_eq!(self.token_balance(&qv).await as i128, quote_owed, "quote vault vs ledger");
        for b in self.banks.clone() {
            let vault = self.token_balance(&b.vault).await as u128;
            let bank: CollateralBank = self.load(&b.key).await;
            assert_eq!(vault, owed.get(&b.index).copied().unwrap_or(0), "bank {} vault vs accounts", b.index);
            assert_eq!(vault, bank.total_deposits as u128, "bank {} vault vs total", b.index);
        }
    }
}

/// The Fulcrum error a failed transaction carries.
pub fn error_code(r: &TxResult) -> Option<u32> {
    match r {
        Err(BanksClientError::TransactionError(TransactionError::InstructionError(_, InstructionError::Custom(c))))
        | Err(BanksClientError::SimulationError {
            err: TransactionError::InstructionError(_, InstructionError::Custom(c)),
            ..
        }) => Some(*c),
        _ => None,
    }
}

/// Asserts `r` failed with the program error `e`.
#[track_caller]
pub fn assert_error(r: TxResult, e: FulcrumError) {
    let want: u32 = e.into();
    assert_eq!(error_code(&r), Some(want), "expected {e:?} ({want}), got {r:?}");
}

/// Asserts `r` failed with Anchor's framework error `e`.
#[track_caller]
pub fn assert_anchor_error(r: TxResult, e: anchor_lang::error::ErrorCode) {
    let want: u32 = e.into();
    assert_eq!(error_code(&r), Some(want), "expected {e:?} ({want}), got {r:?}");
}
