//! Deciding when two items are one story, and which copy is canonical.
//!
//! Three rules, strongest first: the same source and GUID is the same entry
//! (the store's unique key handles that); the same canonical link from any
//! source is the same story; the same fingerprint of the folded title and
//! text is the same story. Fingerprints are only trusted when the text is
//! long enough to be specific (a bare "Курс валют" headline is not).
//!
//! Of two copies, the one from the source with the higher `priority` is
//! canonical, then the earlier published, then the one stored first. The
//! others are kept as its duplicates and credited in the output.

pub mod fold;
pub mod index;
pub mod near;
pub mod pairs;
pub mod template;

/// Near-duplicate settings shared by the daemon and `dedup-check`.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// Stories are matched only against items published within this many
    /// seconds of the new one.
    pub window_secs: i64,
    /// The admin's boilerplate rules, on top of the built-in ones.
    pub rules: Vec<regex::Regex>,
    /// Thresholds and vetoes (the defaults but in `dedup-check`'s experiments).
    pub settings: near::Settings,
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher { window_secs: 72 * 3600, rules: Vec::new(), settings: near::Settings::default() }
    }
}

/// What an item is matched on besides its link and content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Stems, title stems, numbers, template flag.
    pub profile: near::Profile,
    /// MinHash band keys for candidate lookup.
    pub bands: Vec<i64>,
    /// The profile in brief, to rule candidates out in memory.
    pub sketch: Option<near::Sketch>,
}

impl Matcher {
    /// The daemon's matcher for `config` (its window and boilerplate rules).
    pub fn of(config: &crate::config::Config) -> Matcher {
        Matcher {
            window_secs: config.daemon.dedup_window.as_secs() as i64,
            rules: config.daemon.dedup_boilerplate.clone(),
            settings: near::Settings::default(),
        }
    }

    /// The near-duplicate decision between a new item and a known story,
    /// as the store makes it for each candidate its index names, and as
    /// `dedup-check` makes it for a pair: a story published outside the
    /// window is not compared, two articles of one source or one site are
    /// never merged on wording, and the rest is [`near::compare`].
    pub fn near_decision(&self, new: &Side<'_>, known: &Side<'_>) -> near::Verdict {
        if let (Some(a), Some(b)) = (new.published_at, known.published_at)
            && (a - b).abs() > self.window_secs
        {
            let verdict = near::compare_with(new.profile, known.profile, true, &self.settings);
            return near::Verdict { same: false, rule: "veto:window", ..verdict };
        }
        near::compare_with(new.profile, known.profile, same_site(new, known), &self.settings)
    }

    /// The fingerprint of a title and text from a source with these
    /// template prefixes (learned from its history): the template is no
    /// evidence of the story, so it is left out.
    pub fn fingerprint_templated(&self, title: &str, text: &str, templates: &template::Templates) -> Fingerprint {
        self.fingerprint(templates.strip(title), text)
    }

    /// The fingerprint of a title and text.
    pub fn fingerprint(&self, title: &str, text: &str) -> Fingerprint {
        let profile = near::profile(title, text, &self.rules);
        let bands = near::bands(&profile);
        let sketch = near::Sketch::of(&profile);
        Fingerprint { profile, bands, sketch }
    }
}

/// The shortest folded text, in characters, a content hash is trusted on.
const MIN_HASHED_TEXT: usize = 40;

/// How much of the text the content hash covers, in characters.
const HASHED_PREFIX_CHARS: usize = 1000;

/// What a same-story decision knows of one item besides its words.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The source that carried it (`None`: unknown, never the same).
    pub source_id: Option<&'a str>,
    /// Its link (normalized), for the same-site rule.
    pub link: Option<&'a str>,
    /// Publication time (unix seconds), for the window.
    pub published_at: Option<i64>,
    /// Its profile.
    pub profile: &'a near::Profile,
}

/// Two items from one source, or whose links are on one site (`www.`
/// aside): different articles of one publisher are never merged on
/// wording, however alike (a daily column, a template headline).
pub fn same_site(a: &Side<'_>, b: &Side<'_>) -> bool {
    let same_source = a.source_id.is_some() && a.source_id == b.source_id;
    let own = a.link.and_then(site);
    same_source || (own.is_some() && b.link.and_then(site) == own)
}

