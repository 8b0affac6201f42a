//! Generated artefacts stay in step with the code: the JSON Schemas in `schemas/` and the
//! README's rule table. Run with `SCOPEWARD_BLESS=1` to regenerate them.

use std::path::Path;

use scopeward::schema::SchemaKind;

fn bless() -> bool {
    std::env::var_os("SCOPEWARD_BLESS").is_some()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn schemas_match_the_types() {
    for (kind, _, _) in scopeward::schema::KINDS {
        let path = root()
            .join("schemas")
            .join(scopeward::schema::file_name(*kind));
        let generated = scopeward::schema::generate(*kind);
        if bless() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "{} is missing: run SCOPEWARD_BLESS=1 cargo test",
                path.display()
            )
        });
        assert_eq!(
            committed,
            generated,
            "{} is stale: run SCOPEWARD_BLESS=1 cargo test",
            path.display()
        );
    }
}

#[test]
fn schema_keys_match_the_loaders() {
    let tokens: serde_json::Value =
        serde_json::from_str(&scopeward::schema::generate(SchemaKind::Tokens)).unwrap();
    let props = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        k.sort();
        k
    };
    let mut root_keys: Vec<String> = scopeward::model::TokenFileDoc::KEYS
        .iter()
        .map(|s| s.to_string())
        .collect();
    root_keys.sort();
    assert_eq!(props(&tokens), root_keys);
    let mut token_keys: Vec<String> = scopeward::model::TokenDoc::KEYS
        .iter()
        .map(|s| s.to_string())
        .collect();
    token_keys.sort();
    assert_eq!(props(&tokens["$defs"]["TokenDoc"]), token_keys);
    let policy: serde_json::Value =
        serde_json::from_str(&scopeward::schema::generate(SchemaKind::Policy)).unwrap();
    let mut policy_keys: Vec<String> = scopeward::policy::PolicyDoc::KEYS
        .iter()
        .map(|s| s.to_string())
        .collect();
    policy_keys.sort();
    assert_eq!(props(&policy), policy_keys);
}

#[test]
fn rule_docs_are_current() {
    let path = root().join("docs/rules.md");
    let generated = scopeward::rules::docs::markdown_docs();
    if bless() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("docs/rules.md is missing: run SCOPEWARD_BLESS=1 cargo test"));
    assert_eq!(
        committed, generated,
        "docs/rules.md is stale: run SCOPEWARD_BLESS=1 cargo test"
    );
    for r in scopeward::rules::REGISTRY {
        assert!(
            committed.contains(&format!("\n## {}\n", r.meta().id)),
            "no section for {}",
            r.meta().id
        );
    }
}

#[test]
fn readme_rule_table_is_current() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start_marker = "<!-- rules:start -->\n";
    let end_marker = "<!-- rules:end -->";
    let start = readme
        .find(start_marker)
        .expect("README has a rules:start marker")
        + start_marker.len();
    let end = readme
        .find(end_marker)
        .expect("README has a rules:end marker");
    let table = scopeward::rules::docs::markdown_table();
    if bless() {
        let updated = format!("{}{}{}", &readme[..start], table, &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        table,
        "README's rule table is stale: run SCOPEWARD_BLESS=1 cargo test"
    );
}

#[test]
fn every_schema_has_an_id_and_the_json_example_names_and_passes_its_schema() {
    for (kind, _, _) in scopeward::schema::KINDS {
        let schema: serde_json::Value =
            serde_json::from_str(&scopeward::schema::generate(*kind)).unwrap();
        let id = schema["$id"].as_str().expect("a $id");
        assert!(id.ends_with(&scopeward::schema::file_name(*kind)), "{id}");
    }
    let schema: serde_json::Value =
        serde_json::from_str(&scopeward::schema::generate(SchemaKind::Tokens)).unwrap();
    let example: serde_json::Value =
        serde_json::from_str(include_str!("../examples/initech-agency-tokens.json")).unwrap();
    assert_eq!(example["$schema"], schema["$id"]);
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&example)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}
