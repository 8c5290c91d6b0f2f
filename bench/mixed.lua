-- wrk script: a mixed workload, 95% reads (GET of a random article) and 5% writes (PATCH of
-- a random article's summary with the admin key).
--
-- Environment: BENCH_SLUGS (a file of article slugs, one a line), BENCH_KEY (an admin key),
-- BENCH_WRITE_PERCENT (default 5).

local slugs = {}
local key = os.getenv("BENCH_KEY") or ""
local write_percent = tonumber(os.getenv("BENCH_WRITE_PERCENT") or "5")
local counter = 0

for line in io.lines(os.getenv("BENCH_SLUGS")) do
  if line ~= "" then
    slugs[#slugs + 1] = line
  end
end

function setup(thread)
  thread:set("thread_id", tostring(thread))
end

function init(args)
  math.randomseed(os.time() + (tonumber(string.match(tostring({}), "0x(%x+)"), 16) or 0) % 100000)
end

function request()
  local slug = slugs[math.random(#slugs)]
  local path = "/api/v1/articles/" .. slug
  if math.random(100) <= write_percent then
    counter = counter + 1
    local body = '{"summary":"Updated by the benchmark, edit ' .. counter .. '."}'
    return wrk.format("PATCH", path, {
      ["Authorization"] = "Bearer " .. key,
      ["Content-Type"] = "application/json",
    }, body)
  end
  return wrk.format("GET", path)
end
