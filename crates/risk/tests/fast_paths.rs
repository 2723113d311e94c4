//! Issue 15's compute-unit fast paths give the same results as the plain checked 128-bit code
//! they replace in the VM: that code is kept here as the reference.

use fulcrum_risk::fixed::*;
use fulcrum_risk::*;
use proptest::prelude::*;

/// `correlated_risk` as it was: checked 128-bit products throughout.
fn correlated_risk_reference(v: &[i128; MAX_ASSETS], c: &Correlation) -> MathResult<i128> {
    let n = c.n.min(MAX_ASSETS);
    let mut total = 0i128;
    for (i, vi) in v[..n].iter().enumerate().filter(|(_, x)| **x != 0) {
        let w = (0..n)
            .try_fold(0i128, |acc, j| v[j].checked_mul(i128::from(c.c[i][j])).and_then(|p| acc.checked_add(p)))
            .ok_or(MathError::Overflow)?;
        let w = match *vi > 0 {
            true => mul_div_signed_ceil(w, 1, 1_000_000)?,
            false => mul_div_signed_floor(w, 1, 1_000_000)?,
        };
        total = vi.checked_mul(w).and_then(|t| total.checked_add(t)).ok_or(MathError::Overflow)?;
    }
    to_i128(isqrt_ceil(total.max(0).unsigned_abs()))
}

fn risk() -> impl Strategy<Value = i128> {
    prop_oneof![
        -1_000_000_000_000_000i128..1_000_000_000_000_000,
        any::<i64>().prop_map(i128::from),
        Just(i128::from(i64::MIN)),
        Just(i128::from(i64::MAX)),
        any::<i128>().prop_map(|x| x >> 40),
        Just(0i128),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]

    #[test]
    fn correlated_risk_matches_the_checked_128_bit_sum(
        n in 0usize..=MAX_ASSETS,
        v in proptest::array::uniform12(risk()),
        c in proptest::array::uniform12(proptest::array::uniform12(any::<i32>())),
        ppm in proptest::array::uniform12(proptest::array::uniform12(-1_000_000i32..=1_000_000)),
        wild in any::<bool>(),
    ) {
        let corr = Correlation { n, c: if wild { c } else { ppm } };
        prop_assert_eq!(correlated_risk(&v, &corr), correlated_risk_reference(&v, &corr));
    }
}
