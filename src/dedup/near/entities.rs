//! What a story is about, besides its words: the proper nouns of its
//! title, the places and the dates its title and lead name.
//!
//! Two reports of one story name the same people, places and days, however
//! differently they word the rest; two stories cut from one template
//! ("Пожар в Таразе" and "Пожар в Актобе", "[РЕЛИЗ] A представила …" and
//! "[РЕЛИЗ] B представил …") differ in exactly those. The vetoes in
//! [`super::decide`] compare them.
//!
//! Proper nouns are capitalised words not at a sentence start (in Russian
//! and Kazakh a capital letter mid-sentence marks a name), words at a
//! sentence start that are also capitalised elsewhere in the title or
//! lead or are all capitals (ЦИК, НАТО), and known places. Places are
//! known place names (Kazakhstan's cities and regions, neighbours' large
//! cities) and capitalised words after a locative preposition ("в
//! Таразе", "под Винницей") or before a word such as "области" or
//! "ауданы". All are kept as the same five-letter stems the text is
//! compared on, so case forms meet ("Астана", "Астане", "Астанада").
//! Dates are a day and a month ("8 ноября", "08.11.2019", "8 қараша"),
//! but for a dateline's at the start of the lead.
//!
//! One pass over the title and lead's words, no regex and no allocation
//! per word (stems and lower-cased words are built on the stack): this
//! runs for every item.

use std::sync::LazyLock;

use super::super::fold::{is_word_char, kazakh_to_russian};
use super::STEM_CHARS;

/// Entities of one item, each list sorted and unique.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entities {
    /// Stems of the proper nouns of the title.
    pub title: Vec<u64>,
    /// Stems of the places named in the title and lead.
    pub places: Vec<u64>,
    /// Days named in the title and lead, as `month * 32 + day`.
    pub dates: Vec<u64>,
    /// Stems of every capitalised word of title and lead, sentence
    /// starts included: what the other side's proper nouns are looked up
    /// in (a lower-case "канадский" does not name Канада).
    pub capitalised: Vec<u64>,
}

/// Place names whose stems mark a capitalised word as a place wherever it
/// stands: Kazakhstan's cities and regions, and the large cities of its
/// neighbours that its news names most.
const PLACES: &str = "Алматы Астана Нур-Султан Шымкент Караганда Актобе Тараз Павлодар Усть-Каменогорск Өскемен Семей Атырау \
     Костанай Кызылорда Қызылорда Уральск Орал Петропавловск Актау Ақтау Туркестан Түркістан Талдыкорган Кокшетау Көкшетау \
     Экибастуз Темиртау Жезказган Балхаш Байконур Конаев Қонаев Капшагай Жанаозен Сатпаев Рудный Аксу Степногорск Кентау \
     Акмолинской Алматинской Актюбинской Атырауской Жамбылской Карагандинской Костанайской Кызылординской Мангистауской \
     Павлодарской Туркестанской Абайской Жетысуской Улытауской Маңғыстау Жамбыл Жетісу Ұлытау ВКО ЗКО СКО \
     Москва Петербург Новосибирск Екатеринбург Казань Омск Челябинск Самара Оренбург Астрахань Барнаул Томск Волгоград \
     Ташкент Бишкек Душанбе Ашхабад Баку Тбилиси Ереван Минск Киев Киев Харьков Одесса Пекин Урумчи Анкара Стамбул Дубай";

/// Stems of [`PLACES`].
static PLACE_STEMS: LazyLock<foldhash::HashSet<u64>> =
    LazyLock::new(|| PLACES.split([' ', '-']).filter(|w| w.chars().count() >= 3).map(|w| stem(w).0).collect());

/// Capitalised words that name nothing in particular ("СМИ: …", "ФОТО"),
/// matched whole and lower-cased: by their five-letter stems, "новости"
/// hid "Новосибирск" and "видео" every "Видеоблогер".
static NOT_NAMES: LazyLock<foldhash::HashSet<&'static str>> = LazyLock::new(|| {
    ["сми", "фото", "видео", "онлайн", "upd", "live", "срочно", "новости", "новость", "эксклюзив", "инфографика", "обновлено"]
        .into_iter()
        .collect()
});

/// `word` is one of [`NOT_NAMES`] in any case.
fn names_nothing(word: &str) -> bool {
    let mut buf = [0u8; 48];
    lower_in(word, &mut buf).is_some_and(|w| NOT_NAMES.contains(w))
}

/// Words before a place ("в Таразе", "под Винницей", "из Актобе").
const LOCATIVE: &[&str] = &["в", "во", "на", "под", "у", "из", "близ", "около", "возле", "над"];

/// Word starts after a place ("Алматинской области", "Беляевском районе",
/// "Алматы облысында").
const PLACE_NOUNS: &[&str] = &["област", "район", "край", "крае", "округ", "облыс", "аудан", "селе", "поселк"];

