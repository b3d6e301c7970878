"""The batch intake benchmark (issue 11), driven by scripts/bench-intake.

For each engine: a fresh database gets a realistic evaluation through the API (one province,
60 agencies and 9 districts, 161 indicators with host assignments, active), is copied three
times while no server holds it, and then
  - a server on copy 1 takes one JSON batch of N items, then the same batch again;
  - a server on copy 2 takes one CSV batch of the same N items, then the same CSV again;
  - copy 3 takes the very rows the service wrote (read back from copy 1) as the database's own
    multi-row upsert: sqlite3's executemany of INSERT … ON CONFLICT DO UPDATE in one
    transaction, or psql running multi-row INSERT … ON CONFLICT DO UPDATE of 1000 rows (the
    service's chunk) in one transaction; then the same upsert again (every row a conflict).
The server's RSS is read before each request, and its peak during it (VmHWM reset through
/proc/PID/clear_refs before each request, and VmRSS sampled every 5 ms as a cross-check).
Every server and the PostgreSQL cluster are stopped, and the work directory is left for the
shell script to remove, on success and on failure.
"""

import argparse
import base64
import csv
import http.client
import io
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

PG_BIN = os.environ.get("KPI_PG_BINDIR", "/usr/lib/postgresql/15/bin")
FISCAL_YEAR = 2565
SPAN = ("2021-09", "2022-09")
MONTHS = ["2021-09", "2021-10", "2021-11", "2021-12"] + [f"2022-{m:02d}" for m in range(1, 10)]
QUARTER_ENDS = ["2021-12", "2022-03", "2022-06", "2022-09"]
PASSWORD = "bench-password-2565"
CHUNK = 1000  # rows per multi-row statement, as src/storage/batch.rs

# The submissions columns the service writes (all but id), in one order for every copy.
COLUMNS = [
    "evaluation_id", "indicator_id", "organization_id", "period", "value", "narrative",
    "obstacles", "suggestions", "evidence_urls", "status", "review_comment",
    "first_submitted_at", "due_at", "on_time", "created_by", "version", "created_at",
    "updated_at",
]
UPSERT_SET = (
    "value = excluded.value, narrative = excluded.narrative, status = excluded.status, "
    "first_submitted_at = coalesce(submissions.first_submitted_at, excluded.first_submitted_at), "
    "on_time = coalesce(submissions.on_time, excluded.on_time), "
    "version = submissions.version + 1, updated_at = excluded.updated_at"
)

AGENCY_NAMES = [
    "สำนักงานจังหวัดยโสธร", "สำนักงานเกษตรจังหวัดยโสธร", "สำนักงานสาธารณสุขจังหวัดยโสธร",
    "สำนักงานประกันสังคมจังหวัดยโสธร", "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดยโสธร",
    "สำนักงานทรัพยากรธรรมชาติและสิ่งแวดล้อมจังหวัดยโสธร", "สำนักงานพลังงานจังหวัดยโสธร",
    "สำนักงานพัฒนาชุมชนจังหวัดยโสธร", "สำนักงานพาณิชย์จังหวัดยโสธร", "สำนักงานแรงงานจังหวัดยโสธร",
    "สำนักงานคลังจังหวัดยโสธร", "สำนักงานสถิติจังหวัดยโสธร", "สำนักงานวัฒนธรรมจังหวัดยโสธร",
    "สำนักงานท่องเที่ยวและกีฬาจังหวัดยโสธร", "สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์จังหวัดยโสธร",
    "สำนักงานปศุสัตว์จังหวัดยโสธร", "สำนักงานประมงจังหวัดยโสธร", "สำนักงานสหกรณ์จังหวัดยโสธร",
    "สำนักงานอุตสาหกรรมจังหวัดยโสธร", "สำนักงานขนส่งจังหวัดยโสธร", "สำนักงานที่ดินจังหวัดยโสธร",
    "สำนักงานโยธาธิการและผังเมืองจังหวัดยโสธร", "สำนักงานป้องกันและบรรเทาสาธารณภัยจังหวัดยโสธร",
    "สำนักงานศึกษาธิการจังหวัดยโสธร", "สำนักงานจัดหางานจังหวัดยโสธร",
]
DISTRICTS = ["เมืองยโสธร", "ทรายมูล", "กุดชุม", "คำเขื่อนแก้ว", "ป่าติ้ว", "มหาชนะชัย", "ค้อวัง",
             "เลิงนกทา", "ไทยเจริญ"]
