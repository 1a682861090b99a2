-- POST /api/orders with valid, varied bodies (one per line of the bodies file, cycled) and a
-- unique Idempotency-Key on every request. Arguments: <phase seconds> <bodies file> <run id>
local bodies = {}
local count = 0
local next_body = 1
local key_prefix = ""

function init(args)
  start_phase(tonumber(args[1]))
  for line in io.lines(args[2]) do table.insert(bodies, line) end
  -- Threads start at different bodies so that concurrent batches mix tables and items.
  next_body = (thread_id * 7919) % #bodies + 1
  key_prefix = args[3] .. "-" .. thread_id .. "-"
end

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  count = count + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key_prefix .. count,
  }, body)
end
