# Helpers shared by the end-to-end benches (e2e.sh, kafka.sh); sourced, not run.
# http_get and metric talk to the sanso under test at 127.0.0.1:$http_port.

now() { date +%s.%N; }

# Whether a process is running (a finished child stays a zombie until waited for, and
# `kill -0` still succeeds on a zombie).
alive() {
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z ]]
}

# CPU seconds (utime + stime) in the stat file $1 of a process or one of its threads.
stat_cpu_seconds() {
    # Fields after the parenthesised name: utime and stime are the 12th and 13th.
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "$1"
}

# CPU seconds so far of process $1, all threads.
cpu_seconds() { stat_cpu_seconds "/proc/$1/stat"; }

# CPU seconds so far of process $1, summed by thread name, to see which stage is the
# bottleneck: "sanso-ingest=3.61s sanso-lake-enco=3.40s ...".
cpu_by_thread() {
    local task name seconds
    for task in /proc/"$1"/task/*; do
        name=$(cat "$task/comm" 2>/dev/null) || continue
        seconds=$(stat_cpu_seconds "$task/stat" 2>/dev/null) || continue
        echo "$name $seconds"
    done | awk '{ cpu[$1] += $2 } END { for (n in cpu) if (cpu[n] >= 0.05) printf "%s=%.2fs ", n, cpu[n] }'
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# GET a path from sanso's HTTP listener without curl: bash's /dev/tcp, HTTP/1.0 so the
# server closes the connection after the response.
http_get() {
    local fd
    exec {fd}<>"/dev/tcp/127.0.0.1/$http_port" || return 1
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&"$fd"
    cat <&"$fd"
    exec {fd}>&-
}

# Sum of a counter over its labels, from /metrics.
metric() {
    http_get /metrics 2>/dev/null | awk -v name="$1" '$1 == name || index($1, name "{") == 1 { s += $2 } END { printf "%d\n", s }'
}

# Writes to $1 the embedded example configuration (its zones and rule placeholders, which
# the demo lines follow) without its syslog sources, with the lake at $2 and the HTTP and
# Flight SQL listeners on ports $3 and $4; the caller appends its own [[sources]].
example_config() {
    python3 - "$root/src/default-config.toml" "$@" <<'PY'
import re, sys
example, out, lake, http_port, flight_port = sys.argv[1:]
text = open(example).read()
text = re.sub(r'\[\[sources\]\]\nkind = "syslog"\n(?:[a-z_]+ = .*\n)*', '', text)
assert "5514" not in text, "the example config changed its syslog sources"
for old, new in [
    ('path = "./sanso-data"', f'path = "{lake}"'),
    ('listen = "127.0.0.1:9898"', f'listen = "127.0.0.1:{http_port}"'),
    ('listen = "127.0.0.1:50051"', f'listen = "127.0.0.1:{flight_port}"'),
]:
    assert old in text, f"the example config no longer has {old}"
    text = text.replace(old, new)
open(out, "w").write(text)
PY
}
