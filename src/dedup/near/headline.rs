//! Bare headlines: a logistic model over how alike two titles' words are.
//!
//! Two headlines of one story often share their words in other forms
//! ("Полицейским разрешат …" / "Полиции могут разрешить …") and differ in
//! length (one adds the place or the source). One Jaccard index of five-letter
//! stems merged only near-identical titles (recall 0.17 on ParaPhraser at
//! precision 0.98). The model weighs several cheaper views of the same words:
//! Jaccard indices of four- and six-letter prefixes and of whole words, the
//! five-letter one, the length difference and the count of stems either title
//! has alone. Its weights are fitted on labelled pairs by [`fit`]:
//! `syndic dedup-check --folds` fits them anew on each training fold (so
//! the figures it reports are on pairs the weights never saw) and prints
//! the fit on every pair, which is [`DEFAULT`]. The vetoes still run first: the model only ever sees
//! headlines no veto has kept apart.

/// What the model reads of a pair, each in 0..=1 (see [`features`]).
pub const FEATURES: usize = 7;

/// Feature values of one pair.
pub type Features = [f64; FEATURES];

/// A logistic model: `p = 1 / (1 + e^-(bias + weights · x))`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    /// One weight per feature.
    pub weights: Features,
    /// The intercept.
    pub bias: f64,
}

/// The daemon's model, fitted by `syndic dedup-check --folds` on every
/// labelled pair of the shared pools and their hard negatives (see
/// bench/dedup.md for the command and for how the fit holds up on
/// held-out folds).
pub const DEFAULT: Model = Model { weights: [4.800, 0.584, 0.758, 1.834, 2.488, -1.358, 0.029], bias: -3.964 };

/// A count of stems either title has alone is read in tens (and capped), so
/// that every feature lies in 0..=1 and one step of [`fit`] suits them all.
const ALONE_SCALE: f64 = 10.0;

/// Jaccard index of two sorted, unique lists of hashes.
fn jaccard<T: Ord>(a: &[T], b: &[T]) -> f64 {
    let union = a.len() + b.len();
    if union == 0 {
        return 0.0;
    }
    let both = super::overlap(a, b);
    both as f64 / (union - both) as f64
}

/// The features of two titles: Jaccard indices of their four-letter,
/// five-letter and six-letter prefixes and of their whole words, the
/// difference of their five-letter stem counts over the larger, and the
/// stems either has alone (in tens, at most 1).
pub fn features(a: &super::Profile, b: &super::Profile) -> Features {
    let (la, lb) = (a.title.len(), b.title.len());
    let both = super::overlap(&a.title, &b.title);
    let j5 = jaccard(&a.title, &b.title);
    // A profile stored before the other forms has none: read them as the
    // five-letter index.
    let other = |x: &[u32], y: &[u32]| if a.title_words.is_empty() || b.title_words.is_empty() { j5 } else { jaccard(x, y) };
    from_counts(
        [other(&a.title4, &b.title4), j5, other(&a.title6, &b.title6), other(&a.title_words, &b.title_words), other(&a.title3, &b.title3)],
        la,
        lb,
        both,
    )
}

/// The features from the four Jaccard indices and the five-letter stem
/// counts: each side's and the shared.
fn from_counts(jaccards: [f64; 5], la: usize, lb: usize, both: usize) -> Features {
    let longer = la.max(lb).max(1) as f64;
    let alone = (la + lb).saturating_sub(2 * both) as f64;
    let [j4, j5, j6, words, trigrams] = jaccards;
    [j4, j5, j6, words, trigrams, la.abs_diff(lb) as f64 / longer, (alone / ALONE_SCALE).min(1.0)]
}

impl Model {
    /// The probability that two headlines with these features are one story.
    pub fn probability(&self, x: &Features) -> f64 {
        let z = self.bias + self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }

    /// The most [`Model::probability`] can be for two titles of `la` and
    /// `lb` five-letter stems that share at most `both` (a sketch's bound):
    /// the other prefixes' indices may be anything, so each weight takes its
    /// best end of the range.
    pub fn probability_at_most(&self, la: usize, lb: usize, both: usize) -> f64 {
        // Every count of shared stems up to the bound, as a fitted weight
        // may run either way.
        let z = (0..=both.min(la).min(lb))
            .map(|both| {
                let union = (la + lb).saturating_sub(both).max(1);
                let high = from_counts([1.0, both as f64 / union as f64, 1.0, 1.0, 1.0], la, lb, both);
                let low = from_counts([0.0, both as f64 / union as f64, 0.0, 0.0, 0.0], la, lb, both);
                self.bias + self.weights.iter().enumerate().map(|(i, w)| (w * high[i]).max(w * low[i])).sum::<f64>()
            })
            .fold(f64::NEG_INFINITY, f64::max);
        1.0 / (1.0 + (-z).exp())
    }
}