SERIES = ["ปริมาณการใช้ไฟฟ้า", "ปริมาณการใช้น้ำมันเชื้อเพลิง", "ร้อยละการเบิกจ่ายงบประมาณ",
          "จำนวนเรื่องร้องเรียนที่ดำเนินการแล้วเสร็จ", "ปริมาณการใช้กระดาษ", "จำนวนผู้รับบริการ",
          "ร้อยละของงานบริการผ่านระบบอิเล็กทรอนิกส์", "ปริมาณการใช้น้ำประปา"]
NARRATIVES = ["ดำเนินการตามแผน เบิกจ่ายงบประมาณได้ตามเป้าหมายสะสม",
              "ปิดเครื่องปรับอากาศช่วงพักเที่ยง, ลดการใช้กระดาษโดยใช้ระบบสารบรรณอิเล็กทรอนิกส์",
              "ข้อมูลจากระบบ e-report ของกระทรวง ตรวจสอบแล้ว",
              "อยู่ระหว่างจัดซื้อจัดจ้าง คาดว่าจะเบิกจ่ายได้ในเดือนถัดไป"]


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# The world: organizations, framework, items


def agencies():
    """60 agencies: the provincial office first, then the rest (named, then numbered)."""
    out = [("YST-PO", AGENCY_NAMES[0])]
    for i in range(1, 60):
        name = AGENCY_NAMES[i] if i < len(AGENCY_NAMES) else f"หน่วยงานส่วนภูมิภาค ลำดับที่ {i} จังหวัดยโสธร"
        out.append((f"YST-A{i:02d}", name))
    return out


def districts():
    return [(f"YST-D{i + 1:02d}", f"ที่ทำการปกครองอำเภอ{name}") for i, name in enumerate(DISTRICTS)]


def criteria(high_is_good=True):
    points = [(60.0, 50.0), (70.0, 75.0), (80.0, 100.0)]
    if not high_is_good:
        points = [(1.5, 50.0), (1.0, 75.0), (0.5, 100.0)]
    return [{"value": v, "score": s} for v, s in points]


def framework():
    """Seed-004-like scored part (34 indicators: 24 monthly hosted by 3 agencies, 10 quarterly
    hosted by every district, the provincial office supervising) plus the national e-report's
    127 monthly series that every one of the 60 agencies reports (like the demo's E.1/E.2)."""
    ags = [code for code, _ in agencies()]
    others = ags[1:]
    dists = [code for code, _ in districts()]
    scored = []
    for i in range(34):
        quarterly = i >= 24
        if quarterly:
            hosts = [{"organization_code": d, "role": "host"} for d in dists]
        else:
            hosts = [{"organization_code": others[(3 * i + k) % len(others)], "role": "host",
                      "contact_name": "นางสาวสมหญิง รักดี",
                      "contact_position": "นักวิเคราะห์นโยบายและแผนปฏิบัติการ",
                      "contact_phone": f"045-71{1000 + i:04d}"} for k in range(3)]
        scored.append({
            "code": f"1.{i + 1}",
            "name": f"ตัวชี้วัดตามคำรับรองการปฏิบัติราชการ ที่ {i + 1}",
            "unit": "ร้อยละ",
            "frequency": "quarterly" if quarterly else "monthly",
            "over_time": "latest", "across_orgs": "average", "score_basis": "value",
            "target": 80.0, "weight": 1.0, "criteria": criteria(),
            "assignments": hosts + [{"organization_code": "YST-PO", "role": "supervisor"}],
        })
    ereport = []
    for i in range(127):
        ereport.append({
            "code": f"2.{i + 1:03d}",
            "name": f"{SERIES[i % len(SERIES)]} (ชุดข้อมูล e-report ที่ {i + 1})",
            "unit": "หน่วย",
            "frequency": "monthly",
            "over_time": "sum", "across_orgs": "sum", "score_basis": "value",
            "target": 100.0, "weight": 1.0, "criteria": criteria(),
            "assignments": [{"organization_code": a, "role": "host"} for a in ags],
        })
    return {"components": [
        {"code": "1", "name": "การประเมินประสิทธิผลการดำเนินงาน (Performance Base)", "weight": 70.0,
         "indicators": scored},
        {"code": "2", "name": "ข้อมูลรายเดือนจากระบบ e-report", "weight": 30.0,
         "indicators": ereport},
    ]}


