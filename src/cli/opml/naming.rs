//! Names made from what an OPML file gives: source ids from feed URLs and
//! category slugs from folder titles.
//!
//! Both are lower-case ASCII letters, digits and `-` (what the source list
//! accepts). Cyrillic is transliterated, Russian and Kazakh letters alike
//! («Политика» → `politika`, «Қоғам» → `qogam`), so an id or slug stays
//! readable in a URL and in `syndic sources`. Source ids are
//! `host-path-stem` (`tengrinews-politics` for
//! `https://tengrinews.kz/rss/politics.xml`, see [`source`]), slugs the
//! folder title's words; both at most [`MAX_ID`] characters, cut at a
//! word, and made unique with `-2`, `-3`… .

use std::collections::HashSet;

mod source;

pub use source::{source_base, source_id};

/// The longest id or slug made here.
pub const MAX_ID: usize = 32;

/// One Cyrillic letter (lower case) in Latin letters; `None` for other characters.
fn latin(c: char) -> Option<&'static str> {
    Some(match c {
        'а' | 'ә' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'ғ' => "g",
        'д' => "d",
        'е' | 'ё' | 'э' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' | 'і' => "i",
        'й' => "y",
        'к' => "k",
        'қ' => "q",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'ң' => "ng",
        'о' | 'ө' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' | 'ұ' | 'ү' => "u",
        'ф' => "f",
        'х' => "kh",
        'һ' => "h",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ы' => "y",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    })
}

/// The words of `text` in lower-case ASCII: Cyrillic transliterated, every
/// other run of characters that are not ASCII letters or digits a break.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else if let Some(l) = latin(c) {
            word.push_str(l);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// `words` joined with `-`, cut after the last whole word that fits in
/// `max` (a first word longer than that is cut inside).
pub(super) fn join_bounded(words: &[String], max: usize) -> String {
    let mut out = String::new();
    for w in words {
        let extra = if out.is_empty() { w.len() } else { w.len() + 1 };
        if out.len() + extra > max {
            if out.is_empty() {
                out = w.chars().take(max).collect();
            }
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(w);
    }
    out
}

/// A category slug for a folder title: «Политика» → `politika`.
pub fn slug(title: &str) -> String {
    join_bounded(&words(title), MAX_ID)
}

/// `base`, or `base-2`, `base-3`… : the first that `taken` does not hold
/// (still at most [`MAX_ID`] long). The result is added to `taken`.
pub fn unique(base: &str, taken: &mut HashSet<String>) -> String {
    let base = if base.is_empty() { "feed" } else { base };
    let mut id = base.to_string();
    let mut n = 2;
    while taken.contains(&id) {
        let suffix = format!("-{n}");
        let room = MAX_ID.saturating_sub(suffix.len());
        let stem: String = base.chars().take(room).collect();
        id = format!("{}{suffix}", stem.trim_end_matches('-'));
        n += 1;
    }
    taken.insert(id.clone());
    id
}

/// Text folded for comparing names: lower case, `ё` as `е`, whitespace
/// collapsed.
pub fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase().replace('ё', "е")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_titles_transliterate() {
        let cases = [
            ("Политика", "politika"),
            ("Экономика и бизнес", "ekonomika-i-biznes"),
            ("Қоғам", "qogam"),
            ("Әлем жаңалықтары", "alem-zhangalyqtary"),
            ("Алматинская область", "almatinskaya-oblast"),
            ("Sport & Health", "sport-health"),
            ("★ ★", ""),
            ("Очень длинное название рубрики для проверки", "ochen-dlinnoe-nazvanie-rubriki"),
        ];
        for (title, want) in cases {
            assert_eq!(slug(title), want, "{title}");
        }
    }

    #[test]
    fn unique_adds_a_suffix_within_the_bound() {
        let mut taken: HashSet<String> = ["tengrinews".to_string()].into();
        assert_eq!(unique("tengrinews", &mut taken), "tengrinews-2");
        assert_eq!(unique("tengrinews", &mut taken), "tengrinews-3");
        let long = "a".repeat(MAX_ID);
        taken.insert(long.clone());
        let got = unique(&long, &mut taken);
        assert_eq!(got.len(), MAX_ID);
        assert!(got.ends_with("-2"));
        assert_eq!(unique("", &mut taken), "feed");
    }
}
