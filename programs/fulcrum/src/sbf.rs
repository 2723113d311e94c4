//! 128-bit arithmetic libcalls for the sBPF build (`scripts/build-sbf.sh`, upstream LLVM 23;
//! compiled under `--cfg sbf_upstream_llvm` only, never by `cargo build-sbf`).
//!
//! sBPF has 64-bit registers only, so LLVM lowers `u128`/`i128` multiplication, division and
//! variable shifts to calls to `__multi3`, `__udivti3`, … It passes each 128-bit argument in two
//! registers (a = r1:r2, b = r3:r4) and returns the result in r0:r2. The definitions in rustc's
//! `compiler_builtins` and in `solana-compiler-builtins` are compiled with rustc's BPF `extern "C"`
//! ABI (result through a pointer), so calling them corrupts memory. These are declared with rustc's
//! internal `extern "unadjusted"` ABI, which hands LLVM the plain `i128 (i128, i128)` signature of
//! its own libcall, so caller and callee agree; they are strong symbols and replace the weak ones.
//!
//! The bodies use 64-bit operations only (a 128-bit `*`, `/` or variable shift here would call
//! itself) and wrapping 64-bit multiplies (an overflow-checked one is lowered to `__multi3`).
//! `tests/program/sbf_libcalls.rs` checks every routine inside the VM against the host's results.

const LO32: u64 = 0xFFFF_FFFF;

#[inline(always)]
fn split(x: u128) -> (u64, u64) {
    (x as u64, (x >> 64) as u64)
}

#[inline(always)]
fn join(lo: u64, hi: u64) -> u128 {
    ((hi as u128) << 64) | lo as u128
}

/// Full 64 × 64 → 128-bit product as (lo, hi), from 32-bit halves.
#[inline(always)]
fn mul_wide(a: u64, b: u64) -> (u64, u64) {
    let (a0, a1) = (a & LO32, a >> 32);
    let (b0, b1) = (b & LO32, b >> 32);
    let p00 = a0.wrapping_mul(b0);
    let p01 = a0.wrapping_mul(b1);
    let p10 = a1.wrapping_mul(b0);
    let p11 = a1.wrapping_mul(b1);
    let mid = (p00 >> 32).wrapping_add(p01 & LO32).wrapping_add(p10 & LO32);
    let lo = (p00 & LO32) | (mid << 32);
    let hi = p11.wrapping_add(p01 >> 32).wrapping_add(p10 >> 32).wrapping_add(mid >> 32);
    (lo, hi)
}

/// Low 128 bits of a × b (the same bits for signed and unsigned operands).
#[inline(always)]
fn mul_low(a: u128, b: u128) -> u128 {
    let (a0, a1) = split(a);
    let (b0, b1) = split(b);
    let (lo, hi) = mul_wide(a0, b0);
    let cross = a0.wrapping_mul(b1).wrapping_add(a1.wrapping_mul(b0));
    join(lo, hi.wrapping_add(cross))
}

/// (u1:u0) / v for u1 < v: 64-bit quotient and remainder (Hacker's Delight `divlu`, 32-bit digits).
#[inline(always)]
fn div_128_by_64(u1: u64, u0: u64, v: u64) -> (u64, u64) {
    const B: u64 = 1 << 32;
    let s = v.leading_zeros();
    let v = v << s;
    let (vn1, vn0) = (v >> 32, v & LO32);
    let un32 = if s == 0 { u1 } else { (u1 << s) | (u0 >> (64 - s)) };
    let un10 = u0 << s;
    let (un1, un0) = (un10 >> 32, un10 & LO32);

    let mut q1 = un32 / vn1;
    let mut rhat = un32.wrapping_sub(q1.wrapping_mul(vn1));
    while q1 >= B || q1.wrapping_mul(vn0) > B.wrapping_mul(rhat).wrapping_add(un1) {
        q1 = q1.wrapping_sub(1);
        rhat = rhat.wrapping_add(vn1);
        if rhat >= B {
            break;
        }
    }
    let un21 = un32.wrapping_mul(B).wrapping_add(un1).wrapping_sub(q1.wrapping_mul(v));
    let mut q0 = un21 / vn1;
    rhat = un21.wrapping_sub(q0.wrapping_mul(vn1));
    while q0 >= B || q0.wrapping_mul(vn0) > B.wrapping_mul(rhat).wrapping_add(un0) {
        q0 = q0.wrapping_sub(1);
        rhat = rhat.wrapping_add(vn1);
        if rhat >= B {
            break;
        }
    }
    let r = un21.wrapping_mul(B).wrapping_add(un0).wrapping_sub(q0.wrapping_mul(v)) >> s;
    (q1.wrapping_mul(B).wrapping_add(q0), r)
}

