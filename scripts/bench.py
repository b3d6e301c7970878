"""The benchmark (issue 14), driven by scripts/bench: the service over HTTP against the
database's own rate for the same statements, side by side, on SQLite and on a throwaway
PostgreSQL, in one run. bench/README.md says how to read what it prints and writes.

For each engine:
  1. data: `provincial-kpi generate` fills an empty database (national size by default) and
     writes its manifest; a copy of the result may be kept under the cache directory, keyed by
     the generate arguments, the engine's migrations and the generator's source, and reused by
     later runs;
  2. set-up through the API: two more evaluations of the manifest's province (the next two
     fiscal years, the same framework, active), an agency officer account for every reporting
     agency, and every (indicator, agency, month) of those two evaluations as the targets of
     "create a report": the first year's for the service, the second year's for the database;
  3. capture: a server whose database connections log every statement (PostgreSQL:
     log_statement=all; SQLite: gdb at sqlite3_exec and sqlite3_reset, which print each
     statement with its bound values) serves ONE request of each scenario; its statements,
     with their parameters, are what the database runs in step 5;
  4. the service: a fresh release server, wrk on loopback (bench/wrk/*.lua), bounded in time
     and connections; peak RSS sampled; every non-2xx answer (from the server's /metrics) and
     every socket error counted;
  5. the database's own figure for the captured statements: pgbench (-M prepared) with a
     script of them, with as many clients as the service has pool connections, or bench/sqlite
     (the service's own SQLite from Rust), a thread per core;
  6. batch intake of 10 k and 100 k items: scripts/bench_intake.py's measurement (its own
     Yasothon-sized evaluation; the database's own multi-row upsert of the same rows).
"""

import argparse
import base64
import datetime
import hashlib
import json
import math
import multiprocessing
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_intake  # noqa: E402  (the shared helpers: processes, PostgreSQL, RSS, batch)
from bench_intake import PG_BIN, PeakRss, Postgres, Server, Work, log, sqlite_copy  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WRK_DIR = os.path.join(ROOT, "bench", "wrk")
PASSWORD = bench_intake.PASSWORD

# `provincial-kpi generate` arguments per BENCH_SCALE: full is the national deployment of
# DESIGN.md (77 provinces × 50 agencies × 30 indicators × 12 months ≈ 1.4 M reports).
SCALES = {
    "full": {"provinces": 77, "agencies": 50, "indicators": 30, "months": 12},
    "small": {"provinces": 3, "agencies": 10, "indicators": 10, "months": 6},
}
BATCHES = {"full": (10_000, 100_000), "small": (10_000,)}
SEED = 2565

# The service's pool sizes (README: KPI_DB_POOL_SIZE): pgbench runs as many clients.
POOL = {"sqlite": 8, "postgres": 10}

# (key, what, kind): kind "rate" is wrk with many connections (requests/s), "latency" one
# connection (p50/p99 of one request at a time).
SCENARIOS = [
    ("get", "GET one report (agency officer)", "rate"),
    ("list", "list a province's reports of a month (province admin)", "rate"),
    ("create", "create a report (agency officer)", "rate"),
    ("summary", "one province's round summary (province admin)", "latency"),
    ("rankings", "national rankings (admin)", "latency"),
]

TARGETS = {  # issue 14, "Targets"; printed beside the figures
    "get": "PostgreSQL: service >= 60% of its main SELECT's rate",
    "list": None,
    "create": "service >= 60% of the database's rate for its statements",
    "summary": "p50 <= 20 ms",
    "rankings": "PostgreSQL: p50 <= 1 s",
    "batch": {"sqlite": ">= 150,000 items/s", "postgres": ">= 50% of its own multi-row upsert"},
    "rss": "peak RSS <= 64 MB under the read load",
}


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def percentile(values, p):
    """Nearest rank (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


# ---------------------------------------------------------------------------------------------
# Data: generate (or reuse a cached copy)


def sources_digest(engine):
    """What a generated database depends on besides the arguments: the engine's migrations and
    the generator's source (a cached copy of an older generator's output is not reused)."""
    digest = hashlib.sha256()
    paths = [os.path.join(ROOT, "migrations", engine), os.path.join(ROOT, "src", "cli", "generate"),
             os.path.join(ROOT, "src", "cli", "generate.rs")]
    for base in paths:
        found = [(base, [""])] if os.path.isfile(base) else [
            (folder, sorted(files)) for folder, _, files in sorted(os.walk(base))]
        for folder, files in found:
            for name in files:
                path = os.path.join(folder, name) if name else folder
                digest.update(os.path.relpath(path, ROOT).encode())
                with open(path, "rb") as f:
                    digest.update(f.read())
    return digest.hexdigest()


def generate_args(scale):
    sizes = SCALES[scale]
    return ["--provinces", str(sizes["provinces"]), "--agencies", str(sizes["agencies"]),
            "--indicators", str(sizes["indicators"]), "--months", str(sizes["months"]),
            "--seed", str(SEED)]


def generate(args, url, manifest_path):
    env = dict(os.environ, DATABASE_URL=url, KPI_PASSWORD=PASSWORD, RUST_LOG="warn")
    command = [args.binary, "generate", *generate_args(args.scale), "--manifest", manifest_path]
    log("generate: " + " ".join(command[1:]))
    subprocess.run(command, env=env, check=True, stdin=subprocess.DEVNULL)


class Database:
    """The engine's generated database and how to reach it."""

    def __init__(self, engine, args, work):
        self.engine, self.work = engine, work
        key = hashlib.sha256(json.dumps([engine, generate_args(args.scale),
                                         sources_digest(engine)]).encode()).hexdigest()[:16]
        cached = os.path.join(args.cache, f"{engine}-{args.scale}-{key}") if args.cache else None
        self.cached = bool(cached and os.path.exists(os.path.join(cached, "manifest.json")))
        manifest_path = os.path.join(work.path, f"manifest-{engine}.json")
        if engine == "sqlite":
            self.path = os.path.join(work.path, "kpi.sqlite3")
            self.url = f"sqlite://{self.path}"
            if self.cached:
                log(f"sqlite: the generated database from the cache {cached}")
                shutil.copyfile(os.path.join(cached, "kpi.sqlite3"), self.path)
                shutil.copyfile(os.path.join(cached, "manifest.json"), manifest_path)
            else:
                generate(args, self.url, manifest_path)
                checkpoint = sqlite3.connect(self.path)
                checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                checkpoint.close()
                if cached:
                    self.keep(cached, [(self.path, "kpi.sqlite3"), (manifest_path, "manifest.json")])
        else:
            self.name = "kpi"
            if self.cached:
                log(f"postgres: the generated cluster from the cache {cached}")
                self.pg = Postgres(work, data_from=os.path.join(cached, "data"))
                shutil.copyfile(os.path.join(cached, "manifest.json"), manifest_path)
            else:
                self.pg = work.pg or Postgres(work)
                self.pg.psql("postgres", "CREATE DATABASE kpi ENCODING 'UTF8' TEMPLATE template0")
                generate(args, self.pg.url(self.name), manifest_path)
                if cached:
                    self.pg.psql(self.name, "VACUUM ANALYZE")
                    self.pg.stop()
                    self.keep(cached, [(self.pg.data, "data"), (manifest_path, "manifest.json")])
                    self.pg.start()
            self.url = self.pg.url(self.name)
        with open(manifest_path) as f:
            self.manifest = json.load(f)
        self.generate_seconds = self.manifest.get("seconds")  # the generator's own, cached or not

    def keep(self, cached, items):
        """Copies the fresh database into the cache (whole, or not at all)."""
        partial = cached + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        os.makedirs(partial)
        for source, name in items:
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(partial, name), symlinks=True,
                                ignore=shutil.ignore_patterns("postmaster.pid"))
            else:
                shutil.copyfile(source, os.path.join(partial, name))
        shutil.rmtree(cached, ignore_errors=True)
        os.rename(partial, cached)
        log(f"{self.engine}: the generated database is cached in {cached}")


