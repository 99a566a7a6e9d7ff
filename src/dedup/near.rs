//! Near duplicates: the same story told in other words.
//!
//! A [`Profile`] of an item is built from its folded title and lead (the
//! first words of its text): a set of crude stems (the first five letters
//! of each content word, Kazakh letters folded to Russian), the title's own
//! stems, the numbers in the title, whether the title is a template
//! (weather, exchange rates, horoscopes), what it is about ([`entities`]:
//! quoted names, proper nouns, places, days), and MinHash band keys over
//! the stems. Band keys find candidates cheaply (an index lookup per
//! band); [`compare`] then decides on the actual stem sets, with vetoes
//! ([`vetoes`]): titles each with a number the other lacks, quoted names
//! that differ («Голосуйте за «X»» and «… за «Y»»), proper nouns, places or
//! days each side names alone, template headlines that are not
//! near-identical, and two different articles of the same site are never
//! merged. Wrong merges hide news; precision comes first.

use std::sync::LazyLock;

use regex::Regex;
use xxhash_rust::xxh3::xxh3_64;

use super::fold::{fold, kazakh_to_russian};

/// Words of the text that count as the lead.
const LEAD_WORDS: usize = 60;
/// MinHash functions over all stems, and over title stems only (a retold
/// story often keeps its headline words but few lead words); bands of
/// [`ROWS`] rows each.
const HASHES: usize = 24;
const TITLE_HASHES: usize = 12;
const ROWS: usize = 2;
/// Letters kept of each word: a crude stem that survives Russian endings.
pub(super) const STEM_CHARS: usize = 5;

/// Thresholds, first set on the Telegram same-story pools (the highest
/// different-story pair there scores 0.51 on the text rule and 0.60 on
/// titles) and on ParaPhraser's different-headline pairs; then the text
/// and headline ones raised to what `dedup-check --folds` chose on every
/// training fold (0.7 and 0.8: the old 0.6 and 0.7 merged 1.9 % of hard
/// negatives and held-out precision fell to 0.95 on one fold; see
/// bench/dedup.md). Pinned by `tests/dedup_corpus.rs`.
pub(super) const SAME_TEXT_JACCARD: f64 = 0.7;
pub(super) const TITLE_OVERLAP: f64 = 0.65;
pub(super) const TITLE_LEAD_CONTAINMENT: f64 = 0.35;
/// Below this many stems in its lead an item is a bare headline.
const LEAD_STEMS: usize = 5;
/// The [`headline`] model's probability at which two bare headlines merge.
pub(super) const HEADLINE_PROBABILITY: f64 = 0.92;
const HEADLINE_SHARED: usize = 4;

/// Looked up once per word of every title and lead. A fixed table that
/// feed words are only looked up in, never added to: foldhash is enough,
/// SipHash's flood resistance buys nothing here.
pub(super) static STOP_WORDS: LazyLock<foldhash::HashSet<&'static str>> = LazyLock::new(|| {
    "и в во не что он на я с со как а то все всё она так его но да ты к у же вы за бы по только ее её мне было вот от меня еще ещё нет о из ему \
     теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где \
     есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем \
     ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше \
     тот через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им \
     более всегда конечно всю между также это этого году года год годы лет время так уже который которые которая которое также заявил \
     заявила сообщил сообщила рассказал рассказала отметил отметила стало стал стала станет будут может могут свой своей свои своих \
     глава новости новость сегодня вчера завтра сообщает передает пишет и или және мен бен пен деп бұл осы үшін да де та те ол бір \
     жылы жыл туралы бойынша the a an of to in on for and is are was were by with at from"
        .split_whitespace()
        .collect()
});

static TEMPLATE_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(курс[ыа]?\s+(валют|доллара|евро|рубля|тенге)|прогноз\s+погоды|погода\s+(на|в)\s|гороскоп|итоги\s+дня|главное\s+за\s+день|новости\s+дня|ауа\s+райы|валюта\s+бағамы|курсы?\s+валют|коронавирус.{0,20}(статистик|за\s+сутки))",
    )
    .unwrap_or_else(|_| Regex::new("$^").unwrap_or_else(|_| unreachable!()))
});

