#!/usr/bin/env bash
# SQL over the lake, sanso against DuckDB (DESIGN.md §9: "SQL over the lake within
# DuckDB's time on the same Parquet files").
#
# 1. Builds a lake of $SANSO_BENCH_EVENTS demo events (default 50 M) under
#    $SANSO_BENCH_LAKE (default ~/.cache/sanso/bench-lake), in chunks of `sanso demo
#    --out` + `sanso import`, then compacts it; a finished lake is reused by later runs.
# 2. Starts `sanso run` on it (no sources; Flight SQL on a loopback port).
# 3. Runs benches/sql_vs_duckdb.py: the README's investigation queries, with sanso's
#    engine embedded (examples/sql_in_process.rs, as DuckDB is embedded in Python),
#    through Flight SQL (ADBC), and through DuckDB on the same files, checking that the
#    results are identical.
#
# Needs the virtualenv of tests/install-prerequisites (DuckDB, the ADBC driver). Builds
# and uses the binaries of the production profile, the build to deploy and the one whose
# figures benches/RESULTS.md and the README quote. Its link needs about 13 GB of memory
# and 20 minutes per binary, so they are built one at a time. SANSO_PROFILE=release
# builds without link-time optimisation instead (its queries took up to 26 % longer),
# and SANSO_BIN and SANSO_IN_PROCESS_BIN use binaries built elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sanso/target}"
events="${SANSO_BENCH_EVENTS:-50000000}"
lake="${SANSO_BENCH_LAKE:-$HOME/.cache/sanso/bench-lake}"
venv="${SANSO_VENV:-$HOME/.cache/sanso/venv}"
chunk=5000000
# The demo city logs about 20 lines a second: a chunk covers chunk/20 seconds.
chunk_seconds=$((chunk / 20))
start_epoch=$(date -u -d 2026-10-01T00:00:00Z +%s)

profile="${SANSO_PROFILE:-production}"
# Cargo puts the dev, test and bench profiles' binaries under other folders' names, and a
# debug build says nothing about speed.
case "$profile" in
    dev | test | bench)
        echo "sql-vs-duckdb: SANSO_PROFILE=$profile is not a build to measure; use production or release" >&2
        exit 2
        ;;
esac
if [ -z "${SANSO_BIN:-}" ]; then
    cargo build --profile "$profile" -p sanso -j 2
    SANSO_BIN="$CARGO_TARGET_DIR/$profile/sanso"
fi
if [ -z "${SANSO_IN_PROCESS_BIN:-}" ]; then
    cargo build --profile "$profile" -p sanso-benches --example sql_in_process -j 2
    SANSO_IN_PROCESS_BIN="$CARGO_TARGET_DIR/$profile/examples/sql_in_process"
fi
bench_config="$(mktemp -d)"
trap 'rm -rf "$bench_config"' EXIT
# The embedded example without its sources, with large flushes (one file per partition
# per 4 M rows) and listeners on ports of their own. awk reads to the end: were it to
# stop at the first source, sed could be killed by SIGPIPE, and pipefail would end the
# script there without a word.
sed -e 's/^flush_rows = .*/flush_rows = 4000000/' \
    -e 's/^listen = "127.0.0.1:9898"$/listen = "127.0.0.1:19898"\ntokens = ["bench"]/' \
    -e 's/127.0.0.1:50051/127.0.0.1:15051/' \
    src/default-config.toml | awk '/^\[\[sources\]\]/ { sources = 1 } !sources' >"$bench_config/sanso.toml"

# A lake is reused while it holds as many events and was written with the same file
# layout: bump `layout` whenever the lake writer changes how it encodes files.
layout=3
marker="$events events, layout $layout"
if [ "$(cat "$lake/.bench-events" 2>/dev/null)" != "$marker" ]; then
    echo "sql-vs-duckdb: building a lake of $events demo events in $lake"
    rm -rf "$lake"
    mkdir -p "$lake"
    done_events=0
    i=0
    while [ "$done_events" -lt "$events" ]; do
        n=$((events - done_events < chunk ? events - done_events : chunk))
        start=$(date -u -d "@$((start_epoch + i * chunk_seconds))" +%Y-%m-%dT%H:%M:%SZ)
        out="$lake/.demo"
        rm -rf "$out"
        "$SANSO_BIN" demo --seed $((i + 1)) --events "$n" --start "$start" --out "$out" >/dev/null
        "$SANSO_BIN" --config "$bench_config/sanso.toml" --data "$lake" import "$out"/*.log
        rm -rf "$out"
        done_events=$((done_events + n))
        i=$((i + 1))
    done
    echo "$marker" >"$lake/.bench-events"
fi
# Merge what the chunks left small, before the server's own compaction would do it
# while DuckDB reads (DuckDB does not know manifests). Three passes: merge, delete the
# inputs, delete the manifests; on a lake compacted already they find nothing to do.
for _ in 1 2 3; do
    "$SANSO_BIN" --config "$bench_config/sanso.toml" --data "$lake" compact --grace 0
done
# The lake's "now": the end of the demo traffic.
now=$(date -u -d "@$((start_epoch + events / 20))" +%Y-%m-%dT%H:%M:%SZ)

# The server only answers queries. Without rules it writes nothing into the lake it is
# measured on: with them, having no sources, it would raise "source fell silent" alerts.
sed 's/^builtin = true$/builtin = false/' "$bench_config/sanso.toml" >"$bench_config/serve.toml"
grep -q '^builtin = false$' "$bench_config/serve.toml" || {
    echo "sql-vs-duckdb: the example config no longer has 'builtin = true' under [detection]" >&2
    exit 1
}
"$SANSO_BIN" --config "$bench_config/serve.toml" --data "$lake" run &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$bench_config"' EXIT
for _ in $(seq 100); do
    curl -fsS http://127.0.0.1:19898/health >/dev/null 2>&1 && break
    sleep 0.2
done

echo "sql-vs-duckdb: $(find "$lake" -name '*.parquet' | wc -l) files, $(du -sh "$lake" | cut -f1), now = $now"
"$venv/bin/python" benches/sql_vs_duckdb.py "$lake" "$now" --in-process "$SANSO_IN_PROCESS_BIN" \
    --flight grpc://127.0.0.1:15051 bench --server-pid "$server"