/// Unsigned 128-bit division: (quotient, remainder). A zero divisor never reaches here (Rust
/// checks it before dividing); it yields (0, n) rather than trapping.
#[inline(always)]
fn udivmod(n: u128, d: u128) -> (u128, u128) {
    let (n0, n1) = split(n);
    let (d0, d1) = split(d);
    if d1 == 0 {
        if d0 == 0 {
            return (0, n);
        }
        if n1 == 0 {
            return ((n0 / d0) as u128, (n0 % d0) as u128);
        }
        // Two 128/64 steps: high word, then the remainder with the low word.
        let (q1, r1) = (n1 / d0, n1 % d0);
        let (q0, r) = div_128_by_64(r1, n0, d0);
        return (join(q0, q1), r as u128);
    }
    if n < d {
        return (0, n);
    }
    // d ≥ 2^64, so the quotient fits in 64 bits. Estimate it from the top 64 bits of the
    // normalised divisor (Hacker's Delight `divlu`-based 128/128), then correct by one.
    let s = d1.leading_zeros();
    let v1 = if s == 0 { d1 } else { (d1 << s) | (d0 >> (64 - s)) };
    let (m0, m1) = split(n >> 1);
    let (q1, _) = div_128_by_64(m1, m0, v1);
    // Undo the normalisation and the halving: (q1 · 2^s) / 2^63, computed without 128 bits.
    let mut q0 = (q1 >> (63 - s)).saturating_sub(1);
    let mut r = n.wrapping_sub(mul_low(q0 as u128, d));
    if r >= d {
        q0 += 1;
        r = r.wrapping_sub(d);
    }
    (q0 as u128, r)
}

#[inline(always)]
fn abs_neg(x: i128) -> (u128, bool) {
    (x.unsigned_abs(), x < 0)
}

#[inline(always)]
fn negate_if(x: u128, neg: bool) -> i128 {
    if neg {
        x.wrapping_neg() as i128
    } else {
        x as i128
    }
}

#[cfg(sbf_upstream_llvm)]
#[unsafe(no_mangle)]
pub extern "unadjusted" fn __multi3(a: i128, b: i128) -> i128 {
    mul_low(a as u128, b as u128) as i128
}

#[cfg(sbf_upstream_llvm)]
#[unsafe(no_mangle)]
pub extern "unadjusted" fn __udivti3(n: u128, d: u128) -> u128 {
    udivmod(n, d).0
}

#[cfg(sbf_upstream_llvm)]
#[unsafe(no_mangle)]
pub extern "unadjusted" fn __umodti3(n: u128, d: u128) -> u128 {
    udivmod(n, d).1
}

#[cfg(sbf_upstream_llvm)]
#[unsafe(no_mangle)]
pub extern "unadjusted" fn __divti3(n: i128, d: i128) -> i128 {
    let (un, nn) = abs_neg(n);
    let (ud, nd) = abs_neg(d);
    negate_if(udivmod(un, ud).0, nn != nd)
}

#[cfg(sbf_upstream_llvm)]
#[unsafe(no_mangle)]
pub extern "unadjusted" fn __modti3(n: i128, d: i128) -> i128 {
    let (un, nn) = abs_neg(n);
    let (ud, _) = abs_neg(d);
    negate_if(udivmod(un, ud).1, nn)
}

#[cfg(sbf_upstream_llvm)]
#[unsafe(no_mangle)]
pub extern "unadjusted" fn __ashlti3(a: u128, b: u32) -> u128 {
    let (lo, hi) = split(a);
    let b = b & 127;
    if b == 0 {
        a
    } else if b < 64 {
        join(lo << b, (hi << b) | (lo >> (64 - b)))
    } else {
        join(0, lo << (b - 64))
    }
}

#[cfg(sbf_upstream_llvm)]
#[unsafe(no_mangle)]
pub extern "unadjusted" fn __lshrti3(a: u128, b: u32) -> u128 {
    let (lo, hi) = split(a);
    let b = b & 127;
    if b == 0 {
        a
    } else if b < 64 {
        join((lo >> b) | (hi << (64 - b)), hi >> b)
    } else {
        join(hi >> (b - 64), 0)
    }
}

#[cfg(sbf_upstream_llvm)]
#[unsafe(no_mangle)]
pub extern "unadjusted" fn __ashrti3(a: i128, b: u32) -> i128 {
    let (lo, hi) = split(a as u128);
    let hi = hi as i64;
    let b = b & 127;
    if b == 0 {
        a
    } else if b < 64 {
        join((lo >> b) | ((hi as u64) << (64 - b)), (hi >> b) as u64) as i128
    } else {
        join((hi >> (b - 64)) as u64, (hi >> 63) as u64) as i128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift: deterministic, and mixes small, large and edge-case magnitudes.
    fn next(state: &mut u64) -> u128 {
        let mut word = || {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            *state
        };
        let (a, b, shape) = (word(), word(), word());
        let x = join(a, b);
        match shape % 6 {
            0 => x,
            1 => x >> (shape % 128),
            2 => (a as u128) >> (shape % 64),
            3 => u128::MAX - (a as u128 % 3),
            4 => join(a, 0) | (1u128 << 64) << (shape % 63),
            _ => x >> 64,
        }
    }

    #[test]
    fn routines_match_native_128_bit_arithmetic() {
        let mut state = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            let (a, b) = (next(&mut state), next(&mut state));
            assert_eq!(mul_low(a, b), a.wrapping_mul(b));
            if b != 0 {
                assert_eq!(udivmod(a, b), (a / b, a % b), "{a} / {b}");
                let (sa, sb) = (a as i128, b as i128);
                if !(sa == i128::MIN && sb == -1) {
                    let ((ua, na), (ub, nb)) = (abs_neg(sa), abs_neg(sb));
                    let (q, r) = udivmod(ua, ub);
                    assert_eq!(negate_if(q, na != nb), sa / sb);
                    assert_eq!(negate_if(r, na), sa % sb);
                }
            }
        }
    }
}
