"""The README's investigation queries, run by sanso and by DuckDB on the same Parquet
lake in the same run; results must be identical, and the times are compared.

DuckDB runs in this process. sanso runs in up to three ways, each a column of its own:

- `--in-process BINARY`: sanso's engine embedded in a process of its own
  (`benches/examples/sql_in_process.rs`), on the same footing as DuckDB here: the time
  is that of `Lake::sql` alone, measured inside that process. This is the engine
  against the engine.
- `--flight URI TOKEN`: a running `sanso run` over Arrow Flight SQL, through the ADBC
  driver, whose session is the one `sanso sql` opens: what an analyst's tool sees,
  network and driver included. With `--server-pid`, the server's CPU time per query
  (all its threads, not the client's) is given too.
- `--cli BINARY`: one `sanso sql --format parquet` process per query, so the time
  includes starting the process and opening the lake.

    sql_vs_duckdb.py LAKE NOW [--in-process BINARY] [--flight URI TOKEN [--server-pid PID]] [--cli BINARY]

NOW is the lake's "now", RFC 3339, UTC. Each query runs once per engine to warm the page
cache, then again, alternating between engines, at least MIN_RUNS times and until every
engine has spent BUDGET seconds on it (at most MAX_RUNS); the best time counts. A query of
a few milliseconds thus runs often enough that its best time is not one scheduler's
whim, and a query of a second still runs MIN_RUNS times. CPU time is each
engine's own: the embedded process's, the server's, or this process's while DuckDB
runs. On a shared machine CPU time moves less than wall time. Results are compared as
multisets of rows, timestamps as UTC instants.

Prints each engine's fixed cost per query (`SELECT 1`), and with `--flight` the server's
over bare Flight SQL (pyarrow's Flight client, no driver) to tell the server's share from
ADBC's, then a Markdown table of times and ratios to DuckDB. Exit status 1 if any result
differs.
"""

import argparse
import ctypes
import datetime
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

import adbc_driver_flightsql.dbapi as flightsql
import duckdb
import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.compute as pc
import pyarrow.parquet as pq
from adbc_driver_flightsql import DatabaseOptions

MIN_RUNS = 3
MAX_RUNS = 50
BUDGET = 0.5

