//! Numbered migrations, tracked in `PRAGMA user_version`.
//!
//! Each migration runs in its own transaction together with the version
//! bump, so a crash mid-migration leaves the previous version intact.
//! Never edit a shipped migration; append a new one.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: sources, items, fetch log.
    r#"
    CREATE TABLE sources (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        category TEXT NOT NULL,
        region TEXT,
        priority INTEGER NOT NULL DEFAULT 0,
        enabled INTEGER NOT NULL DEFAULT 1,
        etag TEXT,
        last_modified TEXT,
        last_fetch_at INTEGER,
        last_success_at INTEGER,
        last_status INTEGER,
        last_error TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        next_fetch_at INTEGER
    );
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL REFERENCES sources(id),
        guid TEXT NOT NULL,
        link TEXT,
        canonical_link TEXT,
        title TEXT NOT NULL,
        summary_html TEXT,
        content_html TEXT,
        text TEXT NOT NULL,
        author TEXT,
        image TEXT,
        published_at INTEGER NOT NULL,
        first_seen_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        language TEXT,
        category TEXT NOT NULL,
        region TEXT,
        content_hash INTEGER,
        simhash INTEGER,
        duplicate_of INTEGER REFERENCES items(id),
        dup_rule TEXT,
        dup_score REAL,
        UNIQUE (source_id, guid)
    );
    CREATE INDEX items_category ON items (category, published_at);
    CREATE INDEX items_region ON items (region, published_at);
    CREATE INDEX items_published ON items (published_at);
    CREATE INDEX items_canonical_link ON items (canonical_link);
    CREATE INDEX items_content_hash ON items (content_hash);
    CREATE INDEX items_duplicate_of ON items (duplicate_of);
    CREATE TABLE fetches (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        status INTEGER,
        bytes INTEGER NOT NULL DEFAULT 0,
        duration_ms INTEGER NOT NULL DEFAULT 0,
        new_items INTEGER NOT NULL DEFAULT 0,
        updated_items INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        error TEXT
    );
    CREATE INDEX fetches_source ON fetches (source_id, at);
    "#,
    // 2: MinHash band keys for near-duplicate candidates.
    r#"
    CREATE TABLE item_bands (
        band INTEGER NOT NULL,
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        published_at INTEGER NOT NULL
    );
    CREATE INDEX item_bands_band ON item_bands (band, published_at, item_id);
    CREATE INDEX item_bands_item ON item_bands (item_id);
    ALTER TABLE items ADD COLUMN profile BLOB;
    "#,
    // 3: sources the upstream retired (410 Gone) wait for the admin.
    r#"
    ALTER TABLE sources ADD COLUMN disabled_reason TEXT;
    "#,
    // 4: where a feed says it moved (permanent redirects), for the admin.
    r#"
    ALTER TABLE sources ADD COLUMN moved_to TEXT;
    "#,
    // 5: full text from article pages: the extracted story, pending page
    // fetches, and the outcome of recent attempts (for breakage alerts).
    r#"
    ALTER TABLE items ADD COLUMN full_html TEXT;
    ALTER TABLE items ADD COLUMN date_guessed INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE extract_jobs (
        item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        source_id TEXT NOT NULL,
        url TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        last_error TEXT
    );
    CREATE INDEX extract_jobs_due ON extract_jobs (next_at);
    CREATE TABLE extractions (
        id INTEGER PRIMARY KEY,
        source_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        chars INTEGER NOT NULL DEFAULT 0,
        error_kind TEXT,
        error TEXT
    );
    CREATE INDEX extractions_source ON extractions (source_id, id);
    "#,
    // 6: band keys in one b-tree (WITHOUT ROWID, keyed as they are looked
    // up) instead of a rowid table and two indexes: a third of the writes
    // per item. No foreign key: keys age out by date (`prune_bands`), and a
    // key whose item is gone is skipped at lookup.
    r#"
    CREATE TABLE item_bands_v6 (
        band INTEGER NOT NULL,
        published_at INTEGER NOT NULL,
        item_id INTEGER NOT NULL,
        PRIMARY KEY (band, published_at, item_id)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO item_bands_v6 (band, published_at, item_id) SELECT band, published_at, item_id FROM item_bands;
    DROP TABLE item_bands;
    ALTER TABLE item_bands_v6 RENAME TO item_bands;
    "#,
    // 7: band keys are written behind (`store::bands`); the table holds
    // every key of items up to `flushed_to`, later ones are rebuilt from
    // their stored profiles at open.
    r#"
    CREATE TABLE band_state (flushed_to INTEGER NOT NULL);
    INSERT INTO band_state (flushed_to) SELECT coalesce(max(id), 0) FROM items;
    "#,
    // 8: band keys live in memory (`store::bands`), rebuilt from the stored
    // profiles: the table's random writes were a third of storing an item.
    r#"
    DROP TABLE item_bands;
    DROP TABLE band_state;
    "#,
    // 9: rows without a region, and canonical rows (nearly all), are left
    // out of the indexes that only equality lookups use: two fewer b-tree
    // inserts per item. `region = ?` and `duplicate_of = ?` imply NOT NULL,
    // so the planner still picks them.
    r#"
    DROP INDEX items_region;
    CREATE INDEX items_region ON items (region, published_at) WHERE region IS NOT NULL;
    DROP INDEX items_duplicate_of;
    CREATE INDEX items_duplicate_of ON items (duplicate_of) WHERE duplicate_of IS NOT NULL;
    "#,
    // 10: content hashes are looked up in memory (`store::bands`, with the
    // band keys): they are random, so their index dirtied a page of its own
    // for every item stored, and every commit wrote those pages out (a
    // quarter of storing an item). The column stays: the in-memory index is
    // built from it, and a candidate is confirmed against it.
    r#"
    DROP INDEX items_content_hash;
    "#,
    // 11: the entry count and size of each source's last parsed body, so
    // that "HTTP 200, 0 entries" is a state admins see, not a silent loss.
    r#"
    ALTER TABLE sources ADD COLUMN last_entries INTEGER;
    ALTER TABLE sources ADD COLUMN last_bytes INTEGER;
    "#,
    // 12: the id and link readers first saw for a story, kept when a better
    // copy becomes its canonical row (NULL: the row's own, as before).
    r#"
    ALTER TABLE items ADD COLUMN public_id TEXT;
    ALTER TABLE items ADD COLUMN public_link TEXT;
    "#,
    // 13: a node's replica of a shared PostgreSQL store (`cluster`): which
    // store it copies, and the last record of its log applied here.
    r#"
    CREATE TABLE replica (
        one INTEGER PRIMARY KEY CHECK (one = 1),
        origin TEXT NOT NULL,
        seq INTEGER NOT NULL
    );
    "#,
];

