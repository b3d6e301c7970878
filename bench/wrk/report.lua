-- Shared by the wrk scripts of scripts/bench: done() prints one line, "BENCH-JSON {…}", with
-- the figures the bench reads (latency in microseconds).
local report = {}

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *tp);
]]
local now_ts = ffi.new("bench_timespec")

-- Microseconds on the monotonic clock (wrk's Lua has no clock of its own finer than seconds).
function report.now_us()
  ffi.C.clock_gettime(1, now_ts) -- CLOCK_MONOTONIC
  return tonumber(now_ts.tv_sec) * 1000000 + math.floor(tonumber(now_ts.tv_nsec) / 1000)
end

-- wrk's threads, in the order setup() met them, each told its index ("thread_index"): done()
-- reads the figures each one kept. A script uses it as its setup: `setup = report.setup`.
report.threads = {}
function report.setup(thread)
  thread:set("thread_index", #report.threads)
  table.insert(report.threads, thread)
end

function report.line(summary, latency, extra)
  local e = summary.errors
  return string.format(
    'BENCH-JSON {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"status_errors":%d,'
      .. '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d}%s}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout,
    e.status, latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), extra or "")
end

function report.done(summary, latency, requests)
  io.write(report.line(summary, latency))
end

return report
