//! Instruction builders: every Fulcrum instruction as an `Instruction` (`*_ix`) with the
//! health accounts it needs, and a sender for each.

use super::*;

impl Harness {
    // ------------------------------------------------------------------ instructions

    pub fn deposit_ix(
        &self,
        account: &Pubkey,
        bank: &BankHandle,
        source: &Pubkey,
        depositor: &Pubkey,
        amount: u64,
    ) -> Instruction {
        Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::Deposit {
                exchange: self.exchange,
                margin_account: *account,
                bank: bank.key,
                vault: bank.vault,
                source: *source,
                depositor: *depositor,
                token_program: spl_token::ID,
                pool: self.pool,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::Deposit { amount }.data(),
        }
    }

    pub async fn deposit(&mut self, t: &Trader, bank_index: u16, amount: u64) -> TxResult {
        let bank = self.bank(bank_index);
        let ix = self.deposit_ix(&t.account, &bank, &t.token(&bank.mint), &t.key(), amount);
        self.send(&[ix], &[&t.kp]).await
    }

    /// Margin account `account` as it would be after withdrawing `amount` of bank `bank_index`
    /// (what the health accounts of a withdrawal are taken from).
    pub async fn margin_after_withdrawal(&mut self, account: &Pubkey, bank_index: u16, amount: u64) -> MarginAccount {
        let mut acct = self.margin(account).await;
        if let Some(i) = acct.find_collateral(bank_index) {
            acct.collateral[i].amount = acct.collateral[i].amount.saturating_sub(amount);
            acct.compact_collateral(i);
        }
        acct
    }

    pub async fn withdraw_ix(&mut self, t: &Trader, bank_index: u16, amount: u64) -> Instruction {
        let bank = self.bank(bank_index);
        // The health accounts are those of the account after the withdrawal.
        let acct = self.margin_after_withdrawal(&t.account, bank_index, amount).await;
        let mut metas = fulcrum::accounts::Withdraw {
            exchange: self.exchange,
            margin_account: t.account,
            owner: t.key(),
            bank: bank.key,
            vault: bank.vault,
            destination: t.token(&bank.mint),
            token_program: spl_token::ID,
        }
        .to_account_metas(None);
        metas.extend(self.health_metas(&acct));
        Instruction { program_id: fulcrum::ID, accounts: metas, data: fulcrum::instruction::Withdraw { amount }.data() }
    }

    pub async fn withdraw(&mut self, t: &Trader, bank_index: u16, amount: u64) -> TxResult {
        let ix = self.withdraw_ix(t, bank_index, amount).await;
        self.send(&[ix], &[&t.kp]).await
    }

    /// `(bank, oracle)` per active collateral slot then `(market, oracle)` per active perp slot,
    /// the correlations (portfolio), the pool (any perp slot).
    pub fn health_metas(&self, acct: &MarginAccount) -> Vec<AccountMeta> {
        let mut metas = vec![];
        for s in acct.active_collateral() {
            let b = self.bank(s.bank_index);
            metas.push(AccountMeta::new_readonly(b.key, false));
            metas.push(AccountMeta::new_readonly(b.oracle.unwrap().key, false));
        }
        for s in acct.active_perps() {
            let m = self.markets[s.market_index as usize];
            metas.push(AccountMeta::new_readonly(m.key, false));
            metas.push(AccountMeta::new_readonly(m.oracle.key, false));
        }
        if acct.is_portfolio() {
            metas.push(AccountMeta::new_readonly(correlations_address(&self.exchange), false));
        }
        if !acct.active_perps().is_empty() {
            metas.push(AccountMeta::new_readonly(self.pool, false));
        }
        metas
    }

    /// The account as it will be after trading `delta` on market `i` (slots only; for the
    /// health account list).
    pub async fn after_trade(&mut self, account: &Pubkey, market: u16, delta: i64) -> MarginAccount {
        let mut acct = self.margin(account).await;
        let i = acct.perp_slot(market).expect("slot");
        acct.perps[i].base += delta;
        if acct.perps[i].base == 0 {
            acct.perps[i].quote_entry = 0;
        } else if acct.perps[i].quote_entry == 0 {
            acct.perps[i].quote_entry = 1;
        }
        acct.compact_perp(i);
        acct
    }

