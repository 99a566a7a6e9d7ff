//! Code only the command line uses: the admin's one-shot commands that are
//! not a stage of the daemon's pipeline.

pub mod files;
pub mod man;
pub mod opml;
pub mod preview;
