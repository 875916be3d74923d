#!/usr/bin/env bash
# Instructions per line of every parser contender, counted by callgrind: the
# noise-free companion of the criterion figures on a shared machine. Instructions are
# not time (VRL's allocations and pointer chasing cost more cycles per instruction than
# sanso's scans), so wall-time ratios stay the headline; this shows where the
# difference comes from and that it does not depend on the machine's load.
#
#   benches/instructions.sh [FORMAT...]      # default: iptables squid sshd
#
# Needs valgrind. Takes a few minutes (callgrind runs ~50x slower than native).
set -euo pipefail

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/sanso/target}
PASSES=${PASSES:-2}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v valgrind >/dev/null || { echo "instructions.sh needs valgrind" >&2; exit 2; }

(cd "$root" && cargo build --release -p sanso-benches --example instructions) >&2
driver=$CARGO_TARGET_DIR/release/examples/instructions
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

formats=("$@")
((${#formats[@]})) || formats=(iptables squid sshd)
contenders=(sanso/full sanso/full-forced sanso/parse-only vrl)

for format in "${formats[@]}"; do
    declare -A ir=()
    for contender in "${contenders[@]}"; do
        file=$out/${format}-${contender//\//_}
        valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measure*' \
            --callgrind-out-file="$file.cg" "$driver" "$format" "$contender" "$PASSES" \
            >"$file.out" 2>"$file.err" || { cat "$file.err" >&2; exit 1; }
        collected=$(grep -o 'Collected : [0-9]*' "$file.err" | awk '{ s += $3 } END { print s }')
        lines=$(grep -o 'lines=[0-9]*' "$file.out" | cut -d= -f2)
        ir[$contender]=$((collected / lines))
    done
    printf '\n### %s: instructions per line (callgrind)\n\n' "$format"
    echo '| contender | instructions/line | vrl ÷ contender |'
    echo '|---|---:|---:|'
    for contender in "${contenders[@]}"; do
        printf '| %s | %d | %.1f |\n' "$contender" "${ir[$contender]}" \
            "$(awk -v a="${ir[vrl]}" -v b="${ir[$contender]}" 'BEGIN { print a / b }')"
    done
    unset ir
done
