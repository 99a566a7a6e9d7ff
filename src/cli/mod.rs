//! Code only the command line uses: the admin's one-shot commands that are
//! not a stage of the daemon's pipeline.

pub mod dedup_check;
pub mod dedup_cv;
pub mod files;
pub mod handoff;
pub mod hard_negatives;
pub mod man;
pub mod opml;
pub mod preview;
