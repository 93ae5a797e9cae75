// An independent Henan city platform talking to the provincial platform, written from the README, `vconform
// actions henan-province` and henan §3.2, §4.2, 附录 A only (no project code): node city_platform_adapter.mjs ACTION
// CONTEXT_FILE. Node built-ins only (fetch, fs).
//
// Where the spec leaves room it reads differently from the project's reference city platform:
// - JSON as another encoder writes it: every non-ASCII character escaped (\uXXXX, surrogate pairs beyond the BMP),
//   accessToken last and the other members in reverse alphabetical order, two-space indentation;
// - Content-Type application/json without a charset parameter (§2.2 says UTF-8; the escapes keep the body ASCII);
// - the token is kept for its 2 hours counted from when it was issued here, not from the answer's expire field;
// - the daily totals count vehTotal as distinct vehicles (E-HN-52's alternative reading);
// - relayed gate passages (§4.1.4 -> §4.2.11) are mapped here, from the field tables.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";

const [action, ctxFile] = process.argv.slice(2);
if (!action || !ctxFile) {
  console.error("usage: node city_platform_adapter.mjs ACTION CONTEXT_FILE");
  process.exit(2);
}
const ctx = JSON.parse(readFileSync(ctxFile, "utf8"));
const cred = ctx.credentials || {};
const params = ctx.params || {};
const base = ctx.base_url.replace(/\/$/, "");
const statePath = join(ctx.state_dir, "province-link.json");
const TWO_HOURS = 2 * 3600 * 1000;

const state = existsSync(statePath) ? JSON.parse(readFileSync(statePath, "utf8")) : {};
for (const k of ["companies", "gates", "ledgers", "plates", "projects", "fences"]) state[k] ??= {};
state.records ??= [];

function save() {
  mkdirSync(ctx.state_dir, { recursive: true });
  writeFileSync(statePath, JSON.stringify(state));
}

// ---- encoding: ASCII-only JSON, members reordered ------------------------------------------------------------
function reorder(v) {
  if (Array.isArray(v)) return v.map(reorder);
  if (v && typeof v === "object") {
    const keys = Object.keys(v).filter((k) => k !== "accessToken").sort().reverse();
    if ("accessToken" in v) keys.push("accessToken");
    return Object.fromEntries(keys.map((k) => [k, reorder(v[k])]));
  }
  return v;
}

