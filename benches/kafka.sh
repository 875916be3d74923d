#!/usr/bin/env bash
# Kafka intake throughput: a tansu broker (in-memory) → `sanso run` with a kafka source
# → consume, parse, detect, Parquet lake; against a bare librdkafka consumer reading the
# same topic in the same run (benches/examples/kafka_peer.rs), which is the ceiling the
# broker and librdkafka allow on this machine.
#
#   benches/kafka.sh                        # 2,000,000 demo lines over 2 partitions
#   MESSAGES=4000000 PARTITIONS=4 benches/kafka.sh
#
# Environment:
#   MESSAGES    messages in the topic (default 2000000)
#   PARTITIONS  partitions of the topic (default 2)
#   KEEP=1      keep the temporary directory (config, lake, logs)
#   KAFKA_OPTIONS  librdkafka settings for both consumers, "key=value,..."
#   SANSO       a sanso binary to use instead of building one (to compare two builds)
#
# The topic is filled first, then read twice from the beginning: by the bare consumer,
# then by sanso. Each figure runs from the first message received to the last one
# (sanso: until `sanso_rows_total` reaches MESSAGES, every message parsed and handed to
# the lake writer; then to the exit after SIGTERM, every row in Parquet). The broker
# shares the two cores with the consumer being measured.
set -euo pipefail

MESSAGES=${MESSAGES:-2000000}
PARTITIONS=${PARTITIONS:-2}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/sanso/target}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TANSU=${TANSU:-$(command -v tansu || echo "$HOME/.cargo/bin/tansu")}

echo "building the Kafka peer (release), and sanso unless SANSO names one..." >&2
if [[ -z ${SANSO:-} ]]; then
    (cd "$root" && cargo build --release --bin sanso) >&2
    SANSO=$CARGO_TARGET_DIR/release/sanso
fi
(cd "$root" && cargo build --release -p sanso-benches --example kafka_peer) >&2
PEER=$CARGO_TARGET_DIR/release/examples/kafka_peer

work=$(mktemp -d "${TMPDIR:-/tmp}/sanso-kafka.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [[ ${KEEP:-0} == 1 ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# shellcheck source=benches/lib.sh
source "$root/benches/lib.sh"

kafka_port=$(free_port)
brokers=127.0.0.1:$kafka_port
"$TANSU" broker --listener-url "tcp://$brokers" --advertised-listener-url "tcp://$brokers" \
    --storage-engine memory://tansu/ >"$work/tansu.log" 2>&1 &
tansu_pid=$!
pids+=("$tansu_pid")
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$kafka_port") 2>/dev/null && break; sleep 0.1; done
"$TANSU" topic create --broker "tcp://$brokers" --partitions "$PARTITIONS" logs >/dev/null

echo "generating demo lines and producing $MESSAGES messages..." >&2
"$SANSO" demo --seed 1 --events 200000 --start 2024-11-26T00:15:00Z --out "$work/demo" >/dev/null
cat "$work"/demo/*.log >"$work/lines.txt"
"$PEER" produce "$brokers" logs "$MESSAGES" "$work/lines.txt"

echo "bare librdkafka consumer..." >&2
tansu_cpu0=$(cpu_seconds "$tansu_pid")
read -r raw_messages raw_bytes raw_seconds raw_cpu < <("$PEER" consume "$brokers" logs "$MESSAGES")
tansu_cpu_raw=$(awk -v a="$(cpu_seconds "$tansu_pid")" -v b="$tansu_cpu0" 'BEGIN { printf "%.2f", a - b }')

http_port=$(free_port)
flight_port=$(free_port)
example_config "$work/sanso.toml" "$work/lake" "$http_port" "$flight_port"
kafka_options=$(python3 -c '
import os
print(", ".join("\"{}\" = \"{}\"".format(*o.split("=", 1)) for o in os.environ.get("KAFKA_OPTIONS", "").split(",") if o))')
cat >>"$work/sanso.toml" <<EOF

[[sources]]
kind = "kafka"
brokers = "$brokers"
topics = ["logs"]
group = "sanso-bench"
kafka_options = { $kafka_options }
EOF

echo "sanso run..." >&2
tansu_cpu0=$(cpu_seconds "$tansu_pid")
RUST_LOG=warn "$SANSO" --config "$work/sanso.toml" run 2>"$work/run.log" &
sanso_pid=$!
pids+=("$sanso_pid")
t_first=
rows=0
while ((rows < MESSAGES)); do
    sleep 0.05
    kill -0 "$sanso_pid" 2>/dev/null || { cat "$work/run.log" >&2; exit 1; }
    consumed=$(metric sanso_kafka_messages_total)
    [[ -z $t_first && $consumed -gt 0 ]] && t_first=$(now)
    rows=$(metric sanso_rows_total)
done
t_rows=$(now)
sanso_cpu=$(cpu_seconds "$sanso_pid")
threads=$(cpu_by_thread "$sanso_pid")
tansu_cpu_sanso=$(awk -v a="$(cpu_seconds "$tansu_pid")" -v b="$tansu_cpu0" 'BEGIN { printf "%.2f", a - b }')
kill -TERM "$sanso_pid"
wait "$sanso_pid"
t_end=$(now)

awk -v n="$MESSAGES" -v p="$PARTITIONS" -v rs="$raw_seconds" -v rb="$raw_bytes" \
    -v tf="$t_first" -v tr="$t_rows" -v te="$t_end" -v sc="$sanso_cpu" \
    -v tcr="$tansu_cpu_raw" -v tcs="$tansu_cpu_sanso" -v rc="$raw_cpu" 'BEGIN {
    raw = n / rs; parsed = n / (tr - tf); lake = n / (te - tf)
    printf "messages %d over %d partitions, %.0f bytes each on average\n", n, p, rb / n
    printf "bare librdkafka consumer   %8.2f s  %9.0f msg/s  (broker CPU %s s)\n", rs, raw, tcr
    printf "sanso, parsed              %8.2f s  %9.0f msg/s  (%.2f of the bare consumer)\n", tr - tf, parsed, parsed / raw
    printf "sanso, in the lake (exit)  %8.2f s  %9.0f msg/s  (%.2f of the bare consumer)\n", te - tf, lake, lake / raw
    printf "sanso CPU %.2f s (%.0f msg per CPU second), broker CPU meanwhile %s s\n", sc, n / sc, tcs
    # What 500 k msg/s on these 2 cores leaves for parsing and writing, once the broker
    # and a bare consumer have taken their share.
    transport = (rc + tcr) / n * 1e6; budget = 2 / 500000 * 1e6
    printf "reading the topic costs %.2f CPU-µs per message (bare consumer %.2f s, broker %s s);\n", transport, rc, tcr
    printf "  500 k msg/s on 2 cores allows %.2f CPU-µs per message in all, %.2f beyond reading;\n", budget, budget - transport
    printf "  sanso and the broker spent %.2f\n", (sc + tcs) / n * 1e6
}'
echo "sanso CPU by thread when every message was parsed: $threads"
