// An independent Gansu provincial inspection platform, written from the reconstruction zongjian.md and the README's
// Gansu section only (no project code): node platform.mjs [PORT] [--lenient-serial]. Node built-ins only.
// Prints "listening PORT" once it serves. Its own readings where the reconstruction leaves room: serials of its own
// form, tokens as UUIDs valid 2 hours, refusals as HTTP 200 with code "0", data of the serial answer a JSON string
// with the vehicle's master record. Offers the harness's admin hook (POST /__vconform/state, /__vconform/account)
// so `vconform run gansu --role server --target URL` can register its station. --lenient-serial accepts any
// detectSn (a deliberately broken platform, to show the harness notices).
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";

const args = process.argv.slice(2);
const port = Number(args.find((a) => /^\d+$/.test(a)) || 0);
const lenientSerial = args.includes("--lenient-serial");
const TOKEN_LIFE_MS = 2 * 3600 * 1000;

const accounts = new Map();   // CompanyId -> {Source, username, password, dsName}
const tokens = new Map();     // token -> {company, until}
const serials = new Map();    // detectSn -> {company, vehicleNo, plateColorCode, vinNo}
const vehicles = new Map();   // vinNo -> master record
let counter = 0;

const PLATE = new Set(["1", "2", "3", "4", "5", "9", "91", "92", "93", "94"]);
const EVALUATE = new Set(["0", "-1", "1", "2", "4", "N"]);
const RESULT = new Set(["一级", "二级", "三级", "合格", "不合格"]);
const RECORD_REQUIRED = ["dsId", "dsName", "detectSn", "detectType", "detectDate", "client", "vehicleNo",
  "plateColorCode", "vinNo", "vehicleType", "engineNo", "travelMileage", "fuelType", "steeringAxleAmount",
  "detectLine", "busiType", "detectTotalCount"];
const IMAGE_ROOT = { sharePrintImage: "printImage", shareReportImage: "reportImage",
                     shareSignatureImage: "signatureImage" };
const IMAGE_TYPES = { sharePrintImage: ["1", "2", "3"], shareSignatureImage: ["1", "2", "3"] };
const GROUPS = ["power", "fuelEconomy", "brake", "emission", "suspension", "mainLamp", "singleItem"];
const ON_PATH = { get_access_token: ["getAccessToken"], get_data: ["getVehicleInfoAndDetectSn"],
                  put_data: ["shareDetectionStationInfo", "shareVehicleInfo", "shareDetectInfo",
                             ...Object.keys(IMAGE_ROOT)] };

class No extends Error {}
const need = (ok, why) => { if (!ok) throw new No(why); };
const isText = (v) => typeof v === "string" && v.length > 0;

function checkVehicle(v, where) {
  need(isText(v.vehicleNo), `${where}vehicleNo 缺失`);
  need(isText(v.vinNo), `${where}vinNo 缺失`);
  need(PLATE.has(v.plateColorCode), `${where}plateColorCode 不在 JT/T 415 号牌颜色代码内`);
}

// Every evaluate of the result groups, wherever it sits; a group or one of its entries must be an object.
function evaluates(node, at, out) {
  if (Array.isArray(node)) node.forEach((x, i) => evaluates(x, `${at}[${i}]`, out));
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "evaluate") out.push([at, v]);
      else if (typeof v === "object") evaluates(v, `${at}.${k}`, out);
    }
  }
  return out;
}

function groupHasVerdict(node, at) {
  // a leaf group (no nested object besides initData) carries its own evaluate
  if (Array.isArray(node)) return node.forEach((x, i) => groupHasVerdict(x, `${at}[${i}]`));
  need(node && typeof node === "object", `${at} 须为对象`);
  const nested = Object.entries(node).filter(([k, v]) => k !== "initData" && v && typeof v === "object");
  if (nested.length === 0) need("evaluate" in node, `${at}.evaluate 缺失`);
  for (const [k, v] of nested) groupHasVerdict(v, `${at}.${k}`);
  if ("initData" in node) need(Array.isArray(node.initData), `${at}.initData 须为数组`);
}

function checkDetect(value, company) {
  const rec = value.detectRecord, rep = value.detectReport;
  need(rec && typeof rec === "object" && !Array.isArray(rec), "detectRecord 缺失");
  need(rep && typeof rep === "object" && !Array.isArray(rep), "detectReport 缺失");
  for (const f of RECORD_REQUIRED) need(rec[f] !== undefined && rec[f] !== null && rec[f] !== "", `detectRecord.${f} 缺失`);
  need(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(rec.detectDate) && !isNaN(Date.parse(rec.detectDate.replace(" ", "T"))),
       "detectRecord.detectDate 须为 YYYY-MM-DD hh:mm:ss");
  need(/^[A-Z]$/.test(rec.detectLine), "detectRecord.detectLine 须为大写字母");
  for (const f of ["travelMileage", "steeringAxleAmount", "detectTotalCount", "seatCount"])
    if (rec[f] !== undefined) need(/^\d+(\.\d+)?$/.test(String(rec[f])), `detectRecord.${f} 须为数字`);
  checkVehicle(rec, "detectRecord.");
  need(rec.dsId === company, "dsId 与 CompanyId 不一致");
  for (const g of GROUPS) if (rec[g] !== undefined) groupHasVerdict(rec[g], `detectRecord.${g}`);
  for (const g of ["suspension", "mainLamp", "singleItem"])
    if (rec[g] !== undefined) need(Array.isArray(rec[g]), `detectRecord.${g} 须为数组`);
  const verdicts = evaluates(Object.fromEntries(GROUPS.map((g) => [g, rec[g]])), "detectRecord", []);
  for (const [at, v] of verdicts) need(EVALUATE.has(v), `${at}.evaluate 取值 ${JSON.stringify(v)} 无效`);
  need(RESULT.has(rep.detectResult), "detectReport.detectResult 取值无效");
  const failed = verdicts.filter(([, v]) => v === "-1");
  need(failed.length === 0 || rep.detectResult === "不合格",
       `检测结论 ${rep.detectResult} 与 ${failed[0] && failed[0][0]} 的不合格评价矛盾`);
  for (const k of ["image", "video"]) if (value[k] !== undefined) need(Array.isArray(value[k]), `${k} 须为数组`);
  serialFits(rec, company);
}

