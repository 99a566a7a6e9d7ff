//! Which feeds show a story: slice membership, defined once.
//!
//! A story is stored as copies (its canonical row and the rows that are
//! its duplicates). A story is in a category, region or category-region
//! feed when *any* of its copies is placed there: a partner's copy filed
//! under "sport" puts the story in the sport feed even when the canonical
//! copy says "politics". It is in the partners' feed when its *canonical*
//! copy comes from a partner (the credited source must be one). Everything
//! that asks "which feeds" goes through [`Slice::takes`] or
//! [`Slice::containing`] (which slices an ingest touched, which feeds the
//! configured sources can fill, how long a feed may be cached), and the
//! feed query through [`Slice::sql_filter`], the same rule in SQL; a test
//! checks the two agree.

use crate::model::Slice;

/// Where one stored copy of a story sits: all that membership looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement<'a> {
    /// The copy's category slug.
    pub category: &'a str,
    /// The copy's region slug.
    pub region: Option<&'a str>,
    /// Whether the copy's source is a partner.
    pub partner: bool,
}

impl Slice {
    /// Whether a story with a copy placed at `p` is in this slice (for
    /// [`Slice::Partners`], when that copy is the canonical one).
    pub fn takes(&self, p: &Placement<'_>) -> bool {
        match self {
            Slice::All => true,
            Slice::Category(c) => p.category == c,
            Slice::Region(r) => p.region == Some(r.as_str()),
            Slice::Partners => p.partner,
            Slice::CategoryRegion(c, r) => p.category == c && p.region == Some(r.as_str()),
        }
    }

    /// Every slice that [`Slice::takes`] a copy placed at `p`.
    pub fn containing(p: &Placement<'_>) -> Vec<Slice> {
        let mut out = vec![Slice::All, Slice::Category(p.category.to_string())];
        if let Some(region) = p.region {
            out.push(Slice::Region(region.to_string()));
            out.push(Slice::CategoryRegion(p.category.to_string(), region.to_string()));
        }
        if p.partner {
            out.push(Slice::Partners);
        }
        out
    }

    /// [`Slice::takes`] as an SQL condition on a canonical row `i` joined
    /// with its source `s`, and the values of its parameters `?2`, `?3`
    /// (`?1` is left to the caller).
    pub fn sql_filter(&self) -> (&'static str, Vec<&str>) {
        match self {
            Slice::All => ("1", vec![]),
            Slice::Category(c) => ("i.id IN (SELECT coalesce(duplicate_of, id) FROM items WHERE category = ?2)", vec![c]),
            Slice::Region(r) => ("i.id IN (SELECT coalesce(duplicate_of, id) FROM items WHERE region = ?2)", vec![r]),
            Slice::Partners => ("s.kind = 'partner'", vec![]),
            Slice::CategoryRegion(c, r) => {
                ("i.id IN (SELECT coalesce(duplicate_of, id) FROM items WHERE category = ?2 AND region = ?3)", vec![c, r])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rusqlite::{Connection, params};

    use super::*;

    /// (id, duplicate_of, category, region, source).
    type Row = (i64, Option<i64>, &'static str, Option<&'static str>, &'static str);

    /// A story of three copies across kinds and regions, a regional story,
    /// a partner story.
    const ROWS: [Row; 5] = [
        (1, None, "politics", Some("almaty"), "regional"),
        (2, Some(1), "sport", None, "partner"),
        (3, Some(1), "economy", Some("astana"), "regional"),
        (4, None, "sport", Some("astana"), "regional"),
        (5, None, "economy", None, "partner"),
    ];

    fn slices() -> Vec<Slice> {
        let mut out = vec![Slice::All, Slice::Partners];
        for c in ["politics", "sport", "economy", "culture"] {
            out.push(Slice::Category(c.into()));
            for r in ["almaty", "astana"] {
                out.push(Slice::Region(r.into()));
                out.push(Slice::CategoryRegion(c.into(), r.into()));
            }
        }
        out
    }

    fn placement(row: &Row) -> Placement<'static> {
        Placement { category: row.2, region: row.3, partner: row.4 == "partner" }
    }

    /// The stories in `slice` by the Rust rule.
    fn by_rule(slice: &Slice) -> BTreeSet<i64> {
        let story = |row: &Row| row.1.unwrap_or(row.0);
        ROWS.iter()
            .filter(|row| match slice {
                Slice::Partners => row.1.is_none() && slice.takes(&placement(row)),
                _ => slice.takes(&placement(row)),
            })
            .map(story)
            .collect()
    }

    fn id(r: &rusqlite::Row<'_>) -> rusqlite::Result<i64> {
        r.get(0)
    }

    /// The stories in `slice` by the SQL filter.
    fn by_sql(conn: &Connection, slice: &Slice) -> BTreeSet<i64> {
        let (filter, args) = slice.sql_filter();
        let sql = format!("SELECT i.id FROM items i JOIN sources s ON s.id = i.source_id WHERE i.duplicate_of IS NULL AND {filter} AND ?1");
        let mut stmt = conn.prepare(&sql).unwrap();
        let ids = match args.as_slice() {
            [] => stmt.query_map(params![1], id),
            [a] => stmt.query_map(params![1, a], id),
            [a, b, ..] => stmt.query_map(params![1, a, b], id),
        };
        ids.unwrap().collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn the_feed_query_and_the_rule_agree_on_every_slice() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE sources (id TEXT PRIMARY KEY, kind TEXT);
             INSERT INTO sources VALUES ('regional', 'regional'), ('partner', 'partner');
             CREATE TABLE items (id INTEGER PRIMARY KEY, duplicate_of INTEGER, category TEXT, region TEXT, source_id TEXT);",
        )
        .unwrap();
        for (id, dup, category, region, source) in ROWS {
            conn.execute("INSERT INTO items VALUES (?1, ?2, ?3, ?4, ?5)", params![id, dup, category, region, source]).unwrap();
        }
        for slice in slices() {
            assert_eq!(by_sql(&conn, &slice), by_rule(&slice), "{slice:?}");
        }
        assert_eq!(by_rule(&Slice::Category("sport".into())), BTreeSet::from([1, 4]), "a copy's category puts the story in");
        assert_eq!(by_rule(&Slice::Partners), BTreeSet::from([5]), "a partner's duplicate does not make a partner story");
    }

    #[test]
    fn containing_lists_exactly_the_slices_that_take_a_copy() {
        for row in &ROWS {
            let p = placement(row);
            let listed: BTreeSet<Slice> = Slice::containing(&p).into_iter().collect();
            let taking: BTreeSet<Slice> = slices().into_iter().filter(|s| s.takes(&p)).collect();
            assert_eq!(listed.iter().filter(|s| slices().contains(s)).cloned().collect::<BTreeSet<_>>(), taking, "{p:?}");
        }
    }
}
