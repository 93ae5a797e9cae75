#!/usr/bin/env node
// vconform client-role adapter for the Node.js forwarder (docs/adapter.md §7):
//   node adapter.mjs [--bodies=2011] ACTION CONTEXT_FILE
// connect starts the forwarder daemon in its own session (pid in STATE_DIR/daemon.pid) and returns once it is
// logged in; send_positions and disconnect talk to it over its loopback control port.
// --bodies=2011 writes 2011 bodies whatever the header (to see a 2011 body under a 2019 header refused);
// --login-bodies= / --register-bodies= / --position-bodies= do it for one kind of message only.
// Other variants (each a behaviour a real forwarder may have; the pytest wrapper checks how vconform judges them):
//   --no-reconnect  --register-once  --idle-heartbeat  --model-size=8  --extra-808  --sn-start=random
//   --no-1007  --resend-all  --slave-fallback  --bad-echo (answers name the wrong request: must fail)
//   --no-resend (drops what the platform had not confirmed when the main link breaks)
//   --force-encrypt (encrypts bodies with the notes' constants although the profile has no keys)
//   --no-backoff (reconnects at once, again and again: a tight loop when the platform refuses)
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opts = {};
while (args.length && args[0].startsWith('--')) { const [k, v] = args.shift().slice(2).split('='); opts[k] = v ?? true; }
const [action, ctxFile] = args;
if (!action || !ctxFile) { process.stderr.write('usage: adapter.mjs [--bodies=2011] ACTION CONTEXT_FILE\n'); process.exit(2); }
const ctx = JSON.parse(fs.readFileSync(ctxFile, 'utf8'));
const stateDir = ctx.state_dir;
const infoFile = path.join(stateDir, 'node-forwarder.json');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function daemonInfo() {
  try {
    const info = JSON.parse(fs.readFileSync(infoFile, 'utf8'));
    process.kill(info.pid, 0);
    return info;
  } catch { return null; }
}

function command(port, cmd, timeoutMs) {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const t = setTimeout(() => { c.destroy(); reject(new Error(`forwarder did not answer ${cmd.cmd} in ${timeoutMs} ms`)); }, timeoutMs);
    c.on('connect', () => c.write(JSON.stringify(cmd) + '\n'));
    c.on('data', (d) => { buf += d; });
    c.on('end', () => { clearTimeout(t); try { resolve(JSON.parse(buf)); } catch { reject(new Error(`bad answer: ${buf}`)); } });
    c.on('error', (e) => { clearTimeout(t); reject(e); });
  });
}

async function main() {
  if (action === 'connect') {
    let info = daemonInfo();
    if (!info) {
      try { fs.unlinkSync(infoFile); } catch {}
      const cfgFile = path.join(stateDir, 'node-forwarder-config.json');
      fs.writeFileSync(cfgFile, JSON.stringify({ main: ctx.base_url, credentials: ctx.credentials, state_dir: stateDir,
        bodies: opts.bodies, login_bodies: opts['login-bodies'], register_bodies: opts['register-bodies'],
        position_bodies: opts['position-bodies'], opts }));
      const out = fs.openSync(path.join(stateDir, 'node-forwarder.log'), 'a');
      const child = spawn(process.execPath, [path.join(here, 'forwarder.mjs'), cfgFile],
        { detached: true, stdio: ['ignore', out, out] });
      fs.writeFileSync(path.join(stateDir, 'daemon.pid'), String(child.pid));
      child.unref();
      for (let i = 0; i < 100 && !(info = daemonInfo()); i++) await sleep(100);
      if (!info) throw new Error('the forwarder did not start (see node-forwarder.log)');
    }
    const res = await command(info.port, { cmd: 'status', wait_ms: 20000 }, 30000);
    if (!res.ok) throw new Error(`login failed: ${res.error}`);
    return;
  }
  const info = daemonInfo();
  if (!info) throw new Error('the forwarder is not running (no connect before this action)');
  if (action === 'send_positions') {
    const res = await command(info.port, { cmd: 'send_positions', params: ctx.params }, 55000);
    if (!res.ok) throw new Error(res.error);
  } else if (action === 'disconnect') {
    const res = await command(info.port, { cmd: 'disconnect' }, 15000);
    for (let i = 0; i < 50 && daemonInfo(); i++) await sleep(100);
    if (!res.ok) throw new Error(res.error);
  } else {
    throw new Error(`unknown action ${action}`);
  }
}

main().then(() => process.exit(0), (e) => { process.stderr.write(`Error: ${e.message}\n`); process.exit(1); });
