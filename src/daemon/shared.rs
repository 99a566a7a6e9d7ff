//! Joining a shared PostgreSQL store (`cluster`): connect, check that the
//! local file is this store's replica, record the sources, start the
//! follower.

use std::sync::Arc;

use anyhow::Context as _;

use super::Daemon;
use crate::cluster::follow::{self, Replica};
use crate::cluster::{self, Node};
use crate::config::{ClusterSettings, Config};

impl Daemon {
    /// Joins the shared store; returns the changes the follower applies,
    /// for the exports. Fails (and the daemon does not start) when the
    /// store cannot be reached or the local file is not its replica.
    pub(super) async fn join(
        &mut self,
        settings: &ClusterSettings,
    ) -> anyhow::Result<tokio::sync::mpsc::UnboundedReceiver<crate::store::Touched>> {
        // A replica that already copies a store may start while it is down.
        let store = Arc::clone(&self.ctx.store);
        let known = tokio::task::spawn_blocking(move || store.lock().unwrap_or_else(|p| p.into_inner()).replica_position()).await??;
        let node = Node::connect_or_wait(settings, known.map(|(origin, _)| origin))
            .await
            .with_context(|| format!("cannot use the shared database {}", cluster::redacted(&settings.url)))?;
        // The follower says a node is alive at least every second.
        if let Ok(Some(ago)) = node.last_seen().await
            && ago < 3
        {
            anyhow::bail!(
                "a node named {:?} was alive {ago} s ago: every node needs a `node` name of its own (if this is that node restarting, it starts in a few seconds)",
                node.name()
            );
        }
        let (store, checked) = (Arc::clone(&self.ctx.store), Arc::clone(&node));
        let from =
            tokio::task::spawn_blocking(move || follow::position(&mut store.lock().unwrap_or_else(|p| p.into_inner()), &checked)).await??;
        if let Err(e) = sync(&node, &self.config).await {
            // Started on its replica while the store is down: the sources
            // are recorded once it answers (leasing waits for it anyway).
            tracing::warn!(error = %e, "will record the sources when the shared database answers");
            let (node, config) = (Arc::clone(&node), Arc::clone(&self.config));
            tokio::spawn(async move {
                while sync(&node, &config).await.is_err() {
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                }
            });
        }
        let (tx, changes) = tokio::sync::mpsc::unbounded_channel();
        let publisher = Arc::clone(&self.publisher);
        let replica = Replica {
            store: Arc::clone(&self.ctx.store),
            commits: self.ctx.commits.clone(),
            changed: Box::new(move |touched| {
                publisher.invalidate(touched);
                if !touched.slices.is_empty() {
                    let _ = tx.send(touched.clone());
                }
            }),
        };
        tracing::info!(node = node.name(), store = node.origin(), applied = from, "joined the shared database");
        tokio::spawn(follow::run(Arc::clone(&node), replica, from, chrono::Utc::now().timestamp()));
        self.ctx.cluster = Some(node);
        Ok(changes)
    }

    /// Joins the shared store as a one-shot node (`syndic fetch`) and
    /// leases those of `sources` no other node is polling (making them due
    /// first when `now`); says which it skipped.
    pub async fn lease_for_fetch(
        &mut self,
        settings: &ClusterSettings,
        sources: &[crate::config::Source],
        now: bool,
    ) -> anyhow::Result<Vec<crate::config::Source>> {
        let _changes = self.join(settings).await?;
        let Some(node) = self.ctx.cluster.clone() else { return Ok(Vec::new()) };
        let ids: Vec<&str> = sources.iter().map(|s| s.id.as_str()).collect();
        if now {
            node.make_due(&ids).await?;
        }
        let spacing = self.config.daemon.per_host_spacing;
        let leased: Vec<String> = node.lease_due(&ids, ids.len() as i64, i64::MAX, spacing).await?.into_iter().map(|(id, _)| id).collect();
        for id in ids.iter().filter(|id| !leased.iter().any(|l| l == *id)) {
            println!("{id:<24} SKIPPED another node is polling it (or it is not due)");
        }
        Ok(sources.iter().filter(|s| leased.contains(&s.id)).cloned().collect())
    }

    /// The shared store's snapshots and log pruning (one node at a time,
    /// `cluster::snapshot::upkeep`), in the background.
    pub(super) fn shared_upkeep_in_background(&self) {
        let Some(node) = self.ctx.cluster.clone() else { return };
        let store = Arc::clone(&self.ctx.store);
        tokio::spawn(async move {
            match cluster::snapshot::upkeep(&node, store, cluster::snapshot::SNAPSHOT_EVERY).await {
                Ok(done) if done.snapshot.is_some() || done.pruned > 0 => {
                    tracing::info!(snapshot = ?done.snapshot, pruned = done.pruned, "shared store: snapshot and log pruning")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "shared store: snapshot or log pruning failed; will retry in an hour"),
            }
        });
    }

    /// Gives back this node's leases at shutdown, so that another node
    /// polls its sources at once rather than after the leases expire.
    pub async fn leave(&self) {
        if let Some(node) = &self.ctx.cluster {
            match node.release_all().await {
                Ok(n) => tracing::info!(released = n, "leases given back to the other nodes"),
                Err(e) => tracing::warn!(error = %e, "could not give back this node's leases; they expire on their own"),
            }
        }
    }
}

/// Records `config`'s sources in the shared store.
pub(super) async fn sync(node: &Node, config: &Config) -> anyhow::Result<()> {
    let sources: Vec<(String, String)> =
        config.sources.iter().map(|s| (s.id.clone(), s.url.host_str().unwrap_or_default().to_string())).collect();
    node.sync_sources(&sources).await.context("cannot record the sources in the shared database")
}
