-- wrk script for the service benchmark: POST /v1/jobs/{id}/qualify, a different job per request.
--
--   KEY=... FIRST=1 STRIDE=100000 wrk -t2 -c32 -d20s --latency -s Benchmarks/serve/qualify.lua http://127.0.0.1:PORT
--
-- Job ids are job-%07d (Benchmarks/serve/make-dataset.py). Thread t (0-based) takes ids
-- FIRST + t*STRIDE, FIRST + t*STRIDE + 1, ...: no id repeats as long as no thread sends more
-- than STRIDE requests. Each request sends `Authorization: Bearer KEY`, `Content-Type:
-- application/json` and the body `{}` (qualify for every enabled target). wrk prints
-- "Non-2xx or 3xx responses: N" when any; done() also prints a line the runner parses:
--   RESULT requests=N non2xx=N errors=N ids=FIRST..LAST,... p50=MS p90=MS p99=MS rps=R
-- and the first few non-2xx bodies go to stderr.

local threads = {}
local counter = 0
-- Read in every Lua state: each thread's, and the main one that runs setup() and done().
first = tonumber(os.getenv("FIRST") or "1")
stride = tonumber(os.getenv("STRIDE") or "100000")

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  key = os.getenv("KEY") or error("set KEY to a crm API key")
  next_id = first + id * stride
  last_id = next_id - 1
  sent = 0
  non2xx = 0
  shown = 0
  headers = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }
end

function request()
  local job = next_id
  next_id = next_id + 1
  last_id = job
  sent = sent + 1
  if sent > stride then error("thread " .. id .. " ran out of ids; raise STRIDE") end
  return wrk.format("POST", string.format("/v1/jobs/job-%07d/qualify", job), headers, "{}")
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if shown < 3 then
      shown = shown + 1
      io.stderr:write("non-2xx " .. status .. ": " .. body .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local non = 0
  local ranges = {}
  for _, thread in ipairs(threads) do
    non = non + thread:get("non2xx")
    table.insert(ranges, (first + thread:get("id") * stride) .. ".." .. thread:get("last_id"))
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT requests=%d non2xx=%d errors=%d ids=%s p50=%.2f p90=%.2f p99=%.2f rps=%.1f\n",
    summary.requests, non, errors, table.concat(ranges, ","),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
