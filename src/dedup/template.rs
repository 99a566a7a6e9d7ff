//! Template prefixes of one source, learned from its history.
//!
//! Many sources start whole series of different stories the same way:
//! "[РЕЛИЗ] …", "Срочно: …", "Голосуйте за проект …", "Новости
//! Казахстана | …". Two such titles share those words whatever they are
//! about, so the words are no evidence that two items are one story. A
//! prefix is a template when it opens at least [`MIN_STORIES`] distinct
//! titles of the source (and at least one in a hundred of them) when a
//! separator (":", "|", " — ", "]") ends it within [`MAX_WORDS`] words;
//! the first three or four words with no separator must open
//! [`MIN_BARE_STORIES`] (and one in twenty): they may be a busy subject
//! ("Токаев подписал закон …") rather than a template. One- and two-word
//! openings ("В Алматы …") are never templates: they are too often the
//! place or the person the story is about. [`Templates::strip`] takes the
//! longest template off a title before it is fingerprinted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Distinct titles a prefix must open to be a template.
pub const MIN_STORIES: usize = 5;
/// Distinct titles a prefix with no separator (the first three or four
/// words) must open, and at least one in twenty of them.
pub const MIN_BARE_STORIES: usize = 10;
/// Words a separator-ended prefix may have.
const MAX_WORDS: usize = 5;

/// One source's template prefixes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Templates {
    /// Lower-cased prefixes, longest first.
    prefixes: Vec<String>,
}

/// The candidate prefixes of a title (lower-cased, as byte lengths of
/// `title`): up to a separator, and the first three and four words; each
/// leaves some title after it.
fn candidates(title: &str) -> impl Iterator<Item = usize> + '_ {
    let separator = ["]", ":", "|", " — ", " – "]
        .iter()
        .filter_map(|s| title.find(s).map(|i| i + s.len()))
        .min()
        .filter(|&end| title[..end].split_whitespace().count() <= MAX_WORDS);
    let words = |n: usize| {
        let mut ends = title.split_whitespace().map(|w| w.as_ptr() as usize - title.as_ptr() as usize + w.len());
        ends.nth(n - 1)
    };
    [separator, words(3), words(4)].into_iter().flatten().filter(move |&end| title[end..].trim().chars().count() >= 3)
}

impl Templates {
    /// Learns the templates of a source from its recent `titles`.
    pub fn learn<'a>(titles: impl IntoIterator<Item = &'a str>) -> Templates {
        let mut distinct: Vec<String> = titles.into_iter().map(|t| t.trim().to_lowercase()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for title in &distinct {
            let mut seen: Vec<usize> = candidates(title).collect();
            seen.sort_unstable();
            seen.dedup();
            for end in seen {
                *counts.entry(title[..end].trim_end()).or_default() += 1;
            }
        }
        // A prefix a separator ends ("[релиз]", "срочно:") is a template
        // once it opens a few stories; bare first words ("токаев подписал
        // закон") may be a busy subject, so they must open many more: the
        // words stripped are the story's own, and two partners' copies of
        // it would then share less.
        let marked = MIN_STORIES.max(distinct.len() / 100);
        let bare = MIN_BARE_STORIES.max(distinct.len() / 20);
        let needed = |p: &str| if p.ends_with([']', ':', '|', '—', '–']) { marked } else { bare };
        let mut prefixes: Vec<String> = counts.into_iter().filter(|(p, n)| *n >= needed(p)).map(|(p, _)| p.to_string()).collect();
        prefixes.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        Templates { prefixes }
    }

    /// The learned prefixes, longest first.
    pub fn prefixes(&self) -> &[String] {
        &self.prefixes
    }

    /// `title` without its longest template prefix (the title itself when
    /// it has none).
    pub fn strip<'t>(&self, title: &'t str) -> &'t str {
        let trimmed = title.trim_start();
        for prefix in &self.prefixes {
            // Compared lower-cased a character at a time: no allocation.
            let mut rest = trimmed.char_indices();
            let matched = prefix.chars().all(|p| rest.next().is_some_and(|(_, c)| c.to_lowercase().eq(std::iter::once(p))));
            if matched {
                let end = rest.next().map_or(trimmed.len(), |(i, _)| i);
                // Whole words only: "Срочно:" but not "Срочно" of "Срочность".
                if trimmed[end..].starts_with(|c: char| c.is_whitespace() || !c.is_alphanumeric())
                    || prefix.ends_with(|c: char| !c.is_alphanumeric())
                {
                    return trimmed[end..].trim_start();
                }
            }
        }
        title
    }
}

/// How long a source's learned templates are used before they are learned
/// again from its history: a template habit changes over weeks, not hours.
pub const RELEARN: Duration = Duration::from_secs(3600);
/// The same, for a source whose history is still short (learned from fewer
/// titles than were asked for): its first polls teach the most.
pub const RELEARN_YOUNG: Duration = Duration::from_secs(300);

/// Each source's templates as last learned, so that a poll reads the
/// source's history at most every [`RELEARN`] (or [`RELEARN_YOUNG`]), not
/// on every fetch. Shared by the CPU workers.
#[derive(Debug, Default)]
pub struct Learned {
    by_source: Mutex<HashMap<String, Entry>>,
}

#[derive(Debug)]
struct Entry {
    at: Instant,
    full: bool,
    templates: Arc<Templates>,
}

