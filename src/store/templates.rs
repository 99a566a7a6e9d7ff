//! A source's recent titles, for learning its template prefixes
//! ([`crate::dedup::template::Templates`]): what a source puts before many
//! different stories is learned from what it published before.

use rusqlite::params;

use super::{Store, StoreError};
use crate::dedup::template::Templates;

/// Titles read per source to learn its templates: enough for a prefix on
/// one story in a hundred to be seen [`crate::dedup::template::MIN_STORIES`]
/// times, few enough to read on every poll.
pub const HISTORY: usize = 500;

impl Store {
    /// The titles of `source_id`'s newest `limit` items, newest first.
    pub fn recent_titles(&self, source_id: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT title FROM items WHERE source_id = ?1 ORDER BY id DESC LIMIT ?2")?;
        let rows = stmt.query_map(params![source_id, limit as i64], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The template prefixes of `source_id`, learned from its [`HISTORY`].
    pub fn templates(&self, source_id: &str) -> Result<Templates, StoreError> {
        Ok(self.learn_templates(source_id)?.0)
    }

    /// [`Store::templates`], and whether the history was full (as many
    /// titles as [`HISTORY`] asks for): a young source's are learned
    /// again sooner ([`crate::dedup::template::Learned`]).
    pub fn learn_templates(&self, source_id: &str) -> Result<(Templates, bool), StoreError> {
        let titles = self.recent_titles(source_id, HISTORY)?;
        Ok((Templates::learn(titles.iter().map(String::as_str)), titles.len() >= HISTORY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;
    use crate::dedup::Matcher;
    use crate::model::Item;

    #[test]
    fn a_sources_templates_are_learned_from_its_stored_titles_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        let sources: Vec<Source> =
            ["press", "news"].iter().map(|id| Source::example(id, url::Url::parse(&format!("https://{id}.kz/rss")).unwrap())).collect();
        store.sync_sources(&sources).unwrap();
        let m = Matcher::default();
        let companies = ["Kaspi", "Halyk", "Beeline", "Kcell", "Air Astana", "Freedom"];
        let items: Vec<Item> = companies
            .iter()
            .enumerate()
            .map(|(n, c)| {
                Item::sample(
                    "press",
                    n,
                    &format!("[РЕЛИЗ] {c} представила новый сервис"),
                    &format!("Компания {c} сообщила о запуске сервиса номер {n}."),
                )
            })
            .collect();
        let prints: Vec<_> = items.iter().map(|i| m.fingerprint(&i.title, &i.text)).collect();
        store.ingest(&items, &prints, 0, chrono::Utc::now().timestamp(), &m).unwrap();
        assert_eq!(
            store.recent_titles("press", 2).unwrap(),
            ["[РЕЛИЗ] Freedom представила новый сервис", "[РЕЛИЗ] Air Astana представила новый сервис"]
        );
        let press = store.templates("press").unwrap();
        assert_eq!(press.strip("[РЕЛИЗ] Jusan представил приложение"), "Jusan представил приложение");
        // Another source has no history, so no templates.
        assert_eq!(store.templates("news").unwrap().strip("[РЕЛИЗ] Jusan представил приложение"), "[РЕЛИЗ] Jusan представил приложение");
    }
}
