//! The policy file: the specification's forms load, and every problem is reported at once with
//! a span.

use scopeward::finding::Severity;
use scopeward::policy::Policy;
use scopeward::rules::Registry;
use scopeward::source::FileId;

#[test]
fn spec_example_forms() {
    let p = Policy::parse(
        FileId(0),
        "include = [\"tokens/*.yaml\"]\n[rules.unused-token]\nseverity = \"error\"\ndays = 60\n\n[environments.development]\ndeny = [\"*:write\"]\nallowed_contact_domains = [\"acme.example\"]\n[environments.production]\n\n[[ignore]]\nrule = \"legacy-token\"\ntoken = \"old\"\nreason = \"Migrating in Q1\"\nexpires = 2027-01-31\n",
        &Registry,
    )
    .unwrap();
    assert_eq!(p.environments.len(), 2);
    assert_eq!(p.environments[0].deny[0].value, "*:write");
    let meta = scopeward::rules::find("unused-token").unwrap().meta();
    assert_eq!(p.option(meta, "days"), 60.0);
    assert_eq!(p.severity(meta, None), Some(Severity::Error));
    assert_eq!(p.ignores.len(), 1);
}

#[test]
fn every_problem_is_reported_with_a_span() {
    let text = "environmets = [\"a\"]\n[rules.unused-tokn]\ndays = 1\n[rules.broad-access]\nmax_fraction = 2.0\nmax_writes = 3\n";
    let errs = Policy::parse(FileId(0), text, &Registry).unwrap_err();
    let msgs: Vec<&str> = errs.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "unknown key `environmets`",
            "unknown rule `unused-tokn`",
            "`max_fraction` must be between 0 and 1",
            "rule `broad-access` has no option `max_writes`",
        ]
    );
    assert_eq!(
        errs[0].help.as_deref(),
        Some("did you mean `environments`?")
    );
    assert_eq!(
        errs[1].help.as_deref(),
        Some("did you mean `unused-token`?")
    );
    assert_eq!(
        &text[errs[1].span.start as usize..errs[1].span.end as usize],
        "unused-tokn"
    );
}

#[test]
fn an_ignore_glob_that_does_not_compile_is_a_policy_error() {
    // Dropping the glob error would make the ignore silence its rule on every path.
    let text = "[[ignore]]\nrule = \"legacy-token\"\npath = \"[elsewhere\"\nreason = \"x\"\n\n[[ignore]]\nrule = \"unknown-scope\"\nscope = \"{a,b\"\nreason = \"y\"\n";
    let errs = Policy::parse(FileId(0), text, &Registry).unwrap_err();
    let at: Vec<&str> = errs
        .iter()
        .map(|e| &text[e.span.start as usize..e.span.end as usize])
        .collect();
    assert_eq!(at, ["\"[elsewhere\"", "\"{a,b\""], "{errs:?}");
    assert!(errs.iter().all(|e| e.message.starts_with("invalid glob")));
}
