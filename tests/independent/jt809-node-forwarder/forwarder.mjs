// The forwarder daemon: a JT/T 809 lower-level platform (a GPS operator's forwarder).
//   node forwarder.mjs CONFIG.json
// CONFIG: {main: "tcp://host:port", credentials: {...}, state_dir, bodies?: "2011"|"2019"}
// It keeps the main link up (login, 0x1005 keep-alive, reconnect with back-off), serves the slave link the
// platform opens to DOWN_LINK_IP:PORT, answers the platform's requests on the main link, and takes commands
// from the adapter on a loopback control port (one JSON line per command).
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { buildFrame, parseFrame, Splitter, R, W, hex } from './jt809.mjs';
import * as M from './messages.mjs';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const cred = cfg.credentials;
const header = String(cred.header ?? '2011');
const bodies = String(cfg.bodies ?? header);           // the 2011 variant behind a flag: --bodies=2011
// per message kind (login, register, position): to put one 2011 body under a 2019 header on purpose
const bodiesOf = (kind) => String(cfg[`${kind}_bodies`] ?? bodies);
const encrypt = cred.encrypt ?? ((cfg.opts ?? {})['force-encrypt'] ? { m1: 30000000, ia1: 20000000, ic1: 20000000 } : null);
const mainOnly = Boolean(cred.main_link_only);
const hbMs = Math.max(200, Number(cred.heartbeat_interval_s ?? 60) * 1000);
const [mainHost, mainPort] = (() => { const u = new URL(cfg.main); return [u.hostname, Number(u.port)]; })();
const center = Number(cred.access_code);
const userId = Number(cred.user_id);
const password = String(cred.password);
const PLATFORM_ID = 'NODEFWD01';                     // our own platform id, written as text (E-SD-18)
const frameLog = process.env.JT809_FRAME_LOG || null;
const opt = cfg.opts ?? {};

const log = (...a) => process.stderr.write(`${new Date().toISOString()} ${a.join(' ')}\n`);

let mainSn = opt['sn-start'] === 'random' ? (Math.random() * 0xfffffff) >>> 0 : 1;
let slaveSn = mainSn;
let lastMainWrite = 0;
let recent = [];              // --resend-all: every position frame of the link, resent after a cut
let main = null;              // {sock, splitter, loggedIn}
let slave = null;             // {sock}
let slaveServer = null;
let verifyCode = null;
let stopping = false;
let everLoggedIn = false;
let backoffMs = 500;
let reconnects = 0;

// Delivery bookkeeping: frames (as body descriptions, re-encoded with a fresh MSG_SN on resend) written since the
// last 0x1005 the platform answered are "unconfirmed"; when the main link drops they go back to the queue.
let queue = [];               // [{msgId, body, tag}]
let unconfirmed = [];         // sent on the current link, not yet covered by a 0x1006
let pendingTests = [];        // [{count, resolve}] one per 0x1005 in flight, FIFO
let registered = new Set();   // plates registered on the current login
const waiters = [];           // promises waiting for "logged in"
let lastPos = new Map();      // plate -> last position sent (for photo answers)

function send(link, msgId, body) {
  const sn = link === 'slave' ? slaveSn++ : mainSn++;
  const f = buildFrame({ header, sn, msgId, center, body, encrypt });
  const l = link === 'slave' ? slave : main;
  if (!l || l.sock.destroyed) return false;
  l.sock.write(f);
  if (link === 'main') lastMainWrite = Date.now();
  if (frameLog) fs.appendFileSync(frameLog, `${link} ${hex(f)}\n`);
  return true;
}

// ---- main link ----
function connectMain() {
  if (stopping) return;
  const sock = net.connect({ host: mainHost, port: mainPort });
  const link = { sock, splitter: new Splitter(), loggedIn: false };
  main = link;
  sock.setNoDelay(true);
  sock.on('connect', async () => {
    log('main link connected; logging in');
    const port = await slavePort();
    send('main', M.ID.UP_CONNECT_REQ, M.connectReq({
      userId, password, center, ip: cred.down_link_ip ?? '127.0.0.1', port, bodies: bodiesOf('login') }));
  });
  sock.on('data', (chunk) => {
    for (const raw of link.splitter.push(chunk)) {
      let f;
      try { f = parseFrame(raw, header, encrypt); } catch (e) { log('main: bad frame:', e.message); continue; }
      try { onMain(link, f); } catch (e) { log('main: cannot handle', f.msgId.toString(16), e.stack); }
    }
  });
  sock.on('error', (e) => log('main link error:', e.message));
  sock.on('close', () => onMainClosed(link));
}

