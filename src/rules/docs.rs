//! What the registry says about each rule, as people read it: `scopeward explain ID`, the
//! generated `docs/rules.md`, and the README's rule table.

use super::{PLANNED, REGISTRY};
use crate::finding::RuleMeta;

/// The documentation of a rule as `explain` prints it.
pub fn explain_text(meta: &RuleMeta) -> String {
    let mut s = format!(
        "# {}\n\n{}\n\nDefault severity: {}\n",
        meta.id, meta.summary, meta.default_severity
    );
    if !meta.options.is_empty() {
        s.push_str("Options (in `[rules.");
        s.push_str(meta.id);
        s.push_str("]`):\n");
        for o in meta.options {
            s.push_str(&format!("  {} = {} — {}\n", o.name, o.default, o.help));
        }
    }
    s.push('\n');
    for line in meta.doc.lines() {
        s.push_str(line.strip_prefix(' ').unwrap_or(line));
        s.push('\n');
    }
    s
}

/// `docs/rules.md`: every rule's documentation, generated from the registry.
pub fn markdown_docs() -> String {
    let mut s = String::from(
        "# scopeward rules\n\n<!-- Generated from the rule registry by `SCOPEWARD_BLESS=1 cargo test`; do not edit. -->\n",
    );
    for r in REGISTRY {
        s.push('\n');
        // `# id` becomes `## id`, and the rule's own `##` sections `###`, so ids are anchors.
        let mut in_code = false;
        for line in explain_text(r.meta()).lines() {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            if line.starts_with('#') && !in_code {
                s.push('#');
            }
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

/// The README's rule table, generated from the registry.
pub fn markdown_table() -> String {
    let mut s = String::from("| id | default | fires when |\n| --- | --- | --- |\n");
    for r in REGISTRY {
        let m = r.meta();
        let (sev, summary) = match m.severity_note {
            Some(note) => (
                format!("{} ({note})", m.default_severity),
                m.summary
                    .trim_end_matches(&format!(" ({note})"))
                    .to_string(),
            ),
            None => (m.default_severity.to_string(), m.summary.to_string()),
        };
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            m.id,
            sev,
            summary.replace('|', "\\|")
        ));
    }
    for (id, sev, summary) in PLANNED {
        s.push_str(&format!("| `{id}` | {sev} | {summary} *(not yet run)* |\n"));
    }
    s
}
