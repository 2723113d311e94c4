//! Fixed-point units and checked arithmetic.
//!
//! Every number in the engine is an integer with a documented unit:
//!
//! | quantity | type | unit |
//! |---|---|---|
//! | quote amount (equity, requirement, PnL, fees) | `i128` in results, `i64`/`u64` at rest | native units of the quote mint (USDC: 10⁻⁶) |
//! | base amount (collateral, perp size) | `u64` / signed `i64` | native units of the asset (SOL: 10⁻⁹) |
//! | price | `u64` | quote native units per base native unit × [`PRICE_SCALE`] |
//! | ratio, weight, fee rate, leverage | `u32` / `u64` | parts per million: [`RATIO_ONE`] = 1.0 |
//! | funding index | `i128` | quote native units per base native unit × [`FUNDING_SCALE`] |
//!
//! Rounding is always against the account: requirements and liabilities round up, asset values
//! round down. Intermediates are `u128`/`i128`; every operation that can fail returns
//! [`MathError`] instead of wrapping or panicking.

/// Decimal places of a price: a price is quote native units per base native unit × 10¹².
pub const PRICE_DECIMALS: u32 = 12;
/// `10^PRICE_DECIMALS`. SOL at $140 (9 decimals) quoted in USDC (6 decimals) is `140_000_000_000`.
pub const PRICE_SCALE: u128 = 1_000_000_000_000;
/// Ratios, weights, fee rates and leverage are in parts per million: 1.0 = 1,000,000.
pub const RATIO_ONE: u64 = 1_000_000;
/// Cumulative funding index scale: quote native units per base native unit × 10¹².
pub const FUNDING_SCALE: u128 = PRICE_SCALE;

/// Why a computation could not produce a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathError {
    /// A result does not fit its type.
    Overflow,
    /// Division by zero.
    DivideByZero,
    /// An input is outside its documented range (zero price, weight above 1, …).
    InvalidInput,
}

impl core::fmt::Display for MathError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            MathError::Overflow => "arithmetic overflow",
            MathError::DivideByZero => "division by zero",
            MathError::InvalidInput => "input outside its documented range",
        })
    }
}

impl std::error::Error for MathError {}

/// Result of an engine computation.
pub type MathResult<T> = Result<T, MathError>;

/// Which margin the computation is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarginKind {
    /// Opening risk or withdrawing: conservative prices, init weights and ratios.
    Initial,
    /// Staying open: oracle prices, maint weights and ratios.
    Maintenance,
}

/// `a * b`, `None` on overflow: `u128::checked_mul`, written so the VM (64-bit registers, no
/// 128-bit multiply) does at most two 64 × 64 → 128 multiplies where `checked_mul` expands to
/// several with overflow tracking. Issue 15; `tests/fast_paths.rs` checks it against
/// `checked_mul`.
#[inline(always)]
pub fn checked_mul_u128(a: u128, b: u128) -> Option<u128> {
    if b == 1 {
        return Some(a); // `mul_div_*(x, 1, d)`: a plain division
    }
    let (a_hi, b_hi) = (a >> 64, b >> 64);
    if a_hi == 0 && b_hi == 0 {
        return Some(a.wrapping_mul(b)); // two 64-bit factors: cannot overflow
    }
    if a_hi != 0 && b_hi != 0 {
        return None; // ≥ 2¹²⁸
    }
    let (big, small) = if a_hi == 0 { (b, a) } else { (a, b) };
    let hi = (big >> 64).wrapping_mul(small); // 64 × 64 bits: exact
    if hi >> 64 != 0 {
        return None;
    }
    (big & u128::from(u64::MAX)).wrapping_mul(small).checked_add(hi << 64)
}