    pub async fn trade_ix(
        &mut self,
        t: &Trader,
        market: u16,
        side: Side,
        size: u64,
        limit: Option<u64>,
        reduce_only: bool,
    ) -> Instruction {
        let m = self.markets[market as usize];
        let before = self.margin(&t.account).await;
        let held = before.find_perp(market).map(|i| before.perps[i].base).unwrap_or(0);
        let mut delta = if side == Side::Buy { size as i64 } else { -(size as i64) };
        if reduce_only && held != 0 && delta.unsigned_abs() > held.unsigned_abs() {
            delta = -held;
        }
        let after = self.after_trade(&t.account, market, delta).await;
        let limit_price = limit.unwrap_or(if side == Side::Buy { u64::MAX } else { 0 });
        let mut metas = fulcrum::accounts::PlacePerpTrade {
            exchange: self.exchange,
            margin_account: t.account,
            trader: t.key(),
            market: m.key,
            oracle: m.oracle.key,
            pool: self.pool,
        }
        .to_account_metas(None);
        metas.extend(self.health_metas(&after));
        Instruction {
            program_id: fulcrum::ID,
            accounts: metas,
            data: fulcrum::instruction::PlacePerpTrade {
                params: TradeParams { side, base_size: size, limit_price, reduce_only },
            }
            .data(),
        }
    }

    pub async fn trade(&mut self, t: &Trader, market: u16, side: Side, size: u64) -> TxResult {
        let ix = self.trade_ix(t, market, side, size, None, false).await;
        self.send(&[ix], &[&t.kp]).await
    }

    /// Closes the whole position in `market` (reduce-only).
    pub async fn close(&mut self, t: &Trader, market: u16) -> TxResult {
        let acct = self.margin(&t.account).await;
        let base = acct.find_perp(market).map(|i| acct.perps[i].base).unwrap_or(0);
        let side = if base > 0 { Side::Sell } else { Side::Buy };
        let ix = self.trade_ix(t, market, side, base.unsigned_abs(), None, true).await;
        self.send(&[ix], &[&t.kp]).await
    }

    // -------------------------------------------------------------- keepers

    pub async fn refresh_health_ix(&mut self, account: &Pubkey) -> Instruction {
        let acct = self.margin(account).await;
        let mut metas = fulcrum::accounts::RefreshHealth { exchange: self.exchange, margin_account: *account }
            .to_account_metas(None);
        metas.extend(self.health_metas(&acct));
        Instruction { program_id: fulcrum::ID, accounts: metas, data: fulcrum::instruction::RefreshHealth {}.data() }
    }

    /// `refresh_reputation` of `account` (permissionless; the margin check's accounts follow).
    pub async fn refresh_reputation_ix(&mut self, account: &Pubkey) -> Instruction {
        let acct = self.margin(account).await;
        let mut metas = fulcrum::accounts::RefreshReputation { exchange: self.exchange, margin_account: *account }
            .to_account_metas(None);
        metas.extend(self.health_metas(&acct));
        Instruction {
            program_id: fulcrum::ID,
            accounts: metas,
            data: fulcrum::instruction::RefreshReputation {}.data(),
        }
    }

    pub async fn refresh_health(&mut self, account: &Pubkey) -> TxResult {
        let ix = self.refresh_health_ix(account).await;
        self.send(&[ix], &[]).await
    }

    /// `liquidate_perp` of `account`'s position in `market`, signed by `keeper`, fee to
    /// `fee_to` (a quote token account).
    pub async fn liquidate_perp_ix(
        &mut self,
        keeper: &Pubkey,
        fee_to: &Pubkey,
        account: &Pubkey,
        market: u16,
    ) -> Instruction {
        let acct = self.margin(account).await;
        let m = self.markets[market as usize];
        let mut metas = fulcrum::accounts::LiquidatePerp {
            exchange: self.exchange,
            margin_account: *account,
            liquidator: *keeper,
            liquidator_quote: *fee_to,
            quote: fulcrum::accounts::QuoteVault { bank: self.quote.key, vault: self.quote.vault },
            market: m.key,
            oracle: m.oracle.key,
            pool: self.pool,
            token_program: spl_token::ID,
            order_book: None,
        }
        .to_account_metas(None);
        metas.extend(self.health_metas(&acct));
        Instruction { program_id: fulcrum::ID, accounts: metas, data: fulcrum::instruction::LiquidatePerp {}.data() }
    }

    pub async fn liquidate_perp(
        &mut self,
        keeper: &Keypair,
        fee_to: &Pubkey,
        account: &Pubkey,
        market: u16,
    ) -> TxResult {
        let ix = self.liquidate_perp_ix(&keeper.pubkey(), fee_to, account, market).await;
        self.send(&[ix], &[keeper]).await
    }

