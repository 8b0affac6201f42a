//! The command line, as clap derives it. `scopeward man` and completions are generated from it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::OutputFormat;
use crate::schema::SchemaKind;

/// `scopeward --version`: version, commit, build date and target.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit: ",
    env!("SCOPEWARD_COMMIT"),
    "\nbuilt: ",
    env!("SCOPEWARD_BUILD_DATE"),
    "\ntarget: ",
    env!("SCOPEWARD_TARGET"),
);

#[derive(Debug, Parser)]
#[command(
    name = "scopeward",
    version,
    long_version = LONG_VERSION,
    about = "Scope policy linter and least-privilege auditor for impact.com API access tokens",
    long_about = "scopeward checks impact.com API token definitions (tokens as code, in YAML, TOML or JSON) \
                  against a scope catalogue per account type and a policy, and reports precise diagnostics.\n\n\
                  Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 the run could not complete."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Settings every command shares.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Policy file (default: scopeward.toml in the paths' common folder or an ancestor, else
    /// in the working directory or an ancestor).
    #[arg(long, global = true, value_name = "FILE", env = "SCOPEWARD_CONFIG")]
    pub config: Option<PathBuf>,
    /// Use the default policy: read no scopeward.toml (wins over --config and SCOPEWARD_CONFIG).
    #[arg(long, global = true)]
    pub no_config: bool,
    /// Directory with brand.yaml / partner.yaml / agency.yaml replacing the built-in catalogues.
    #[arg(long, global = true, value_name = "DIR")]
    pub catalogue: Option<PathBuf>,
    /// The "today" of day-based rules (YYYY-MM-DD).
    #[arg(long, global = true, value_name = "DATE", env = "SCOPEWARD_AS_OF")]
    pub as_of: Option<String>,
    /// Print only findings at or above --fail-on, and no summary or notes.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Colour (auto honours NO_COLOR and whether output is a terminal).
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Write to FILE instead of standard output.
    #[arg(long, short, global = true, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// How the commands that report findings (`check`, `audit`, `scan`) report them.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: OutputFormat,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value = "warning")]
    pub fail_on: FailOn,
    /// Show every finding: ignore inline and configured suppressions.
    #[arg(long)]
    pub no_ignores: bool,
    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record today's findings in FILE (a baseline), then report as if it were given.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Run only these rules (comma-separated ids), for this run.
    #[arg(long, value_name = "RULE,…", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Turn these rules off (comma-separated ids), for this run.
    #[arg(long, value_name = "RULE,…", value_delimiter = ',')]
    pub disable: Vec<String>,
    /// Also write the report in FORMAT to PATH, in the same run (repeatable:
    /// `--report sarif=scopeward.sarif --report junit=report.xml`).
    #[arg(long, value_name = "FORMAT=PATH", value_parser = parse_report)]
    pub report: Vec<(OutputFormat, PathBuf)>,
}

/// `FORMAT=PATH` of `--report`.
fn parse_report(text: &str) -> Result<(OutputFormat, PathBuf), String> {
    let (format, path) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: write FORMAT=PATH, e.g. sarif=scopeward.sarif"))?;
    let format = <OutputFormat as ValueEnum>::from_str(format.trim(), true).map_err(|_| {
        let names: Vec<String> = OutputFormat::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        format!("`{format}` is not a format: one of {}", names.join(", "))
    })?;
    if path.trim().is_empty() {
        return Err(format!("`{text}`: the path is missing"));
    }
    Ok((format, PathBuf::from(path)))
}

/// How the commands that read definitions read their inputs.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// The largest input read whole (definitions, policy, baseline, listing); a larger one is
    /// an input error (bytes, or with a K, M or G suffix).
    #[arg(long, value_name = "SIZE", default_value = "100M", value_parser = parse_size)]
    pub max_filesize: u64,
    /// The name standard input (`-`) is shown under; its extension picks the format
    /// (default YAML).
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,
    /// Exit 0 when the paths hold no token definition file (by default that is an error).
    #[arg(long)]
    pub allow_empty: bool,
}

