#!/usr/bin/env bash
# End-to-end throughput of `sanso run`: syslog over TCP → framing → parse → Arrow →
# Parquet lake, measured from the first byte sent to the process exit after SIGTERM
# (which writes the rows still buffered), with the peak RSS of the sanso process.
#
#   benches/e2e.sh                      # 1,000,000 demo lines from one sender
#   EVENTS=3000000 SENDERS=2 benches/e2e.sh
#
# Environment:
#   EVENTS      lines in all (default 1000000)
#   SENDERS     parallel `sanso demo --send` processes, each sending EVENTS/SENDERS
#               lines with its own seed (default 1: one sender generates ~500k lines/s,
#               more than sanso takes, and leaves the second core to sanso)
#   RATE        --rate of each sender in lines/s; 0 (the default) sends as fast as the
#               connection takes them, so TCP back-pressure from sanso sets the pace
#   KEEP=1      keep the temporary directory (config, lake, logs) for inspection
#   SANSO       a sanso binary to use instead of building one
#
# Everything runs on this machine: the senders compete with sanso for the CPUs, so on
# a 2-core machine the figure is a lower bound of what sanso alone sustains. The
# report also gives the CPU seconds sanso itself used, and lines per CPU second.
#
# Phases reported:
#   received  first byte sent → sanso_lines_received_total reaches EVENTS (every line
#             framed, parsed and appended to the Arrow builders)
#   end to end first byte sent → process exited after SIGTERM (all rows in Parquet)
set -euo pipefail