/// Brings the database up to the latest version.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let current = usize::try_from(current).unwrap_or(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// The version this build writes.
pub fn latest() -> usize {
    MIGRATIONS.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
    }

    #[test]
    fn a_version_7_database_keeps_its_items_and_its_lookups_use_the_partial_indexes() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        {
            let tx = conn.transaction().unwrap();
            for sql in &MIGRATIONS[..7] {
                tx.execute_batch(sql).unwrap();
            }
            tx.pragma_update(None, "user_version", 7).unwrap();
            tx.execute_batch(
                "INSERT INTO sources (id, name, url, kind, category, priority) VALUES ('a', 'A', 'https://a.kz/rss', 'news', 'politics', 0);
                 INSERT INTO items (id, source_id, guid, title, text, published_at, first_seen_at, updated_at, category)
                   VALUES (1, 'a', 'g1', 'T', 'x', 1, 1, 1, 'politics'), (2, 'a', 'g2', 'T', 'x', 1, 1, 1, 'politics');
                 UPDATE items SET duplicate_of = 1 WHERE id = 2;
                 INSERT INTO item_bands (band, published_at, item_id) VALUES (5, 1, 1);",
            )
            .unwrap();
            tx.commit().unwrap();
        }
        migrate(&mut conn).unwrap();
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version as usize, latest());
        let tables: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master WHERE name IN ('item_bands', 'band_state')", [], |r| r.get(0)).unwrap();
        assert_eq!(tables, 0, "band keys live in memory now");
        let hash_index: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'items_content_hash'", [], |r| r.get(0)).unwrap();
        assert_eq!(hash_index, 0, "content hashes are looked up in memory");
        let copies: i64 = conn.query_row("SELECT count(*) FROM items WHERE duplicate_of = 1", [], |r| r.get(0)).unwrap();
        assert_eq!(copies, 1);
        for (sql, index) in [
            ("SELECT id FROM items WHERE duplicate_of = 7", "items_duplicate_of"),
            ("UPDATE items SET dup_rule = 'x' WHERE id = 7 OR duplicate_of = 7", "items_duplicate_of"),
            ("SELECT id FROM items WHERE region = 'almaty' ORDER BY published_at DESC", "items_region"),
        ] {
            let plan = plan(&conn, sql);
            assert!(plan.contains(index), "{sql}: {plan}");
            let partial: String = conn.query_row("SELECT sql FROM sqlite_master WHERE name = ?1", [index], |r| r.get(0)).unwrap();
            assert!(partial.contains("IS NOT NULL"), "{partial}");
        }
    }
}
