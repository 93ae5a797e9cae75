// A worked vconform adapter for yunnan (enterprise gate system -> provincial platform) in Java 11+, with the JDK
// only: java.net.http for HTTP, JCE for yunnan §5, and a small JSON reader/writer at the end of this file (a vendor
// would use Jackson or Gson; it is inlined so the example builds with javac alone). Replace the bodies of the actions
// with calls into your product when you have one; as it stands it is a complete client of yunnan §4-§6.
//
//   javac -d build YunnanAdapter.java
//   vconform run yunnan --sut-cmd "java -cp build YunnanAdapter"
//
// (`java YunnanAdapter.java ACTION CONTEXT_FILE` also works, but compiles the source on every call: slow.)
//
// Contract (docs/adapter.md): the harness runs `ADAPTER ACTION CONTEXT_FILE` once per business event. CONTEXT_FILE
// is JSON: {spec, action, base_url, credentials: {enterpriseId, enterpriseName}, params, state_dir}. Exit 0 when
// the platform accepted what the action needed (body code 200), non-zero otherwise, with the reason on the last
// line of stderr. Pull actions print exactly one JSON array on stdout; nothing else goes to stdout.
//
// Java notes:
// - Cipher.getInstance("RSA") means "RSA/ECB/PKCS1Padding" on the JDK's SunJCE provider, which is what yunnan
//   §5.2 uses for encryptedAesKey and aesKey; another provider (BouncyCastle first in the list, an HSM's) may
//   default differently, so name the full transformation, as below.
// - AES is "AES/ECB/PKCS5Padding" with a 32-byte key (AES-256). Keys travel as Base64 of getEncoded(): X.509
//   SubjectPublicKeyInfo for public keys, PKCS#8 for the private key kept in state_dir.
// - Base64.getDecoder() is strict (no line breaks, no extra padding), as the platform is.
// - Numbers are kept as written (JsonNumber): a record printed after a pull is the record as served.
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

public class YunnanAdapter {
    static final String RSA = "RSA/ECB/PKCS1Padding";   // yunnan §5.2; the SunJCE default of "RSA"
    static final String AES = "AES/ECB/PKCS5Padding";   // yunnan §5.2
    static final String SIGNATURE = "SHA256withRSA";    // yunnan §5.3
    static final int MAX_IDS = 100;                     // §6.10: at most 100 ids per confirmation (§6.8: E-YN-20)
    static final int MAX_PAGES = 1000;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** The platform refused, or could not be reached: exit 1 with the reason on stderr. */
    static class Refused extends Exception {
        Refused(String message) { super(message); }
    }

    final Map<String, Object> ctx;
    final Map<String, Object> params;
    final Path stateFile;
    Map<String, Object> state;

    @SuppressWarnings("unchecked")
    YunnanAdapter(Map<String, Object> ctx) throws IOException {
        this.ctx = ctx;
        Object p = ctx.get("params");
        this.params = p instanceof Map ? (Map<String, Object>) p : new LinkedHashMap<>();
        this.stateFile = Path.of((String) ctx.get("state_dir"), "gate-adapter.json");
        this.state = Files.exists(stateFile)
            ? (Map<String, Object>) Json.parse(Files.readString(stateFile, StandardCharsets.UTF_8))
            : new LinkedHashMap<>();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: YunnanAdapter ACTION CONTEXT_FILE");
            System.exit(2);
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        @SuppressWarnings("unchecked")
        Map<String, Object> ctx = (Map<String, Object>) Json.parse(Files.readString(Path.of(args[1]), StandardCharsets.UTF_8));
        YunnanAdapter adapter = new YunnanAdapter(ctx);
        try {
            List<Object> output = adapter.perform(args[0]);
            if (output != null) out.println(Json.write(output));
        } catch (Refused r) {
            System.err.println(args[0] + ": " + r.getMessage());
            System.exit(1);
        }
    }

    /** One business action (`vconform actions yunnan`); a pull returns the records to print. */
    List<Object> perform(String action) throws Exception {
        switch (action) {
            case "init-auth": register(); return null;                            // §6.1
            case "getToken": requireRegistration(); newToken(); return null;      // §6.2
            case "enterprise": case "cameraInfo": case "heartBeat": case "vehicleInfo": case "nonMachinery":
            case "vehicleAccess": case "exceedVehicleConfirm":                    // §6.3-§6.5, §6.11-§6.14
            case "strategyConfirm": case "alarmConfirm":                          // §6.8, §6.10: the ids given
                call(action, params);
                return null;
            case "exceedVehicle": return pull(action, null, null);                // §6.6 (no receipt)
            case "basStrategy": return pull(action, "strategyConfirm", "strategyId");   // §6.7 then §6.8
            case "alarmVehicle": return pull(action, "alarmConfirm", "alarmId");        // §6.9 then §6.10
            default:
                System.err.println("unknown action " + action);
                System.exit(2);
                return null;
        }
    }