/// What one item is compared on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Stem hashes of title and lead, sorted, unique.
    pub stems: Vec<u64>,
    /// Stem hashes of the title alone, sorted, unique.
    pub title: Vec<u64>,
    /// Numbers in the title.
    pub numbers: Vec<u64>,
    /// The title is a recurring template (weather, rates, …).
    pub template: bool,
    /// The title denies what it tells ("КНДР не объявляла войну"): a
    /// report and its denial are two stories however alike their words.
    pub negated: bool,
    /// Stems in the lead (text) alone.
    pub lead: usize,
    /// Stems of the short quoted names in the title («Кайрат», "Astana
    /// Motors"), sorted, unique: two titles that quote names and share
    /// none are about different things, however alike the rest.
    pub names: Vec<u64>,
    /// Stems of the title's proper nouns, sorted, unique (see [`entities`]).
    pub entities: Vec<u64>,
    /// Stems of the places named in title and lead, sorted, unique.
    pub places: Vec<u64>,
    /// Days named in title and lead (`month * 32 + day`), sorted, unique.
    pub dates: Vec<u64>,
    /// Stems of the capitalised words of title and lead, sorted, unique.
    pub capitalised: Vec<u64>,
    /// The title's words cut to four and to six letters, and whole, hashed,
    /// sorted, unique (what [`headline`] compares besides [`Profile::title`];
    /// empty in profiles stored before them).
    pub title4: Vec<u32>,
    /// See [`Profile::title4`].
    pub title6: Vec<u32>,
    /// See [`Profile::title4`].
    pub title_words: Vec<u32>,
    /// The letter trigrams of the title's content words (each word padded
    /// with a space either side), hashed, sorted, unique.
    pub title3: Vec<u32>,
}

impl Profile {
    /// A compact binary form, stored with the item so that candidates need
    /// not be folded again.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Sized once and filled in place: a growing Vec's capacity check
        // and a memcpy call per value cost more than the values.
        let lists = [&self.stems, &self.title, &self.numbers];
        let names = 4 + 8 * self.names.len();
        let mut out = vec![0u8; 3 * 4 + 8 * lists.iter().map(|l| l.len()).sum::<usize>() + 1 + 4 + names];
        let mut at = 0;
        for list in lists {
            let (head, rest) = out[at..].split_at_mut(4);
            head.copy_from_slice(&(list.len() as u32).to_le_bytes());
            for (slot, v) in rest.chunks_exact_mut(8).zip(list.iter()) {
                slot.copy_from_slice(&v.to_le_bytes());
            }
            at += 4 + 8 * list.len();
        }
        // Bit 0 the template, bit 1 the negation (0 in older profiles).
        out[at] = u8::from(self.template) | (u8::from(self.negated) << 1);
        out[at + 1..at + 5].copy_from_slice(&(self.lead as u32).to_le_bytes());
        // The names come last: profiles stored before them end at the lead.
        at += 5;
        out[at..at + 4].copy_from_slice(&(self.names.len() as u32).to_le_bytes());
        for (slot, v) in out[at + 4..].chunks_exact_mut(8).zip(&self.names) {
            slot.copy_from_slice(&v.to_le_bytes());
        }
        // Then the entities (profiles stored before them end at the names).
        for list in [&self.entities, &self.places, &self.dates, &self.capitalised] {
            out.extend_from_slice(&(list.len() as u32).to_le_bytes());
            list.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
        }
        // Then the headline model's forms, four bytes a value.
        for list in [&self.title4, &self.title6, &self.title_words, &self.title3] {
            out.extend_from_slice(&(list.len() as u32).to_le_bytes());
            list.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
        }
        out
    }

    /// Reads [`Profile::to_bytes`]; `None` for anything malformed.
    pub fn from_bytes(bytes: &[u8]) -> Option<Profile> {
        let mut rest = bytes;
        let take_u32 = |rest: &mut &[u8]| -> Option<u32> {
            let (head, tail) = rest.split_at_checked(4)?;
            *rest = tail;
            Some(u32::from_le_bytes(head.try_into().ok()?))
        };
        let mut lists = Vec::with_capacity(3);
        for _ in 0..3 {
            let n = take_u32(&mut rest)? as usize;
            let (head, tail) = rest.split_at_checked(n.checked_mul(8)?)?;
            rest = tail;
            lists.push(head.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default())).collect::<Vec<u64>>());
        }
        let (&template, mut tail) = rest.split_first()?;
        let lead = take_u32(&mut tail)? as usize;
        // Lists added later: absent (empty) at the end of older profiles.
        let mut optional = || -> Option<Vec<u64>> {
            if tail.is_empty() {
                return Some(Vec::new());
            }
            let n = take_u32(&mut tail)? as usize;
            let (head, rest) = tail.split_at_checked(n.checked_mul(8)?)?;
            tail = rest;
            Some(head.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default())).collect())
        };
        let (names, entities, places, dates, capitalised) = (optional()?, optional()?, optional()?, optional()?, optional()?);
        let mut optional32 = || -> Option<Vec<u32>> {
            if tail.is_empty() {
                return Some(Vec::new());
            }
            let n = take_u32(&mut tail)? as usize;
            let (head, rest) = tail.split_at_checked(n.checked_mul(4)?)?;
            tail = rest;
            Some(head.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap_or_default())).collect())
        };
        let (title4, title6, title_words, title3) = (optional32()?, optional32()?, optional32()?, optional32()?);
        let numbers = lists.pop()?;
        let title = lists.pop()?;
        let stems = lists.pop()?;
        Some(Profile {
            stems,
            title,
            numbers,
            template: template & 1 == 1,
            negated: template & 2 == 2,
            lead,
            names,
            entities,
            places,
            dates,
            capitalised,
            title4,
            title6,
            title_words,
            title3,
        })
    }
}

