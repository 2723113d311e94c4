//! The sBPF build's 128-bit libcalls (`src/sbf.rs`) inside the real VM, against the host.
//!
//! LLVM lowers every `u128`/`i128` multiply, divide and variable shift on sBPF to a libcall, and
//! the build defines them itself (see `src/sbf.rs`); a wrong routine or calling convention would
//! silently corrupt every margin figure. `programs/sbf-libcall-check` runs the operations on
//! operands sent in the instruction and returns the results; the host computes the same
//! operations with its native 128-bit arithmetic. Only meaningful in the VM (`FULCRUM_SBF=1`);
//! natively the routines themselves are unit-tested in `src/sbf.rs`.

use sbf_libcall_check::{apply, OPS, RECORD};

use crate::harness::*;
use solana_program_test::*;
use solana_sdk::{instruction::Instruction, pubkey::Pubkey, signature::Signer, transaction::Transaction};

/// Operands of every magnitude: full-width, shifted down, 64-bit, near the top, zero/one/-1.
fn operand(state: &mut u64) -> u128 {
    let mut word = || {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    };
    let (lo, hi, shape) = (word(), word(), word());
    let x = ((hi as u128) << 64) | lo as u128;
    match shape % 8 {
        0 => x,
        1 => x >> (shape % 128),
        2 => lo as u128 >> (shape % 64),
        3 => u128::MAX - (lo as u128 % 1_000),
        4 => (x as i128 >> (shape % 127)) as u128,
        5 => [0, 1, u128::MAX, i128::MIN as u128, i128::MAX as u128][(shape % 5) as usize],
        6 => (lo % 1_000_000_000_000) as u128,
        _ => x >> 64,
    }
}

#[tokio::test]
async fn libcalls_in_the_vm_match_the_host_on_random_operands() {
    if !sbf_mode() {
        eprintln!("sbf_libcalls: VM only (FULCRUM_SBF=1); natively src/sbf.rs's unit test covers the routines");
        return;
    }
    let id = Pubkey::new_unique();
    let mut pt = ProgramTest::new("sbf_libcall_check", id, None);
    pt.prefer_bpf(true);
    let ctx = pt.start_with_context().await;
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let (mut checked, mut mismatches) = (0usize, Vec::new());
    for batch in 0..60u32 {
        let ops: Vec<(u8, u128, u128)> = (0..24)
            .map(|k| (((batch * 24 + k) % OPS as u32) as u8, operand(&mut state), operand(&mut state)))
            .collect();
        let mut data = Vec::with_capacity(ops.len() * RECORD);
        for (op, a, b) in &ops {
            data.push(*op);
            data.extend_from_slice(&a.to_le_bytes());
            data.extend_from_slice(&b.to_le_bytes());
        }
        let ix = Instruction { program_id: id, accounts: vec![], data };
        let blockhash = ctx.banks_client.get_latest_blockhash().await.expect("blockhash");
        let tx = Transaction::new_signed_with_payer(&[ix], Some(&ctx.payer.pubkey()), &[&ctx.payer], blockhash);
        let r = ctx.banks_client.process_transaction_with_metadata(tx).await.expect("banks");
        r.result.expect("libcall check transaction");
        let out = r.metadata.and_then(|m| m.return_data).expect("return data").data;
        assert_eq!(out.len(), ops.len() * 17);
        for ((op, a, b), got) in ops.iter().zip(out.chunks_exact(17)) {
            let want = apply(*op, *a, *b);
            let mut v = [0u8; 16];
            v.copy_from_slice(&got[1..]);
            let vm = (got[0] == 1).then_some(u128::from_le_bytes(v));
            checked += 1;
            if vm != want {
                mismatches.push(format!("op {op}: a={a:#x} b={b:#x}: vm {vm:?}, host {want:?}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "{} of {checked} operations differ:\n{}", mismatches.len(), mismatches.join("\n"));
    eprintln!("sbf_libcalls: {checked} operations, VM = host");
}