# (name, sanso SQL, DuckDB SQL). The sanso text is the README's, except that `now()` is
# fixed (both engines must see the same instant) and ties are broken where a LIMIT would
# otherwise cut between equal rows. DuckDB has no `jst*` functions: with its session in
# UTC, JST is UTC+9 (no daylight saving), and one-hour and five-minute buckets fall on the
# same instants in both zones.
QUERIES = [
    (
        "1 one address, a week",
        """SELECT jst(time) AS jst, 'network' AS table_name, raw FROM network WHERE (src_ip = '10.20.2.15' OR dst_ip = '10.20.2.15') AND time >= {now} - INTERVAL '7 days'
UNION ALL SELECT jst(time), 'http', raw FROM http WHERE src_ip = '10.20.2.15' AND time >= {now} - INTERVAL '7 days'
UNION ALL SELECT jst(time), 'auth', raw FROM auth WHERE src_ip = '10.20.2.15' AND time >= {now} - INTERVAL '7 days'
ORDER BY 1""",
        """SELECT time AS jst, 'network' AS table_name, raw FROM network WHERE (src_ip = '10.20.2.15' OR dst_ip = '10.20.2.15') AND time >= {now} - INTERVAL '7 days'
UNION ALL SELECT time, 'http', raw FROM http WHERE src_ip = '10.20.2.15' AND time >= {now} - INTERVAL '7 days'
UNION ALL SELECT time, 'auth', raw FROM auth WHERE src_ip = '10.20.2.15' AND time >= {now} - INTERVAL '7 days'
ORDER BY 1""",
    ),
    (
        "2 flows leaving core",
        """SELECT src_ip, dst_ip, dst_port, protocol, count(*) AS flows FROM network
WHERE src_zone = 'core' AND dst_zone <> 'core' AND action = 'allow'
GROUP BY src_ip, dst_ip, dst_port, protocol ORDER BY flows DESC""",
        None,
    ),
    (
        "3 top talkers lgwan/internet",
        """SELECT src_ip, src_zone, dst_zone, count(*) AS flows, sum(bytes_out) AS bytes_out FROM network
WHERE (src_zone = 'lgwan' AND dst_zone IN ('internet', 'external')) OR (src_zone IN ('internet', 'external') AND dst_zone = 'lgwan')
GROUP BY src_ip, src_zone, dst_zone ORDER BY flows DESC, src_ip, src_zone, dst_zone LIMIT 20""",
        None,
    ),
    (
        "4 failed logons by account",
        """SELECT user, src_ip, count(*) AS failures, min(jst(time)) AS first_seen, max(jst(time)) AS last_seen FROM auth
WHERE outcome = 'failure' GROUP BY user, src_ip ORDER BY failures DESC, user NULLS LAST, src_ip NULLS LAST LIMIT 20""",
        """SELECT "user", src_ip, count(*) AS failures, min(time) AS first_seen, max(time) AS last_seen FROM auth
WHERE outcome = 'failure' GROUP BY "user", src_ip ORDER BY failures DESC, "user" NULLS LAST, src_ip NULLS LAST LIMIT 20""",
    ),
    (
        "5 password spraying",
        """SELECT src_ip, jst_bucket('1 hour', time) AS hour, count(DISTINCT user) AS accounts, count(*) AS failures FROM auth
WHERE outcome = 'failure' GROUP BY src_ip, jst_bucket('1 hour', time) HAVING count(DISTINCT user) >= 10 ORDER BY accounts DESC""",
        """SELECT src_ip, to_timestamp((epoch_us(time) // 3600000000) * 3600) AS hour, count(DISTINCT "user") AS accounts, count(*) AS failures FROM auth
WHERE outcome = 'failure' GROUP BY ALL HAVING count(DISTINCT "user") >= 10 ORDER BY accounts DESC""",
    ),
    (
        "6 port scans",
        """SELECT src_ip, jst_bucket('5 minutes', time) AS bucket, count(DISTINCT dst_port) AS ports, count(DISTINCT dst_ip) AS hosts FROM network
WHERE action IN ('deny', 'drop', 'reset') GROUP BY src_ip, jst_bucket('5 minutes', time)
HAVING count(DISTINCT dst_port) >= 50 OR count(DISTINCT dst_ip) >= 20 ORDER BY ports DESC""",
        """SELECT src_ip, to_timestamp((epoch_us(time) // 300000000) * 300) AS bucket, count(DISTINCT dst_port) AS ports, count(DISTINCT dst_ip) AS hosts FROM network
WHERE action IN ('deny', 'drop', 'reset') GROUP BY ALL
HAVING count(DISTINCT dst_port) >= 50 OR count(DISTINCT dst_ip) >= 20 ORDER BY ports DESC""",
    ),
    (
        "7 success after failures",
        """SELECT s.user, s.src_ip, jst(s.time) AS success_at, count(*) AS failures_before FROM auth s
JOIN auth f ON f.src_ip = s.src_ip AND f.outcome = 'failure' AND f.time BETWEEN s.time - INTERVAL '5 minutes' AND s.time
WHERE s.outcome = 'success' AND s.activity = 'logon' GROUP BY s.user, s.src_ip, s.time ORDER BY failures_before DESC""",
        """SELECT s."user", s.src_ip, s.time AS success_at, count(*) AS failures_before FROM auth s
JOIN auth f ON f.src_ip = s.src_ip AND f.outcome = 'failure' AND f.time BETWEEN s.time - INTERVAL '5 minutes' AND s.time
WHERE s.outcome = 'success' AND s.activity = 'logon' GROUP BY s."user", s.src_ip, s.time ORDER BY failures_before DESC""",
    ),
    (
        "8 proxy blocks",
        """SELECT zone, category, url_host, count(*) AS blocks FROM http WHERE action = 'block'
GROUP BY zone, category, url_host ORDER BY blocks DESC, zone, category NULLS LAST, url_host NULLS LAST LIMIT 20""",
        None,
    ),
    (
        "9 off-hours logons",
        """SELECT zone, jst_date(time) AS day, user, src_ip, count(*) AS logons FROM auth
WHERE zone IN ('core', 'lgwan') AND activity = 'logon' AND (jst_hour(time) < 8 OR jst_hour(time) >= 19)
GROUP BY zone, jst_date(time), user, src_ip ORDER BY day, logons DESC""",
        """SELECT zone, CAST(time + INTERVAL 9 HOUR AS DATE) AS day, "user", src_ip, count(*) AS logons FROM auth
WHERE zone IN ('core', 'lgwan') AND activity = 'logon' AND (hour(time + INTERVAL 9 HOUR) < 8 OR hour(time + INTERVAL 9 HOUR) >= 19)
GROUP BY ALL ORDER BY day, logons DESC""",
    ),
    (
        "10 log availability",
        """SELECT device, format, zone, count(*) AS lines, max(jst(received_at)) AS last_seen FROM (
  SELECT device, format, zone, received_at FROM network UNION ALL SELECT device, format, zone, received_at FROM http
  UNION ALL SELECT device, format, zone, received_at FROM auth) GROUP BY device, format, zone ORDER BY device""",
        """SELECT device, format, zone, count(*) AS lines, max(received_at) AS last_seen FROM (
  SELECT device, format, zone, received_at FROM network UNION ALL SELECT device, format, zone, received_at FROM http
  UNION ALL SELECT device, format, zone, received_at FROM auth) GROUP BY device, format, zone ORDER BY device""",
    ),
    (
        "11 unparsed by reason",
        """SELECT error, format_guess, device, count(*) AS lines, min(raw) AS example FROM unparsed
GROUP BY error, format_guess, device ORDER BY lines DESC""",
        None,
    ),
    (
        "12 unzoned destinations",
        """SELECT dst_ip, count(*) AS flows FROM network WHERE dst_zone IS NULL GROUP BY dst_ip ORDER BY flows DESC, dst_ip LIMIT 20""",
        None,
    ),
]

