-- Shared by the wrk scripts of scripts/bench: done() prints one line, "BENCH-JSON {…}", with
-- the figures the bench reads (latency in microseconds).
local report = {}

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
