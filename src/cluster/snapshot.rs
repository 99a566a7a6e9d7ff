//! Copies of a whole replica kept in the shared store: how an existing
//! database moves in (`syndic migrate`) and how a new node starts without
//! replaying the log from its first record.
//!
//! A snapshot is a SQLite file made with `VACUUM INTO` (a consistent copy
//! of a live database), marked as the replica of this store at log record
//! `seq`, and stored in chunks. A node whose replica file does not exist
//! yet starts from the newest snapshot and applies the log after it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{ClusterError, NOW, Node};
use crate::store::Store;

/// Bytes per stored chunk.
const CHUNK: usize = 8 << 20;

/// What [`migrate`] moved.
#[derive(Debug, PartialEq, Eq)]
pub struct Moved {
    /// Sources recorded in the shared store.
    pub sources: i64,
    /// Items (copies included) in the snapshot.
    pub items: i64,
    /// Stories (items that are no copy) in the snapshot.
    pub stories: i64,
    /// Bytes of the snapshot.
    pub bytes: u64,
}

/// Items and stories in a database file.
fn counts(store: &Store) -> anyhow::Result<(i64, i64)> {
    let (items, duplicates) = store.counts()?;
    Ok((items, items - duplicates))
}

/// Moves the standalone database at `from` into the empty shared store of
/// `node`: a snapshot at record 0, and each source's schedule (so that
/// nothing is polled before its time). Checked by reading the snapshot
/// back and counting.
pub async fn migrate(node: &Node, from: &Path) -> anyhow::Result<Moved> {
    let head = node.log_head().await?;
    if head > 0 {
        anyhow::bail!("the shared database already holds a log of {head} records: migrate into a new, empty database");
    }
    if let Some(seq) = node.snapshot_seq().await? {
        anyhow::bail!(
            "the shared database already holds a snapshot (at record {seq}; a migration was made into it): migrate into a new, empty database"
        );
    }
    let parent = from.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = Scratch(parent.join(format!(".syndic-migrate-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).with_context(|| format!("cannot make {}", dir.0.display()))?;
    let copy = dir.0.join("snapshot.db");
    let (origin, source, copy_path) = (node.origin().to_string(), from.to_path_buf(), copy.clone());
    let (sources, original) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let store = Store::open(&source).with_context(|| format!("cannot open {}", source.display()))?;
        if store.replica_position()?.is_some() {
            anyhow::bail!("{} is already a replica of a shared database", source.display());
        }
        let original = counts(&store)?;
        store.copy_as_replica(&copy_path, &origin, 0)?;
        let sources = store.schedule()?;
        Ok((sources, original))
    })
    .await??;
    let bytes = std::fs::read(&copy).with_context(|| format!("cannot read {}", copy.display()))?;
    node.put_snapshot(0, &bytes, original.0).await?;
    node.import_schedule(&sources).await?;
    // Read back what the store now holds, and count it.
    let back = dir.0.join("back.db");
    let fetched = node.fetch_snapshot(&back).await?.context("the snapshot just written is not there")?;
    let checked = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let back = Store::open_reader(&back)?;
        Ok((counts(&back)?, back.replica_position()?))
    })
    .await??;
    let (checked, marked) = checked;
    if marked != Some((node.origin().to_string(), 0)) {
        anyhow::bail!("the snapshot read back is not marked as this store's replica ({marked:?})");
    }
    if checked != original || fetched.1 != bytes.len() as u64 {
        anyhow::bail!(
            "the snapshot read back differs: {checked:?} items and stories, {} bytes; the original has {original:?}, {}",
            fetched.1,
            bytes.len()
        );
    }
    Ok(Moved { sources: sources.len() as i64, items: original.0, stories: original.1, bytes: bytes.len() as u64 })
}

/// A working directory, removed when done.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Makes `replica` (which must not exist) from the newest snapshot, when
/// the store has one; says whether it did.
pub async fn restore(node: &Node, replica: &Path) -> anyhow::Result<bool> {
    if replica.exists() {
        return Ok(false);
    }
    let dir = replica.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let partial = PathBuf::from(format!("{}.partial", replica.display()));
    let Some((seq, bytes)) = node.fetch_snapshot(&partial).await? else { return Ok(false) };
    std::fs::rename(&partial, replica)?;
    tracing::info!(replica = %replica.display(), seq, bytes, "replica made from the shared database's snapshot");
    Ok(true)
}

impl Node {
    /// The log's last record.
    pub async fn log_head(&self) -> Result<i64, ClusterError> {
        Ok(self.client().await?.query_one("SELECT seq FROM log_head", &[]).await?.get(0))
    }

    /// The newest snapshot's record, if any.
    pub async fn snapshot_seq(&self) -> Result<Option<i64>, ClusterError> {
        Ok(self.client().await?.query_one("SELECT max(seq) FROM snapshots", &[]).await?.get(0))
    }