def all_keys():
    """Every (indicator, organization, period) the framework expects, month by month (the
    order a year's backfill comes in): 100,356 of them."""
    doc = framework()
    pairs = []
    for component in doc["components"]:
        for ind in component["indicators"]:
            months = QUARTER_ENDS if ind["frequency"] == "quarterly" else MONTHS
            for a in ind["assignments"]:
                if a["role"] == "host":
                    pairs.append((ind["code"], a["organization_code"], months))
    keys = []
    for month in MONTHS:
        for indicator, organization, months in pairs:
            if month in months:
                keys.append((indicator, organization, month))
    return keys, len(pairs)


def items(n):
    keys, _ = all_keys()
    if n > len(keys):
        raise SystemExit(f"BENCH_ITEMS={n}: the framework expects only {len(keys)} items")
    rng = random.Random(2565)
    out = []
    for indicator, organization, period in keys[:n]:
        year, month = int(period[:4]), int(period[5:])
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        item = {
            "indicator_code": indicator,
            "organization_code": organization,
            "period": period,
            "value": round(rng.uniform(0, 20000), 2),
            # Backfilled from the e-report: mostly before the 3rd, some late.
            "submitted_at": f"{year}-{month:02d}-{rng.randint(1, 5):02d}T09:30:00+07:00",
        }
        if rng.random() < 0.1:
            item["narrative"] = rng.choice(NARRATIVES)
        out.append(item)
    return out


def json_body(evaluation_id, batch):
    return json.dumps({"evaluation_id": evaluation_id, "atomic": False, "dry_run": False,
                       "items": batch}, ensure_ascii=False, separators=(",", ":")).encode()


def csv_body(batch):
    fields = ["indicator_code", "organization_code", "period", "value", "narrative", "submitted_at"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(batch)
    return out.getvalue().encode()


# ---------------------------------------------------------------------------------------------
# Processes


class Work:
    """Tracks the processes to stop; their pids also go to WORK/pids for the shell's trap."""

    def __init__(self, path):
        self.path = path
        self.servers = []
        self.pg = None

    def remember(self, pid):
        with open(os.path.join(self.path, "pids"), "a") as f:
            f.write(f"{pid}\n")

    def cleanup(self):
        for server in list(self.servers):
            server.stop()
        if self.pg:
            self.pg.stop()


class Server:
    def __init__(self, work, binary, url, secret, label):
        self.work, self.port = work, free_port()
        self.log_path = os.path.join(work.path, f"server-{label}.log")
        env = dict(os.environ, DATABASE_URL=url, BIND_ADDR=f"127.0.0.1:{self.port}",
                   KPI_JWT_SECRET=secret, KPI_TOKEN_TTL_SECONDS="86400",
                   RUST_LOG=os.environ.get("BENCH_RUST_LOG", "warn"))
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary, "serve"], env=env, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        work.remember(self.proc.pid)
        work.servers.append(self)
        for _ in range(600):
            if self.proc.poll() is not None:
                break
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"the server did not start; its log:\n{open(self.log_path).read()}")

    def request(self, method, path, body=None, headers=None, timeout=600):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read(), response.getheader("ETag")
        finally:
            conn.close()

    def api(self, method, path, token=None, payload=None, content_type="application/json",
            headers=None, expect=(200, 201)):
        all_headers = dict(headers or {})
        body = None
        if payload is not None:
            body = json.dumps(payload, ensure_ascii=False).encode()
            all_headers["Content-Type"] = content_type
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        status, data, etag = self.request(method, path, body, all_headers)
        if status not in expect:
            raise SystemExit(f"{method} {path}: {status} {data[:2000].decode(errors='replace')}")
        return (json.loads(data) if data else None), etag

    def status(self, key):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        raise SystemExit(f"no {key} in /proc/{self.proc.pid}/status")

    def reset_peak(self):
        try:
            with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        if self in self.work.servers:
            self.work.servers.remove(self)