/// The host of a normalized, absolute link without a leading `www.`:
/// what "the same site" is judged on. Normalized links are serialized by
/// `url`, so the host is already lower-case and needs no second parse.
pub fn site(link: &str) -> Option<&str> {
    let (_, rest) = link.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.find(']') {
        Some(end) if host_port.starts_with('[') => &host_port[..=end],
        _ => host_port.split(':').next()?,
    };
    Some(host.trim_start_matches("www.")).filter(|h| !h.is_empty())
}

/// What decides which copy of a story is canonical.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rank {
    /// The source's priority: higher wins.
    pub priority: i64,
    /// Publication time (unix seconds): earlier wins.
    pub published_at: i64,
    /// Row id: lower (stored first) wins the last tie.
    pub id: i64,
}

/// Whether `a` should be the canonical copy rather than `b`.
pub fn outranks(a: &Rank, b: &Rank) -> bool {
    (b.priority, a.published_at, a.id) < (a.priority, b.published_at, b.id)
}

/// Hash of the folded title and text, or `None` when the text is too short
/// for equal hashes to mean the same story.
pub fn content_hash(title: &str, text: &str) -> Option<i64> {
    // The title, a newline and the lead folded: the lead identifies the
    // story, and folding a whole long article would cost more than the
    // rest of its ingest.
    let mut key = Vec::with_capacity(title.len() + 1 + text.len().min(4 * HASHED_PREFIX_CHARS));
    fold_bytes(title, usize::MAX, &mut key);
    key.push(b'\n');
    let lead = key.len();
    fold_bytes(text, HASHED_PREFIX_CHARS, &mut key);
    // Too short to be trusted: fewer than MIN_HASHED_TEXT characters
    // (counted by their first bytes).
    let chars = key[lead..].iter().filter(|&&b| !(0x80..0xc0).contains(&b)).count();
    (chars >= MIN_HASHED_TEXT).then(|| xxhash_rust::xxh3::xxh3_64(&key) as i64)
}

