-- wrk script: hostile reads that no cache can answer. Half are searches `q=ka&limit=100`
-- with a different `published_after` each time, half pages of tags after a made-up cursor
-- (`slug|<random letters>`, base64url), `limit=100`. With BENCH_SPREAD=1 each request claims
-- one of 40 client addresses in X-Forwarded-For (for a server with TRUST_PROXY=true): a
-- crowd, whose members each have a budget of their own.
--
-- Counts the answers by status; `done` prints them as one JSON line.

local spread = os.getenv("BENCH_SPREAD") == "1"
local b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local function base64url(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = 2 + (b and 1 or 0) + (c and 1 or 0)
    for j = 1, chars do
      local k = math.floor(n / 64 ^ (4 - j)) % 64
      out[#out + 1] = b64:sub(k + 1, k + 1)
    end
  end
  return table.concat(out)
end

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  statuses = {}
  math.randomseed(os.time() * 1000 + id)
end

function request()
  local headers = {}
  if spread then
    headers["X-Forwarded-For"] = "10.0.0." .. math.random(40)
  end
  if math.random(2) == 1 then
    local day = string.format("2026-%02d-%02dT%02d:%02d:00Z", math.random(12), math.random(28),
      math.random(0, 23), math.random(0, 59))
    return wrk.format("GET", "/api/v1/articles?q=ka&limit=100&published_after=" .. day, headers)
  end
  local key = ""
  for _ = 1, 6 do
    key = key .. string.char(96 + math.random(26))
  end
  return wrk.format("GET", "/api/v1/tags?limit=100&cursor=" .. base64url("slug|" .. key), headers)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    parts[#parts + 1] = string.format('"%d": %d', status, n)
  end
  io.write("STATUSES {" .. table.concat(parts, ", ") .. "}\n")
end