class Postgres:
    """A throwaway cluster, as tests/api/support/postgres.rs starts one."""

    def __init__(self, work, data_from=None):
        """A new cluster, or (`data_from`) a copy of a stopped cluster's data directory."""
        self.dir = os.path.join(work.path, "pg")
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.dir)
        self.as_postgres = os.geteuid() == 0
        if data_from:
            shutil.copytree(data_from, self.data, symlinks=True)
        if self.as_postgres:
            subprocess.run(["chown", "-R", "postgres:postgres", self.dir], check=True)
        if not data_from:
            self.run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--encoding=UTF8",
                     "--locale=C.UTF-8", "--no-sync")
        self.start()
        work.pg = self

    def start(self):
        for _ in range(5):
            self.port = free_port()
            options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                       f"-c unix_socket_directories={self.dir}")
            started = self.run("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "server.log"),
                               "-o", options, "-w", "-t", "60", "start", check=False)
            if started.returncode == 0:
                return
        raise SystemExit("PostgreSQL did not start: " + open(os.path.join(self.dir, "server.log")).read())

    def run(self, program, *args, check=True):
        command = [os.path.join(PG_BIN, program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True)
        if check and done.returncode != 0:
            raise SystemExit(f"{program} failed: {done.stderr}")
        return done

    def psql_command(self, database):
        return [os.path.join(PG_BIN, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                "-p", str(self.port), "-U", "postgres", "-d", database]

    def psql(self, database, sql):
        done = subprocess.run(self.psql_command(database) + ["-At", "-c", sql], capture_output=True,
                              text=True)
        if done.returncode != 0:
            raise SystemExit(f"psql: {done.stderr}")
        return done.stdout

    def url(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self):
        self.run("pg_ctl", "-D", self.data, "-m", "fast", "stop", check=False)


# ---------------------------------------------------------------------------------------------
# One engine


def build_world(server, token):
    """Province, 60 agencies, 9 districts, an FY 2565 evaluation with the framework, active."""
    province, _ = server.api("POST", "/api/v1/organizations", token,
                             {"code": "TH-35", "name_th": "จังหวัดยโสธร", "name_en": "Yasothon",
                              "kind": "province"})
    for code, name in agencies():
        server.api("POST", "/api/v1/organizations", token,
                   {"code": code, "name_th": name, "kind": "agency", "parent_id": province["id"]})
    for code, name in districts():
        server.api("POST", "/api/v1/organizations", token,
                   {"code": code, "name_th": name, "kind": "district", "parent_id": province["id"]})
    evaluation, _ = server.api("POST", "/api/v1/evaluations", token, {
        "province_id": province["id"], "fiscal_year": FISCAL_YEAR,
        "title": "การประเมินส่วนราชการ จังหวัดยโสธร ประจำปีงบประมาณ พ.ศ. 2565 (bench)",
        "reporting_start": SPAN[0], "reporting_end": SPAN[1], "deadline_day": 3})
    path = f"/api/v1/evaluations/{evaluation['id']}"
    server.api("PUT", path + "/framework", token, framework())
    _, etag = server.api("GET", path, token)
    server.api("PATCH", path, token, {"status": "active"}, "application/merge-patch+json",
               {"If-Match": etag})
    return evaluation["id"]


class PeakRss:
    """The server's peak RSS (kB) between start() and stop(): VmHWM after a reset through
    /proc/PID/clear_refs, and VmRSS sampled every 5 ms as a cross-check (and the figure where
    the reset is not allowed)."""

    def __init__(self, server):
        self.server = server

    def start(self):
        self.before = self.server.status("VmRSS")
        self.reset = self.server.reset_peak()
        self.sampled = [self.before]
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample)
        self.thread.start()
        return self

    def _sample(self):
        while not self.done.is_set():
            try:
                self.sampled.append(self.server.status("VmRSS"))
            except (OSError, SystemExit):
                return
            time.sleep(0.005)

    def stop(self):
        """(RSS before kB, peak kB)."""
        self.done.set()
        self.thread.join()
        peak = max(max(self.sampled), self.server.status("VmHWM") if self.reset else 0)
        return self.before, peak


def timed(server, path, body, content_type, token, expect, label):
    """One request: (seconds, report, rss before kB, peak kB)."""
    server.api("GET", "/api/v1/me", token)  # warm: a pooled connection, the token path
    rss = PeakRss(server).start()
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {token}"}
    perf = None
    if os.environ.get("BENCH_PERF_DIR"):
        # A CPU profile of the server during this request (perf from Debian's linux-perf).
        output = os.path.join(os.environ["BENCH_PERF_DIR"], f"{label}.perf.data")
        perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "999", "-g",
                                 "-p", str(server.proc.pid), "-o", output],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    start = time.perf_counter()
    status, data, _ = server.request("POST", path, body, headers)
    seconds = time.perf_counter() - start
    before, peak = rss.stop()
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    if status != 200:
        raise SystemExit(f"batch: {status} {data[:2000].decode(errors='replace')}")
    report = json.loads(data)
    for key, want in expect.items():
        if report[key] != want:
            raise SystemExit(f"batch: {key} = {report[key]}, expected {want}; "
                             f"first errors: {report['errors'][:5]}")
    return seconds, report, before, peak