TABLES = ["network", "http", "auth", "unparsed"]
ROUND_TRIP = "SELECT 1"


def canonical(table: pa.Table) -> list:
    """Rows as sortable tuples: instants as UTC microseconds, whole decimals (DuckDB sums
    integers into HUGEINT) as integers, everything else as text."""
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            column = pc.cast(column, pa.timestamp("us", "UTC")).cast(pa.int64())
        elif pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        elif pa.types.is_decimal(column.type) and column.type.scale == 0:
            column = column.cast(pa.int64())
        columns.append(column.to_pylist())
    return sorted(tuple(repr(v) for v in row) for row in zip(*columns))


def timed(run) -> tuple:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def process_clock(pid: int) -> int:
    """The CPU-time clock of process `pid` (all its threads, the exited ones included)."""
    libc = ctypes.CDLL(None, use_errno=True)
    clock = ctypes.c_int()
    if libc.clock_getcpuclockid(pid, ctypes.byref(clock)) != 0:
        raise OSError(ctypes.get_errno(), f"no CPU clock for process {pid}")
    return clock.value


def bare_flight_sql(uri: str, token: str):
    """A Flight SQL statement run with pyarrow's Flight client alone: GetFlightInfo with a
    CommandStatementQuery, then DoGet; what the protocol itself costs, without a driver."""

    def field(number: int, payload: bytes) -> bytes:
        length, size = bytearray(), len(payload)
        while True:
            length.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
            size >>= 7
            if not size:
                break
        return bytes([number << 3 | 2]) + bytes(length) + payload

    client = flight.FlightClient(uri)
    options = flight.FlightCallOptions(headers=[(b"authorization", f"Bearer {token}".encode())])

    def run(sql):
        command = field(1, b"type.googleapis.com/arrow.flight.protocol.sql.CommandStatementQuery")
        command += field(2, field(1, sql.encode()))
        info = client.get_flight_info(flight.FlightDescriptor.for_command(command), options)
        return client.do_get(info.endpoints[0].ticket, options).read_all()

    return run


