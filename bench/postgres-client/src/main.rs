//! Side-by-side timing of tokio-postgres (+ deadpool-postgres) and sqlx (postgres, no TLS).
//!
//! Usage: pgcmp [DATABASE_URL] [REPS]
//! Each repetition runs every test for both clients; the client that goes first alternates
//! between repetitions. Prints one line per (rep, client, test) and a median table at the end.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const ROWS: usize = 20_000;
const TX_SIZE: usize = 100;
const READS: usize = 5_000;
const LEASE_TABLE_ROWS: i64 = 1_000;
const LEASE_CALLS: usize = 2_000;
const PAYLOAD_LEN: usize = 1_536;

const INSERT: &str = "INSERT INTO items (source, payload, at) VALUES ($1, $2, $3)";
const SELECT: &str = "SELECT id, source, payload, at FROM items WHERE id = $1";
const LEASE: &str = "UPDATE leases SET owner=$1, until=$2 WHERE id IN (SELECT id FROM leases WHERE until < $3 ORDER BY due LIMIT 5 FOR UPDATE SKIP LOCKED) RETURNING id";

type Err = Box<dyn std::error::Error + Send + Sync>;

struct Row {
    source: String,
    payload: Vec<u8>,
    at: i64,
}

/// Deterministic xorshift so both clients see identical data and read the same ids.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn make_rows() -> Vec<Row> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..ROWS)
        .map(|i| Row {
            source: format!("source-{:03}", i % 97),
            // Random bytes: incompressible, like a gzip'd feed item; 1.5 KB stays under TOAST's 2 KB.
            payload: (0..PAYLOAD_LEN / 8).flat_map(|_| rng.next().to_le_bytes()).collect(),
            at: 1_700_000_000 + i as i64,
        })
        .collect()
}

fn read_ids() -> Vec<i64> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    (0..READS).map(|_| (rng.next() % ROWS as u64) as i64 + 1).collect()
}

/// Schema reset through psql-equivalent SQL on a tokio-postgres connection (not timed).
async fn reset_items(pool: &deadpool_postgres::Pool) -> Result<(), Err> {
    let c = pool.get().await?;
    c.batch_execute("TRUNCATE items RESTART IDENTITY").await?;
    Ok(())
}

async fn reset_leases(pool: &deadpool_postgres::Pool) -> Result<(), Err> {
    let c = pool.get().await?;
    c.batch_execute("UPDATE leases SET owner = NULL, until = 0").await?;
    Ok(())
}

async fn setup(pool: &deadpool_postgres::Pool) -> Result<(), Err> {
    let c = pool.get().await?;
    c.batch_execute(&format!(
        "DROP TABLE IF EXISTS items; DROP TABLE IF EXISTS leases;
         CREATE TABLE items (id bigserial PRIMARY KEY, source text NOT NULL, payload bytea NOT NULL, at bigint NOT NULL);
         CREATE TABLE leases (id bigint PRIMARY KEY, owner text, until bigint NOT NULL DEFAULT 0, due bigint NOT NULL);
         CREATE INDEX leases_due ON leases (due);
         INSERT INTO leases (id, due) SELECT g, (g * 7919) % {LEASE_TABLE_ROWS} FROM generate_series(1, {LEASE_TABLE_ROWS}) g;"
    ))
    .await?;
    c.batch_execute("VACUUM ANALYZE leases").await?;
    Ok(())
}

async fn vacuum(pool: &deadpool_postgres::Pool) -> Result<(), Err> {
    let c = pool.get().await?;
    for sql in ["VACUUM ANALYZE items", "VACUUM ANALYZE leases", "CHECKPOINT"] {
        c.batch_execute(sql).await?;
    }
    Ok(())
}

// ---------------- tokio-postgres + deadpool ----------------

mod tp {
    use super::*;
    use deadpool_postgres::Pool;

