-- wrk script: POST a registration as JSON with a fresh email on every request.
-- Usage: wrk ... -s bench/register.lua http://HOST/api/v1/events/SLUG/registrations -- RUN_ID
-- Prints "STATUS <code> <count>" lines at the end, so the caller sees 201s versus 4xx/5xx.

local threads = {}
local counter = 0
local run_id = "run"
-- thread_id and statuses are globals: setup() and done() reach them with thread:set/get.

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  run_id = args[1] or tostring(os.time())
  statuses = {}
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  wrk.headers["Accept-Language"] = "sv"
end

local template = [[{"name":"Bench Person %d","email":"%s","organisation":{"name":"Kommun %d","org_number":"202100-5489","country":"SE"},"target_group":"contracting_authority","role":"Upphandlare","language":"sv","sessions":[],"needs":"","consent_future_invitations":false}]]

function request()
  counter = counter + 1
  local email = string.format("bench-%s-t%d-%d@example.se", run_id, thread_id or 0, counter)
  local body = string.format(template, counter, email, counter % 290)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("STATUS %d %d\n", status, n))
  end
end
