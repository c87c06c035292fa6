-- wrk script: count responses by body (v1/v2/...) and anything else as bad.
-- Prints one line: RESULT requests=N ok=N bad=N non2xx=N connect=N read=N write=N timeout=N v1=N v2=N
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, bad, v1, v2, v3 = 0, 0, 0, 0, 0
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  elseif body == "v1\n" then
    v1 = v1 + 1; ok = ok + 1
  elseif body == "v2\n" then
    v2 = v2 + 1; ok = ok + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local t = { ok = 0, bad = 0, v1 = 0, v2 = 0 }
  for _, th in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + th:get(k) end
  end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d ok=%d bad=%d non2xx=%d connect=%d read=%d write=%d timeout=%d v1=%d v2=%d\n",
    summary.requests, t.ok, t.bad, e.status, e.connect, e.read, e.write, e.timeout, t.v1, t.v2))
end
