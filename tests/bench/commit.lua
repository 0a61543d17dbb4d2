-- wrk script for the commit benchmark (tests/bench/run).
-- BENCH_TARGETS names a file of lines "PATH COOKIE": one learner's commit
-- URL and session cookie each. Every wrk thread takes its own slice of the
-- learners and rotates through it, one learner per request, so that with
-- at least as many learners as connections no two requests in flight are
-- the same learner's. BENCH_BODY names the JSON body to POST.
local counter = 0

function setup(thread)
  thread:set("slice", counter)   -- a global in the thread's own Lua state
  counter = counter + 1
end

local targets, next_target, body

function init(args)
  local all = {}
  for line in io.lines(os.getenv("BENCH_TARGETS")) do
    local path, cookie = line:match("^(%S+) (%S+)$")
    if path then table.insert(all, { path = path, cookie = cookie }) end
  end
  local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
  body = f:read("*a")
  f:close()
  -- this thread's slice: learners i with (i - 1) % n_threads == slice
  local n = tonumber(os.getenv("BENCH_THREADS") or "1")
  targets = {}
  for i, t in ipairs(all) do
    if (i - 1) % n == (slice or 0) then table.insert(targets, t) end
  end
  assert(#targets > 0, "no learners for this wrk thread")
  next_target = 1
end

function request()
  local t = targets[next_target]
  next_target = next_target % #targets + 1
  return wrk.format("POST", t.path, {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "cairn_session=" .. t.cookie,
  }, body)
end

function done(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
            + summary.errors.write + summary.errors.timeout
  io.write(string.format("BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, bad))
end
