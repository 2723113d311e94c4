//! The attack catalogue: each test builds the transaction an attacker would, expects the named
//! error, and checks that account bytes, token balances and the ledger are identical before and
//! after. `docs/security.md` lists every class with the check that stops it.
#![allow(deprecated, dead_code, clippy::too_many_arguments)]

#[path = "../program/harness/mod.rs"]
mod harness;

mod arithmetic;
mod capacity;
mod crash;
mod decoders;
mod economic;
mod funding;
mod fuzz;
mod integrity;
mod latency;
mod loose_ends;
mod lp;
mod modes;
mod oracle_spoofing;
mod orders;
mod params;
mod quote_vault;
mod reputation;
mod signers;
mod substitution;
mod winners;
mod yield_collateral; // s6-lst

use harness::*;
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Keypair};

/// An exchange with SOL collateral, one SOL-PERP market, a funded pool, and a victim who holds
/// USDC, SOL collateral and a long.
pub struct World {
    pub h: Harness,
    pub victim: Trader,
    pub attacker: Trader,
    pub sol: BankHandle,
}

impl World {
    pub async fn new() -> Self {
        let mut h =
            Setup { banks: vec![BankSpec::default()], insurance: 1_000 * USDC, ..Setup::markets(1, 100_000 * USDC) }
                .build()
                .await;
        let sol = h.bank(1);
        let victim = h.trader(2_000 * USDC).await;
        h.deposit(&victim, 0, 1_000 * USDC).await.unwrap();
        h.fund(&victim, sol.index, 5 * SOL).await;
        h.trade(&victim, 0, fulcrum::instructions::Side::Buy, 10 * SOL).await.unwrap();
        let attacker = h.trader(1_000 * USDC).await;
        h.deposit(&attacker, 0, 500 * USDC).await.unwrap();
        h.fund(&attacker, sol.index, SOL).await;
        World { h, victim, attacker, sol }
    }

    /// Everything the attack could touch: the ledger and both traders' token accounts.
    pub fn keys(&self) -> Vec<Pubkey> {
        let mut k = self.h.ledger_keys();
        k.extend(self.victim.tokens.values().copied());
        k.extend(self.attacker.tokens.values().copied());
        k
    }

    /// Sends the attack and asserts it fails with `e` and changes nothing.
    pub async fn rejected(&mut self, ixs: &[Instruction], signers: &[&Keypair], e: FulcrumError) {
        let keys = self.keys();
        let before = self.h.snapshot(&keys).await;
        assert_error(self.h.send(ixs, signers).await, e);
        assert_eq!(self.h.snapshot(&keys).await, before, "state changed by a rejected {e:?}");
        self.h.assert_conservation().await;
    }

    /// As [`World::rejected`], for Anchor's framework errors.
    pub async fn rejected_by_anchor(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        e: anchor_lang::error::ErrorCode,
    ) {
        let keys = self.keys();
        let before = self.h.snapshot(&keys).await;
        assert_anchor_error(self.h.send(ixs, signers).await, e);
        assert_eq!(self.h.snapshot(&keys).await, before, "state changed by a rejected {e:?}");
    }
}
