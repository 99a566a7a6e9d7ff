//! Rows' stories and sketches: adds, merges, rollbacks, builds.

use super::*;
use crate::dedup::near::Profile;

fn profile(n: u64) -> Profile {
    Profile {
        stems: (n..n + 10).collect(),
        title: vec![n, n + 1, n + 2],
        numbers: vec![],
        template: false,
        lead: 7,
        names: vec![],
        ..Profile::default()
    }
}

fn sketch_of(n: u64) -> Sketch {
    Sketch::of(&profile(n)).unwrap()
}

fn held(r: &Rows, item: u32) -> Option<Sketch> {
    r.sketch(item).copied()
}

#[test]
fn rollback_takes_back_unsettled_rows_and_stale_marks_stay() {
    let mut r = Rows::default();
    r.add(1, 1, Sketch::of(&profile(1)));
    r.settle();
    let mark = r.mark();
    r.add(2, 2, Sketch::of(&profile(2)));
    r.forget(1);
    r.rollback_to(mark);
    assert_eq!(r.slots.len(), 1);
    assert_eq!(held(&r, 2), None);
    assert_eq!(held(&r, 1), None, "a stale mark survives the rollback");
    // The rolled-back id is given out again: the new row's sketch.
    r.add(2, 2, Sketch::of(&profile(20)));
    assert_eq!(held(&r, 2), Some(sketch_of(20)));
    r.rollback_to(RowsMark { slots: 0, undo: 0 });
    assert_eq!(r.slots.len(), 1, "settled rows are never taken back");
}

#[test]
fn an_id_given_out_again_gets_no_story_or_sketch_and_skipped_ids_get_empty_slots() {
    let mut r = Rows::default();
    r.add(5, 5, Sketch::of(&profile(5)));
    r.add(3, 3, Sketch::of(&profile(3)));
    assert_eq!((held(&r, 3), r.story(3)), (None, None), "before the first slot");
    r.add(8, 8, Sketch::of(&profile(8)));
    assert_eq!((held(&r, 6), held(&r, 7), held(&r, 8)), (None, None, Some(sketch_of(8))));
    assert_eq!((r.story(6), r.story(8)), (None, Some(8)));
    r.add(8, 8, Sketch::of(&profile(80)));
    assert_eq!((held(&r, 8), r.story(8)), (None, None), "a deleted row's story and sketch never answer for a new one");
    r.set_sketch(8, Sketch::of(&profile(80)));
    assert_eq!(held(&r, 8), None, "nor does a sketch set afterwards");
    assert_eq!(held(&r, 5), Some(sketch_of(5)));
    r.add(8 + MAX_GAP as u32 + 2, 1, Sketch::of(&profile(9)));
    assert_eq!(r.slots.len(), 4, "a jump past MAX_GAP is not filled");
}

#[test]
fn a_row_finds_its_story_after_each_change_of_hands_and_a_rollback_undoes_them() {
    let mut r = Rows::default();
    // Story 1 with copies 2 and 3.
    r.add(1, 1, Sketch::of(&profile(1)));
    r.add(2, 1, None);
    r.add(3, 1, None);
    r.settle();
    assert_eq!([r.story(1), r.story(2), r.story(3)], [Some(1); 3]);
    // Row 4 outranks row 1: the story is 4's, one slot changes.
    let mark = r.mark();
    r.add(4, 1, None);
    r.set_sketch(4, Sketch::of(&profile(4)));
    assert_eq!(held(&r, 4), None, "a copy gets no sketch");
    r.merge(1, 4);
    r.set_sketch(4, Sketch::of(&profile(4)));
    assert_eq!([r.story(1), r.story(2), r.story(3), r.story(4)], [Some(4); 4]);
    assert_eq!((held(&r, 1), held(&r, 4)), (None, Some(sketch_of(4))), "the old canonical row's sketch no longer stands for it");
    // And row 5 outranks 4 in the same transaction.
    r.add(5, 4, None);
    r.merge(4, 5);
    assert_eq!(r.root(5), Some(1), "one root for the story, whoever holds it");
    assert_eq!(r.story(2), Some(5));
    // The transaction fails: the story is row 1's again.
    r.rollback_to(mark);
    assert_eq!([r.story(1), r.story(2), r.story(3)], [Some(1); 3]);
    assert_eq!((r.story(4), r.story(5)), (None, None));
    // A story held no more (older than the index) ends the chain.
    let mut r = Rows::default();
    r.add(10, 7, None);
    assert_eq!(r.story(10), Some(7));
}

#[test]
fn install_replaces_what_the_build_covers_and_keeps_newer_rows_stories_and_forgotten_sketches() {
    let mut r = Rows::default();
    for id in 1..=6 {
        r.add(id, id, Sketch::of(&profile(u64::from(id))));
    }
    r.forget(6);
    r.forget(1);
    // Row 3 became a copy of 4 after the build read the database.
    r.merge(3, 4);
    r.settle();
    let mut built = Rows::default();
    built.add(3, 3, Sketch::of(&profile(30)));
    built.add(4, 4, Sketch::of(&profile(40)));
    r.install(built, 3, 4);
    assert_eq!((held(&r, 1), held(&r, 2)), (None, None), "before the build's first item");
    assert_eq!(held(&r, 3), None, "forgotten here: it stays so");
    assert_eq!(r.story(3), Some(4), "the story known here is newer than the build's");
    assert_eq!(held(&r, 4), Some(sketch_of(40)));
    assert_eq!(held(&r, 5), Some(sketch_of(5)), "added after the build read the database");
    assert_eq!(held(&r, 6), None, "still stale");
    r.rollback_to(RowsMark { slots: 0, undo: 0 });
    assert_eq!(r.slots.len(), 4, "an installed build is settled");
}