impl InputArgs {
    pub fn defaults() -> Self {
        InputArgs {
            max_filesize: crate::source::DEFAULT_MAX_FILESIZE,
            stdin_filename: None,
            allow_empty: false,
        }
    }
}

impl ReportArgs {
    /// The defaults: human output, failing on warnings.
    pub fn human() -> Self {
        ReportArgs {
            format: OutputFormat::Human,
            fail_on: FailOn::Warning,
            no_ignores: false,
            baseline: None,
            write_baseline: None,
            select: Vec::new(),
            disable: Vec::new(),
            report: Vec::new(),
        }
    }
}

/// `--format` of the commands that print reference text (`rules`, `explain`, `catalogue`,
/// `schema`).
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: InfoFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InfoFormat {
    Human,
    Json,
}

/// `--format` of `suggest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SuggestFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AccountTypeArg {
    Brand,
    Partner,
    Agency,
}

// Parsed once per run: the size of its largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint token definitions (files or directories; default .).
    Check {
        /// Files or directories (`-` is standard input). Directories are walked with the
        /// policy's include and exclude globs, respecting .gitignore; files named here are
        /// always read.
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        report: ReportArgs,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Audit definitions against evidence: what the tokens really are (probe the API with
    /// --live, or read a saved live listing with --listing) and what they did (--usage logs).
    #[command(group(clap::ArgGroup::new("evidence").required(true).multiple(true).args(["live", "listing", "usage"])))]
    Audit(AuditArgs),
    /// Least-privilege scopes per token from usage logs: what to keep, remove and add.
    #[command(group(clap::ArgGroup::new("logs").required(true).args(["usage"])))]
    Suggest {
        /// Output format: the suggestions (or the diff, with --diff) as text, or JSON.
        #[arg(long, value_enum, default_value = "human")]
        format: SuggestFormat,
        #[command(flatten)]
        usage: UsageArgs,
        /// Definition files or directories, as for `check`.
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Print a unified diff of the definition files that applies the suggestions
        /// (`git apply` or `patch -p1` it); comments and layout are kept.
        #[arg(long)]
        diff: bool,
        /// Also add scopes that only refused requests (401/403, or no 2xx/3xx answer) needed.
        /// Off by default: an integration that keeps failing is no reason to grant it more.
        #[arg(long)]
        include_refused: bool,
        #[command(flatten)]
        input: InputArgs,
    },
    /// Print the SQL query that makes a usage summary (for `--usage`) from a warehouse table
    /// of request logs: one row per SID, method, path and status class.
    UsageSql {
        /// The warehouse's SQL.
        #[arg(long, value_enum)]
        dialect: SqlDialect,
        /// The table of request logs (`name`, `schema.name`; BigQuery `project.dataset.name`).
        #[arg(long, value_name = "NAME", default_value = "requests")]
        table: String,
        /// The request time (a TIMESTAMP in UTC).
        #[arg(long, value_name = "C", default_value = "time")]
        time_col: String,
        /// The HTTP method.
        #[arg(long, value_name = "C", default_value = "method")]
        method_col: String,
        /// The request target: a path or a URL, query included.
        #[arg(long, value_name = "C", default_value = "path")]
        path_col: String,
        /// The HTTP status (an integer).
        #[arg(long, value_name = "C", default_value = "status")]
        status_col: String,
        /// The Basic-auth user, when the logs have it (attributes `/PageLoad` and call data).
        #[arg(long, value_name = "C")]
        user_col: Option<String>,
    },
    /// Find impact.com credentials in any files (respects .gitignore, skips binaries; output
    /// is redacted).
    Scan {
        /// Files or directories (default .; `-` is standard input). Files named here are always
        /// read, whatever their kind (a FIFO, a device), up to --max-filesize.
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// The name standard input (`-`) is shown under.
        #[arg(long, value_name = "NAME")]
        stdin_filename: Option<String>,
        /// Exit 0 when the paths hold no file at all (by default that is an error).
        #[arg(long)]
        allow_empty: bool,
        /// Skip files larger than this (bytes, or with a K, M or G suffix).
        #[arg(long, value_name = "SIZE", default_value = "1M", value_parser = parse_size)]
        max_filesize: u64,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// List every rule with its default severity.
    Rules {
        #[command(flatten)]
        info: InfoArgs,
    },
    /// Print a rule's documentation.
    Explain {
        /// Rule id, e.g. full-access.
        id: String,
        #[command(flatten)]
        info: InfoArgs,
    },
    /// Print the scope catalogue of an account type (all three by default).
    Catalogue {
        #[arg(value_enum, value_name = "TYPE")]
        account_type: Option<AccountTypeArg>,
        #[command(flatten)]
        info: InfoArgs,
    },
    /// Print the JSON Schema of a file kind (lists the kinds without one).
    Schema {
        #[arg(value_enum)]
        kind: Option<SchemaKind>,
        #[command(flatten)]
        info: InfoArgs,
    },
    /// Write a commented scopeward.toml and a starter token definition file (never overwrites).
    Init {
        /// The account type of the starter file.
        #[arg(long = "type", value_enum, default_value = "brand")]
        account_type: AccountTypeArg,
        /// Where to write them (default: the working directory).
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell or elvish).
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff), or write one page per subcommand with --dir.
    Man {
        /// Write scopeward.1 and scopeward-COMMAND.1 for every subcommand into DIR.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Definition files or directories (default .).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Probe each declared token that has `sid` and `auth_token_env` through the API, with its
    /// own credentials (read-only GETs; never a write).
    #[arg(long)]
    pub live: bool,
    /// Audit a saved live listing (from --save-listing) instead of probing.
    #[arg(long, value_name = "FILE", conflicts_with = "live")]
    pub listing: Option<PathBuf>,
    #[command(flatten)]
    pub usage: UsageArgs,
    /// Write the live listing to FILE (JSON; never holds an Auth Token).
    #[arg(long, value_name = "FILE", conflicts_with = "listing")]
    pub save_listing: Option<PathBuf>,
    /// The API to probe. Plain http is refused unless the host is loopback.
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://api.impact.com",
        env = "SCOPEWARD_API_BASE"
    )]
    pub api_base: String,
    /// Also trust the CA certificates in FILE (PEM), e.g. a TLS-inspecting proxy's.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Send at most N requests in all (retries included); the rest is reported as not probed.
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// Seconds each exchange may take in all, from connecting to the answer's last byte.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// How long the whole probing may take (e.g. 90s, 5m, 1h); what it did not reach is
    /// listed as `unprobed` and the run exits 2.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = crate::live::parse_duration)]
    pub deadline: std::time::Duration,
    /// Tokens probed at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub concurrency: u32,
    /// The longest single wait for a rate limit to reset, in seconds; a longer one fails the probe.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub max_wait: u64,
    /// First retry backoff in milliseconds when the API does not say how long to wait.
    #[arg(long, value_name = "MS", default_value_t = 1000, hide = true)]
    pub backoff_ms: u64,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

/// Usage logs and how they are read (`audit --usage`, `suggest`). Written out by hand
/// rather than derived: the logs are kept grouped by `--usage` flag (see
/// [`UsageArgs::take_definitions`]), which clap's derive cannot express yet.
#[derive(Clone, Debug, Default)]
pub struct UsageArgs {
    /// The values of each `--usage` flag.
    pub logs: Vec<Vec<PathBuf>>,
    /// `--usage-host`.
    pub usage_host: Vec<String>,
    /// `--since`.
    pub since: Option<Since>,
    /// `--max-usage-size`.
    pub max_usage_size: u64,
}

impl clap::FromArgMatches for UsageArgs {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let logs = m
            .get_occurrences::<PathBuf>("usage")
            .map(|o| o.map(|values| values.cloned().collect()).collect())
            .unwrap_or_default();
        let usage_host = m
            .get_many::<String>("usage_host")
            .map(|v| v.cloned().collect())
            .unwrap_or_default();
        Ok(UsageArgs {
            logs,
            usage_host,
            since: m.get_one::<Since>("since").copied(),
            max_usage_size: m
                .get_one::<u64>("max_usage_size")
                .copied()
                .unwrap_or(crate::usage::DEFAULT_MAX_USAGE_SIZE),
        })
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for UsageArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.arg(
            clap::Arg::new("usage")
                .long("usage")
                .value_name("LOG")
                .num_args(1..)
                .action(clap::ArgAction::Append)
                .value_parser(clap::value_parser!(PathBuf))
                .help(
                    "HTTP request logs of the integrations: combined/common log format, Squid, \
                     JSON lines, HAR, or a usage summary (CSV or JSON lines); gzip too; detected \
                     per file. Takes several files (`--usage access.log*`) and is repeatable; \
                     directories and .yaml/.yml/.toml files after its first value are definitions. \
                     Enables unused-scope and missing-scope.",
                ),
        )
        .arg(
            clap::Arg::new("usage_host")
                .long("usage-host")
                .value_name("HOST")
                .action(clap::ArgAction::Append)
                .help(
                    "Count only requests whose logged host is HOST (repeatable). By default a \
                     request counts when its path has an impact.com base path and an IR… SID, \
                     whatever host was logged.",
                ),
        )
        .arg(
            clap::Arg::new("since")
                .long("since")
                .value_name("DATE")
                .value_parser(parse_since)
                .help("Ignore log entries before DATE (YYYY-MM-DD, UTC, or an RFC 3339 time)."),
        )
        .arg(
            clap::Arg::new("max_usage_size")
                .long("max-usage-size")
                .value_name("SIZE")
                .value_parser(parse_size)
                .default_value("100G")
                .help(
                    "Read at most SIZE of each usage log, after decompression (e.g. 500G); a \
                     longer log, or an endless stream, is an error. Logs stream, so this bounds \
                     time, not memory.",
                ),
        )
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// `--since`, as Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Since(pub i64);

fn parse_since(text: &str) -> Result<Since, String> {
    let t = text.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(Since(ts.as_second()));
    }
    t.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| Since(z.timestamp().as_second()))
        .ok_or_else(|| format!("`{text}` is not a date (YYYY-MM-DD) or an RFC 3339 time"))
}

