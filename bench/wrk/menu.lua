-- GET /api/menu, by location slug and by table token (one path per line of the paths file).
-- Arguments: <phase seconds> <paths file>
local paths = {}
local next_path = 1

function init(args)
  start_phase(tonumber(args[1]))
  for line in io.lines(args[2]) do table.insert(paths, line) end
  next_path = thread_id % #paths + 1
end

function request()
  local path = paths[next_path]
  next_path = next_path % #paths + 1
  return wrk.format("GET", path)
end
