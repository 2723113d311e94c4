//! Sending: legacy and v0 transactions, simulation, and the events a transaction logged.

use super::*;

impl Harness {
    /// Sends `ixs` signed by the payer and `signers`. Each transaction gets a distinct compute
    /// limit so identical instructions are never deduplicated as one.
    pub async fn send(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> TxResult {
        let tx = self.signed(ixs, signers).await;
        self.ctx.banks_client.process_transaction(tx).await
    }

    /// `ixs` behind the next distinct compute limit, signed by the payer and `signers`.
    async fn signed(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Transaction {
        self.nonce += 1;
        let mut all = vec![ComputeBudgetInstruction::set_compute_unit_limit(1_400_000 - self.nonce)];
        all.extend_from_slice(ixs);
        let payer = self.payer();
        let mut keys: Vec<&Keypair> = vec![&payer];
        keys.extend_from_slice(signers);
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await.expect("blockhash");
        Transaction::new_signed_with_payer(&all, Some(&payer.pubkey()), &keys, blockhash)
    }

    /// Sends like [`Harness::send`] and returns the transaction's log messages.
    pub async fn send_logged(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Vec<String>, BanksClientError> {
        let tx = self.signed(ixs, signers).await;
        let r = self.ctx.banks_client.process_transaction_with_metadata(tx).await?;
        r.result.map_err(BanksClientError::TransactionError)?;
        Ok(r.metadata.map(|m| m.log_messages).unwrap_or_default())
    }

    /// Whether `ixs` would succeed now (simulated: nothing changes).
    pub async fn simulate(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> bool {
        let payer = self.payer();
        let mut keys: Vec<&Keypair> = vec![&payer];
        keys.extend_from_slice(signers);
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await.expect("blockhash");
        let tx = Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &keys, blockhash);
        let r = self.ctx.banks_client.simulate_transaction(tx).await.expect("simulate");
        matches!(r.result, Some(Ok(())))
    }
}

// ---------------------------------------------------------------------- v0 transactions

use solana_address_lookup_table_interface::state::{AddressLookupTable, LookupTableMeta};
use solana_sdk::{
    message::{v0, AddressLookupTableAccount, VersionedMessage},
    transaction::VersionedTransaction,
};

impl Harness {
    /// Writes an address lookup table holding `addresses` (as `create` + `extend` would leave
    /// it) and moves one slot on so the runtime accepts it.
    pub async fn lookup_table(&mut self, addresses: &[Pubkey]) -> AddressLookupTableAccount {
        let key = Pubkey::new_unique();
        let table = AddressLookupTable {
            meta: LookupTableMeta { authority: Some(self.payer().pubkey()), ..LookupTableMeta::default() },
            addresses: std::borrow::Cow::Borrowed(addresses),
        };
        let data = table.serialize_for_tests().unwrap();
        let lamports = self.ctx.banks_client.get_rent().await.unwrap().minimum_balance(data.len());
        let mut acct =
            AccountSharedData::new(lamports, data.len(), &solana_address_lookup_table_interface::program::ID);
        acct.set_data_from_slice(&data);
        self.ctx.set_account(&key, &acct);
        let slot = self.clock().await.slot;
        self.ctx.warp_to_slot(slot + 2).unwrap();
        AddressLookupTableAccount { key, addresses: addresses.to_vec() }
    }

    /// Builds the v0 transaction (payer + `signers`) without sending it.
    pub async fn v0_transaction(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        table: &AddressLookupTableAccount,
    ) -> VersionedTransaction {
        self.nonce += 1;
        let mut all = vec![ComputeBudgetInstruction::set_compute_unit_limit(1_400_000 - self.nonce)];
        all.extend_from_slice(ixs);
        let payer = self.payer();
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await.unwrap();
        let msg = v0::Message::try_compile(&payer.pubkey(), &all, std::slice::from_ref(table), blockhash).unwrap();
        let mut keys: Vec<&Keypair> = vec![&payer];
        keys.extend_from_slice(signers);
        VersionedTransaction::try_new(VersionedMessage::V0(msg), &keys).unwrap()
    }
}

/// Events of type `T` in `logs` ("Program data: …" on chain, "Program log: data: …" natively).
pub fn events<T: anchor_lang::Event + anchor_lang::AnchorDeserialize>(logs: &[String]) -> Vec<T> {
    use base64::Engine;
    logs.iter()
        .filter_map(|l| l.strip_prefix("Program data: ").or_else(|| l.strip_prefix("Program log: data: ")))
        .filter_map(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .filter(|d| d.starts_with(T::DISCRIMINATOR))
        .filter_map(|d| T::try_from_slice(&d[T::DISCRIMINATOR.len()..]).ok())
        .collect()
}
