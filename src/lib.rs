//! syndic: a news-feed aggregator.
//!
//! The pipeline, one module per stage, in the order data flows:
//! [`config`] → [`schedule`] → [`fetch`] → [`parse`] → [`normalize`] →
//! [`dedup`] → [`extract`] (full text, optional) → [`store`] → [`publish`] → [`serve`]. [`poll`] is the
//! orchestrator that runs one source through the stages, on the threads of
//! [`cpu`] and the store's writer; [`daemon`] wires
//! polls ([`clock`] checks the wall clock against the upstreams'), the HTTP server and signals together; [`demo`] runs it all on
//! bundled sample feeds; [`status`] reports per-source health; [`atomic`]
//! replaces files whole (exports, imported source lists).

pub mod atomic;
pub mod cli;
pub mod clock;
pub mod config;
pub mod cpu;
pub mod daemon;
pub mod dedup;
pub mod demo;
pub mod extract;
pub mod fetch;
pub mod metrics;
pub mod model;
pub mod normalize;
pub mod parse;
pub mod politeness;
pub mod poll;
pub mod publish;
pub mod schedule;
pub mod serve;
pub mod status;
pub mod store;
