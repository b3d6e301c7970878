"""The soak (issue 15, part 7), driven by scripts/soak: mixed traffic for a bounded time at
~80 % of the mix's measured peak rate, on SQLite and on a throwaway PostgreSQL, with the
server's RSS sampled every 10 s. It passes when no response is an error, memory shows no
growth trend beyond the stated bound, and p99 holds.

For each engine:
  1. data: scripts/bench.py's `Database` (`provincial-kpi generate`, the bench's small scale
     by default, cached like the bench's) and its `set_up` (an active evaluation to file into,
     an officer per reporting agency);
  2. the mix (bench/wrk/soak.lua): GET one report (agency officer), list a province's reports
     of a month (province admin), an agency's work list (its officer), a round summary
     (province admin), create a report (its agency's officer) and delete it again (province
     admin), so the data keeps its size and the run measures the service, not a growing table;
  3. the peak: the same mix with nothing held back, 64 connections, SOAK_PEAK_SECONDS;
  4. the soak: the mix held at SOAK_LOAD (0.8) × the peak by wrk's delay() (a schedule of
     send times per thread: wrk has no fixed-rate option, and a Python client could not send
     thousands of requests a second on the same two cores without becoming what is measured),
     run as back-to-back wrk windows of SOAK_WINDOW seconds, each giving its own p99, requests
     and errors; between windows the drafts whose delete did not go out are deleted; RSS
     (VmRSS) sampled every 10 s by a thread;
  5. verdict: errors (every non-2xx the server counted on /metrics, wrk's socket errors and
     non-2xx) must be 0; RSS growth (least-squares slope after the warm-up × the run's length)
     ≤ SOAK_RSS_GROWTH_MB; p99: the median of the last third of the windows ≤ 2 × the median of
     the first third + 10 ms.
"""

import argparse
import base64
import json
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (data, set-up, requests, wrk, server counters)
from bench import counters, create_body, ensure_wrk, requests_of, run_wrk, send, set_up  # noqa: E402
from bench_intake import Server, Work, log  # noqa: E402

# kind cycle of the mix: 40 % one report, 20 % a month's list, 15 % a work list, 5 % a summary,
# 20 % writes (half creates, half deletes of them).
MIX = ["get", "list", "get", "worklist", "create", "get", "list", "get", "worklist", "create",
       "get", "list", "get", "worklist", "create", "get", "list", "summary", "get", "create"]
RSS_EVERY = 10  # seconds


class RssSampler:
    """VmRSS of the server (MB) every RSS_EVERY seconds: [(seconds since start, MB)]."""

    def __init__(self, server):
        self.server, self.samples = server, []
        self.done = threading.Event()
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                self.samples.append((time.monotonic() - self.started,
                                     self.server.status("VmRSS") / 1024))
            except (OSError, SystemExit):
                return
            if self.done.wait(RSS_EVERY):
                return

    def stop(self):
        self.done.set()
        self.thread.join()
        return self.samples


def slope(points):
    """Least-squares slope of [(x, y)] (y per x); 0 with fewer than two points."""
    if len(points) < 2:
        return 0.0
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def delete_leftovers(server, token, evaluation_id):
    """Drafts of the soak's evaluation whose delete did not go out before a window ended:
    (deleted, 404s — a delete of wrk's still in flight got there first; the soak's own, not
    the traffic's, and taken off the server's count)."""
    for attempt in range(3):
        try:
            left = bench.all_pages(server, token,
                                   f"/api/v1/submissions?evaluation_id={evaluation_id}")
            break
        except SystemExit as error:
            # Seen once right after a saturating window: a 408 from the server's connection
            # handling (the request head not read in time), before any handler ran.
            log(f"listing the leftovers: {error}; again")
            if attempt == 2:
                raise
            time.sleep(2)
    deleted = gone = 0
    for report in left:
        status, data, _ = server.request("DELETE", f"/api/v1/submissions/{report['id']}",
                                         headers={"Authorization": f"Bearer {token}"})
        if status == 204:
            deleted += 1
        elif status == 404:
            gone += 1
        else:
            raise SystemExit(f"deleting leftover report {report['id']}: {status} {data[:500]}")
    return deleted, gone


