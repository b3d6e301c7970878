-- The soak's mixed traffic (scripts/soak): reads of SOAK_READS ("path<TAB>token" lines, one per
-- kind), creates of SOAK_TARGETS ("token<TAB>JSON body" lines, dealt to the threads in turn)
-- and the deletes of what was created (by SOAK_DELETE_TOKEN), so the data stays the size it
-- was. SOAK_MIX is the cycle of kinds, e.g. "get,get,list,create,...": a "create" turn sends a
-- pending delete first when there is one. SOAK_RATE (requests/s for the whole run, 0: as fast
-- as the connections go) is held by delay(): each thread hands out send times at
-- 1/(SOAK_RATE/threads) intervals to its connections, catching up at most SOAK_CATCH_UP_MS.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local report = require("report")
local now_us = report.now_us
local threads = report.threads
setup = report.setup

local reads, targets, mix, deletes = {}, {}, {}, {}
local turn, next_target, interval_us, next_us, catch_up_us = 0, 0, 0, 0, 0
local delete_token
sent_kind = {}
not_ok, creates, removed = 0, 0, 0

local function split(line)
  local tab = line:find("\t", 1, true)
  return line:sub(1, tab - 1), line:sub(tab + 1)
end

function init(args)
  local count, line_no = tonumber(os.getenv("BENCH_WRK_THREADS")), 0
  for line in io.lines(os.getenv("SOAK_READS")) do
    local kind, rest = split(line)
    local path, token = split(rest)
    reads[kind] = { path, token }
  end
  for line in io.lines(os.getenv("SOAK_TARGETS")) do
    if line_no % count == thread_index then
      targets[#targets + 1] = { split(line) }
    end
    line_no = line_no + 1
  end
  for kind in os.getenv("SOAK_MIX"):gmatch("[^,]+") do
    mix[#mix + 1] = kind
  end
  -- Windows go on where the last one stopped: a create still in flight when wrk stopped, and
  -- not yet deleted, is never filed again.
  next_target = (tonumber(os.getenv("SOAK_TARGET_START")) or 0) % #targets
  delete_token = os.getenv("SOAK_DELETE_TOKEN")
  local rate = tonumber(os.getenv("SOAK_RATE")) or 0
  if rate > 0 then
    interval_us = 1000000 * count / rate
  end
  catch_up_us = 1000 * (tonumber(os.getenv("SOAK_CATCH_UP_MS")) or 100)
  -- Each thread starts at its own offset in the cycle, so the threads do not move in step.
  turn = thread_index * 7
end

function delay()
  if interval_us == 0 then
    return 0
  end
  local now = now_us()
  if next_us < now - catch_up_us then
    next_us = now - catch_up_us
  end
  next_us = next_us + interval_us
  if next_us <= now then
    return 0
  end
  return (next_us - now) / 1000
end

function request()
  turn = turn + 1
  local kind = mix[(turn % #mix) + 1]
  if kind == "create" then
    if #deletes > 0 then
      local id = table.remove(deletes, 1)
      return wrk.format("DELETE", "/api/v1/submissions/" .. id,
        { ["Authorization"] = "Bearer " .. delete_token })
    end
    next_target = (next_target % #targets) + 1
    local target = targets[next_target]
    return wrk.format("POST", "/api/v1/submissions",
      { ["Authorization"] = "Bearer " .. target[1], ["Content-Type"] = "application/json" },
      target[2])
  end
  local read = reads[kind]
  return wrk.format("GET", read[1], { ["Authorization"] = "Bearer " .. read[2] })
end

function response(status, headers, body)
  if status == 201 then
    creates = creates + 1
    local id = body:match('"id":(%d+)')
    if id then
      deletes[#deletes + 1] = id
    end
  elseif status == 204 then
    removed = removed + 1
  elseif status >= 300 then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local bad, created, deleted = 0, 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("not_ok")
    created = created + thread:get("creates")
    deleted = deleted + thread:get("removed")
  end
  io.write(report.line(summary, latency, string.format(
    ',"not_ok":%d,"created":%d,"deleted":%d', bad, created, deleted)))
end
