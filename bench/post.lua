-- wrk script: POST /postcards from random senders (bench/out/tokens.txt) to random
-- colleagues (bench/out/recipients.txt), each with its own Idempotency-Key as the web app
-- sends it (IDEMPOTENCY_KEYS=0 leaves the header out).
local tokens, ids = {}, {}
for line in io.lines(os.getenv("BENCH_OUT") .. "/tokens.txt") do tokens[#tokens + 1] = line end
for line in io.lines(os.getenv("BENCH_OUT") .. "/recipients.txt") do ids[#ids + 1] = line end
local failures = 0
-- POST_PAUSE_MS paces each connection (sends arriving at a steady rate, not flat out).
local pause = tonumber(os.getenv("POST_PAUSE_MS") or "0")
if pause > 0 then
  delay = function() return pause end
end

local keys = os.getenv("IDEMPOTENCY_KEYS") ~= "0"
-- Keys unique across threads and runs: the thread's number, the run's start, a counter.
local threads, sent = 0, 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end
local run = tostring(os.time())

request = function()
  local body = '{"recipients":["' .. ids[math.random(#ids)] .. '"],"behaviour":"small-win","message":"Benchmark thanks"}'
  local headers = { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)], ["Content-Type"] = "application/json" }
  if keys then
    sent = sent + 1
    headers["Idempotency-Key"] = "bench-" .. run .. "-" .. tostring(thread_no) .. "-" .. sent
  end
  return wrk.format("POST", "/api/v1/postcards", headers, body)
end
