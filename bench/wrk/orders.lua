-- POST /api/orders with valid, varied bodies (one per line of the bodies file, cycled) and a
-- unique Idempotency-Key on every request. Arguments: <phase seconds> <bodies file> <run id>
-- <keys>, where keys is "ordered" (time-ordered, as a ULID or a counter: the guest page's kind) or
-- "random" (UUIDv4-like, the costliest for the store)
local heads = {}
local tails = {}
local count = 0
local next_body = 1
local key_prefix = ""
local random_keys = false
local KEY_MARK = "\0key\0"

function init(args)
  start_phase(tonumber(args[1]))
  -- Each request is made once per body with a mark where the key goes, and split there: sending
  -- is then one concatenation, not a wrk.format() per request (wrk shares the cores with the server).
  for body in io.lines(args[2]) do
    local text = wrk.format("POST", nil, {
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = KEY_MARK,
    }, body)
    local at = text:find(KEY_MARK, 1, true)
    table.insert(heads, text:sub(1, at - 1))
    table.insert(tails, text:sub(at + #KEY_MARK))
  end
  -- Threads start at different bodies so that concurrent batches mix tables and items.
  next_body = (thread_id * 7919) % #heads + 1
  key_prefix = args[3] .. "-" .. thread_id .. "-"
  random_keys = args[4] == "random"
  math.randomseed(os.time() + thread_id)
end

local function next_key()
  if random_keys then
    return string.format("%08x-%04x-4%03x-%04x-%06x%06x", math.random(0, 0x7fffffff),
      math.random(0, 0xffff), math.random(0, 0xfff), math.random(0x8000, 0xbfff),
      math.random(0, 0xffffff), math.random(0, 0xffffff))
  end
  return key_prefix .. string.format("%010d", count)
end

function request()
  local i = next_body
  next_body = next_body % #heads + 1
  count = count + 1
  return heads[i] .. next_key() .. tails[i]
end