EVENTS=${EVENTS:-1000000}
SENDERS=${SENDERS:-1}
RATE=${RATE:-0}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/sanso/target}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -z ${SANSO:-} ]]; then
    echo "building sanso (release)..." >&2
    (cd "$root" && cargo build --release --bin sanso) >&2
    SANSO=$CARGO_TARGET_DIR/release/sanso
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sanso-e2e.XXXXXX")
run_pid=
sanso_pid=
sender_pids=()
cleanup() {
    local pid
    # sanso itself first: GNU time does not pass signals on to its child.
    for pid in $sanso_pid "${sender_pids[@]}" $run_pid; do
        kill "$pid" 2>/dev/null || true
    done
    if [[ ${KEEP:-0} == 1 ]]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# shellcheck source=benches/lib.sh
source "$root/benches/lib.sh"

syslog_port=$(free_port)
http_port=$(free_port)
flight_port=$(free_port)
example_config "$work/sanso.toml" "$work/lake" "$http_port" "$flight_port"
cat >>"$work/sanso.toml" <<EOF

[[sources]]
kind = "syslog"
protocol = "tcp"
listen = "127.0.0.1:$syslog_port"
EOF

# sanso under GNU time for the peak RSS and CPU time; without it, VmHWM is sampled.
if [[ -x /usr/bin/time ]]; then
    RUST_LOG=warn /usr/bin/time -v -o "$work/time.txt" \
        "$SANSO" --config "$work/sanso.toml" run 2>"$work/run.log" &
    run_pid=$!
else
    RUST_LOG=warn "$SANSO" --config "$work/sanso.toml" run 2>"$work/run.log" &
    run_pid=$!
fi
# The sanso process itself (the child of time, if time is there).
sanso_pid=$run_pid
for _ in $(seq 100); do
    if [[ -x /usr/bin/time ]]; then
        sanso_pid=$(ps -o pid= --ppid "$run_pid" | tr -d ' ' | head -n1)
    fi
    [[ -n $sanso_pid ]] && http_get /health 2>/dev/null | grep -q '^ok' && break
    alive "$run_pid" || { cat "$work/run.log" >&2; exit 1; }
    sleep 0.1
done
http_get /health 2>/dev/null | grep -q '^ok' || { echo "sanso did not come up" >&2; cat "$work/run.log" >&2; exit 1; }

hwm_kb=0
sample_hwm() {
    local kb
    kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$sanso_pid/status" 2>/dev/null || echo 0)
    ((${kb:-0} > hwm_kb)) && hwm_kb=$kb
    return 0
}

echo "sending $EVENTS lines from $SENDERS sender(s) to 127.0.0.1:$syslog_port..." >&2
per=$((EVENTS / SENDERS))
t0=$(now)
for i in $(seq 1 "$SENDERS"); do
    n=$per
    ((i == SENDERS)) && n=$((EVENTS - per * (SENDERS - 1)))
    "$SANSO" demo --seed "$i" --events "$n" --start 2024-11-26T00:15:00Z \
        --send "127.0.0.1:$syslog_port" --rate "$RATE" >"$work/sender-$i.log" 2>&1 &
    sender_pids+=($!)
done

received=0
while ((received < EVENTS)); do
    sleep 0.05
    received=$(metric sanso_lines_received_total)
    sample_hwm
    if ! alive "$run_pid"; then
        echo "sanso exited early" >&2
        cat "$work/run.log" >&2
        exit 1
    fi
    # All senders gone and nothing new for a while: report what arrived.
    senders_running=0
    for pid in "${sender_pids[@]}"; do alive "$pid" && senders_running=1; done
    if ((senders_running == 0)); then
        stalled=${stalled:-0}
        if ((received == ${last:-0})); then stalled=$((stalled + 1)); else stalled=0; fi
        last=$received
        if ((stalled > 40)); then
            echo "senders finished but only $received of $EVENTS lines arrived" >&2
            cat "$work"/sender-*.log >&2
            break
        fi
    fi
done
t1=$(now)
sender_status=0
for pid in "${sender_pids[@]}"; do
    wait "$pid" || sender_status=$?
done
sender_pids=()
((sender_status == 0)) || { echo "a sender failed:" >&2; cat "$work"/sender-*.log >&2; }

sample_hwm
rows_before=$(metric sanso_rows_total)
threads=$(cpu_by_thread "$sanso_pid")
kill -TERM "$sanso_pid"
wait "$run_pid" || true
run_pid=
sanso_pid=
t2=$(now)

max_rss_kb=$hwm_kb
cpu_s=
if [[ -f $work/time.txt ]]; then
    max_rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
    cpu_s=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { print u + s }' "$work/time.txt")
fi

files=$(find "$work/lake" -name '*.parquet' | wc -l)
lake_bytes=$(du -sb "$work/lake" | cut -f1)
rows_lake=0
for table in network http auth mail unparsed; do
    [[ -d $work/lake/$table ]] || continue
    n=$("$SANSO" --config "$work/sanso.toml" sql --format csv "SELECT count(*) AS n FROM $table" 2>/dev/null | tail -n1)
    [[ $n =~ ^[0-9]+$ ]] && rows_lake=$((rows_lake + n))
done

python3 - "$EVENTS" "$received" "$t0" "$t1" "$t2" "$max_rss_kb" "${cpu_s:-}" "$files" "$lake_bytes" "$rows_lake" "$rows_before" "$SENDERS" "$threads" <<'EOF'
import sys
events, received, t0, t1, t2, rss_kb, cpu, files, lake_bytes, rows_lake, rows_before, senders, threads = sys.argv[1:]
events, received, rows_lake, rows_before = int(events), int(received), int(rows_lake), int(rows_before)
t0, t1, t2 = float(t0), float(t1), float(t2)
print(f"lines sent:            {events:,} ({senders} sender(s))")
print(f"lines received:        {received:,}")
print(f"rows in the lake:      {rows_lake:,} (lines in = rows out: {'yes' if rows_lake == received else 'NO'})")
print(f"received phase:        {t1 - t0:.3f} s  -> {received / (t1 - t0):,.0f} lines/s")
print(f"SIGTERM to exit:       {t2 - t1:.3f} s  (final flush; {received - rows_before:,} rows were still in the Arrow builders)")
print(f"end to end:            {t2 - t0:.3f} s  -> {received / (t2 - t0):,.0f} lines/s")
print(f"peak RSS (sanso):      {int(rss_kb) / 1024:,.1f} MiB")
if cpu:
    print(f"sanso CPU time:        {float(cpu):.2f} s  -> {received / float(cpu):,.0f} lines per CPU second")
print(f"lake:                  {int(files)} Parquet files, {int(lake_bytes) / 2**20:,.1f} MiB")
print(f"CPU by thread at SIGTERM: {threads}")
EOF