/// A comparison's outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Same story?
    pub same: bool,
    /// The similarity that decided, 0..=1.
    pub score: f64,
    /// The rule or veto that decided.
    pub rule: &'static str,
    /// Stems the two share, and each side's stem count.
    pub shared: (usize, usize, usize),
    /// Share of the shorter title's stems found in the other title.
    pub title_overlap: f64,
    /// What [`headline`]'s model read, when the pair reached it (two bare
    /// headlines that no veto kept apart).
    pub headline: Option<headline::Features>,
}

/// Builds the profile of a title and text; `extra` are admin boilerplate rules.
pub fn profile(title: &str, text: &str, extra: &[Regex]) -> Profile {
    let names = quoted_names(title, extra);
    let folded_title = fold(title, extra);
    let lead = lead(text);
    let found = entities::entities(title, &lead);
    let folded_lead = fold(&lead, extra);
    let (title_stems, [title4, title6, title_words, title3]) = title_forms(&folded_title);
    let mut all = title_stems.clone();
    let lead_stems = stems(&folded_lead);
    let lead = lead_stems.len();
    all.extend(lead_stems);
    all.sort_unstable();
    all.dedup();
    let mut numbers: Vec<u64> = title_numbers(&folded_title).map(|n| xxh3_64(n.as_bytes())).collect();
    numbers.extend(number_words(&folded_title).iter().map(|n| xxh3_64(n.as_bytes())));
    numbers.sort_unstable();
    numbers.dedup();
    let mut title = title_stems;
    title.sort_unstable();
    title.dedup();
    Profile {
        stems: all,
        title,
        numbers,
        template: TEMPLATE_TITLE.is_match(&folded_title),
        negated: negated(&folded_title),
        lead,
        names,
        entities: found.title,
        places: found.places,
        dates: found.dates,
        capitalised: found.capitalised,
        title4,
        title6,
        title_words,
        title3,
    }
}

