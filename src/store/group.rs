//! Group commit: feeds are parsed and normalized on every core at once, but
//! there is one writer, and a commit costs a WAL write of every page it
//! touched. So a feed ready to be stored joins a queue, then waits for the
//! writer; whoever gets the writer stores every feed queued by then in one
//! transaction ([`Store::ingest_many`], a savepoint per feed) and hands each
//! its own result. A lone feed is committed at once, as before; under load
//! the groups grow by themselves and the commits become fewer.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::{FeedItems, IngestStats, Store, Touched};
use crate::dedup::{Fingerprint, Matcher};
use crate::model::Item;

/// What storing one feed did, or why nothing of it was stored.
pub type Stored = Result<(IngestStats, Touched), String>;

/// Feeds waiting for the writer.
#[derive(Default)]
pub struct GroupCommit {
    queue: Mutex<Vec<Arc<Job>>>,
}

struct Job {
    items: Vec<Item>,
    prints: Vec<Fingerprint>,
    priority: i64,
    now: i64,
    result: Mutex<Option<Stored>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl GroupCommit {
    /// Stores one feed's items (`prints[i]` fingerprints `items[i]`), all
    /// or nothing, possibly in the same transaction as other feeds.
    /// Blocks until it is committed or has failed.
    pub fn store(
        &self,
        store: &Mutex<Store>,
        items: Vec<Item>,
        prints: Vec<Fingerprint>,
        priority: i64,
        now: i64,
        matcher: &Matcher,
    ) -> Stored {
        let job = Arc::new(Job { items, prints, priority, now, result: Mutex::new(None) });
        lock(&self.queue).push(Arc::clone(&job));
        let mut writer = lock(store);
        // Another writer may have stored it while this one waited: results
        // are set before that writer lets go of the store.
        if let Some(done) = lock(&job.result).take() {
            return done;
        }
        let jobs = std::mem::take(&mut *lock(&self.queue));
        let feeds: Vec<FeedItems<'_>> =
            jobs.iter().map(|j| FeedItems { items: &j.items, prints: &j.prints, priority: j.priority, now: j.now }).collect();
        match writer.ingest_many(&feeds, matcher) {
            Ok(results) => {
                for (j, r) in jobs.iter().zip(results) {
                    *lock(&j.result) = Some(r.map_err(|e| e.to_string()));
                }
            }
            Err(e) => {
                for j in &jobs {
                    *lock(&j.result) = Some(Err(e.to_string()));
                }
            }
        }
        drop(writer);
        let done = lock(&job.result).take();
        done.unwrap_or_else(|| Err("storing was interrupted by a failure in another feed's writer".into()))
    }

    /// Feeds queued right now (for tests and metrics).
    pub fn queued(&self) -> usize {
        lock(&self.queue).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;

    fn item(source: &str, n: usize) -> Item {
        Item::sample(source, n, &format!("Заголовок {n} от {source}"), &format!("Текст новости номер {n} источника {source}"))
    }

    #[test]
    fn concurrent_feeds_are_stored_each_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("g.db")).unwrap();
        let sources: Vec<Source> =
            (0..8).map(|i| Source::example(&format!("s{i}"), url::Url::parse(&format!("https://s{i}.kz/rss")).unwrap())).collect();
        store.sync_sources(&sources).unwrap();
        let store = Mutex::new(store);
        let group = GroupCommit::default();
        let matcher = Matcher::default();
        // Feed "ghost" names a source that does not exist: its items break
        // the foreign key, so that feed alone must fail and leave nothing.
        let results: Vec<(String, Stored)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|i| format!("s{i}"))
                .chain(["ghost".to_string()])
                .map(|id| {
                    let (store, group, matcher) = (&store, &group, &matcher);
                    scope.spawn(move || {
                        let mut items: Vec<Item> = (0..30).map(|n| item(&id, n)).collect();
                        if id == "ghost" {
                            // The first items are fine as rows; the last fails.
                            items.iter_mut().take(29).for_each(|i| i.source_id = "s0".into());
                        }
                        let prints = items.iter().map(|i| matcher.fingerprint(&i.title, &i.text)).collect();
                        let done = group.store(store, items, prints, 0, chrono::Utc::now().timestamp(), matcher);
                        (id, done)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (id, done) in &results {
            match done {
                Ok((stats, _)) => {
                    assert_ne!(id, "ghost");
                    assert_eq!(stats.new, 30, "{id}");
                }
                Err(e) => {
                    assert_eq!(id, "ghost");
                    assert!(e.contains("FOREIGN KEY"), "{e}");
                }
            }
        }
        assert!(results.iter().any(|(id, r)| id == "ghost" && r.is_err()));
        let store = store.into_inner().unwrap();
        assert_eq!(store.counts().unwrap().0, 8 * 30, "the failed feed left no rows; the others all of theirs");
        assert_eq!(group.queued(), 0);
    }
}
