-- One scenario of the benchmark, configured by the harness (bench/run.py)
-- through environment variables, so every page is driven by this one file.
--
-- BENCH_METHOD, BENCH_PATH, BENCH_BODY: the request; BENCH_HEADERS: header
-- lines separated by "\n". BENCH_MODE:
--   plain   the same request every time;
--   intent  "{intent}" in the body becomes a fresh 32-hex token per request;
--   matrix  each thread owns one price cell (BENCH_CELLS: "path version first;
--           ..."), alternates between two prices (BENCH_PRICES: "a b"),
--           starting with the one numbered first, and follows the cell's
--           version, re-reading it from a 409 answer.
-- BENCH_OUT: where done() writes the summary as JSON.

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
local mode = os.getenv("BENCH_MODE") or "plain"
local headers = {}
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then headers[name] = value end
end
if body and body ~= "" and not headers["Content-Type"] then
  headers["Content-Type"] = "application/x-www-form-urlencoded"
end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

local cell_path, cell_version, prices, turn

function init(args)
  math.randomseed(os.time() * 1000 + (thread_number or 0))
  if mode == "matrix" then
    local cells = {}
    for entry in string.gmatch(os.getenv("BENCH_CELLS") or "", "[^;]+") do
      local p, v, f = string.match(entry, "^(%S+)%s+(%d+)%s+(%d+)$")
      table.insert(cells, { p, tonumber(v), tonumber(f) })
    end
    local mine = cells[((thread_number or 1) - 1) % #cells + 1]
    cell_path, cell_version, turn = mine[1], mine[2], mine[3]
    prices = {}
    for price in string.gmatch(os.getenv("BENCH_PRICES") or "1.00 2.00", "%S+") do
      table.insert(prices, price)
    end
  end
end

local function token()
  local parts = {}
  for i = 1, 4 do parts[i] = string.format("%08x", math.random(0, 0x7fffffff)) end
  return table.concat(parts)
end

function request()
  if mode == "intent" then
    local filled = string.gsub(body, "{intent}", token())
    return wrk.format(method, path, headers, filled)
  elseif mode == "matrix" then
    local filled = string.gsub(body, "{version}", tostring(cell_version))
    filled = string.gsub(filled, "{price}", prices[turn])
    return wrk.format(method, cell_path, headers, filled)
  end
  return wrk.format(method, path, headers, body)
end

-- Answers of 400 and above, counted by status in each thread.
refused = {}

function response(status, response_headers, response_body)
  if status >= 400 then
    local key = tostring(status)
    refused[key] = (refused[key] or 0) + 1
  end
  if mode ~= "matrix" then return end
  if status == 200 then
    cell_version = cell_version + 1
    turn = turn % #prices + 1
  elseif status == 409 and response_body then
    local fresh = string.match(response_body, 'name="version"[^>]-value="(%d+)"')
      or string.match(response_body, 'value="(%d+)"[^>]-name="version"')
    if fresh then cell_version = tonumber(fresh) end
  end
end

function done(summary, latency, requests)
  local out = os.getenv("BENCH_OUT")
  if not out then return end
  local errors = summary.errors
  local statuses = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("refused") or {}) do
      statuses[status] = (statuses[status] or 0) + count
    end
  end
  local by_status = {}
  for status, count in pairs(statuses) do
    table.insert(by_status, string.format('"%s": %d', status, count))
  end
  local file = io.open(out, "w")
  file:write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "errors_status": %d, ' ..
    '"errors_connect": %d, "errors_read": %d, "errors_write": %d, ' ..
    '"errors_timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes, errors.status,
    errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, table.concat(by_status, ", ")))
  file:close()
end