/// `(n / d, n % d)` for `d > 0`, cheap in the VM (64-bit registers, native 64-bit division):
/// native when both fit 64 bits; a divisor below 2³² (ratios) or [`PRICE_SCALE`] and
/// `PRICE_SCALE × RATIO_ONE` (prices, weights; powers of 10⁶) by long division in 32-bit digits
/// ([`div_rem_u32`]); else one 128-bit division and the remainder by a multiply.
#[inline(always)]
pub fn div_rem_u128(n: u128, d: u128) -> (u128, u128) {
    const MILLION: u64 = 1_000_000;
    if (n | d) >> 64 == 0 {
        let (n, d) = (n as u64, d as u64);
        return (u128::from(n / d), u128::from(n % d));
    }
    if d >> 32 == 0 {
        let (q, r) = div_rem_u32(n, d as u64);
        return (q, u128::from(r));
    }
    // n = 10⁶ q₁ + r₁, q₁ = 10⁶ q₂ + r₂, …: n / 10^(6k) = q_k, remainder r₁ + 10⁶ r₂ + …
    let steps = if d == PRICE_SCALE {
        2
    } else if d == PRICE_SCALE * u128::from(RATIO_ONE) {
        3
    } else {
        let q = n / d;
        return (q, n.wrapping_sub(q.wrapping_mul(d)));
    };
    let (mut q, mut r, mut unit) = (n, 0u128, 1u128);
    for _ in 0..steps {
        let (next, digit) = div_rem_u32(q, MILLION);
        // r < 10^(6k) ≤ 10¹⁸ and unit ≤ 10¹⁸: no overflow (wrapping: no checked 128-bit multiply).
        r = r.wrapping_add(u128::from(digit).wrapping_mul(unit));
        unit = unit.wrapping_mul(u128::from(MILLION));
        q = next;
    }
    (q, r)
}

/// `(n / d, n % d)` for `0 < d < 2³²`: schoolbook division in four 32-bit digits, each step a
/// native 64-bit division (`r < d`, so `r × 2³² + digit` fits 64 bits, and every quotient
/// digit is below 2³²).
#[inline(always)]
pub fn div_rem_u32(n: u128, d: u64) -> (u128, u64) {
    const LO: u64 = 0xFFFF_FFFF;
    let (hi, lo) = ((n >> 64) as u64, n as u64);
    let mut r = 0u64;
    let mut q = [0u64; 4];
    for (qi, digit) in q.iter_mut().zip([hi >> 32, hi & LO, lo >> 32, lo & LO]) {
        let cur = (r << 32) | digit;
        *qi = cur / d;
        r = cur % d;
    }
    ((u128::from((q[0] << 32) | q[1]) << 64) | u128::from((q[2] << 32) | q[3]), r)
}

/// `a * b / d`, rounded down, on unsigned magnitudes.
#[inline]
pub fn mul_div_floor(a: u128, b: u128, d: u128) -> MathResult<u128> {
    if d == 0 {
        return Err(MathError::DivideByZero);
    }
    Ok(div_rem_u128(checked_mul_u128(a, b).ok_or(MathError::Overflow)?, d).0)
}

/// `a * b / d`, rounded up, on unsigned magnitudes.
#[inline]
pub fn mul_div_ceil(a: u128, b: u128, d: u128) -> MathResult<u128> {
    if d == 0 {
        return Err(MathError::DivideByZero);
    }
    let (q, r) = div_rem_u128(checked_mul_u128(a, b).ok_or(MathError::Overflow)?, d);
    Ok(q + u128::from(r != 0))
}

/// `10^k` for `k ≤ 38` (every power of ten a `u128` holds), from a table: `u128::pow` is a
/// loop of overflow-checked 128-bit multiplies in the VM.
#[inline(always)]
pub fn pow10_u128(k: u32) -> Option<u128> {
    POW10.get(k as usize).copied()
}

const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Signed `a * b / d` rounded toward negative infinity (`d > 0`).
#[inline]
pub fn mul_div_signed_floor(a: i128, b: u128, d: u128) -> MathResult<i128> {
    let m = a.unsigned_abs();
    if a >= 0 {
        to_i128(mul_div_floor(m, b, d)?)
    } else {
        Ok(-to_i128(mul_div_ceil(m, b, d)?)?)
    }
}

