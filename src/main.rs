//! The `syndic` command line: parse arguments, call the library, map
//! errors to exit codes (0 ok, 1 failure or invalid configuration).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use syndic::config::{self, LogFormat};
use syndic::daemon::{self, Daemon};

#[derive(Parser)]
#[command(name = "syndic", version, about = "News-feed aggregator: pull, normalize, deduplicate, republish")]
struct Cli {
    /// The daemon settings file (it names the source list).
    #[arg(long, global = true, default_value = "config/syndic.toml")]
    config: PathBuf,
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
    /// One pass over due sources (or the named one, or all), then exit.
    Fetch {
        /// Only this source (fetched even if not due).
        #[arg(long)]
        source: Option<String>,
        /// Every enabled source, due or not.
        #[arg(long)]
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
    /// Aggregate bundled sample feeds offline and serve the result.
    Demo {
        /// Exit after aggregating and printing the summary.
        #[arg(long)]
        once: bool,
        /// Address to serve on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
    },
}

#[derive(Subcommand)]
enum OpmlAction {
    /// Print the configured sources as OPML.
    Export,
    /// Add an OPML file's feeds to the source list (comments kept).
    Import {
        /// The OPML file.
        file: PathBuf,
        /// Category for all imported sources.
        #[arg(long)]
        category: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check => check(&cli.config),
        Command::Sources => load(&cli.config).and_then(|c| {
            let daemon = Daemon::start(c)?;
            let rows = syndic::status::collect(&daemon.config, &daemon.ctx.store.lock().unwrap_or_else(|p| p.into_inner()))?;
            print!("{}", syndic::status::table(&rows));
            Ok(())
        }),
        Command::Run => load(&cli.config).and_then(|c| {
            init_logs(c.daemon.log_format);
            // One daemon per database, held until the process ends.
            let _lock = syndic::store::lock::acquire(&c.daemon.database)?;
            runtime()?.block_on(Daemon::start(c)?.run())
        }),
        Command::Fetch { source, all } => load(&cli.config).and_then(|c| {
            init_logs(c.daemon.log_format);
            runtime()?.block_on(fetch(c, source, all))
        }),
        Command::DedupCheck { pairs, folds, seed, write_hard } => dedup_check(&pairs, folds, seed, write_hard.as_deref(), &cli.config),
        Command::Compact => load(&cli.config).and_then(|c| {
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
        Command::Publish { out } => load(&cli.config).and_then(|c| {
            let daemon = Daemon::start(c)?;
            let files = syndic::publish::export::export(&daemon.publisher, &out)?;
            println!("wrote {files} files to {}", out.display());
            Ok(())
        }),
        Command::Opml { action: OpmlAction::Export } => load(&cli.config).map(|c| print!("{}", syndic::publish::opml::sources(&c))),
        Command::Opml { action: OpmlAction::Import { file, category } } => load(&cli.config).and_then(|c| {
            let added = syndic::cli::opml_import::import(&file, &c.sources_path, category.as_deref())?;
            println!("added {} sources to {}: {}", added.len(), c.sources_path.display(), added.join(", "));
            println!("reload the service (systemctl reload syndic) to start polling them");
            Ok(())
        }),
        Command::Extract { target, source, selector, remove, base, html } => {
            runtime().and_then(|rt| rt.block_on(extract(&cli.config, &target, source, selector, remove, base, html)))
        }
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

fn check(path: &std::path::Path) -> anyhow::Result<()> {
    let c = load(path)?;
    println!("ok: {} sources, {} categories, {} regions", c.sources.len(), c.categories.len(), c.regions.len());
    Ok(())
}

fn load(path: &std::path::Path) -> anyhow::Result<config::Config> {
    config::load(path).map_err(|errors| anyhow::anyhow!("invalid configuration:\n{errors}"))
}

async fn fetch(c: config::Config, only: Option<String>, all: bool) -> anyhow::Result<()> {
    let daemon = Daemon::start(c)?;
    let sources = match &only {
        Some(id) => {
            vec![daemon.config.source(id).cloned().ok_or_else(|| anyhow::anyhow!("no source with id {id:?} in the configuration"))?]
        }
        None if all => daemon.config.sources.iter().filter(|s| s.enabled).cloned().collect(),
        None => daemon.due_sources()?,
    };
    let reports = daemon.poll_all(&sources).await;
    for r in &reports {
        println!("{}", daemon::summary_line(r));
    }
    let pages = daemon.extract_all().await;
    if !pages.is_empty() {
        let ok = pages.iter().filter(|p| p.result.is_ok()).count();
        println!("full text: {ok} of {} pages extracted", pages.len());
    }
    let failed = reports.iter().filter(|r| matches!(r.outcome, syndic::poll::Outcome::Failed(_))).count();
    println!("{} sources polled, {failed} failed", reports.len());
    Ok(())
}

async fn extract(
    config_path: &std::path::Path,
    target: &str,
    source: Option<String>,
    selector: Option<String>,
    remove: Vec<String>,
    base: Option<String>,
    html: bool,
) -> anyhow::Result<()> {
    use syndic::extract::{Rule, preview};
    // The configuration is needed for --source; otherwise it only lends its
    // client settings and zone when it is there.
    let config = match (&source, config_path.exists()) {
        (Some(_), _) => Some(load(config_path)?),
        (None, true) => config::load(config_path).ok(),
        (None, false) => None,
    };
    let configured = match (&source, &config) {
        (Some(id), Some(c)) => {
            let s = c.source(id).ok_or_else(|| anyhow::anyhow!("no source with id {id:?} in the configuration"))?;
            s.full_text.clone()
        }
        _ => None,
    };
    let rule = match selector {
        Some(css) => Rule::selector(&css, &remove).map_err(|e| anyhow::anyhow!("--selector/--remove: {e}"))?,
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
    config: &std::path::Path,
) -> anyhow::Result<()> {
    use syndic::cli::{dedup_check, dedup_cv, hard_negatives};
    use syndic::dedup::Matcher;
    // The daemon's window and boilerplate rules when its settings load;
    // the defaults (what a fresh install runs with) otherwise.
    let matcher = match config::load(config) {
        Ok(c) => Matcher::of(&c),
        Err(_) => {
            eprintln!("note: {} did not load; using the default dedup window and rules", config.display());
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
