//! Reading one log as a stream: gzip detected by its magic bytes and inflated as it is read,
//! the format detected on the head, then line-oriented formats cut into chunks at line ends
//! and counted in parallel, a few chunks in memory at a time — so memory does not grow with
//! the log. A HAR document is parsed as a stream, entry by entry.

use std::io::{BufRead, BufReader, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use rayon::iter::{ParallelBridge, ParallelIterator};

use super::agg::{Agg, Ctx};
use super::parse;
use super::summary;
use super::time::Time;
use super::{LogFormat, LogLocation};

/// How much of a log is looked at to tell its format.
const HEAD: usize = 64 << 10;
/// Chunks of about this many bytes are counted in parallel.
pub(super) const CHUNK: usize = 1 << 20;
/// A line longer than this is not a log line: counted as malformed and skipped unread.
const MAX_LINE: usize = 8 << 20;
/// Bytes asked of the reader at a time.
const READ: usize = 256 << 10;

/// A log's format and what its lines said.
pub(super) struct Read1 {
    pub format: LogFormat,
    pub gzip: bool,
    pub agg: Agg,
    /// NUL bytes dropped from it.
    pub nul_bytes: u64,
}

/// Why a log could not be read (the message never quotes it).
pub(super) type ReadError = String;

fn gzip_error(e: &std::io::Error) -> ReadError {
    format!("cannot decompress (corrupt gzip?): {e}")
}

/// Reads one log: `raw` is the file (or stream) as stored; at most `limit` bytes of it
/// (after decompression) are read.
pub(super) fn read(
    raw: impl Read + Send,
    ctx: &mut Ctx<'_>,
    chunk: usize,
    limit: u64,
) -> Result<Read1, ReadError> {
    let mut raw = BufReader::with_capacity(READ, raw);
    let magic = raw
        .fill_buf()
        .map_err(|e| format!("cannot read the usage log: {e}"))?;
    let gzip = magic.starts_with(&[0x1f, 0x8b]);
    let inner: Box<dyn Read + Send> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let guard = Guard {
        inner,
        read: 0,
        limit,
        refused: Arc::default(),
    };
    let refused = Arc::clone(&guard.refused);
    let nuls = Arc::new(AtomicU64::new(0));
    let reader = NulSkip {
        inner: guard,
        dropped: Arc::clone(&nuls),
    };
    // What the guard refused is the reason, whatever the parser made of the error it saw.
    let mut read =
        read_guarded(reader, ctx, chunk, gzip).map_err(|e| refused.get().cloned().unwrap_or(e))?;
    read.nul_bytes = nuls.load(Ordering::Relaxed);
    Ok(read)
}

/// Drops NUL bytes: a log truncated in place while its server kept writing (logrotate's
/// `copytruncate`) starts with a hole of them, and no log format writes one. They are
/// counted and said; the lines around them are read as usual.
struct NulSkip<R> {
    inner: R,
    dropped: Arc<AtomicU64>,
}

impl<R: Read> Read for NulSkip<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            let Some(first) = memchr::memchr(0, &buf[..n]) else {
                return Ok(n);
            };
            // A run of NUL bytes is dropped whole (checked 64 bytes at a time, which
            // vectorises), so even an endless one is read at the speed of the disk.
            if buf[first..n]
                .chunks(64)
                .all(|c| c.iter().fold(0, |a, &b| a | b) == 0)
            {
                self.dropped
                    .fetch_add((n - first) as u64, Ordering::Relaxed);
                if first > 0 {
                    return Ok(first);
                }
                continue;
            }
            let mut kept = first;
            for i in first..n {
                let b = buf[i];
                buf[kept] = b;
                kept += usize::from(b != 0);
            }
            self.dropped.fetch_add((n - kept) as u64, Ordering::Relaxed);
            // Only NUL bytes: read on (the guard ends an endless stream of them).
            if kept > 0 {
                return Ok(kept);
            }
        }
    }
}

