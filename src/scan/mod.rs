//! `scopeward scan`: impact.com credentials committed to any file of a tree.
//!
//! Walks like ripgrep (`.gitignore` respected, binaries and files over a size limit skipped,
//! symbolic links not followed) but also looks in hidden files such as `.env`, where secrets
//! live; only `.git` itself is skipped. Files named on the command line are always read.

pub mod detect;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use detect::{Evidence, Hit};

use crate::diag::{Failure, io_reason};
use crate::filter::{self, BaselineFile, FilterInput};
use crate::finding::{Finding, FindingBuilder, Inputs, Severity, fingerprint};
use crate::model::Day;
use crate::policy::Policy;
use crate::redact::redact;
use crate::report::{Report, ScanStats};
use crate::rules::{CommittedCredential, Sink};
use crate::source::{FileId, SourceFile, SourceMap, Span, display_path};

/// How to scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Files larger than this many bytes are skipped (and counted).
    pub max_filesize: u64,
    /// Walker threads.
    pub threads: usize,
    /// The name standard input (`-`) is shown under.
    pub stdin_name: Option<String>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_filesize: 1 << 20,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            stdin_name: None,
        }
    }
}

/// A file with something in it: its text (for snippets, masked before display) and its hits.
#[derive(Debug)]
pub struct ScannedFile {
    pub display: String,
    pub path: PathBuf,
    pub text: String,
    pub hits: Vec<Hit>,
}

/// What a scan saw.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Files with hits, sorted by path.
    pub files: Vec<ScannedFile>,
    /// Files read and searched.
    pub scanned: usize,
    pub skipped_binary: usize,
    pub skipped_large: usize,
    pub failures: Vec<Failure>,
}

#[derive(Default)]
struct Tally {
    files: Vec<ScannedFile>,
    scanned: usize,
    skipped_binary: usize,
    skipped_large: usize,
    failures: Vec<Failure>,
}

/// Bytes looked at to decide that a file is binary (as ripgrep and git do: a NUL byte).
const BINARY_PROBE: usize = 8 << 10;

/// Scans files and directories.
pub fn scan_paths(paths: &[PathBuf], cwd: &Path, options: &ScanOptions) -> ScanResult {
    let tally = Mutex::new(Tally::default());
    for arg in paths {
        if crate::source::is_stdin(arg) {
            scan_stdin(arg, options, &tally);
            continue;
        }
        let full = crate::source::on_disk(cwd, arg);
        // A path named on the command line is read whatever it is: a symbolic link the user
        // named is followed (the walk never follows one), a FIFO or device is read as a stream.
        let meta = match std::fs::metadata(&full) {
            Ok(m) => m,
            Err(e) => {
                lock(&tally).failures.push(Failure {
                    path: arg.display().to_string(),
                    message: format!("cannot read: {}", io_reason(&e)),
                });
                continue;
            }
        };
        if meta.is_dir() {
            walk(arg, &full, options, &tally);
        } else {
            scan_file(
                &full,
                display_path(arg, Path::new("")),
                if meta.is_file() { meta.len() } else { 0 },
                options,
                &tally,
                &mut Vec::new(),
            );
        }
    }
    let t = tally.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut files = t.files;
    files.sort_by(|a, b| a.display.cmp(&b.display));
    files.dedup_by(|a, b| a.display == b.display);
    let mut failures = t.failures;
    failures.sort_by(|a, b| a.path.cmp(&b.path));
    ScanResult {
        files,
        scanned: t.scanned,
        skipped_binary: t.skipped_binary,
        skipped_large: t.skipped_large,
        failures,
    }
}

/// `-`: standard input, up to the size cap.
fn scan_stdin(arg: &Path, options: &ScanOptions, tally: &Mutex<Tally>) {
    let display = options
        .stdin_name
        .clone()
        .unwrap_or_else(|| crate::source::STDIN_NAME.to_string());
    match crate::source::read_capped(std::io::stdin().lock(), options.max_filesize) {
        Ok(Some(bytes)) => scan_bytes(&bytes, display, arg, tally),
        Ok(None) => lock(tally).skipped_large += 1,
        Err(e) => lock(tally).failures.push(Failure::new(
            display,
            format!("cannot read: {}", io_reason(&e)),
        )),
    }
}

/// Walks a directory in parallel, as ripgrep does but into hidden files (not `.git`).
fn walk(arg: &Path, full: &Path, options: &ScanOptions, tally: &Mutex<Tally>) {
    let walker = ignore::WalkBuilder::new(full)
        .hidden(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .ignore(true)
        .parents(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .threads(options.threads.max(1))
        .build_parallel();
    walker.run(|| {
        // One read buffer per walker thread: fresh pages per file cost more than the search.
        let mut buf = Vec::new();
        Box::new(move |entry| {
            match entry {
                Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                    let rel = entry.path().strip_prefix(full).unwrap_or(entry.path());
                    let shown = if arg.as_os_str() == "." {
                        rel.to_path_buf()
                    } else {
                        arg.join(rel)
                    };
                    let len = entry.metadata().map_or(0, |m| m.len());
                    let display = display_path(&shown, Path::new(""));
                    scan_file(entry.path(), display, len, options, tally, &mut buf);
                }
                Ok(_) => {}
                Err(e) => lock(tally).failures.push(Failure {
                    path: arg.display().to_string(),
                    message: format!("cannot walk: {e}"),
                }),
            }
            ignore::WalkState::Continue
        })
    });
}

/// How to turn a scan into a report.
#[derive(Clone, Copy, Debug)]
pub struct ReportOptions<'a> {
    pub as_of: Day,
    /// `false` with `--no-ignores`.
    pub apply_ignores: bool,
    pub baseline: Option<&'a BaselineFile>,
}