function onMainClosed(link) {
  if (main !== link) return;
  const wasUp = link.loggedIn;
  main = null;
  // nothing written since the last answered 0x1005 is known to have arrived: send it again after the new login
  queue = (opt['resend-all'] ? recent : opt['no-resend'] ? [] : unconfirmed).concat(queue);
  unconfirmed = [];
  recent = [];
  for (const t of pendingTests) t.resolve(false);
  pendingTests = [];
  if (!opt['register-once']) registered = new Set();
  if (stopping) return;
  if (opt['no-reconnect']) { log('main link closed; not reconnecting (--no-reconnect)'); return; }
  if (wasUp && slave && !opt['no-1007']) send('slave', M.ID.UP_DISCONNECT_INFORM, M.u8Body(0));  // 0: the main link is broken
  const wait = opt['no-backoff'] ? 0 : backoffMs + Math.floor(Math.random() * 250);
  backoffMs = Math.min(backoffMs * 2, 8000);
  reconnects++;
  log(`main link closed; reconnecting in ${wait} ms (attempt ${reconnects})`);
  setTimeout(connectMain, wait);
}

function onMain(link, f) {
  switch (f.msgId) {
    case 0x1002: {
      const r = new R(f.body);
      const result = r.u8(); const code = r.u32();
      if (result !== 0) {
        log('login refused, RESULT', result);
        // 5: busy, connect again later: the reconnect with back-off tries again; anything else is final
        if (result !== 5) fail(`login refused: RESULT ${result}`);
        link.sock.destroy();
        return;
      }
      failure = null;
      verifyCode = code;
      link.loggedIn = true;
      everLoggedIn = true;
      backoffMs = 500;
      log('logged in; verify code', code);
      while (waiters.length) waiters.shift().resolve(true);
      flush();
      return;
    }
    case 0x1004: link.gotDisconnectRsp?.(); return;
    case 0x1006: {
      const t = pendingTests.shift();
      if (t) { unconfirmed.splice(0, t.count); for (const p of pendingTests) p.count -= t.count; t.resolve(true); }
      return;
    }
    case 0x9007: log('platform: DOWN_DISCONNECT_INFORM', f.body[0]); return;
    case 0x9008: log('platform: DOWN_CLOSELINK_INFORM', f.body[0]); return;
    default: onRequest('main', f);
  }
}

function loggedIn() { return main && main.loggedIn && !main.sock.destroyed; }

// Write queued frames while the main link is logged in.
function flush() {
  while (queue.length && loggedIn()) {
    const item = queue.shift();
    if (item.plate && item.tag !== 'register' && !registered.has(item.plate)) {
      queue.unshift(item);
      queue.unshift(registration(item.plate, item.color));
      continue;
    }
    if (item.tag === 'register') {
      if (registered.has(item.plate)) continue;
      registered.add(item.plate);
    }
    send('main', item.msgId, item.body());
    unconfirmed.push(item);
    if (item.tag === 'position') recent.push(item);
  }
}

function registration(plate, color) {
  let h = 0;
  for (const ch of plate) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  const n = String(h % 10000000).padStart(7, '0');
  const v = { modelSize: Number(opt['model-size'] ?? 20), platformId: PLATFORM_ID, producerId: 'NODEHW', model: 'NF-808-4G', imei: '86' + n + '000000',
    terminalId: n, sim: '0' + ('1380' + n).slice(0, 11), };
  return { msgId: M.ID.UP_EXG_MSG, plate, color, tag: 'register',
    body: () => M.vehicleHead(plate, color, 0x1201, M.register(v, bodiesOf('register'))) };
}

