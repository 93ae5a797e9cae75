// Interop proof for yunnan §5: an enterprise client written with plain JCE exactly as the spec's code samples
// (KeyPairGenerator RSA 2048, KeyGenerator AES 256, AES/ECB/PKCS5Padding, RSA/ECB/PKCS1Padding, SHA256withRSA,
// java.util.Base64, keys as getEncoded()). It registers, gets a token, decrypts the answer, and uploads.
// Usage: java YunnanJceClient BASE_URL ENTERPRISE_ID ENTERPRISE_NAME HEARTBEAT_JSON_FILE UPLOAD_INTERFACE UPLOAD_JSON_FILE
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.*;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

public class YunnanJceClient {
    static final String ALGORITHM = "AES";
    static final int KEY_SIZE = 256;
    static final String AES_TRANSFORMATION = "AES/ECB/PKCS5Padding";
    static final String KEY_ALGORITHM = "RSA";
    static final String RSA_TRANSFORMATION = "RSA/ECB/PKCS1Padding";
    static final String SIGNATURE_ALGORITHM = "SHA256withRSA";
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|(-?\\d+)|null)").matcher(json);
        if (!m.find()) return null;
        return m.group(2) != null ? m.group(2) : m.group(3);
    }

    static String post(String url, String body, String clientId, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json; charset=UTF-8")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (clientId != null) b.header("X-Client-Id", clientId);
        if (token != null) b.header("Authorization", "Bearer " + token);
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return r.body();
    }

    static byte[] concatenate(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static String seal(String content, PublicKey platformKey, PrivateKey clientKey) throws Exception {
        KeyGenerator keyGen = KeyGenerator.getInstance(ALGORITHM);          // §5.1 step 3
        keyGen.init(KEY_SIZE);
        SecretKey aesKey = keyGen.generateKey();
        Cipher aesCipher = Cipher.getInstance(AES_TRANSFORMATION);          // §5.1 step 4
        aesCipher.init(Cipher.ENCRYPT_MODE, aesKey);
        byte[] encryptedContent = aesCipher.doFinal(content.getBytes(StandardCharsets.UTF_8));
        Cipher rsaCipher = Cipher.getInstance(RSA_TRANSFORMATION);          // §5.1 step 5
        rsaCipher.init(Cipher.ENCRYPT_MODE, platformKey);
        byte[] encryptedAesKey = rsaCipher.doFinal(aesKey.getEncoded());
        Signature signature = Signature.getInstance(SIGNATURE_ALGORITHM);   // §5.1 step 6
        signature.initSign(clientKey);
        signature.update(concatenate(encryptedAesKey, encryptedContent));
        Base64.Encoder enc = Base64.getEncoder();
        return "{\"signature\":\"" + enc.encodeToString(signature.sign()) + "\",\"encryptedAesKey\":\""
            + enc.encodeToString(encryptedAesKey) + "\",\"encryptedContent\":\"" + enc.encodeToString(encryptedContent) + "\"}";
    }

    static String open(String answer, PrivateKey clientKey) throws Exception {     // §5.1 step 10
        Cipher rsaCipher = Cipher.getInstance(RSA_TRANSFORMATION);
        rsaCipher.init(Cipher.DECRYPT_MODE, clientKey);
        byte[] key = rsaCipher.doFinal(Base64.getDecoder().decode(field(answer, "aesKey")));
        Cipher aesCipher = Cipher.getInstance(AES_TRANSFORMATION);
        aesCipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, ALGORITHM));
        return new String(aesCipher.doFinal(Base64.getDecoder().decode(field(answer, "data"))), StandardCharsets.UTF_8);
    }

    static void require(String answer, String step) {
        if (!"200".equals(field(answer, "code"))) throw new IllegalStateException(step + " refused: " + answer);
    }

    public static void main(String[] args) throws Exception {
        String base = args[0];
        KeyPairGenerator kpg = KeyPairGenerator.getInstance(KEY_ALGORITHM);  // §5.1 step 1
        kpg.initialize(2048);
        KeyPair kp = kpg.generateKeyPair();
        String pub = Base64.getEncoder().encodeToString(kp.getPublic().getEncoded());
        String reg = post(base + "/init-auth", "{\"enterpriseId\":\"" + args[1] + "\",\"enterpriseName\":\"" + args[2]
            + "\",\"publicKey\":\"" + pub + "\"}", null, null);
        require(reg, "init-auth");
        String apiKey = field(reg, "apiKey"), apiSecret = field(reg, "apiSecret");
        PublicKey platform = KeyFactory.getInstance(KEY_ALGORITHM)
            .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(field(reg, "publicKey"))));
        String tokAnswer = post(base + "/getToken", seal("{\"apiKey\":\"" + apiKey + "\",\"apiSecret\":\"" + apiSecret + "\"}",
            platform, kp.getPrivate()), apiKey, null);
        require(tokAnswer, "getToken");
        String token = field(open(tokAnswer, kp.getPrivate()), "token");
        String hb = post(base + "/heartBeat", seal(Files.readString(Path.of(args[3])), platform, kp.getPrivate()), apiKey, token);
        require(hb, "heartBeat");
        String up = post(base + "/" + args[4], seal(Files.readString(Path.of(args[5])), platform, kp.getPrivate()), apiKey, token);
        require(up, args[4]);
        System.out.println("OK " + apiKey);
    }
}
