//! The runners: code that carries data through the stages, in order.
//!
//! [`poll`] takes one source through fetch → decode → parse → normalize →
//! fingerprint → store; [`enrich`] takes new items of `full_text` sources
//! through fetch → decode → extract → store. Stages never import this
//! module (tests/imports.rs checks it): a stage does one step and hands
//! back data, the runner decides what comes next. The daemon's scheduler
//! (`scheduler`) decides *when* a runner runs.

pub mod enrich;
pub mod error;
pub mod poll;
pub mod record;

pub use error::PollError;
