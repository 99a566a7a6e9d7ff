//! Several nodes on one PostgreSQL store.
//!
//! With `database = "postgres://…"` a node shares three things through
//! PostgreSQL and keeps the rest in a SQLite replica of its own:
//!
//! - **Work** ([`lease`]): a node polls only the sources it leased (`FOR
//!   UPDATE SKIP LOCKED`, with an expiry, so a dead node's sources go to
//!   another within one lease period); the poll's result is written with
//!   the source's next due time in one transaction, and only while the
//!   lease is still this node's, so no poll is kept twice. Hosts that
//!   asked to wait (`Retry-After`) are blocked for every node.
//! - **What was fetched** ([`log`]): every poll's result (the normalized
//!   items and their fingerprints, the fetch record) is appended to one
//!   log, numbered in commit order, and announced by `NOTIFY`.
//! - **Nothing else.** Each node applies the whole log, in order, to its
//!   replica ([`follow`]) with the same store code a lone node runs:
//!   deduplication decides the same on every node because it sees the same
//!   items in the same order, so stories, GUIDs and feed bytes are the
//!   same everywhere, and feeds are served from local SQLite.
//!
//! Why a log and not every table in PostgreSQL: the store's dedup index
//! and its feed queries are measured and tuned on SQLite (`bench/`); a
//! second implementation of them would be a second place for the same
//! story to be decided differently. The log makes one decision function
//! run everywhere on the same input. The price: every node does the
//! storing work for every feed (parsing and fetching are done once), and
//! a new node replays the log kept in PostgreSQL (`docs/cluster.md`).

mod append;
pub mod follow;
pub mod lease;
pub mod log;
mod schema;
pub mod snapshot;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::config::ClusterSettings;
use crate::store::Stored;

/// Why the shared store failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The URL does not parse.
    #[error("database: {0}")]
    Url(String),
    /// PostgreSQL refused or failed a statement.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No connection could be had from the pool.
    #[error("PostgreSQL: no connection: {}", innermost(.0))]
    Pool(#[from] deadpool_postgres::PoolError),
    /// The shared store was set up by a newer syndic.
    #[error("the shared database is at schema version {found}, newer than this build's {latest}: upgrade syndic on this node")]
    TooNew {
        /// Version in the database.
        found: i32,
        /// Version this build writes.
        latest: i32,
    },
    /// The lease expired and another node holds the source now: this
    /// node's result is dropped (the other node's poll counts).
    #[error("the lease on source {0} expired before its result was written; another node polls it now")]
    LeaseLost(String),
    /// A record could not be applied to this node's replica (its store
    /// failed): it is applied again, never skipped.
    #[error(
        "log record {seq} (source {feed}) could not be applied to this node's replica: {error}; a source this node does not know yet is one the other nodes' configuration has: give every node the same sources.toml"
    )]
    Apply {
        /// The record.
        seq: i64,
        /// Its source.
        feed: String,
        /// The store's error.
        error: String,
    },
    /// The replica is older than the log the store kept.
    #[error(
        "this replica applied the shared log up to record {applied}, and the log now starts at record {first} (pruned while this node was away): stop the node, delete its replica file, and start it again (it starts from the newest snapshot)"
    )]
    Behind {
        /// The last record applied here.
        applied: i64,
        /// The first record the log still has.
        first: i64,
    },
    /// The group of records this one was appended with failed.
    #[error("PostgreSQL: appending to the log failed: {0}")]
    Append(String),
    /// A record in the log cannot be read by this build.
    #[error("log record {seq}: {reason}")]
    Record {
        /// Its number.
        seq: i64,
        /// Why.
        reason: String,
    },
}

impl From<ClusterError> for crate::store::Failure {
    fn from(e: ClusterError) -> crate::store::Failure {
        crate::store::Failure { kind: crate::store::FailureKind::Shared, message: format!("shared database: {e}") }
    }
}

/// The current time on the database server, in unix seconds: every node
/// reads leases and blocks by the same clock.
pub(crate) const NOW: &str = "extract(epoch from clock_timestamp())::bigint";

