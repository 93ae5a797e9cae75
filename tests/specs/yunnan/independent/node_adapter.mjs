// An independent Yunnan adapter in Node.js with only its built-in modules, written by an outside tester from the
// README, `vconform actions yunnan --schema` and the spec (yunnan §4-§6) alone, without reading vconform's code.
// It encodes JSON the JavaScript way (12.0 is written 12), keeps its own state layout and decrypts PKCS#1 v1.5 by
// hand (Node 20 refuses it in privateDecrypt). tests/specs/yunnan/test_yunnan_independent.py runs it: a correct
// client in another language must pass. Actions: init-auth, getToken, heartBeat and the uploads.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const [action, ctxFile] = process.argv.slice(2);
const ctx = JSON.parse(fs.readFileSync(ctxFile, 'utf8'));
const stateFile = path.join(ctx.state_dir, 'adapter-state.json');
const load = () => (fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, 'utf8')) : {});
const save = (s) => { fs.mkdirSync(ctx.state_dir, { recursive: true }); fs.writeFileSync(stateFile, JSON.stringify(s)); };
const die = (m) => { process.stderr.write(m + '\n'); process.exit(1); };
const url = (p) => ctx.base_url.replace(/\/$/, '') + '/' + p;

async function post(p, body, headers = {}) {
  const r = await fetch(url(p), { method: 'POST', headers: { 'Content-Type': 'application/json; charset=UTF-8', ...headers }, body: JSON.stringify(body) });
  const text = await r.text();
  if (r.status >= 500) die(`${p}: HTTP ${r.status} ${text.slice(0, 200)}`);
  let j; try { j = JSON.parse(text); } catch { die(`${p}: non-JSON answer HTTP ${r.status}: ${text.slice(0, 200)}`); }
  return j;
}

function pubKeyObj(b64) { return crypto.createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' }); }

// §5.1 steps 3-6, §5.2: AES-256/ECB/PKCS5, RSA/ECB/PKCS1, SHA256withRSA over encryptedAesKey||encryptedContent
function seal(st, obj) {
  const aes = crypto.randomBytes(32);
  const c = crypto.createCipheriv('aes-256-ecb', aes, null);
  const content = Buffer.concat([c.update(Buffer.from(JSON.stringify(obj), 'utf8')), c.final()]);
  const ek = crypto.publicEncrypt({ key: pubKeyObj(st.platformPublicKey), padding: crypto.constants.RSA_PKCS1_PADDING }, aes);
  const priv = crypto.createPrivateKey({ key: Buffer.from(st.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
  const sig = crypto.sign('sha256', Buffer.concat([ek, content]), priv);
  return { signature: sig.toString('base64'), encryptedAesKey: ek.toString('base64'), encryptedContent: content.toString('base64') };
}

// Node 20 refuses PKCS#1 v1.5 privateDecrypt; do raw RSA and strip the padding ourselves.
function rsaPkcs1Decrypt(st, buf) {
  const priv = crypto.createPrivateKey({ key: Buffer.from(st.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
  const em = crypto.privateDecrypt({ key: priv, padding: crypto.constants.RSA_NO_PADDING }, buf);
  if (em[0] !== 0 || em[1] !== 2) throw new Error('bad PKCS1 padding');
  const sep = em.indexOf(0, 2);
  if (sep < 10) throw new Error('bad PKCS1 padding');
  return em.subarray(sep + 1);
}

function open(st, ans) {
  if (ans.data == null || ans.data === '') return null;
  if (typeof ans.data !== 'string') return ans.data;
  const key = rsaPkcs1Decrypt(st, Buffer.from(ans.aesKey, 'base64'));
  const d = crypto.createDecipheriv(`aes-${key.length * 8}-ecb`, key, null);
  const pt = Buffer.concat([d.update(Buffer.from(ans.data, 'base64')), d.final()]).toString('utf8');
  try { return JSON.parse(pt); } catch { return pt; }
}

const UPLOADS = ['enterprise', 'cameraInfo', 'vehicleInfo', 'nonMachinery', 'vehicleAccess'];
const creds = ctx.credentials || {};
const params = ctx.params || {};

async function initAuth() {
  const st = load();
  if (st.apiKey) return; // registered already: no call (§6.1 one success only)
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pub = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const body = {
    enterpriseId: params.enterpriseId ?? creds.enterpriseId,
    enterpriseName: params.enterpriseName ?? creds.enterpriseName,
    publicKey: pub,
  };
  const ans = await post('init-auth', body);
  if (ans.code !== 200) die(`init-auth refused: ${ans.code} ${ans.message}`);
  const d = ans.data;
  save({ apiKey: d.apiKey, apiSecret: d.apiSecret, platformPublicKey: d.publicKey,
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKey: pub, enterpriseId: body.enterpriseId });
}

async function getToken() {
  const st = load();
  if (!st.apiKey) { await initAuth(); return getToken(); }
  const ans = await post('getToken', seal(st, { apiKey: st.apiKey, apiSecret: st.apiSecret }), { 'X-Client-Id': st.apiKey });
  if (ans.code !== 200) die(`getToken refused: ${ans.code} ${ans.message}`);
  const d = open(st, ans);
  st.token = d.token;
  st.tokenExpiresAt = Date.now() + (Number(d.expireTime) || 7200) * 1000 - 30000;
  save(st);
  return st;
}

const tokenRefused = (a) => a.code === 401 || (a.code === 500 && /token|令牌/i.test(a.message || ''));

async function upload(p, obj) {
  let st = load();
  if (!st.apiKey) die('not registered (run init-auth first)');
  if (!st.token || Date.now() >= (st.tokenExpiresAt || 0)) st = await getToken();
  const send = (s) => post(p, seal(s, obj), { 'X-Client-Id': s.apiKey, Authorization: `Bearer ${s.token}` });
  let ans = await send(st);
  if (tokenRefused(ans)) { st = await getToken(); ans = await send(st); }
  if (ans.code !== 200) die(`${p} refused: ${ans.code} ${ans.message}`);
  return open(st, ans);
}

try {
  if (action === 'init-auth') await initAuth();
  else if (action === 'getToken') await getToken();
  else if (action === 'heartBeat') {
    const st = load();
    await upload('heartBeat', { enterpriseId: params.enterpriseId ?? st.enterpriseId ?? creds.enterpriseId });
  } else if (UPLOADS.includes(action)) await upload(action, params);
  else die(`action ${action} not implemented by this adapter`);
} catch (e) { die(`${action}: ${e.stack || e}`); }
