//! The feed slices a changed story appears in, so that their rendered
//! bytes can be dropped: a story appears in the slices of its canonical
//! row and of every copy (and each shows its credits).
//!
//! Reading every copy of a story each time one more arrives made a story
//! told by 160 sources cost 160 row reads per copy (four fifths of the
//! writer's time on such a load). [`StorySlices`] keeps, for the stories
//! an ingest touched, the slices found so far, and each new row of a story
//! adds its own: a story is read once, then costs nothing per copy. What
//! it holds is never less than the truth (a rolled-back row or a deleted
//! one only leaves a slice that is re-rendered for nothing), so no feed
//! ever misses a change.

use std::collections::BTreeSet;

use rusqlite::Connection;

use super::Touched;
use crate::model::Slice;
use crate::store::StoreError;
use crate::store::slice::Placement;

/// Stories whose slices are kept, at most; past that the map starts over
/// (each story is then read once more).
const MAX_STORIES: usize = 50_000;

/// The slices of recent stories, by canonical row (see the module docs).
#[derive(Debug, Default)]
pub struct StorySlices {
    known: foldhash::HashMap<i64, BTreeSet<Slice>>,
}

impl StorySlices {
    /// Row `row` with `slices` joined `story` (it may not be stored yet:
    /// then it is read when first asked for).
    pub(super) fn joined(&mut self, story: i64, slices: &[Slice]) {
        if let Some(known) = self.known.get_mut(&story) {
            known.extend(slices.iter().cloned());
        }
    }

    /// Story `story` has `into` as its canonical row from now on.
    pub(super) fn moved(&mut self, story: i64, into: i64) {
        if let Some(known) = self.known.remove(&story) {
            self.known.insert(into, known);
        }
    }

    /// Adds to `out` the slices story `story` (its canonical row) appears in.
    pub(super) fn add_to(&mut self, conn: &Connection, story: i64, out: &mut BTreeSet<Slice>) -> Result<(), StoreError> {
        if let Some(known) = self.known.get(&story) {
            out.extend(known.iter().cloned());
            return Ok(());
        }
        let mut read = BTreeSet::new();
        story_slices(conn, story, &mut read)?;
        out.extend(read.iter().cloned());
        if self.known.len() >= MAX_STORIES {
            self.known.clear();
        }
        self.known.insert(story, read);
        Ok(())
    }
}

/// The slices of a row of `category` and `region`, of a partner or not
/// (membership is [`Slice::containing`]'s, defined once beside its SQL).
pub(super) fn row_slices(category: &str, region: Option<&str>, partner: bool) -> Vec<Slice> {
    Slice::containing(&Placement { category, region, partner })
}

/// The story of row `id` (its canonical row).
pub(super) fn story_of(conn: &Connection, id: i64) -> Result<i64, StoreError> {
    Ok(conn.prepare_cached("SELECT coalesce(duplicate_of, id) FROM items WHERE id = ?1")?.query_row([id], |r| r.get(0))?)
}

/// Adds to `out` the slices of story `story`'s canonical row and of each
/// of its copies, as stored. Two indexed lookups (an OR across columns
/// would scan the table).
fn story_slices(conn: &Connection, story: i64, out: &mut BTreeSet<Slice>) -> Result<(), StoreError> {
    for sql in [
        "SELECT i.category, i.region, s.kind FROM items i JOIN sources s ON s.id = i.source_id WHERE i.id = ?1",
        "SELECT i.category, i.region, s.kind FROM items i JOIN sources s ON s.id = i.source_id WHERE i.duplicate_of = ?1",
    ] {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map([story], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?)))?;
        for row in rows {
            let (category, region, kind) = row?;
            out.extend(row_slices(&category, region.as_deref(), kind == "partner"));
        }
    }
    Ok(())
}

/// Every slice that shows one of the `touched` stories or their copies
/// (read from the database each time: for changes outside an ingest).
pub(crate) fn slices_of(conn: &Connection, touched: &BTreeSet<i64>) -> Result<Touched, StoreError> {
    let mut slices = BTreeSet::new();
    if touched.is_empty() {
        return Ok(Touched { slices });
    }
    slices.insert(Slice::All);
    // Each touched id is a story's canonical row or a copy of one.
    let mut stories = BTreeSet::new();
    for id in touched {
        stories.insert(story_of(conn, *id)?);
    }
    for story in stories {
        story_slices(conn, story, &mut slices)?;
    }
    Ok(Touched { slices })
}

#[cfg(test)]
mod tests {
    use crate::config::Source;
    use crate::dedup::Matcher;
    use crate::model::{Item, Slice};
    use crate::store::Store;

    const TITLE: &str = "Акимат Алматы объявил о ремонте проспекта Абая до конца сентября";
    const TEXT: &str = "Ремонт проспекта Абая в Алматы продлится до конца сентября, движение транспорта на участке \
         от Желтоксан до Байтурсынова ограничат, сообщили в акимате города.";

    fn source(id: &str, category: &str) -> Source {
        Source { category: category.into(), ..Source::example(id, url::Url::parse(&format!("https://{id}.kz/rss")).unwrap()) }
    }

    /// Stores the story from `source` in `category`; the categories touched.
    fn copy(store: &mut Store, source: &str, category: &str) -> Vec<String> {
        let mut item = Item::sample(source, 1, TITLE, TEXT);
        item.category = category.into();
        item.content_hash = crate::dedup::content_hash(TITLE, TEXT);
        let m = Matcher::default();
        let print = m.fingerprint(TITLE, TEXT);
        let (_, touched) = store.ingest(&[item], &[print], 0, chrono::Utc::now().timestamp(), &m).unwrap();
        touched.slices.into_iter().filter_map(|s| if let Slice::Category(c) = s { Some(c) } else { None }).collect()
    }

    #[test]
    fn a_new_copy_touches_the_category_of_every_copy_remembered_or_moved() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("slices.db")).unwrap();
        let mut sources = vec![source("a", "politics"), source("b", "sport"), source("c", "economy"), source("d", "politics")];
        store.sync_sources(&sources).unwrap();
        assert_eq!(copy(&mut store, "a", "politics"), ["politics"]);
        assert_eq!(copy(&mut store, "b", "sport"), ["politics", "sport"], "the story shows in both, with new credits");
        // Known from the last ingest: the copy adds its own.
        assert_eq!(copy(&mut store, "c", "economy"), ["economy", "politics", "sport"]);
        // Source b moves to another category, and its rows with it.
        sources[1].category = "world".into();
        store.sync_sources(&sources).unwrap();
        assert_eq!(copy(&mut store, "d", "politics"), ["economy", "politics", "world"]);
    }
}