def sqlite_copy(source, target):
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()


def sqlite_own(reference, target):
    """The service's rows (read back from `reference`) upserted into `target` twice."""
    ref = sqlite3.connect(reference)
    rows = ref.execute(f"SELECT {', '.join(COLUMNS)} FROM submissions ORDER BY id").fetchall()
    ref.close()
    con = sqlite3.connect(target, isolation_level=None)
    for pragma in ("busy_timeout = 5000", "journal_mode = WAL", "synchronous = NORMAL",
                   "foreign_keys = ON"):
        con.execute(f"PRAGMA {pragma}")
    sql = (f"INSERT INTO submissions ({', '.join(COLUMNS)}) VALUES "
           f"({', '.join('?' for _ in COLUMNS)}) ON CONFLICT (indicator_id, organization_id, period) "
           f"DO UPDATE SET {UPSERT_SET}")
    seconds = []
    for _ in range(2):
        start = time.perf_counter()
        con.execute("BEGIN")
        con.executemany(sql, rows)
        con.execute("COMMIT")
        seconds.append(time.perf_counter() - start)
    count = con.execute("SELECT count(*) FROM submissions").fetchone()[0]
    con.close()
    return len(rows), count, seconds


def postgres_own(pg, work, reference, target):
    """The service's rows (read back from `reference`) as psql's multi-row upserts into
    `target`, 1000 rows a statement, in one transaction; twice."""
    formats = ["%s", "%s", "%s", "%L", "%L", "%L", "%L", "%L", "%L", "%L", "%L", "%L", "%L", "%L",
               "%L", "%s", "%L", "%L"]
    literals = ", ".join(f"format('{f}', {c})" for f, c in zip(formats, COLUMNS))
    lines = pg.psql(reference, f"SELECT '(' || concat_ws(', ', {literals}) || ')' FROM submissions "
                               f"ORDER BY id").splitlines()
    path = os.path.join(work.path, f"upsert-{target}.sql")
    with open(path, "w") as f:
        f.write("BEGIN;\n")
        for i in range(0, len(lines), CHUNK):
            f.write(f"INSERT INTO submissions ({', '.join(COLUMNS)}) VALUES\n")
            f.write(",\n".join(lines[i:i + CHUNK]))
            f.write(f"\nON CONFLICT (indicator_id, organization_id, period) DO UPDATE SET {UPSERT_SET};\n")
        f.write("COMMIT;\n")
    seconds = []
    for _ in range(2):
        start = time.perf_counter()
        done = subprocess.run(pg.psql_command(target) + ["-f", path], capture_output=True, text=True)
        seconds.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"psql upsert: {done.stderr[:2000]}")
    count = int(pg.psql(target, "SELECT count(*) FROM submissions").strip())
    return len(lines), count, seconds