# ---------------------------------------------------------------------------------------------
# Set-up through the API


def login(server, username):
    body, _ = server.api("POST", "/api/v1/auth/token", None,
                         {"username": username, "password": PASSWORD})
    return body["access_token"]


def all_pages(server, token, path):
    items, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        page_path = f"{path}{sep}limit=500" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        page, _ = server.api("GET", page_path, token)
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def set_up(server, manifest):
    """Tokens, and the targets of "create a report": two more evaluations of the manifest's
    province (the next two fiscal years, its framework, active) with an officer per reporting
    agency; every (indicator, agency, month) of each, as (slot, token, body)."""
    accounts = manifest["accounts"]
    tokens = {role: login(server, accounts[role]) for role in
              ("admin", "province_admin", "agency_officer")}
    admin, padmin = tokens["admin"], tokens["province_admin"]
    source = manifest["evaluation_id"]
    framework, _ = server.api("GET", f"/api/v1/evaluations/{source}/framework", admin)
    province = manifest["province"]["id"]
    reporters = sorted({a["organization_code"] for c in framework["components"]
                        for i in c["indicators"] for a in i["assignments"]
                        if a["role"] in ("host", "co_host")})
    organizations = {o["code"]: o for o in all_pages(server, admin, "/api/v1/organizations")}
    officers = {}
    for code in reporters:
        org = organizations[code]
        username = f"bench.w{org['id']}"
        server.api("POST", "/api/v1/users", admin, {
            "username": username, "display_name": f"เจ้าหน้าที่ {org['name_th']}"[:200],
            "password": PASSWORD, "role": "agency_officer", "organization_id": org["id"]})
        officers[org["id"]] = {"username": username, "code": code, "token": login(server, username)}
    log(f"set-up: {len(officers)} agency officers")
    evaluations = []
    for offset in (1, 2):
        fiscal_year = manifest["fiscal_year"] + offset
        evaluation, _ = server.api("POST", "/api/v1/evaluations", admin, {
            "province_id": province, "fiscal_year": fiscal_year, "deadline_day": 3,
            "title": f"การประเมินส่วนราชการ ประจำปีงบประมาณ พ.ศ. {fiscal_year} (bench)"})
        path = f"/api/v1/evaluations/{evaluation['id']}"
        server.api("PUT", path + "/framework", admin, framework)
        _, etag = server.api("GET", path, admin)
        server.api("PATCH", path, admin, {"status": "active"}, "application/merge-patch+json",
                   {"If-Match": etag})
        evaluations.append(evaluation)
    targets = []
    for evaluation in evaluations:
        as_of = f"{evaluation['fiscal_year'] - 543 + 1}-03-01T00:00:00Z"  # after the span
        slots = []
        for org_id, officer in officers.items():
            work_list, _ = server.api(
                "GET", f"/api/v1/organizations/{org_id}/due?evaluation_id={evaluation['id']}"
                f"&as_of={as_of}", padmin)
            for item in work_list["items"]:
                if item["next_action"] != "create":
                    continue
                slots.append({
                    "evaluation_id": evaluation["id"], "indicator_id": item["indicator_id"],
                    "organization_id": org_id, "period": item["period"],
                    "username": officer["username"].lower(), "org_code": officer["code"].lower(),
                    "due_at": item["due_at"].replace("T", " ").rstrip("Z"),
                    "token": officer["token"],
                })
        # Month by month, indicator by indicator, each agency in turn: concurrent requests
        # file different agencies' reports, as a deadline day does.
        slots.sort(key=lambda s: (s["period"], s["indicator_id"], s["organization_id"]))
        targets.append(slots)
        log(f"set-up: evaluation {evaluation['id']} (FY {evaluation['fiscal_year']}): "
            f"{len(slots)} reports to create")
    return tokens, targets


def create_body(slot, n):
    return json.dumps({"indicator_id": slot["indicator_id"],
                       "organization_id": slot["organization_id"], "period": slot["period"],
                       "value": round(1000 + (n * 37.5) % 9000, 2),
                       "narrative": "ดำเนินการตามแผน (bench)"}, ensure_ascii=False,
                      separators=(",", ":"))


def requests_of(manifest, tokens, capture_slot):
    """scenario -> (method, path, token, body)."""
    rankings = urllib.parse.urlencode({"round_name": manifest["round_names"][-1]})
    return {
        "get": ("GET", f"/api/v1/submissions/{manifest['sample_report_id']}",
                tokens["agency_officer"], None),
        "list": ("GET", f"/api/v1/submissions?evaluation_id={manifest['evaluation_id']}"
                        f"&period={manifest['sample_period']}", tokens["province_admin"], None),
        "create": ("POST", "/api/v1/submissions", capture_slot["token"],
                   create_body(capture_slot, 0)),
        "summary": ("GET", f"/api/v1/rounds/{manifest['round_ids'][-1]}/summary",
                    tokens["province_admin"], None),
        "rankings": ("GET", f"/api/v1/fiscal-years/{manifest['fiscal_year']}/rankings?{rankings}",
                     tokens["admin"], None),
    }


def send(server, method, path, token, body):
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    status, data, _ = server.request(method, path, body.encode() if body else None, headers)
    if status // 100 != 2:
        raise SystemExit(f"{method} {path}: {status} {data[:2000].decode(errors='replace')}")
    return json.loads(data)


# ---------------------------------------------------------------------------------------------
# Capture: the statements of one request


LOG_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] ([A-Z]+):  (.*)$")
LOG_PARAM = re.compile(r"\$(\d+) = (NULL|'((?:[^']|'')*)')(?:, |$)", re.S)


