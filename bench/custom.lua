-- wrk script: custom-period boards over random ranges (7 to 365 days, ending on a random day
-- of the last year), so requests differ and none is a repeated identical read; they share
-- buckets, which the service keeps in memory once they have ended.
math.randomseed(os.time())
local day = 86400
local now = os.time()
local function date(t) return os.date("!%Y-%m-%d", t) end

request = function()
  local last = now - math.random(0, 364) * day
  local first = last - (math.random(7, 365) - 1) * day
  return wrk.format("GET", "/api/v1/leaderboard?period=custom&from=" .. date(first) .. "&to=" .. date(last))
end