    // ---- state_dir: written atomically, a call can be killed at any moment ------------------------------------
    void save() throws IOException {
        Files.createDirectories(stateFile.getParent());
        Path tmp = stateFile.resolveSibling("gate-adapter.json.tmp");
        Files.writeString(tmp, Json.write(state), StandardCharsets.UTF_8);
        Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    void requireRegistration() throws Refused {
        if (!state.containsKey("apiKey")) throw new Refused("not registered: the init-auth action has not succeeded");
    }

    // ---- §6.1, §6.2 -----------------------------------------------------------------------------------------
    @SuppressWarnings("unchecked")
    void register() throws Exception {
        if (state.containsKey("apiKey")) return;  // registered before: §6.1 allows one successful call, make none
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        KeyPair pair = gen.generateKeyPair();
        Map<String, Object> creds = (Map<String, Object>) ctx.getOrDefault("credentials", new LinkedHashMap<>());
        String enterpriseId = (String) params.getOrDefault("enterpriseId", creds.get("enterpriseId"));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("enterpriseId", enterpriseId);
        body.put("enterpriseName", params.getOrDefault("enterpriseName", creds.get("enterpriseName")));
        body.put("publicKey", b64(pair.getPublic().getEncoded()));
        Map<String, Object> answer = post("init-auth", body, null, null);
        if (!isCode(answer, 200) || !(answer.get("data") instanceof Map)) {
            throw new Refused("init-auth refused: " + answer.get("code") + " " + answer.get("message"));
        }
        Map<String, Object> data = (Map<String, Object>) answer.get("data");
        state.put("enterpriseId", enterpriseId);
        state.put("apiKey", data.get("apiKey"));
        state.put("apiSecret", data.get("apiSecret"));
        state.put("platformPublicKey", data.get("publicKey"));
        state.put("privateKey", b64(pair.getPrivate().getEncoded()));
        save();
    }

    @SuppressWarnings("unchecked")
    void newToken() throws Exception {
        Map<String, Object> creds = new LinkedHashMap<>();
        creds.put("apiKey", state.get("apiKey"));
        creds.put("apiSecret", state.get("apiSecret"));
        Map<String, Object> answer = post("getToken", seal(creds), (String) state.get("apiKey"), null);
        if (!isCode(answer, 200)) throw new Refused("getToken refused: " + answer.get("code") + " " + answer.get("message"));
        Map<String, Object> data = (Map<String, Object>) open(answer);
        long ttl = data.get("expireTime") == null ? 7200 : Long.parseLong(String.valueOf(data.get("expireTime")));
        state.put("token", data.get("token"));
        state.put("tokenExpiresAt", new Json.Number(String.valueOf(System.currentTimeMillis() + ttl * 1000 - 60_000)));
        save();
    }

    // ---- every call after init-auth -------------------------------------------------------------------------
    /** Token first when we hold none (or it expired on our clock); when the platform refuses it anyway (its
     *  clock decides: code 401, or 500 naming the token, E-YN-12), get a new one once and resend. */
    Object call(String endpoint, Map<String, Object> plaintext) throws Exception {
        requireRegistration();
        Object expires = state.get("tokenExpiresAt");
        if (state.get("token") == null || expires == null || System.currentTimeMillis() >= Long.parseLong(expires.toString())) {
            newToken();
        }
        Map<String, Object> answer = post(endpoint, seal(plaintext), (String) state.get("apiKey"), (String) state.get("token"));
        if (tokenRefused(answer)) {
            newToken();
            answer = post(endpoint, seal(plaintext), (String) state.get("apiKey"), (String) state.get("token"));
        }
        if (!isCode(answer, 200)) throw new Refused(endpoint + " refused: " + answer.get("code") + " " + answer.get("message"));
        return open(answer);
    }

    static boolean tokenRefused(Map<String, Object> answer) {
        String message = String.valueOf(answer.get("message"));
        return isCode(answer, 401) || (isCode(answer, 500) && (message.contains("令牌") || message.toLowerCase().contains("token")));
    }

    static boolean isCode(Map<String, Object> answer, int code) {
        Object c = answer.get("code");
        return c != null && c.toString().equals(String.valueOf(code));
    }

    // ---- pulls (§6.6/§6.7/§6.9) and the software's own confirmations (§6.8/§6.10) ----------------------------------
    @SuppressWarnings("unchecked")
    List<Object> pull(String endpoint, String confirm, String idField) throws Exception {
        List<Object> records = new ArrayList<>();
        for (int page = 0; page < MAX_PAGES; page++) {
            Object data = call(endpoint, params);  // "repeat the query while isNew is 1" (E-YN-11)
            Map<String, Object> d = data instanceof Map ? (Map<String, Object>) data : new LinkedHashMap<>();
            List<Object> got = d.get("records") instanceof List ? (List<Object>) d.get("records") : List.of();
            records.addAll(got);
            if (!"1".equals(String.valueOf(d.get("isNew"))) || got.isEmpty()) break;
        }
        if (confirm != null) {
            Set<String> ids = new LinkedHashSet<>();
            for (Object r : records) {
                Object id = r instanceof Map ? ((Map<String, Object>) r).get(idField) : null;
                if (id != null) ids.add(id.toString());
            }
            List<String> all = new ArrayList<>(ids);
            for (int i = 0; i < all.size(); i += MAX_IDS) {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put(idField, String.join(",", all.subList(i, Math.min(all.size(), i + MAX_IDS))));
                if (confirm.equals("strategyConfirm")) body.put("enterpriseId", params.getOrDefault("enterpriseId", state.get("enterpriseId")));
                call(confirm, body);
            }
        }
        return records;
    }

    // ---- HTTP (§4): POST JSON, judge by the body's code -------------------------------------------------------
    @SuppressWarnings("unchecked")
    Map<String, Object> post(String endpoint, Map<String, Object> body, String clientId, String token) throws Refused {
        String base = ((String) ctx.get("base_url")).replaceAll("/$", "");
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(base + "/" + endpoint))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json; charset=UTF-8")
            .POST(HttpRequest.BodyPublishers.ofString(Json.write(body), StandardCharsets.UTF_8));
        if (clientId != null) req.header("X-Client-Id", clientId);
        if (token != null) req.header("Authorization", "Bearer " + token);
        HttpResponse<String> resp;
        try {
            resp = HTTP.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {  // dropped connection, refused connection: not a success
            throw new Refused(endpoint + ": platform not reached: " + e);
        } catch (InterruptedException e) {
            throw new Refused(endpoint + ": interrupted");
        }
        // A real platform may mirror the body code as the HTTP status (E-YN-16): read the body whatever the status.
        try {
            Object answer = Json.parse(resp.body());
            if (answer instanceof Map) return (Map<String, Object>) answer;
        } catch (IllegalArgumentException e) {
            // fall through
        }
        String text = resp.body();
        throw new Refused(endpoint + ": HTTP " + resp.statusCode() + ", answer is not a JSON object: "
            + text.substring(0, Math.min(200, text.length())));
    }

    // ---- yunnan §5: the hybrid envelope ---------------------------------------------------------------------
    /** §5.1 steps 3-7: fresh AES-256 key, content AES-encrypted, key RSA-encrypted to the platform, and
     *  SHA256withRSA over encryptedAesKey bytes || encryptedContent bytes (E-YN-04 default reading). */
    Map<String, Object> seal(Map<String, Object> plaintext) throws Exception {
        byte[] aesKey = new byte[32];
        new SecureRandom().nextBytes(aesKey);
        Cipher aes = Cipher.getInstance(AES);
        aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(aesKey, "AES"));
        byte[] content = aes.doFinal(Json.write(plaintext).getBytes(StandardCharsets.UTF_8));
        Cipher rsa = Cipher.getInstance(RSA);
        rsa.init(Cipher.ENCRYPT_MODE, platformKey());
        byte[] encryptedKey = rsa.doFinal(aesKey);
        Signature sig = Signature.getInstance(SIGNATURE);
        sig.initSign(privateKey());
        sig.update(encryptedKey);
        sig.update(content);
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("signature", b64(sig.sign()));
        envelope.put("encryptedAesKey", b64(encryptedKey));
        envelope.put("encryptedContent", b64(content));
        return envelope;
    }

