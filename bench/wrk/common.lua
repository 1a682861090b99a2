-- Shared by the SeatServe wrk scripts: a monotonic clock, a deadline after which no new request
-- is sent (so nothing is in flight when wrk stops), per-status counts, and a JSON summary that
-- bench/run.ts parses. Arguments (after `--`): <phase seconds> [script-specific...]
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")

function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end

local threads = {}
local next_thread_id = 0

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
  table.insert(threads, thread)
end

-- Per thread (each wrk thread has its own Lua state).
statuses = {}
replayed = 0
first_us = 0
last_us = 0
deadline_us = 0

function start_phase(seconds)
  first_us = now_us()
  deadline_us = first_us + math.floor(seconds * 1000000)
end

-- After the deadline, wait instead of sending: in-flight requests finish and nothing is left
-- half-done when wrk stops, so the server's store holds exactly the answered orders.
function delay()
  if now_us() >= deadline_us then return 3600000 end
  return 0
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if headers["Idempotent-Replayed"] or headers["idempotent-replayed"] then
    replayed = replayed + 1
  end
  last_us = now_us()
end

function done(summary, latency, requests)
  local counts = {}
  local first, last, replays = nil, 0, 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
    local f, l = thread:get("first_us"), thread:get("last_us")
    if f > 0 and (first == nil or f < first) then first = f end
    if l > last then last = l end
    replays = replays + thread:get("replayed")
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%d":%d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"phaseUs":%d,"statuses":{%s},"replayed":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latencyUs":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"stdev":%.1f}}\n',
    summary.requests, summary.duration, last - (first or last), table.concat(parts, ","), replays,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.stdev))
end
