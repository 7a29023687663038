-- wrk script: POST /postcards from random senders (bench/out/tokens.txt) to random
-- colleagues (bench/out/recipients.txt).
local tokens, ids = {}, {}
for line in io.lines(os.getenv("BENCH_OUT") .. "/tokens.txt") do tokens[#tokens + 1] = line end
for line in io.lines(os.getenv("BENCH_OUT") .. "/recipients.txt") do ids[#ids + 1] = line end
local failures = 0
-- POST_PAUSE_MS paces each connection (sends arriving at a steady rate, not flat out).
local pause = tonumber(os.getenv("POST_PAUSE_MS") or "0")
if pause > 0 then
  delay = function() return pause end
end

request = function()
  local body = '{"recipients":["' .. ids[math.random(#ids)] .. '"],"behaviour":"small-win","message":"Benchmark thanks"}'
  return wrk.format("POST", "/api/v1/postcards",
    { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)], ["Content-Type"] = "application/json" }, body)
end
