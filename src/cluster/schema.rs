//! The shared store's tables, as numbered migrations.
//!
//! Applied under an advisory lock, so nodes starting together migrate
//! once; each version in a transaction of its own, recorded in
//! `syndic_schema`.

use deadpool_postgres::Object;

use super::ClusterError;

/// Key of the advisory lock migrations hold.
const LOCK: i64 = 0x5359_4e44_4943;

const MIGRATIONS: &[&str] = &[
    // 1: sources and their leases, host blocks, the log, nodes.
    r#"
    CREATE TABLE store (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO store (id) VALUES (md5(random()::text || clock_timestamp()::text));
    CREATE TABLE sources (
        id text PRIMARY KEY,
        host text NOT NULL DEFAULT '',
        next_fetch_at bigint NOT NULL DEFAULT 0,
        leased_by text,
        lease_until bigint,
        disabled text,
        polled_at bigint,
        polled_by text,
        polls bigint NOT NULL DEFAULT 0
    );
    CREATE INDEX sources_due ON sources (next_fetch_at) WHERE disabled IS NULL;
    CREATE TABLE host_blocks (
        host text PRIMARY KEY,
        until bigint NOT NULL,
        reason text NOT NULL,
        node text NOT NULL
    );
    CREATE TABLE log (
        seq bigint PRIMARY KEY,
        at bigint NOT NULL,
        node text NOT NULL,
        source text,
        kind text NOT NULL,
        body bytea NOT NULL
    );
    CREATE TABLE log_head (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        seq bigint NOT NULL
    );
    INSERT INTO log_head (seq) VALUES (0);
    CREATE TABLE nodes (
        name text PRIMARY KEY,
        started_at bigint NOT NULL,
        seen_at bigint NOT NULL,
        applied bigint NOT NULL DEFAULT 0
    );
    "#,
    // 2: work only one node at a time does (the full-text batches).
    r#"
    CREATE TABLE singletons (
        name text PRIMARY KEY,
        holder text NOT NULL,
        until bigint NOT NULL
    );
    "#,
    // 3: whole replicas, for `syndic migrate` and new nodes.
    r#"
    CREATE TABLE snapshots (
        seq bigint PRIMARY KEY,
        made_at bigint NOT NULL,
        node text NOT NULL,
        bytes bigint NOT NULL,
        items bigint NOT NULL
    );
    CREATE TABLE snapshot_chunks (
        seq bigint NOT NULL REFERENCES snapshots ON DELETE CASCADE,
        n integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (seq, n)
    );
    "#,
    // 4: when each host may next be asked, by any node (per_host_spacing).
    r#"
    CREATE TABLE host_starts (
        host text PRIMARY KEY,
        next_start bigint NOT NULL
    );
    "#,
    // 5: whether a leased source's fetch is still in flight (the per-host
    // cap counts those, not polls being stored).
    r#"
    ALTER TABLE sources ADD COLUMN fetching boolean NOT NULL DEFAULT false;
    "#,
];

/// The version this build writes.
pub fn latest() -> i32 {
    MIGRATIONS.len() as i32
}

/// Brings the shared store to [`latest`] and returns its id.
pub async fn migrate(client: &mut Object) -> Result<String, ClusterError> {
    client.execute("SELECT pg_advisory_lock($1)", &[&LOCK]).await?;
    let done = apply(client).await;
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK]).await;
    let id = done?;
    unlocked?;
    Ok(id)
}

async fn apply(client: &mut Object) -> Result<String, ClusterError> {
    // Checked first: `IF NOT EXISTS` logs a notice at every start.
    let exists: bool = client.query_one("SELECT to_regclass('syndic_schema') IS NOT NULL", &[]).await?.get(0);
    if !exists {
        client
            .batch_execute("CREATE TABLE syndic_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            .await?;
    }
    let found: i32 = client.query_one("SELECT coalesce(max(version), 0) FROM syndic_schema", &[]).await?.get(0);
    if found > latest() {
        return Err(ClusterError::TooNew { found, latest: latest() });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = client.transaction().await?;
        tx.batch_execute(sql).await?;
        tx.execute("INSERT INTO syndic_schema (version) VALUES ($1)", &[&(i as i32 + 1)]).await?;
        tx.commit().await?;
        tracing::info!(version = i + 1, "shared database migrated");
    }
    Ok(client.query_one("SELECT id FROM store", &[]).await?.get(0))
}