/// This node's handle on the shared store.
pub struct Node {
    pool: Pool,
    settings: ClusterSettings,
    /// The shared store's id (made by its first migration).
    origin: String,
    /// Polls of this node waiting for their record to be applied here.
    waiters: append::Waiters,
    /// The appender's queue ([`append`]).
    appends: tokio::sync::mpsc::UnboundedSender<append::Queued>,
    /// What the follower last saw, for /status.
    view: Mutex<View>,
    /// The follower stopped for good (a record this build cannot read):
    /// the node stops leasing, or its polls would never be applied here.
    stopped: std::sync::atomic::AtomicBool,
    /// The follower waits on a record it cannot apply yet: the node polls
    /// nothing meanwhile (its results could not be applied here either).
    stalled: std::sync::atomic::AtomicBool,
    /// The node said it leaves: it no longer says it is alive.
    left: std::sync::atomic::AtomicBool,
    /// Held while the node says it is alive, and while it says it leaves:
    /// a heartbeat in flight must not bring a node that left back.
    beat: tokio::sync::Mutex<()>,
}

/// The shared store as this node last saw it (`/status`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct View {
    /// This node.
    pub node: String,
    /// The last log record applied here.
    pub applied: i64,
    /// The log's last record.
    pub head: i64,
    /// Every node that said it was alive.
    pub nodes: Vec<Peer>,
    /// Why the shared store could not be read, when it could not.
    pub error: Option<String>,
}

/// A node as the shared store last heard of it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Peer {
    /// Its name.
    pub name: String,
    /// Seconds since it last said it was alive.
    pub seen_secs_ago: i64,
    /// The last log record it applied.
    pub applied: i64,
    /// Not heard from for over a minute (stopped, or cut off).
    pub silent: bool,
}

/// A node silent this long is shown as such.
const SILENT_AFTER_SECS: i64 = 60;

impl View {
    /// One line for the status page.
    pub fn line(&self) -> String {
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|p| {
                let state = if p.silent { "молчит " } else { "" };
                format!("{} ({state}{} с назад, запись {})", p.name, p.seen_secs_ago, p.applied)
            })
            .collect();
        let mut line = format!(
            "Общая база PostgreSQL: этот узел — {}, применено записей журнала: {} из {}. Узлы: {}.",
            self.node,
            self.applied,
            self.head,
            nodes.join(", ")
        );
        if let Some(e) = &self.error {
            line.push_str(&format!(" Ошибка: {e}"));
        }
        line
    }
}

impl Node {
    /// Connects to the shared store and brings its schema up to date.
    pub async fn connect(settings: &ClusterSettings) -> Result<Arc<Node>, ClusterError> {
        let pool = pool(settings)?;
        let mut client = pool.get().await?;
        let origin = schema::migrate(&mut client).await?;
        drop(client);
        Ok(Node::assemble(pool, settings, origin))
    }

    /// [`Node::connect`]; but when the store cannot be reached and this
    /// node's replica already copies store `known`, the node starts on its
    /// replica: it serves what it has, and its leases and follower retry
    /// until the store answers (its schema is brought up to date then).
    pub async fn connect_or_wait(settings: &ClusterSettings, known: Option<String>) -> Result<Arc<Node>, ClusterError> {
        let e = match Node::connect(settings).await {
            Ok(node) => return Ok(node),
            Err(e) => e,
        };
        let unreachable = match &e {
            ClusterError::Pool(_) => true,
            ClusterError::Postgres(e) => e.as_db_error().is_none(),
            _ => false,
        };
        let Some(origin) = known.filter(|_| unreachable) else { return Err(e) };
        tracing::error!(error = %e, "the shared database does not answer: serving this node's replica; polling starts when it answers");
        let node = Node::assemble(pool(settings)?, settings, origin);
        node.view.lock().unwrap_or_else(PoisonError::into_inner).error = Some(e.to_string());
        tokio::spawn(migrate_when_reachable(Arc::clone(&node)));
        Ok(node)
    }