/// Stops a log that goes on past `--max-usage-size` (an endless stream, `/dev/zero`, a
/// decompression bomb), so every run ends.
struct Guard<R> {
    inner: R,
    read: u64,
    limit: u64,
    refused: Arc<OnceLock<ReadError>>,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(why) = self.refused.get() {
            return Err(std::io::Error::other(why.clone()));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            let why = self.refused.get_or_init(|| {
                format!(
                    "longer than {} (--max-usage-size): stopped reading it; raise the cap to read it all",
                    crate::source::human_size(self.limit)
                )
            });
            return Err(std::io::Error::other(why.clone()));
        }
        Ok(n)
    }
}

fn read_guarded(
    mut reader: impl Read + Send,
    ctx: &mut Ctx<'_>,
    chunk: usize,
    gzip: bool,
) -> Result<Read1, ReadError> {
    let mut head = Vec::with_capacity(HEAD);
    (&mut reader)
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(|e| {
            if gzip {
                gzip_error(&e)
            } else {
                format!("cannot read the usage log: {e}")
            }
        })?;
    if head.starts_with(b"\xEF\xBB\xBF") {
        head.drain(..3);
    }
    let text = parse::head_text(&head);
    if parse::looks_like_definition(text) {
        return Err(
            "is a token definition file, not a usage log: name definition files \
                    before `--usage`, or after `--`"
                .into(),
        );
    }
    let first_line = text.lines().next().unwrap_or("");
    ctx.columns = None;
    ctx.format = if parse::looks_like_har(text) {
        LogFormat::Har
    } else if let Some(cols) = summary::csv_header(first_line) {
        ctx.columns = Some(cols);
        LogFormat::SummaryCsv
    } else if first_line.trim_start().starts_with('{') {
        if summary::is_json_record(first_line) {
            LogFormat::SummaryJsonLines
        } else {
            LogFormat::JsonLines
        }
    } else {
        LogFormat::Text
    };
    let agg = if ctx.format == LogFormat::Har {
        read_har(std::io::Cursor::new(head).chain(reader), ctx, gzip)?
    } else {
        read_lines(Chunks::new(reader, head, chunk, gzip), ctx)?
    };
    Ok(Read1 {
        format: ctx.format,
        gzip,
        agg,
        nul_bytes: 0,
    })
}

fn read_har(reader: impl Read, ctx: &Ctx<'_>, gzip: bool) -> Result<Agg, ReadError> {
    let mut agg = Agg::default();
    let mut entries = 0u64;
    super::har::read(reader, &mut |r, n| {
        entries = n;
        agg.request(ctx, &r, 1, Time::Missing, LogLocation { file: 0, line: n });
    })
    .map_err(|e| {
        if gzip && e.contains("read error") {
            "cannot decompress (corrupt gzip?)".to_string()
        } else {
            e
        }
    })?;
    agg.lines = entries;
    agg.chunk_lines.push((0, 0));
    Ok(agg)
}

fn read_lines<R: Read + Send>(chunks: Chunks<R>, ctx: &Ctx<'_>) -> Result<Agg, ReadError> {
    let stop = AtomicBool::new(false);
    let summary_csv = ctx.format == LogFormat::SummaryCsv;
    let chunks = chunks.take_while(|_| !stop.load(Ordering::Relaxed));
    let mut agg = chunks
        .par_bridge()
        .fold(Agg::default, |mut agg, piece| {
            match piece {
                Ok(Piece::Text { seq, start, bytes }) => match std::str::from_utf8(&bytes) {
                    Ok(text) => agg.chunk(ctx, seq, text, summary_csv && seq == 0),
                    Err(e) => {
                        let at = e.valid_up_to();
                        let line = memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64 + 1;
                        agg.utf8_error(seq, line, start + at as u64);
                        stop.store(true, Ordering::Relaxed);
                    }
                },
                Ok(Piece::Overlong { seq }) => agg.overlong(seq),
                Err(e) => {
                    agg.read_error.get_or_insert(e);
                    stop.store(true, Ordering::Relaxed);
                }
            }
            agg
        })
        .reduce(Agg::default, |mut a, b| {
            a.absorb(b);
            a
        });
    if let Some(e) = agg.read_error.take() {
        return Err(e);
    }
    if let Some((seq, line, byte)) = agg.bad_utf8 {
        let before: u64 = agg
            .chunk_lines
            .iter()
            .filter(|(c, _)| *c < seq)
            .map(|(_, n)| n)
            .sum();
        return Err(format!(
            "not valid UTF-8 (line {}, byte {byte}): is it a log file?",
            before + line
        ));
    }
    Ok(agg)
}

