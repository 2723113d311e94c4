//! Fixed-point helpers: rounding directions and the integer square root.

use fulcrum_risk::fixed::*;
use proptest::prelude::*;

#[test]
fn rounding_directions() {
    assert_eq!(mul_div_floor(7, 3, 2), Ok(10));
    assert_eq!(mul_div_ceil(7, 3, 2), Ok(11));
    assert_eq!(mul_div_ceil(6, 3, 2), Ok(9));
    assert_eq!(mul_div_signed_floor(-7, 3, 2), Ok(-11));
    assert_eq!(mul_div_signed_ceil(-7, 3, 2), Ok(-10));
    assert_eq!(mul_div_floor(1, 1, 0), Err(MathError::DivideByZero));
    assert_eq!(mul_div_floor(u128::MAX, 2, 1), Err(MathError::Overflow));
}

#[test]
fn sqrt_small_values() {
    let expect = [0u128, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3];
    for (v, r) in expect.iter().enumerate() {
        assert_eq!(isqrt_floor(v as u128), *r, "sqrt({v})");
    }
    assert_eq!(isqrt_ceil(8), 3);
    assert_eq!(isqrt_ceil(9), 3);
    assert_eq!(isqrt_floor(u128::MAX), u64::MAX as u128);
    assert_eq!(isqrt_floor(u64::MAX as u128), 4_294_967_295);
}

proptest! {
    #[test]
    fn sqrt_brackets_the_root(v in any::<u128>()) {
        let r = isqrt_floor(v);
        prop_assert!(r * r <= v);
        prop_assert!((r + 1).checked_mul(r + 1).is_none_or(|s| s > v));
        let c = isqrt_ceil(v);
        prop_assert!(c == r || c == r + 1);
    }

    #[test]
    fn signed_rounding_brackets(a in any::<i64>(), b in 1u64.., d in 1u64..) {
        let f = mul_div_signed_floor(a as i128, b as u128, d as u128).unwrap();
        let c = mul_div_signed_ceil(a as i128, b as u128, d as u128).unwrap();
        let exact = a as i128 * b as i128;
        prop_assert!(f * d as i128 <= exact && exact < (f + 1) * d as i128);
        prop_assert!(c - f <= 1 && c >= f);
    }
}
