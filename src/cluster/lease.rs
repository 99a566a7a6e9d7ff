//! Which node polls which source, and hosts that asked every node to wait.
//!
//! A source is due when its `next_fetch_at` (written with the last poll's
//! result, see [`super::log`]) has passed. A node leases due sources for
//! one lease period with `FOR UPDATE SKIP LOCKED`: two nodes asking at
//! once get different sources, never the same one. The lease ends when the
//! poll's result is written (which also sets the next due time); a node
//! that dies keeps its leases until they expire, and then any node may
//! take them. All times are the database server's.

use std::time::Duration;

use super::{ClusterError, NOW, Node};

/// Key of the advisory lock a lease round holds.
const LEASE_ROUND: i64 = 0x5359_4e44_4c45;

impl Node {
    /// Records the configured sources (id and host) so they can be leased.
    /// Sources no longer configured stay, unleased: no node asks for them.
    pub async fn sync_sources(&self, sources: &[(String, String)]) -> Result<(), ClusterError> {
        let client = self.client().await?;
        let (ids, hosts): (Vec<&str>, Vec<&str>) = sources.iter().map(|(i, h)| (i.as_str(), h.as_str())).unzip();
        client
            .execute(
                "INSERT INTO sources (id, host) SELECT * FROM unnest($1::text[], $2::text[])
                 ON CONFLICT (id) DO UPDATE SET host = excluded.host",
                &[&ids, &hosts],
            )
            .await?;
        Ok(())
    }