// A 0x1005 whose 0x1006 confirms everything written before it.
function linkTest() {
  return new Promise((resolve) => {
    if (!loggedIn()) return resolve(false);
    pendingTests.push({ count: unconfirmed.length, resolve });
    send('main', M.ID.UP_LINKTEST_REQ, Buffer.alloc(0));
  });
}

setInterval(() => {
  if (!loggedIn()) return;
  if (opt['idle-heartbeat'] && Date.now() - lastMainWrite < hbMs * 0.9) return;   // only when the link is idle
  linkTest();
}, opt['idle-heartbeat'] ? Math.max(100, hbMs / 4) : hbMs).unref();

// --slave-fallback: while the main link is down and the slave link is up, positions go up the slave link
setInterval(() => {
  if (!opt['slave-fallback'] || loggedIn() || !slave) return;
  while (queue.length && queue[0].tag !== 'answer') { const it = queue.shift(); send('slave', it.msgId, it.body()); }
}, 100).unref();

// ---- slave link: the platform connects to us ----
function slavePort() {
  return new Promise((resolve) => {
    if (mainOnly) return resolve(Number(cred.down_link_port ?? 0));
    if (slaveServer) return resolve(slaveServer.address().port);
    slaveServer = net.createServer(onSlave);
    slaveServer.listen(Number(cred.down_link_port ?? 0), cred.down_link_ip ?? '127.0.0.1', () =>
      resolve(slaveServer.address().port));
  });
}

function onSlave(sock) {
  const link = { sock };
  const splitter = new Splitter();
  sock.setNoDelay(true);
  sock.on('data', (chunk) => {
    for (const raw of splitter.push(chunk)) {
      let f;
      try { f = parseFrame(raw, header, encrypt); } catch (e) { log('slave: bad frame:', e.message); continue; }
      try {
        if (f.msgId === 0x9001) {
          const code = new R(f.body).u32();
          if (slave && slave !== link) slave.sock.destroy();
          slave = link;
          send('slave', M.ID.DOWN_CONNECT_RSP, M.u8Body(code === verifyCode ? 0 : 1));
          log('slave link up, verify code', code === verifyCode ? 'ok' : 'WRONG');
        } else if (f.msgId === 0x9005) {
          if (slave === link) send('slave', M.ID.DOWN_LINKTEST_RSP, Buffer.alloc(0));
        } else if (f.msgId === 0x9003) {
          if (slave === link) send('slave', M.ID.DOWN_DISCONNECT_RSP, Buffer.alloc(0));
          sock.end();
        } else {
          onRequest('slave', f);
        }
      } catch (e) { log('slave: cannot handle', f.msgId.toString(16), e.stack); }
    }
  });
  sock.on('error', (e) => log('slave link error:', e.message));
  sock.on('close', () => { if (slave === link) slave = null; });
}

// ---- the platform's requests; answers go up on the main link ----
const FAMILY_ANSWER = { 0x9200: 0x1200, 0x9300: 0x1300, 0x9400: 0x1400, 0x9500: 0x1500, 0x9600: 0x1600 };

