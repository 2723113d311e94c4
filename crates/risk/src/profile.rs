//! Compute-unit profile marks (issue 15). With the `cu-profile` feature, in the Solana VM, each
//! mark logs its label and the units left (`sol_log_compute_units`); `benchmarks/cu-profile.sh`
//! turns the log into units per phase. Without the feature (every normal build) and natively a
//! mark compiles to nothing. The syscalls are declared here, by name, as the Solana SDK declares
//! them, so the engine keeps no Solana dependency.
//!
//! Three kinds, read by `benchmarks/cu_profile.py`: [`phase`] ends a phase (the units since the
//! previous mark at the same level are the phase's), [`begin`] / [`end`] bracket a nested span
//! (its units are its own, not its caller's phase's; `end` counts one call).
// `target_os = "solana"` is the VM build's, unknown to the host's cfg check.
#![allow(unexpected_cfgs)]

#[cfg(all(feature = "cu-profile", target_os = "solana"))]
mod sys {
    extern "C" {
        pub fn sol_log_(message: *const u8, len: u64);
        pub fn sol_log_compute_units_();
    }
}

#[cfg(all(feature = "cu-profile", target_os = "solana"))]
#[inline(never)]
fn mark(kind: &str, label: &str) {
    let mut line = [0u8; 96];
    let (k, l) = (kind.as_bytes(), label.as_bytes());
    let n = (k.len() + l.len()).min(line.len());
    line[..k.len().min(n)].copy_from_slice(&k[..k.len().min(n)]);
    line[k.len().min(n)..n].copy_from_slice(&l[..n - k.len().min(n)]);
    // SAFETY: the syscalls read `n` bytes of `line` and nothing else.
    unsafe {
        sys::sol_log_(line.as_ptr(), n as u64);
        sys::sol_log_compute_units_();
    }
}

#[cfg(not(all(feature = "cu-profile", target_os = "solana")))]
#[inline(always)]
fn mark(_kind: &str, _label: &str) {}

/// Ends phase `label` of the current level.
#[inline(always)]
pub fn phase(label: &str) {
    mark("cu> ", label);
}

/// Opens span `label`.
#[inline(always)]
pub fn begin(label: &str) {
    mark("cu+ ", label);
}

/// Closes span `label`.
#[inline(always)]
pub fn end(label: &str) {
    mark("cu- ", label);
}

/// At an instruction's entry: ends the entry phase, then one mark alone, whose units are one
/// mark's own cost (the profile subtracts it from every phase).
#[inline(always)]
pub fn entry() {
    phase("entry + accounts");
    phase("(one mark)");
}
