-- POST /api/v1/submissions, each request a report nobody has filed yet: BENCH_TARGETS is a file
-- of "token<TAB>JSON body" lines (the officer of the body's organization), dealt to the
-- threads in turn. A thread that has sent all of its own stops. wrk's own rate divides by the
-- whole -d even when the threads stopped early, so each thread also records (monotonic clock)
-- when it sent its first request and when its last answer came, and done() reports the rate
-- over that window ("window_us", "answered", "not_201").
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local report = require("report")
local now_us = report.now_us
local threads = report.threads
setup = report.setup

local targets, sent = {}, 0
first_us, last_us, answered, not_201 = 0, 0, 0, 0

function init(args)
  local count, line_no = tonumber(os.getenv("BENCH_WRK_THREADS")), 0
  for line in io.lines(os.getenv("BENCH_TARGETS")) do
    if line_no % count == thread_index then
      local tab = line:find("\t", 1, true)
      targets[#targets + 1] = { line:sub(1, tab - 1), line:sub(tab + 1) }
    end
    line_no = line_no + 1
  end
end

function request()
  sent = sent + 1
  local target = targets[sent]
  if target == nil then
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  if sent == 1 then
    first_us = now_us()
  end
  return wrk.format("POST", "/api/v1/submissions",
    { ["Authorization"] = "Bearer " .. target[1], ["Content-Type"] = "application/json" },
    target[2])
end

function response(status, headers, body)
  if answered < #targets then
    answered = answered + 1
    last_us = now_us()
    if status ~= 201 then
      not_201 = not_201 + 1
    end
  end
end

function done(summary, latency, requests)
  local first, last, count, bad = nil, 0, 0, 0
  for _, thread in ipairs(threads) do
    local f = thread:get("first_us")
    if f > 0 and (first == nil or f < first) then first = f end
    last = math.max(last, thread:get("last_us"))
    count = count + thread:get("answered")
    bad = bad + thread:get("not_201")
  end
  io.write(report.line(summary, latency, string.format(
    ',"window_us":%d,"answered":%d,"not_201":%d', last - (first or last), count, bad)))
end
