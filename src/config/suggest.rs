//! "Did you mean …?": the nearest valid key or slug to a misspelt one.
//!
//! Edit distance (insertions, deletions, substitutions and swaps of two
//! neighbours, counted in characters so that Cyrillic slugs work too). A
//! candidate is offered only when it is close: at most a third of the
//! word's length, and never more than three edits, so that `colour` does
//! not become `url`.

impl super::Config {
    /// What to say when no source has `id` (`--source` of `fetch`,
    /// `extract`): the nearest configured id, else where the ids are listed.
    pub fn no_source(&self, id: &str) -> String {
        let hint = match nearest(id, self.sources.iter().map(|s| s.id.as_str())) {
            Some(near) => format!("did you mean {near:?}?"),
            None => "`syndic sources` lists the ids".to_string(),
        };
        format!("no source with id {id:?} in {}; {hint}", self.sources_path.display())
    }
}

/// The candidate nearest to `word`, when one is close enough.
pub(super) fn nearest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let len = word.chars().count();
    let limit = (len / 3).clamp(1, 3);
    let folded = word.to_lowercase().replace('-', "_");
    candidates
        .into_iter()
        .map(|c| (distance(&folded, &c.to_lowercase().replace('-', "_")), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `; did you mean "x"?` for values, or an empty string.
pub(super) fn did_you_mean<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> String {
    nearest(word, candidates).map_or_else(String::new, |c| format!("; did you mean {c:?}?"))
}

/// Optimal string alignment distance between two words, in characters.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, cell) in d.iter_mut().step_by(width).enumerate() {
        *cell = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1).min(d[i * width + j - 1] + 1).min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_find_the_key_and_far_ones_do_not() {
        let keys = ["id", "name", "url", "kind", "category", "region", "priority", "interval", "exclude", "enabled"];
        let table = [
            ("intervall", Some("interval")),
            ("interval_", Some("interval")),
            ("prority", Some("priority")),
            ("catgeory", Some("category")),
            ("Enabled", Some("enabled")),
            ("colour", None),
            ("x", None),
            ("urls", Some("url")),
        ];
        for (word, want) in table {
            assert_eq!(nearest(word, keys), want, "{word}");
        }
    }

    #[test]
    fn slugs_with_dashes_and_cyrillic() {
        assert_eq!(nearest("almaty_oblast", ["almaty", "almaty-oblast"]), Some("almaty-oblast"));
        assert_eq!(nearest("sports", ["politics", "sport"]), Some("sport"));
        assert_eq!(nearest("спортт", ["спорт", "политика"]), Some("спорт"));
    }
}
