"""Crash under load and graceful shutdown under load (issue 15, parts 1 and 3), driven by
scripts/crash-loop and scripts/shutdown-check. docs/RELIABILITY.md has the figures.

Both modes, per engine: `provincial-kpi generate` (scripts/bench.py's Database, BENCH_SCALE
small) fills a fresh database; scripts/bench.py's set_up adds two empty evaluations and an
agency officer per reporting agency; every (indicator, agency, month) of those is a *slot*,
owned by exactly one writer thread. Writers send
  - single reports: POST /api/v1/submissions as the agency's officer, status submitted, half
    of them with an Idempotency-Key;
  - batch items: POST /api/v1/submissions/batch as the admin, 3-12 items, atomic or not; one
    atomic batch in five carries an item with an unknown indicator code (422, nothing may be
    applied); once a writer's fresh slots are used up, batches update its reports' values.
Every value sent is unique. A slot's state is what was acknowledged (a 2xx received) and what
is in doubt (sent, no answer: the connection closed, reset or refused mid-request).

crash: the server is SIGKILLed at a random moment (CRASH_KILLS times), then, with the server
down and the database quiet: every acknowledged value is in the database (else: lost), no
slot holds a value never sent, every atomic batch is all or nothing, the slots of refused
atomic batches are empty, `PRAGMA integrity_check` is ok (SQLite) and `pg_amcheck` is clean
(PostgreSQL, every 10th kill and at the end); then a restart, a replay of some acknowledged
Idempotency-Key requests (same status and body), and the retries of keyed requests left in
doubt (a 201: the replay or the first run, never a 409 duplicate). At the end every keyed
request acknowledged is replayed.

shutdown: SIGTERM while the writers run (and idle keep-alive connections are open): the
process must exit within the bound; a new connection after the SIGTERM must be refused;
requests that were running finish with their answer; then, no request that saw its
connection closed or reset (no answer) was committed (its value is not in the database), and
every acknowledged value is. SHUTDOWN_ROUNDS times.
"""

import argparse
import base64
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (generate, set_up, login: the shared data helpers)
from bench_intake import PG_BIN, Server, Work  # noqa: E402  (processes, PostgreSQL)


def log(message):
    print(f"[crash-loop] {message}", file=sys.stderr, flush=True)


class Failure(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Slots and what was said about them


class Ledger:
    """What every slot was sent and what was acknowledged; one lock for all of it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}        # key -> the last acknowledged value
        self.pending = {}      # key -> values sent since that ack, answer not (yet) received
        self.must_be_empty = set()  # slots of refused atomic batches (never written again)
        self.groups = []       # atomic batches: (keys, values sent, values before)
        self.idempotent = []   # acknowledged keyed requests: (token, key, body, status, response)
        self.counts = dict(single=0, single_keyed=0, batch=0, batch_items=0, refused_batches=0,
                           in_doubt=0, keyed_retries=0, in_progress_after_crash=0, closed_without_answer=0, refused=0)
        self.failures = []
        self.seq = 0

    def value(self):
        with self.lock:
            self.seq += 1
            return self.seq * 10 + 0.5  # exact in JSON, DOUBLE and text

    def sending(self, pairs):
        with self.lock:
            for key, value in pairs:
                self.pending.setdefault(key, set()).add(value)

    def acknowledged(self, pairs):
        with self.lock:
            for key, value in pairs:
                self.acked[key] = value
                self.pending.pop(key, None)

    def count(self, name, n=1):
        with self.lock:
            self.counts[name] += n

    def fail(self, message):
        with self.lock:
            self.failures.append(message)
        log("FAILURE: " + message)

    def snapshot(self):
        with self.lock:
            return (dict(self.acked), {k: set(v) for k, v in self.pending.items()},
                    set(self.must_be_empty), list(self.groups))


# ---------------------------------------------------------------------------------------------
# HTTP


class Target:
    """The server the writers talk to now (None while it is down)."""

    def __init__(self):
        self.server = None
        self.stopping = False

    def port(self):
        server = self.server
        return server.port if server else None


def call(port, method, path, token, body, headers=None, timeout=60):
    """(status, parsed body) or raises OSError / http.client exceptions (no answer)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        all_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        all_headers.update(headers or {})
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else None)
    finally:
        conn.close()


NO_ANSWER = (OSError, http.client.HTTPException)


# ---------------------------------------------------------------------------------------------
# Writers


