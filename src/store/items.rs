//! Items: ingesting fetched feeds (reading them back is `store::read`).
//!
//! [`Store::ingest_many`] stores several fetched feeds in one transaction
//! (a group commit: one WAL write for all of them), each feed inside its
//! own savepoint so that a feed that fails leaves nothing behind while the
//! others are kept. [`Store::ingest`] is the same for one feed. Each item is
//! upserted on its `(source_id, guid)` key (an entry seen again updates its
//! row; it never adds one), then the store looks for the
//! same story under another row (same canonical link; or same content hash,
//! among the rows the candidate index names, `store::bands`; or a
//! retelling: `items::matching`)
//! and links the two with `duplicate_of` pointing at the canonical copy that
//! `dedup::outranks` picks. Stories never chain: a duplicate always points
//! at a canonical row, and a promotion re-points the whole group.

use std::collections::BTreeSet;

use rusqlite::{CachedStatement, Connection, OptionalExtension, params};

use super::bands::BandIndex;
use super::slice::Placement;
use super::{FetchRecord, Store, StoreError};
use crate::dedup::index::{CandidateIndex, Probe};
use crate::dedup::{self, Fingerprint, Matcher, Rank, near};
use crate::model::{Item, Slice};

mod matching;
mod slices;

use matching::Match;
pub use slices::StorySlices;
pub(crate) use slices::slices_of;

/// Counts from one ingest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestStats {
    /// Rows added.
    pub new: u64,
    /// Rows whose content changed.
    pub updated: u64,
    /// New rows recorded as another copy of a known story.
    pub duplicates: u64,
    /// Entries seen again unchanged.
    pub unchanged: u64,
    /// What finding the new rows' stories read and compared.
    pub probe: Probe,
}

/// The feed slices an ingest changed, so their rendered bytes can be dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    /// Slices whose content changed.
    pub slices: BTreeSet<Slice>,
}

enum Upserted {
    New(i64),
    Updated(i64),
    Unchanged,
}

/// One fetched feed to store: its items, their fingerprints (`prints[i]`
/// is the fingerprint of `items[i]`) and its source's priority.
#[derive(Debug, Clone, Copy)]
pub struct FeedItems<'a> {
    /// Normalized items.
    pub items: &'a [Item],
    /// Their fingerprints.
    pub prints: &'a [Fingerprint],
    /// The source's priority.
    pub priority: i64,
    /// When the feed was fetched (unix seconds).
    pub now: i64,
    /// The fetch that brought the feed (source id, record): written in
    /// the transaction that stores the items, with their counts, so a poll
    /// costs one commit, and a crash never keeps one without the other.
    pub record: Option<(&'a str, &'a FetchRecord)>,
}

/// What storing one feed did, or why nothing of it was stored.
pub type FeedResult = Result<(IngestStats, Touched), StoreError>;

/// Ingest work for one feed, inside its savepoint.
struct Batch<'c> {
    tx: &'c Connection,
    bands: &'c mut dyn CandidateIndex,
    story_slices: &'c mut StorySlices,
    /// Rows read and profiles compared to find stories.
    probe: Probe,
    priority: i64,
    now: i64,
    matcher: &'c Matcher,
    stats: IngestStats,
    touched: BTreeSet<i64>,
    /// Slices of new items that are stories of their own, known without a
    /// query (what `slices_of` would find for them).
    slices: BTreeSet<Slice>,
    /// The feed's source and whether it is a partner, looked up once.
    partner: Option<(String, bool)>,
    /// The category, region and partner flag whose slices are in `slices`
    /// already: a feed's items nearly all share them, and each insert
    /// copied the strings.
    last_own: Option<(String, Option<String>, bool)>,
    stmts: Statements<'c>,
}

/// The statements every new item runs, taken from the cache once per feed:
/// checking one out and back in for each item (hashing its SQL, copying
/// it as the cache key, clearing its bindings) cost more than some of the
/// statements themselves.
struct Statements<'c> {
    existing: CachedStatement<'c>,
    insert: CachedStatement<'c>,
    by_link: CachedStatement<'c>,
    candidate: CachedStatement<'c>,
}

