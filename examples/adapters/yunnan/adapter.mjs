#!/usr/bin/env node
// A worked vconform adapter for yunnan (enterprise gate system -> provincial platform), in Node.js 18+ with only
// its built-in modules (crypto, fs, path, fetch). It is written as a vendor would write one: a thin command-line
// shell around the calls your gate software makes. Replace the bodies of the `actions` below with calls into your
// product when you have one; as it stands it is a complete client of yunnan §4-§6 that passes
// `vconform run yunnan --sut-cmd "node examples/adapters/yunnan/adapter.mjs"`.
//
// Contract (docs/adapter.md): the harness runs `node adapter.mjs ACTION CONTEXT_FILE` once per business event.
// CONTEXT_FILE is JSON: {spec, action, base_url, credentials: {enterpriseId, enterpriseName}, params, state_dir}.
// Exit 0 when the platform accepted what the action needed (body code 200), non-zero otherwise, with the reason
// on the last line of stderr. Pull actions print exactly one JSON array on stdout; nothing else goes to stdout.
//
// Node.js notes:
// - RSA PKCS#1 v1.5 *decryption* (the platform's `aesKey`, yunnan §5.2) is refused by crypto.privateDecrypt on
//   Node 18.19.1+/20.11.1+/21.6.2+ (CVE-2023-46809 hardening): "RSA_PKCS1_PADDING is no longer supported for private
//   decryption". Built-in workaround used here: decrypt with RSA_NO_PADDING and strip the v1.5 padding yourself
//   (rsaPkcs1v15Decrypt below). Alternatives: start node with --security-revert=CVE-2023-46809, or use a library
//   (node-forge). PKCS#1 v1.5 *encryption* with the platform's public key and signing are not affected.
// - JSON.stringify writes 12.0 as 12: the same JSON number (RFC 8259 §6); the harness compares JSON values.
// - fetch() rejects on a dropped connection: that is a failure of the action (exit 1), never a success.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// ---- what the harness hands us -------------------------------------------------------------------------------
const [action, contextFile] = process.argv.slice(2);
if (!action || !contextFile) {
  process.stderr.write('usage: adapter.mjs ACTION CONTEXT_FILE\n');
  process.exit(2);
}
const ctx = JSON.parse(fs.readFileSync(contextFile, 'utf8'));
const params = ctx.params ?? {};
const credentials = ctx.credentials ?? {};

class Refused extends Error {}  // the platform refused, or could not be reached: exit 1

// ---- state kept between calls (state_dir lives for the whole run) -----------------------------------------------
const stateFile = path.join(ctx.state_dir, 'gate-adapter.json');

function loadState() {
  return fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, 'utf8')) : {};
}

