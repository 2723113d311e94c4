//! What the vector generators share: a fixed-seed xorshift64* and a minimal JSON writer.
#![allow(dead_code)]

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    pub fn signed(&mut self, mag: u64) -> i64 {
        let v = self.range(0, mag) as i64;
        if self.next() & 1 == 0 {
            v
        } else {
            -v
        }
    }
    pub fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
    /// Log-uniform in `[lo, hi]`.
    pub fn log(&mut self, lo: u64, hi: u64) -> u64 {
        let (a, b) = ((lo as f64).ln(), (hi as f64).ln());
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((a + (b - a) * u).exp() as u64).clamp(lo, hi)
    }
}

/// Minimal JSON writer: numbers as strings, objects from pairs.
pub fn s<T: ToString>(v: T) -> String {
    format!("\"{}\"", v.to_string())
}

pub fn obj(fields: &[(&str, String)]) -> String {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
    format!("{{{}}}", body.join(","))
}

pub fn arr(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}