function encode(body) {
  return JSON.stringify(reorder(body), null, 2).replace(/[\u007f-\uffff]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

class Refused extends Error {}

async function post(method, body) {
  let res;
  try {
    res = await fetch(`${base}/${method}`, { method: "POST", headers: { "Content-Type": "application/json" },
                                              body: encode(body) });
  } catch (e) {
    throw new Refused(`${method}: ${e.message}`);
  }
  if (!res.ok) throw new Refused(`${method}: HTTP ${res.status}`);
  const answer = await res.json();
  if (!answer || typeof answer !== "object") throw new Refused(`${method}: the answer is not a JSON object`);
  return answer;
}

async function authorize() {
  const answer = await post("GetAuthorizationOrg", { orgSecretCode: cred.orgSecretCode, username: cred.username,
                                                     pwd: cred.pwd });
  if (answer.result !== "success") throw new Refused(`GetAuthorizationOrg: ${answer.err}`);
  state.token = { value: answer.data.accessToken, at: Date.now() };
  save();
  return state.token.value;
}

async function token() {
  const t = state.token;
  return t && Date.now() - t.at < TWO_HOURS - 60000 ? t.value : await authorize();
}

// §4.2.1: a refused token (err naming 授权码) is renewed once and the request sent again.
async function call(method, body) {
  let answer = await post(method, { ...body, accessToken: await token() });
  if (answer.result !== "success" && String(answer.err).includes("授权码")) {
    answer = await post(method, { ...body, accessToken: await authorize() });
  }
  if (answer.result !== "success") throw new Refused(`${method}: ${answer.err}`);
  return answer.data;
}

function companySecret(code) {
  if (!(code in state.companies)) throw new Refused(`company ${code} was never connected (AddCompany)`);
  return state.companies[code];
}

function gateSecret(code, gate) {
  const key = `${code}/${gate}`;
  if (!(key in state.gates)) throw new Refused(`gate ${key} was never connected (AddGate)`);
  return state.gates[key];
}

function withLedger(rec) {
  const pk = state.ledgers[`vehicle|${rec.license}|${rec.licenseColor}`];
  return pk ? { ...rec, islicensePK: "1", licensePK: pk } : { ...rec, islicensePK: "0" };
}

// §4.1.4 passage (as the gate reported it) -> §4.2.11 record; bgzt 1 摆杆通行 -> gateSignal 0, 0 未摆杆 -> 1.
function fromPassage(p) {
  const [d, t] = p.tgsjq.split(" ");
  return { serialNum: p.lsh, companyCode: p.qybh, gateCode: p.dzbh, license: p.cphm, licenseColor: p.cpys,
           gateSignal: p.bgzt === "0" ? "1" : "0", date: (d.replaceAll("-", "") + t.replaceAll(":", "")).slice(2) };
}

// §4.2.12/§4.2.13 from the records this platform reported; the day is in the §6.4 serial (yyMMdd at 13..18).
function totals(day, district = "") {
  const recs = state.records.filter((r) => r.serialNum.slice(13, 19) === day.slice(2, 8)
                                           && (!district || r.companyCode.startsWith(district)));
  const enter = recs.filter((r) => r.serialNum[12] === "A");
  const exit = recs.filter((r) => r.serialNum[12] === "B");
  const count = (rows, f) => String(rows.filter(f).length);
  const distinct = (rows, f) => String(new Set(rows.map(f)).size);
  const outside = (r) => !r.license.startsWith("豫");
  const controlled = recs.filter((r) => r.isControl === "1");
  return {
    companyTotal: distinct(recs, (r) => r.companyCode), gateTotal: distinct(recs, (r) => `${r.companyCode}/${r.gateCode}`),
    vehTotal: distinct(recs, (r) => `${r.license}|${r.licenseColor}`),   // E-HN-52: distinct vehicles
    enterVehTotal: String(enter.length), exitVehTotal: String(exit.length),
    violationTotal: count(controlled, (r) => r.gateSignal === "0"), controlTotal: count(controlled, (r) => r.gateSignal !== "0"),
    otherVehEnterTotal: count(enter, outside), otherVehExitTotal: count(exit, outside), otherAddVehTotal: "0",
    standard3EnterTotal: count(enter, (r) => r.emissionStandard === "3"),
    standard3ExitTotal: count(exit, (r) => r.emissionStandard === "3"),
    standard4EnterTotal: count(enter, (r) => r.emissionStandard === "4"),
    standard4ExitTotal: count(exit, (r) => r.emissionStandard === "4"),
    violationHandleTotal: "0",
  };
}

const without = (obj, ...keys) => Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));
const print = (data) => console.log(JSON.stringify(data ?? null));

