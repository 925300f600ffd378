-- wrk script of bench/scale-out.sh: logged-in page loads through the load
-- balancer. Each request takes the next of the four pages that need a
-- login (GitHub repositories, Twitter timeline, Google profile, account)
-- and the next session cookie of the file given after `--`, one cookie
-- per line. A page counts as bad when it is not a 200, shows a problem
-- box (a provider call or a refresh failed) or is not logged in (no
-- log-out form: the session was not found). At the end one line:
--
--   pages <requests> <duration_us> <p50_us> <p99_us> <bad> <socket_errors> <non_2xx_3xx>

local paths = { "/repos", "/timeline", "/profile", "/account" }
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    cookies = {}
    for line in io.lines(args[1]) do
        if line ~= "" then
            table.insert(cookies, line)
        end
    end
    n = 0
    bad = 0
end

function request()
    n = n + 1
    local path = paths[(n % #paths) + 1]
    local cookie = cookies[(math.floor(n / #paths) % #cookies) + 1]
    return wrk.format("GET", path, { ["Cookie"] = "trilogin_session=" .. cookie })
end

function response(status, headers, body)
    if status ~= 200
        or string.find(body, 'class="notice problem"', 1, true)
        or not string.find(body, 'action="/logout"', 1, true) then
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    local total_bad = 0
    for _, thread in ipairs(threads) do
        total_bad = total_bad + thread:get("bad")
    end
    local e = summary.errors
    io.write(string.format("pages %d %d %d %d %d %d %d\n",
        summary.requests, summary.duration,
        latency:percentile(50), latency:percentile(99),
        total_bad, e.connect + e.read + e.write + e.timeout, e.status))
end