/// Signed `a * b / d` rounded toward positive infinity (`d > 0`).
#[inline]
pub fn mul_div_signed_ceil(a: i128, b: u128, d: u128) -> MathResult<i128> {
    let m = a.unsigned_abs();
    if a >= 0 {
        to_i128(mul_div_ceil(m, b, d)?)
    } else {
        Ok(-to_i128(mul_div_floor(m, b, d)?)?)
    }
}

/// Signed `a * b / d` rounded toward zero (`d > 0`): odd in `a`, so `f(−a) = −f(a)` (for
/// quantities that must treat both sides alike, such as skew and the funding rate).
#[inline]
pub fn mul_div_signed_trunc(a: i128, b: u128, d: u128) -> MathResult<i128> {
    let m = to_i128(mul_div_floor(a.unsigned_abs(), b, d)?)?;
    Ok(if a >= 0 { m } else { -m })
}

/// `u128 -> i128`, failing above `i128::MAX`.
#[inline]
pub fn to_i128(v: u128) -> MathResult<i128> {
    i128::try_from(v).map_err(|_| MathError::Overflow)
}

/// `a × b`, `None` on overflow: `i128::checked_mul`, with one 64 × 64 → 128 multiply when both
/// fit 64 bits (their product cannot overflow), where `checked_mul` expands to several.
#[inline(always)]
pub fn checked_mul_i128(a: i128, b: i128) -> Option<i128> {
    match (i64::try_from(a), i64::try_from(b)) {
        (Ok(x), Ok(y)) => Some(i128::from(x).wrapping_mul(i128::from(y))),
        _ => a.checked_mul(b),
    }
}

/// `i128 -> i64`, failing outside the range.
#[inline]
pub fn to_i64(v: i128) -> MathResult<i64> {
    i64::try_from(v).map_err(|_| MathError::Overflow)
}

/// `i128 -> u64`, failing outside the range.
#[inline]
pub fn to_u64(v: i128) -> MathResult<u64> {
    u64::try_from(v).map_err(|_| MathError::Overflow)
}

/// Checked `i128` addition.
#[inline]
pub fn add(a: i128, b: i128) -> MathResult<i128> {
    a.checked_add(b).ok_or(MathError::Overflow)
}

/// Checked `i128` subtraction.
#[inline]
pub fn sub(a: i128, b: i128) -> MathResult<i128> {
    a.checked_sub(b).ok_or(MathError::Overflow)
}

/// Integer square root rounded up: the least `r` with `r * r >= v`.
#[inline]
pub fn isqrt_ceil(v: u128) -> u128 {
    let r = isqrt_floor(v);
    // r < 2⁶⁴: the square cannot overflow.
    if r.wrapping_mul(r) == v {
        r
    } else {
        r + 1
    }
}

/// Integer square root rounded down. Newton's method from a power-of-two estimate above the
/// root, so it only decreases; a `u64` fast path keeps the common case cheap.
#[inline]
pub fn isqrt_floor(v: u128) -> u128 {
    if v < 2 {
        return v;
    }
    if let Ok(small) = u64::try_from(v) {
        return u128::from(isqrt_u64(small));
    }
    // Start from the root of the top 62 bits (an even shift `s`), plus one, scaled: above the
    // root (√v < √(⌊v / 2^s⌋ + 1) · 2^(s/2)), and within 2⁻³⁰ of it, so the descent below takes
    // one or two 128-bit divisions instead of six or seven from a power of two.
    let bits = 128 - v.leading_zeros();
    let s = (bits - 62).div_ceil(2) * 2;
    let mut x = (u128::from(isqrt_u64((v >> s) as u64)) + 1) << (s / 2);
    loop {
        let y = (x + v / x) >> 1;
        if y >= x {
            return x;
        }
        x = y;
    }
}

#[inline]
fn isqrt_u64(v: u64) -> u64 {
    let bits = 64 - v.leading_zeros();
    let mut x = 1u64 << bits.div_ceil(2);
    loop {
        let y = (x + v / x) >> 1;
        if y >= x {
            return x;
        }
        x = y;
    }
}