/// The [`stems`] of a folded title, in word order, and in one pass over
/// its words the same words cut to four letters, to six, and whole, and
/// their letter trigrams: 32-bit hashes, sorted, unique (see
/// [`Profile::title4`]). Only Jaccard indices of a title's few dozen
/// values are taken of those, which 32 bits serve as well as 64 at half
/// the stored bytes.
fn title_forms(folded: &str) -> (Vec<u64>, [Vec<u32>; 4]) {
    let words = folded.len() / 6 + 1;
    let mut stems = Vec::with_capacity(words);
    let mut out = [Vec::with_capacity(words), Vec::with_capacity(words), Vec::with_capacity(words), Vec::with_capacity(6 * words)];
    let short = |bytes: &[u8]| (xxh3_64(bytes) >> 32) as u32;
    for w in content_words(folded) {
        let mut word = [0u8; 64];
        let mut len = 0;
        // The trigram ending at each letter, and at the space after the
        // word (a space before it): letters packed 21 bits each, mixed.
        let mut gram: u64 = u64::from(' ');
        let push_gram = |gram: &mut u64, c: char, out: &mut Vec<u32>| {
            *gram = ((*gram << 21) | u64::from(c)) & ((1 << 63) - 1);
            if *gram >> 42 != 0 {
                out.push((mix(*gram) >> 32) as u32);
            }
        };
        let mut count = 0;
        for (i, c) in w.chars().map(kazakh_to_russian).enumerate() {
            push_gram(&mut gram, c, &mut out[3]);
            count = i + 1;
            if len + 4 > word.len() {
                continue;
            }
            len += c.encode_utf8(&mut word[len..]).len();
            if i == 3 {
                out[0].push(short(&word[..len]));
            }
            if i + 1 == STEM_CHARS {
                stems.push(xxh3_64(&word[..len]));
            }
            if i == 5 {
                out[1].push(short(&word[..len]));
            }
        }
        push_gram(&mut gram, ' ', &mut out[3]);
        // Shorter words are their own prefixes.
        if count < STEM_CHARS {
            stems.push(xxh3_64(&word[..len]));
        }
        let whole = short(&word[..len]);
        if count < 4 {
            out[0].push(whole);
        }
        if count < 6 {
            out[1].push(whole);
        }
        out[2].push(whole);
    }
    for list in &mut out {
        list.sort_unstable();
        list.dedup();
    }
    (stems, out)
}

/// The first [`LEAD_WORDS`] words of `text`, single-spaced. Stored text
/// is already collapsed to single spaces, so this is nearly always a prefix
/// of it, borrowed; other text is joined word by word.
fn lead(text: &str) -> std::borrow::Cow<'_, str> {
    let text = text.trim_start();
    let bytes = text.as_bytes();
    let mut end = 0;
    for (i, word) in text.split_whitespace().take(LEAD_WORDS).enumerate() {
        let start = word.as_ptr() as usize - text.as_ptr() as usize;
        if i > 0 && (start != end + 1 || bytes.get(end) != Some(&b' ')) {
            return text.split_whitespace().take(LEAD_WORDS).collect::<Vec<_>>().join(" ").into();
        }
        end = start + word.len();
    }
    text[..end].into()
}

/// MinHash function `i`: `s ↦ (s ^ xor) · times` (`times` odd), a
/// bijection of the 64-bit stem hashes. The stems are already good hashes,
/// so an xor and a multiply order them anew for each function (the high
/// bits of the product, which decide the minimum, depend on every bit);
/// a full finalizer per stem and function cost three times as much.
const fn permutation(i: usize) -> (u64, u64) {
    let seed = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mix(seed), mix(!seed) | 1)
}

/// Every [`permutation`], computed at compile time.
const PERMUTATIONS: [(u64, u64); HASHES + TITLE_HASHES] = {
    let mut table = [(0, 0); HASHES + TITLE_HASHES];
    let mut i = 0;
    while i < table.len() {
        table[i] = permutation(i);
        i += 1;
    }
    table
};

/// A 64-bit finalizer (splitmix64): a bijection that scrambles all bits.
const fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The words of a folded text that carry meaning: three letters or more
/// (or a number), not a stop word.
fn content_words(folded: &str) -> impl Iterator<Item = &str> {
    super::fold::words(folded)
        // Short words first: the length test is cheaper than the lookup.
        .filter(|w| w.chars().nth(2).is_some() || w.bytes().all(|b| b.is_ascii_digit()))
        .filter(|w| !STOP_WORDS.contains(w))
}

