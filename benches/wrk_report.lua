-- wrk's `done` hook for benches/load.sh: one line with requests/s, p50, p99 and p99.9
-- latency in milliseconds, the error count (connect, read, write, timeout, and
-- non-2xx/3xx statuses) and the number of requests.
done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format("RESULT %.0f %.2f %.2f %.2f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, errors, summary.requests))
end