    pub async fn insert_one_tx(pool: &Pool, rows: &[Row]) -> Result<(), Err> {
        let mut c = pool.get().await?;
        let tx = c.transaction().await?;
        let st = tx.prepare_cached(INSERT).await?;
        for r in rows {
            tx.execute(&st, &[&r.source, &r.payload, &r.at]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn insert_batched_tx(pool: &Pool, rows: &[Row]) -> Result<(), Err> {
        let mut c = pool.get().await?;
        let st = c.prepare_cached(INSERT).await?;
        for chunk in rows.chunks(TX_SIZE) {
            let tx = c.transaction().await?;
            for r in chunk {
                tx.execute(&st, &[&r.source, &r.payload, &r.at]).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    pub async fn point_reads(pool: &Pool, ids: &[i64]) -> Result<usize, Err> {
        let c = pool.get().await?;
        let st = c.prepare_cached(SELECT).await?;
        let mut bytes = 0;
        for id in ids {
            let row = c.query_one(&st, &[id]).await?;
            let got: i64 = row.get(0);
            assert_eq!(got, *id);
            let _source: &str = row.get(1);
            let payload: &[u8] = row.get(2);
            let _at: i64 = row.get(3);
            bytes += payload.len();
        }
        Ok(bytes)
    }

    /// Same reads, but a pool checkout per read (how a store method would usually run).
    pub async fn point_reads_checkout(pool: &Pool, ids: &[i64]) -> Result<usize, Err> {
        let mut bytes = 0;
        for id in ids {
            let c = pool.get().await?;
            let st = c.prepare_cached(SELECT).await?;
            let row = c.query_one(&st, &[id]).await?;
            let payload: &[u8] = row.get(2);
            bytes += payload.len();
        }
        Ok(bytes)
    }

    pub async fn lease(pool: &Pool) -> Result<usize, Err> {
        let c = pool.get().await?;
        let st = c.prepare_cached(LEASE).await?;
        let mut leased = 0;
        for i in 0..LEASE_CALLS as i64 {
            // Logical clock: "now" = i+1, a lease runs 100 ticks, so at most 500 rows are held.
            let now = i + 1;
            let rows = c.query(&st, &[&"node-a", &(now + 100), &now]).await?;
            assert_eq!(rows.len(), 5, "lease returned {} rows at {i}", rows.len());
            leased += rows.len();
        }
        Ok(leased)
    }
}

// ---------------- sqlx ----------------

mod sx {
    use super::*;
    use sqlx::{PgPool, Row as _};

    pub async fn insert_one_tx(pool: &PgPool, rows: &[Row]) -> Result<(), Err> {
        let mut tx = pool.begin().await?;
        for r in rows {
            // sqlx::query() is persistent by default: prepared once per connection, cached.
            sqlx::query(INSERT)
                .bind(&r.source)
                .bind(&r.payload)
                .bind(r.at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn insert_batched_tx(pool: &PgPool, rows: &[Row]) -> Result<(), Err> {
        let mut c = pool.acquire().await?;
        for chunk in rows.chunks(TX_SIZE) {
            let mut tx = sqlx::Connection::begin(&mut *c).await?;
            for r in chunk {
                sqlx::query(INSERT)
                    .bind(&r.source)
                    .bind(&r.payload)
                    .bind(r.at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    pub async fn point_reads(pool: &PgPool, ids: &[i64]) -> Result<usize, Err> {
        let mut c = pool.acquire().await?;
        let mut bytes = 0;
        for id in ids {
            let row = sqlx::query(SELECT).bind(id).fetch_one(&mut *c).await?;
            let got: i64 = row.try_get(0)?;
            assert_eq!(got, *id);
            let _source: &str = row.try_get(1)?;
            let payload: &[u8] = row.try_get(2)?;
            let _at: i64 = row.try_get(3)?;
            bytes += payload.len();
        }
        Ok(bytes)
    }

    pub async fn point_reads_checkout(pool: &PgPool, ids: &[i64]) -> Result<usize, Err> {
        let mut bytes = 0;
        for id in ids {
            let row = sqlx::query(SELECT).bind(id).fetch_one(pool).await?;
            let payload: &[u8] = row.try_get(2)?;
            bytes += payload.len();
        }
        Ok(bytes)
    }

    pub async fn lease(pool: &PgPool) -> Result<usize, Err> {
        let mut c = pool.acquire().await?;
        let mut leased = 0;
        for i in 0..LEASE_CALLS as i64 {
            let now = i + 1;
            let rows = sqlx::query(LEASE)
                .bind("node-a")
                .bind(now + 100)
                .bind(now)
                .fetch_all(&mut *c)
                .await?;
            assert_eq!(rows.len(), 5, "lease returned {} rows at {i}", rows.len());
            leased += rows.len();
        }
        Ok(leased)
    }
}

const TESTS: [&str; 5] = [
    "1 insert 20k, 1 tx",
    "2 insert 20k, 200 tx x 100",
    "3 point reads 5k (1 conn)",
    "3b point reads 5k (checkout/read)",
    "4 lease stmt 2k",
];
const CLIENTS: [&str; 2] = ["tokio-postgres+deadpool", "sqlx"];

async fn run_client(
    client: &str,
    tp_pool: &deadpool_postgres::Pool,
    sx_pool: &sqlx::PgPool,
    admin: &deadpool_postgres::Pool,
    rows: &[Row],
    ids: &[i64],
    out: &mut BTreeMap<(String, String), Vec<(Duration, f64)>>,
) -> Result<(), Err> {
    let is_tp = client == CLIENTS[0];
    let mut rec = |test: &str, d: Duration, cpu: f64| {
        println!("{client:<24} {test:<34} {:>9.1} ms wall {:>7.0} ms client CPU", d.as_secs_f64() * 1e3, cpu);
        out.entry((test.to_string(), client.to_string())).or_default().push((d, cpu));
    };

    // 1: one transaction
    reset_items(admin).await?;
    vacuum(admin).await?;
    let (t, c0) = (Instant::now(), cpu_ms());
    if is_tp { tp::insert_one_tx(tp_pool, rows).await? } else { sx::insert_one_tx(sx_pool, rows).await? }
    rec(TESTS[0], t.elapsed(), cpu_ms() - c0);

    // 2: 200 transactions of 100
    reset_items(admin).await?;
    vacuum(admin).await?;
    let (t, c0) = (Instant::now(), cpu_ms());
    if is_tp { tp::insert_batched_tx(tp_pool, rows).await? } else { sx::insert_batched_tx(sx_pool, rows).await? }
    rec(TESTS[1], t.elapsed(), cpu_ms() - c0);

    // 3: point reads on the 20k rows just inserted
    vacuum(admin).await?;
    let (t, c0) = (Instant::now(), cpu_ms());
    let b = if is_tp { tp::point_reads(tp_pool, ids).await? } else { sx::point_reads(sx_pool, ids).await? };
    rec(TESTS[2], t.elapsed(), cpu_ms() - c0);
    assert_eq!(b, READS * PAYLOAD_LEN);
    let (t, c0) = (Instant::now(), cpu_ms());
    let b = if is_tp { tp::point_reads_checkout(tp_pool, ids).await? } else { sx::point_reads_checkout(sx_pool, ids).await? };
    rec(TESTS[3], t.elapsed(), cpu_ms() - c0);
    assert_eq!(b, READS * PAYLOAD_LEN);

    // 4: lease statement
    reset_leases(admin).await?;
    vacuum(admin).await?;
    let (t, c0) = (Instant::now(), cpu_ms());
    let n = if is_tp { tp::lease(tp_pool).await? } else { sx::lease(sx_pool).await? };
    rec(TESTS[4], t.elapsed(), cpu_ms() - c0);
    assert_eq!(n, LEASE_CALLS * 5);
    Ok(())
}

/// This process's user+system CPU time (all threads), from /proc/self/stat, in ms (10 ms ticks).
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    // fields 14 and 15 of stat; `after` starts at field 3
    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) * 10.0
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[v.len() / 2]
}

fn main() -> Result<(), Err> {
    let rt = match std::env::var("RT").as_deref() {
        Ok("current") => tokio::runtime::Builder::new_current_thread().enable_all().build()?,
        _ => tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?,
    };
    println!("runtime: {}", std::env::var("RT").unwrap_or_else(|_| "multi_thread(2)".into()));
    rt.block_on(bench())
}

async fn bench() -> Result<(), Err> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "postgres://syndic@127.0.0.1:55432/pgcmp".into());
    let reps: usize = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(3);

    let mut cfg = deadpool_postgres::Config::new();
    cfg.url = Some(url.clone());
    cfg.pool = Some(deadpool_postgres::PoolConfig::new(4));
    let tp_pool = cfg.create_pool(Some(deadpool_postgres::Runtime::Tokio1), tokio_postgres::NoTls)?;
    let admin = cfg.create_pool(Some(deadpool_postgres::Runtime::Tokio1), tokio_postgres::NoTls)?;
    // sqlx pings a pooled connection before handing it out unless test_before_acquire(false);
    // deadpool's default RecyclingMethod::Fast does not. SQLX_NO_TEST=1 turns the ping off.
    let no_test = std::env::var("SQLX_NO_TEST").is_ok();
    println!("sqlx test_before_acquire: {}", !no_test);
    let sx_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .test_before_acquire(!no_test)
        .connect(&url)
        .await?;

    setup(&admin).await?;
    let rows = make_rows();
    let ids = read_ids();

    // Warm-up (not recorded): one pass of each client so page cache, WAL files and catalogs are warm.
    let mut scratch = BTreeMap::new();
    println!("-- warm-up (discarded)");
    for c in CLIENTS {
        run_client(c, &tp_pool, &sx_pool, &admin, &rows, &ids, &mut scratch).await?;
    }

    let mut out: BTreeMap<(String, String), Vec<(Duration, f64)>> = BTreeMap::new();
    for rep in 0..reps {
        println!("-- rep {}", rep + 1);
        let order: Vec<&str> = if rep % 2 == 0 { CLIENTS.to_vec() } else { CLIENTS.iter().rev().copied().collect() };
        for c in order {
            run_client(c, &tp_pool, &sx_pool, &admin, &rows, &ids, &mut out).await?;
        }
    }

    println!("\n| test | {a} wall ms | {b} wall ms | sqlx/tp wall | {a} CPU ms | {b} CPU ms |", a = CLIENTS[0], b = CLIENTS[1]);
    println!("|---|---:|---:|---:|---:|---:|");
    for test in TESTS {
        let get = |c: &str| out[&(test.to_string(), c.to_string())].clone();
        let wall = |c: &str| median(&get(c).iter().map(|x| x.0).collect::<Vec<_>>());
        let cpu = |c: &str| {
            let mut v: Vec<f64> = get(c).iter().map(|x| x.1).collect();
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            v[v.len() / 2]
        };
        let all = |c: &str| get(c).iter().map(|x| format!("{:.0}", x.0.as_secs_f64() * 1e3)).collect::<Vec<_>>().join("/");
        let (a, b) = (wall(CLIENTS[0]), wall(CLIENTS[1]));
        println!(
            "| {test} | {:.0} ({}) | {:.0} ({}) | {:.2} | {:.0} | {:.0} |",
            a.as_secs_f64() * 1e3, all(CLIENTS[0]), b.as_secs_f64() * 1e3, all(CLIENTS[1]),
            b.as_secs_f64() / a.as_secs_f64(), cpu(CLIENTS[0]), cpu(CLIENTS[1])
        );
    }
    Ok(())
}
