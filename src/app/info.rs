//! The reference commands: `rules`, `explain`, `catalogue`, `schema`, `completions`, `man`.

use std::path::PathBuf;

use super::{EXIT_CLEAN, finish, print, setup, usage_error};
use crate::catalogue::{Access, Catalogues};
use crate::cli::{AccountTypeArg, Cli, GlobalArgs, InfoFormat, ReportArgs};
use crate::model::{AccountType, Day};
use crate::report::Report;
use crate::rules::{self, REGISTRY};

/// A rule option as `rules --format json` prints it: whole-number options as integers.
fn option_json(o: &crate::finding::RuleOption) -> serde_json::Value {
    let number = |v: f64| {
        if o.integer {
            serde_json::Value::from(v as i64)
        } else {
            serde_json::Value::from(v)
        }
    };
    serde_json::json!({
        "name": o.name,
        "default": number(o.default),
        "min": number(o.range.0),
        "max": number(o.range.1),
        "integer": o.integer,
        "help": o.help,
    })
}

pub(super) fn rules(g: &GlobalArgs, format: InfoFormat) -> u8 {
    let text = match format {
        InfoFormat::Json => {
            let rules: Vec<serde_json::Value> = REGISTRY
                .iter()
                .map(|r| {
                    let m = r.meta();
                    serde_json::json!({
                        "id": m.id,
                        "default_severity": m.default_severity.as_str(),
                        "summary": m.summary,
                        "options": m.options.iter().map(option_json).collect::<Vec<_>>(),
                        "implemented": true,
                    })
                })
                .chain(rules::PLANNED.iter().map(|(id, sev, summary)| {
                    serde_json::json!({"id": id, "default_severity": sev.as_str(), "summary": summary, "options": [], "implemented": false})
                }))
                .collect();
            let mut s = serde_json::to_string_pretty(&rules).expect("serialises");
            s.push('\n');
            s
        }
        _ => {
            let width = REGISTRY
                .iter()
                .map(|r| r.meta().id.len())
                .max()
                .unwrap_or(10);
            let mut s = String::new();
            for r in REGISTRY {
                let m = r.meta();
                s.push_str(&format!(
                    "{:width$}  {:7}  {}\n",
                    m.id,
                    m.default_severity.as_str(),
                    m.summary
                ));
            }
            if !rules::PLANNED.is_empty() {
                s.push_str("\nNot yet run by this version:\n");
                for (id, sev, summary) in rules::PLANNED {
                    s.push_str(&format!("{:width$}  {:7}  {}\n", id, sev.as_str(), summary));
                }
            }
            s.push_str("\n`scopeward explain ID` prints a rule's documentation.\n");
            s
        }
    };
    print(g, &text)
}

/// What `error[invalid-input]` means: the id every input error carries, not a rule.
const INVALID_INPUT: &str = "# invalid-input

Not a rule: the id of every input error — a file, policy, baseline, listing or log that
scopeward could not read or understand (invalid YAML, TOML or JSON; an unknown key; a value of
the wrong type; an impossible date; a file that is not UTF-8 or is larger than --max-filesize).

Each error points at the exact place with a line and column, and says how to fix it. Input
errors make the run incomplete: exit code 2, whatever the findings. The other files of the run
are still checked and reported.

`scopeward schema tokens` prints the structure of a definition file; `scopeward schema policy`
that of scopeward.toml.
";

pub(super) fn explain(g: &GlobalArgs, format: InfoFormat, id: &str) -> u8 {
    if id == "invalid-input" {
        return match format {
            InfoFormat::Json => print(
                g,
                &format!(
                    "{}\n",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "id": id, "default_severity": "error", "summary": "an input error (not a rule)", "doc": INVALID_INPUT,
                    }))
                    .expect("serialises")
                ),
            ),
            InfoFormat::Human => print(g, INVALID_INPUT),
        };
    }
    let Some(rule) = rules::find(id) else {
        if let Some((id, sev, summary)) = rules::PLANNED.iter().find(|p| p.0 == id) {
            let text = format!(
                "# {id}\n\n{summary}\n\nDefault severity: {sev}\n\nThis version of scopeward does not run it yet.\n"
            );
            return print(g, &text);
        }
        let hint = crate::did_you_mean::did_you_mean(id, rules::all_ids())
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_else(|| "; `scopeward rules` lists them".into());
        return usage_error(format!("unknown rule `{id}`{hint}"));
    };
    let text = match format {
        InfoFormat::Json => {
            let m = rule.meta();
            let mut s = serde_json::to_string_pretty(&serde_json::json!({
                "id": m.id,
                "default_severity": m.default_severity.as_str(),
                "summary": m.summary,
                "doc": rules::docs::explain_text(m),
            }))
            .expect("serialises");
            s.push('\n');
            s
        }
        _ => rules::docs::explain_text(rule.meta()),
    };
    print(g, &text)
}