    /// Stores a snapshot at record `seq`, all or nothing.
    async fn put_snapshot(&self, seq: i64, bytes: &[u8], items: i64) -> Result<(), ClusterError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let sql = format!("INSERT INTO snapshots (seq, made_at, node, bytes, items) VALUES ($1, {NOW}, $2, $3, $4)");
        tx.execute(&sql, &[&seq, &self.name(), &(bytes.len() as i64), &items]).await?;
        for (n, chunk) in bytes.chunks(CHUNK).enumerate() {
            tx.execute("INSERT INTO snapshot_chunks (seq, n, data) VALUES ($1, $2, $3)", &[&seq, &(n as i32), &chunk]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Writes the newest snapshot to `to` (synced); its record and size.
    async fn fetch_snapshot(&self, to: &Path) -> anyhow::Result<Option<(i64, u64)>> {
        let Some(seq) = self.snapshot_seq().await? else { return Ok(None) };
        let client = self.client().await?;
        let chunks: i64 = client.query_one("SELECT count(*) FROM snapshot_chunks WHERE seq = $1", &[&seq]).await?.get(0);
        let mut file = std::fs::File::create(to).with_context(|| format!("cannot write {}", to.display()))?;
        let mut size = 0u64;
        for n in 0..chunks as i32 {
            let row = client.query_one("SELECT data FROM snapshot_chunks WHERE seq = $1 AND n = $2", &[&seq, &n]).await?;
            let data: &[u8] = row.get(0);
            file.write_all(data)?;
            size += data.len() as u64;
        }
        file.sync_all()?;
        Ok(Some((seq, size)))
    }

    /// Each source's schedule from a standalone database (id, host, next
    /// due time, why disabled), so the nodes poll nothing early.
    async fn import_schedule(&self, sources: &[crate::store::replica::Scheduled]) -> Result<(), ClusterError> {
        let client = self.client().await?;
        for (id, host, next, disabled) in sources {
            client
                .execute(
                    "INSERT INTO sources (id, host, next_fetch_at, disabled) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (id) DO UPDATE SET host = $2, next_fetch_at = $3, disabled = $4",
                    &[id, host, next, disabled],
                )
                .await?;
        }
        Ok(())
    }
}

/// Log records between two snapshots.
pub const SNAPSHOT_EVERY: i64 = 20_000;

/// Snapshots kept (the newest ones).
const KEEP: i64 = 2;

/// A node not heard from for this long no longer holds the log back.
const STALE_NODE_SECS: i64 = 86_400;

/// What one round of [`upkeep`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Upkeep {
    /// The record a new snapshot was made at.
    pub snapshot: Option<i64>,
    /// Log records deleted.
    pub pruned: u64,
}

/// The shared store's upkeep, by one node at a time (hourly, from the
/// daemon): when the log grew by `every` records since the newest
/// snapshot, a copy of this node's replica is stored as a new one; the
/// newest [`KEEP`] snapshots stay; and the log records that the oldest of
/// them and every node heard from within a day have applied are deleted.
/// A new node starts from the newest snapshot; a node away for longer
/// than the log was kept is told to start again from one.
pub async fn upkeep(node: &Node, store: std::sync::Arc<std::sync::Mutex<Store>>, every: i64) -> anyhow::Result<Upkeep> {
    let mut done = Upkeep::default();
    if !node.hold("snapshot").await? {
        return Ok(done);
    }
    let head = node.log_head().await?;
    let newest = node.snapshot_seq().await?.unwrap_or(0);
    if head - newest >= every {
        let from = std::sync::Arc::clone(&store);
        let (seq, items, copy) = tokio::task::spawn_blocking(move || -> anyhow::Result<(i64, i64, PathBuf)> {
            // The writer waits meanwhile: the copy and its position agree.
            let store = from.lock().unwrap_or_else(|p| p.into_inner());
            let Some(path) = store.path() else { anyhow::bail!("the replica has no file") };
            let copy = PathBuf::from(format!("{}.snapshot", path.display()));
            let _ = std::fs::remove_file(&copy);
            let Some((origin, seq)) = store.replica_position()? else { anyhow::bail!("the file is no replica") };
            store.copy_as_replica(&copy, &origin, seq)?;
            Ok((seq, store.counts()?.0, copy))
        })
        .await??;
        let bytes = std::fs::read(&copy);
        let _ = std::fs::remove_file(&copy);
        if seq > newest {
            node.put_snapshot(seq, &bytes?, items).await?;
            done.snapshot = Some(seq);
        }
    }
    done.pruned = node.prune_log().await?;
    Ok(done)
}

impl Node {
    /// Drops all but the newest [`KEEP`] snapshots and the log records no
    /// kept snapshot and no live node still needs; the number deleted.
    async fn prune_log(&self) -> Result<u64, ClusterError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT $1)", &[&KEEP]).await?;
        let sql = format!(
            "SELECT least((SELECT min(seq) FROM snapshots),
                          (SELECT min(applied) FROM nodes WHERE seen_at > {NOW} - $1))"
        );
        let horizon: Option<i64> = tx.query_one(&sql, &[&STALE_NODE_SECS]).await?.get(0);
        // No snapshot, no pruning: a new node could not start.
        let has_snapshot: bool = tx.query_one("SELECT exists (SELECT 1 FROM snapshots)", &[]).await?.get(0);
        let pruned = match horizon {
            Some(horizon) if has_snapshot => tx.execute("DELETE FROM log WHERE seq <= $1", &[&horizon]).await?,
            _ => 0,
        };
        tx.commit().await?;
        Ok(pruned)
    }
}