function onRequest(linkName, f) {
  const id = f.msgId;
  if (id === 0x9102) return answerManage(f);
  if (id === 0x9101 || id === 0x9103) { log(`platform inform 0x${id.toString(16)}`); return; }
  if (!(id in FAMILY_ANSWER)) { log(`ignored 0x${id.toString(16)} on ${linkName}`); return; }
  const vehicleHead = id !== 0x9300;
  const req = vehicleHead ? M.readVehicleHead(f.body) : M.readPlatformHead(f.body);
  const r = new R(req.data);
  const src = new W().u16(req.dataType).u32(opt['bad-echo'] ? f.sn + 1 : f.sn).buf();   // 2019 answers name the request
  let dt = null, data = null;
  switch (req.dataType) {
    case 0x9201: case 0x9202: case 0x9203: case 0x9204: case 0x9207: case 0x9208: case 0x9209:
    case 0x9402: case 0x9403:
      log(`platform sent 0x${req.dataType.toString(16)}; no answer`); return;
    case 0x9205: dt = 0x1205; data = bodies === '2019' ? src : Buffer.alloc(0); break;
    case 0x9206: dt = 0x1206; data = bodies === '2019' ? src : Buffer.alloc(0); break;
    case 0x920a: {   // DRIVER_NAME 16, DRIVER_ID 20, LICENCE 40, ORG_NAME 200 (2019: FLAG in the request, read past)
      const driver = new W().text('李四', 16).text('440606198202020022', 20).text('粤A-0022', 40).text('顺德货运', 200).buf();
      // 2019: VALID_DATE u64 (UTC seconds) after ORG_NAME (errata E-SD-26, vector o74); 2011 has none
      const validDate = new W().u64(1924963200).buf();
      dt = 0x120a; data = bodies === '2019' ? Buffer.concat([src, driver, validDate]) : driver; break;
    }
    case 0x920b: {   // EWAYBILL_LENGTH u32, EWAYBILL_INFO
      const bill = M.gbkEncodeText('电子运单 SD-0001');
      const info = new W().u32(bill.length).bytes(bill).buf();
      dt = 0x120b; data = bodies === '2019' ? Buffer.concat([src, info]) : info; break;
    }
    case 0x9301: {
      const objectType = r.u8(), objectId = r.text(12), infoId = r.u32();
      const answer = M.gbkEncodeText('查岗应答：值班员在岗');
      dt = 0x1301;
      data = new W().u8(objectType).text(objectId, 12).u32(opt['bad-echo'] ? infoId + 1 : infoId).u32(answer.length).bytes(answer).buf();
      break;
    }
    case 0x9302: { r.u8(); r.text(12); dt = 0x1302; data = new W().u32(r.u32()).buf(); break; }
    case 0x9401: {
      r.u8(); r.u16(); r.u64(); const sup = r.u32();
      dt = 0x1401; data = new W().u32(sup).u8(0).buf(); break;
    }
    case 0x9501: dt = 0x1501; data = M.u8Body(0); break;
    case 0x9502: {
      const lens = r.u8(), size = r.u8();
      const last = lastPos.get(req.plate) ?? { time: beijingNow(), lon: 113.25, lat: 22.84, state: 3 };
      dt = 0x1502;
      // PHOTO_RSP_FLAG 0: this forwarder's terminals cannot take photos on request; no photo bytes
      data = new W().u8(0).bytes(M.gnss2011(last)).u8(lens).u32(0).u8(size).u8(0).buf();
      break;
    }
    case 0x9503: { const seq = r.u32(); dt = 0x1503; data = new W().u32(seq).u8(0).buf(); break; }
    case 0x9504: {
      const cmd = r.u8();
      dt = 0x1504;
      data = bodies === '2019' ? new W().bytes(src).u8(cmd).u32(0).buf() : new W().u32(0).buf();
      break;
    }
    case 0x9505: dt = 0x1505; data = M.u8Body(0); break;
    case 0x9601: {
      const info = M.gbkEncodeText(`VIN:=${req.plate};VEHICLE_COLOR:=${req.color};VEHICLE_TYPE:=11;TRANS_TYPE:=011;VEHICLE_NATIONALITY:=440606`);
      dt = 0x1601; data = bodies === '2019' ? Buffer.concat([src, info]) : info; break;
    }
    default: log(`unknown request 0x${req.dataType.toString(16)}; no answer`); return;
  }
  const up = FAMILY_ANSWER[id];
  const body = vehicleHead ? M.vehicleHead(req.plate, req.color, dt, data) : M.platformHead(dt, data);
  enqueue({ msgId: up, body: () => body, tag: 'answer' });
  log(`answered 0x${req.dataType.toString(16)} with 0x${dt.toString(16)}`);
}

function answerManage(f) {
  const r = new R(f.body);
  r.u16(); r.u32();
  const platformId = r.text(11), start = r.u64(), end = r.u64();
  const data = new W().text(platformId, 11).u64(start).u64(end).u32(0).u8(Math.min(reconnects, 255)).u32(0).buf();
  const body = new W().u16(0x1102).u32(data.length).bytes(data).buf();
  enqueue({ msgId: M.ID.UP_MANAGE_MSG_RSP, body: () => body, tag: 'answer' });
  log('answered 0x9102 with 0x1102');
}

