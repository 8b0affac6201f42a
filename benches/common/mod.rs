//! What the benchmarks share: a deterministic pseudo-random stream (no dependency, the same
//! data on every machine) and SID generation.

#![allow(dead_code)] // each bench uses its own subset

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// `len` characters drawn from `alphabet`.
    pub fn word(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }
}

pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// An Account SID: `IR` + 32 alphanumerics.
pub fn sid(rng: &mut Rng) -> String {
    format!("IR{}", rng.word(ALNUM, 32))
}

pub mod heavy;
