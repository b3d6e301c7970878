//! A fixed pseudo-random sequence (SplitMix64) per place: the seed and the place's indices
//! (province, agency, indicator, month) decide everything drawn there, so a run is the same
//! for one `--seed` whatever order the places are visited in, and a smaller run is a corner of
//! a larger one.

pub struct Dice(u64);

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

impl Dice {
    /// The dice of a place: `what` names the draw (so two draws at one place differ), `place`
    /// the indices.
    pub fn at(seed: u64, what: u64, place: &[usize]) -> Self {
        let mut state = mix(seed.wrapping_add(GOLDEN)) ^ mix(what.wrapping_mul(GOLDEN));
        for &index in place {
            state = mix(state ^ (index as u64).wrapping_add(GOLDEN));
        }
        Dice(state)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }

    /// Uniform in [low, high).
    pub fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Bell-shaped in (-1, 1): the mean of three uniforms, centred.
    pub fn bell(&mut self) -> f64 {
        (self.unit() + self.unit() + self.unit()) / 1.5 - 1.0
    }

    /// One of `items`.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_draws_the_same_whatever_came_before() {
        let first = Dice::at(1, 7, &[3, 4, 5]).next();
        let _ = Dice::at(1, 7, &[3, 4, 6]).next();
        assert_eq!(Dice::at(1, 7, &[3, 4, 5]).next(), first);
        assert_ne!(Dice::at(2, 7, &[3, 4, 5]).next(), first);
        assert_ne!(Dice::at(1, 8, &[3, 4, 5]).next(), first);
        assert_ne!(Dice::at(1, 7, &[3, 5, 4]).next(), first);
    }

    #[test]
    fn draws_stay_in_their_ranges() {
        let mut dice = Dice::at(1, 0, &[]);
        for _ in 0..10_000 {
            let u = dice.unit();
            assert!((0.0..1.0).contains(&u));
            let b = dice.bell();
            assert!(b > -1.0 && b < 1.0);
        }
    }
}
