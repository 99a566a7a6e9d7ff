//! The `syndic` command line: parse arguments, call the library, map
//! errors to exit codes (0 ok, 1 failure or invalid configuration).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{CommandFactory as _, Parser, Subcommand};
use syndic::cli::files::{self, Database};
use syndic::config::{self, LogFormat};
use syndic::daemon::{self, Daemon};

#[derive(Parser)]
#[command(name = "syndic", version, about = "News-feed aggregator: pull, normalize, deduplicate, republish")]
struct Cli {
    /// The daemon settings file (it names the source list; relative paths in
    /// it are relative to it). Default: $SYNDIC_CONFIG, else
    /// config/syndic.toml if it exists, else /etc/syndic/syndic.toml.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: poll sources on schedule and serve the feeds.
    Run,
    /// Table of sources and their health.
    Sources,
    /// Validate the configuration; exit 1 on any error.
    Check,
    /// One pass over due sources (or the named one, or all), then exit; exit 1 if one failed.
    ///
    /// While `syndic run` holds the database, the daemon polls instead: the
    /// sources are made due, and their polls are printed as the daemon
    /// records them (waiting up to two minutes).
    Fetch {
        /// Only this source (fetched even if not due).
        #[arg(long)]
        source: Option<String>,
        /// Every enabled source, due or not.
        #[arg(long, conflicts_with = "source")]
        all: bool,
    },
    /// Write every feed, index.html and feeds.opml into a directory.
    Publish {
        /// The directory (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Move source lists in and out as OPML.
    Opml {
        #[command(subcommand)]
        action: OpmlAction,
    },
    /// The same-story decision on pairs of texts (TSV or ParaPhraser XML).
    DedupCheck {
        /// A pairs file (TSV or ParaPhraser XML); repeat for several.
        #[arg(long, required = true)]
        pairs: Vec<PathBuf>,
        /// Cross-validate instead: tune the thresholds on K−1 folds, score
        /// the held-out one, each file held out in turn too, with hard
        /// negatives made from the pairs and a per-veto ablation.
        #[arg(long)]
        folds: Option<usize>,
        /// The seed of the fold split.
        #[arg(long, default_value_t = 25)]
        seed: u64,
        /// Write the hard negatives made from the pairs to this TSV (and
        /// decide nothing), to read them one by one.
        #[arg(long)]
        write_hard: Option<PathBuf>,
    },
    /// Preview full-text extraction of an article page (before saving a selector).
    Extract {
        /// The page: an http(s) URL or a saved HTML file.
        target: String,
        /// Use this source's `full_text` rule (and the daemon's client settings).
        #[arg(long)]
        source: Option<String>,
        /// CSS selector of the story (default: the source's rule, else auto).
        #[arg(long)]
        selector: Option<String>,
        /// CSS selector of something to cut out; repeat for more.
        #[arg(long)]
        remove: Vec<String>,
        /// For a file: the URL it was saved from (links resolve against it).
        #[arg(long)]
        base: Option<String>,
        /// Print the extracted HTML instead of the text.
        #[arg(long)]
        html: bool,
    },
    /// Rewrite the database with 16 KB pages and no free space (daemon stopped).
    Compact,
    /// Move a SQLite database into an empty shared PostgreSQL store (daemon stopped).
    ///
    /// The database becomes the store's first snapshot: nodes started with
    /// `database = "postgres://…"` and no replica file yet begin from it.
    /// Checked by reading the snapshot back and counting its items.
    Migrate {
        /// The database: `sqlite:PATH` (or a path).
        #[arg(long)]
        from: String,
        /// The shared store: `postgres://user@host/db`.
        #[arg(long)]
        to: String,
    },
    /// Aggregate bundled sample feeds offline and serve the result.
    Demo {
        /// Exit after aggregating and printing the summary.
        #[arg(long)]
        once: bool,
        /// Address to serve on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
    },
    /// Write the manual pages (syndic.1, syndic-COMMAND.1) into a directory.
    #[command(hide = true)]
    Man {
        /// The directory (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum OpmlAction {
    /// Print the configured sources as OPML.
    Export,
    /// Add an OPML file's feeds to the source list (comments kept); folders
    /// become categories.
    Import {
        /// The OPML file (from Feedly, Inoreader, Thunderbird, Miniflux, FreshRSS, syndic…).
        file: PathBuf,
        /// Category for feeds in no folder that is a category.
        #[arg(long, value_name = "SLUG")]
        category: Option<String>,
        /// Make a category of each folder that is none yet.
        #[arg(long)]
        create_categories: bool,
        /// The kind of every imported source, unless its outline has
        /// syndic:kind: partner (another site's feed, also in
        /// /feeds/partners.*) or regional (the portal's own newsroom).
        #[arg(long, value_enum, default_value_t = KindArg::Partner)]
        kind: KindArg,
        /// Print what would be added and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `--kind` of `opml import`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum KindArg {
    Partner,
    Regional,
}

impl From<KindArg> for syndic::model::SourceKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Partner => syndic::model::SourceKind::Partner,
            KindArg::Regional => syndic::model::SourceKind::Regional,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check => check(cli.config),
        Command::Sources => files::load(cli.config, Database::Reads).and_then(|c| {
            let rows = syndic::status::collect(&c, &files::open_for_reading(&c)?)?;
            print!("{}", syndic::status::table(&rows));
            Ok(())
        }),
        Command::Run => files::load_filled(cli.config, Database::Writes).and_then(|c| {
            init_logs(c.daemon.log_format);
            // One daemon per database, held until the process ends.
            let _lock = syndic::store::lock::acquire(&c.daemon.database)?;
            let runtime = runtime()?;
            if c.daemon.cluster.is_some() {
                syndic::cluster::follow::check_file(&c.daemon.database)?;
            }
            if let Some(shared) = c.daemon.cluster.as_ref().filter(|_| !c.daemon.database.exists()) {
                // A new node starts from the shared store's snapshot.
                runtime.block_on(async {
                    let node = syndic::cluster::Node::connect(shared)
                        .await
                        .with_context(|| format!("cannot use the shared database {}", syndic::cluster::redacted(&shared.url)))?;
                    syndic::cluster::snapshot::restore(&node, &c.daemon.database).await
                })?;
            }
            runtime.block_on(Daemon::start(c)?.run())
        }),
        Command::Fetch { source, all } => files::load(cli.config, Database::Writes).and_then(|c| {
            init_logs(c.daemon.log_format);
            // Held while this process polls, so no daemon starts on the
            // database meanwhile; a running daemon is asked to poll instead.
            let _lock = match syndic::store::lock::acquire_as(&c.daemon.database, "fetch") {
                Ok(lock) => lock,
                Err(syndic::store::StoreError::Running { pid, role, .. }) if role == "run" => {
                    return syndic::cli::handoff::fetch(&c, source.as_deref(), all, pid);
                }
                // Another fetch: fail at once, not after waiting for a
                // daemon that is not there.
                Err(e) => return Err(e.into()),
            };
            runtime()?.block_on(fetch(c, source, all))
        }),
        Command::DedupCheck { pairs, folds, seed, write_hard } => dedup_check(&pairs, folds, seed, write_hard.as_deref(), cli.config),
        Command::Compact => files::load(cli.config, Database::Reads).and_then(|c| {
            let done = syndic::store::compact(&c.daemon.database)?;
            let mb = |b: u64| b as f64 / 1e6;
            println!(
                "compacted {}: {:.1} MB → {:.1} MB, pages {} → {} bytes",
                c.daemon.database.display(),
                mb(done.bytes.0),
                mb(done.bytes.1),
                done.page_size.0,
                done.page_size.1
            );
            Ok(())
        }),
        Command::Migrate { from, to } => migrate(&from, &to),
        Command::Publish { out } => files::load_filled(cli.config, Database::Reads).and_then(|c| {
            let daemon = Daemon::start(c)?;
            let files = syndic::publish::export::export(&daemon.publisher, &out)?;
            println!("wrote {files} files to {}", out.display());
            Ok(())
        }),
        Command::Opml { action: OpmlAction::Export } => {
            files::load(cli.config, Database::Unused).and_then(|c| out(&syndic::publish::opml::sources(&c)))
        }
        Command::Opml { action: OpmlAction::Import { file, category, create_categories, kind, dry_run } } => {
            files::load(cli.config, Database::Unused).and_then(|c| {
                use syndic::cli::opml;
                let outcome = opml::import(&file, &c, &opml::Options { category, create_categories, kind: kind.into() }, dry_run)?;
                out(&opml::report::render(&outcome, dry_run))
            })
        }
        Command::Extract { target, source, selector, remove, base, html } => {
            runtime().and_then(|rt| rt.block_on(extract(cli.config, &target, source, selector, remove, base, html)))
        }
        Command::Man { out } => syndic::cli::man::write_pages(Cli::command(), &out).map_err(Into::into).map(|pages| {
            println!("wrote {} manual pages to {}", pages.len(), out.display());
        }),
        Command::Demo { once, listen } => {
            // The demo prints its own summary; logs only for problems.
            init_logs_default(LogFormat::Text, "warn");
            runtime().and_then(|rt| rt.block_on(syndic::demo::run(listen, once)))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("syndic: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints `text`; a reader that went away (`| head`) is no error.
fn out(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn migrate(from: &str, to: &str) -> anyhow::Result<()> {
    let path = PathBuf::from(from.strip_prefix("sqlite:").unwrap_or(from));
    if !path.is_file() {
        anyhow::bail!("no database at {}", path.display());
    }
    // Not a file migrate would make a database of (an empty or foreign file).
    let readable = syndic::store::Store::open_reader(&path).and_then(|s| s.has_items().map(|_| s.schema_behind()));
    if !matches!(readable, Ok(Ok(_))) || std::fs::metadata(&path).map_or(true, |m| m.len() == 0) {
        anyhow::bail!("{} is not a syndic database", path.display());
    }
    eprintln!("syndic: database {}", path.display());
    if !(to.starts_with("postgres://") || to.starts_with("postgresql://")) {
        anyhow::bail!("--to: expected a postgres://… URL");
    }
    let _lock = syndic::store::lock::acquire_as(&path, "migrate")?;
    let settings = config::ClusterSettings { url: to.to_string(), node: "migrate".into(), lease: std::time::Duration::from_secs(60) };
    let moved = runtime()?.block_on(async {
        let node = syndic::cluster::Node::connect(&settings).await?;
        syndic::cluster::snapshot::migrate(&node, &path).await
    })?;
    println!(
        "moved {} into {}: {} sources, {} items ({} stories), a {:.1} MB snapshot; read back and counted the same",
        path.display(),
        syndic::cluster::redacted(to),
        moved.sources,
        moved.items,
        moved.stories,
        moved.bytes as f64 / 1e6
    );
    println!("next: set database = \"postgres://…\" (this URL) and a new `replica` path on every node, and start them");
    Ok(())
}

fn check(flag: Option<PathBuf>) -> anyhow::Result<()> {
    let c = files::load_filled(flag, Database::Named)?;
    println!("ok: {} sources, {} categories, {} regions", c.sources.len(), c.categories.len(), c.regions.len());
    Ok(())
}

async fn fetch(c: config::Config, only: Option<String>, all: bool) -> anyhow::Result<()> {
    let shared = match &c.daemon.cluster {
        Some(settings) => {
            syndic::cluster::follow::check_file(&c.daemon.database)?;
            let node = syndic::cluster::Node::connect(settings)
                .await
                .with_context(|| format!("cannot use the shared database {}", syndic::cluster::redacted(&settings.url)))?;
            syndic::cluster::snapshot::restore(&node, &c.daemon.database).await?;
            Some(settings.clone())
        }
        None => None,
    };
    let mut daemon = Daemon::start(c)?;
    let mut sources = match &only {
        Some(id) => {
            vec![daemon.config.source(id).cloned().ok_or_else(|| anyhow::anyhow!(daemon.config.no_source(id)))?]
        }
        None if all => daemon.config.sources.iter().filter(|s| s.enabled).cloned().collect(),
        None => daemon.due_sources().await?,
    };
    if let Some(settings) = &shared {
        // On a shared store this process polls as one more node: what it
        // leases (the named sources made due first), and no other node's.
        sources = daemon.lease_for_fetch(settings, &sources, only.is_some() || all).await?;
    }
    let reports = daemon.poll_all(&sources).await;
    for r in &reports {
        println!("{}", daemon::summary_line(r));
    }
    let pages = daemon.extract_all().await;
    if !pages.is_empty() {
        let ok = pages.iter().filter(|p| p.result.is_ok()).count();
        println!("full text: {ok} of {} pages extracted", pages.len());
    }
    daemon.leave().await;
    let failed = reports.iter().filter(|r| matches!(r.outcome, syndic::pipeline::poll::Outcome::Failed(_))).count();
    println!("{} sources polled, {failed} failed", reports.len());
    if failed > 0 {
        anyhow::bail!("{failed} of {} sources failed (see the lines above)", reports.len());
    }
    Ok(())
}

async fn extract(
    config_flag: Option<PathBuf>,
    target: &str,
    source: Option<String>,
    selector: Option<String>,
    remove: Vec<String>,
    base: Option<String>,
    html: bool,
) -> anyhow::Result<()> {
    use syndic::cli::preview;
    use syndic::config::Rule;
    // The configuration is needed for --source; otherwise it only lends its
    // client settings and zone when it is there.
    let config = match (&source, files::locate(config_flag.clone())) {
        (Some(_), _) => Some(files::load(config_flag, Database::Unused)?),
        (None, Ok(found)) if found.path.exists() => config::load(&found.path).ok(),
        (None, _) => None,
    };
    let configured = match (&source, &config) {
        (Some(id), Some(c)) => {
            let s = c.source(id).ok_or_else(|| anyhow::anyhow!(c.no_source(id)))?;
            s.full_text.clone()
        }
        _ => None,
    };
    let rule = match selector {
        Some(css) => {
            let flags = std::iter::once(("--selector", &css)).chain(remove.iter().map(|r| ("--remove", r)));
            for (flag, css) in flags {
                config::check_selector(css).map_err(|e| anyhow::anyhow!("{flag}: {e}"))?;
            }
            Rule::selector(&css, &remove).map_err(|e| anyhow::anyhow!("--selector/--remove: {e}"))?
        }
        None if !remove.is_empty() => anyhow::bail!("--remove needs --selector"),
        None => configured.unwrap_or(Rule::Auto),
    };
    let (settings, tz) = match &config {
        Some(c) => (
            syndic::fetch::FetchSettings {
                user_agent: c.daemon.user_agent.clone(),
                connect_timeout: c.daemon.connect_timeout,
                total_timeout: c.daemon.fetch_timeout,
                max_body_bytes: c.daemon.max_body_bytes,
            },
            c.daemon.timezone,
        ),
        None => (preview::default_settings(), chrono_tz::Asia::Almaty),
    };
    let target = preview::Target::parse(target, base.as_deref())?;
    print!("{}", preview::run(target, &rule, settings, tz, html).await?);
    Ok(())
}

fn dedup_check(
    paths: &[PathBuf],
    folds: Option<usize>,
    seed: u64,
    write_hard: Option<&std::path::Path>,
    config_flag: Option<PathBuf>,
) -> anyhow::Result<()> {
    use syndic::cli::{dedup_check, dedup_cv, hard_negatives};
    use syndic::dedup::Matcher;
    // The daemon's window and boilerplate rules when its settings load;
    // the defaults (what a fresh install runs with) otherwise.
    let matcher = match files::locate(config_flag).map(|found| (config::load(&found.path), found.path)) {
        Ok((Ok(c), path)) => {
            eprintln!("syndic: config {}", path.display());
            Matcher::of(&c)
        }
        Ok((Err(_), path)) => {
            eprintln!("note: {} did not load; using the default dedup window and rules", path.display());
            Matcher::default()
        }
        Err(e) => {
            eprintln!("note: {e}; using the default dedup window and rules");
            Matcher::default()
        }
    };
    let mut sets = Vec::new();
    for path in paths {
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        sets.push(dedup_cv::Set { name, pairs: dedup_check::read(path)? });
    }
    if let Some(path) = write_hard {
        let mut negatives = Vec::new();
        for set in &sets {
            let labelled: Vec<_> = set.pairs.iter().filter(|p| p.label.is_some()).cloned().collect();
            negatives.extend(hard_negatives::generate(&labelled));
        }
        hard_negatives::write_tsv(&negatives, &mut std::io::BufWriter::new(std::fs::File::create(path)?))?;
        return Ok(());
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match folds {
        Some(folds) => dedup_cv::run(&sets, &matcher, folds, seed, &mut out)?,
        None => {
            let pairs: Vec<_> = sets.into_iter().flat_map(|s| s.pairs).collect();
            dedup_check::report(&pairs, &matcher, &mut out)?;
        }
    }
    Ok(())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

fn init_logs(format: LogFormat) {
    init_logs_default(format, "info");
}

/// Logs to stderr; `SYNDIC_LOG` (e.g. `debug`, `syndic=trace`) overrides the level.
fn init_logs_default(format: LogFormat, level: &str) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("SYNDIC_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
    };
}