/// Fits a [`Model`] to labelled feature vectors by Newton's method on the
/// log-likelihood with a small ridge penalty on the weights (not the bias),
/// so that it converges on separable or collinear data; `None` when there
/// is nothing to fit (no example of either class).
pub fn fit(samples: &[(Features, bool)]) -> Option<Model> {
    const RIDGE: f64 = 0.1;
    const N: usize = FEATURES + 1;
    if !samples.iter().any(|s| s.1) || !samples.iter().any(|s| !s.1) {
        return None;
    }
    let mut beta = [0.0f64; N];
    for _ in 0..50 {
        let mut grad = [0.0f64; N];
        let mut hess = [[0.0f64; N]; N];
        for (x, label) in samples {
            let mut row = [1.0f64; N];
            row[1..].copy_from_slice(x);
            let z: f64 = row.iter().zip(&beta).map(|(r, b)| r * b).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            let err = p - f64::from(u8::from(*label));
            let weight = (p * (1.0 - p)).max(1e-9);
            for i in 0..N {
                grad[i] += err * row[i];
                for j in 0..N {
                    hess[i][j] += weight * row[i] * row[j];
                }
            }
        }
        for i in 1..N {
            grad[i] += RIDGE * beta[i];
            hess[i][i] += RIDGE;
        }
        let step = solve(hess, grad)?;
        let mut largest = 0.0f64;
        for i in 0..N {
            beta[i] -= step[i];
            largest = largest.max(step[i].abs());
        }
        if largest < 1e-9 {
            break;
        }
    }
    let mut weights = [0.0; FEATURES];
    weights.copy_from_slice(&beta[1..]);
    Some(Model { weights, bias: beta[0] })
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None`
/// when `a` is singular.
fn solve<const N: usize>(mut a: [[f64; N]; N], mut b: [f64; N]) -> Option<[f64; N]> {
    for col in 0..N {
        let pivot = (col..N).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..N {
            let factor = a[row][col] / a[col][col];
            let pivot_row = a[col];
            for (cell, p) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *cell -= factor * p;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = [0.0; N];
    for row in (0..N).rev() {
        let rest: f64 = (row + 1..N).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - rest) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_a_separating_direction() {
        // Same story when the first index is high: the fitted model must
        // rank a high-index pair above a low-index one.
        let mut samples = Vec::new();
        for i in 0..200 {
            let v = f64::from(i) / 200.0;
            samples.push(([v, v, v, v, v, 0.1, 0.2], v > 0.6));
        }
        let m = fit(&samples).expect("both classes present");
        assert!(m.probability(&[0.9, 0.9, 0.9, 0.9, 0.9, 0.1, 0.2]) > 0.9);
        assert!(m.probability(&[0.2, 0.2, 0.2, 0.2, 0.2, 0.1, 0.2]) < 0.1);
    }

    #[test]
    fn fit_needs_both_classes() {
        assert!(fit(&[([0.5; FEATURES], true)]).is_none());
    }

    #[test]
    fn the_bound_is_never_below_the_probability() {
        // Whatever the other prefixes do, the bound from the five-letter
        // counts holds (the sketch relies on it to skip reading a row).
        for model in [DEFAULT, Model { weights: [-3.0, 2.0, -1.0, 5.0, 1.0, 1.0, 2.0], bias: 0.5 }] {
            for (la, lb, both) in [(5, 7, 3), (8, 8, 8), (4, 9, 0), (6, 6, 5)] {
                let bound = model.probability_at_most(la, lb, both);
                for j in [0.0, 0.3, 1.0] {
                    let union = (la + lb - both).max(1);
                    let x = from_counts([j, both as f64 / union as f64, 1.0 - j, j, 1.0 - j], la, lb, both);
                    assert!(model.probability(&x) <= bound + 1e-12, "{la} {lb} {both} {j}");
                }
                // And fewer shared stems can only lower it.
                if both > 0 {
                    assert!(model.probability_at_most(la, lb, both - 1) <= bound + 1e-12);
                }
            }
        }
    }
}