class Writer(threading.Thread):
    def __init__(self, n, slots, ledger, target, admin, codes, rng, stop, mode):
        super().__init__(name=f"writer-{n}", daemon=True)
        self.n, self.slots, self.ledger, self.target = n, slots, ledger, target
        self.admin, self.codes, self.rng, self.stop, self.mode = admin, codes, rng, stop, mode
        self.fresh = list(slots)   # not written yet
        self.mine = []             # acknowledged, free for updates
        self.evaluations = sorted({s["evaluation_id"] for s in slots})
        self.retries = []          # keyed single reports left in doubt: retried as they were

    def key(self, slot):
        return (slot["indicator_id"], slot["organization_id"], slot["period"])

    def run(self):
        while not self.stop.is_set():
            port = self.target.port()
            if port is None:
                time.sleep(0.01)
                continue
            try:
                due = [r for r in self.retries if r[-1] <= time.monotonic()]
                if due:
                    self.retries.remove(due[0])
                    self.retry_keyed(port, due[0])
                elif self.fresh and self.rng.random() < 0.6:
                    self.single(port)
                elif self.fresh or len(self.mine) >= 3:
                    self.batch(port)
                else:
                    time.sleep(0.05)
            except ConnectionRefusedError:
                time.sleep(0.01)
            except Failure as failure:
                self.ledger.fail(str(failure))
                time.sleep(0.1)

    # single reports --------------------------------------------------------------------------

    def single(self, port):
        slot = self.fresh.pop()
        key, value = self.key(slot), self.ledger.value()
        body = json.dumps({"indicator_id": slot["indicator_id"],
                           "organization_id": slot["organization_id"], "period": slot["period"],
                           "value": value, "status": "submitted"}).encode()
        idem = str(uuid.uuid4()) if self.rng.random() < 0.5 else None
        self.send_single(port, slot, key, value, body, idem)

    def later(self, slot, key, value, body, idem, seconds=0.0):
        self.retries.append((slot, key, value, body, idem, time.monotonic() + seconds))

    def send_single(self, port, slot, key, value, body, idem, retry=False):
        headers = {"Idempotency-Key": idem} if idem else {}
        self.ledger.sending([(key, value)])
        try:
            status, answer = call(port, "POST", "/api/v1/submissions", slot["token"], body, headers)
        except ConnectionRefusedError:
            # Not sent at all: nothing can have been stored. Try again later as it was.
            if idem:
                self.later(slot, key, value, body, idem)
            else:
                self.fresh.append(slot)
                with self.ledger.lock:
                    self.ledger.pending.get(key, set()).discard(value)
            self.ledger.count("refused")
            raise
        except NO_ANSWER:
            self.ledger.count("in_doubt")
            self.ledger.count("closed_without_answer")
            self.closed.append((key, value))
            # A keyed request is retried with its key after the restart; an unkeyed one stays
            # in doubt for good (its slot is not written again).
            if idem:
                self.later(slot, key, value, body, idem)
            return
        if status == 201:
            self.ledger.acknowledged([(key, value)])
            self.ledger.count("single")
            if idem:
                self.ledger.count("single_keyed")
                with self.ledger.lock:
                    self.ledger.idempotent.append((slot["token"], idem, body, status, answer))
            self.mine.append(slot)
            return
        if (retry and status == 409
                and answer.get("type") == "urn:provincial-kpi:problem:idempotency-in-progress"):
            # The first request died with the server before its transaction committed; its
            # claim on the key is taken over after idempotency::STALE_IN_PROGRESS_SECONDS.
            self.ledger.count("in_progress_after_crash")
            self.later(slot, key, value, body, idem, 2.0)
            return
        if retry and status == 409:
            raise Failure(f"a keyed report retried after a crash answered 409 (its key was "
                          f"lost while its report was stored): {answer}")
        if status == 503:
            if idem:
                self.later(slot, key, value, body, idem, 0.5)
            return
        raise Failure(f"POST /submissions {key}: {status} {answer}")

    def retry_keyed(self, port, retry):
        slot, key, value, body, idem, _ = retry
        self.ledger.count("keyed_retries")
        self.send_single(port, slot, key, value, body, idem, retry=True)

    # batches ---------------------------------------------------------------------------------

    def batch(self, port):
        size = self.rng.randint(3, 12)
        atomic = self.rng.random() < 0.5
        # One batch names one evaluation.
        evaluation = self.rng.choice(self.evaluations)
        if self.fresh:
            evaluation = self.fresh[-1]["evaluation_id"]
            chosen = [s for s in reversed(self.fresh) if s["evaluation_id"] == evaluation][:size]
            self.fresh = [s for s in self.fresh if s not in chosen]
            creating = True
        else:
            own = [s for s in self.mine if s["evaluation_id"] == evaluation] or self.mine
            chosen = self.rng.sample(own, min(size, len(own)))
            creating = False
        poisoned = creating and atomic and self.rng.random() < 0.2
        keys = [self.key(s) for s in chosen]
        values = [self.ledger.value() for _ in chosen]
        with self.ledger.lock:
            before = [self.ledger.acked.get(k) for k in keys]
        items = [{"indicator_code": self.codes[s["indicator_id"]],
                  "organization_code": s["org_code"], "period": s["period"], "value": v}
                 for s, v in zip(chosen, values)]
        if poisoned:
            items.insert(self.rng.randint(0, len(items)),
                         {"indicator_code": "NO-SUCH-CODE", "organization_code": chosen[0]["org_code"],
                          "period": chosen[0]["period"], "value": 1})
            with self.ledger.lock:
                self.ledger.must_be_empty.update(keys)
        else:
            self.ledger.sending(list(zip(keys, values)))
        if atomic and not poisoned:
            with self.ledger.lock:
                self.ledger.groups.append((keys, values, before))
        body = json.dumps({"evaluation_id": chosen[0]["evaluation_id"], "atomic": atomic,
                           "items": items}).encode()
        try:
            status, answer = call(port, "POST", "/api/v1/submissions/batch", self.admin, body)
        except ConnectionRefusedError:
            self.ledger.count("refused")
            # Never sent: the slots may be written again.
            with self.ledger.lock:
                for key, value in zip(keys, values):
                    self.ledger.pending.get(key, set()).discard(value)
                if poisoned:
                    self.ledger.must_be_empty.difference_update(keys)
            if creating:
                self.fresh.extend(chosen)
            raise
        except NO_ANSWER:
            # In doubt: these slots are not written again (their state stays checkable).
            self.ledger.count("in_doubt")
            self.ledger.count("closed_without_answer")
            if not poisoned:
                self.closed.extend(zip(keys, values))
            if not creating:
                self.mine = [s for s in self.mine if s not in chosen]
            return
        if poisoned:
            if status != 422:
                raise Failure(f"an atomic batch with an unknown code answered {status}: {answer}")
            self.ledger.count("refused_batches")
            return
        if status == 503:  # in doubt for good, like a closed connection
            self.ledger.count("in_doubt")
            if not creating:
                self.mine = [s for s in self.mine if s not in chosen]
            return
        if status != 200 or answer.get("rejected"):
            raise Failure(f"batch: {status} {json.dumps(answer, ensure_ascii=False)[:800]}")
        expected = "created" if creating else "updated"
        if answer[expected] != len(chosen):
            raise Failure(f"batch: {expected} {answer[expected]} of {len(chosen)}: {answer}")
        self.ledger.acknowledged(list(zip(keys, values)))
        self.ledger.count("batch")
        self.ledger.count("batch_items", len(chosen))
        if creating:
            self.mine.extend(chosen)