fn stems(folded: &str) -> Vec<u64> {
    content_words(folded)
        .map(|w| {
            // The stem's UTF-8 on the stack: at most 4 bytes a character.
            let mut stem = [0u8; STEM_CHARS * 4];
            let mut len = 0;
            for c in w.chars().take(STEM_CHARS).map(kazakh_to_russian) {
                len += c.encode_utf8(&mut stem[len..]).len();
            }
            xxh3_64(&stem[..len])
        })
        .collect()
}

/// Band keys a profile has at most.
pub const MAX_BANDS: usize = (HASHES + TITLE_HASHES) / ROWS;

/// MinHash band keys of a profile (empty when it has too few stems).
pub fn bands(p: &Profile) -> Vec<i64> {
    if p.stems.len() < 3 {
        return Vec::new();
    }
    let mut keys = Vec::with_capacity(MAX_BANDS);
    band_keys(&p.stems, HASHES, 0, &mut keys);
    if p.title.len() >= 3 {
        band_keys(&p.title, TITLE_HASHES, HASHES, &mut keys);
    }
    keys
}

const _: () = assert!(
    HASHES.is_multiple_of(ROWS) && TITLE_HASHES.is_multiple_of(ROWS) && HASHES + TITLE_HASHES <= MAX_BANDS * ROWS && TITLE_HASHES <= HASHES
);

/// The band keys of `hashes` MinHash values of `set` (seeds from
/// `first`), `ROWS` values a band, appended to `out`. Everything on the
/// stack: this runs for every item. One pass over the set updates every
/// function's minimum: independent comparisons the CPU runs side by side,
/// where a pass per function waited on each comparison in turn.
fn band_keys(set: &[u64], hashes: usize, first: usize, out: &mut Vec<i64>) {
    let Some(functions) = PERMUTATIONS.get(first..first + hashes) else { return };
    // Room for the longer run of functions (`TITLE_HASHES <= HASHES`).
    let mut mins = [u64::MAX; HASHES];
    let Some(mins) = mins.get_mut(..hashes) else { return };
    for s in set {
        for (min, (xor, times)) in mins.iter_mut().zip(functions) {
            *min = (*min).min((s ^ xor).wrapping_mul(*times));
        }
    }
    for (band, rows) in mins.chunks_exact(ROWS).enumerate() {
        let mut key = [0u8; 8 * (ROWS + 1)];
        key[..8].copy_from_slice(&((band + first / ROWS) as u64).to_le_bytes());
        for (row, min) in rows.iter().enumerate() {
            key[8 * (row + 1)..8 * (row + 2)].copy_from_slice(&min.to_le_bytes());
        }
        out.push(xxh3_64(&key) as i64);
    }
}

/// Whether two profiles are the same story. `same_site` is true when both
/// come from the same source or site (then only exact rules may merge them).
pub fn compare(a: &Profile, b: &Profile, same_site: bool) -> Verdict {
    decide(a, b, same_site, &Settings::default())
}

/// [`compare`] with other thresholds or vetoes (`dedup-check` measures
/// them; the daemon runs [`Settings::default`]).
pub fn compare_with(a: &Profile, b: &Profile, same_site: bool, settings: &Settings) -> Verdict {
    decide(a, b, same_site, settings)
}

/// What [`compare`] decides on, of a profile or of a [`Sketch`]: the
/// sizes of its lists and how many values two of them share.
trait Lists {
    /// Stems, title stems, numbers.
    fn lens(&self) -> (usize, usize, usize);
    /// Stems, title stems and numbers shared with `other`.
    fn shared(&self, other: &Self) -> (usize, usize, usize);
    /// The same title stems and numbers as `other`.
    fn same_title(&self, other: &Self) -> bool;
    fn template(&self) -> bool;
    fn lead(&self) -> usize;
    /// [`headline`]'s features of the pair, when known (never of a sketch).
    fn headline_features(&self, other: &Self) -> Option<headline::Features>;
    /// The headline model's probability that the pair is one story (for
    /// a sketch, the most it can be).
    fn headline_probability(&self, other: &Self, model: &headline::Model) -> f64;
    /// The veto the entities of the two call for, if any, of those
    /// `vetoes` allows (never known of a sketch).
    fn entity_veto(&self, _other: &Self, _vetoes: &Vetoes) -> Option<&'static str> {
        None
    }
}

