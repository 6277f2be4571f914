// Runs a health.lua the way Argo CD does, on a real Lua 5.1 (Debian's lua5.1; Argo CD embeds
// gopher-lua, also 5.1): the object as the global `obj`, only the libraries Argo CD opens by
// default (base, table, os.time/os.date: no string, no math), the returned table read back.
import { spawnSync } from 'node:child_process';

export const luaCommand = 'lua5.1';

export interface HealthStatus {
  status: string;
  message: string;
}

/** A JSON-like value as a Lua table constructor; null fields are left out (Argo CD maps them to nil). */
export function toLuaLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a Lua number: ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) return `{${value.map(toLuaLiteral).join(', ')}}`;
  if (typeof value === 'object') {
    const fields = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined);
    return `{${fields.map(([k, v]) => `[${luaString(k)}] = ${toLuaLiteral(v)}`).join(', ')}}`;
  }
  throw new Error(`no Lua literal for a ${typeof value}`);
}

/** A double-quoted Lua 5.1 string: quote, backslash and control characters escaped; the rest as is (the program is UTF-8, Lua strings are bytes). */
function luaString(s: string): string {
  let out = '"';
  for (const c of s) {
    const code = c.charCodeAt(0);
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (code < 0x20 || code === 0x7f) out += `\\${String(code).padStart(3, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

/**
 * The program lua5.1 runs: the script as the body of a function on the first line (so its
 * line numbers stay those of health.lua), then a sandbox like Argo CD's and the call.
 */
export function healthProgram(script: string, obj: unknown): string {
  return `local check = function() ${script}
end
-- Argo CD opens no string library: strings have no methods there either
debug.setmetatable("", nil)
local env = {
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall, print = print,
  rawequal = rawequal, rawget = rawget, rawset = rawset, select = select, getmetatable = getmetatable,
  setmetatable = setmetatable, tonumber = tonumber, tostring = tostring, type = type, unpack = unpack,
  xpcall = xpcall, _VERSION = _VERSION, table = table, os = { time = os.time, date = os.date },
}
env._G = env
env.obj = ${toLuaLiteral(obj)}
setfenv(check, env)
local ok, hs = pcall(check)
if not ok then io.stderr:write("health.lua failed: ", tostring(hs), "\\n") os.exit(2) end
if type(hs) ~= "table" then io.stderr:write("health.lua returned a ", type(hs), ", not a table\\n") os.exit(3) end
if type(hs.status) ~= "string" then io.stderr:write("hs.status is a ", type(hs.status), "\\n") os.exit(3) end
if hs.message ~= nil and type(hs.message) ~= "string" then io.stderr:write("hs.message is a ", type(hs.message), "\\n") os.exit(3) end
io.write(hs.status, "\\n", hs.message or "")
`;
}

/** Runs `script` on `obj` with lua5.1; the status and message it returned (throws on a Lua error, naming `file`). */
export function runHealthLua(script: string, obj: unknown, file = 'health.lua'): HealthStatus {
  const run = spawnSync(luaCommand, ['-'], { input: healthProgram(script, obj), timeout: 10_000 });
  if (run.error) throw new Error(`${luaCommand} did not run (apt-get install lua5.1): ${run.error.message}`);
  if (run.status !== 0) throw new Error(`${luaCommand} exited ${run.status}: ${run.stderr.toString('utf8').trim().replaceAll('stdin:', `${file}:`)}`);
  const out = run.stdout.toString('utf8');
  const nl = out.indexOf('\n');
  if (nl < 0) throw new Error(`unexpected output of ${luaCommand}: ${JSON.stringify(out)}`);
  return { status: out.slice(0, nl), message: out.slice(nl + 1) };
}
