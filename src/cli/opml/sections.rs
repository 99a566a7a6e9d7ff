//! The categories and regions a feed goes to, configured or made by the
//! import.
//!
//! A folder is a category when its title, folded (case, `ё`), equals a
//! category's title or slug, or when their transliterations agree
//! («Политика», `politika` and `Politika` all name the category titled
//! «Политика», whatever its slug). In nested folders the innermost one that
//! is a category counts. syndic's own `syndic:category` names the slug
//! outright. A feed in no category folder goes to `--category` when given;
//! a folder that is no category becomes one with `--create-categories`;
//! otherwise its feeds are reported and left out. A reader's catch-all
//! folder (Miniflux's "All", FreshRSS's «Без категории») counts as no
//! folder: it is never made a category. A region is known by its
//! slug, or by the title a syndic export's head gives it.

use std::collections::HashSet;

use super::Options;
use super::naming::{self, fold};
use super::read::{Document, Feed, Unique};
use crate::config::{Config, Section};

/// A category or region chosen for a feed, maybe still to be made.
pub(super) enum Choice {
    /// Configured, or made already for an earlier feed.
    Existing(String),
    /// To be made.
    New(Section),
}

/// The category chosen, why, and why over the other folders listing it.
pub(super) struct CategoryChoice {
    pub slug: Choice,
    pub because: String,
    pub why: &'static str,
}

/// The categories and regions configured and those the import makes.
pub(super) struct Sections<'a> {
    doc: &'a Document,
    options: &'a Options,
    categories: Index,
    regions: Index,
    pub new_categories: Index,
    pub new_regions: Index,
}

impl<'a> Sections<'a> {
    pub fn new(doc: &'a Document, config: &Config, options: &'a Options) -> Sections<'a> {
        let mut s = Sections {
            doc,
            options,
            categories: Index::of(&config.categories),
            regions: Index::of(&config.regions),
            new_categories: Index::default(),
            new_regions: Index::default(),
        };
        if options.create_categories {
            // What a syndic export declares comes along, empty or not,
            // unless it is here under another slug.
            for (slug, title) in &doc.categories {
                if s.categories.find(slug).is_none() && s.categories.find(title).is_none() && !s.new_categories.has_slug(slug) {
                    s.new_categories.sections.push(Section { slug: slug.clone(), title: title.clone() });
                }
            }
            for (slug, title) in &doc.regions {
                if !s.regions.has_slug(slug) && s.regions.find(title).is_none() && !s.new_regions.has_slug(slug) {
                    s.new_regions.sections.push(Section { slug: slug.clone(), title: title.clone() });
                }
            }
        }
        s
    }

    /// The feed's category, or why it has none.
    pub fn category(&self, u: &Unique<'_>) -> Result<CategoryChoice, String> {
        let create = self.options.create_categories;
        let existing = |slug: String, because: String, why| Ok(CategoryChoice { slug: Choice::Existing(slug), because, why });
        match place(u, &self.categories) {
            Placed::Category { slug, because, why } => existing(slug, because, why),
            Placed::Folder(folder) if create => {
                let because = format!("new category from folder «{folder}»");
                let why = "no folder is a category; the first one listed became one";
                match self.new_categories.find(&folder) {
                    Some(slug) => existing(slug, because, why),
                    None => Ok(CategoryChoice { slug: Choice::New(self.new_categories.section(&folder, &self.categories)), because, why }),
                }
            }
            Placed::Slug(slug, folder) if create => {
                let (because, why) = ("new category from syndic:category".to_string(), "syndic:category names it");
                if self.new_categories.has_slug(&slug) {
                    return existing(slug, because, why);
                }
                let title = folder.unwrap_or_else(|| slug.clone());
                Ok(CategoryChoice { slug: Choice::New(Section { slug, title }), because, why })
            }
            _ if self.options.category.is_some() => {
                existing(self.options.category.clone().unwrap_or_default(), "--category".into(), "no folder is a category; --category")
            }
            Placed::Folder(folder) => Err(format!("folder «{folder}» is not a category")),
            Placed::Slug(slug, folder) => {
                let folder = folder.map(|f| format!(" (folder «{f}»)")).unwrap_or_default();
                Err(format!("category \"{slug}\"{folder} is not configured"))
            }
            Placed::Nowhere => Err("in no folder".to_string()),
            Placed::CatchAll(folder) => Err(format!("in the reader's catch-all folder «{folder}»")),
        }
    }

    /// The feed's region (by slug, or by the title the file's head gives
    /// it), or why it cannot have it.
    pub fn region(&self, slug: Option<&str>) -> Result<Option<Choice>, String> {
        let Some(slug) = slug else { return Ok(None) };
        if self.regions.has_slug(slug) || self.new_regions.has_slug(slug) {
            return Ok(Some(Choice::Existing(slug.to_string())));
        }
        let title = self.doc.regions.iter().find(|(s, _)| s == slug).map(|(_, t)| t.clone());
        if let Some(found) = title.as_deref().and_then(|t| self.regions.find(t)) {
            return Ok(Some(Choice::Existing(found)));
        }
        if self.options.create_categories {
            return Ok(Some(Choice::New(Section { slug: slug.to_string(), title: title.unwrap_or_else(|| slug.to_string()) })));
        }
        Err(format!("region \"{slug}\" is not configured"))
    }

    pub fn make_category(&mut self, choice: Choice) -> String {
        make(&mut self.new_categories, choice)
    }

    pub fn make_region(&mut self, choice: Choice) -> String {
        make(&mut self.new_regions, choice)
    }
}

