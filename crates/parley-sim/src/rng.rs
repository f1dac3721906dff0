//! A small deterministic random number generator (SplitMix64), so that every session is
//! reproducible from its seed on any machine and any number of threads.

#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed ^ 0x9e37_79b9_7f4a_7c15 }
    }

    /// A seed derived from a parent seed and a path of indices: independent streams for every
    /// session of a tournament, whatever order they run in.
    pub fn derive(seed: u64, path: &[u64]) -> u64 {
        let mut rng = Rng::new(seed);
        for &step in path {
            rng.state ^= step.wrapping_mul(0xd6e8_feb8_6659_fd93);
            rng.next_u64();
        }
        rng.next_u64()
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (bound > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        // Lemire's multiply-shift, with rejection for exact uniformity.
        loop {
            let product = u128::from(self.next_u64()) * u128::from(bound);
            let low = product as u64;
            if low >= bound.wrapping_neg() % bound {
                return (product >> 64) as u64;
            }
        }
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_deterministic_and_spread() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut counts = [0u32; 4];
        let mut rng = Rng::new(1);
        for _ in 0..40_000 {
            counts[rng.below(4) as usize] += 1;
        }
        assert!(counts.iter().all(|&count| (9_000..11_000).contains(&count)), "{counts:?}");
        assert_ne!(Rng::derive(1, &[0, 1]), Rng::derive(1, &[1, 0]));
    }
}
