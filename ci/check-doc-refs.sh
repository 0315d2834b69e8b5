#!/usr/bin/env bash
# References stay inside the repository: no tracked file may cite the
# research notes that used to live outside it (k8s-api.md,
# go-micro-registry.md, design.md, style.md, shared/...). Their facts are
# in docs/: kubernetes-api.md, go-micro-wire.md, architecture.md and
# conventions.md. A path ending in design.md or style.md passes only when
# it names a file of the repository. A section sign followed by a number
# ("§4") is the old notes' way of citing a section and fails too, except
# on a line that cites an RFC.
# Prints file:line: text for each offence and exits 1; exits 0 when clean.
# Usage: ci/check-doc-refs.sh [SOURCE_DIR]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files)
else
    mapfile -t files < <(find . -type f -not -path './build*' \
        -not -path './.git/*' | sed 's|^\./||' | sort)
fi

declare -A known
for f in "${files[@]}"; do
    known[$f]=1
done

# this script names the old notes; issue texts kept in the tree may quote them
keep=()
for f in "${files[@]}"; do
    case $f in
    ci/check-doc-refs.sh | issues/* | .issues/*) ;;
    *) [ -f "$f" ] && keep+=("$f") ;;
    esac
done

names='(k8s-api|go-micro-registry|design|style)\.md'
token="[A-Za-z0-9_./-]*$names"
bad=0
declare -A seen

# Is @1, a path mentioned in file @2, a file of the repository?
in_repo() {
    local path=${1#./} dir
    [ -n "${known[$path]:-}" ] && return 0
    dir=$(dirname "$2")
    path=$(realpath -m --relative-to=. "$dir/$1" 2>/dev/null) || return 1
    [ -n "${known[$path]:-}" ]
}

while IFS= read -r hit; do
    file=${hit%%:*}
    rest=${hit#*:}
    line=${rest%%:*}
    text=${rest#*:}
    offence=
    while IFS= read -r tok; do
        case ${tok##*/} in
        k8s-api.md | go-micro-registry.md) offence=$tok ;;
        design.md | style.md)
            case $tok in
            */shared/* | shared/*) offence=$tok ;;
            *) in_repo "$tok" "$file" || offence=$tok ;;
            esac
            ;;
        esac
    done < <(grep -oE "$token" <<<"$text" || true)
    if [ -n "$offence" ]; then
        echo "$file:$line: $(sed 's/^[[:space:]]*//' <<<"$text")"
        seen[$file:$line]=1
        bad=$((bad + 1))
    fi
done < <(grep -nIE "$names" -- "${keep[@]}" 2>/dev/null || true)

while IFS= read -r hit; do
    file=${hit%%:*}
    rest=${hit#*:}
    line=${rest%%:*}
    text=${rest#*:}
    [ -n "${seen[$file:$line]:-}" ] && continue
    grep -q 'RFC' <<<"$text" && continue
    echo "$hit" | sed 's/:[[:space:]]*/: /2'
    bad=$((bad + 1))
done < <(grep -nIE '§ ?[0-9]' -- "${keep[@]}" 2>/dev/null || true)

if [ "$bad" -gt 0 ]; then
    echo "check-doc-refs: $bad line(s) cite notes outside the repository;"
    echo "cite docs/kubernetes-api.md, docs/go-micro-wire.md,"
    echo "docs/architecture.md or docs/conventions.md (or the upstream file)"
    exit 1
fi
echo "check-doc-refs: ${#keep[@]} files, no reference outside the repository"
