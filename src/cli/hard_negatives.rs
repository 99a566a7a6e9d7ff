//! Hard negatives for `dedup-check`: pairs of different stories that look
//! alike, made from the labelled pools' own texts.
//!
//! Every item of the pools (each side of a pair, once) gives up to five
//! copies that differ from it in one thing only, everywhere in its title
//! and text: the quoted name («X» → «Y», a name quoted in another title of
//! the pools; a one-word name in every case form), a proper noun of the title (another title's proper noun),
//! a number of the title (n → n + k), a place (a Kazakhstan or Russian
//! city in the same case form, and the words made from its name, or the
//! word after "в"/"под"), or a day
//! ("8 ноября" → "9 ноября", when it is in the title or the only day of
//! title and lead). Only copies that differ in the title or the first 300
//! characters of the text count (a detail changed deep in the text leaves
//! the same story). Each pool pair labelled *different* also
//! gives one pair with the same template prefix ("[РЕЛИЗ] ", "Срочно: ",
//! …) on both titles. An item and its copy are the templated stories
//! that fooled the matcher on unseen news (issue #25): alike in every
//! word but the one that says which story it is. All are labelled
//! different; each keeps the index of the pool pair it came from, so
//! that cross-validation keeps it in that pair's fold.

use regex::Regex;

use crate::dedup::pairs::Pair;

/// One hard negative: its kind, the pool pair it came from, the pair.
#[derive(Debug, Clone)]
pub struct HardNegative {
    /// "names", "proper", "numbers", "places", "dates" or "template".
    pub kind: &'static str,
    /// Index of the pool pair it was made from.
    pub origin: usize,
    /// The pair (labelled different).
    pub pair: Pair,
}

/// What counts as the lead of a text, in characters.
const LEAD_CHARS: usize = 300;

/// Template prefixes of the kind one source puts on many stories.
const PREFIXES: &[&str] = &["[РЕЛИЗ] ", "Срочно: ", "Новости Казахстана: ", "Эксклюзив: ", "Мнение: "];

/// Cities in three case forms (nominative, prepositional, genitive).
const CITIES: &[[&str; 3]] = &[
    ["Тараз", "Таразе", "Тараза"],
    ["Караганда", "Караганде", "Караганды"],
    ["Шымкент", "Шымкенте", "Шымкента"],
    ["Павлодар", "Павлодаре", "Павлодара"],
    ["Костанай", "Костанае", "Костаная"],
    ["Астана", "Астане", "Астаны"],
    ["Актобе", "Актобе", "Актобе"],
    ["Москва", "Москве", "Москвы"],
    ["Казань", "Казани", "Казани"],
    ["Омск", "Омске", "Омска"],
    ["Новосибирск", "Новосибирске", "Новосибирска"],
    ["Екатеринбург", "Екатеринбурге", "Екатеринбурга"],
];