/// A piece of a line-oriented log: whole lines, or a line too long to read.
enum Piece {
    Text {
        seq: u32,
        start: u64,
        bytes: Vec<u8>,
    },
    Overlong {
        seq: u32,
    },
}

/// Cuts a stream into pieces that end at a line end.
struct Chunks<R> {
    reader: R,
    gzip: bool,
    /// Bytes read after the last line end handed out.
    carry: Vec<u8>,
    seq: u32,
    /// Bytes handed out so far.
    offset: u64,
    size: usize,
    eof: bool,
    /// Skipping the rest of an overlong line.
    skipping: bool,
    done: bool,
}

impl<R: Read> Chunks<R> {
    fn new(reader: R, head: Vec<u8>, size: usize, gzip: bool) -> Self {
        Chunks {
            reader,
            gzip,
            carry: head,
            seq: 0,
            offset: 0,
            size: size.max(1),
            eof: false,
            skipping: false,
            done: false,
        }
    }

    /// Reads more into `buf`; `Ok(false)` at the end of the stream.
    fn fill(&mut self, buf: &mut Vec<u8>) -> Result<bool, ReadError> {
        let len = buf.len();
        buf.resize(len + READ, 0);
        let n = loop {
            match self.reader.read(&mut buf[len..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    buf.truncate(len);
                    return Err(if self.gzip {
                        gzip_error(&e)
                    } else {
                        format!("cannot read the usage log: {e}")
                    });
                }
            }
        };
        buf.truncate(len + n);
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    fn piece(&mut self, bytes: Vec<u8>) -> Piece {
        let seq = self.seq;
        self.seq += 1;
        let start = self.offset;
        self.offset += bytes.len() as u64;
        Piece::Text { seq, start, bytes }
    }

    fn next_piece(&mut self) -> Result<Option<Piece>, ReadError> {
        while self.skipping {
            let mut buf = std::mem::take(&mut self.carry);
            match memchr::memchr(b'\n', &buf) {
                Some(nl) => {
                    self.offset += nl as u64 + 1;
                    self.carry = buf.split_off(nl + 1);
                    self.skipping = false;
                }
                None => {
                    self.offset += buf.len() as u64;
                    buf.clear();
                    if !self.fill(&mut buf)? {
                        return Ok(None);
                    }
                    self.carry = buf;
                }
            }
        }
        let mut buf = std::mem::take(&mut self.carry);
        loop {
            if buf.len() >= self.size || self.eof {
                if let Some(nl) = memchr::memrchr(b'\n', &buf) {
                    self.carry = buf.split_off(nl + 1);
                    return Ok(Some(self.piece(buf)));
                }
                if self.eof {
                    return Ok((!buf.is_empty()).then(|| self.piece(buf)));
                }
                if buf.len() >= MAX_LINE {
                    self.offset += buf.len() as u64;
                    self.skipping = true;
                    let seq = self.seq;
                    self.seq += 1;
                    return Ok(Some(Piece::Overlong { seq }));
                }
            }
            self.fill(&mut buf)?;
        }
    }
}

impl<R: Read> Iterator for Chunks<R> {
    type Item = Result<Piece, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_piece() {
            Ok(Some(p)) => Some(Ok(p)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
