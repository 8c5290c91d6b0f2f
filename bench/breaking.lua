-- wrk script: the breaking-news read mix. 40% the front page, 30% one of the section pages
-- (the busiest tags' lists), 30% one of the hot articles. Writes come from bench/run alongside,
-- at a fixed rate.
--
-- Environment: BENCH_SECTIONS and BENCH_HOT, files of paths, one a line.

local sections, hot = {}, {}

local function read_lines(file, into)
  for line in io.lines(file) do
    if line ~= "" then
      into[#into + 1] = line
    end
  end
end

read_lines(os.getenv("BENCH_SECTIONS"), sections)
read_lines(os.getenv("BENCH_HOT"), hot)

function init(args)
  math.randomseed(os.time() + (tonumber(string.match(tostring({}), "0x(%x+)"), 16) or 0) % 100000)
end

function request()
  local r = math.random(100)
  local path
  if r <= 40 then
    path = "/api/v1/articles"
  elseif r <= 70 then
    path = sections[math.random(#sections)]
  else
    path = hot[math.random(#hot)]
  end
  return wrk.format("GET", path)
end
