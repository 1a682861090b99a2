-- Shared by the SeatServe wrk scripts: a monotonic clock, a deadline after which no new request
-- is sent (so nothing is in flight when wrk stops), and a JSON summary that bench/run.ts parses.
-- Arguments (after `--`): <phase seconds> [script-specific...]
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

local next_thread_id = 0

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
end

-- Per thread (each wrk thread has its own Lua state).
deadline_us = 0

function start_phase(seconds)
  deadline_us = now_us() + math.floor(seconds * 1000000)
end

-- After the deadline, wait instead of sending: in-flight requests finish and nothing is left
-- half-done when wrk stops, so the server's store holds exactly the answered orders.
function delay()
  if now_us() >= deadline_us then return 3600000 end
  return 0
end

-- No response() callback: it makes wrk copy every response into Lua, and the load generator
-- shares the two cores with the server. wrk counts answers with status > 399 as status errors,
-- so the 2xx count is requests minus those (nothing here answers 1xx or 3xx).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latencyUs":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"stdev":%.1f}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.stdev))
end