    /// Leases up to `limit` of `candidates` that are due, not leased by a
    /// live lease, not disabled, and not on a blocked host; returns their
    /// ids, most overdue first, each with how long to wait before fetching
    /// it. No host gets more than `per_host` live leases across all nodes,
    /// and the fetches of one host start `spacing` apart whichever nodes
    /// make them: lease rounds of all nodes take turns (an advisory lock
    /// held by the transaction), so both hold exactly.
    pub async fn lease_due(
        &self,
        candidates: &[&str],
        limit: i64,
        per_host: i64,
        spacing: Duration,
    ) -> Result<Vec<(String, Duration)>, ClusterError> {
        if candidates.is_empty() || limit <= 0 {
            return Ok(Vec::new());
        }
        let mut client = self.client().await?;
        let period = self.lease_period().as_secs() as i64;
        let sql = format!(
            "WITH active AS (
                SELECT host, count(*) AS n FROM sources WHERE lease_until > {NOW} AND fetching GROUP BY host),
             ranked AS (
                SELECT s.id, s.next_fetch_at,
                       row_number() OVER (PARTITION BY s.host ORDER BY s.next_fetch_at, s.id) + coalesce(a.n, 0) AS place
                FROM sources s LEFT JOIN active a ON a.host = s.host
                WHERE s.id = ANY($1) AND s.disabled IS NULL AND s.next_fetch_at <= {NOW}
                  AND (s.lease_until IS NULL OR s.lease_until <= {NOW})
                  AND NOT EXISTS (SELECT 1 FROM host_blocks b WHERE b.host = s.host AND b.until > {NOW})),
             picked AS (
                SELECT s.id FROM sources s JOIN ranked r ON r.id = s.id
                WHERE r.place <= $5
                ORDER BY r.next_fetch_at, s.id
                LIMIT $2
                FOR UPDATE OF s SKIP LOCKED)
             UPDATE sources s SET leased_by = $3, lease_until = {NOW} + $4, fetching = true
             FROM picked WHERE s.id = picked.id
             RETURNING s.id, s.next_fetch_at, s.host"
        );
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LEASE_ROUND]).await?;
        let rows = tx.query(&sql, &[&candidates, &limit, &self.name(), &period, &per_host]).await?;
        let mut due: Vec<(i64, String, String)> = rows.iter().map(|r| (r.get(1), r.get(0), r.get(2))).collect();
        due.sort();
        // Each host's fetches, in due order, one `spacing` after another,
        // after the last one any node was given.
        let now_ms: i64 = tx.query_one("SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint", &[]).await?.get(0);
        let spacing_ms = spacing.as_millis() as i64;
        let mut next: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        let mut leased = Vec::with_capacity(due.len());
        for (_, id, host) in due {
            let start = match next.get(&host) {
                Some(&at) => at,
                None => {
                    let row = tx.query_opt("SELECT next_start FROM host_starts WHERE host = $1", &[&host]).await?;
                    row.map_or(now_ms, |r| r.get::<_, i64>(0).max(now_ms))
                }
            };
            next.insert(host, start + spacing_ms);
            leased.push((id, Duration::from_millis((start - now_ms).max(0) as u64)));
        }
        for (host, at) in &next {
            tx.execute(
                "INSERT INTO host_starts (host, next_start) VALUES ($1, $2) ON CONFLICT (host) DO UPDATE SET next_start = $2",
                &[host, at],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(leased)
    }

    /// Whether this node holds the work `name` that one node at a time
    /// does (taking it when free or expired, renewing it when its own).
    pub async fn hold(&self, name: &str) -> Result<bool, ClusterError> {
        let client = self.client().await?;
        let period = self.lease_period().as_secs() as i64;
        let sql = format!(
            "INSERT INTO singletons (name, holder, until) VALUES ($1, $2, {NOW} + $3)
             ON CONFLICT (name) DO UPDATE SET holder = $2, until = {NOW} + $3
             WHERE singletons.holder = $2 OR singletons.until <= {NOW}
             RETURNING holder"
        );
        Ok(client.query_opt(&sql, &[&name, &self.name(), &period]).await?.is_some())
    }

    /// Makes `ids` due now for every node (an admin's `syndic fetch` while
    /// the daemons run); returns those that were not disabled.
    pub async fn make_due(&self, ids: &[&str]) -> Result<Vec<String>, ClusterError> {
        let client = self.client().await?;
        let sql = format!("UPDATE sources SET next_fetch_at = {NOW} WHERE id = ANY($1) AND disabled IS NULL RETURNING id");
        Ok(client.query(&sql, &[&ids]).await?.iter().map(|r| r.get(0)).collect())
    }

    /// Says the fetch of a leased source is over (its result is being
    /// stored): the host's place goes to the next fetch, while the lease
    /// stays until the result is written.
    pub async fn fetched(&self, source: &str) -> Result<(), ClusterError> {
        let client = self.client().await?;
        client.execute("UPDATE sources SET fetching = false WHERE id = $1 AND leased_by = $2", &[&source, &self.name()]).await?;
        Ok(())
    }

    /// Gives back a lease without a result (a cancelled poll): the source
    /// is due again for any node at once.
    pub async fn release(&self, source: &str) -> Result<(), ClusterError> {
        let client = self.client().await?;
        client
            .execute("UPDATE sources SET leased_by = NULL, lease_until = NULL WHERE id = $1 AND leased_by = $2", &[&source, &self.name()])
            .await?;
        Ok(())
    }

    /// Gives back every lease this node holds (at shutdown), and says it
    /// left, so that it may start again at once under its name.
    pub async fn release_all(&self) -> Result<u64, ClusterError> {
        self.left.store(true, std::sync::atomic::Ordering::Relaxed);
        let _beat = self.beat.lock().await;
        let client = self.client().await?;
        client.execute("DELETE FROM nodes WHERE name = $1", &[&self.name()]).await?;
        Ok(client.execute("UPDATE sources SET leased_by = NULL, lease_until = NULL WHERE leased_by = $1", &[&self.name()]).await?)
    }

    /// Blocks `host` for every node for `wait` (a `Retry-After`); a longer
    /// block already there stays.
    pub async fn block_host(&self, host: &str, wait: Duration, reason: &str) -> Result<(), ClusterError> {
        let client = self.client().await?;
        let sql = format!(
            "INSERT INTO host_blocks (host, until, reason, node) VALUES ($1, {NOW} + $2, $3, $4)
             ON CONFLICT (host) DO UPDATE SET until = excluded.until, reason = excluded.reason, node = excluded.node
             WHERE host_blocks.until < excluded.until"
        );
        client.execute(&sql, &[&host, &(wait.as_secs() as i64), &reason, &self.name()]).await?;
        Ok(())
    }

    /// Seconds until `host` may be fetched again, when it is blocked.
    pub async fn host_blocked(&self, host: &str) -> Result<Option<i64>, ClusterError> {
        let client = self.client().await?;
        let sql = format!("SELECT until - {NOW} FROM host_blocks WHERE host = $1 AND until > {NOW}");
        Ok(client.query_opt(&sql, &[&host]).await?.map(|r| r.get(0)))
    }

    /// Seconds since a node of this name last said it was alive, if one did.
    /// Two live nodes of one name would take each other's leases for their
    /// own, so a node does not start beside another of its name.
    pub async fn last_seen(&self) -> Result<Option<i64>, ClusterError> {
        let client = self.client().await?;
        let sql = format!("SELECT {NOW} - seen_at FROM nodes WHERE name = $1");
        Ok(client.query_opt(&sql, &[&self.name()]).await?.map(|r| r.get(0)))
    }

    /// Says this node is alive and how far it applied the log.
    pub async fn heartbeat(&self, started_at: i64, applied: i64) -> Result<(), ClusterError> {
        let client = self.client().await?;
        let sql = format!(
            "INSERT INTO nodes (name, started_at, seen_at, applied) VALUES ($1, $2, {NOW}, $3)
             ON CONFLICT (name) DO UPDATE SET started_at = $2, seen_at = {NOW}, applied = $3"
        );
        client.execute(&sql, &[&self.name(), &started_at, &applied]).await?;
        Ok(())
    }

    /// Every node that said it was alive: name, seconds since, last record
    /// applied; and the log's last record.
    pub async fn nodes(&self) -> Result<(Vec<(String, i64, i64)>, i64), ClusterError> {
        let client = self.client().await?;
        let sql = format!("SELECT name, {NOW} - seen_at, applied FROM nodes ORDER BY name");
        let nodes = client.query(&sql, &[]).await?.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
        let head: i64 = client.query_one("SELECT seq FROM log_head", &[]).await?.get(0);
        Ok((nodes, head))
    }
}
