-- wrk script of bench/pages.sh: one route, checked on every answer.
-- Arguments after `--`: the path, the status each answer must have, a
-- text each answer's body must contain ("-" for none), and the session
-- cookie to send ("-" for none: every request is a new browser). At the
-- end one line:
--
--   route <requests> <duration_us> <p50_us> <p99_us> <bad> <socket_errors>

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    local headers = {}
    if args[4] ~= "-" then
        headers["Cookie"] = "trilogin_session=" .. args[4]
    end
    expected_status = tonumber(args[2])
    expected_text = args[3] ~= "-" and args[3] or nil
    req = wrk.format("GET", args[1], headers)
    bad = 0
end

function request()
    return req
end

function response(status, headers, body)
    if status ~= expected_status
        or (expected_text and not string.find(body, expected_text, 1, true)) then
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    local total_bad = 0
    for _, thread in ipairs(threads) do
        total_bad = total_bad + thread:get("bad")
    end
    local e = summary.errors
    io.write(string.format("route %d %d %d %d %d %d\n",
        summary.requests, summary.duration,
        latency:percentile(50), latency:percentile(99),
        total_bad, e.connect + e.read + e.write + e.timeout))
end
