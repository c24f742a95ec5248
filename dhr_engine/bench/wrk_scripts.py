"""wrk Lua scripts: auth header, GET over many cases, POST fire-trigger with each case's version.

Each script ends by printing one JSON line with the requests, duration, p50/p99 latency and errors.
"""

from __future__ import annotations

import json

DONE = r"""
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '\nBENCH-JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"errors": %d, "status_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), errors,
    summary.errors.status))
end
"""


def _lua(value: object) -> str:
    return json.dumps(value)


def ping_script() -> str:
    return DONE


def get_script(token: str, paths: list[str]) -> str:
    items = ", ".join(_lua(p) for p in paths)
    return f"""
local paths = {{{items}}}
local n = 0
wrk.headers["Authorization"] = {_lua("Bearer " + token)}
function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
{DONE}"""


def fire_script(
    token: str, prefix: str, cases: list[tuple[str, int, str]], triggers: dict[str, str], reason: str
) -> str:
    """POST the next trigger of each idle case; a response gives the case back with its new version.

    `cases` are (ref, version, stage); `triggers` maps a stage to the trigger to fire from it.
    A case is never in flight twice, so no request is refused as stale.
    """
    rows = ", ".join(f"{{ref={_lua(r)}, version={v}, stage={_lua(s)}}}" for r, v, s in cases)
    trig = ", ".join(f"[{_lua(s)}]={_lua(t)}" for s, t in triggers.items())
    return f"""
local idle = {{{rows}}}
local triggers = {{{trig}}}
wrk.method = "POST"
wrk.headers["Authorization"] = {_lua("Bearer " + token)}
wrk.headers["Content-Type"] = "application/json"
function request()
  local case = table.remove(idle, 1)
  if case == nil then
    return wrk.format("GET", "/bench/ping")
  end
  local body = string.format('{{"expected_version": %d, "reason": {_lua(reason)}}}', case.version)
  local path = {_lua(prefix)} .. "/cases/" .. case.ref .. "/triggers/" .. triggers[case.stage]
  return wrk.format("POST", path, nil, body)
end
function response(status, headers, body)
  local ref = body:match('"ref":"([^"]+)"')
  local version = body:match('"version":(%d+)')
  local stage = body:match('"stage":"([^"]+)"')
  if ref and version and stage and triggers[stage] then
    table.insert(idle, {{ref=ref, version=tonumber(version), stage=stage}})
  end
end
{DONE}"""
