//! Problems with the input: [`InputError`] (a diagnostic with a span in a file) and
//! [`Failure`] (a problem with no place in a file: a missing path, an unreadable directory, a
//! network that did not answer), gathered by one [`Diagnostics`] collector. Either makes a run
//! incomplete (exit 2).

use crate::redact;
use crate::source::{FileId, ReadProblem, Span};
use crate::tree::ParseError;
use crate::tree::de::DeError;

/// Input that cannot be understood: a diagnostic with a span, never a panic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    /// Where in the document (`tokens[3].scopes[1]`); empty for the whole file.
    pub path: String,
    pub related: Option<Box<(Span, String)>>,
}

impl InputError {
    /// The error with every secret-shaped part of its texts redacted (they quote user input).
    pub fn scrubbed(mut self) -> Self {
        for s in [
            Some(&mut self.message),
            self.help.as_mut(),
            Some(&mut self.path),
        ]
        .into_iter()
        .flatten()
        {
            if let std::borrow::Cow::Owned(clean) = redact::scrub(s) {
                *s = clean;
            }
        }
        self
    }

    pub fn new(span: Span, message: impl Into<String>) -> Self {
        InputError {
            span,
            message: message.into(),
            help: None,
            path: String::new(),
            related: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A deserialisation error, at its own span or else at `fallback`.
    pub fn from_de(e: DeError, fallback: Span) -> Self {
        InputError {
            span: e.span.unwrap_or(fallback),
            message: e.message,
            help: e.help,
            path: e.path,
            related: None,
        }
    }
}

impl ReadProblem {
    /// The problem as a diagnostic in file `id` (as [`crate::source::read_file`] left it).
    pub fn into_error(self, id: FileId) -> InputError {
        let at_start = Span::new(id, 0, 0);
        match self {
            ReadProblem::NotUtf8 { at } => InputError::new(
                Span::new(id, at, at + '\u{FFFD}'.len_utf8()),
                "the file is not valid UTF-8",
            )
            .with_help("save it as UTF-8"),
            ReadProblem::Utf16 => InputError::new(
                at_start,
                "the file is not valid UTF-8: it is UTF-16 (it starts with a byte order mark)",
            )
            .with_help("save it as UTF-8"),
            ReadProblem::Binary { at } => InputError::new(
                at_start,
                format!("not a text file (a NUL byte at offset {at}): its content is not shown"),
            )
            .with_help("name a YAML, TOML or JSON file"),
            ReadProblem::TooLarge { cap } => InputError::new(
                at_start,
                format!(
                    "the file is larger than the {} cap",
                    crate::source::human_size(cap)
                ),
            )
            .with_help("raise it with `--max-filesize SIZE` if the file is meant to be this large"),
            ReadProblem::Io(e) => {
                InputError::new(at_start, format!("cannot read the file: {}", io_reason(&e)))
            }
        }
    }

    /// What went wrong, in words (for a message that has no place in the file).
    pub fn reason(&self) -> String {
        match self {
            ReadProblem::NotUtf8 { .. } => "not valid UTF-8".into(),
            ReadProblem::Utf16 => "UTF-16, not UTF-8".into(),
            ReadProblem::Binary { .. } => "not a text file (it holds a NUL byte)".into(),
            ReadProblem::TooLarge { cap } => format!(
                "larger than the {} cap (raise it with --max-filesize)",
                crate::source::human_size(*cap)
            ),
            ReadProblem::Io(e) => io_reason(e),
        }
    }

    /// Whether the file is not there at all.
    pub fn is_missing(&self) -> bool {
        matches!(self, ReadProblem::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

impl From<ParseError> for InputError {
    fn from(e: ParseError) -> Self {
        InputError {
            span: e.span,
            message: e.message,
            help: e.help,
            path: String::new(),
            related: e.related.map(Box::new),
        }
    }
}

/// A problem that has no place in a file (a missing path, an unreadable directory).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub path: String,
    pub message: String,
}

impl Failure {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Failure {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Everything that went wrong in a run, in the order it was found.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub errors: Vec<InputError>,
    pub failures: Vec<Failure>,
}

impl Diagnostics {
    pub fn error(&mut self, e: InputError) {
        self.errors.push(e);
    }

    pub fn failure(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.failures.push(Failure::new(path, message));
    }

    pub fn absorb(&mut self, other: Diagnostics) {
        self.errors.extend(other.errors);
        self.failures.extend(other.failures);
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.failures.is_empty()
    }
}

impl Extend<InputError> for Diagnostics {
    fn extend<I: IntoIterator<Item = InputError>>(&mut self, iter: I) {
        self.errors.extend(iter);
    }
}

impl Extend<Failure> for Diagnostics {
    fn extend<I: IntoIterator<Item = Failure>>(&mut self, iter: I) {
        self.failures.extend(iter);
    }
}

/// Why a file could not be read, in words (`no such file or directory`, `permission denied`).
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "is a directory".into(),
        _ => e.to_string(),
    }
}