def parse_pg_log(text):
    """PostgreSQL's log lines (log_statement=all) as statements {sql, params, protocol}."""
    entries = []
    for line in text.split("\n"):
        match = LOG_ENTRY.match(line)
        if match:
            entries.append([match[1], match[2], match[3]])
        elif line.startswith("\t") and entries:
            entries[-1][2] += "\n" + line[1:]
    statements = []
    for pid, level, message in entries:
        if level == "LOG" and message.startswith("statement: "):
            statements.append({"sql": message[len("statement: "):], "params": [],
                               "protocol": "simple", "backend": pid})
        elif level == "LOG" and message.startswith("execute "):
            name, sql = message[len("execute "):].split(": ", 1)
            statements.append({"sql": sql, "params": [], "backend": pid,
                               "protocol": "unnamed" if name == "<unnamed>" else "prepared"})
        elif level == "DETAIL" and message.startswith("parameters: ") and statements:
            params, rest = [], message[len("parameters: "):]
            for match in LOG_PARAM.finditer(rest):
                params.append(None if match[2] == "NULL" else match[3].replace("''", "'"))
            statements[-1]["params"] = params
        elif level in ("ERROR", "FATAL", "PANIC"):
            raise SystemExit(f"PostgreSQL logged an error during the capture: {message}")
    # Not the request's: a connection that only listens and notifies (the service's listener
    # of account changes, and its heartbeat).
    listener = re.compile(r"\s*(LISTEN|UNLISTEN|NOTIFY)\b", re.I)
    backends = {}
    for statement in statements:
        backends.setdefault(statement["backend"], []).append(statement)
    others = {b for b, own in backends.items() if all(listener.match(s["sql"]) for s in own)}
    return [s for s in statements if s["backend"] not in others]


GDB_COMMANDS = r"""set pagination off
set confirm off
set print elements 0
handle SIGPIPE nostop noprint pass
break sqlite3_exec
commands
silent
printf "@@EXEC\n%s\n@@END\n", (char *) $rsi
python gdb.flush()
continue
end
break sqlite3_reset if !$_caller_is("sqlite3_step", 1)
commands
silent
printf "@@STMT\n%s\n@@EXPANDED\n%s\n@@END\n", (char *) sqlite3_sql($rdi), (char *) sqlite3_expanded_sql($rdi)
python gdb.flush()
continue
end
printf "@@READY\n"
python gdb.flush()
continue
"""

SQLITE_LITERAL = re.compile(r"NULL|'(?:[^']|'')*'|[xX]'[0-9a-fA-F]*'|-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?")


def bound_values(sql, expanded):
    """The values bound to the `?` of `sql`, read from SQLite's sqlite3_expanded_sql of it."""
    values, numbered, i, j = [], {}, 0, 0
    while i < len(sql):
        c = sql[i]
        if c in "'\"`[":
            close = "]" if c == "[" else c
            k = i + 1
            while True:
                k = sql.index(close, k)
                if close != "]" and sql.startswith(close * 2, k):
                    k += 2
                    continue
                break
            i_next = k + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i_next = len(sql) if end < 0 else end
        elif c == "?":
            i += 1
            digits = i
            while i < len(sql) and sql[i].isdigit():
                i += 1
            match = SQLITE_LITERAL.match(expanded, j)
            if not match:
                raise SystemExit(f"cannot read a bound value at {expanded[j:j + 40]!r}")
            text = match[0]
            if text == "NULL":
                value = None
            elif text.startswith("'"):
                value = text[1:-1].replace("''", "'")
            elif text[0] in "xX":
                value = bytes.fromhex(text[2:-1])
            elif re.fullmatch(r"-?\d+", text):
                value = int(text)
            else:
                value = float(text)
            if i > digits:  # ?NNN: one parameter, however often it appears
                numbered[int(sql[digits:i])] = value
            else:
                values.append(value)
            j = match.end()
            continue
        else:
            i_next = i + 1
        segment = sql[i:i_next]
        if not expanded.startswith(segment, j):
            raise SystemExit(f"expanded SQL differs from its statement at {sql[i:i + 60]!r}")
        i, j = i_next, j + len(segment)
    if numbered:
        if values:
            raise SystemExit(f"a statement mixes ? and ?NNN: {sql[:200]}")
        return [numbered.get(n) for n in range(1, max(numbered) + 1)]
    return values


def parse_gdb(text):
    statements = []
    for block in re.finditer(r"^@@(EXEC|STMT)\n(.*?)\n@@END$", text, re.S | re.M):
        if block[1] == "EXEC":
            statements.append({"sql": block[2], "params": [], "protocol": "exec"})
        else:
            sql, expanded = block[2].split("\n@@EXPANDED\n", 1)
            statements.append({"sql": sql, "params": bound_values(sql, expanded),
                               "protocol": "prepared"})
    return statements