impl<'c> Statements<'c> {
    fn prepare(tx: &'c Connection) -> rusqlite::Result<Statements<'c>> {
        Ok(Statements {
            existing: tx.prepare_cached(
                "SELECT id, title, summary_html, content_html, link, image, author, category FROM items WHERE source_id = ?1 AND guid = ?2",
            )?,
            insert: tx.prepare_cached(
                "INSERT INTO items (source_id, guid, link, canonical_link, title, summary_html, content_html, text, author, image,
                   published_at, first_seen_at, updated_at, language, category, region, content_hash, profile, date_guessed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?11, ?13, ?14, ?15, ?16, ?17, ?18)",
            )?,
            // Only an equality on the indexed column: `ORDER BY id LIMIT 1`
            // makes SQLite walk the primary key, and `id != ?` makes the
            // bundled SQLite (STAT4) re-prepare the statement on every bind.
            by_link: tx.prepare_cached("SELECT id, coalesce(duplicate_of, id) FROM items WHERE canonical_link = ?1")?,
            // A candidate row and, when it is a copy, its story's canonical row.
            candidate: tx.prepare_cached("SELECT duplicate_of, source_id, link, profile, published_at FROM items WHERE id = ?1")?,
        })
    }
}

impl Store {
    /// Stores the items of one fetched feed from a source with `priority`,
    /// in one transaction: all of them or none.
    /// `prints[i]` is the fingerprint of `items[i]`.
    pub fn ingest(
        &mut self,
        items: &[Item],
        prints: &[Fingerprint],
        priority: i64,
        now: i64,
        matcher: &Matcher,
    ) -> Result<(IngestStats, Touched), StoreError> {
        let mut results = self.ingest_many(&[FeedItems { items, prints, priority, now, record: None }], matcher)?;
        results.pop().unwrap_or_else(|| Ok(Default::default()))
    }

