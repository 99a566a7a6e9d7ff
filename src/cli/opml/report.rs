//! What `syndic opml import` prints: what was added and where, what was
//! skipped (with the id already configured), which feed was listed in
//! several folders and which folder won, what was left out and the flag
//! that would bring it in, and, with `--dry-run`, the TOML itself.

use std::fmt::Write as _;

use super::Outcome;
use crate::model::SourceKind;

/// The report for the admin.
pub fn render(o: &Outcome, dry_run: bool) -> String {
    let p = &o.plan;
    let mut out = String::new();
    let distinct = p.add.len() + p.skipped.len() + p.left_out.iter().map(|(_, f)| f.len()).sum::<usize>();
    let _ = writeln!(out, "{}: {} feed outlines, {distinct} distinct feeds", o.file.display(), o.listed);
    let verb = if dry_run { "would add" } else { "added" };
    let noun = if p.add.len() == 1 { "source" } else { "sources" };
    let _ = write!(out, "{verb} {} {noun} to {}", p.add.len(), o.sources.display());
    let _ = writeln!(out, "{}", if p.add.is_empty() { "" } else { ":" });
    let width = p.add.iter().map(|s| s.id.len()).max().unwrap_or(0);
    for s in &p.add {
        let _ = write!(out, "  {:width$}  {} → {} ({})", s.id, s.name, s.category, s.because);
        let _ = writeln!(out, "{}", if s.kind == o.kind { String::new() } else { format!(", kind {} from syndic:kind", s.kind.as_str()) });
    }
    if !p.add.is_empty() {
        let _ = writeln!(out, "{}", kind_line(o.kind));
    }
    if !p.new_categories.is_empty() || !p.new_regions.is_empty() {
        let _ = writeln!(
            out,
            "{} (--create-categories):",
            if dry_run { "new categories and regions it would make" } else { "new categories and regions" }
        );
        for (what, list) in [("category", &p.new_categories), ("region", &p.new_regions)] {
            for s in list {
                let _ = writeln!(out, "  {what} {} «{}»", s.slug, s.title);
            }
        }
    }
    if !p.skipped.is_empty() {
        let _ = writeln!(out, "skipped ({}), already configured:", p.skipped.len());
        for (name, url, id) in &p.skipped {
            let _ = writeln!(out, "  {url} ({name}) is source \"{id}\"");
        }
    }
    if !p.merged.is_empty() {
        let _ = writeln!(out, "listed in several folders, imported once ({}):", p.merged.len());
        for m in &p.merged {
            let folders: Vec<String> = m.folders.iter().map(|f| format!("«{f}»")).collect();
            let _ = writeln!(out, "  {} in {}: category from {} ({})", m.url, folders.join(", "), m.winner, m.why);
        }
    }
    let left: usize = p.left_out.iter().map(|(_, f)| f.len()).sum();
    if left > 0 {
        let _ = writeln!(out, "not imported ({left}):");
        for (reason, feeds) in &p.left_out {
            let _ = writeln!(out, "  {reason}{}:", hint(reason));
            for (name, url) in feeds {
                let _ = writeln!(out, "    {url} ({name})");
            }
        }
    }
    if !p.renamed.is_empty() {
        let _ = writeln!(out, "ids changed:");
        for (wanted, got, why) in &p.renamed {
            let _ = writeln!(out, "  {wanted} → {got} ({why})");
        }
    }
    if !p.problems.is_empty() {
        let _ = writeln!(out, "problems in the file ({}):", p.problems.len());
        for (_, problem) in &p.problems {
            let _ = writeln!(out, "  {problem}");
        }
    }
    if dry_run {
        let changes = !p.add.is_empty() || !p.new_categories.is_empty() || !p.new_regions.is_empty();
        if changes {
            let _ = writeln!(out, "--dry-run: nothing written; this would be appended to {}:\n", o.sources.display());
            out.push_str(&o.toml);
        } else {
            let _ = writeln!(out, "--dry-run: nothing would be written");
        }
    } else if o.written {
        let _ = writeln!(out, "reload the service (systemctl reload syndic) to start polling them");
    }
    out
}

/// What kind the new sources are, what that means and how to choose the other.
fn kind_line(kind: SourceKind) -> String {
    let (means, other) = match kind {
        SourceKind::Partner => ("their stories are also in /feeds/partners.*", "--kind regional if they are the portal's own newsrooms"),
        SourceKind::Regional => ("the portal's own newsrooms, not in /feeds/partners.*", "--kind partner if they are other sites' feeds"),
    };
    format!("kind: {} ({means}) unless the outline has syndic:kind; {other}", kind.as_str())
}

/// The flag that would bring these feeds in.
fn hint(reason: &str) -> &'static str {
    if reason.starts_with("folder") {
        " (--create-categories makes it one; --category SLUG puts its feeds in one)"
    } else if reason.starts_with("in ") {
        " (--category SLUG puts them in one)"
    } else {
        " (--create-categories adds it)"
    }
}