    pub async fn liquidate_collateral(
        &mut self,
        keeper: &Trader,
        account: &Pubkey,
        bank_index: u16,
        max_repay: u64,
    ) -> TxResult {
        let acct = self.margin(account).await;
        let bank = self.bank(bank_index);
        let mut metas = fulcrum::accounts::LiquidateCollateral {
            exchange: self.exchange,
            margin_account: *account,
            liquidator: keeper.key(),
            liquidator_quote: keeper.token(&self.quote.mint),
            liquidator_collateral: keeper.token(&bank.mint),
            quote: fulcrum::accounts::QuoteVault { bank: self.quote.key, vault: self.quote.vault },
            bank: bank.key,
            vault: bank.vault,
            token_program: spl_token::ID,
            pool: self.pool,
        }
        .to_account_metas(None);
        metas.extend(self.health_metas(&acct));
        let ix = Instruction {
            program_id: fulcrum::ID,
            accounts: metas,
            data: fulcrum::instruction::LiquidateCollateral { max_repay }.data(),
        };
        self.send(&[ix], &[&keeper.kp]).await
    }

    pub fn resolve_bankruptcy_ix(&self, account: &Pubkey) -> Instruction {
        Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::ResolveBankruptcy {
                exchange: self.exchange,
                margin_account: *account,
                pool: self.pool,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::ResolveBankruptcy {}.data(),
        }
    }

    pub async fn resolve_bankruptcy(&mut self, account: &Pubkey) -> TxResult {
        let ix = self.resolve_bankruptcy_ix(account);
        self.send(&[ix], &[]).await
    }

    /// `insurance_deposit` of `amount` quote from `depositor`'s token account.
    pub fn insurance_deposit_ix(&self, depositor: &Trader, amount: u64) -> Instruction {
        Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::InsuranceDeposit {
                exchange: self.exchange,
                pool: self.pool,
                quote: fulcrum::accounts::QuoteVault { bank: self.quote.key, vault: self.quote.vault },
                source: depositor.token(&self.quote.mint),
                depositor: depositor.key(),
                token_program: spl_token::ID,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::InsuranceDeposit { amount }.data(),
        }
    }

    pub fn insurance_withdraw_ix(&self, admin: &Pubkey, destination: &Pubkey, amount: u64) -> Instruction {
        Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::InsuranceWithdraw {
                admin: *admin,
                exchange: self.exchange,
                pool: self.pool,
                quote: fulcrum::accounts::QuoteVault { bank: self.quote.key, vault: self.quote.vault },
                destination: *destination,
                token_program: spl_token::ID,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::InsuranceWithdraw { amount }.data(),
        }
    }

    pub async fn update_exchange(&mut self, params: ExchangeParams) {
        let ix = Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::UpdateExchange { admin: self.admin.pubkey(), exchange: self.exchange }
                .to_account_metas(None),
            data: fulcrum::instruction::UpdateExchangeParams { params }.data(),
        };
        let admin = self.admin.insecure_clone();
        self.send(&[ix], &[&admin]).await.expect("update_exchange_params");
    }

    pub fn market_metas(&self) -> Vec<AccountMeta> {
        self.markets
            .iter()
            .flat_map(|m| [AccountMeta::new_readonly(m.key, false), AccountMeta::new_readonly(m.oracle.key, false)])
            .collect()
    }

    pub fn lp_deposit_ix(&self, provider: &Trader, amount: u64) -> Instruction {
        let mut metas = fulcrum::accounts::LpDeposit {
            exchange: self.exchange,
            pool: self.pool,
            lp_mint: self.lp_mint,
            quote_bank: self.quote.key,
            vault: self.quote.vault,
            source: provider.token(&self.quote.mint),
            lp_destination: provider.token(&self.lp_mint),
            lp_position: lp_position_address(&self.exchange, &provider.key()),
            provider: provider.key(),
            token_program: spl_token::ID,
            system_program: anchor_lang::system_program::ID,
        }
        .to_account_metas(None);
        metas.extend(self.market_metas());
        Instruction {
            program_id: fulcrum::ID,
            accounts: metas,
            data: fulcrum::instruction::LpDeposit { amount, min_shares_out: 0 }.data(),
        }
    }

    pub async fn lp_deposit(&mut self, provider: &Trader, amount: u64) -> TxResult {
        let ix = self.lp_deposit_ix(provider, amount);
        self.send(&[ix], &[&provider.kp]).await
    }

    /// `lp_withdraw` of `shares`, refused below `min_amount_out` quote.
    pub fn lp_withdraw_ix(&self, provider: &Trader, shares: u64, min_amount_out: u64) -> Instruction {
        let mut metas = fulcrum::accounts::LpWithdraw {
            exchange: self.exchange,
            pool: self.pool,
            lp_mint: self.lp_mint,
            quote_bank: self.quote.key,
            vault: self.quote.vault,
            lp_source: provider.token(&self.lp_mint),
            destination: provider.token(&self.quote.mint),
            provider: provider.key(),
            token_program: spl_token::ID,
        }
        .to_account_metas(None);
        metas.extend(self.market_metas());
        Instruction {
            program_id: fulcrum::ID,
            accounts: metas,
            data: fulcrum::instruction::LpWithdraw { shares, min_amount_out }.data(),
        }
    }

    pub async fn lp_withdraw(&mut self, provider: &Trader, shares: u64) -> TxResult {
        let ix = self.lp_withdraw_ix(provider, shares, 0);
        self.send(&[ix], &[&provider.kp]).await
    }

    /// `update_market_params` of market `market`, to be signed by the admin.
    pub fn update_market_ix(&self, market: usize, params: MarketParams) -> Instruction {
        Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::UpdateMarket {
                admin: self.admin.pubkey(),
                exchange: self.exchange,
                market: self.markets[market].key,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::UpdateMarketParams { params }.data(),
        }
    }

    pub async fn update_market(&mut self, market: usize, params: MarketParams) {
        let ix = self.update_market_ix(market, params);
        let admin = self.admin.insecure_clone();
        self.send(&[ix], &[&admin]).await.expect("update_market_params");
    }
}