    /** §5.1 step 10: data AES-encrypted under aesKey, which is RSA/ECB/PKCS1Padding to our public key. */
    Object open(Map<String, Object> answer) throws Exception {
        Object data = answer.get("data");
        if (data == null || "".equals(data)) return null;
        if (!(data instanceof String) || answer.get("aesKey") == null) return data;
        Cipher rsa = Cipher.getInstance(RSA);
        rsa.init(Cipher.DECRYPT_MODE, privateKey());
        byte[] key = rsa.doFinal(Base64.getDecoder().decode((String) answer.get("aesKey")));
        Cipher aes = Cipher.getInstance(AES);
        aes.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"));
        return Json.parse(new String(aes.doFinal(Base64.getDecoder().decode((String) data)), StandardCharsets.UTF_8));
    }

    PublicKey platformKey() throws Exception {
        byte[] der = Base64.getDecoder().decode((String) state.get("platformPublicKey"));
        return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
    }

    PrivateKey privateKey() throws Exception {
        byte[] der = Base64.getDecoder().decode((String) state.get("privateKey"));
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    static String b64(byte[] bytes) { return Base64.getEncoder().encodeToString(bytes); }

    // ---- a minimal JSON reader/writer (RFC 8259); use your JSON library instead ----------------------------------
    static final class Json {
        /** A JSON number kept as written, so records are printed as served. */
        static final class Number {
            final String text;
            Number(String text) { this.text = text; }
            @Override public String toString() { return text; }
        }

        private final String s;
        private int i;

        private Json(String s) { this.s = s; }

        static Object parse(String text) {
            Json p = new Json(text);
            p.ws();
            Object v = p.value();
            p.ws();
            if (p.i != p.s.length()) throw p.error("trailing characters");
            return v;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("JSON: " + what + " at offset " + i);
        }

        private void ws() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) i++;
        }

