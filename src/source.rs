//! Source files, byte spans and line/column lookup.
//!
//! Every value loaded from a user's file keeps a [`Span`]: the file it came from and a byte range.
//! Line and column numbers are computed on demand from a line index, so a diagnostic costs a
//! binary search, not a scan of the file (miette's default lookup rescans from the start).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let end = u32::try_from(end).unwrap_or(u32::MAX).max(start);
        Span { file, start, end }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A one-based line and column; columns count Unicode scalar values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// One loaded file: its display path, its text and a line index.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as the user should read it (relative to the working directory where possible).
    pub display: String,
    /// The path on disk, if the file came from disk.
    pub path: Option<PathBuf>,
    text: Arc<String>,
    /// Built on first use: files without diagnostics never need it.
    line_starts: OnceLock<Vec<u32>>,
    /// Byte ranges whose contents must never be shown (secret values). Rendering masks them.
    redactions: Vec<(u32, u32)>,
}

impl SourceFile {
    pub fn new(display: impl Into<String>, path: Option<PathBuf>, text: impl Into<String>) -> Self {
        SourceFile {
            display: display.into(),
            path,
            text: Arc::new(text.into()),
            line_starts: OnceLock::new(),
            redactions: Vec::new(),
        }
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            // `\n`, `\r\n` and a lone `\r` each end a line (as YAML, TOML and editors count).
            let bytes = self.text.as_bytes();
            let mut starts = Vec::with_capacity(self.text.len() / 40 + 1);
            starts.push(0);
            starts.extend(
                memchr::memchr2_iter(b'\n', b'\r', bytes)
                    .filter(|&i| !(bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n')))
                    .map(|i| u32::try_from(i + 1).unwrap_or(u32::MAX)),
            );
            starts
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    /// Zero-based line index of a byte offset.
    pub fn line_index(&self, offset: usize) -> usize {
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        match self.line_starts().binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Byte offset where a zero-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts()
            .get(line)
            .map(|&s| s as usize)
            .unwrap_or(self.text.len())
    }

    /// Byte range of a zero-based line, without its line break.
    pub fn line_range(&self, line: usize) -> std::ops::Range<usize> {
        let start = self.line_start(line);
        let mut end = self.line_start(line + 1);
        let bytes = self.text.as_bytes();
        if end > start && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        start..end.max(start)
    }

    /// Where the text of a line begins for counting columns: after a byte order mark on the
    /// first line (it is not a character anyone sees).
    fn column_base(&self, line: usize) -> usize {
        let start = self.line_start(line);
        if line == 0 && self.text.starts_with('\u{feff}') {
            start + '\u{feff}'.len_utf8()
        } else {
            start
        }
    }

    /// One-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self
            .column_base(line)
            .min(floor_char_boundary(&self.text, offset));
        let column = floor_char_boundary(&self.text, offset)
            .checked_sub(start)
            .map(|_| {
                self.text[start..floor_char_boundary(&self.text, offset)]
                    .chars()
                    .count()
            })
            .unwrap_or(0);
        LineCol {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// One-based line and column of a byte offset, counting UTF-16 code units (SARIF's default).
    pub fn line_col_utf16(&self, offset: usize) -> LineCol {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_index(offset);
        let start = self.column_base(line).min(offset);
        let column: usize = self.text[start..offset].chars().map(char::len_utf16).sum();
        LineCol {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// Marks a byte range as secret: rendering shows at most its first four characters.
    pub fn redact(&mut self, start: usize, end: usize) {
        let (start, end) = (start as u32, end as u32);
        if end > start && !self.redactions.contains(&(start, end)) {
            self.redactions.push((start, end));
        }
    }

    /// Masks every secret a format-blind scan of the text finds (for files, such as the
    /// policy, that are not loaded as token definitions).
    pub fn redact_scanned(&mut self) {
        for found in crate::redact::scan_text(&self.text.clone()) {
            self.redact(found.range.start, found.range.end);
        }
    }

    pub fn has_redactions(&self) -> bool {
        !self.redactions.is_empty()
    }

    /// The text with every redacted range masked: the first four characters are kept, then `…`,
    /// then spaces so that byte offsets and line breaks stay where they were.
    pub fn display_text(&self) -> Arc<String> {
        if self.redactions.is_empty() {
            return self.text.clone();
        }
        let mut out = String::with_capacity(self.text.len());
        let mut ranges = self.redactions.clone();
        ranges.sort_unstable();
        let mut pos = 0usize;
        for (start, end) in ranges {
            let (start, end) = (start as usize, end as usize);
            if start < pos || end > self.text.len() {
                continue;
            }
            out.push_str(&self.text[pos..start]);
            let secret = &self.text[start..end];
            let masked = crate::redact::mask_same_len(secret);
            out.push_str(&masked);
            pos = end;
        }
        out.push_str(&self.text[pos..]);
        Arc::new(out)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// All files of one run.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(file);
        id
    }

    /// Reserves an id for a file that will be filled in later (parallel loading).
    pub fn next_id(&self) -> FileId {
        FileId(self.files.len() as u32)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn get_mut(&mut self, id: FileId) -> &mut SourceFile {
        &mut self.files[id.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
}

/// A path as a user reads it: relative to `base` when inside it, with `/` separators.
/// A path as the user gave it, on disk: relative to `cwd` (an absolute path stays as it is).
pub fn on_disk(cwd: &Path, path: &Path) -> PathBuf {
    cwd.join(path)
}

/// The default size cap of every input read whole (definitions, policy, baseline, listing,
/// catalogues): `--max-filesize` raises it.
pub const DEFAULT_MAX_FILESIZE: u64 = 100 << 20;

/// Why a file could not be read as text.
#[derive(Debug)]
pub enum ReadProblem {
    /// Not UTF-8: the first bad byte is at this offset (the text holds U+FFFD there).
    NotUtf8 {
        at: usize,
    },
    /// A UTF-16 byte order mark (its content is not kept).
    Utf16,
    /// A NUL byte: not a text file (its content is never shown).
    Binary {
        at: usize,
    },
    /// Over the size cap (its content is not kept).
    TooLarge {
        cap: u64,
    },
    Io(std::io::Error),
}

/// The name `-` (standard input) is shown under when `--stdin-filename` does not give one.
pub const STDIN_NAME: &str = "<stdin>";

/// Whether a path argument means standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Reads a named input as UTF-8 text, whatever its kind (a regular file, a FIFO, a device,
/// `/dev/stdin`, or `-` for standard input), never more than `cap` bytes. On invalid bytes the
/// valid prefix is kept, the first bad byte becomes U+FFFD, and the problem says where; a
/// binary, oversized or unreadable input keeps no text (so no snippet can show it).
pub fn read_file(path: &Path, display: String, cap: u64) -> (SourceFile, Option<ReadProblem>) {
    let on_disk = (!is_stdin(path)).then(|| path.to_path_buf());
    let read = if is_stdin(path) {
        read_capped(std::io::stdin().lock(), cap)
    } else {
        std::fs::File::open(path).and_then(|f| {
            // A regular file says its size: read it into one buffer of that size, not one
            // that doubles as it fills (twice the memory, and a copy per doubling).
            let size = f.metadata().map_or(0, |m| m.len());
            read_capped_sized(f, cap, size)
        })
    };
    let empty = |problem| {
        (
            SourceFile::new(display.clone(), on_disk.clone(), ""),
            Some(problem),
        )
    };
    let bytes = match read {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return empty(ReadProblem::TooLarge { cap }),
        Err(e) => return empty(ReadProblem::Io(e)),
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        // A UTF-16 byte order mark: not UTF-8 from its first byte.
        return empty(ReadProblem::Utf16);
    }
    if let Some(at) = memchr::memchr(0, &bytes) {
        return empty(ReadProblem::Binary { at });
    }
    match String::from_utf8(bytes) {
        Ok(text) => (SourceFile::new(display, on_disk, text), None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let file = SourceFile::new(display, on_disk, text);
            (file, Some(ReadProblem::NotUtf8 { at }))
        }
    }
}

/// Reads at most `cap` bytes; `None` when there is more.
pub fn read_capped(r: impl std::io::Read, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
    read_capped_sized(r, cap, 0)
}

/// [`read_capped`] of an input expected to hold `size` bytes (a hint: it may hold more, or
/// less, and 0 means unknown).
fn read_capped_sized(
    r: impl std::io::Read,
    cap: u64,
    size: u64,
) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    // One byte more than expected, so reading to the end needs no growth.
    let hint = usize::try_from(size.min(cap).saturating_add(1)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(if size == 0 { 0 } else { hint });
    r.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= cap).then_some(bytes))
}

/// `1 file`, `3 files`: a count with the word that agrees with it.
pub fn plural<N: std::fmt::Display + PartialEq + From<u8>>(n: N, one: &str, many: &str) -> String {
    let word = if n == N::from(1) { one } else { many };
    format!("{n} {word}")
}

/// `1.5 MiB`, `100 MiB`, `512 KiB`, `10 bytes`.
pub fn human_size(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if n >= size {
            let whole = n / size;
            let tenth = (n % size) * 10 / size;
            return if tenth == 0 {
                format!("{whole} {unit}")
            } else {
                format!("{whole}.{tenth} {unit}")
            };
        }
    }
    format!("{n} bytes")
}

pub fn display_path(path: &Path, base: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    let rel = rel.strip_prefix(".").unwrap_or(rel);
    let s = rel.to_string_lossy().replace('\\', "/");
    if s.is_empty() { ".".to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars_and_utf16() {
        let f = SourceFile::new("x", None, "a: 1\nbé: 𝄞x\n");
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(5), LineCol { line: 2, column: 1 });
        let x = f.text().find('x').unwrap();
        assert_eq!(f.line_col(x), LineCol { line: 2, column: 6 });
        assert_eq!(f.line_col_utf16(x), LineCol { line: 2, column: 7 });
        assert_eq!(f.line_range(1), 5..15);
    }

    #[test]
    fn display_text_masks_and_keeps_offsets() {
        let mut f = SourceFile::new("x", None, "t: abcdefghijklmnop\nnext: 1\n");
        f.redact(3, 19);
        let shown = f.display_text();
        assert!(shown.starts_with("t: abcd…"));
        assert!(!shown.contains("efgh"));
        assert_eq!(shown.len(), f.text().len());
        assert_eq!(shown.find("next"), f.text().find("next"));
    }
}