/// Appends to `out` the first `limit` characters of `text` folded for the
/// content hash (lower-case, `ё`→`е`, letters and digits only, single
/// spaces), as UTF-8, byte by byte for ASCII and Cyrillic (a String built
/// a character at a time cost twice as much, and the hash needs no String).
fn fold_bytes(text: &str, limit: usize, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    let start = out.len();
    let mut other = String::new();
    let (mut i, mut chars, mut space) = (0, 0, false);
    // A space before a word that follows another word of this text.
    let word = |out: &mut Vec<u8>, space: &mut bool| {
        if *space && out.len() > start {
            out.push(b' ');
        }
        *space = false;
    };
    while chars < limit {
        let Some(&b) = bytes.get(i) else { break };
        chars += 1;
        match (b, bytes.get(i + 1)) {
            (b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9', _) => {
                word(out, &mut space);
                out.push(b.to_ascii_lowercase());
                i += 1;
            }
            (0..=0x7f, _) => {
                space = true;
                i += 1;
            }
            // U+0400–U+047F, all Cyrillic letters (word characters).
            (0xd0 | 0xd1, Some(&next)) => {
                word(out, &mut space);
                match (u32::from(b & 0x1f) << 6) | u32::from(next & 0x3f) {
                    0x430..=0x44f => out.extend_from_slice(&[b, next]),
                    upper @ 0x410..=0x42f => {
                        let mut utf8 = [0; 4];
                        let lower = char::from_u32(upper + 0x20).unwrap_or('?');
                        out.extend_from_slice(lower.encode_utf8(&mut utf8).as_bytes());
                    }
                    0x401 | 0x451 => out.extend_from_slice("е".as_bytes()),
                    c => {
                        other.clear();
                        fold::push_lower(char::from_u32(c).unwrap_or('?'), &mut other);
                        out.extend_from_slice(other.as_bytes());
                    }
                }
                i += 2;
            }
            _ => {
                let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) else { break };
                i += c.len_utf8();
                if fold::is_word_char(c) {
                    word(out, &mut space);
                    other.clear();
                    fold::push_lower(c, &mut other);
                    out.extend_from_slice(other.as_bytes());
                } else {
                    space = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The content-hash fold as first written, a character at a time: the
    /// reference [`fold_bytes`] is checked against. Lower-case, `ё`→`е`,
    /// letters and digits only, single spaces.
    fn fold(text: &str) -> String {
        fold_words(text, fold::push_lower)
    }

    /// Words of `text` (letters and digits) joined by single spaces, each
    /// character written by `lower`. Of the folds [`fold::push_lower`] makes,
    /// only case and `ё` touch letters and digits.
    fn fold_words(text: &str, lower: impl Fn(char, &mut String)) -> String {
        let mut out = String::with_capacity(text.len());
        let mut space = false;
        for c in text.chars() {
            if fold::is_word_char(c) {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                lower(c, &mut out);
            } else {
                space = true;
            }
        }
        out
    }

    #[test]
    fn the_content_hash_is_that_of_the_joined_folded_title_and_lead() {
        use xxhash_rust::xxh3::xxh3_64;
        let (title, text) = ("Сенат «принял» закон", "Депутаты Сената приняли закон о местном самоуправлении во втором чтении.");
        let joined = format!("{}\n{}", fold(title), fold(text));
        assert_eq!(content_hash(title, text), Some(xxh3_64(joined.as_bytes()) as i64));
        // The folded lead must have 40 characters.
        assert_eq!(content_hash(title, &"ж".repeat(39)), None);
        assert!(content_hash(title, &"Ж".repeat(40)).is_some());
    }

    proptest::proptest! {
        /// Byte by byte, the fold of a prefix is what [`fold`] makes of it.
        #[test]
        fn fold_bytes_is_the_fold_of_the_prefix(text in "([a-zA-Zа-яА-ЯёЁәғқңөұүһіӘҒІЄї0-9 ,.«→\u{a0}\u{ad}]|\\PC){0,80}", limit in 0usize..90) {
            let prefix: String = text.chars().take(limit).collect();
            let mut bytes = b"x".to_vec();
            fold_bytes(&text, limit, &mut bytes);
            let want = fold(&prefix);
            proptest::prop_assert_eq!(&bytes[1..], want.as_bytes());
        }
    }

    #[test]
    fn a_sources_template_prefix_is_left_out_of_its_fingerprint() {
        let history = ["Kaspi", "Halyk", "Beeline", "Kcell", "Jusan"].map(|c| format!("[РЕЛИЗ] {c} запустил новый сервис"));
        let templates = template::Templates::learn(history.iter().map(String::as_str));
        let m = Matcher::default();
        let text = "Компания Freedom запустила сервис для малого бизнеса в регионах Казахстана.";
        let templated = m.fingerprint_templated("[РЕЛИЗ] Freedom запустил сервис", text, &templates);
        assert_eq!(templated, m.fingerprint("Freedom запустил сервис", text));
        assert_ne!(templated, m.fingerprint("[РЕЛИЗ] Freedom запустил сервис", text));
    }

    #[test]
    fn rank_table() {
        let r = |priority, published_at, id| Rank { priority, published_at, id };
        assert!(outranks(&r(10, 500, 2), &r(0, 100, 1)), "priority first");
        assert!(outranks(&r(0, 100, 2), &r(0, 500, 1)), "then earliest");
        assert!(outranks(&r(0, 100, 1), &r(0, 100, 2)), "then stored first");
        assert!(!outranks(&r(0, 100, 2), &r(0, 100, 1)));
    }

    proptest::proptest! {
        /// The fast paths for ASCII and Russian fold exactly as the
        /// Unicode case tables do.
        #[test]
        fn fold_agrees_with_unicode_lowercase(text in "([a-zA-Zа-яА-ЯёЁәғқңөұүһіӘҒҚҢӨҰҮҺІ0-9 ,.İẞ«→\u{a0}\u{ad}]|\\PC){0,80}") {
            let reference = fold_words(&text, |c, out| out.extend(c.to_lowercase().map(|l| if l == 'ё' { 'е' } else { l })));
            proptest::prop_assert_eq!(fold(&text), reference);
        }
    }

    #[test]
    fn content_hash_folds_case_punctuation_and_yo() {
        let text = "Министр заявил, что всё будет сделано в срок до конца года.";
        let a = content_hash("Ещё одно заявление", text);
        let b = content_hash("ЕЩЕ ОДНО ЗАЯВЛЕНИЕ!", &text.replace('ё', "е").to_uppercase());
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_ne!(a, content_hash("Другое заявление", text));
        assert_eq!(content_hash("Курс валют", "450 тенге"), None, "too short to trust");
    }
}
