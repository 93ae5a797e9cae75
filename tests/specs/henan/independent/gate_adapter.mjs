// An independent Henan gate-system adapter, written from the README, `vconform actions henan-city` and henan §2,
// §4.1 only (no project code): node gate_adapter.mjs ACTION CONTEXT_FILE. Node's own JSON and fetch.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";

const [action, ctxFile] = process.argv.slice(2);
const ctx = JSON.parse(readFileSync(ctxFile, "utf8"));
const cred = ctx.credentials || {};
const params = ctx.params || {};
const base = ctx.base_url.replace(/\/$/, "") + "/restapi/transportControl/";
const statePath = join(ctx.state_dir, "gate-token.json");
const where = { getAccessToken: "get_data", getCheckVehicle: "get_data", sharePhotoInfo: "put_file" };

async function post(path, body) {
  const res = await fetch(base + path, { method: "POST", headers: { "Content-Type": "application/json" },
                                         body: JSON.stringify(body) });
  return await res.json();
}

async function login() {
  const ans = await post("get_data", { organ: cred.organ, ipctype: "getAccessToken", username: cred.username,
                                       password: cred.password });
  if (String(ans.code) !== "200") throw new Error(`login refused: ${ans.code} ${ans.status}`);
  mkdirSync(ctx.state_dir, { recursive: true });
  const token = String(ans.access_token).trim();
  writeFileSync(statePath, JSON.stringify({ token, at: Date.now() }));
  return token;
}

function saved() {
  if (!existsSync(statePath)) return null;
  const s = JSON.parse(readFileSync(statePath, "utf8"));
  return Date.now() - s.at < 7000 * 1000 ? s.token : null;   // §4.1.1: 2 hours
}

async function call(ipctype, value) {
  const send = (token) => post(where[ipctype] || "put_data", { organ: cred.organ, ipctype, access_token: token, value });
  let ans = await send(saved() || await login());
  if (String(ans.code) === "401") ans = await send(await login());   // E-HN-19: once
  if (String(ans.code) !== "200") throw new Error(`${ipctype} refused: ${ans.code} ${ans.status}`);
  return ans;
}

const gate = { qybh: cred.qybh, qymc: cred.qymc, dzbh: cred.dzbh };
try {
  if (action === "getAccessToken") {
    await login();
  } else if (action === "getCheckVehicle") {
    const ans = await call(action, { license: params.license, licenseColor: params.licenseColor });
    const v = ans.value || {};
    console.log(JSON.stringify({ pass: v.isControl !== "1", isControl: v.isControl, controlReason: v.controlReason }));
  } else if (["shareDrivingRecord", "sharePhotoInfo", "shareGoodsRecord"].includes(action)) {
    await call(action, { lsh: params.lsh, ...gate, ...params });
  } else if (action === "shareVehInfo") {
    await call(action, { companySecretCode: cred.companySecretCode, ...params });
  } else if (["shareInnerVehInfo", "shareInnerMHYElec"].includes(action)) {
    await call(action, { companySecretCode: cred.companySecretCode, companyCode: cred.qybh, ...params });
  } else {
    console.error(`unknown action ${action}`);
    process.exit(2);
  }
} catch (e) {
  console.error(String(e.message || e));
  process.exit(1);
}