async function perform() {
  const p = params;
  switch (action) {
    case "GetAuthorizationOrg":
      return void await authorize();
    case "AddCompany":
    case "ModifyCompany": {
      const data = await call(action, { data: p });
      if (data?.companySecretCode) state.companies[p.companyCode] = data.companySecretCode;
      return;
    }
    case "AddGate":
      for (const g of await call(action, p)) state.gates[`${p.companyCode}/${g.gateCode}`] = g.gateSecretCode;
      return;
    case "ModifyGate": {
      const data = await call(action, p);
      state.gates[`${p.companyCode}/${data.gateCode}`] = data.gateSecretCode;
      return;
    }
    case "GetCompanyInfo":
    case "GetGateInfo":
    case "SeasonalControlReport":
    case "CheckFeedbackReport": {
      const data = await call(action, p);
      return ["GetCompanyInfo", "GetGateInfo"].includes(action) ? print(data) : undefined;
    }
    case "VehVerifyEx":
      return print(await call(action, { license: p.license, licenseColor: p.licenseColor,
                                        companySecretCode: companySecret(p.companyCode),
                                        gateSecretCode: gateSecret(p.companyCode, p.gateCode) }));
    case "GetNeedCompleteVehEx":
    case "DrivingLicenseScanEx":
      return print(await call(action, { ...without(p, "companyCode"), companySecretCode: companySecret(p.companyCode) }));
    case "VehElecAccountAdd":
    case "VehElecAccountModify":
    case "InnerVehElecAccountAdd":
    case "InnerVehElecAccountModify": {
      const inner = action.startsWith("Inner");
      const key = `${inner ? "inner" : "vehicle"}|${p.license}|${p.licenseColor}`;
      const body = inner ? { ...p } : without(p, "companyCode");
      if (p.companyCode) body.companySecretCode = companySecret(p.companyCode);
      if (action.endsWith("Modify")) body.licensePK = state.ledgers[key] ?? "";
      const data = await call(action, body);
      state.ledgers[key] = data.licensePK;
      return print(data);
    }
    case "VehElecAccountGain":
      return print(await call(action, { license: p.license, licenseColor: p.licenseColor,
                                        licensePK: state.ledgers[`vehicle|${p.license}|${p.licenseColor}`] ?? "" }));
    case "InnerMHYElecAccountAdd":
    case "InnerMHYElecAccountModify": {
      const key = `mhy|${p.mhyFrameNo}`;
      const body = { ...p, companySecretCode: companySecret(p.companyCode) };
      if (action.endsWith("Modify")) Object.assign(body, { licensePK: state.ledgers[key] ?? "", mhyPlate: state.plates[key] ?? "" });
      const data = await call(action, body);
      state.ledgers[key] = data.licensePK;
      state.plates[key] = data.mhyPlate;
      return print(data);
    }
    case "SendEnterExitDataEx":
    case "SendGoodsRecordData": {
      const given = action === "SendEnterExitDataEx" && p.passages ? p.passages.map(fromPassage) : p.list;
      const records = given.map(withLedger);
      await call(action, { list: records });
      if (action === "SendEnterExitDataEx") state.records.push(...records);
      return;
    }
    case "SendDayDataCity":
      return void await call(action, { date: p.date, ...totals(p.date) });
    case "SendDayDataDistrict":
      return void await call(action, { date: p.date, dictrictCode: p.dictrictCode, ...totals(p.date, p.dictrictCode) });
    case "RunControlProject": {
      const data = await call(action, p);
      state.projects[p.controlProject] = data.controlProjectCode;
      return print(data);
    }
    case "ModifyControlProject":
    case "CloseControlProject": {
      const data = await call(action, { ...p, controlProjectCode: state.projects[p.controlProject] ?? "" });
      return action === "ModifyControlProject" ? print(data) : undefined;
    }
    case "GateStatusReport":
      return void await call(action, { ...p, gateSecretCode: gateSecret(p.companyCode, p.gateCode) });
    case "ElectronicFenceAdd": {
      const data = await call(action, p);
      state.fences[p.areaName] = data.areaId;
      return print(data);
    }
    case "ElectronicFenceModify":
      return void await call(action, { areaId: state.fences[p.areaName] ?? "", areaCollection: p.areaCollection,
                                       remark: p.remark ?? "" });
    default:
      console.error(`unknown action ${action}`);
      process.exit(2);
  }
}

try {
  await perform();
  save();
  process.exit(0);
} catch (e) {
  save();
  console.error(e instanceof Refused ? e.message : `error: ${e.stack || e}`);
  process.exit(1);
}