class Capture:
    """A server whose database connections report every statement, for one request at a time."""

    def __init__(self, engine, database, args, work, secret):
        self.engine, self.database, self.work = engine, database, work
        if engine == "postgres":
            pg, name = database.pg, database.name
            pg.psql("postgres", f"ALTER DATABASE {name} SET log_statement = 'all'")
            try:
                self.server = Server(work, args.binary, database.url, secret, f"{engine}-capture")
            finally:
                pg.psql("postgres", f"ALTER DATABASE {name} RESET log_statement")
            self.log_path = os.path.join(pg.dir, "server.log")
        else:
            self.server = Server(work, args.binary, database.url, secret, f"{engine}-capture")
            commands = os.path.join(work.path, "capture.gdb")
            with open(commands, "w") as f:
                f.write(GDB_COMMANDS)
            self.log_path = os.path.join(work.path, "capture-gdb.out")
            self.gdb_out = open(self.log_path, "w")
            self.gdb = subprocess.Popen(["gdb", "-q", "-nx", "-batch", "-p", str(self.server.proc.pid),
                                         "-x", commands], stdout=self.gdb_out,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            work.remember(self.gdb.pid)
            for _ in range(1200):
                with open(self.log_path) as f:
                    if "@@READY" in f.read():
                        break
                if self.gdb.poll() is not None:
                    break
                time.sleep(0.05)
            else:
                raise SystemExit("gdb did not attach to the server")
            if self.gdb.poll() is not None:
                raise SystemExit("gdb could not attach: " + open(self.log_path).read()[-2000:])

    def run(self, method, path, token, body):
        """(statements, answer) of one request, once nothing else runs (the server's start-up
        work, e.g. its purge of ended login throttles, would otherwise join the capture)."""
        offset = os.path.getsize(self.log_path)
        for _ in range(100):
            time.sleep(0.3)
            now = os.path.getsize(self.log_path)
            if now == offset:
                break
            offset = now
        answer = send(self.server, method, path, token, body)
        time.sleep(0.3)  # the last lines reach the log
        with open(self.log_path, errors="replace") as f:
            f.seek(offset)
            text = f.read()
        statements = parse_pg_log(text) if self.engine == "postgres" else parse_gdb(text)
        return statements, answer

    def stop(self):
        if self.engine == "sqlite":
            self.gdb.send_signal(2)  # interrupt: the batch script ends and gdb detaches
            try:
                self.gdb.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.gdb.kill()
                self.gdb.wait()
            self.gdb_out.close()
        self.server.stop()


def shorten(statement):
    """A statement as the results show it: SQL and parameters, long values cut."""
    def cut(value):
        text = value if isinstance(value, str) else repr(value)
        return text if len(text) <= 200 else text[:200] + f"… ({len(text)} characters)"
    return {"sql": statement["sql"], "protocol": statement["protocol"],
            "params": [None if p is None else cut(p) for p in statement["params"]]}


# ---------------------------------------------------------------------------------------------
# The slots of "create a report": which captured values name the report being created


SLOT_KEYS = ("evaluation_id", "indicator_id", "organization_id", "period", "username",
             "org_code", "due_at")


def slot_values(slot, returned_id):
    values = {str(slot[key]): key for key in SLOT_KEYS}
    values[str(returned_id)] = "returned_id"
    if len(values) != len(SLOT_KEYS) + 1:
        return None  # two of them look alike: a captured value could not be told apart
    return values


def check_slot_mapping(statements, mapping):
    """Every value of the captured create that names its report is found (else the database
    would run another report's statements), and no other part of it looks like one."""
    seen = {str(p) for s in statements for p in s["params"] if p is not None}
    missing = [key for value, key in mapping.items() if value not in seen and key in
               ("indicator_id", "organization_id", "period", "username", "returned_id")]
    if missing:
        raise SystemExit(f"the captured create does not show {missing}: cannot turn it into "
                         "a script with a fresh report per transaction")


# ---------------------------------------------------------------------------------------------
# The database's own figure: PostgreSQL (pgbench)


def pgbench_binary():
    for path in (os.path.join(PG_BIN, "pgbench"), "/usr/bin/pgbench"):
        if os.path.exists(path):
            return path
    raise SystemExit("no pgbench (Debian: postgresql-client / postgresql)")


def typed_sql(database, statement):
    """The captured SQL with casts where PostgreSQL cannot tell a parameter's type from the
    statement alone (pgbench sends text; the service binds typed values): e.g. `VALUES ($3, …)`
    of the summary's raw SQL. A cast by the value's shape only where a plain PREPARE fails."""
    sql = statement["sql"]
    if not re.match(r"\s*(SELECT|WITH|INSERT|UPDATE|DELETE|VALUES)\b", sql, re.I):
        return sql

    def prepares(text):
        done = subprocess.run(database.pg.psql_command(database.name) + [
            "-c", f"PREPARE bench_probe AS {text}"], capture_output=True, text=True)
        return done.returncode == 0, done.stderr.strip()

    works, error = prepares(sql)
    if works:
        return sql
    params = statement["params"]

    def cast(match):
        value = params[int(match[1]) - 1]
        if value is None:
            return match[0]
        if re.fullmatch(r"-?\d+", value):  # integer when it fits: int4 meets int8 anywhere
            return f"CAST({match[0]} AS {'integer' if abs(int(value)) < 2**31 else 'bigint'})"
        if re.fullmatch(r"-?\d+\.\d*(?:[eE][+-]?\d+)?|-?\d+[eE][+-]?\d+", value):
            return f"CAST({match[0]} AS double precision)"
        if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?", value):
            return f"CAST({match[0]} AS timestamp)"
        return match[0]

    casted = re.sub(r"\$(\d+)", cast, sql)
    works, second = prepares(casted)
    if not works:
        raise SystemExit(f"cannot prepare a captured statement for pgbench: {error}\n"
                         f"with casts: {second}\n{casted[:3000]}")
    return casted


PGBENCH_MAX_VARIABLES = 250


def service_session_options():
    """What the service sets on each of its PostgreSQL connections (`POSTGRES_SESSION` in
    src/storage/pool.rs, read from there so the two never differ), as PGOPTIONS for pgbench:
    the database's figure is for the same statements under the same settings."""
    with open(os.path.join(ROOT, "src", "storage", "pool.rs")) as f:
        found = re.search(r'POSTGRES_SESSION: &str = "([^"]*)"', f.read())
    if not found:
        raise SystemExit("src/storage/pool.rs: POSTGRES_SESSION not found")
    options = []
    for setting in found[1].split(";"):
        match = re.fullmatch(r"\s*SET (\w+) = (\w+)\s*", setting)
        if not match:
            raise SystemExit(f"POSTGRES_SESSION: cannot pass {setting!r} to pgbench")
        options.append(f"-c {match[1]}={match[2]}")
    return options


def pgbench_script(database, statements, mapping=None):
    """A pgbench script of the captured statements, their parameters as variables (-D), and
    for a create, the report's values from the slot table (one lookup, `\\gset s_`)."""
    lines, defines = [], {}
    if mapping:
        lines += ["\\set n :client_id + :clients * :k", "\\set k :k + 1",
                  "SELECT * FROM bench_slots WHERE n = :n \\gset s_"]
    for i, statement in enumerate(statements):
        params = statement["params"]

        def variable(match):
            value = params[int(match[1]) - 1]
            if value is None:
                return "NULL"
            if mapping and value in mapping:
                key = mapping[value]
                return ":ret_id" if key == "returned_id" else f":s_{key}"
            if len(params) > PGBENCH_MAX_VARIABLES:
                # pgbench takes at most 255 variables a command (the rankings' VALUES list
                # has more): a literal, as untyped as a parameter; no colon, or pgbench
                # would read a variable in it.
                escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\x3a")
                return f"E'{escaped}'"
            name = f"p{i}_{match[1]}"
            defines[name] = value
            return ":" + name

        sql = re.sub(r"\$(\d+)", variable, typed_sql(database, statement))
        stray = [m for m in re.findall(r"(?<!:):([A-Za-z_][A-Za-z0-9_]*)", sql)
                 if not (m in defines or m.startswith("s_") or m == "ret_id")]
        if stray:
            raise SystemExit(f"pgbench would read {stray} in the SQL as variables: {sql[:200]}")
        if mapping and re.match(r'\s*INSERT INTO "submissions"', sql) and "RETURNING" in sql:
            lines.append(sql + " \\gset ret_")
        else:
            lines.append(sql + ";")
    return "\n".join(lines) + "\n", defines


PGBENCH_FIGURE = {
    "tps": re.compile(r"^tps = ([\d.]+) \(without initial connection time\)", re.M),
    "latency_ms": re.compile(r"^latency average = ([\d.]+) ms", re.M),
    "processed": re.compile(r"^number of transactions actually processed: (\d+)", re.M),
    "failed": re.compile(r"^number of failed transactions: (\d+)", re.M),
}


def pgbench(database, work, label, script, defines, clients, seconds=None, transactions=None,
            latencies=False, custom_plans=False):
    """pgbench's figures for `script`. `custom_plans`: every execution planned with its values
    (plan_cache_mode = force_custom_plan), as PostgreSQL plans the statements the service sends
    unnamed (its raw SQL: the summary's and the rankings' facts); pgbench's prepared statements
    would otherwise switch to a generic plan after five runs, which the service never does."""
    path = os.path.join(work.path, f"pgbench-{label}.sql")
    with open(path, "w") as f:
        f.write(script)
    command = [pgbench_binary(), "-n", "-M", "prepared", "-h", "127.0.0.1",
               "-p", str(database.pg.port), "-U", "postgres", "-c", str(clients),
               "-j", str(min(clients, os.cpu_count() or 1)), "-f", path]
    command += ["-T", str(seconds)] if seconds else ["-t", str(transactions)]
    for name, value in defines.items():
        command += ["-D", f"{name}={value}"]
    logs = os.path.join(work.path, f"pgbench-{label}-log")
    if latencies:
        os.makedirs(logs, exist_ok=True)
        command += ["-l", "--log-prefix", os.path.join(logs, "tx")]
    command.append(database.name)
    options = service_session_options()
    if custom_plans:
        options.append("-c plan_cache_mode=force_custom_plan")
    env = dict(os.environ, PGOPTIONS=" ".join(options))
    done = subprocess.run(command, capture_output=True, text=True, cwd=work.path, env=env)
    if done.returncode != 0:
        raise SystemExit(f"pgbench {label} failed:\n{done.stderr[-3000:]}\n{done.stdout[-1500:]}")
    figures = {}
    for key, pattern in PGBENCH_FIGURE.items():
        match = pattern.search(done.stdout)
        figures[key] = float(match[1]) if match else None
    if figures["failed"]:
        raise SystemExit(f"pgbench {label}: {figures['failed']:.0f} failed transactions\n{done.stderr[-2000:]}")
    result = {"tool": "pgbench", "clients": clients, "tps": figures["tps"],
              "plan_cache_mode": "force_custom_plan" if custom_plans else "auto",
              "transactions": int(figures["processed"] or 0),
              "latency_avg_ms": figures["latency_ms"], "command": " ".join(
                  c if len(c) < 120 else c[:60] + "…" for c in command)}
    if latencies:
        samples = []
        for name in os.listdir(logs):
            with open(os.path.join(logs, name)) as f:
                samples += [int(line.split()[2]) for line in f if line.strip()]
        result.update(latency_summary([s / 1000 for s in samples]))
    return result


def latency_summary(samples_ms):
    return {"samples": len(samples_ms), "p50_ms": percentile(samples_ms, 50),
            "p99_ms": percentile(samples_ms, 99), "mean_ms": sum(samples_ms) / len(samples_ms)}


def postgres_slot_table(database, slots):
    rows = ",\n".join(
        "(" + ", ".join([str(n)] + ["'" + str(s[k]).replace("'", "''") + "'" for k in SLOT_KEYS]) + ")"
        for n, s in enumerate(slots))
    columns = ", ".join(f"{k} text" for k in SLOT_KEYS)
    sql = (f"DROP TABLE IF EXISTS bench_slots; "
           f"CREATE TABLE bench_slots (n int PRIMARY KEY, {columns}); "
           f"INSERT INTO bench_slots VALUES {rows}; ANALYZE bench_slots;")
    done = subprocess.run(database.pg.psql_command(database.name), input=sql, text=True,
                          capture_output=True)  # on standard input: too long for an argument
    if done.returncode != 0:
        raise SystemExit(f"psql: {done.stderr}")


# ---------------------------------------------------------------------------------------------
# The database's own figure: SQLite (bench/sqlite, the service's own SQLite from Rust)


def returned_id_column(sql):
    """Where the new report's id is in the row an `INSERT INTO submissions … RETURNING` gives."""
    if not re.match(r"\s*INSERT INTO [`\"]?submissions[`\"]? ", sql):
        return None
    clause = re.search(r"\bRETURNING\s+(.*)$", sql, re.S)
    if not clause:
        return None
    columns = [c.strip() for c in clause[1].split(",")]
    return next((i for i, c in enumerate(columns) if re.fullmatch(r"(?:\S+\.)?[`\"]?id[`\"]?", c)), 0)


def netstring(value):
    data = str(value).encode()
    return str(len(data)).encode() + b":" + data


def typed(value):
    """(kind, text) of a value for bench/sqlite's plan."""
    if value is None:
        return ("n", "")
    if isinstance(value, bool):
        return ("i", int(value))
    if isinstance(value, int):
        return ("i", value)
    if isinstance(value, float):
        return ("f", repr(value))
    if isinstance(value, str):
        return ("t", value)
    raise SystemExit(f"the SQLite harness cannot bind {value!r}")


def sqlite_plan(path, statements, mode, seconds, threads, slots=None, mapping=None,
                keep_plans=False):
    """The plan bench/sqlite reads (its main.rs says the format)."""
    fields = [path, mode, seconds, threads, 6, "1" if keep_plans else "0", len(statements)]
    for statement in statements:
        column = returned_id_column(statement["sql"]) if mapping else None
        fields += [statement["sql"], "1" if statement["protocol"] == "exec" else "0",
                   "" if column is None else column, len(statement["params"])]
        for param in statement["params"]:
            key = mapping.get(str(param)) if mapping and param is not None else None
            if key == "returned_id":
                fields += ["r", ""]
            elif key:
                fields += ["s", SLOT_KEYS.index(key)]
            else:
                fields += list(typed(param))
    if slots:
        fields += [len(SLOT_KEYS), len(slots)]
        for slot in slots:
            for key in SLOT_KEYS:
                fields += list(typed(slot[key]))
    else:
        fields += [0, 0]
    return b"".join(netstring(f) for f in fields)


def sqlite_harness(args, path, statements, mode, seconds, threads, slots=None, mapping=None,
                   keep_plans=False):
    plan = sqlite_plan(path, statements, mode, seconds, threads, slots, mapping, keep_plans)
    done = subprocess.run([args.sqlite_harness], input=plan, capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"bench-sqlite failed: {done.stderr.decode(errors='replace')[-2000:]}")
    figures = json.loads(done.stdout)
    result = {"tool": "bench-sqlite (bench/sqlite, libsqlite3-sys)", "threads": threads,
              "tps": figures["transactions"] / figures["seconds"],
              "transactions": figures["transactions"], "seconds": figures["seconds"],
              "sqlite_version": figures["sqlite_version"], "keep_plans": keep_plans}
    if mode == "latency":
        result.update(latency_summary(figures["samples_ms"]))
    return result


# ---------------------------------------------------------------------------------------------
# The service: wrk


def ensure_wrk():
    if shutil.which("wrk"):
        return shutil.which("wrk")
    raise SystemExit("wrk is not installed (scripts/bench installs it with apt-get)")


def counters(server):
    """The server's own counters so far (/metrics): every non-2xx answer by status, the
    requests answered (but /metrics), and the statements sent to the database
    (kpi_db_statements_total, where the binary has it)."""
    _, data, _ = server.request("GET", "/metrics")
    text = data.decode()
    non_2xx, requests = {}, 0
    for match in re.finditer(r'^http_requests_total\{(.*)\} (\d+)$', text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match[1]))
        code, count = labels.get("status", ""), int(match[2])
        if labels.get("route") != "/metrics":
            requests += count
        if not code.startswith("2"):
            non_2xx[code] = non_2xx.get(code, 0) + count
    statements = re.search(r"^kpi_db_statements_total (\d+)", text, re.M)
    return {"non_2xx": non_2xx, "requests": requests,
            "statements": int(statements[1]) if statements else None}