def run_engine(engine, args, work, batch, prefix="", formats=("json", "csv")):
    """The batch measurement on one engine; `prefix` names its databases (scripts/bench runs it
    more than once in one work directory), `formats` the request bodies (JSON always: the
    database's own upsert reads the rows it wrote)."""
    secret = base64.b64encode(os.urandom(48)).decode()
    names = {name: f"{prefix}{name}" for name in ("setup", "json", "csv", "own")}
    if engine == "sqlite":
        paths = {name: os.path.join(work.path, f"{db}.sqlite3") for name, db in names.items()}
        urls = {name: f"sqlite://{path}" for name, path in paths.items()}
    else:
        pg = work.pg or Postgres(work)
        pg.psql("postgres", f"CREATE DATABASE {names['setup']} ENCODING 'UTF8' TEMPLATE template0")
        urls = {name: pg.url(db) for name, db in names.items()}

    log(f"{engine}: an admin, then the province, 69 units and the framework through the API")
    env = dict(os.environ, DATABASE_URL=urls["setup"], KPI_PASSWORD=PASSWORD, RUST_LOG="warn")
    subprocess.run([args.binary, "user", "create", "--username", "bench.admin", "--role", "admin",
                    "--name", "ผู้ดูแลระบบ (bench)"], env=env, check=True, stdout=subprocess.DEVNULL)
    server = Server(work, args.binary, urls["setup"], secret, f"{engine}-{prefix}setup")
    login, _ = server.api("POST", "/api/v1/auth/token", None,
                          {"username": "bench.admin", "password": PASSWORD})
    token = login["access_token"]
    started = time.perf_counter()
    evaluation_id = build_world(server, token)
    log(f"{engine}: evaluation {evaluation_id} active in {time.perf_counter() - started:.1f} s")
    server.stop()
    if engine == "sqlite":
        for name in ("json", "csv", "own"):
            sqlite_copy(paths["setup"], paths[name])
    else:
        for name in ("json", "csv", "own"):
            pg.psql("postgres", f"CREATE DATABASE {names[name]} TEMPLATE {names['setup']}")

    n = len(batch)
    rows = []
    bodies = {"json": (json_body(evaluation_id, batch), "application/json",
                       "/api/v1/submissions/batch"),
              "csv": (csv_body(batch), "text/csv",
                      f"/api/v1/submissions/batch?evaluation_id={evaluation_id}&atomic=false")}
    bodies = {fmt: body for fmt, body in bodies.items() if fmt in formats or fmt == "json"}
    for fmt, (body, content_type, path) in bodies.items():
        server = Server(work, args.binary, urls[fmt], secret, f"{engine}-{prefix}{fmt}")
        log(f"{engine} {fmt}: {n} items, {len(body) / 1e6:.1f} MB")
        first = timed(server, path, body, content_type, token,
                      {"created": n, "rejected": 0}, f"{engine}-{fmt}")
        again = timed(server, path, body, content_type, token,
                      {"unchanged": n, "rejected": 0}, f"{engine}-{fmt}-again")
        server.stop()
        rows.append((fmt, first))
        rows.append((fmt + " again", again))
        log(f"{engine} {fmt}: {first[0]:.2f} s, again {again[0]:.2f} s")

    log(f"{engine}: the database's own upsert of the same rows")
    if engine == "sqlite":
        written, count, own = sqlite_own(paths["json"], paths["own"])
    else:
        written, count, own = postgres_own(pg, work, names["json"], names["own"])
    if written != n or count != n:
        raise SystemExit(f"{engine}: the service wrote {written} reports, the copy has {count}")
    return [(engine, fmt, n, seconds, own[1] if "again" in fmt else own[0], before, peak)
            for fmt, (seconds, _, before, peak) in rows]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--engines", default="sqlite,postgres")
    args = parser.parse_args()
    work = Work(args.work)
    keys, pairs = all_keys()
    log(f"framework: 161 indicators, {pairs} (indicator, organization) pairs, {len(keys)} items "
        f"expected over {SPAN[0]} … {SPAN[1]}; sending the first {args.items}")
    batch = items(args.items)
    results = []
    try:
        for engine in args.engines.split(","):
            results.extend(run_engine(engine.strip(), args, work, batch))
    finally:
        work.cleanup()

    print()
    print(f"{'engine':<9} {'format':<11} {'items':>7} {'seconds':>8} {'items/s':>9} "
          f"{'DB items/s':>10} {'ratio':>6} {'RSS before':>10} {'peak':>8} {'growth':>8}")
    for engine, fmt, n, seconds, own, before, peak in results:
        print(f"{engine:<9} {fmt:<11} {n:>7} {seconds:>8.2f} {n / seconds:>9.0f} "
              f"{n / own:>10.0f} {own / seconds:>6.0%} {before / 1024:>8.1f}MB "
              f"{peak / 1024:>6.1f}MB {(peak - before) / 1024:>6.1f}MB")
    print("DB items/s: the same rows as one multi-row upsert by the database's own client "
          "(sqlite3 executemany / psql, 1000-row INSERT … ON CONFLICT DO UPDATE, one transaction); "
          "'again' rows: the same upsert a second time, every row a conflict. "
          "ratio: service items/s ÷ DB items/s.")


if __name__ == "__main__":
    main()