/// Words at the start of a lead that may be a dateline.
const DATELINE_WORDS: usize = 4;

/// Month stems, Russian then Kazakh, in calendar order.
const MONTHS: [(&str, &str); 12] = [
    ("январ", "қаңтар"),
    ("феврал", "ақпан"),
    ("март", "наурыз"),
    ("апрел", "сәуір"),
    ("ма", "мамыр"),
    ("июн", "маусым"),
    ("июл", "шілде"),
    ("август", "тамыз"),
    ("сентябр", "қыркүйек"),
    ("октябр", "қазан"),
    ("ноябр", "қараша"),
    ("декабр", "желтоқсан"),
];

/// The five-letter stem hash of a word (lower-cased, `ё`→`е`, Kazakh
/// letters folded), as [`super::stems`] makes it of a folded word, and its
/// length in characters.
pub(super) fn stem(word: &str) -> (u64, usize) {
    let mut buf = [0u8; STEM_CHARS * 4];
    let (mut len, mut chars) = (0, 0);
    for c in word.chars() {
        chars += 1;
        if chars <= STEM_CHARS {
            len += kazakh_to_russian(lower(c)).encode_utf8(&mut buf[len..]).len();
        }
    }
    (xxhash_rust::xxh3::xxh3_64(&buf[..len]), chars)
}

/// A character lower-cased as the fold does it (`ё`→`е`), without allocating;
/// Russian letters and ASCII without the Unicode tables.
fn lower(c: char) -> char {
    match c {
        'а'..='я' | 'a'..='z' => c,
        'ё' | 'Ё' => 'е',
        'А'..='Я' => char::from_u32(c as u32 + 0x20).unwrap_or(c),
        'A'..='Z' => c.to_ascii_lowercase(),
        _ => match c.to_lowercase().next().unwrap_or(c) {
            'ё' => 'е',
            l => l,
        },
    }
}

/// `c.is_uppercase()`, Russian letters and ASCII answered without the
/// Unicode tables: this runs for every character of title and lead, and
/// the tables' search was a third of the extraction's time.
fn upper(c: char) -> bool {
    match c {
        'А'..='Я' | 'Ё' | 'A'..='Z' => true,
        'а'..='я' | 'ё' | 'a'..='z' | '0'..='9' | ' ' => false,
        _ => c.is_uppercase(),
    }
}

/// `c.is_lowercase()`, as [`upper`].
fn lowercase(c: char) -> bool {
    match c {
        'а'..='я' | 'ё' | 'a'..='z' => true,
        'А'..='Я' | 'Ё' | 'A'..='Z' | '0'..='9' | ' ' => false,
        _ => c.is_lowercase(),
    }
}

/// `word` lower-cased into `buf` (no allocation); `None` when it does
/// not fit (no stop word or month name is that long).
fn lower_in<'b>(word: &str, buf: &'b mut [u8; 48]) -> Option<&'b str> {
    let mut len = 0;
    for c in word.chars() {
        let l = lower(c);
        if len + l.len_utf8() > buf.len() {
            return None;
        }
        len += l.encode_utf8(&mut buf[len..]).len();
    }
    std::str::from_utf8(&buf[..len]).ok()
}

/// One word of the text with what the rules need to know of its place.
#[derive(Clone, Copy)]
struct Word<'a> {
    text: &'a str,
    /// First of a sentence, of a quote or of the title.
    start: bool,
    /// Right after an opening quotation mark («Анжи», "Kaspi").
    quoted: bool,
    /// In the title (not the lead).
    title: bool,
}

/// The words of `text` (letters, digits, inner hyphens and dots), each
/// marked when it starts a sentence or a quote.
fn words<'a>(text: &'a str, title: bool, out: &mut Vec<Word<'a>>) {
    let mut start = true;
    for token in text.split_whitespace() {
        let core_start = token.find(is_word_char).unwrap_or(token.len());
        let opened = token[..core_start].chars().any(|c| matches!(c, '«' | '"' | '„' | '“' | '(' | '[' | '\''));
        let quoted = token[..core_start].chars().any(|c| matches!(c, '«' | '"' | '„' | '“'));
        let rest = &token[core_start..];
        let core_len = rest.find(|c: char| !(is_word_char(c) || c == '-' || c == '.')).unwrap_or(rest.len());
        let core = rest[..core_len].trim_end_matches(['-', '.']);
        let tail = &rest[core.len()..];
        if !core.is_empty() {
            out.push(Word { text: core, start: start || opened, quoted, title });
            start = false;
        }
        // In a title, the capital after "Кто-то:" or "[ТЕГ]" is the
        // next subject's, as often a name as not ("Политолог: Трамп …"):
        // it counts as a name unless it is a stop word.
        if tail.contains(['.', '!', '?', '…']) || (!title && tail.contains([':', ']'])) {
            start = true;
        }
    }
}