/// The findings of a scan, filtered like `check`'s (inline ignores after `#` or `//`,
/// `[[ignore]]`, the baseline), in a report any format renders. Every secret is masked in
/// the sources it carries (Account SIDs are identifiers and stay readable).
pub fn into_report(
    result: ScanResult,
    mut sources: SourceMap,
    policy: &Policy,
    options: &ReportOptions<'_>,
) -> Report {
    let mut sink = Sink::new(policy);
    for file in result.files {
        let mut source = SourceFile::new(file.display, Some(file.path), file.text);
        for hit in &file.hits {
            if hit.evidence != Evidence::BareSid {
                source.redact(hit.range.start, hit.range.end);
            }
        }
        // Anything else secret-shaped in the lines a snippet shows is masked too.
        source.redact_scanned();
        let id = sources.add(source);
        let text = sources.get(id).text();
        for hit in &file.hits {
            sink.push(credential_finding(id, text, hit));
        }
    }
    let filtered = filter::apply(
        sink.into_findings(),
        &FilterInput {
            sources: &sources,
            files: &[],
            formats: &Default::default(),
            policy,
            as_of: options.as_of,
            apply_ignores: options.apply_ignores,
            baseline: options.baseline,
            inputs: Inputs {
                scan: true,
                ..Inputs::default()
            },
        },
    );
    let mut findings = filtered.active;
    findings.sort_by(|a, b| {
        (a.location.map(|s| (s.file, s.start)), &a.message)
            .cmp(&(b.location.map(|s| (s.file, s.start)), &b.message))
    });
    Report {
        sources,
        findings,
        suppressed: filtered.suppressed,
        baseline: filtered.baseline,
        inventory: Vec::new(),
        errors: filtered.errors,
        failures: result.failures,
        files: result.scanned,
        skipped: Vec::new(),
        tokens: 0,
        as_of: options.as_of,
        scan: Some(ScanStats {
            skipped_binary: result.skipped_binary,
            skipped_large: result.skipped_large,
        }),
    }
}

/// The finding for one hit of `scan`, located at the secret in `file`.
pub fn credential_finding(file: FileId, text: &str, hit: &Hit) -> Finding {
    let value = &text[hit.range.clone()];
    let shown = redact(value);
    let sid = hit.sid.as_deref();
    let message = match hit.evidence {
        Evidence::CredentialUrl => format!(
            "impact.com Auth Token `{shown}` in a URL with credentials{}",
            sid.map_or(String::new(), |s| format!(" for Account SID `{s}`"))
        ),
        Evidence::ToldByName => format!(
            "impact.com Auth Token `{shown}` assigned to `{}`",
            hit.name.as_deref().unwrap_or("?")
        ),
        Evidence::GenericNameInImpactFile => format!(
            "Auth Token `{shown}` assigned to `{}` in a file about impact.com",
            hit.name.as_deref().unwrap_or("?")
        ),
        Evidence::BesideSid => format!(
            "impact.com Auth Token `{shown}` beside its Account SID `{}`",
            sid.unwrap_or("?")
        ),
        Evidence::BareSid => format!(
            "impact.com Account SID `{value}` with no Auth Token beside it (an identifier, not a secret)"
        ),
    };
    // What the finding is about, never where: a hash of the secret and its name.
    let subject = fingerprint(&[value, hit.name.as_deref().unwrap_or("")]);
    let mut b = FindingBuilder::new(&CommittedCredential::META, message).subject(subject.as_str());
    if let Some(s) = sid {
        b = b.token_name(s);
    }
    let span = Span::new(file, hit.range.start, hit.range.end);
    if hit.evidence == Evidence::BareSid {
        b.severity(Severity::Info)
            .help("nothing to do if this is meant to be here; an Auth Token must never be")
            .label("Account SID")
            .at(span)
    } else {
        b.help("remove it (and from the history), reset the token in impact.com — the old Auth Token stops working at once — and read the new one from the environment or a secret store")
            .label("Auth Token")
            .at(span)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn scan_file(
    path: &Path,
    display: String,
    len: u64,
    options: &ScanOptions,
    tally: &Mutex<Tally>,
    buf: &mut Vec<u8>,
) {
    if len > options.max_filesize {
        lock(tally).skipped_large += 1;
        return;
    }
    buf.clear();
    let read = std::fs::File::open(path).and_then(|mut f| {
        use std::io::Read;
        // Never more than the limit, even if the file grew since it was listed.
        f.by_ref().take(options.max_filesize + 1).read_to_end(buf)
    });
    if let Err(e) = read {
        lock(tally).failures.push(Failure {
            path: display,
            message: format!("cannot read: {}", io_reason(&e)),
        });
        return;
    }
    if buf.len() as u64 > options.max_filesize {
        lock(tally).skipped_large += 1;
        return;
    }
    scan_bytes(buf, display, path, tally);
}

/// Searches one file's bytes (a file with a NUL byte near its start is binary: skipped).
fn scan_bytes(bytes: &[u8], display: String, path: &Path, tally: &Mutex<Tally>) {
    if memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some() {
        lock(tally).skipped_binary += 1;
        return;
    }
    // Search the bytes; only a file with something in it is made text (for snippets).
    let hits = detect::scan(bytes);
    let (text, hits) = if hits.is_empty() {
        (String::new(), hits)
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => (text, hits),
            Err(e) => {
                // Offsets must be those of the text shown: scan the repaired text.
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let hits = detect::scan(text.as_bytes());
                (text, hits)
            }
        }
    };
    let mut t = lock(tally);
    t.scanned += 1;
    if !hits.is_empty() {
        t.files.push(ScannedFile {
            display,
            path: path.to_path_buf(),
            text,
            hits,
        });
    }
}
