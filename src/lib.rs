//! syndic: a news-feed aggregator.
//!
//! The stages, one module each, in the order data flows (a stage may use
//! the ones before it, never a later one; `tests/imports.rs` checks):
//! [`model`] → [`config`] → [`schedule`] → [`politeness`] → [`fetch`] →
//! [`parse`] → [`normalize`] → [`dedup`] → [`extract`] (full text,
//! optional) → [`store`] → [`publish`] → [`serve`].
//!
//! The runners in [`pipeline`] carry data through the stages: `poll` runs
//! one source, `enrich` fetches full text for new items; both do their CPU
//! work on the threads of [`cpu`] and hand items to the store's writer.
//! [`scheduler`] decides which sources are polled now and owns the work in
//! flight; [`shutdown`] says how the daemon stops. [`daemon`] wires the
//! scheduler, the HTTP server and signals together ([`clock`] checks the
//! wall clock against the upstreams'); [`demo`] runs it all on
//! bundled sample feeds; [`status`] reports per-source health; [`metrics`]
//! counts; [`atomic`] replaces files whole (exports, imported source
//! lists); [`cli`] holds code only the command line uses. [`cluster`]
//! shares one PostgreSQL store between several nodes (leases, an ordered
//! log of what each poll stored, replicas that apply it). The map of it
//! all is `docs/architecture.md`.

pub mod atomic;
pub mod cli;
pub mod clock;
pub mod cluster;
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
pub mod pipeline;
pub mod politeness;
pub mod publish;
pub mod schedule;
pub mod scheduler;
pub mod serve;
pub mod shutdown;
pub mod status;
pub mod store;