function beijingNow() {
  const d = new Date(Date.now() + 8 * 3600 * 1000);
  return d.toISOString().slice(0, 19);
}

function enqueue(item) { queue.push(item); flush(); }

// ---- commands from the adapter ----
let failure = null;
function fail(msg) { failure = msg; while (waiters.length) waiters.shift().resolve(false); }

function waitLoggedIn(ms) {
  if (loggedIn()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const w = { resolve };
    waiters.push(w);
    setTimeout(() => { const i = waiters.indexOf(w); if (i >= 0) { waiters.splice(i, 1); resolve(false); } }, ms);
  });
}

async function sendPositions(params) {
  for (const v of params.vehicles ?? []) {
    const plate = v.vehicle_no, color = Number(v.vehicle_color);
    const ps = v.positions ?? [];
    if ((v.mode ?? 'real') === 'history') {
      const sorted = [...ps].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
      for (let i = 0; i < sorted.length; i += 5) {
        const batch = sorted.slice(i, i + 5);
        enqueue({ msgId: M.ID.UP_EXG_MSG, plate, color, tag: 'position',
          body: () => M.vehicleHead(plate, color, 0x1203, M.historyLocation(batch, bodiesOf('position'), [PLATFORM_ID], opt)) });
      }
    } else {
      for (const p of ps) {
        enqueue({ msgId: M.ID.UP_EXG_MSG, plate, color, tag: 'position',
          body: () => M.vehicleHead(plate, color, 0x1202, M.realLocation(p, bodiesOf('position'), [PLATFORM_ID], opt)) });
      }
    }
    if (ps.length) lastPos.set(plate, ps[ps.length - 1]);
  }
  // done when the platform answered a 0x1005 sent after the last of them (across reconnects)
  const deadline = Date.now() + 45000;
  while (Date.now() < deadline) {
    if (!(await waitLoggedIn(deadline - Date.now()))) break;
    flush();
    if (queue.length === 0 && (await linkTest()) && queue.length === 0 && unconfirmed.length === 0) return { ok: true };
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ok: false, error: `positions not confirmed by the platform (${queue.length + unconfirmed.length} left)` };
}

async function disconnect() {
  stopping = true;
  if (loggedIn()) {
    const link = main;
    const got = new Promise((resolve) => { link.gotDisconnectRsp = () => resolve(true); setTimeout(() => resolve(false), 10000); });
    send('main', M.ID.UP_DISCONNECT_REQ, M.disconnectReq({ userId, password }));
    const ok = await got;
    link.sock.end();
    if (slave) slave.sock.end();
    if (slaveServer) slaveServer.close();
    return ok ? { ok: true } : { ok: false, error: 'no 0x1004 within 10 s' };
  }
  return { ok: true, note: 'was not logged in' };
}

const control = net.createServer((c) => {
  let buf = '';
  c.on('data', async (d) => {
    buf += d;
    const nl = buf.indexOf('\n');
    if (nl < 0) return;
    const cmd = JSON.parse(buf.slice(0, nl));
    let res;
    try {
      if (cmd.cmd === 'status') {
        res = failure ? { ok: false, error: failure } : (await waitLoggedIn(cmd.wait_ms ?? 0))
          ? { ok: true } : { ok: false, error: failure ?? 'not logged in yet' };
      } else if (cmd.cmd === 'send_positions') res = await sendPositions(cmd.params);
      else if (cmd.cmd === 'disconnect') res = await disconnect();
      else res = { ok: false, error: `unknown command ${cmd.cmd}` };
    } catch (e) { res = { ok: false, error: e.stack }; }
    c.end(JSON.stringify(res) + '\n');
    if (cmd.cmd === 'disconnect') setTimeout(() => process.exit(0), 200);
  });
});
control.listen(0, '127.0.0.1', () => {
  const tmp = path.join(cfg.state_dir, 'node-forwarder.json.tmp');
  fs.writeFileSync(tmp, JSON.stringify({ port: control.address().port, pid: process.pid }));
  fs.renameSync(tmp, path.join(cfg.state_dir, 'node-forwarder.json'));
  connectMain();
});
process.on('SIGTERM', () => process.exit(0));