impl Lists for Profile {
    fn lens(&self) -> (usize, usize, usize) {
        (self.stems.len(), self.title.len(), self.numbers.len())
    }

    fn shared(&self, other: &Self) -> (usize, usize, usize) {
        // Numbers only matter when both titles have some.
        let numbers = if self.numbers.is_empty() || other.numbers.is_empty() { 0 } else { overlap(&self.numbers, &other.numbers) };
        (overlap(&self.stems, &other.stems), overlap(&self.title, &other.title), numbers)
    }

    fn same_title(&self, other: &Self) -> bool {
        self.title == other.title && self.numbers == other.numbers
    }

    fn template(&self) -> bool {
        self.template
    }

    fn lead(&self) -> usize {
        self.lead
    }

    fn entity_veto(&self, other: &Self, vetoes: &Vetoes) -> Option<&'static str> {
        vetoes::entity_veto(self, other, vetoes)
    }

    fn headline_features(&self, other: &Self) -> Option<headline::Features> {
        Some(headline::features(self, other))
    }

    fn headline_probability(&self, other: &Self, model: &headline::Model) -> f64 {
        model.probability(&headline::features(self, other))
    }
}

/// [`compare`] on lists of either kind. Every rule merges when a count of
/// shared values reaches a threshold, and every veto but the site's needs
/// a count of zero or unequal lists: so counts that can only be higher
/// than the true ones (a sketch's) never lose a merge the full lists make.
fn decide<L: Lists>(a: &L, b: &L, same_site: bool, settings: &Settings) -> Verdict {
    let ((a_stems, a_title, a_numbers), (b_stems, b_title, b_numbers)) = (a.lens(), b.lens());
    let (both, shared_title, shared_numbers) = a.shared(b);
    let union = a_stems + b_stems - both;
    let all = if union == 0 { 0.0 } else { both as f64 / union as f64 };
    let containment = both as f64 / a_stems.min(b_stems).max(1) as f64;
    let title = shared_title as f64 / a_title.min(b_title).max(1) as f64;
    let shared = (both, a_stems, b_stems);
    let verdict = |same, score, rule| Verdict { same, score, rule, shared, title_overlap: title, headline: None };
    let veto = |rule| verdict(false, all, rule);
    if same_site {
        return veto("veto:same-site");
    }
    if a_stems < 3 || b_stems < 3 {
        return veto("veto:too-short");
    }
    // Each title has a number the other lacks ("погибли 37" and "погибли
    // 7"; "2 и 5 ноября" and "2 и 6 ноября").
    if settings.vetoes.numbers && shared_numbers < a_numbers.min(b_numbers).max(1) && a_numbers > 0 && b_numbers > 0 {
        return veto("veto:numbers");
    }
    if let Some(rule) = a.entity_veto(b, &settings.vetoes) {
        return veto(rule);
    }
    if a.template() || b.template() {
        return if a.same_title(b) && all >= 0.8 { verdict(true, all, "template-identical") } else { veto("veto:template") };
    }
    if a.lead() < LEAD_STEMS || b.lead() < LEAD_STEMS {
        // Headlines alone share topic words easily: the model weighs how
        // alike their words are, and a few must be shared outright.
        let p = a.headline_probability(b, &settings.model);
        if shared.0 < HEADLINE_SHARED {
            return verdict(false, p, "distinct");
        }
        let same = p >= settings.headline;
        let v = verdict(same, p, if same { "near-headline" } else { "distinct" });
        return Verdict { headline: a.headline_features(b), ..v };
    }
    if all >= settings.same_text {
        return verdict(true, all, "near-text");
    }
    if a_title.min(b_title) >= 3 && title >= settings.title_overlap && containment >= settings.title_lead {
        return verdict(true, (title + containment) / 2.0, "title+lead");
    }
    verdict(false, all, "distinct")
}

fn overlap<T: Ord>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

mod entities;
pub mod headline;
mod sketch;
mod title;
mod vetoes;
pub use entities::{Entities, entities};
pub use sketch::Sketch;
use title::{negated, number_words, quoted_names, title_numbers};
pub use vetoes::{Settings, Vetoes};

#[cfg(test)]
mod tests;