/// The hard negatives of `pairs` (see the module docs).
pub fn generate(pairs: &[Pair]) -> Vec<HardNegative> {
    let quoted = Regex::new(r"«([^«»]{2,40})»").ok();
    let number = Regex::new(r"\d+").ok();
    let date =
        Regex::new(r"\b([1-9]|[12]\d|3[01]) (января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)").ok();
    let located = Regex::new(r"(?:^|\s)(?:в|во|под|В|Во|Под) (\p{Lu}\p{Ll}{3,})").ok();
    let (Some(quoted), Some(number), Some(date), Some(located)) = (quoted, number, date, located) else { return Vec::new() };
    let names: Vec<&str> =
        pairs.iter().flat_map(|p| [&p.title_a, &p.title_b]).filter_map(|t| quoted.captures(t)?.get(1)).map(|m| m.as_str()).collect();
    let propers: Vec<&str> = pairs.iter().flat_map(|p| [&p.title_a, &p.title_b]).filter_map(|t| title_proper(t)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (origin, pair) in pairs.iter().enumerate() {
        if pair.label == Some(false) {
            let prefix = PREFIXES[origin % PREFIXES.len()];
            let pair = Pair { title_a: format!("{prefix}{}", pair.title_a), title_b: format!("{prefix}{}", pair.title_b), ..pair.clone() };
            out.push(HardNegative { kind: "template", origin, pair });
        }
        for (title, text) in [(&pair.title_a, &pair.text_a), (&pair.title_b, &pair.text_b)] {
            if !seen.insert(title.clone()) {
                continue;
            }
            let pick = |list: &[&'_ str], avoid: &str| -> Option<String> {
                let n = list.len();
                (0..n).map(|k| list[(origin * 7919 + k * 31) % n]).find(|c| !c.is_empty() && stem5(c) != stem5(avoid)).map(str::to_string)
            };
            // A copy counts only when it differs in the title or the
            // lead (a detail changed deep in the text is the same story).
            let lead = |s: &str| s.chars().take(LEAD_CHARS).collect::<String>();
            let mut push = |kind, (t, x): (String, String)| {
                if &t != title || lead(&x) != lead(text) {
                    let pair =
                        Pair { title_a: title.clone(), text_a: text.clone(), title_b: t, text_b: x, label: Some(false), ..Pair::default() };
                    out.push(HardNegative { kind, origin, pair });
                }
            };
            if let Some(name) = quoted.captures(title).and_then(|c| c.get(1)).map(|m| m.as_str())
                && let Some(other) = pick(&names, name)
            {
                // A one-word name in every case form ("«Соловей»", "Юрия
                // Соловья"): a copy that still names the original is no
                // other story.
                let moved = if name.contains(char::is_whitespace) {
                    (title.replace(name, &other), text.replace(name, &other))
                } else {
                    (replace_stem(title, name, &other), replace_stem(text, name, &other))
                };
                push("names", moved);
            }
            if let Some(word) = title_proper(title)
                && let Some(other) = pick(&propers, word)
            {
                push("proper", (replace_stem(title, word, &other), replace_stem(text, word, &other)));
            }
            if let Some(n) = number.find(title).map(|m| m.as_str())
                && let Ok(value) = n.parse::<u64>()
                && let Ok(whole) = Regex::new(&format!(r"\b{n}\b"))
            {
                let other = (value + 1 + origin as u64 % 9).to_string();
                push(
                    "numbers",
                    (whole.replace_all(title, other.as_str()).into_owned(), whole.replace_all(text, other.as_str()).into_owned()),
                );
            }
            if let Some(moved) = move_place(title, text, origin, &located) {
                push("places", moved);
            }
            let both = format!("{title}\n{}", lead(text));
            // A day in the title, or the only day of title and lead: the
            // day the story is about, not one of several it mentions.
            let days: std::collections::HashSet<&str> = date.find_iter(&both).map(|m| m.as_str()).collect();
            if let Some(c) = date.captures(&both)
                && (days.len() == 1 || date.is_match(title))
                && let (Some(day), Some(month)) = (c.get(1), c.get(2))
            {
                let (from, day) = (c[0].to_string(), day.as_str().parse::<u32>().unwrap_or(1));
                let to = format!("{} {}", day % 28 + 1, month.as_str());
                push("dates", (title.replace(&from, &to), text.replace(&from, &to)));
            }
        }
    }
    out
}

/// Writes hard negatives as a TSV `dedup-check --pairs` reads (with a
/// `kind` column it ignores), to look at them one by one.
pub fn write_tsv(negatives: &[HardNegative], out: &mut impl std::io::Write) -> std::io::Result<()> {
    writeln!(out, "kind\ttitle_a\ttext_a\ttitle_b\ttext_b\tlabel")?;
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    for h in negatives {
        let p = &h.pair;
        writeln!(out, "{}\t{}\t{}\t{}\t{}\t0", h.kind, clean(&p.title_a), clean(&p.text_a), clean(&p.title_b), clean(&p.text_b))?;
    }
    Ok(())
}

/// The first five characters of a word, lower-cased.
fn stem5(word: &str) -> String {
    word.chars().take(5).flat_map(char::to_lowercase).collect()
}

/// The first capitalised word of a title that is not its first word, not
/// in capitals throughout and at least four letters long.
fn title_proper(title: &str) -> Option<&str> {
    title.split_whitespace().skip(1).map(|w| w.trim_matches(|c: char| !c.is_alphabetic())).find(|w| {
        w.chars().count() >= 4
            && w.chars().all(char::is_alphabetic)
            && w.chars().next().is_some_and(char::is_uppercase)
            && w.chars().skip(1).all(char::is_lowercase)
    })
}

/// `text` with every word (run of letters, so that "Ростов-на-Дону"
/// counts its parts) that begins as `word`'s stem does replaced by `with`.
fn replace_stem(text: &str, word: &str, with: &str) -> String {
    let stem: String = word.chars().take(5.min(word.chars().count().saturating_sub(1)).max(3)).collect();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(char::is_alphabetic) {
        out.push_str(&rest[..start]);
        let run = &rest[start..];
        let end = run.find(|c: char| !c.is_alphabetic()).unwrap_or(run.len());
        out.push_str(if run[..end].starts_with(&stem) { with } else { &run[..end] });
        rest = &run[end..];
    }
    out.push_str(rest);
    out
}

/// `title` and `text` with their first city moved to another (every case
/// form to the same form of the other), or else the word after the
/// title's first "в"/"под" moved to another city (prepositional).
fn move_place(title: &str, text: &str, origin: usize, located: &Regex) -> Option<(String, String)> {
    let both = format!("{title}\n{}", text.chars().take(LEAD_CHARS).collect::<String>());
    let word = |s: &str, w: &str| s.split(|c: char| !c.is_alphabetic()).any(|t| t == w);
    let found = CITIES.iter().position(|forms| forms.iter().any(|f| word(&both, f)));
    let other = |avoid: usize| CITIES[(origin + 1 + (origin % (CITIES.len() - 1)) + avoid) % CITIES.len()];
    if let Some(i) = found {
        let to = if other(i) == CITIES[i] { CITIES[(i + 1) % CITIES.len()] } else { other(i) };
        let mut moved = (title.to_string(), text.to_string());
        // Longest forms first: "Астане" before "Астана" would never clash, but "Омске" holds "Омск".
        let mut forms: Vec<(usize, &str)> = CITIES[i].iter().copied().enumerate().collect();
        forms.sort_by_key(|(_, f)| std::cmp::Reverse(f.len()));
        for (case, form) in forms {
            if let Ok(re) = Regex::new(&format!(r"\b{form}\b")) {
                moved = (re.replace_all(&moved.0, to[case]).into_owned(), re.replace_all(&moved.1, to[case]).into_owned());
            }
        }
        // And the words made from it ("Казанский"): the copy names only the other city.
        return Some((replace_stem(&moved.0, CITIES[i][0], to[0]), replace_stem(&moved.1, CITIES[i][0], to[0])));
    }
    let place = located.captures(title)?.get(1)?.as_str();
    let to = other(0)[1];
    Some((replace_stem(title, place, to), replace_stem(text, place, to)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(title_a: &str, text_a: &str, title_b: &str, text_b: &str, label: bool) -> Pair {
        Pair {
            title_a: title_a.into(),
            text_a: text_a.into(),
            title_b: title_b.into(),
            text_b: text_b.into(),
            label: Some(label),
            ..Pair::default()
        }
    }

    #[test]
    fn each_copy_differs_from_its_item_in_one_thing_and_is_labelled_different() {
        let pairs = [pair(
            "Голосуйте за проект «Зеленый двор» в Таразе",
            "Голосование за проект «Зеленый двор» в Таразе продлится до 8 ноября, сообщил аким Таразе Бахыт Оразбеков.",
            "Фонд «Самрук» выделил 5 млрд тенге Ержану Оспанову",
            "Средства получит Ержан Оспанов, решение приняли 2 ноября.",
            false,
        )];
        let made = generate(&pairs);
        let kinds: std::collections::BTreeSet<&str> = made.iter().map(|h| h.kind).collect();
        assert_eq!(kinds, ["dates", "names", "numbers", "places", "proper", "template"].into_iter().collect());
        assert!(made.iter().all(|h| h.pair.label == Some(false) && h.origin == 0));
        let of = |kind| made.iter().find(|h| h.kind == kind).map(|h| &h.pair).unwrap();
        let names = of("names");
        assert_eq!(names.title_a, pairs[0].title_a);
        assert_eq!(names.title_b, "Голосуйте за проект «Самрук» в Таразе", "the other title's quoted name");
        assert!(names.text_b.contains("«Самрук»") && !names.text_b.contains("Зеленый"));
        let places = of("places");
        assert!(!places.title_b.contains("Тараз") && !places.text_b.contains("Тараз"), "{places:?}");
        let dates = of("dates");
        assert!(dates.text_b.contains("9 ноября") && !dates.text_b.contains("8 ноября"), "{dates:?}");
        let numbers = made.iter().find(|h| h.kind == "numbers").map(|h| &h.pair).unwrap();
        assert!(
            numbers.title_a.contains("5 млрд") && !numbers.title_b.contains("5 млрд") && !numbers.text_b.contains("5 млрд"),
            "{numbers:?}"
        );
        let template = of("template");
        assert!(template.title_a.starts_with("[РЕЛИЗ] ") && template.title_b.starts_with("[РЕЛИЗ] "));
    }

    #[test]
    fn a_copy_names_no_form_of_the_original() {
        let pairs = [pair(
            "Кинотеатр «Соловей» закроется в Казани",
            "Директор кинотеатра Юрий Соловей сказал, что зал «Соловья» отдадут Казанскому университету.",
            "Фонд «Самрук» выделил деньги",
            "Текст",
            false,
        )];
        let made = generate(&pairs);
        let of = |kind| made.iter().find(|h| h.kind == kind).map(|h| &h.pair).unwrap();
        let names = of("names");
        assert!(!names.title_b.contains("Солов") && !names.text_b.contains("Солов"), "{names:?}");
        let places = of("places");
        assert!(!places.title_b.contains("Казан") && !places.text_b.contains("Казан"), "{places:?}");
    }

    #[test]
    fn a_change_deep_in_the_text_makes_no_hard_negative() {
        let deep = format!("{} Финал пройдет 8 ноября.", "Слово ".repeat(80));
        let made = generate(&[pair("Команда вышла в финал", &deep, "Другая новость", "Текст", true)]);
        assert!(made.iter().all(|h| h.kind != "dates"), "{made:?}");
    }
}