pub(super) fn catalogue(g: &GlobalArgs, format: InfoFormat, ty: Option<AccountTypeArg>) -> u8 {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let catalogues = match setup(g, &cwd, &[], crate::source::DEFAULT_MAX_FILESIZE) {
        Ok((_, _, c)) => c,
        Err((sources, diag)) => {
            let mut report = Report::empty(Day(jiff::Zoned::now().date()));
            report.sources = sources;
            report.absorb(diag);
            let r = ReportArgs::human();
            return finish(g, &r, &report, &Catalogues::builtin());
        }
    };
    let types: Vec<AccountType> = match ty {
        Some(AccountTypeArg::Brand) => vec![AccountType::Brand],
        Some(AccountTypeArg::Partner) => vec![AccountType::Partner],
        Some(AccountTypeArg::Agency) => vec![AccountType::Agency],
        None => AccountType::ALL.to_vec(),
    };
    let text = match format {
        InfoFormat::Json => {
            let docs: Vec<&crate::catalogue::CatalogueDoc> =
                types.iter().map(|t| &catalogues.get(*t).doc).collect();
            let mut s = if docs.len() == 1 {
                serde_json::to_string_pretty(docs[0])
            } else {
                serde_json::to_string_pretty(&docs)
            }
            .expect("serialises");
            s.push('\n');
            s
        }
        _ => {
            let mut s = String::new();
            for t in types {
                let c = catalogues.get(t);
                let versions: Vec<&str> =
                    c.doc.versions.iter().map(|v| v.version.as_str()).collect();
                s.push_str(&format!(
                    "{t} catalogue ({}): base path {}, API versions {} (latest {}), {} categories, {} scopes\n",
                    catalogues.origin[t as usize],
                    c.doc.base_path,
                    versions.join(", "),
                    c.doc.latest_version,
                    c.doc.categories.len(),
                    c.scope_count()
                ));
                let width = c
                    .doc
                    .categories
                    .iter()
                    .map(|c| c.id.len())
                    .max()
                    .unwrap_or(10);
                for cat in &c.doc.categories {
                    let reads = cat
                        .operations
                        .iter()
                        .filter(|o| o.access == Access::Read)
                        .count();
                    let writes = cat.operations.len() - reads;
                    s.push_str(&format!(
                        "  {:width$}  {:6}  read: {:2}  write: {:2}  {}\n",
                        cat.id,
                        cat.sensitivity.as_str(),
                        reads,
                        writes,
                        cat.name
                    ));
                }
                s.push('\n');
            }
            s
        }
    };
    print(g, &text)
}

pub(super) fn schema(
    g: &GlobalArgs,
    format: InfoFormat,
    kind: Option<crate::schema::SchemaKind>,
) -> u8 {
    let text = match kind {
        Some(k) => crate::schema::generate(k),
        None if format == InfoFormat::Json => {
            let kinds: Vec<serde_json::Value> = crate::schema::KINDS
                .iter()
                .map(|(_, name, what)| serde_json::json!({"kind": name, "describes": what}))
                .collect();
            let mut s = serde_json::to_string_pretty(&kinds).expect("serialises");
            s.push('\n');
            s
        }
        None => {
            let mut s = String::from("Schemas (scopeward schema KIND):\n");
            for (_, name, what) in crate::schema::KINDS {
                s.push_str(&format!("  {name:10} {what}\n"));
            }
            s
        }
    };
    print(g, &text)
}

