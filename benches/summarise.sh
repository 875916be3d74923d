#!/usr/bin/env bash
# Turns the criterion results of `cargo bench -p sanso-benches --bench parsers` into
# Markdown tables: lines/s, MB/s and the ratio to vrl for every contender of every
# format. Reads <criterion dir>/<group>/*/new/{benchmark,estimates}.json and the
# corpus.json the bench writes beside them.
#
#   benches/summarise.sh [CRITERION_DIR]
#
# CRITERION_DIR defaults to $CRITERION_HOME, else $CARGO_TARGET_DIR/criterion, else
# ~/.cache/sanso/target/criterion. Figures are the median of the samples: on a shared,
# noisy machine it moves less than the mean. Groups named `<format>-cpu` come from
# `SANSO_BENCH_CLOCK=cpu cargo bench ...` and are timed in thread CPU time.
set -euo pipefail

dir=${1:-${CRITERION_HOME:-${CARGO_TARGET_DIR:-$HOME/.cache/sanso/target}/criterion}}
command -v jq >/dev/null || { echo "summarise.sh needs jq" >&2; exit 2; }
[[ -d $dir ]] || { echo "no criterion results in $dir" >&2; exit 1; }

for group in iptables squid sshd filterlog fortigate windows \
    iptables-cpu squid-cpu sshd-cpu filterlog-cpu fortigate-cpu windows-cpu; do
    [[ -f $dir/$group/corpus.json ]] || continue
    lines=$(jq .lines "$dir/$group/corpus.json")
    bytes=$(jq .bytes "$dir/$group/corpus.json")
    clock="wall time"
    [[ $group == *-cpu ]] && clock="thread CPU time"
    printf '\n### %s (%s; %d lines, %.1f bytes/line)\n\n' "$group" "$clock" "$lines" "$(jq -n "$bytes / $lines")"
    echo '| contender | lines/s | MB/s | ns/line | × vrl |'
    echo '|---|---:|---:|---:|---:|'
    # One JSON object per contender: name and median nanoseconds per iteration (corpus).
    results=$(for b in "$dir/$group"/*/new; do
        [[ -f $b/benchmark.json && -f $b/estimates.json ]] || continue
        jq -n --slurpfile meta "$b/benchmark.json" --slurpfile est "$b/estimates.json" \
            '{name: $meta[0].function_id, ns: $est[0].median.point_estimate}'
    done | jq -s .)
    vrl_ns=$(jq '[.[] | select(.name == "vrl") | .ns][0] // empty' <<<"$results")
    jq -r --argjson lines "$lines" --argjson bytes "$bytes" --argjson vrl "${vrl_ns:-null}" '
        sort_by(.ns)[]
        | [ .name,
            ($lines / .ns * 1e9 | floor | tostring),
            ($bytes / .ns * 1e3 | . * 10 | round / 10 | tostring),
            (.ns / $lines | . * 10 | round / 10 | tostring),
            (if $vrl == null then "n/a" else ($vrl / .ns | . * 10 | round / 10 | tostring) end) ]
        | "| " + join(" | ") + " |"' <<<"$results" |
        # Thousands separators for lines/s.
        awk -F' \\| ' 'BEGIN { OFS = " | " } { n = $2; s = ""; while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) } $2 = n s; print }'
done
