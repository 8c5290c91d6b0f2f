-- wrk script: GET of a random article (of the slugs in the file BENCH_SLUGS) per request.

local slugs = {}
for line in io.lines(os.getenv("BENCH_SLUGS")) do
  if line ~= "" then
    slugs[#slugs + 1] = line
  end
end

function init(args)
  math.randomseed(os.time() + (tonumber(string.match(tostring({}), "0x(%x+)"), 16) or 0) % 100000)
end

function request()
  return wrk.format("GET", "/api/v1/articles/" .. slugs[math.random(#slugs)])
end