impl UsageArgs {
    /// Every log named, in order.
    pub fn files(&self) -> Vec<PathBuf> {
        self.logs.iter().flatten().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.logs.iter().all(Vec::is_empty)
    }

    /// Takes out the values after a `--usage` flag's first that are definitions, not logs — a
    /// directory, or a `.yaml`/`.yml`/`.toml` file — and returns them, so that
    /// `--usage access.log* tokens/` reads every rotated log and checks `tokens/`.
    pub fn take_definitions(&mut self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for values in &mut self.logs {
            let mut i = 1;
            while i < values.len() {
                let p = &values[i];
                let definition = p.is_dir()
                    || p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                        ["yaml", "yml", "toml"]
                            .iter()
                            .any(|d| e.eq_ignore_ascii_case(d))
                    });
                if definition {
                    out.push(values.remove(i));
                } else {
                    i += 1;
                }
            }
        }
        out
    }
}

impl Cli {
    /// Definition paths that followed `--usage`'s logs move to the command's paths.
    pub fn normalise(&mut self) {
        match &mut self.command {
            Command::Audit(args) => {
                let moved = args.usage.take_definitions();
                args.paths.extend(moved);
            }
            Command::Suggest { usage, paths, .. } => {
                let moved = usage.take_definitions();
                paths.extend(moved);
            }
            _ => {}
        }
    }
}

/// `--dialect` of `usage-sql`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SqlDialect {
    Duckdb,
    Bigquery,
    Athena,
    Clickhouse,
}

/// `10K`, `1M`, `2G` or a number of bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 512K, 1M)"))?;
    let mult = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("`{text}`: unknown unit `{unit}` (use K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{text}` is too large"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    #[value(name = "powershell")]
    PowerShell,
    Elvish,
}
