// SPDX-License-Identifier: GPL-2.0

//! The deterministic random number generator of created networks: xoshiro256**
//! (Blackman and Vigna), its state seeded from a `u64` by SplitMix64. The kernel seeds it
//! from `get_random_u64()`, tests from a fixed seed, which makes a created network (its
//! Xavier initialisation, [`super::xavier`], and the stochastic rounding of its training
//! updates, [`super::train`]) reproducible bit for bit.
//!
//! Pure code: only `core`.

use super::num::{high_u32, i16_from_bits, i32_from_bits, low_u16, low_u32};

/// SplitMix64: the generator that expands a seed into xoshiro's state.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// xoshiro256** 1.0 (David Blackman and Sebastiano Vigna, 2018): 256 bits of state,
/// period 2^256 - 1, passes BigCrush; not cryptographic (it need not be).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose state is four successive SplitMix64 outputs from `seed`
    /// (the seeding its authors recommend). Every seed is valid.
    pub fn from_seed(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        // SplitMix64 is a bijection of its counter, so four successive outputs are
        // never all zero; keep the guard anyway, the all-zero state is a fixed point.
        Self::from_state(s).unwrap_or(Self {
            s: [1, 0, 0, 0x9e37_79b9_7f4a_7c15],
        })
    }

    /// A generator with this exact state; `None` for the all-zero state.
    pub fn from_state(s: [u64; 4]) -> Option<Self> {
        (s != [0; 4]).then_some(Self { s })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = self.s;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s1 << 17;
        let s2 = s2 ^ s0;
        let s3 = s3 ^ s1;
        let s1 = s1 ^ s2;
        let s0 = s0 ^ s3;
        let s2 = s2 ^ t;
        let s3 = s3.rotate_left(45);
        self.s = [s0, s1, s2, s3];
        result
    }

    /// The next 32 random bits (the high half of [`Rng::next_u64`]).
    pub fn next_u32(&mut self) -> u32 {
        high_u32(self.next_u64())
    }

    /// The next 16 random bits as an `i16` (the low half of [`Rng::next_u32`]), for
    /// test and benchmark values over the whole range.
    pub fn next_i16(&mut self) -> i16 {
        i16_from_bits(low_u16(self.next_u32()))
    }

    /// The next 32 random bits as an `i32` (those of [`Rng::next_u32`]).
    pub fn next_i32(&mut self) -> i32 {
        i32_from_bits(self.next_u32())
    }

    /// A uniform integer in `0..n`, exactly (Lemire's multiply-and-reject);
    /// 0 when `n` is 0.
    pub fn below(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let mut m = u64::from(self.next_u32()) * u64::from(n);
        let mut low = low_u32(m);
        if low < n {
            // 2^32 mod n: the values of `low` below it would bias the result.
            let threshold = n.wrapping_neg() % n;
            while low < threshold {
                m = u64::from(self.next_u32()) * u64::from(n);
                low = low_u32(m);
            }
        }
        // m < 2^32 * n, so the high half is below n.
        high_u32(m)
    }
}