pub(super) fn completions(g: &GlobalArgs, shell: crate::cli::Shell) -> u8 {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    let generator = match shell {
        crate::cli::Shell::Bash => clap_complete::Shell::Bash,
        crate::cli::Shell::Zsh => clap_complete::Shell::Zsh,
        crate::cli::Shell::Fish => clap_complete::Shell::Fish,
        crate::cli::Shell::PowerShell => clap_complete::Shell::PowerShell,
        crate::cli::Shell::Elvish => clap_complete::Shell::Elvish,
    };
    clap_complete::generate(generator, &mut cmd, "scopeward", &mut out);
    print(g, &String::from_utf8_lossy(&out))
}

/// `man`: the top page on standard output, or with `--dir` one page per subcommand.
pub(super) fn man(g: &GlobalArgs, dir: Option<&std::path::Path>) -> u8 {
    use clap::CommandFactory;
    let mut top = Cli::command();
    top.build();
    let Some(dir) = dir else {
        return match man_page(&top, "scopeward") {
            Ok(page) => print(g, &page),
            Err(e) => usage_error(e),
        };
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        return usage_error(format!("cannot create {}: {e}", dir.display()));
    }
    let mut pages = vec![("scopeward".to_string(), top.clone())];
    for sub in top.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("scopeward-{}", sub.get_name());
        // A page names its command in full; the few names live as long as the process.
        let full: &'static str = Box::leak(name.clone().into_boxed_str());
        pages.push((name, sub.clone().name(full)));
    }
    for (name, cmd) in &pages {
        let page = match man_page(cmd, name) {
            Ok(p) => p,
            Err(e) => return usage_error(e),
        };
        let path = dir.join(format!("{name}.1"));
        if let Err(e) = std::fs::write(&path, page) {
            return usage_error(format!("cannot write {}: {e}", path.display()));
        }
        if !g.quiet {
            super::say(format_args!("wrote {}", path.display()));
        }
    }
    EXIT_CLEAN
}

/// One man page: clap's sections, then EXIT STATUS and EXAMPLES.
fn man_page(cmd: &clap::Command, name: &str) -> Result<String, String> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut out)
        .map_err(|e| format!("cannot render the man page: {e}"))?;
    let mut page = String::from_utf8_lossy(&out).into_owned();
    page.push_str(".SH \"EXIT STATUS\"\n");
    let reports = matches!(
        name,
        "scopeward" | "scopeward-check" | "scopeward-audit" | "scopeward-scan"
    );
    if reports {
        page.push_str(".TP\n0\nNothing at or above \\fB\\-\\-fail\\-on\\fR.\n.TP\n1\nFindings at or above \\fB\\-\\-fail\\-on\\fR.\n");
    } else {
        page.push_str(".TP\n0\nDone.\n");
    }
    page.push_str(".TP\n2\nThe run could not complete: bad arguments, input that could not be read or understood, a network failure, or nothing to check.\n");
    let examples: &[&str] = match name {
        "scopeward" | "scopeward-check" => &[
            "scopeward check",
            "scopeward check tokens/ --format sarif --output scopeward.sarif",
            "scopeward check --write-baseline scopeward-baseline.json",
        ],
        "scopeward-audit" => &[
            "scopeward audit --live --save-listing listing.json",
            "scopeward audit --listing listing.json --usage access.log",
        ],
        "scopeward-suggest" => &["scopeward suggest --usage access.log --diff | git apply"],
        "scopeward-scan" => &[
            "scopeward scan .",
            "git diff --cached --name-only | xargs scopeward scan",
        ],
        "scopeward-rules" => &["scopeward rules --format json"],
        "scopeward-explain" => &["scopeward explain full-access"],
        "scopeward-catalogue" => &["scopeward catalogue brand"],
        "scopeward-schema" => &["scopeward schema tokens > tokens.schema.json"],
        "scopeward-init" => &["scopeward init --type partner"],
        "scopeward-completions" => {
            &["scopeward completions bash > ~/.local/share/bash-completion/completions/scopeward"]
        }
        "scopeward-man" => &["scopeward man --dir ~/.local/share/man/man1"],
        _ => &[],
    };
    if !examples.is_empty() {
        page.push_str(".SH EXAMPLES\n");
        for e in examples {
            page.push_str(".PP\n.nf\n");
            page.push_str(&e.replace('\\', "\\\\").replace('-', "\\-"));
            page.push_str("\n.fi\n");
        }
    }
    Ok(page)
}