# ---------------------------------------------------------------------------------------------
# The database, read while no server runs


class Store:
    def __init__(self, engine, db, evaluations):
        self.engine, self.db, self.evaluations = engine, db, evaluations
        self.in_list = ", ".join(str(e) for e in evaluations)

    def reports(self):
        sql = (f"SELECT indicator_id, organization_id, period, value FROM submissions "
               f"WHERE evaluation_id IN ({self.in_list})")
        if self.engine == "sqlite":
            con = sqlite3.connect(self.db.path)
            try:
                rows = con.execute(sql).fetchall()
            finally:
                con.close()
        else:
            out = self.db.pg.psql(self.db.name, sql.replace("SELECT ", "SELECT ", 1))
            rows = []
            for line in out.splitlines():
                i, o, p, v = line.split("|")
                rows.append((int(i), int(o), p, float(v)))
        return {(i, o, p): v for i, o, p, v in rows}

    def integrity(self):
        """None when clean, else what the check said."""
        if self.engine == "sqlite":
            con = sqlite3.connect(self.db.path)
            try:
                result = [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
                fks = con.execute("PRAGMA foreign_key_check").fetchall()
            finally:
                con.close()
            if result != ["ok"] or fks:
                return f"integrity_check: {result[:5]}, foreign_key_check: {fks[:5]}"
            return None
        pg = self.db.pg
        done = subprocess.run([os.path.join(PG_BIN, "pg_amcheck"), "-h", "127.0.0.1",
                               "-p", str(pg.port), "-U", "postgres", "-d", self.db.name,
                               "--install-missing", "--heapallindexed", "--parent-check"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            return f"pg_amcheck exit {done.returncode}: {done.stdout[-2000:]} {done.stderr[-2000:]}"
        return None


def verify(store, ledger, label):
    """Checks the database against the ledger; returns the sets of (lost, wrong, half applied)
    reports or batches, so that one loss seen at several kills counts once."""
    acked, pending, empty, groups = ledger.snapshot()
    stored = store.reports()
    lost, wrong, half = set(), set(), set()
    for key, value in acked.items():
        have = stored.get(key)
        if have != value and have not in pending.get(key, ()):
            lost.add(key)
            if len(lost) <= 5:
                ledger.fail(f"{label}: report {key} acknowledged with {value}, stored {have}")
    for key, have in stored.items():
        if key in empty:
            half.add(key)
            ledger.fail(f"{label}: report {key} of a refused atomic batch is stored ({have})")
        elif have != acked.get(key) and have not in pending.get(key, ()):
            wrong.add(key)
            if len(wrong) <= 5:
                ledger.fail(f"{label}: report {key} holds {have}, never sent for it")
    for keys, values, before in groups:
        applied = any(stored.get(k) == v for k, v in zip(keys, values))
        kept = any(stored.get(k) == b for k, b in zip(keys, before))
        if applied and kept:
            half.add(tuple(keys))
            ledger.fail(f"{label}: atomic batch half applied: {list(zip(keys, values, before))}")
    return lost, wrong, half


def replay(server, ledger, sample, rng, label):
    """Sends acknowledged keyed requests again: the same status and body each time."""
    with ledger.lock:
        entries = list(ledger.idempotent)
    if sample is not None:
        entries = rng.sample(entries, min(sample, len(entries)))
    mismatches = 0
    for token, idem, body, status, answer in entries:
        got_status, got = call(server.port, "POST", "/api/v1/submissions", token, body,
                               {"Idempotency-Key": idem})
        if got_status != status or got != answer:
            mismatches += 1
            ledger.fail(f"{label}: replay of key {idem}: {got_status} {got} (first: {status} "
                        f"{answer})")
    return len(entries), mismatches


# ---------------------------------------------------------------------------------------------
# One engine


def prepare(engine, args, work):
    """The generated database, a server on it, and the writers' world."""
    setup = args.setup_binary or args.binary
    db = bench.Database(engine, SimpleNamespace(scale="small", cache=None, binary=setup), work)
    server = Server(work, setup, db.url, args.secret, f"{engine}-setup")
    tokens, targets = bench.set_up(server, db.manifest)
    codes = {}
    evaluations = sorted({slots[0]["evaluation_id"] for slots in targets})
    for evaluation in evaluations:
        for indicator in bench.all_pages(server, tokens["admin"],
                                         f"/api/v1/indicators?evaluation_id={evaluation}"):
            codes[indicator["id"]] = indicator["code"]
    slots = [s for group in targets for s in group]
    return db, server, tokens, codes, slots, evaluations


def start_writers(args, slots, ledger, target, tokens, codes, seed, mode):
    rng = random.Random(seed)
    rng.shuffle(slots)
    stop = threading.Event()
    writers = []
    for n in range(args.writers):
        writer = Writer(n, slots[n::args.writers], ledger, target, tokens["admin"], codes,
                        random.Random(seed * 100 + n), stop, mode)
        writer.closed = []  # (key, value) of requests that got no answer
        writers.append(writer)
        writer.start()
    return writers, stop


def restart(work, args, db, label):
    return Server(work, args.binary, db.url, args.secret, label)


def sigkill(server):
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()
    server.log_file.close()
    if server in server.work.servers:
        server.work.servers.remove(server)


def under_load(engine, args, work, mode):
    """The engine's prepared database and server, with the writers already sending to it."""
    db, server, tokens, codes, slots, evaluations = prepare(engine, args, work)
    ledger, target = Ledger(), Target()
    target.server = server
    writers, stop = start_writers(args, slots, ledger, target, tokens, codes, args.seed, mode)
    return db, server, slots, Store(engine, db, evaluations), ledger, target, writers, stop


def crash_engine(engine, args, work):
    started = time.monotonic()
    db, server, slots, store, ledger, target, writers, stop = under_load(engine, args, work,
                                                                         "crash")
    rng = random.Random(args.seed)
    log(f"{engine}: {len(slots)} slots, {args.writers} writers, {args.kills} kills")
    lost, wrong, half = set(), set(), set()
    replayed = mismatches = checks = 0
    for kill in range(1, args.kills + 1):
        time.sleep(rng.uniform(args.min_run, args.max_run))
        target.server = None
        sigkill(server)
        time.sleep(0.05)  # the writers see their connections go
        label = f"{engine} kill {kill}"
        l, w, h = verify(store, ledger, label)
        lost, wrong, half = lost | l, wrong | w, half | h
        if engine == "sqlite" or kill % 10 == 0 or kill == args.kills:
            checks += 1
            problem = store.integrity()
            if problem:
                ledger.fail(f"{label}: {problem}")
        server = restart(work, args, db, f"{engine}-{kill}")
        n, m = replay(server, ledger, 5, rng, label)
        replayed, mismatches = replayed + n, mismatches + m
        target.server = server
        if kill % 10 == 0 or kill == args.kills:
            with ledger.lock:
                acked = len(ledger.acked)
            log(f"{engine}: {kill} kills, {acked} reports acknowledged, lost {len(lost)}")
    stop.set()
    for writer in writers:
        writer.join(timeout=120)
    n, m = replay(server, ledger, None, rng, f"{engine} end")
    replayed, mismatches = replayed + n, mismatches + m
    server.stop()
    l, w, h = verify(store, ledger, f"{engine} end")
    lost, wrong, half = len(lost | l), len(wrong | w), len(half | h)
    checks += 1
    problem = store.integrity()
    if problem:
        ledger.fail(f"{engine} end: {problem}")
    c = ledger.counts
    return {
        "engine": engine, "kills": args.kills,
        "acknowledged": c["single"] + c["batch_items"],
        "single": c["single"], "single_keyed": c["single_keyed"], "batches": c["batch"],
        "batch_items": c["batch_items"], "refused_atomic_batches": c["refused_batches"],
        "in_doubt": c["in_doubt"], "keyed_retries": c["keyed_retries"],
        "in_progress_after_crash": c["in_progress_after_crash"],
        "reports_now": len(ledger.acked), "lost": lost, "wrong_values": wrong,
        "half_applied": half, "replays": replayed, "replay_mismatches": mismatches,
        "integrity_checks": checks, "failures": len(ledger.failures),
        "seconds": round(time.monotonic() - started, 1),
    }


# ---------------------------------------------------------------------------------------------
# Graceful shutdown


def connect_refused(port, timeout=2.0):
    """True when a new TCP connection to the port is refused (or not answered)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            # Accepted by the kernel backlog but maybe never served: ask for something.
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(timeout)
            data = s.recv(64)
            return not data.startswith(b"HTTP/1.1 200")
    except OSError:
        return True


def shutdown_engine(engine, args, work):
    started = time.monotonic()
    db, server, slots, store, ledger, target, writers, stop = under_load(engine, args, work,
                                                                         "shutdown")
    rng = random.Random(args.seed)
    exits, refused_new, served_new, idle_closed, violations = [], 0, 0, 0, 0
    refusal_delays = []
    for round_ in range(1, args.rounds + 1):
        # Idle keep-alive connections: one request each, then nothing.
        idle = []
        for _ in range(4):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            idle.append(conn)
        time.sleep(rng.uniform(args.min_run, args.max_run))
        port = server.port
        sent = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        # The signal is handled asynchronously: within a second, new connections must stop
        # being served, while the process is still finishing what it runs.
        refusing_after = None
        while time.monotonic() - sent < 1.0:
            if connect_refused(port, timeout=0.3):
                refusing_after = time.monotonic() - sent
                break
            time.sleep(0.02)
        if refusing_after is None:
            served_new += 1
            ledger.fail(f"{engine} round {round_}: new connections still served 1 s after SIGTERM")
        else:
            refused_new += 1
            refusal_delays.append(refusing_after)
        try:
            server.proc.wait(timeout=args.bound + 5)
        except subprocess.TimeoutExpired:
            ledger.fail(f"{engine} round {round_}: still running {args.bound + 5} s after SIGTERM")
            sigkill(server)
        took = time.monotonic() - sent
        exits.append(took)
        if took > args.bound:
            ledger.fail(f"{engine} round {round_}: exit {took:.1f} s after SIGTERM > bound {args.bound}")
        code = server.proc.returncode
        if code != 0:
            ledger.fail(f"{engine} round {round_}: exit status {code} after SIGTERM")
        target.server = None
        server.log_file.close()
        if server in work.servers:
            work.servers.remove(server)
        for conn in idle:
            try:
                conn.request("GET", "/healthz")
                conn.getresponse().read()
            except NO_ANSWER:
                idle_closed += 1
            conn.close()
        time.sleep(0.05)
        # No answer, yet committed: a violation of the graceful shutdown.
        stored = store.reports()
        for writer in writers:
            for key, value in writer.closed:
                if stored.get(key) == value:
                    violations += 1
                    ledger.fail(f"{engine} round {round_}: report {key} = {value} committed, "
                                f"but its client saw the connection close without an answer")
            writer.closed.clear()
        verify(store, ledger, f"{engine} round {round_}")
        server = restart(work, args, db, f"{engine}-r{round_}")
        target.server = server
        log(f"{engine} round {round_}: exit {took:.2f} s after SIGTERM")
    stop.set()
    for writer in writers:
        writer.join(timeout=120)
    server.stop()
    lost, wrong, half = (len(found) for found in verify(store, ledger, f"{engine} end"))
    c = ledger.counts
    return {
        "engine": engine, "rounds": args.rounds,
        "acknowledged": c["single"] + c["batch_items"],
        "closed_without_answer": c["closed_without_answer"],
        "refused_before_sent": c["refused"],
        "committed_but_closed": violations,
        "new_connection_refused": refused_new, "new_connection_served": served_new,
        "refusing_after_seconds_max": round(max(refusal_delays, default=0), 3),
        "idle_keepalive_closed": idle_closed,
        "exit_seconds_max": round(max(exits), 2), "exit_seconds_mean": round(sum(exits) / len(exits), 2),
        "bound": args.bound, "lost": lost, "wrong_values": wrong, "half_applied": half,
        "failures": len(ledger.failures), "seconds": round(time.monotonic() - started, 1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["crash", "shutdown"], default="crash")
    parser.add_argument("--binary", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--setup-binary", default=None,
                        help="the binary that prepares the data (default --binary): a build "
                             "broken on purpose, to show the checks fail, still gets its world")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=2565)
    parser.add_argument("--min-run", type=float, default=0.2)
    parser.add_argument("--max-run", type=float, default=1.5)
    parser.add_argument("--bound", type=float, default=30.0)
    args = parser.parse_args()
    args.secret = base64.b64encode(os.urandom(48)).decode()
    work = Work(args.work)
    results = []
    try:
        for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
            if args.mode == "crash":
                results.append(crash_engine(engine, args, work))
            else:
                results.append(shutdown_engine(engine, args, work))
            if work.pg:
                work.pg.stop()
                work.pg = None
    finally:
        work.cleanup()
    failed = False
    print()
    for result in results:
        print(json.dumps(result))
        if args.mode == "crash":
            print(f"{result['engine']}: {result['kills']} kills, {result['acknowledged']} writes "
                  f"acknowledged ({result['single']} single reports, {result['single_keyed']} "
                  f"with an Idempotency-Key; {result['batch_items']} items in {result['batches']} "
                  f"batches), {result['in_doubt']} in doubt, lost {result['lost']}, wrong values "
                  f"{result['wrong_values']}, atomic batches half applied {result['half_applied']} "
                  f"({result['refused_atomic_batches']} refused atomic batches checked empty), "
                  f"replays {result['replays']} (mismatches {result['replay_mismatches']}), "
                  f"integrity checks {result['integrity_checks']}, {result['seconds']} s")
        else:
            print(f"{result['engine']}: {result['rounds']} SIGTERMs under load, exit after "
                  f"{result['exit_seconds_mean']} s mean / {result['exit_seconds_max']} s max "
                  f"(bound {result['bound']} s), new connections refused "
                  f"{result['new_connection_refused']}/{result['rounds']} (within "
                  f"{result['refusing_after_seconds_max']} s), "
                  f"{result['acknowledged']} writes acknowledged, "
                  f"{result['closed_without_answer']} closed without an answer of which committed "
                  f"{result['committed_but_closed']}, lost {result['lost']}, "
                  f"{result['seconds']} s")
        failed = failed or result["failures"] > 0 or result["lost"] > 0
    if failed:
        print("FAILED: see the FAILURE lines above", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