function saveState(state) {  // atomically: a call can be killed at any moment
  fs.mkdirSync(ctx.state_dir, { recursive: true });
  const tmp = `${stateFile}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state));
  fs.renameSync(tmp, stateFile);
}

// ---- yunnan §5: the hybrid envelope ---------------------------------------------------------------------------
const b64 = (buf) => buf.toString('base64');
const unb64 = (text) => Buffer.from(text, 'base64');
const publicKey = (b64der) => crypto.createPublicKey({ key: unb64(b64der), format: 'der', type: 'spki' });
const privateKey = (b64der) => crypto.createPrivateKey({ key: unb64(b64der), format: 'der', type: 'pkcs8' });

// §5.1 steps 3-7: a fresh AES-256 key per request (AES/ECB/PKCS5Padding), the key RSA/ECB/PKCS1Padding-encrypted
// to the platform's public key, and SHA256withRSA over encryptedAesKey bytes || encryptedContent bytes (E-YN-04).
function seal(state, object) {
  const aesKey = crypto.randomBytes(32);
  const cipher = crypto.createCipheriv('aes-256-ecb', aesKey, null);
  const content = Buffer.concat([cipher.update(JSON.stringify(object), 'utf8'), cipher.final()]);
  const encryptedKey = crypto.publicEncrypt(
    { key: publicKey(state.platformPublicKey), padding: crypto.constants.RSA_PKCS1_PADDING }, aesKey);
  const signature = crypto.sign('sha256', Buffer.concat([encryptedKey, content]), privateKey(state.privateKey));
  return { signature: b64(signature), encryptedAesKey: b64(encryptedKey), encryptedContent: b64(content) };
}

// RSA PKCS#1 v1.5 decryption without the padding mode Node refuses: raw RSA, then check and remove
// 00 02 <at least 8 non-zero bytes> 00 <message> (RFC 8017 §7.2.2).
function rsaPkcs1v15Decrypt(state, ciphertext) {
  const em = crypto.privateDecrypt(
    { key: privateKey(state.privateKey), padding: crypto.constants.RSA_NO_PADDING }, ciphertext);
  const separator = em.indexOf(0, 2);
  if (em[0] !== 0x00 || em[1] !== 0x02 || separator < 10) throw new Refused('aesKey: bad PKCS#1 v1.5 padding');
  return em.subarray(separator + 1);
}

// §5.1 step 10: an answer's `data` is AES-encrypted under `aesKey` (RSA to our public key); no aesKey: plain.
function openAnswer(state, answer) {
  if (answer.data === undefined || answer.data === null || answer.data === '') return null;
  if (!answer.aesKey || typeof answer.data !== 'string') return answer.data;
  const key = rsaPkcs1v15Decrypt(state, unb64(answer.aesKey));
  const decipher = crypto.createDecipheriv(`aes-${key.length * 8}-ecb`, key, null);
  const text = Buffer.concat([decipher.update(unb64(answer.data)), decipher.final()]).toString('utf8');
  return JSON.parse(text);
}

// ---- HTTP (§4): POST JSON, judge the answer by its body `code` ---------------------------------------------------
async function post(endpoint, body, headers = {}) {
  const url = `${ctx.base_url.replace(/\/$/, '')}/${endpoint}`;
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=UTF-8', ...headers },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new Refused(`${endpoint}: platform not reached: ${err.cause?.code ?? err.message}`);
  }
  const text = await response.text();  // a real platform may mirror the code as HTTP status: read the body anyway
  try {
    return JSON.parse(text);
  } catch {
    throw new Refused(`${endpoint}: HTTP ${response.status}, answer is not JSON: ${text.slice(0, 200)}`);
  }
}

// E-YN-12: a refused token is code 401, or (profile token-500) code 500 whose message names the token.
const tokenRefused = (answer) =>
  answer.code === 401 || (answer.code === 500 && /令牌|token/i.test(String(answer.message ?? '')));

// ---- §6.1 / §6.2 --------------------------------------------------------------------------------------------
async function register() {
  const state = loadState();
  if (state.apiKey) return state;  // registered before: §6.1 allows one successful call, so make none
  const pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ourPublic = b64(pair.publicKey.export({ format: 'der', type: 'spki' }));
  const enterpriseId = params.enterpriseId ?? credentials.enterpriseId;
  const answer = await post('init-auth', {
    enterpriseId, enterpriseName: params.enterpriseName ?? credentials.enterpriseName, publicKey: ourPublic,
  });
  if (answer.code !== 200 || typeof answer.data !== 'object' || answer.data === null) {
    throw new Refused(`init-auth refused: ${answer.code} ${answer.message}`);
  }
  const registered = {
    enterpriseId, apiKey: answer.data.apiKey, apiSecret: answer.data.apiSecret,
    platformPublicKey: answer.data.publicKey,
    privateKey: b64(pair.privateKey.export({ format: 'der', type: 'pkcs8' })),
  };
  saveState(registered);
  return registered;
}

function requireRegistration() {
  const state = loadState();
  if (!state.apiKey) throw new Refused('not registered: the init-auth action has not succeeded');
  return state;
}

async function newToken(state) {
  const answer = await post('getToken', seal(state, { apiKey: state.apiKey, apiSecret: state.apiSecret }),
    { 'X-Client-Id': state.apiKey });
  if (answer.code !== 200) throw new Refused(`getToken refused: ${answer.code} ${answer.message}`);
  const data = openAnswer(state, answer);
  state.token = data.token;
  state.tokenExpiresAt = Date.now() + (Number(data.expireTime) || 7200) * 1000 - 60_000;
  saveState(state);
  return state;
}

// Every call after init-auth: token first when we have none (or it expired on our clock); when the platform refuses
// the token anyway (its clock decides), get a new one once and resend the same request.
async function call(endpoint, object) {
  let state = requireRegistration();
  if (!state.token || Date.now() >= (state.tokenExpiresAt ?? 0)) state = await newToken(state);
  const send = () => post(endpoint, seal(state, object),
    { 'X-Client-Id': state.apiKey, Authorization: `Bearer ${state.token}` });
  let answer = await send();
  if (tokenRefused(answer)) {
    state = await newToken(state);
    answer = await send();
  }
  if (answer.code !== 200) throw new Refused(`${endpoint} refused: ${answer.code} ${answer.message}`);
  return openAnswer(state, answer);
}

// ---- §6.6 / §6.7 / §6.9 pulls, §6.8 / §6.10 confirmations ------------------------------------------------------------
// After a pull the software tells the platform which records it received, by itself: pull -> [confirm, id field].
const CONFIRM_AFTER = { basStrategy: ['strategyConfirm', 'strategyId'], alarmVehicle: ['alarmConfirm', 'alarmId'] };
const MAX_IDS = 100;  // §6.10: at most 100 ids a call (§6.8 states none; the same cap is kept, E-YN-20)
const MAX_PAGES = 1000;

async function pull(endpoint) {
  const records = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const data = (await call(endpoint, params)) ?? {};  // "repeat the query" reading of paging (E-YN-11)
    const got = data.records ?? [];
    records.push(...got);
    if (String(data.isNew) !== '1' || got.length === 0) break;
  }
  const confirm = CONFIRM_AFTER[endpoint];
  if (confirm) {
    const [confirmEndpoint, idField] = confirm;
    const ids = [...new Set(records.map((r) => r[idField]).filter((id) => id !== undefined && id !== null))];
    for (let i = 0; i < ids.length; i += MAX_IDS) {
      const body = { [idField]: ids.slice(i, i + MAX_IDS).join(',') };
      if (confirmEndpoint === 'strategyConfirm') body.enterpriseId = params.enterpriseId ?? loadState().enterpriseId;
      await call(confirmEndpoint, body);
    }
  }
  return records;  // printed as decrypted, unaltered
}

// ---- the actions (`vconform actions yunnan`) -----------------------------------------------------------------
const upload = (endpoint) => async () => { await call(endpoint, params); };
const actions = {
  'init-auth': async () => { await register(); },
  getToken: async () => { await newToken(requireRegistration()); },
  enterprise: upload('enterprise'),              // §6.3
  cameraInfo: upload('cameraInfo'),              // §6.4
  heartBeat: upload('heartBeat'),                // §6.5
  vehicleInfo: upload('vehicleInfo'),            // §6.11
  nonMachinery: upload('nonMachinery'),          // §6.12
  vehicleAccess: upload('vehicleAccess'),        // §6.13
  exceedVehicleConfirm: upload('exceedVehicleConfirm'),  // §6.14
  strategyConfirm: upload('strategyConfirm'),    // §6.8, exactly the ids given (interface stage)
  alarmConfirm: upload('alarmConfirm'),          // §6.10, exactly the ids given (interface stage)
  exceedVehicle: () => pull('exceedVehicle'),    // §6.6
  basStrategy: () => pull('basStrategy'),        // §6.7 then §6.8
  alarmVehicle: () => pull('alarmVehicle'),      // §6.9 then §6.10
};

const run = actions[action];
if (!run) {
  process.stderr.write(`unknown action ${action}\n`);
  process.exit(2);
}
try {
  const output = await run();
  if (Array.isArray(output)) process.stdout.write(`${JSON.stringify(output)}\n`);
} catch (err) {
  if (!(err instanceof Refused)) throw err;  // a bug: let Node print the stack trace (the harness keeps it)
  process.stderr.write(`${action}: ${err.message}\n`);
  process.exitCode = 1;
}