impl Harness {
    pub fn crank_ix(&self, market: usize) -> Instruction {
        let m = self.markets[market];
        Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::CrankMarket {
                exchange: self.exchange,
                market: m.key,
                oracle: m.oracle.key,
                pool: self.pool,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::CrankMarket {}.data(),
        }
    }

    /// `crank_market` on market `i`.
    pub async fn crank(&mut self, market: usize) -> TxResult {
        let ix = self.crank_ix(market);
        self.send(&[ix], &[]).await
    }
}

// ---------------------------------------------------------------- margin modes

impl Harness {
    /// `set_correlations` signed by the admin.
    pub fn set_correlations_ix(&self, params: fulcrum::instructions::CorrelationParams) -> Instruction {
        Instruction {
            program_id: fulcrum::ID,
            accounts: fulcrum::accounts::SetCorrelations {
                admin: self.admin.pubkey(),
                exchange: self.exchange,
                correlations: correlations_address(&self.exchange),
                system_program: anchor_lang::system_program::ID,
            }
            .to_account_metas(None),
            data: fulcrum::instruction::SetCorrelations { params }.data(),
        }
    }

    pub async fn set_correlations(&mut self, params: fulcrum::instructions::CorrelationParams) -> TxResult {
        let ix = self.set_correlations_ix(params);
        let admin = self.admin.insecure_clone();
        self.send(&[ix], &[&admin]).await
    }

    /// Moves `amount` quote into (> 0) or out of (< 0) the trader's isolated position in `market`.
    pub async fn transfer_isolated_ix(&mut self, t: &Trader, market: u16, amount: i64) -> Instruction {
        let mut after = self.margin(&t.account).await;
        if let Some(i) = after.perp_slot(market) {
            if !after.perps[i].is_active() {
                after.perps[i].isolated = 1;
            }
            after.perps[i].isolated_collateral += amount;
            after.compact_perp(i);
        }
        let mut metas = fulcrum::accounts::TransferIsolatedCollateral {
            exchange: self.exchange,
            margin_account: t.account,
            trader: t.key(),
            market: self.markets[market as usize].key,
        }
        .to_account_metas(None);
        metas.extend(self.health_metas(&after));
        Instruction {
            program_id: fulcrum::ID,
            accounts: metas,
            data: fulcrum::instruction::TransferIsolatedCollateral { amount }.data(),
        }
    }

    pub async fn transfer_isolated(&mut self, t: &Trader, market: u16, amount: i64) -> TxResult {
        let ix = self.transfer_isolated_ix(t, market, amount).await;
        self.send(&[ix], &[&t.kp]).await
    }

    pub async fn set_margin_mode_ix(&mut self, t: &Trader, mode: fulcrum_risk::MarginMode) -> Instruction {
        let mut acct = self.margin(&t.account).await;
        acct.margin_mode = fulcrum_risk::MarginMode::Cross as u8; // correlations are named, not appended
        let mut metas = fulcrum::accounts::SetMarginMode {
            exchange: self.exchange,
            margin_account: t.account,
            owner: t.key(),
            correlations: correlations_address(&self.exchange),
        }
        .to_account_metas(None);
        metas.extend(self.health_metas(&acct));
        Instruction {
            program_id: fulcrum::ID,
            accounts: metas,
            data: fulcrum::instruction::SetMarginMode { mode: mode as u8 }.data(),
        }
    }

    pub async fn set_margin_mode(&mut self, t: &Trader, mode: fulcrum_risk::MarginMode) -> TxResult {
        let ix = self.set_margin_mode_ix(t, mode).await;
        self.send(&[ix], &[&t.kp]).await
    }
}