function serialFits(item, company) {
  if (lenientSerial) return;
  const s = serials.get(item.detectSn);
  need(s, `检测流水号[${item.detectSn}]不存在`);
  need(s.company === company, `检测流水号[${item.detectSn}]不属于本机构`);
  need(s.vinNo === item.vinNo && s.vehicleNo === item.vehicleNo && s.plateColorCode === item.plateColorCode,
       `检测流水号[${item.detectSn}]不属于车辆 ${item.vehicleNo}`);
}

function handle(method, value, company, token) {
  if (method === "getAccessToken") {
    const acc = accounts.get(company);
    need(acc && value.username === acc.username && value.password === acc.password, "用户名或密码错误");
    const t = randomUUID().replace(/-/g, "");
    tokens.set(t, { company, until: Date.now() + TOKEN_LIFE_MS });
    return { code: "1", status: "获取成功", access_token: t };
  }
  const tk = tokens.get(token || "");
  need(tk && tk.until > Date.now() && tk.company === company, "令牌无效或已过期");
  switch (method) {
    case "shareDetectionStationInfo":
      need(value.dsId === company, "dsId 与 CompanyId 不一致");
      break;
    case "shareVehicleInfo":
      checkVehicle(value, "");
      vehicles.set(value.vinNo, value);
      break;
    case "getVehicleInfoAndDetectSn": {
      need(value.dsId === company, "dsId 与 CompanyId 不一致");
      checkVehicle(value, "");
      const sn = `GS${company}${String(++counter).padStart(8, "0")}`;
      serials.set(sn, { company, vehicleNo: value.vehicleNo, plateColorCode: value.plateColorCode, vinNo: value.vinNo });
      const master = vehicles.get(value.vinNo) || {};
      return { code: "1", status: "成功", data: JSON.stringify({ ...master, ...value, detectSn: sn }) };
    }
    case "shareDetectInfo":
      checkDetect(value, company);
      break;
    default: {
      const items = value[IMAGE_ROOT[method]];
      need(Array.isArray(items) && items.length > 0, `${IMAGE_ROOT[method]} 须为非空数组`);
      for (const it of items) {
        need(it && typeof it === "object", "图片项须为对象");
        need(it.dsId === company, "dsId 与 CompanyId 不一致");
        checkVehicle(it, "");
        need(typeof it.base64Image === "string" && /^[A-Za-z0-9+/]+={0,2}$/.test(it.base64Image), "base64Image 无效");
        need(isText(it.imageType) && (!IMAGE_TYPES[method] || IMAGE_TYPES[method].includes(it.imageType)),
             "imageType 无效");
        serialFits(it, company);
      }
    }
  }
  return { code: "1", status: "成功" };
}

function reply(res, http, obj) {
  const body = Buffer.from(JSON.stringify(obj), "utf8");
  res.writeHead(http, { "Content-Type": "application/json;charset=UTF-8", "Content-Length": body.length });
  res.end(body);
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const [path, ...matrix] = decodeURI(req.url.split("?")[0]).split(";");
    const params = Object.fromEntries(matrix.map((m) => m.split("=")));
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    } catch {
      return reply(res, 200, { code: "0", status: "请求体不是 JSON" });
    }
    if (path === "/__vconform/state") return reply(res, 200, { ok: true, state: { accounts: [...accounts.keys()] } });
    if (path === "/__vconform/account") {
      accounts.set(String(body.CompanyId), { username: body.username, password: body.password });
      return reply(res, 200, { ok: true });
    }
    const m = path.match(/\/restapi\/detecting\/(get_access_token|get_data|put_data)$/);
    if (req.method !== "POST" || !m) return reply(res, 404, { code: "0", status: "地址不存在" });
    try {
      need(body && typeof body === "object" && !Array.isArray(body), "请求体须为 JSON 对象");
      const company = body.CompanyId;
      need(/^\d{9}$/.test(String(company)) && accounts.has(company), `检验检测机构不存在，检验检测机构编码[${company}]!`);
      need(/^\d{6}$/.test(String(body.Source)), "Source 须为 6 位行政区划代码");
      need(ON_PATH[m[1]].includes(body.IPCType), `IPCType ${body.IPCType} 不属于此地址`);
      need(typeof body["IPCType.value"] === "string", "IPCType.value 须为 JSON 字符串");
      let value;
      try {
        value = JSON.parse(body["IPCType.value"]);
      } catch {
        throw new No("IPCType.value 不是合法 JSON");
      }
      need(value && typeof value === "object" && !Array.isArray(value), "IPCType.value 须为 JSON 对象字符串");
      return reply(res, 200, handle(body.IPCType, value, company, params.token));
    } catch (err) {
      if (err instanceof No) return reply(res, 200, { code: "0", status: err.message });
      return reply(res, 500, { code: "0", status: "服务器异常" });
    }
  });
});

server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