    fn assemble(pool: Pool, settings: &ClusterSettings, origin: String) -> Arc<Node> {
        let view = Mutex::new(View { node: settings.node.clone(), ..View::default() });
        let waiters: append::Waiters = Arc::new(Mutex::new(HashMap::new()));
        let (appends, queue) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(append::run(pool.clone(), settings.node.clone(), Arc::clone(&waiters), queue));
        let stopped = Default::default();
        Arc::new(Node {
            pool,
            settings: settings.clone(),
            origin,
            waiters,
            appends,
            view,
            stopped,
            stalled: Default::default(),
            left: Default::default(),
            beat: Default::default(),
        })
    }
}

/// Brings the schema up to date once the store answers, and checks that it
/// is still the store this node's replica copies.
async fn migrate_when_reachable(node: Arc<Node>) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let Ok(mut client) = node.pool.get().await else { continue };
        match schema::migrate(&mut client).await {
            Ok(origin) if origin == node.origin => {
                tracing::info!("the shared database answers again");
                return;
            }
            Ok(origin) => {
                tracing::error!(found = %origin, expected = %node.origin, "the shared database is another store than this replica copies");
                node.stop_following(&format!("the shared database is another store ({origin}) than this replica copies ({})", node.origin));
                return;
            }
            Err(e) => tracing::debug!(error = %e, "the shared database still does not answer"),
        }
    }
}

/// The pool for `settings` (no connection is made yet).
fn pool(settings: &ClusterSettings) -> Result<Pool, ClusterError> {
    let config: tokio_postgres::Config = settings.url.parse().map_err(|e| ClusterError::Url(format!("{e}")))?;
    let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager)
        .max_size(8)
        .wait_timeout(Some(Duration::from_secs(30)))
        .create_timeout(Some(Duration::from_secs(10)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| ClusterError::Url(e.to_string()))
}

impl Node {
    /// This node's name.
    pub fn name(&self) -> &str {
        &self.settings.node
    }

    /// The shared store's id.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The URL, for the listening connection.
    pub(crate) fn url(&self) -> &str {
        &self.settings.url
    }

    /// How long a lease lasts.
    pub fn lease_period(&self) -> Duration {
        self.settings.lease
    }

    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Object, ClusterError> {
        Ok(self.pool.get().await?)
    }

    /// Whether this node still applies the log (and so may poll).
    pub fn following(&self) -> bool {
        !self.stopped.load(std::sync::atomic::Ordering::Relaxed) && !self.stalled.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn stall(&self, stalled: bool) {
        self.stalled.store(stalled, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn stop_following(&self, why: &str) {
        self.stopped.store(true, std::sync::atomic::Ordering::Relaxed);
        self.view.lock().unwrap_or_else(PoisonError::into_inner).error = Some(why.to_string());
    }

    /// Shows why the follower is stuck (cleared by its next good step).
    pub(crate) fn set_error(&self, why: &str) {
        self.view.lock().unwrap_or_else(PoisonError::into_inner).error = Some(why.to_string());
    }

    /// What the follower last saw.
    pub fn view(&self) -> View {
        self.view.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Says this node is alive and how far it applied the log, and reads
    /// the other nodes for [`Node::view`].
    pub(crate) async fn report(&self, started_at: i64, applied: i64) {
        let beat = self.beat.lock().await;
        if self.left.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let seen = async {
            self.heartbeat(started_at, applied).await?;
            self.nodes().await
        }
        .await;
        drop(beat);
        let mut view = self.view.lock().unwrap_or_else(PoisonError::into_inner);
        view.applied = applied;
        match seen {
            Ok((nodes, head)) => {
                view.nodes = nodes
                    .into_iter()
                    .map(|(name, ago, applied)| Peer { name, seen_secs_ago: ago, applied, silent: ago > SILENT_AFTER_SECS })
                    .collect();
                view.head = head;
                view.error = None;
            }
            Err(e) => view.error = Some(e.to_string()),
        }
    }

    pub(crate) fn answer(&self, seq: i64, stored: Stored) {
        if let Some(tx) = self.waiters.lock().unwrap_or_else(PoisonError::into_inner).remove(&seq) {
            let _ = tx.send(stored);
        }
    }
}

/// The last cause of `e` (the pool's errors repeat their sources' texts).
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// The URL without its password, for messages.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}