def run_wrk(server, url_path, connections, threads, seconds, timeout, script, env):
    command = [ensure_wrk(), "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", f"{timeout}s", "-s", os.path.join(WRK_DIR, script),
               f"http://127.0.0.1:{server.port}{url_path}"]
    env = dict(os.environ, BENCH_WRK_DIR=WRK_DIR, BENCH_WRK_THREADS=str(threads), **env)
    done = subprocess.run(command, capture_output=True, text=True, env=env,
                          timeout=seconds + timeout + 60)
    line = [l for l in done.stdout.splitlines() if l.startswith("BENCH-JSON ")]
    if done.returncode != 0 or not line:
        raise SystemExit(f"wrk failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    figures = json.loads(line[-1][len("BENCH-JSON "):])
    figures["command"] = " ".join(command)
    return figures


def measure_http(server, scenario, kind, request, args, work, targets=None):
    method, path, token, _ = request
    if kind == "rate":
        connections, threads, seconds, timeout = args.connections, args.threads, args.seconds, 10
    else:
        connections, threads, seconds, timeout = 1, 1, args.seconds, 60
    env = {"BENCH_TOKEN": token}
    script = "get.lua"
    if scenario == "create":
        script = "create.lua"
        path_file = os.path.join(work.path, f"targets-{scenario}.tsv")
        with open(path_file, "w") as f:
            for n, slot in enumerate(targets):
                f.write(f"{slot['token']}\t{create_body(slot, n)}\n")
        env["BENCH_TARGETS"] = path_file
    elif kind == "rate":
        # Warm-up, not counted: the pool's connections, their prepared statements, caches.
        run_wrk(server, path, connections, threads, max(1, seconds // 5), timeout, script, env)
    else:
        # One request at a time: at least 6 of them, however slow (rankings on SQLite).
        started = time.perf_counter()
        send(server, method, path, token, None)
        seconds = max(seconds, min(300, math.ceil(6 * (time.perf_counter() - started))))
    before = counters(server)
    load = os.getloadavg()[0]
    rss = PeakRss(server).start()
    figures = run_wrk(server, path, connections, threads, seconds, timeout, script, env)
    rss_before, rss_peak = rss.stop()
    after = counters(server)
    non_2xx = {code: after["non_2xx"].get(code, 0) - before["non_2xx"].get(code, 0)
               for code in after["non_2xx"]}
    non_2xx = {code: n for code, n in non_2xx.items() if n}
    answered = after["requests"] - before["requests"]
    socket_errors = sum(figures["socket_errors"].values())
    result = {"tool": "wrk", "connections": connections, "threads": threads, "load_1min": load,
              "duration_asked": seconds,
              "rss_before_mb": rss_before / 1024, "rss_peak_mb": rss_peak / 1024,
              "non_2xx": non_2xx, "socket_errors": figures["socket_errors"],
              "errors": sum(non_2xx.values()) + socket_errors, "wrk": figures,
              "statements_per_request": (after["statements"] - before["statements"]) / answered
              if answered and after["statements"] is not None else None}
    if scenario == "create":
        result["requests"] = figures["answered"]
        result["rate"] = figures["answered"] / (figures["window_us"] / 1e6)
        result["seconds"] = figures["window_us"] / 1e6
        result["targets"] = len(targets)
    else:
        result["requests"] = figures["requests"]
        result["rate"] = figures["requests"] / (figures["duration_us"] / 1e6)
        result["seconds"] = figures["duration_us"] / 1e6
    latency = figures["latency_us"]
    result.update({"p50_ms": latency["p50"] / 1000, "p99_ms": latency["p99"] / 1000,
                   "mean_ms": latency["mean"] / 1000})
    return result


# The statement that reads the resource itself, whose rate alone issue 14's GET target is
# measured against ("pgbench's rate for its main SELECT").
MAIN_STATEMENT = {
    "get": r"\s*SELECT\b.*?\bFROM\s+\(*\s*[`\"]?submissions[`\"]?",
    "list": r"\s*SELECT\b.*?\bFROM\s+\(*\s*[`\"]?submissions[`\"]?",
}


def database_figure(engine, database, work, args, label, statements, kind, slots=None,
                    mapping=None, seconds=None):
    """The database's own rate (or latency) for `statements` as one transaction, by pgbench or
    bench/sqlite; with `slots`, each transaction creates the next slot's report."""
    load = os.getloadavg()[0]
    seconds = seconds or args.seconds
    if engine == "postgres":
        script, defines = pgbench_script(database, statements, mapping if slots else None)
        clients = POOL[engine] if kind == "rate" else 1
        name = f"{engine}-{label}"
        # Latency scenarios, whose time is their big raw statement's plan: planned as the
        # service's unnamed statement is. (In rate scenarios an unnamed statement is a cheap
        # lookup, and re-planning every prepared one would only slow the database's figure.)
        custom = kind == "latency" and any(st["protocol"] == "unnamed" for st in statements)
        if slots:
            defines.update({"k": "0", "clients": str(clients)})
            result = pgbench(database, work, name, script, defines, clients,
                             transactions=len(slots) // clients, custom_plans=custom)
            result["note"] = ("one statement a transaction more than the service's: the slot "
                              "lookup that names a report not filed yet")
        else:
            result = pgbench(database, work, name, script, defines, clients,
                             seconds=seconds, latencies=kind == "latency", custom_plans=custom)
        result["script"] = script
    else:
        threads = (os.cpu_count() or 1) if kind == "rate" else 1
        result = sqlite_harness(args, database.path, statements, kind, seconds, threads,
                                slots, mapping)
        if kind == "rate" and not slots:
            # For the service's owners: the same with each statement's plan kept (QPSG), what
            # the service's connections would get from sqlite3_db_config(…ENABLE_QPSG…).
            kept = sqlite_harness(args, database.path, statements, kind, seconds, threads,
                                  keep_plans=True)
            result["kept_plans_tps"] = kept["tps"]
    result["statements"] = len(statements)
    result["load_1min"] = load
    return result


# ---------------------------------------------------------------------------------------------
# One engine


def run_engine(engine, args, work):
    started = time.perf_counter()
    database = Database(engine, args, work)
    manifest = database.manifest
    secret = base64.b64encode(os.urandom(48)).decode()
    log(f"{engine}: {manifest.get('counts')}")

    server = Server(work, args.binary, database.url, secret, f"{engine}-setup")
    tokens, (service_slots, database_slots) = set_up(server, manifest)
    server.stop()
    if not service_slots or not database_slots:
        raise SystemExit("set-up: no report left to create")

    # The capture: one request of each scenario after one like it (the steady state: a warm
    # pooled connection, the caller's facts cached where the service caches them); the create
    # files the first service target whose values are told apart from each other, after
    # another report of the same officer.
    capture_index = next((i for i, s in enumerate(service_slots) if slot_values(s, -1)), 0)
    capture_slot = service_slots.pop(capture_index)
    warm_index = next((i for i, s in enumerate(service_slots)
                       if s["organization_id"] == capture_slot["organization_id"]), 0)
    warm_slot = service_slots.pop(warm_index)
    requests = requests_of(manifest, tokens, capture_slot)
    log(f"{engine}: capturing the statements of one request of each scenario")
    capture = Capture(engine, database, args, work, secret)
    captured = {}
    try:
        for scenario, _, _ in SCENARIOS:
            warm = requests_of(manifest, tokens, warm_slot)[scenario]
            send(capture.server, *warm)
            statements, answer = capture.run(*requests[scenario])
            captured[scenario] = {"statements": statements, "answer": answer}
            log(f"{engine} {scenario}: {len(statements)} statements")
    finally:
        capture.stop()
    created_id = captured["create"]["answer"]["id"]
    mapping = slot_values(capture_slot, created_id)
    if mapping is None:
        raise SystemExit("the captured create's ids look alike; cannot map them")
    check_slot_mapping(captured["create"]["statements"], mapping)

    log(f"{engine}: the service (wrk, {args.seconds} s a scenario)")
    server = Server(work, args.binary, database.url, secret, f"{engine}-measure")
    service = {}
    try:
        for scenario, _, kind in SCENARIOS:
            service[scenario] = measure_http(server, scenario, kind, requests[scenario], args,
                                             work, service_slots if scenario == "create" else None)
            log(f"{engine} {scenario}: {service[scenario]['rate']:.0f} req/s, p50 "
                f"{service[scenario]['p50_ms']:.2f} ms, errors {service[scenario]['errors']}")
    finally:
        server.stop()

    log(f"{engine}: the database's own rate for the same statements")
    own, main = {}, {}
    if engine == "postgres":
        postgres_slot_table(database, database_slots)
    for scenario, _, kind in SCENARIOS:
        statements = captured[scenario]["statements"]
        write = scenario == "create"
        own[scenario] = database_figure(
            engine, database, work, args, scenario, statements, kind,
            database_slots if write else None, mapping if write else None,
            service[scenario]["duration_asked"])
        log(f"{engine} {scenario}: database {own[scenario]['tps']:.0f} tx/s")
        pattern = MAIN_STATEMENT.get(scenario)
        chosen = [st for st in statements if pattern and re.match(pattern, st["sql"], re.S)]
        if chosen:
            chosen = max(chosen, key=lambda st: len(st["sql"]))  # the resource's own columns
            main[scenario] = database_figure(engine, database, work, args, f"{scenario}-main",
                                             [chosen], kind)
            main[scenario]["sql"] = chosen["sql"]
            log(f"{engine} {scenario}: its main statement alone {main[scenario]['tps']:.0f} /s")

    batches = []
    for items in args.batches:
        log(f"{engine}: batch intake of {items} items (scripts/bench_intake.py)")
        batch = bench_intake.items(items)
        rows = bench_intake.run_engine(engine, SimpleNamespace(binary=args.binary), work, batch,
                                       prefix=f"b{items}_", formats=("json",))
        for _, fmt, n, seconds, own_seconds, before, peak in rows:
            batches.append({"items": n, "format": fmt, "seconds": seconds,
                            "rate": n / seconds, "database_rate": n / own_seconds,
                            "rss_before_mb": before / 1024, "rss_peak_mb": peak / 1024})

    return {
        "engine": engine, "manifest": manifest, "cached_data": database.cached,
        "generate_seconds": database.generate_seconds,
        "seconds": time.perf_counter() - started,
        "captured": {s: [shorten(x) for x in c["statements"]] for s, c in captured.items()},
        "service": service, "database": own, "database_main": main, "batch": batches,
        "create_targets": {"service": len(service_slots), "database": len(database_slots)},
    }


# ---------------------------------------------------------------------------------------------
# The table


def rows_of(result):
    engine = result["engine"]
    rows = []
    for scenario, what, kind in SCENARIOS:
        service, own = result["service"][scenario], result["database"][scenario]
        main = result["database_main"].get(scenario)
        row = {"scenario": scenario, "what": what, "engine": engine, "kind": kind,
               "statements_captured": len(result["captured"][scenario]),
               "statements_under_load": service["statements_per_request"],
               "rss_peak_mb": service["rss_peak_mb"], "errors": service["errors"],
               "target": TARGETS[scenario]}
        if kind == "rate":
            row.update({"service": service["rate"], "database": own["tps"],
                        "ratio": service["rate"] / own["tps"], "unit": "/s"})
            if main:
                row.update({"database_main": main["tps"], "ratio_main": service["rate"] / main["tps"]})
            if scenario == "get" and engine == "postgres" and main:
                row["met"] = row["ratio_main"] >= 0.6
            elif scenario == "create":
                row["met"] = row["ratio"] >= 0.6
        else:
            row.update({"service_p50_ms": service["p50_ms"], "service_p99_ms": service["p99_ms"],
                        "database_p50_ms": own["p50_ms"], "database_p99_ms": own["p99_ms"],
                        "ratio": own["p50_ms"] / service["p50_ms"], "unit": "ms"})
            if scenario == "summary":
                row["met"] = service["p50_ms"] <= 20
            elif engine == "postgres":
                row["met"] = service["p50_ms"] <= 1000
        if scenario != "create":
            row["rss_met"] = service["rss_peak_mb"] <= 64
        rows.append(row)
    for batch in result["batch"]:
        if batch["format"] != "json":
            continue
        ratio = batch["rate"] / batch["database_rate"]
        row = {"scenario": f"batch {batch['items'] // 1000}k", "what": "batch intake, one JSON request",
               "engine": engine, "kind": "rate", "service": batch["rate"],
               "database": batch["database_rate"], "ratio": ratio, "unit": "items/s",
               "rss_peak_mb": batch["rss_peak_mb"], "statements_captured": None,
               "statements_under_load": None, "errors": 0,
               "target": TARGETS["batch"][engine] if batch["items"] >= 100_000 else None}
        if batch["items"] >= 100_000:
            row["met"] = batch["rate"] >= 150_000 if engine == "sqlite" else ratio >= 0.5
        rows.append(row)
    return rows


def mark(met):
    return "" if met is None else (" ok" if met else " MISSED")


def table(rows, connections):
    out = [f"{'scenario':<10} {'engine':<8} {'service':>15} {'database':>15} {'ratio':>5} "
           f"{'main stmt':>10} {'ratio':>5} {'RSS MB':>6} {'stmts':>7} {'errors':>6}  target"]
    for row in rows:
        if row["kind"] == "rate":
            unit = " items/s" if row["unit"] == "items/s" else "/s"
            service = f"{row['service']:,.0f}{unit}"
            database = f"{row['database']:,.0f}{unit}"
        else:
            service = f"{row['service_p50_ms']:.1f}/{row['service_p99_ms']:.1f} ms"
            database = f"{row['database_p50_ms']:.1f}/{row['database_p99_ms']:.1f} ms"
        main = f"{row['database_main']:,.0f}/s" if row.get("database_main") else ""
        main_ratio = f"{row['ratio_main']:.0%}" if row.get("ratio_main") else ""
        target = row.get("target") or ""
        if target:
            target += mark(row.get("met"))
        if "rss_met" in row and not row["rss_met"]:
            target += ("; " if target else "") + "RSS > 64 MB"
        statements = ""
        if row["statements_captured"] is not None:
            statements = str(row["statements_captured"])
            if row["statements_under_load"] is not None:
                statements += f"/{row['statements_under_load']:.1f}"
        out.append(f"{row['scenario']:<10} {row['engine']:<8} {service:>15} {database:>15} "
                   f"{row['ratio']:>5.0%} {main:>10} {main_ratio:>5} {row['rss_peak_mb']:>6.1f} "
                   f"{statements:>7} {row['errors']:>6}  {target}")
    out.append(
        f"service: wrk on loopback, requests/s ({connections} connections) or p50/p99 of one "
        "request at a time. "
        "database: the statements captured from one request, run as the service ran them, by "
        "pgbench (PostgreSQL) or bench/sqlite (SQLite): transactions/s or p50/p99. ratio: "
        "service ÷ database rate, or database p50 ÷ service p50. main stmt: the rate of the "
        "request's main SELECT alone (issue 14's GET target). stmts: captured / measured under "
        "load (kpi_db_statements_total ÷ requests). batch: items/s of one JSON request against "
        "the database's own multi-row upsert of the same rows (scripts/bench_intake.py).")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------


def machine():
    info = {"cores": os.cpu_count(), "kernel": " ".join(os.uname()[2:4])}
    try:
        with open("/proc/cpuinfo") as f:
            models = [l.split(":", 1)[1].strip() for l in f if l.startswith("model name")]
        info["cpu"] = models[0] if models else None
        with open("/proc/meminfo") as f:
            info["memory_mb"] = int(f.readline().split()[1]) // 1024
    except OSError:
        pass
    return info


def versions(args):
    def output(command):
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return None
    return {"wrk": output(["wrk", "-v"]) or subprocess.run(
                ["wrk", "-v"], capture_output=True, text=True).stderr.strip().splitlines()[0],
            "pgbench": output([pgbench_binary(), "--version"]) if "postgres" in args.engines else None,
            "postgres": output([os.path.join(PG_BIN, "postgres"), "--version"]),
            "gdb": output(["gdb", "--version"]),
            "service_libsqlite3_sys": locked_version("libsqlite3-sys")}


def locked_version(package):
    """A crate's version in Cargo.lock (the service's SQLite is libsqlite3-sys's bundled one)."""
    try:
        with open(os.path.join(ROOT, "Cargo.lock")) as f:
            match = re.search(rf'name = "{re.escape(package)}"\nversion = "([^"]+)"', f.read())
        return match[1] if match else None
    except OSError:
        return None


def git_commit():
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip() != ""
        return {"commit": commit, "dirty": dirty}
    except OSError:
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--sqlite-harness", required=True, help="bench/sqlite's binary")
    parser.add_argument("--work", required=True)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--scale", default="full", choices=sorted(SCALES))
    parser.add_argument("--seconds", type=int, default=None)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", default=None, help="comma-separated item counts")
    parser.add_argument("--cache", default="", help="directory of generated databases ('' none)")
    parser.add_argument("--results", default=os.path.join(ROOT, "bench", "results"))
    parser.add_argument("--command", default=None, help="the command line, for the results")
    args = parser.parse_args()
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if args.seconds is None:
        args.seconds = 10 if args.scale == "full" else 3
    args.batches = ([int(n) for n in args.batches.split(",")] if args.batches
                    else list(BATCHES[args.scale]))
    for engine in args.engines:
        if engine not in POOL:
            raise SystemExit(f"unknown engine {engine}: sqlite or postgres")
    ensure_wrk()
    started = utc_now()
    work = Work(args.work)
    results = []
    try:
        for engine in args.engines:
            results.append(run_engine(engine, args, work))
    finally:
        work.cleanup()
    rows = [row for result in results for row in rows_of(result)]
    print()
    print(table(rows, args.connections))
    document = {
        "command": args.command, "started_at": started.isoformat(), "finished_at": utc_now().isoformat(),
        "git": git_commit(), "machine": machine(), "versions": versions(args),
        "settings": {"scale": args.scale, "generate": generate_args(args.scale),
                     "seconds": args.seconds, "connections": args.connections,
                     "threads": args.threads, "batches": args.batches, "engines": args.engines,
                     "pool": POOL},
        "targets": TARGETS, "rows": rows, "engines": {r["engine"]: r for r in results},
    }
    os.makedirs(args.results, exist_ok=True)
    name = f"{started.strftime('%Y%m%dT%H%M%SZ')}-{'-'.join(args.engines)}.json"
    path = os.path.join(args.results, name)
    with open(path, "w") as f:
        json.dump(document, f, ensure_ascii=False, indent=1)
    print(f"\nresults: {os.path.relpath(path, os.getcwd())}")


if __name__ == "__main__":
    main()
