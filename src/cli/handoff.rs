//! `syndic fetch` while `syndic run` holds the database: the daemon polls.
//!
//! A second process polling into the daemon's database would leave the
//! daemon behind what is stored: its feeds are rendered and cached in
//! memory, and its index of recent stories is built once at start, so a
//! story stored by `fetch` would not be merged with the copies the daemon
//! fetches next, and readers would not see it until the daemon next wrote
//! to that feed. So `fetch` asks the daemon instead: it makes the sources
//! due in the database (the daemon reads due times on every tick), waits
//! for the daemon to record their polls, and prints what it recorded.

use std::time::{Duration, Instant};

use crate::config::Config;
use crate::store::{SourceState, Store};

/// How long `fetch` waits for the daemon's polls.
pub const WAIT: Duration = Duration::from_secs(120);

/// Asks the daemon (`pid`, when its lock file says) that holds
/// `config`'s database to poll `only` (or, with `all`, every enabled
/// source) now, and reports each poll as the daemon recorded it. Fails
/// when a poll failed or did not happen within [`WAIT`].
pub fn fetch(config: &Config, only: Option<&str>, all: bool, pid: Option<u32>) -> anyhow::Result<()> {
    let database = config.daemon.database.display();
    let daemon = format!("syndic run{} holds {database}", pid.map(|p| format!(" (pid {p})")).unwrap_or_default());
    let ids: Vec<&str> = match only {
        Some(id) if config.source(id).is_none() => anyhow::bail!(config.no_source(id)),
        Some(id) if config.source(id).is_some_and(|s| !s.enabled) => {
            anyhow::bail!(
                "source {id:?} has enabled = false: the daemon does not poll it (set enabled = true, or stop the daemon to fetch it once)"
            )
        }
        Some(id) => vec![id],
        None if all => config.sources.iter().filter(|s| s.enabled).map(|s| s.id.as_str()).collect(),
        None => {
            println!("{daemon} and polls the due sources itself; name one with --source ID, or --all, to have it poll them now");
            return Ok(());
        }
    };
    // No migration and no index: the daemon owns the file.
    let mut store = Store::open_beside_daemon(&config.daemon.database)?;
    let known: Vec<bool> = ids.iter().map(|id| store.has_source(id)).collect::<Result<_, _>>()?;
    let before: Vec<Option<i64>> = ids
        .iter()
        .zip(&known)
        .map(|(id, &known)| if known { store.source_state(id).map(|s| s.last_fetch_at) } else { Ok(None) })
        .collect::<Result<_, _>>()?;
    let asked = chrono::Utc::now().timestamp();
    let shared = Shared::connect(config)?;
    let due = store.make_due(&ids, asked)?;
    shared.make_due(&ids)?;
    println!("{daemon}: asked it to poll {} now", plural(due.len()));
    let mut waiting: Vec<(&str, Option<i64>)> = Vec::new();
    for ((id, last), known) in ids.iter().zip(before).zip(known) {
        if due.iter().any(|d| d == id) {
            waiting.push((id, last));
        } else if known {
            println!("{id:<24} SKIPPED disabled by its upstream (see syndic sources)");
        } else {
            println!("{id:<24} SKIPPED the daemon has not loaded it yet (it reads a changed config within seconds; try again)");
        }
    }
    let (deadline, mut polled, mut failed) = (Instant::now() + WAIT, 0, 0);
    while !waiting.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        let mut still = Vec::with_capacity(waiting.len());
        for (id, last) in waiting {
            let state = store.source_state(id)?;
            if state.last_fetch_at == last {
                still.push((id, last));
                continue;
            }
            // A poll the daemon had started before it was asked: it set
            // the next time past ours, so ask again and wait for the next.
            if state.last_fetch_at.is_some_and(|at| at < asked) {
                store.make_due(&[id], asked)?;
                shared.make_due(&[id])?;
                still.push((id, state.last_fetch_at));
                continue;
            }
            polled += 1;
            failed += usize::from(state.consecutive_failures > 0);
            println!("{}", line(&state));
        }
        waiting = still;
    }
    for (id, _) in &waiting {
        println!(
            "{id:<24} WAITING not polled within {} s (the host's Retry-After or the politeness limits may hold it back; see syndic sources)",
            WAIT.as_secs()
        );
    }
    println!("{} polled by the daemon, {failed} failed", plural(polled));
    match (failed, waiting.len()) {
        (0, 0) => Ok(()),
        (f, 0) => anyhow::bail!("{f} of {} failed (see the lines above)", plural(polled)),
        (_, w) => anyhow::bail!("{w} not polled by the daemon within {} s", WAIT.as_secs()),
    }
}

/// A poll as the daemon recorded it, in the shape of `fetch`'s own lines.
fn line(s: &SourceState) -> String {
    let status = s.last_status.map_or("-".to_string(), |c| c.to_string());
    if s.consecutive_failures > 0 {
        return format!("{:<24} FAILED  status={status} error={}", s.id, s.last_error.as_deref().unwrap_or("unknown"));
    }
    if s.last_status == Some(304) {
        return format!("{:<24} 304     not modified", s.id);
    }
    match s.empty_note() {
        Some(note) => format!("{:<24} EMPTY   {note}", s.id),
        None => format!("{:<24} ok      status={status} entries={} bytes={}", s.id, s.last_entries.unwrap_or(0), s.last_bytes.unwrap_or(0)),
    }
}

fn plural(n: usize) -> String {
    format!("{n} source{}", if n == 1 { "" } else { "s" })
}

/// The shared store the daemon leases its sources from, when it has one:
/// a source is made due there too, or the daemon would not see it.
struct Shared(Option<(tokio::runtime::Runtime, std::sync::Arc<crate::cluster::Node>)>);

impl Shared {
    fn connect(config: &Config) -> anyhow::Result<Shared> {
        let Some(settings) = &config.daemon.cluster else { return Ok(Shared(None)) };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let node = runtime.block_on(crate::cluster::Node::connect(settings))?;
        Ok(Shared(Some((runtime, node))))
    }

    fn make_due(&self, ids: &[&str]) -> anyhow::Result<()> {
        if let Some((runtime, node)) = &self.0 {
            runtime.block_on(node.make_due(ids))?;
        }
        Ok(())
    }
}
