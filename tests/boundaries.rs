//! Multi-byte characters at every character boundary of every reader's input: the definition
//! loaders (YAML, TOML, JSON), the policy, live listings, baselines, inline directives, the
//! credential scanner and the secret scanner. None may panic (nothing slices untrusted text
//! at a byte offset inside a character), and every span they report stays on boundaries.

use scopeward::catalogue::Catalogues;
use scopeward::live::Listing;
use scopeward::model::load_text;
use scopeward::policy::Policy;
use scopeward::rules::Registry;
use scopeward::source::{FileId, SourceFile, Span};
use scopeward::tree::Format;

const FILE: FileId = FileId(0);

/// Characters of 2, 3 and 4 bytes, a line separator and a BOM-like one.
const WIDE: &[char] = &['é', '€', '𝄞', '\u{2028}', '\u{feff}'];

/// Small inputs of every kind, each with something the reader must look at closely.
const YAML: &str = "account:\n  type: brand\ntokens:\n  - name: a # scopeward: ignore[missing-description] later\n    auth_token: Xk3vP9qLmN2aB7cD4eF6gH8jK1sT5uW0\n    scopes: [ads:read, \"campaigns:read\"]\n";
const TOML: &str = "[account]\ntype = \"partner\"\n\n[[tokens]]\nname = \"x\" # scopeward: ignore[legacy-token] ok\nlegacy = \"read-only\"\npassword = \"hunter2hunter2\"\n";
const JSON: &str = "{\"account\": {\"type\": \"agency\"}, \"tokens\": [{\"name\": \"x\", \"sid\": \"IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1\"}]}";
const POLICY: &str = "include = [\"**/*tokens*.yaml\"]\n[rules.unused-token]\ndays = 60\n[environments.development]\ndeny = [\"*:write\"]\n[[ignore]]\nrule = \"legacy-token\"\npath = \"a/*.yaml\"\nreason = \"Q1\"\n";
const LISTING: &str = include_str!("../examples/live-listing.json");
const SCAN: &str = "IMPACT_ACCOUNT_SID=IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1\nIMPACT_AUTH_TOKEN=Fk2Lm9Qz7Xc4Vb1Nw8Ep5Rt3Yu6Io0As # scopeward: ignore[committed-credential] test\nurl = \"https://IRyMQiCNtwrt1804207G3t8Pn6NyzfyDw1:Fk2Lm9Qz7Xc4Vb1Nw8Ep5Rt3Yu6Io0As@api.impact.com/x\"\n";

/// Every text made by putting one wide character at one boundary of `base` (every boundary
/// for short inputs; for long ones, every boundary of the first and last 2 KiB and a stride
/// between).
fn variants(base: &str) -> impl Iterator<Item = String> + '_ {
    let boundaries: Vec<usize> = (0..=base.len())
        .filter(|&i| base.is_char_boundary(i))
        .filter(|&i| base.len() < 4096 || i < 2048 || i + 2048 > base.len() || i % 61 == 0)
        .collect();
    boundaries.into_iter().flat_map(move |i| {
        WIDE.iter().map(move |c| {
            let mut s = String::with_capacity(base.len() + 4);
            s.push_str(&base[..i]);
            s.push(*c);
            s.push_str(&base[i..]);
            s
        })
    })
}

fn on_boundaries(text: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end && span.end as usize <= text.len(),
        "{what}: {span:?}"
    );
    assert!(
        text.is_char_boundary(span.start as usize) && text.is_char_boundary(span.end as usize),
        "{what}: {span:?} splits a character in {text:?}"
    );
}

#[test]
fn definition_loaders() {
    for (format, base) in [
        (Format::Yaml, YAML),
        (Format::Toml, TOML),
        (Format::Json, JSON),
    ] {
        for text in variants(base) {
            let loaded = load_text(FILE, format, &text);
            for e in &loaded.errors {
                on_boundaries(&text, e.span, &e.message);
                let source = SourceFile::new("x", None, text.as_str());
                let _ = source.line_col(e.span.start as usize);
                let _ = source.line_col_utf16(e.span.end as usize);
            }
            for s in &loaded.secrets {
                on_boundaries(&text, s.value_span, "a secret");
            }
        }
    }
}

#[test]
fn policy_and_listing() {
    for text in variants(POLICY) {
        if let Err(errors) = Policy::parse(FILE, &text, &Registry) {
            for e in errors {
                on_boundaries(&text, e.span, &e.message);
            }
        }
    }
    let catalogues = Catalogues::builtin();
    for text in variants(LISTING) {
        if let Err(e) = Listing::parse(FILE, &text, &catalogues) {
            on_boundaries(&text, e.span, &e.message);
        }
    }
}

#[test]
fn baselines() {
    let dir = tempfile::tempdir().unwrap();
    let base = "{\"version\": 1, \"tool\": \"scopeward 0.1.0\", \"created\": \"2026-11-22\", \"entries\": [{\"fingerprint\": \"ab\", \"rule\": \"full-access\", \"message\": \"m\"}]}";
    for (i, text) in variants(base).enumerate().filter(|(i, _)| i % 7 == 0) {
        let path = dir.path().join(format!("b{i}.json"));
        std::fs::write(&path, &text).unwrap();
        let _ = scopeward::filter::BaselineFile::read(&path, 1 << 20);
    }
}

#[test]
fn inline_directives_scanners_and_redaction() {
    for base in [YAML, TOML, SCAN] {
        for text in variants(base) {
            let source = SourceFile::new("x.yaml", None, text.as_str());
            let (found, errors) = scopeward::filter::inline::scan(
                FILE,
                &source,
                scopeward::filter::inline::Comments::HashOrSlash,
            );
            for i in &found {
                on_boundaries(&text, i.span, "a directive");
            }
            for e in &errors {
                on_boundaries(&text, e.span, &e.message);
            }
            for hit in scopeward::scan::detect::scan(text.as_bytes()) {
                let r = hit.range;
                assert!(
                    text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
                    "{r:?}"
                );
                let _ = scopeward::redact::redact(&text[r]);
            }
            for found in scopeward::redact::scan_text(&text) {
                let r = found.range;
                assert!(
                    text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
                    "{r:?}"
                );
            }
            let _ = scopeward::redact::scrub(&text);
        }
    }
}
