//! The crate's layers (CONTRIBUTING.md draws them): every `crate::` import in `src/` points to
//! a module on a lower floor. A new module must be given a floor here; an import that runs up
//! the stack, or sideways between two modules of one floor, fails this test.

use std::collections::BTreeMap;
use std::path::Path;

/// Top-level modules of `src/`, top floor first. Modules on one line share a floor and may not
/// import each other.
const FLOORS: &[&[&str]] = &[
    &["app"],
    &["cli"],
    &["schema"],
    &["engine", "scan"],
    &["output", "filter", "fix"],
    &["report"],
    &["rules"],
    &["policy", "live", "usage"],
    &["catalogue", "finding"],
    &["model"],
    &["diag"],
    &["tree"],
    &["source"],
    &["inert"],
    &["redact", "did_you_mean"],
];

fn floor(module: &str) -> Option<usize> {
    FLOORS
        .iter()
        .position(|floor| floor.contains(&module))
        .map(|i| FLOORS.len() - i)
}

/// The code of a file without its comments (doc comments name modules in prose).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules named by `crate::…` paths, including inside `use crate::{a, b::c}`.
fn imports(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(std::mem::take(&mut item));
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.push(item);
        } else {
            out.push(
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    out.into_iter()
        .map(|s| s.trim().split("::").next().unwrap_or("").trim().to_string())
        .filter(|s| !s.is_empty() && s != "self")
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_import_points_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut seen = 0;
    for file in files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let here = floor(&top)
            .unwrap_or_else(|| panic!("src/{rel}: give module `{top}` a floor in FLOORS"));
        for target in imports(&code(&std::fs::read_to_string(&file).unwrap())) {
            if target == top {
                continue;
            }
            seen += 1;
            let there = floor(&target).unwrap_or_else(|| {
                panic!("src/{rel} imports `crate::{target}`, which has no floor")
            });
            if there >= here {
                wrong.entry(rel.clone()).or_default().push(target);
            }
        }
    }
    assert!(
        seen > 100,
        "the import scan found only {seen} imports: is it reading src/?"
    );
    assert!(
        wrong.is_empty(),
        "imports that do not point down: {wrong:#?}"
    );
}

#[test]
fn the_scan_sees_grouped_and_nested_imports() {
    let found = imports("use crate::{a::{b, c}, d};\nlet x = crate::e::f();\n// crate::g\n");
    assert_eq!(found, ["a", "d", "e", "g"]);
    assert_eq!(imports(&code("x(); // crate::g\n")), Vec::<String>::new());
}
