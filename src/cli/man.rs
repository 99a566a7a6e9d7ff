//! Manual pages from the command-line definition: `syndic(1)` and one
//! `syndic-COMMAND(1)` per command, written by the hidden `syndic man --out
//! DIR` (the packaging runs it; see the Makefile). Generated, so the pages
//! never disagree with `--help`. The settings files have a hand-written
//! page, `man/syndic.toml.5`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Sections appended to `syndic(1)`: what clap does not know.
const EXTRA: &str = r#".SH FILES
.TP
\fI/etc/syndic/syndic.toml\fR
Daemon settings; see \fBsyndic.toml\fR(5). Commands read \fB\-\-config\fR
\fIFILE\fR, else \fB$SYNDIC_CONFIG\fR, else \fIconfig/syndic.toml\fR when it
exists in the working directory, else this file. Relative paths in it
resolve against its own directory.
.TP
\fI/etc/syndic/sources.toml\fR
The source list: categories, regions and feeds.
.TP
\fI/var/lib/syndic/syndic.db\fR
The SQLite database when \fBdatabase\fR is not set (under systemd,
\fB$STATE_DIRECTORY\fR/syndic.db).
.TP
\fI/usr/share/doc/syndic/\fR
README and the guides: configuration, operations (systemd, nginx, backups,
upgrades), performance, testing.
.SH ENVIRONMENT
.TP
\fBSYNDIC_CONFIG\fR
The settings file, when \fB\-\-config\fR is not given.
.TP
\fBSYNDIC_LOG\fR
Log filter, such as \fBdebug\fR or \fBsyndic=trace\fR (default \fBinfo\fR).
.SH EXIT STATUS
0 on success; 1 on any failure: an invalid configuration, a missing
database for a command that only reads, or (\fBfetch\fR) any source that failed.
.SH SEE ALSO
\fBsyndic.toml\fR(5), \fBsystemctl\fR(1), \fBjournalctl\fR(1)
"#;

/// Writes `syndic.1` and `syndic-COMMAND.1` for every visible command into
/// `out` (created if missing); returns the files written.
pub fn write_pages(command: clap::Command, out: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out)?;
    // No `help` command in the pages: it would name a page that does not exist.
    let mut command = command.version(env!("CARGO_PKG_VERSION")).disable_help_subcommand(true);
    // Building propagates global arguments (`--config`) into every
    // command, so each page lists what that command really takes.
    command.build();
    let mut written = Vec::new();
    let mut main = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut main)?;
    main.write_all(EXTRA.as_bytes())?;
    written.push(write(out, "syndic.1", &main)?);
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_command(sub, ("syndic", "syndic"), out, &mut written)?;
    }
    Ok(written)
}

/// The page of `sub` (named `PARENT-SUB.1`) and of each command under it.
/// `parent` is the parent's page name and command line.
fn write_command(sub: &clap::Command, parent: (&str, &str), out: &Path, written: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let name = format!("{}-{}", parent.0, sub.get_name());
    let bin = format!("{} {}", parent.1, sub.get_name());
    // Only `syndic --version` exists: a command's page must not offer -V.
    let page_command =
        sub.clone().display_name(name.clone()).bin_name(bin.clone()).version(env!("CARGO_PKG_VERSION")).disable_version_flag(true);
    let mut page = Vec::new();
    clap_mangen::Man::new(page_command).render(&mut page)?;
    page.write_all(b".SH SEE ALSO\n\\fBsyndic\\fR(1), \\fBsyndic.toml\\fR(5)\n")?;
    written.push(write(out, &format!("{name}.1"), &page)?);
    for nested in sub.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        write_command(nested, (&name, &bin), out, written)?;
    }
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, bytes)?;
    Ok(path)
}
