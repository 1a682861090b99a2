-- GET /api/menu, by location slug and by table token, in every language the menu offers (by
-- `?lang=` and by Accept-Language). One request per line of the requests file:
-- `<path>\t<Accept-Language or empty>\t<Accept-Encoding or empty>`. Each request's text is
-- built once, in init.
-- Arguments: <phase seconds> <requests file>
local requests = {}
local next_request = 1

function init(args)
  start_phase(tonumber(args[1]))
  for line in io.lines(args[2]) do
    local path, language, encoding = line:match("^([^\t]*)\t?([^\t]*)\t?(.*)$")
    local headers = {}
    if language ~= "" then headers["Accept-Language"] = language end
    if encoding ~= "" then headers["Accept-Encoding"] = encoding end
    table.insert(requests, wrk.format("GET", path, headers))
  end
  next_request = thread_id % #requests + 1
end

function request()
  local text = requests[next_request]
  next_request = next_request % #requests + 1
  return text
end
