#!/usr/bin/env bash
# Check the CI files with the tools this machine has (the nightly kind job
# cannot run here), and the C formatting: every C file follows
# .clang-format, every shell script passes shellcheck at warning level,
# the workflow YAML parses and has the expected shape, and the workflow
# copy in ci/ matches .github/workflows/ but for its header comment.
# Exit 77 (skipped) when shellcheck or python3-yaml is missing outside CI.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=
command -v shellcheck >/dev/null 2>&1 || missing="shellcheck"
command -v clang-format >/dev/null 2>&1 || missing="$missing clang-format"
/usr/bin/python3 -c 'import yaml' 2>/dev/null || missing="$missing python3-yaml"
if [ -n "$missing" ]; then
    echo "SKIP: missing$missing (ci/install-deps.sh installs them)"
    [ -n "${CI:-}" ] && exit 1
    exit 77
fi

mapfile -t scripts < <(git ls-files '*.sh' .ci/run 2>/dev/null ||
                       find . -name '*.sh' -not -path './build*')
shellcheck -S warning "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"

# docs/conventions.md, Build and format: the C sources follow .clang-format
mapfile -t csrc < <(git ls-files '*.c' '*.h')
clang-format --dry-run --Werror "${csrc[@]}"
echo "clang-format: ${#csrc[@]} C files formatted"

/usr/bin/python3 - <<'PY'
import sys
import yaml

wf = yaml.safe_load(open(".github/workflows/kind-nightly.yml"))
# PyYAML reads the key "on" as the boolean True
triggers = wf.get("on", wf.get(True))
assert "schedule" in triggers and "workflow_dispatch" in triggers, triggers
steps = wf["jobs"]["conformance"]["steps"]
runs = " ".join(s.get("run", "") for s in steps)
assert "ci/kind-nightly.sh" in runs, runs
assert any("upload-artifact" in s.get("uses", "") for s in steps)


def body(path):
    lines = open(path).read().splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return lines


if body(".github/workflows/kind-nightly.yml") != body("ci/kind-nightly.yml"):
    sys.exit("ci/kind-nightly.yml differs from .github/workflows/kind-nightly.yml")
print("workflow: parses, runs ci/kind-nightly.sh, keeps the JUnit files")
PY
