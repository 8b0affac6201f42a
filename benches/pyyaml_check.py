"""The baseline the benchmark compares against: a plain Python script that loads the token file
with PyYAML's C loader and applies three simple checks (less work than scopeward does)."""
import sys
import yaml

with open(sys.argv[1], encoding="utf-8") as f:
    doc = yaml.load(f, Loader=yaml.CSafeLoader)

findings = 0
for t in doc.get("tokens", []):
    scopes = t.get("scopes") or []
    if "*" in scopes:
        findings += 1
    if not t.get("description"):
        findings += 1
    if t.get("environment") not in ("development", "staging", "production"):
        findings += 1
print(findings)