class Engine:
    """One way of running a query: `run(sql)` returns (wall seconds, CPU seconds or None,
    result table)."""

    def __init__(self, name: str, run):
        self.name = name
        self.run = run


def in_process_engine(binary: str, lake: str) -> Engine:
    """sanso embedded (`examples/sql_in_process.rs`): it times each query itself."""
    harness = subprocess.Popen([binary, lake], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    result = os.path.join(tempfile.mkdtemp(), "result.arrows")

    def run(sql):
        harness.stdin.write(json.dumps({"sql": sql, "out": result}) + "\n")
        harness.stdin.flush()
        answer = harness.stdout.readline().split(maxsplit=1)
        if not answer:
            raise RuntimeError(f"{binary} ended without answering")
        if answer[0] != "ok":
            raise RuntimeError(f"sanso in process: {answer[1] if len(answer) > 1 else 'no message'}")
        seconds, cpu, _rows = answer[1].split()
        # Read into memory, not mapped: the next request truncates and rewrites the file,
        # while this table may live on (DuckDB holds the one that stands in for a table
        # with no files).
        with pa.OSFile(result) as source:
            table = pa.ipc.open_stream(source).read_all()
        return float(seconds), float(cpu), table

    return Engine("sanso in process", run)


def timed_engine(name: str, run, clock) -> Engine:
    """An engine timed from here: wall time around `run`, and CPU time on `clock`, if
    there is one, around the same call.

    Every engine runs a query once per round, the embedded one included. A call of its
    own for the CPU time would give these engines a second run straight after the first,
    with their caches warm, which the embedded engine does not get: on the query over an
    empty table that alone put DuckDB ahead. Reading the clock costs about a microsecond,
    and falls outside the wall time.
    """

    def timed_run(sql):
        cpu_started = None if clock is None else time.clock_gettime(clock)
        seconds, table = timed(lambda: run(sql))
        cpu = None if clock is None else time.clock_gettime(clock) - cpu_started
        return seconds, cpu, table

    return Engine(name, timed_run)


def flight_engine(uri: str, token: str, server_pid) -> Engine:
    """A running `sanso run` through the ADBC Flight SQL driver; CPU time from the
    server's clock when its process is known."""
    sanso = flightsql.connect(
        uri,
        db_kwargs={DatabaseOptions.AUTHORIZATION_HEADER.value: f"Bearer {token}"},
        autocommit=True,
    )

    def run(sql):
        with sanso.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetch_arrow_table()

    clock = process_clock(server_pid) if server_pid is not None else None
    return timed_engine("sanso Flight SQL", run, clock)


def cli_engine(binary: str, lake: str) -> Engine:
    """One `sanso sql` process per query, its result read back from Parquet."""
    out = tempfile.mkdtemp()

    def run(sql):
        path = os.path.join(out, "result.parquet")
        subprocess.run(
            [binary, "--data", lake, "sql", "--format", "parquet", "--out", path, sql],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        return pq.read_table(path)

    return timed_engine("sanso sql", run, None)


def ratio(a, b) -> str:
    """`a / b` for the table, a dash where a time is missing."""
    if a is None or b is None:
        return "–"
    return f"{a / b:.2f}" if b else "inf"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lake")
    parser.add_argument("now")
    parser.add_argument("--in-process", metavar="BINARY")
    parser.add_argument("--flight", nargs=2, metavar=("URI", "TOKEN"))
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--cli", metavar="BINARY")
    args = parser.parse_args()
    lake = args.lake
    now_utc = datetime.datetime.fromisoformat(args.now.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%S")

    engines = []
    if args.in_process:
        engines.append(in_process_engine(args.in_process, lake))
    if args.flight:
        engines.append(flight_engine(*args.flight, args.server_pid))
    if args.cli:
        engines.append(cli_engine(args.cli, lake))
    if not engines:
        parser.error("name at least one way of running sanso: --in-process, --flight or --cli")

    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'UTC'")
    for table in TABLES:
        if glob.glob(f"{lake}/{table}/*/*/*.parquet"):
            duck.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{lake}/{table}/*/*/*.parquet', "
                "hive_partitioning = true, hive_types_autocast = false)"
            )
        else:
            # DuckDB cannot read no files; an empty table of sanso's schema stands in.
            duck.register(table, engines[0].run(f"SELECT * FROM {table} LIMIT 0")[2])

    def run_duck(sql):
        return duck.sql(sql).to_arrow_table()

    engines.append(timed_engine("DuckDB", run_duck, time.CLOCK_PROCESS_CPUTIME_ID))
    sansos = engines[:-1]

    # The fixed cost of one query, apart from any data: for sanso over Flight SQL the
    # client round trips (ADBC prepares, gets the flight info, fetches and closes: four
    # calls) and planning, or a whole process with `--cli`.
    costs = ", ".join(f"{e.name} {min(e.run(ROUND_TRIP)[0] for _ in range(5)):.4f} s" for e in engines)
    print(f"Fixed cost of `{ROUND_TRIP}`: {costs}")
    if args.flight:
        bare = bare_flight_sql(*args.flight)
        cost = min(timed(lambda: bare(ROUND_TRIP))[0] for _ in range(5))
        print(f"The same over bare Flight SQL (two calls, no ADBC): sanso {cost:.4f} s")
    print()
    header = ["query", "rows", "runs"] + [f"{e.name} (s)" for e in engines]
    header += [f"{e.name} / DuckDB" for e in sansos] + [f"CPU {e.name} / DuckDB" for e in sansos]
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    differ = 0
    for name, sanso_sql, duck_sql in QUERIES:
        sanso_sql = sanso_sql.replace("{now}", f"TIMESTAMP '{now_utc}Z'")
        duck_sql = (duck_sql or sanso_sql).replace("{now}", f"TIMESTAMPTZ '{now_utc}+00'")
        texts = [sanso_sql] * len(sansos) + [duck_sql]
        for engine, sql in zip(engines, texts):
            engine.run(sql)
        runs = [[] for _ in engines]
        while len(runs[0]) < MAX_RUNS and (
            len(runs[0]) < MIN_RUNS or min(sum(r[0] for r in done) for done in runs) < BUDGET
        ):
            for engine, sql, done in zip(engines, texts, runs):
                done.append(engine.run(sql))
        walls = [min(r[0] for r in done) for done in runs]
        cpus = [None if done[0][1] is None else min(r[1] for r in done) for done in runs]
        results = [done[-1][2] for done in runs]
        expected = canonical(results[-1])
        cells = [name, str(results[-1].num_rows), str(len(runs[0]))] + [f"{w:.3f}" for w in walls]
        for engine, result, wall, cpu in zip(sansos, results, walls, cpus):
            same = canonical(result) == expected
            if not same:
                differ += 1
                print(
                    f"RESULTS DIFFER for {name}: {engine.name} {result.num_rows} rows, DuckDB {results[-1].num_rows} rows",
                    file=sys.stderr,
                )
            cells.append(ratio(wall, walls[-1]) + ("" if same else " (results differ)"))
        cells += [ratio(cpu, cpus[-1]) for cpu in cpus[:-1]]
        print("| " + " | ".join(cells) + " |", flush=True)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