def run_engine(engine, args, work):
    database = bench.Database(engine, args, work)
    manifest = database.manifest
    secret = base64.b64encode(os.urandom(48)).decode()
    server = Server(work, args.binary, database.url, secret, f"{engine}-soak")
    try:
        tokens, (slots, _) = set_up(server, manifest)
        padmin = tokens["province_admin"]
        requests = requests_of(manifest, tokens, slots[0])
        officer_slot = slots[0]
        reads = {
            "get": requests["get"][1:3],
            "list": requests["list"][1:3],
            "summary": requests["summary"][1:3],
            "worklist": (f"/api/v1/organizations/{officer_slot['organization_id']}/due"
                         f"?evaluation_id={manifest['evaluation_id']}", officer_slot["token"]),
        }
        for kind, (path, token) in reads.items():
            send(server, "GET", path, token, None)  # each answers 2xx before the run
        reads_path = os.path.join(work.path, f"soak-reads-{engine}.tsv")
        with open(reads_path, "w") as f:
            for kind, (path, token) in reads.items():
                f.write(f"{kind}\t{path}\t{token}\n")
        targets_path = os.path.join(work.path, f"soak-targets-{engine}.tsv")
        with open(targets_path, "w") as f:
            for n, slot in enumerate(slots):
                f.write(f"{slot['token']}\t{create_body(slot, n)}\n")
        evaluation_id = slots[0]["evaluation_id"]
        env = {"SOAK_READS": reads_path, "SOAK_TARGETS": targets_path, "SOAK_MIX": ",".join(MIX),
               "SOAK_DELETE_TOKEN": padmin, "SOAK_CATCH_UP_MS": "100"}

        cleanup_404s = [0]
        start = [0]  # each thread's next target: windows go on where the last one stopped

        def window(seconds, rate):
            figures = run_wrk(server, "/", args.connections, args.threads, seconds, 10,
                              "soak.lua", dict(env, SOAK_RATE=str(rate),
                                               SOAK_TARGET_START=str(start[0])))
            start[0] += (figures["created"] + figures["deleted"]) // args.threads + args.connections
            time.sleep(2)  # requests still in flight when wrk stopped finish
            left, gone = delete_leftovers(server, padmin, evaluation_id)
            cleanup_404s[0] += gone
            return figures, left

        if args.rate:
            peak = None
            rate = args.rate
        else:
            window(3, 0)  # warm-up: pooled connections, caches
            figures, _ = window(args.peak_seconds, 0)
            peak = figures["requests"] / (figures["duration_us"] / 1e6)
            rate = round(peak * args.load)
            log(f"{engine}: peak of the mix {peak:.0f} req/s (p99 "
                f"{figures['latency_us']['p99'] / 1000:.1f} ms); soaking at {rate} req/s")
        before = counters(server)
        cleanup_404s[0] = 0
        sampler = RssSampler(server)
        windows, started = [], time.monotonic()
        while True:
            remaining = args.seconds - (time.monotonic() - started)
            if remaining < 1:
                break
            seconds = min(args.window, max(1, round(remaining)))
            figures, left = window(seconds, rate)
            elapsed = figures["duration_us"] / 1e6
            socket_errors = sum(figures["socket_errors"].values())
            row = {"at_s": round(time.monotonic() - started), "seconds": elapsed,
                   "requests": figures["requests"], "rate": figures["requests"] / elapsed,
                   "p50_ms": figures["latency_us"]["p50"] / 1000,
                   "p99_ms": figures["latency_us"]["p99"] / 1000,
                   "max_ms": figures["latency_us"]["max"] / 1000,
                   "errors": figures["not_ok"] + socket_errors, "socket_errors": socket_errors, "created": figures["created"],
                   "deleted": figures["deleted"] + left}
            windows.append(row)
            log(f"{engine} {row['at_s']:>5} s: {row['rate']:.0f} req/s, p99 {row['p99_ms']:.1f} ms, "
                f"errors {row['errors']}, RSS {sampler.samples[-1][1]:.1f} MB")
        samples = sampler.stop()
        after = counters(server)
    finally:
        server.stop()
    non_2xx = {code: after["non_2xx"].get(code, 0) - before["non_2xx"].get(code, 0)
               for code in after["non_2xx"]}
    non_2xx["404"] = non_2xx.get("404", 0) - cleanup_404s[0]
    non_2xx = {code: n for code, n in non_2xx.items() if n}
    duration = time.monotonic() - started
    warm_up = min(60.0, duration / 4)
    trend = slope([(t, mb) for t, mb in samples if t >= warm_up])  # MB per second
    rss = [mb for _, mb in samples]
    growth = trend * duration
    p99 = [w["p99_ms"] for w in windows]
    third = max(1, len(p99) // 3)
    early, late = statistics.median(p99[:third]), statistics.median(p99[-third:])
    # The server's own count of non-2xx answers (every request it answered), and the
    # connections wrk saw fail (which the server may never have counted).
    errors = sum(non_2xx.values()) + sum(w["socket_errors"] for w in windows)
    checks = {
        "errors": errors == 0,
        "rss_growth": growth <= args.rss_growth_mb,
        "p99_stable": len(p99) < 3 or late <= 2 * early + 10,
    }
    return {
        "engine": engine, "scale": args.scale, "seconds": duration, "peak_rate": peak,
        "rate": rate, "load": args.load, "connections": args.connections,
        "requests": sum(w["requests"] for w in windows),
        "achieved_rate": sum(w["requests"] for w in windows) / sum(w["seconds"] for w in windows),
        "created": sum(w["created"] for w in windows),
        "errors": errors, "server_non_2xx": non_2xx, "windows": windows,
        "rss_samples_mb": samples, "rss_first_mb": rss[0], "rss_last_mb": rss[-1],
        "rss_max_mb": max(rss), "rss_slope_mb_per_hour": trend * 3600,
        "rss_growth_mb": growth, "p99_early_ms": early, "p99_late_ms": late,
        "p99_max_ms": max(p99), "checks": checks, "passed": all(checks.values()),
    }


def summary(result):
    r = result
    p99 = " ".join(f"{w['p99_ms']:.0f}" for w in r["windows"])
    peak = f"{r['peak_rate']:.0f}" if r["peak_rate"] else "(given)"
    return "\n".join([
        f"{r['engine']}: {r['seconds']:.0f} s at {r['rate']} req/s asked (peak {peak}, "
        f"load {r['load']}), {r['achieved_rate']:.0f} req/s held, {r['requests']} requests ({r['created']} creates), "
        f"errors {r['errors']} {r['server_non_2xx'] or ''}",
        f"  RSS first {r['rss_first_mb']:.1f} MB, last {r['rss_last_mb']:.1f} MB, max "
        f"{r['rss_max_mb']:.1f} MB; trend {r['rss_slope_mb_per_hour']:+.2f} MB/h "
        f"({r['rss_growth_mb']:+.2f} MB over the run)",
        f"  p99 per window (ms): {p99}; first third {r['p99_early_ms']:.1f}, last third "
        f"{r['p99_late_ms']:.1f}, max {r['p99_max_ms']:.1f}",
        f"  checks: " + ", ".join(f"{k} {'ok' if v else 'FAILED'}" for k, v in r["checks"].items()),
    ])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--scale", default="small", choices=sorted(bench.SCALES))
    parser.add_argument("--seconds", type=int, default=1200)
    parser.add_argument("--window", type=int, default=None, help="seconds per p99 window")
    parser.add_argument("--rate", type=int, default=None, help="requests/s (else 80%% of peak)")
    parser.add_argument("--load", type=float, default=0.8)
    parser.add_argument("--peak-seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rss-growth-mb", type=float, default=16.0)
    parser.add_argument("--cache", default="")
    parser.add_argument("--results", default=None, help="write the figures here (JSON)")
    parser.add_argument("--command", default=None)
    args = parser.parse_args()
    if args.window is None:
        args.window = 60 if args.seconds >= 300 else 10
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    ensure_wrk()
    work = Work(args.work)
    results = []
    try:
        for engine in engines:
            results.append(run_engine(engine, args, work))
    finally:
        work.cleanup()
    print()
    for result in results:
        print(summary(result))
    if args.results:
        os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
        with open(args.results, "w") as f:
            json.dump({"command": args.command, "git": bench.git_commit(),
                       "machine": bench.machine(), "engines": results}, f, indent=1)
        print(f"\nresults: {args.results}")
    if not all(r["passed"] for r in results):
        raise SystemExit("soak: FAILED")


if __name__ == "__main__":
    main()