    /// Stores several fetched feeds in one transaction, each all or
    /// nothing: a feed whose storing fails gets its error and leaves
    /// nothing behind; the others are committed. The outer error means
    /// the commit itself failed and nothing was stored.
    ///
    /// Feeds rarely fail, and a savepoint copies every page it first
    /// touches into a sub-journal: so the group is first stored without
    /// savepoints, and only when a feed fails is the transaction rolled
    /// back and the group stored again with a savepoint per feed.
    pub fn ingest_many(&mut self, feeds: &[FeedItems<'_>], matcher: &Matcher) -> Result<Vec<FeedResult>, StoreError> {
        self.bands_before_ingest();
        let Store { conn, bands, story_slices, .. } = self;
        let start = bands.mark();
        let optimistic = (|| {
            let tx = conn.transaction()?;
            let mut results = Vec::with_capacity(feeds.len());
            for feed in feeds {
                match store_feed(&tx, bands, story_slices, feed, matcher) {
                    Ok(done) => results.push(Ok(done)),
                    // Dropping the transaction rolls it back.
                    Err(e) if feeds.len() == 1 => return Ok(Some(vec![Err(e)])),
                    Err(_) => return Ok(None),
                }
            }
            tx.commit()?;
            Ok(Some(results))
        })();
        let stored = match optimistic {
            Ok(Some(results)) => Ok(results),
            Ok(None) => {
                bands.rollback_to(start);
                ingest_each(conn, bands, story_slices, feeds, matcher)
            }
            Err(e) => Err(e),
        };
        match &stored {
            Ok(results) if results.iter().any(Result::is_ok) => bands.settle(),
            _ => bands.rollback_to(start),
        }
        if stored.is_ok() {
            self.bands_after_ingest();
        }
        stored
    }

    /// [`Store::ingest`], then rolled back: measures the work without
    /// changing the database (benchmarks).
    pub fn ingest_rolled_back(
        &mut self,
        items: &[Item],
        prints: &[Fingerprint],
        priority: i64,
        now: i64,
        matcher: &Matcher,
    ) -> Result<IngestStats, StoreError> {
        self.bands_before_ingest();
        let Store { conn, bands, story_slices, .. } = self;
        let mark = bands.mark();
        let tx = conn.transaction()?;
        let stored = store_feed(&tx, bands, story_slices, &FeedItems { items, prints, priority, now, record: None }, matcher);
        bands.rollback_to(mark);
        tx.rollback()?;
        Ok(stored?.0)
    }
}

/// [`Store::ingest_many`] with a savepoint per feed: a feed that fails is
/// rolled back alone.
fn ingest_each(
    conn: &mut Connection,
    bands: &mut BandIndex,
    story_slices: &mut StorySlices,
    feeds: &[FeedItems<'_>],
    matcher: &Matcher,
) -> Result<Vec<FeedResult>, StoreError> {
    let mut tx = conn.transaction()?;
    let mut results = Vec::with_capacity(feeds.len());
    for feed in feeds {
        let savepoint = tx.savepoint()?;
        let mark = bands.mark();
        let stored = store_feed(&savepoint, bands, story_slices, feed, matcher);
        if stored.is_ok() {
            savepoint.commit()?;
        } else {
            // The savepoint is rolled back when dropped; so are its keys.
            bands.rollback_to(mark);
        }
        results.push(stored);
    }
    tx.commit()?;
    Ok(results)
}

fn store_feed(
    conn: &Connection,
    bands: &mut BandIndex,
    story_slices: &mut StorySlices,
    feed: &FeedItems<'_>,
    matcher: &Matcher,
) -> FeedResult {
    let mut batch = Batch {
        tx: conn,
        bands,
        story_slices,
        probe: Probe::default(),
        priority: feed.priority,
        now: feed.now,
        matcher,
        stats: IngestStats::default(),
        touched: BTreeSet::new(),
        slices: BTreeSet::new(),
        partner: None,
        last_own: None,
        stmts: Statements::prepare(conn)?,
    };
    for (item, print) in feed.items.iter().zip(feed.prints) {
        batch.add(item, print)?;
    }
    batch.stats.probe = batch.probe;
    let touched = batch.touched_slices()?;
    if let Some((source, record)) = feed.record {
        let stats = &batch.stats;
        let record = FetchRecord { new_items: stats.new, updated_items: stats.updated, duplicates: stats.duplicates, ..record.clone() };
        super::sources::write_fetch(conn, source, &record)?;
    }
    Ok((batch.stats, touched))
}

impl Batch<'_> {
    fn add(&mut self, item: &Item, print: &Fingerprint) -> Result<(), StoreError> {
        match self.upsert(item, print)? {
            Upserted::Unchanged => self.stats.unchanged += 1,
            Upserted::Updated(id) => {
                self.stats.updated += 1;
                self.touch_story(id, item)?;
            }
            Upserted::New(id) => {
                self.stats.new += 1;
                let found = match self.same_story(item, id)? {
                    Some(m) => Some(m),
                    None => self.near_story(item, print)?,
                };
                // The story's canonical row before this one came (this one
                // for a new story), and whether this one takes it over.
                let (mut joined, mut takes_over) = (id, false);
                if let Some(Match { story, rule, score }) = found {
                    self.stats.duplicates += 1;
                    let new = Rank { priority: self.priority, published_at: item.published_at.timestamp(), id };
                    if dedup::outranks(&new, &story) {
                        // The new copy represents the story from now on; the
                        // whole group points at it (no chains).
                        takes_over = true;
                        self.keep_public_identity(story.id, id)?;
                        self.tx
                            .prepare_cached(
                                "UPDATE items SET duplicate_of = ?1, dup_rule = ?2, dup_score = ?3 WHERE id = ?4 OR duplicate_of = ?4",
                            )?
                            .execute(params![id, rule, score, story.id])?;
                    } else {
                        // Cached: preparing it for every copy was a twentieth
                        // of the writer's time on a load of many copies.
                        self.tx
                            .prepare_cached("UPDATE items SET duplicate_of = ?1, dup_rule = ?2, dup_score = ?3 WHERE id = ?4")?
                            .execute(params![story.id, rule, score, id])?;
                    }
                    joined = story.id;
                    let row = slices::row_slices(&item.category, item.region.as_deref(), self.partner(&item.source_id)?);
                    if takes_over {
                        self.story_slices.moved(story.id, id);
                    }
                    self.story_slices.joined(if takes_over { id } else { story.id }, &row);
                    self.touched.insert(story.id);
                    self.touched.insert(id);
                } else {
                    self.own_slices(item)?;
                }
                self.bands.insert(id, joined, &keys(item, print));
                if takes_over {
                    self.bands.merge_story(joined, id);
                }
                // Only a story's canonical row is compared on its sketch.
                if takes_over || joined == id {
                    self.bands.set_sketch(id, print.sketch);
                }
            }
        }
        Ok(())
    }

    /// Row `to` becomes the canonical row of `from`'s story: it takes the id
    /// and link readers already have (`from`'s own, or those `from` kept
    /// from an earlier copy), and its `updated` time moves, so that a reader
    /// sees one story with new content, not a second story.
    fn keep_public_identity(&mut self, from: i64, to: i64) -> Result<(), StoreError> {
        let (source_id, guid, link, first_id, first_link): (String, String, Option<String>, Option<String>, Option<String>) = self
            .tx
            .prepare_cached("SELECT source_id, guid, link, public_id, public_link FROM items WHERE id = ?1")?
            .query_row([from], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
        let public_id = first_id.unwrap_or_else(|| crate::store::read::own_id(&source_id, &guid, link.as_deref()));
        let public_link = first_link.or(link);
        self.tx
            .prepare_cached("UPDATE items SET public_id = ?2, public_link = ?3, updated_at = max(updated_at, ?4) WHERE id = ?1")?
            .execute(params![to, public_id, public_link, self.now])?;
        Ok(())
    }

    fn upsert(&mut self, item: &Item, print: &Fingerprint) -> Result<Upserted, StoreError> {
        type Row = (i64, String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>, String);
        let existing: Option<Row> = self
            .stmts
            .existing
            .query_row(params![item.source_id, item.guid], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
            })
            .optional()?;
        if let Some((id, title, summary, content, link, image, author, category)) = existing {
            let same = title == item.title
                && summary == item.summary_html
                && content == item.content_html
                && link == item.link
                && image == item.image
                && author == item.author
                && category == item.category;
            if same {
                return Ok(Upserted::Unchanged);
            }
            self.tx
                .prepare_cached(
                    "UPDATE items SET title = ?2, summary_html = ?3, content_html = ?4, text = ?5, link = ?6, canonical_link = ?7,
                       image = ?8, author = ?9, category = ?10, language = ?11, content_hash = ?12, updated_at = ?13, profile = ?14
                     WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    item.title,
                    item.summary_html,
                    item.content_html,
                    item.text,
                    item.link,
                    item.canonical_link,
                    item.image,
                    item.author,
                    item.category,
                    item.language,
                    item.content_hash,
                    self.now,
                    print.profile.to_bytes()
                ])?;
            if title != item.title || summary != item.summary_html || content != item.content_html {
                // The text changed: its new keys go in. The old ones find
                // the row no more, since every candidate is confirmed
                // against what is stored now; the old sketch is not.
                self.bands.changed(id, &keys(item, print));
            }
            // Its old category's feed changes too.
            self.touched.insert(id);
            return Ok(Upserted::Updated(id));
        }
        self.stmts.insert.execute(params![
            item.source_id,
            item.guid,
            item.link,
            item.canonical_link,
            item.title,
            item.summary_html,
            item.content_html,
            item.text,
            item.author,
            item.image,
            item.published_at.timestamp(),
            self.now,
            item.language,
            item.category,
            item.region,
            item.content_hash,
            print.profile.to_bytes(),
            item.date_guessed
        ])?;
        let id = self.tx.last_insert_rowid();
        if let (true, Some(link)) = (item.wants_full_text, &item.link) {
            // Only new items get their page fetched; the job goes with the
            // item's transaction, so a crash cannot lose or orphan it.
            self.tx
                .prepare_cached("INSERT INTO extract_jobs (item_id, source_id, url, next_at) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![id, item.source_id, link, self.now])?;
        }
        Ok(Upserted::New(id))
    }

    /// Row `id`, `item` as stored now, changed: its story is touched, and
    /// the story appears in the row's slices now too.
    fn touch_story(&mut self, id: i64, item: &Item) -> Result<(), StoreError> {
        let story = slices::story_of(self.tx, id)?;
        let row = slices::row_slices(&item.category, item.region.as_deref(), self.partner(&item.source_id)?);
        self.story_slices.joined(story, &row);
        self.touched.insert(story);
        Ok(())
    }

    /// Every slice that shows a story this feed touched.
    fn touched_slices(&mut self) -> Result<Touched, StoreError> {
        let mut slices = BTreeSet::new();
        if !self.touched.is_empty() {
            slices.insert(Slice::All);
            let mut stories = BTreeSet::new();
            for id in &self.touched {
                stories.insert(slices::story_of(self.tx, *id)?);
            }
            for story in stories {
                self.story_slices.add_to(self.tx, story, &mut slices)?;
            }
        }
        slices.extend(self.slices.iter().cloned());
        Ok(Touched { slices })
    }

    /// Whether `source` is a partner (looked up once a feed).
    fn partner(&mut self, source: &str) -> Result<bool, StoreError> {
        if let Some((known, partner)) = &self.partner
            && known == source
        {
            return Ok(*partner);
        }
        let kind: String = self.tx.prepare_cached("SELECT kind FROM sources WHERE id = ?1")?.query_row([source], |r| r.get(0))?;
        self.partner = Some((source.to_string(), kind == "partner"));
        Ok(kind == "partner")
    }

    /// The slices a new item that is a story of its own appears in.
    fn own_slices(&mut self, item: &Item) -> Result<(), StoreError> {
        let partner = self.partner(&item.source_id)?;
        if self.last_own.as_ref().is_some_and(|(category, region, p)| *category == item.category && *region == item.region && *p == partner)
        {
            return Ok(());
        }
        self.last_own = Some((item.category.clone(), item.region.clone(), partner));
        self.slices.extend(Slice::containing(&Placement { category: &item.category, region: item.region.as_deref(), partner }));
        Ok(())
    }
}

/// An item's keys in the candidate index: its band keys and content hash.
fn keys(item: &Item, print: &Fingerprint) -> Vec<i64> {
    let mut keys = Vec::with_capacity(near::MAX_BANDS + 1);
    keys.extend_from_slice(&print.bands);
    keys.extend(item.content_hash);
    keys
}

#[cfg(test)]
mod tests;
