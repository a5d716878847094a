-- The requests of scripts/peer_bench.py, identical for tokenledger and OpenBao:
--   wrk -t2 -c16 -d4s -s peer_bench.lua URL -- OPERATION TOKEN VALUES_FILE THREADS
-- TOKEN is root's (or the role's parent token); VALUES_FILE holds one token or accessor a line,
-- dealt out to the threads so that no two revoke the same accessor. done() prints one JSON line.

local API = "/v1/auth/token/"
local CREATE_ROOT = '{"policies": ["default", "web"], "ttl": "1h", "meta": {"app": "bench"}}'
local CREATE_ROLE = '{"ttl": "1h", "meta": {"app": "bench"}}'
local RENEW = '{"increment": "1h"}'
local EXPECTED = {["lookup-self"] = 200, ["create-root"] = 200, ["create-child-role"] = 200,
                  ["renew-self"] = 200, revoke = 204, mixed = 200, hello = 200}

local threads = {}

function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end

-- Per thread (each has its own Lua state); done() reads them through thread:get.
ok, errors, exhausted = 0, 0, 0
local operation, token, expected, build
local values, position, sent = {}, 0, 0

local function post(path, as, body)
    return wrk.format("POST", API .. path, {["X-Vault-Token"] = as, ["Content-Type"] = "application/json"}, body)
end

local function get(path, as)
    return wrk.format("GET", API .. path, {["X-Vault-Token"] = as})
end

local function next_value()
    position = position % #values + 1
    return values[position]
end

local function revoke()
    if position >= #values then
        -- Out of accessors: stop this thread. The request returned meanwhile is answered 200,
        -- which is neither a revoke (204) nor an error.
        exhausted = 1
        wrk.thread:stop()
        return wrk.format("GET", "/v1/sys/health")
    end
    position = position + 1
    return post("revoke-accessor", token, '{"accessor": "' .. values[position] .. '"}')
end

local builders = {
    ["lookup-self"] = function() return get("lookup-self", next_value()) end,
    ["create-root"] = function() return post("create", token, CREATE_ROOT) end,
    ["create-child-role"] = function() return post("create/bench", token, CREATE_ROLE) end,
    ["renew-self"] = function() return post("renew-self", next_value(), RENEW) end,
    revoke = revoke,
    hello = function() return wrk.format("GET", "/hello") end,
    mixed = function()
        sent = sent + 1
        if sent % 10 == 0 then return post("create", token, CREATE_ROOT) end
        return get("lookup-self", next_value())
    end,
}

function init(args)
    operation, token = args[1], args[2]
    expected = EXPECTED[operation]
    local count, line_number = tonumber(args[4]), 0
    if args[3] ~= "" then
        for line in io.lines(args[3]) do
            if line_number % count == id then table.insert(values, line) end
            line_number = line_number + 1
        end
    end
    build = builders[operation]
end

function request()
    return build()
end

function response(status, headers, body)
    if status == expected then
        ok = ok + 1
    elseif status >= 400 then
        errors = errors + 1
    end
end

function done(summary, latency, requests)
    local totals = {ok = 0, errors = 0, exhausted = 0}
    for _, thread in ipairs(threads) do
        for key, value in pairs(totals) do totals[key] = value + thread:get(key) end
    end
    local e = summary.errors
    io.write(string.format(
        '{"requests": %d, "ok": %d, "status_errors": %d, "socket_errors": %d, "exhausted_threads": %d, '
            .. '"duration_us": %d, "p50_us": %d, "p99_us": %d}\n',
        summary.requests, totals.ok, totals.errors, e.connect + e.read + e.write + e.timeout,
        totals.exhausted, summary.duration, latency:percentile(50), latency:percentile(99)))
end
