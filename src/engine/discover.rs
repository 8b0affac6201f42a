//! Finding token definition files under the paths given. Named paths are always read,
//! whatever their kind (a regular file, a FIFO, a device, `-` for standard input); directories
//! are walked with the policy's `include` and `exclude` globs, respecting `.gitignore` and
//! skipping hidden files and folders. Globs match the path relative to the policy file's
//! directory (or, without one, the working directory).

use crate::source::plural;
use std::path::{Path, PathBuf};

use crate::diag::{Failure, io_reason};
use crate::policy::Policy;
use crate::source::{display_path, is_stdin, on_disk};
use crate::tree::Format;

/// What the walk found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Definition files to read, sorted and de-duplicated: named ones as given, walked ones
    /// relative to the working directory where they are under it.
    pub files: Vec<PathBuf>,
    /// Those of `files` named on the command line (not found by walking): a file among them
    /// that is not a definition is an error, not a skip.
    pub named: Vec<PathBuf>,
    /// Paths that could not be read or walked.
    pub failures: Vec<Failure>,
    /// Files the walk saw with a definition extension that no `include` glob matched.
    pub not_included: usize,
    /// Files an `exclude` glob kept out.
    pub excluded: usize,
}

/// Finds token definition files: named paths as given, directories walked.
pub fn discover(paths: &[PathBuf], policy: &Policy, cwd: &Path) -> Discovery {
    let base = glob_base(policy, cwd);
    let mut found = Discovery::default();
    for arg in paths {
        if is_stdin(arg) {
            found.files.push(arg.clone());
            found.named.push(arg.clone());
            continue;
        }
        let full = on_disk(cwd, arg);
        let meta = match std::fs::metadata(&full) {
            Ok(m) => m,
            Err(e) => {
                found.failures.push(Failure::new(
                    display_path(arg, Path::new("")),
                    format!("cannot read: {}", io_reason(&e)),
                ));
                continue;
            }
        };
        if !meta.is_dir() {
            // A regular file needs a definition extension; a stream (FIFO, device) is read
            // as it comes, as YAML unless its name says otherwise.
            if meta.is_file() && Format::from_path(arg).is_none() {
                found.failures.push(Failure::new(
                    display_path(arg, Path::new("")),
                    "not a token definition file: expected .yaml, .yml, .toml or .json",
                ));
            } else {
                found.files.push(arg.clone());
                found.named.push(arg.clone());
            }
            continue;
        }
        walk(arg, &full, &base, policy, &mut found);
    }
    found.files.sort();
    found.files.dedup();
    found
}

fn walk(arg: &Path, full: &Path, base: &Path, policy: &Policy, found: &mut Discovery) {
    let walker = ignore::WalkBuilder::new(full)
        .hidden(true)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .follow_links(false)
        .sort_by_file_path(|a, b| a.cmp(b))
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                found.failures.push(Failure::new(
                    display_path(arg, Path::new("")),
                    format!("cannot walk: {e}"),
                ));
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if Format::from_path(entry.path()).is_none() {
            continue;
        }
        let matched = glob_path(entry.path(), base);
        if !policy.include_set.is_match(&matched) {
            found.not_included += 1;
            continue;
        }
        if policy.exclude_set.is_match(&matched) {
            found.excluded += 1;
            continue;
        }
        let rel = entry.path().strip_prefix(full).unwrap_or(entry.path());
        let shown = if arg.as_os_str() == "." {
            rel.to_path_buf()
        } else {
            arg.join(rel)
        };
        found.files.push(shown);
    }
}

/// The directory globs are relative to: the policy file's, else the working directory.
fn glob_base(policy: &Policy, cwd: &Path) -> PathBuf {
    let dir = policy
        .path
        .as_deref()
        .map(|p| on_disk(cwd, p))
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| cwd.to_path_buf());
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

/// The path a glob is matched against: relative to `base` when under it, else as it is (the
/// default `**/` globs match either way).
fn glob_path(path: &Path, base: &Path) -> PathBuf {
    if let Ok(rel) = path.strip_prefix(base) {
        return rel.to_path_buf();
    }
    match std::fs::canonicalize(path) {
        Ok(real) => real
            .strip_prefix(base)
            .map_or_else(|_| real.clone(), Path::to_path_buf),
        Err(_) => path.to_path_buf(),
    }
}

/// Why a walk found nothing, in a few words each: what matched no glob, what was excluded,
/// and definitions the walk does not read (in hidden folders, or ignored by `.gitignore`).
pub fn why_empty(paths: &[PathBuf], policy: &Policy, cwd: &Path, found: &Discovery) -> Vec<String> {
    let mut why = Vec::new();
    if found.not_included > 0 {
        why.push(format!(
            "{} with a definition extension matched no include glob",
            plural(found.not_included, "file", "files")
        ));
    }
    if found.excluded > 0 {
        why.push(format!(
            "{} excluded",
            plural(found.excluded, "file was", "files were")
        ));
    }
    let base = glob_base(policy, cwd);
    let (mut hidden, mut ignored) = (0, 0);
    for arg in paths.iter().filter(|p| !is_stdin(p)) {
        let full = on_disk(cwd, arg);
        if !full.is_dir() {
            continue;
        }
        let walker = ignore::WalkBuilder::new(&full)
            .standard_filters(false)
            .follow_links(false)
            .max_depth(Some(16))
            .build();
        for entry in walker.flatten().take(100_000) {
            if !entry.file_type().is_some_and(|t| t.is_file())
                || Format::from_path(entry.path()).is_none()
            {
                continue;
            }
            let rel = entry.path().strip_prefix(&full).unwrap_or(entry.path());
            if rel.components().any(|c| c.as_os_str() == ".git") {
                continue;
            }
            let matched = glob_path(entry.path(), &base);
            if !policy.include_set.is_match(&matched) || policy.exclude_set.is_match(&matched) {
                continue;
            }
            if rel
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
            {
                hidden += 1;
            } else {
                ignored += 1;
            }
        }
    }
    if hidden > 0 {
        why.push(format!(
            "{} matching an include glob {} in hidden folders, which are not walked: name the folder to check it",
            plural(hidden, "file", "files"),
            if hidden == 1 { "is" } else { "are" }
        ));
    }
    if ignored > 0 {
        why.push(format!(
            "{} matching an include glob {} ignored by .gitignore: name {} to check {}",
            plural(ignored, "file", "files"),
            if ignored == 1 { "is" } else { "are" },
            if ignored == 1 { "it" } else { "them" },
            if ignored == 1 { "it" } else { "them" },
        ));
    }
    why
}