fn capitalised(w: &str) -> bool {
    w.chars().next().is_some_and(upper)
}

fn all_capitals(w: &str) -> bool {
    w.chars().filter(|&c| is_word_char(c) && !c.is_ascii_digit()).count() >= 2 && w.chars().all(|c| !lowercase(c))
}

/// The entities of a title and its lead (see the module docs).
pub fn entities(title: &str, lead: &str) -> Entities {
    let mut ws = Vec::with_capacity(80);
    words(title, true, &mut ws);
    let lead_start = ws.len();
    words(lead, false, &mut ws);
    // A title set in capitals throughout says nothing of its names.
    let shouting = !title.chars().any(lowercase) && title.chars().filter(|&c| is_word_char(c) && !c.is_ascii_digit()).count() > 8;
    // Stems capitalised somewhere other than a sentence start.
    let mut named: Vec<u64> = Vec::new();
    for w in ws.iter().filter(|w| !w.start && capitalised(w.text) && !(shouting && w.title)) {
        for part in w.text.split('-').filter(|p| p.chars().count() >= 3) {
            named.push(stem(part).0);
        }
    }
    named.sort_unstable();
    let mut out = Entities::default();
    for (i, w) in ws.iter().enumerate() {
        // A day in the lead's first words is a dateline's ("Москва. 11
        // ноября. INTERFAX.RU - …"): when the copy was filed, not what
        // the story is about.
        let dateline = (lead_start..lead_start + DATELINE_WORDS).contains(&i);
        if !dateline && let Some(date) = date(w.text, ws.get(i + 1).map(|n| n.text)) {
            out.dates.push(date);
        }
        if !capitalised(w.text) || (shouting && w.title) {
            continue;
        }
        let before = i.checked_sub(1).and_then(|j| ws.get(j)).map(|p| p.text);
        let after = ws.get(i + 1).map(|n| n.text);
        for part in w.text.split('-') {
            let (s, chars) = stem(part);
            if chars < 3 || names_nothing(part) || is_stop_word(part) {
                continue;
            }
            out.capitalised.push(s);
            let known_place = PLACE_STEMS.contains(&s);
            // A capital after an opening quote is a name's («Анжи» вышел в
            // финал), wherever the quote stands.
            let proper = !w.start || w.quoted || all_capitals(part) || known_place || named.binary_search(&s).is_ok();
            if !proper {
                continue;
            }
            if w.title {
                out.title.push(s);
            }
            let latin = part.is_ascii();
            let located = !latin
                && !all_capitals(part)
                && (before.is_some_and(|b| LOCATIVE.iter().any(|l| lower_eq(b, l)))
                    || after.is_some_and(|a| PLACE_NOUNS.iter().any(|n| a.starts_with(n))));
            if known_place || located {
                out.places.push(s);
            }
        }
    }
    for list in [&mut out.title, &mut out.places, &mut out.dates, &mut out.capitalised] {
        list.sort_unstable();
        list.dedup();
    }
    out
}

/// A stop word of [`super::STOP_WORDS`] in any case ("На", "Как").
fn is_stop_word(word: &str) -> bool {
    let mut buf = [0u8; 48];
    lower_in(word, &mut buf).is_some_and(|w| super::STOP_WORDS.contains(w))
}

/// `word` lower-cased equals `lower` (a short lower-case Cyrillic word).
fn lower_eq(word: &str, lower: &str) -> bool {
    word.len() == lower.len() && word.chars().zip(lower.chars()).all(|(a, b)| self::lower(a) == b)
}

/// A day and month: `word` a day number and `next` a month name, or
/// `word` a `dd.mm` or `dd.mm.yyyy` date; as `month * 32 + day`.
fn date(word: &str, next: Option<&str>) -> Option<u64> {
    let mut parts = word.split('-').next()?.split('.');
    let day: u64 = parts.next()?.parse().ok()?;
    if !(1..=31).contains(&day) {
        return None;
    }
    let month = match parts.next() {
        // Two-digit months only: "12.5" is a decimal, not the 12th of May.
        Some(m) if m.len() == 2 => m.parse::<u64>().ok().filter(|m| (1..=12).contains(m))?,
        Some(_) => return None,
        None => {
            let mut buf = [0u8; 48];
            let lower = lower_in(next?, &mut buf)?;
            // "мая"/"май" but not "март": the stem "ма" is matched whole.
            let index = MONTHS.iter().position(|(ru, kk)| {
                if *ru == "ма" {
                    matches!(lower, "мая" | "май") || lower.starts_with(kk)
                } else {
                    lower.starts_with(ru) || lower.starts_with(kk)
                }
            })?;
            index as u64 + 1
        }
    };
    Some(month * 32 + day)
}

#[cfg(test)]
mod tests;
