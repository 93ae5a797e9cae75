// An independent Gansu inspection-station client, written from the README's Gansu section, `vconform actions gansu`
// and the reconstruction zongjian.md only (no project code): node station_client.mjs ACTION CONTEXT_FILE.
// Node built-ins only (fetch, fs). Its JSON encoding differs on purpose from the reference client's, in ways the
// reconstruction allows (a platform must parse IPCType.value, never compare it byte for byte): keys sorted, every
// non-ASCII character as a \uXXXX escape, whole numbers written N.0. With GANSU_NUMERIC_COUNTS=1 it sends the
// counts and the mileage as JSON numbers, as the 2018 mock types them (a documented alternative reading).
import { readFileSync, writeFileSync, mkdirSync, existsSync, renameSync } from "node:fs";
import { join } from "node:path";

const [action, ctxFile] = process.argv.slice(2);
if (!action || !ctxFile) {
  console.error("usage: node station_client.mjs ACTION CONTEXT_FILE");
  process.exit(2);
}
const ctx = JSON.parse(readFileSync(ctxFile, "utf8"));
const cfg = ctx.credentials || {};
const params = ctx.params || {};
const root = String(ctx.base_url).replace(/\/+$/, "") + "/restapi/detecting/";
const stateFile = join(ctx.state_dir, "station-state.json");
const IMAGE_KEYS = { sharePrintImage: "printImage", shareReportImage: "reportImage",
                     shareSignatureImage: "signatureImage" };
const COUNTS = ["travelMileage", "steeringAxleAmount", "seatCount", "detectTotalCount"];

class Refused extends Error {}

// ---- our own JSON writer ----------------------------------------------------------------------------------------
function escapeString(s) {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (c < 0x20 || c > 0x7e) {
      // outside printable ASCII: \u escapes (a surrogate pair above the BMP)
      const units = c > 0xffff ? [0xd800 + ((c - 0x10000) >> 10), 0xdc00 + ((c - 0x10000) & 0x3ff)] : [c];
      out += units.map((u) => "\\u" + u.toString(16).padStart(4, "0")).join("");
    } else out += ch;
  }
  return out + '"';
}

function encode(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return escapeString(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isInteger(v) ? v.toFixed(1) : String(v);
  if (Array.isArray(v)) return "[" + v.map(encode).join(",") + "]";
  const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
  return "{" + keys.map((k) => escapeString(k) + ":" + encode(v[k])).join(",") + "}";
}

// ---- state: the token and the serial issued per vehicle -----------------------------------------------------
function loadState() {
  return existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, "utf8")) : { token: null, serials: {} };
}
function saveState(s) {
  mkdirSync(ctx.state_dir, { recursive: true });
  writeFileSync(stateFile + ".new", JSON.stringify(s));
  renameSync(stateFile + ".new", stateFile);
}
const state = loadState();

// ---- transport ---------------------------------------------------------------------------------------------
async function post(url, method, value) {
  const body = "{" + [["CompanyId", cfg.CompanyId], ["Source", cfg.Source], ["IPCType", method],
                      ["IPCType.value", encode(value)]].map(([k, x]) => escapeString(k) + ":" + escapeString(String(x)))
                     .join(",") + "}";
  const res = await fetch(url, { method: "POST", body,
                                 headers: { "Content-Type": "application/json;charset=UTF-8" } });
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Refused(`HTTP ${res.status}: no JSON answer (${text.slice(0, 120)})`);
  }
}

async function login() {
  const ans = await post(root + "get_access_token", "getAccessToken",
                         { username: cfg.username, password: cfg.password });
  if (String(ans.code) !== "1" || !ans.access_token) throw new Refused(`login refused: ${ans.code} ${ans.status}`);
  state.token = String(ans.access_token);
  saveState(state);
  return state.token;
}

async function send(method, value) {
  const where = method === "getVehicleInfoAndDetectSn" ? "get_data" : "put_data";
  const once = async (token) => post(`${root}${where};token=${encodeURIComponent(token)}`, method, value);
  let ans = await once(state.token || (await login()));
  if (String(ans.code) !== "1" && /令牌|token/i.test(String(ans.status))) ans = await once(await login());
  if (String(ans.code) !== "1") throw new Refused(`${method} refused: code ${ans.code}: ${ans.status}`);
  return ans;
}

// ---- the business events -----------------------------------------------------------------------------------
const vehicleKey = (v) => `${v.vinNo}`;
function serialOf(v) {
  const sn = state.serials[vehicleKey(v)];
  if (!sn) throw new Refused(`no detectSn for VIN ${v.vinNo}: getVehicleInfoAndDetectSn first`);
  return sn;
}

function numeric(record) {
  if (process.env.GANSU_NUMERIC_COUNTS !== "1") return record;
  const out = { ...record };
  for (const k of COUNTS) if (typeof out[k] === "string" && /^\d+$/.test(out[k])) out[k] = Number(out[k]);
  return out;
}

async function main() {
  switch (action) {
    case "getAccessToken":
      await login();
      return;
    case "shareDetectionStationInfo":
      await send(action, { ...params, dsId: cfg.CompanyId, dsName: params.dsName ?? cfg.dsName });
      return;
    case "shareVehicleInfo":
      await send(action, params);
      return;
    case "getVehicleInfoAndDetectSn": {
      const ans = await send(action, { dsId: cfg.CompanyId, vehicleNo: params.vehicleNo,
                                       plateColorCode: params.plateColorCode, vinNo: params.vinNo });
      const data = typeof ans.data === "string" ? JSON.parse(ans.data) : ans.data || {};
      if (!data.detectSn) throw new Refused("the answer's data holds no detectSn");
      state.serials[vehicleKey(params)] = data.detectSn;
      saveState(state);
      process.stdout.write(JSON.stringify({ detectSn: data.detectSn }) + "\n");
      return;
    }
    case "shareDetectInfo": {
      const rec = params.detectRecord || {};
      const detectRecord = numeric({ ...rec, dsId: cfg.CompanyId, dsName: cfg.dsName, detectSn: serialOf(rec) });
      await send(action, { detectRecord, detectReport: params.detectReport || {}, image: params.image || [],
                           video: params.video || [] });
      return;
    }
    default:
      if (IMAGE_KEYS[action]) {
        const items = (params.items || []).map((it) => ({ ...it, dsId: cfg.CompanyId, detectSn: serialOf(it) }));
        await send(action, { [IMAGE_KEYS[action]]: items });
        return;
      }
      console.error(`unknown action ${action}`);
      process.exit(2);
  }
}

try {
  await main();
} catch (err) {
  console.error(err instanceof Refused ? err.message : `failed: ${err && err.stack || err}`);
  process.exit(1);
}