fn make(index: &mut Index, choice: Choice) -> String {
    match choice {
        Choice::Existing(slug) => slug,
        Choice::New(section) => {
            let slug = section.slug.clone();
            if !index.has_slug(&slug) {
                index.sections.push(section);
            }
            slug
        }
    }
}

enum Placed {
    /// A configured category, why, and why over other folders.
    Category { slug: String, because: String, why: &'static str },
    /// The innermost folder of the first listing; no category.
    Folder(String),
    /// syndic:category names a slug that is not configured (and the folder title).
    Slug(String, Option<String>),
    /// In no folder at all.
    Nowhere,
    /// Only in a reader's catch-all folder (its title).
    CatchAll(String),
}

fn place(u: &Unique<'_>, categories: &Index) -> Placed {
    // syndic:category is exact when the slug is configured here.
    let named = u.all.iter().find_map(|f| f.syndic.get("category").map(|slug| (slug, f)));
    if let Some((slug, _)) = named
        && categories.has_slug(slug)
    {
        return Placed::Category { slug: slug.clone(), because: "syndic:category".into(), why: "syndic:category names it" };
    }
    for f in &u.all {
        for folder in f.folders.iter().rev() {
            if let Some(slug) = categories.find(folder) {
                return Placed::Category {
                    slug,
                    because: format!("folder «{folder}»"),
                    why: "the first folder in the file that is a category",
                };
            }
        }
    }
    if let Some((slug, f)) = named {
        return Placed::Slug(slug.clone(), f.folders.last().cloned());
    }
    let innermost = |f: &&Feed| f.folders.iter().rev().find(|t| !is_catch_all(t)).cloned();
    match (u.all.iter().find_map(innermost), u.all.iter().find_map(|f| f.folders.last())) {
        (Some(folder), _) => Placed::Folder(folder),
        (None, Some(catch_all)) => Placed::CatchAll(catch_all.clone()),
        (None, None) => Placed::Nowhere,
    }
}

/// The folder a reader puts feeds in when the user chose none (Miniflux's
/// "All", FreshRSS's "Uncategorized" in its languages): no category.
fn is_catch_all(title: &str) -> bool {
    const CATCH_ALL: &[&str] = &["all", "uncategorized", "uncategorised", "sans catégorie", "без категории", "без рубрики", "санатсыз"];
    CATCH_ALL.contains(&fold(title).as_str())
}

/// Categories (or regions) by every name that finds them.
#[derive(Default)]
pub(super) struct Index {
    pub sections: Vec<Section>,
}

impl Index {
    fn of(sections: &[Section]) -> Index {
        Index { sections: sections.to_vec() }
    }

    fn has_slug(&self, slug: &str) -> bool {
        self.sections.iter().any(|s| s.slug == slug)
    }

    /// The slug of the section `name` names.
    fn find(&self, name: &str) -> Option<String> {
        let folded = fold(name);
        let translit = naming::slug(name);
        self.sections
            .iter()
            .find(|s| {
                fold(&s.title) == folded
                    || s.slug == folded
                    || (!translit.is_empty() && (s.slug == translit || naming::slug(&s.title) == translit))
            })
            .map(|s| s.slug.clone())
    }

    /// A section for folder `title` with a slug unlike any in `self` or
    /// `configured` (not added: see [`make`]).
    fn section(&self, title: &str, configured: &Index) -> Section {
        let mut taken: HashSet<String> = self.sections.iter().chain(&configured.sections).map(|s| s.slug.clone()).collect();
        taken.extend(["all", "partners", "region"].map(String::from));
        let base = naming::slug(title);
        let slug = naming::unique(if base.is_empty() { "category" } else { &base }, &mut taken);
        Section { slug, title: title.to_string() }
    }
}

#[cfg(test)]
mod tests;