        private Object value() {
            if (i >= s.length()) throw error("unexpected end");
            char c = s.charAt(i);
            if (c == '{') return object();
            if (c == '[') return array();
            if (c == '"') return string();
            if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
            if (s.startsWith("null", i)) { i += 4; return null; }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            if (start == i) throw error("unexpected character '" + c + "'");
            return new Number(s.substring(start, i));
        }

        private Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == '}') { i++; return m; }
            while (true) {
                ws();
                if (i >= s.length() || s.charAt(i) != '"') throw error("expected a member name");
                String k = string();
                ws();
                if (i >= s.length() || s.charAt(i++) != ':') throw error("expected ':'");
                ws();
                m.put(k, value());
                ws();
                if (i >= s.length()) throw error("unexpected end");
                char c = s.charAt(i++);
                if (c == '}') return m;
                if (c != ',') throw error("expected ',' or '}'");
            }
        }

        private List<Object> array() {
            List<Object> a = new ArrayList<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == ']') { i++; return a; }
            while (true) {
                ws();
                a.add(value());
                ws();
                if (i >= s.length()) throw error("unexpected end");
                char c = s.charAt(i++);
                if (c == ']') return a;
                if (c != ',') throw error("expected ',' or ']'");
            }
        }

        private String string() {
            StringBuilder b = new StringBuilder();
            i++;
            while (i < s.length()) {
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c != '\\') { b.append(c); continue; }
                if (i >= s.length()) break;
                char e = s.charAt(i++);
                switch (e) {
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'n': b.append('\n'); break;
                    case 'r': b.append('\r'); break;
                    case 't': b.append('\t'); break;
                    case 'u':
                        if (i + 4 > s.length()) throw error("bad \\u escape");
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                        break;
                    default: b.append(e);  // \" \\ \/
                }
            }
            throw error("unterminated string");
        }

        static String write(Object v) {
            StringBuilder b = new StringBuilder();
            write(b, v);
            return b.toString();
        }

        @SuppressWarnings("unchecked")
        private static void write(StringBuilder b, Object v) {
            if (v == null) {
                b.append("null");
            } else if (v instanceof String) {
                quote(b, (String) v);
            } else if (v instanceof Number || v instanceof Boolean || v instanceof java.lang.Number) {
                b.append(v);
            } else if (v instanceof Map) {
                b.append('{');
                boolean first = true;
                for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) {
                    if (!first) b.append(',');
                    first = false;
                    quote(b, e.getKey());
                    b.append(':');
                    write(b, e.getValue());
                }
                b.append('}');
            } else if (v instanceof List) {
                b.append('[');
                boolean first = true;
                for (Object x : (List<Object>) v) {
                    if (!first) b.append(',');
                    first = false;
                    write(b, x);
                }
                b.append(']');
            } else {
                quote(b, v.toString());
            }
        }

        private static void quote(StringBuilder b, String s) {
            b.append('"');
            for (int k = 0; k < s.length(); k++) {
                char c = s.charAt(k);
                switch (c) {
                    case '"': b.append("\\\""); break;
                    case '\\': b.append("\\\\"); break;
                    case '\n': b.append("\\n"); break;
                    case '\r': b.append("\\r"); break;
                    case '\t': b.append("\\t"); break;
                    default:
                        if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                        else b.append(c);  // non-ASCII (Chinese) as UTF-8
                }
            }
            b.append('"');
        }
    }
}