impl Learned {
    /// The templates of `source_id`, learned again by `learn` (which
    /// returns them and whether the history read was full) when none are
    /// known or they are stale. `learn` runs without the lock held; when it
    /// fails (`None`), the last templates (or none) are used and learning
    /// is tried again next time.
    pub fn get(&self, source_id: &str, now: Instant, learn: impl FnOnce() -> Option<(Templates, bool)>) -> Arc<Templates> {
        let known = self.lock().get(source_id).map(|e| {
            let fresh = now.saturating_duration_since(e.at) < if e.full { RELEARN } else { RELEARN_YOUNG };
            (fresh, Arc::clone(&e.templates))
        });
        match known {
            Some((true, templates)) => templates,
            stale => match learn() {
                Some((templates, full)) => {
                    let templates = Arc::new(templates);
                    let entry = Entry { at: now, full, templates: Arc::clone(&templates) };
                    self.lock().insert(source_id.to_string(), entry);
                    templates
                }
                None => stale.map(|(_, t)| t).unwrap_or_default(),
            },
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while the map was held leaves it whole: use it.
        self.by_source.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_on_many_distinct_stories_is_a_template_and_is_stripped() {
        let titles = [
            "[РЕЛИЗ] Kaspi представил новую услугу для бизнеса",
            "[РЕЛИЗ] Halyk Bank открыл отделение в Таразе",
            "[РЕЛИЗ] Beeline запустил тариф для студентов",
            "[РЕЛИЗ] Air Astana открывает рейсы в Сеул",
            "[РЕЛИЗ] Kcell представила 5G в Шымкенте",
            "Голосуйте за проект «Зеленый двор» в конкурсе акимата",
            "Голосуйте за проект «Светлая улица» в конкурсе акимата",
            "Голосуйте за проект «Чистый арык» в конкурсе акимата",
            "Голосуйте за проект «Новая остановка» в конкурсе акимата",
            "Голосуйте за проект «Детская площадка» в конкурсе акимата",
            "Голосуйте за проект «Тихий сквер» в конкурсе акимата",
            "Голосуйте за проект «Новый фонтан» в конкурсе акимата",
            "Голосуйте за проект «Велодорожка» в конкурсе акимата",
            "Голосуйте за проект «Летняя сцена» в конкурсе акимата",
            "Голосуйте за проект «Школьный сад» в конкурсе акимата",
            "В Алматы открыли новую школу",
            "В Алматы закрыли мост на ремонт",
            "В Алматы выпал первый снег",
            "В Алматы прошел марафон",
            "В Алматы подорожал проезд",
            // The same story twice counts once.
            "Срочно: в Астане отключат свет",
            "Срочно: в Астане отключат свет",
        ];
        let t = Templates::learn(titles);
        assert_eq!(t.strip("[РЕЛИЗ] Kaspi представил новую услугу"), "Kaspi представил новую услугу");
        assert_eq!(t.strip("Голосуйте за проект «Зеленый двор» в конкурсе акимата"), "«Зеленый двор» в конкурсе акимата");
        assert_eq!(t.strip("В Алматы выпал снег"), "В Алматы выпал снег", "a two-word opening is the story's place");
        assert_eq!(t.strip("Срочно: в Астане отключат свет"), "Срочно: в Астане отключат свет", "seen on one story only");
        let busy: Vec<String> = (0..6).map(|i| format!("Токаев подписал закон о поправках номер {i} в кодекс")).collect();
        assert!(Templates::learn(busy.iter().map(String::as_str)).prefixes().is_empty(), "six stories of a busy subject are no template");
        assert!(Templates::learn(["Один заголовок про выборы"]).prefixes().is_empty());
    }

    #[test]
    fn a_template_is_stripped_whatever_its_case_and_only_as_whole_words() {
        let t = Templates::learn(
            (0..6).map(|i| ["ВИДЕО: пожар", "ВИДЕО: потоп", "ВИДЕО: авария", "ВИДЕО: ураган", "ВИДЕО: митинг", "ВИДЕО: рекорд"][i]),
        );
        assert_eq!(t.prefixes(), ["видео:"]);
        assert_eq!(t.strip("Видео: обрушение моста в Караганде"), "обрушение моста в Караганде");
        assert_eq!(t.strip("Видеонаблюдение установят в школах"), "Видеонаблюдение установят в школах");
    }

    #[test]
    fn learned_templates_are_read_again_only_when_stale() {
        let learned = Learned::default();
        let start = Instant::now();
        let calls = std::cell::Cell::new(0);
        let learn = |full| {
            calls.set(calls.get() + 1);
            Some((
                Templates::learn(
                    (0..6).map(|i| ["ВИДЕО: пожар", "ВИДЕО: потоп", "ВИДЕО: авария", "ВИДЕО: ураган", "ВИДЕО: митинг", "ВИДЕО: рекорд"][i]),
                ),
                full,
            ))
        };
        assert_eq!(learned.get("s", start, || learn(true)).prefixes(), ["видео:"]);
        assert_eq!(learned.get("s", start + RELEARN / 2, || learn(true)).prefixes(), ["видео:"]);
        assert_eq!(calls.get(), 1, "a fresh entry is not learned again");
        learned.get("s", start + RELEARN, || learn(true));
        assert_eq!(calls.get(), 2, "a stale one is");
        // A young source is learned again sooner; a failed read keeps what was known.
        learned.get("y", start, || learn(false));
        learned.get("y", start + RELEARN_YOUNG, || None);
        assert_eq!(calls.get(), 3);
        assert_eq!(learned.get("y", start + RELEARN_YOUNG, || None).prefixes(), ["видео:"]);
        assert!(learned.get("new", start, || None).prefixes().is_empty());
    }
}
