package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dsp.cli.standalone.StandaloneServer;
import dsp.config.PoolConfig;
import dsp.testing.RequiredTool;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.awaitility.Awaitility;

/**
 * Hostile input generated from the server's own {@code /openapi.yaml}: every documented route, with
 * bodies built from its schema and then spoiled (wrong types, huge and negative numbers, unicode,
 * control and traversal names, duplicate keys, malformed or oversized bodies), wrong methods, wrong
 * content types and missing tokens, against the real standalone server (SQLite, server directories,
 * qemu-img). After every request: no 5xx, no Java class name anywhere, no host path in any error,
 * and after every refusal the state (through the API and on disk) is exactly what it was.
 */
class HostileInputTest {

    private static final int TRIES = 2000;
    private static final String TOKEN = "hostile-Suite-T0ken";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch");
    private static final Pattern JAVA_NAME = Pattern.compile(
            "\\b(?:java|javax|jakarta|com|org|io|dsp|sun)\\.[a-z]+\\.[A-Za-z]|Exception\\b|\\bat [a-z]+\\.[a-z]+\\.|\\$[A-Z][a-z]+\\(");

    /** One documented operation. */
    record Operation(String method, String path, JsonNode spec, JsonNode pathItem) {
        List<JsonNode> parameters(String in) {
            List<JsonNode> out = new ArrayList<>();
            for (JsonNode p : List.of(pathItem.path("parameters"), spec.path("parameters"))) {
                p.forEach(param -> {
                    JsonNode resolved = param.has("$ref") ? doc.at(param.get("$ref").asText().substring(1)) : param;
                    if (resolved.path("in").asText().equals(in)) {
                        out.add(resolved);
                    }
                });
            }
            return out;
        }

        JsonNode bodySchema() {
            return spec.at("/requestBody/content/application~1json/schema");
        }
    }

    /** A path parameter: hostile text, or the n-th thing that exists when the request is sent. */
    record Param(Optional<String> text, int existing) {
    }

    enum Kind { SCHEMA, WRONG_TYPES, MALFORMED, OVERSIZED, WRONG_CONTENT_TYPE, WRONG_METHOD, DUPLICATE_KEYS, NO_TOKEN }

    record Hostile(Kind kind, Operation op, String method, List<Param> pathParams, String query, String contentType, byte[] body,
                   String authorization, boolean async) {
        @Override
        public String toString() {
            String shown = new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
            return kind + " " + method + " " + op.path + " " + pathParams + query + " [" + contentType + "] " + shown
                    + (body.length > 300 ? "... (" + body.length + " bytes)" : "");
        }
    }

    private static StandaloneServer server;
    private static Path data;
    private static String base;
    private static JsonNode doc;
    private static List<Operation> operations;
    private static StateSnapshot state;
    private static Http http;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private static final Map<String, AtomicInteger> answers = new TreeMap<>();
    private static int refusalsChecked;

    @BeforeContainer
    static void start() throws Exception {
        RequiredTool.QEMU_IMG.require();
        data = Files.createTempDirectory("hostile-input");
        server = new StandaloneServer(PoolConfig.Configuration.guideDefaults(), data, Clock.systemUTC());
        server.seedDemoIfEmpty();
        server.ensureDemoTemplate();
        server.requireToken(Optional.of(TOKEN));
        base = "http://127.0.0.1:" + server.start("127.0.0.1", 0);
        http = new Http(base);
        Files.writeString(data.resolve("imports/not-an-image.qcow2"), "plain text, not an image");
        HttpResponse<String> yaml = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/openapi.yaml")).build(),
                HttpResponse.BodyHandlers.ofString());
        doc = new ObjectMapper(new YAMLFactory().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION))
                .readTree(yaml.body()); // a key given twice in the document would hide what the first one said
        operations = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (Iterator<String> ms = path.getValue().fieldNames(); ms.hasNext(); ) {
                String m = ms.next();
                if (METHODS.contains(m)) {
                    operations.add(new Operation(m.toUpperCase(), path.getKey(), path.getValue().get(m), path.getValue()));
                }
            }
        }
        state = StateSnapshot.take(http, data);
    }

    @AfterContainer
    static void stop() throws IOException {
        int requests = answers.values().stream().mapToInt(AtomicInteger::get).sum();
        System.out.println("[suite] hostile input: " + requests + " requests generated from /openapi.yaml over "
                + (operations == null ? 0 : operations.size()) + " documented operations; answers " + answers + "; "
                + refusalsChecked + " refusals left API and files unchanged");
        if (server != null) {
            server.close();
        }
        if (data != null) {
            try (Stream<Path> walk = Files.walk(data)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Property(tries = TRIES, shrinking = ShrinkingMode.OFF)
    void noRequestGetsA5xxLeaksAnythingOrChangesStateWhenRefused(@ForAll("requests") Hostile request) throws Exception {
        StateSnapshot before = state;
        HttpResponse<String> r;
        try {
            r = send(request, before);
        } catch (IOException closed) {
            // an oversized body: the server answers 413 with Connection: close without reading it, and when it closes
            // while the client is still writing, the JDK client loses that answer (broken pipe); nothing may have changed
            assertThat(request.kind).as("only an oversized body may be cut off: " + request + " -> " + closed).isEqualTo(Kind.OVERSIZED);
            synchronized (answers) {
                answers.computeIfAbsent(request.kind + " closed", k -> new AtomicInteger()).incrementAndGet();
            }
            state = StateSnapshot.take(http, data);
            assertThat(state).as("state after the cut-off " + request).isEqualTo(before);
            refusalsChecked++;
            return;
        }
        int status = r.statusCode();
        synchronized (answers) {
            answers.computeIfAbsent(request.kind + " " + status, k -> new AtomicInteger()).incrementAndGet();
        }
        String body = r.body();
        String what = request + " -> " + status + " " + body;
        boolean json = r.headers().firstValue("Content-Type").orElse("").startsWith("application/json");
        assertThat(status < 500 || status == 507 && body.contains("\"insufficient_capacity\"")).as("no 5xx: " + what).isTrue();
        if (json) {
            assertThat(JAVA_NAME.matcher(body).find()).as("a Java name in " + what).isFalse();
            assertThat(hostPathsIn(body, request)).as("host paths in " + what).isEmpty();
        }
        if (request.kind == Kind.NO_TOKEN && Set.of("PUT", "POST", "DELETE", "PATCH").contains(request.method)) {
            assertThat(status).as("a change without the right token is refused: " + what).isGreaterThanOrEqualTo(400);
        }
        if (status >= 400 && !request.method.equals("HEAD")) {
            JsonNode error = JSON.readTree(body).path("error");
            assertThat(error.path("code").asText()).as("error code of " + what).isNotBlank();
            assertThat(error.path("message").asText()).as("error message of " + what).isNotBlank();
        }
        if (status == 202) {
            awaitOperations();
        }
        state = StateSnapshot.take(http, data);
        if (status >= 400) {
            assertThat(state).as("state after the refusal " + what).isEqualTo(before);
            refusalsChecked++;
        }
    }

    // ---------------------------------------------------------------- generation

    @Provide
    Arbitrary<Hostile> requests() {
        // changes weigh three times a read: they are where a refusal must leave everything as it was
        Arbitrary<Operation> op = Arbitraries.frequency(operations.stream()
                .map(o -> Tuple.of(o.method.equals("GET") ? 1 : 3, o)).toList());
        Arbitrary<Kind> kind = Arbitraries.frequency(Tuple.of(30, Kind.SCHEMA), Tuple.of(15, Kind.WRONG_TYPES), Tuple.of(10, Kind.MALFORMED),
                Tuple.of(3, Kind.OVERSIZED), Tuple.of(8, Kind.WRONG_CONTENT_TYPE), Tuple.of(8, Kind.WRONG_METHOD),
                Tuple.of(5, Kind.DUPLICATE_KEYS), Tuple.of(5, Kind.NO_TOKEN));
        return Arbitraries.lazy(() -> kind.flatMap(k -> op.flatMap(o -> request(k, o))));
    }

    private static Arbitrary<Hostile> request(Kind kind, Operation op) {
        int pathParams = (int) Pattern.compile("\\{").matcher(op.path).results().count();
        Arbitrary<List<Param>> params = param().list().ofSize(pathParams);
        Arbitrary<String> query = query(op);
        Arbitrary<String> method = kind == Kind.WRONG_METHOD
                ? Arbitraries.of(Stream.of("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE")
                        .filter(m -> !documented(op.path).contains(m)).toList())
                : Arbitraries.just(op.method);
        Arbitrary<byte[]> body = body(kind, op);
        Arbitrary<String> contentType = kind == Kind.WRONG_CONTENT_TYPE
                ? Arbitraries.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/json",
                        "application/jsonp", "application/json-patch+json", "", "*/*", "application/xml")
                : Arbitraries.just("application/json");
        Arbitrary<String> auth = kind == Kind.NO_TOKEN
                ? Arbitraries.of("", "Bearer", "Bearer ", "Bearer wrong", "Bearer " + TOKEN.toLowerCase(), "bearer " + TOKEN.toUpperCase(),
                        "Basic " + TOKEN, "Bearer " + TOKEN + "x", "Bearer  " + TOKEN, "Bearer\t" + TOKEN)
                : Arbitraries.just("Bearer " + TOKEN);
        return net.jqwik.api.Combinators.combine(method, params, query, contentType, body, auth, Arbitraries.integers().between(0, 9))
                .as((m, p, q, ct, b, a, async) -> new Hostile(kind, op, m, p, q, ct, b, a, async == 0));
    }

    private static Set<String> documented(String path) {
        Set<String> out = new java.util.HashSet<>();
        doc.get("paths").get(path).fieldNames().forEachRemaining(m -> out.add(m.toUpperCase()));
        return out;
    }

    private static Arbitrary<Param> param() {
        return Arbitraries.oneOf(Arbitraries.integers().between(0, 20).map(i -> new Param(Optional.empty(), i)),
                hostileText().map(t -> new Param(Optional.of(t), 0)));
    }

    private static Arbitrary<String> query(Operation op) {
        List<JsonNode> params = op.parameters("query");
        if (params.isEmpty()) {
            return Arbitraries.of("", "", "", "?purge=true", "?x=%00");
        }
        return Arbitraries.of(params).flatMap(p -> Arbitraries.oneOf(
                        Arbitraries.of("true", "false", "1", "yes", "", "-1", "1e308", "NaN", "default", "k8s", "vm", "24"),
                        hostileText())
                .map(v -> "?" + p.get("name").asText() + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)))
                .injectNull(0.3).map(q -> q == null ? "" : q);
    }

    /** Names an attacker or a careless operator would send. */
    static Arbitrary<String> hostileText() {
        return Arbitraries.oneOf(
                Arbitraries.of("", " ", ".", "..", "../..", "../../../../etc/passwd", "/etc/passwd", "/proc/self/environ", "templates",
                        ".trash", ".tmp-x", ".tmp-", "TEMPLATES", "a/b", "a\\b", "%2e%2e%2f", "..%2f..%2f", "-a", "a-", "a..b", "\u0000",
                        "a\u0000b", "\n", "a\r\nX-Injected: 1", "ünïcödé", "😀", "\u202etxt.exe", "\ufeffa", "a".repeat(63),
                        "a".repeat(64), "b".repeat(300), "k8s", "vm", "ubuntu22", "null", "true", "1e9", "-1", "default",
                        "k8s-server-1", "vm-server-1", "not-an-image.qcow2", "${jndi:ldap://x/a}", "'; DROP TABLE allocations; --",
                        "<script>alert(1)</script>", "pvc-1", "data"),
                Arbitraries.strings().all().ofMaxLength(40),
                Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('-').ofMinLength(1).ofMaxLength(20));
    }

    private static Arbitrary<String> hostileNumber() {
        return Arbitraries.oneOf(
                Arbitraries.of("-1", "0", "-0", "1", "2", "10", "20", "1.5", "0.0000001", "1e308", "-1e308", "1e400", "-1e400",
                        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "99999999999999999999999999",
                        "1500", "1501", "2147483648", "1e-400", "4.9e-324", "100000"),
                Arbitraries.integers().between(-5, 3000).map(String::valueOf),
                Arbitraries.doubles().map(d -> Double.isFinite(d) ? String.valueOf(d) : "1"));
    }

    /** A value of {@code schema}'s type, hostile but of the right type. */
    private static Arbitrary<String> value(JsonNode schema) {
        if (schema.has("oneOf")) {
            List<Arbitrary<String>> options = new ArrayList<>();
            schema.get("oneOf").forEach(s -> options.add(value(s)));
            return Arbitraries.oneOf(options);
        }
        if (schema.has("enum")) {
            List<String> values = new ArrayList<>();
            schema.get("enum").forEach(v -> values.add(quote(v.asText())));
            return Arbitraries.oneOf(Arbitraries.of(values), hostileText().map(HostileInputTest::quote));
        }
        Arbitrary<String> v = switch (schema.path("type").asText()) {
            case "string" -> Arbitraries.oneOf(hostileText(), hostileNumber(), Arbitraries.of("100Gi", "1.5T", "-1Gi", "1e400T", "50",
                    "0x10", "1 TB", "Infinity", "NaN")).map(HostileInputTest::quote);
            case "number", "integer" -> hostileNumber();
            case "boolean" -> Arbitraries.of("true", "false");
            default -> wrongType();
        };
        return schema.path("nullable").asBoolean() ? Arbitraries.oneOf(v, Arbitraries.just("null")) : v;
    }

    private static Arbitrary<String> wrongType() {
        return Arbitraries.of("null", "true", "false", "{}", "[]", "[1,2]", "{\"a\":1}", "\"\"", "\"x\"", "0", "-1", "1e400",
                "{\"$ref\":\"/etc/passwd\"}", "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", "\"\\u0000\"");
    }

    private static Arbitrary<byte[]> body(Kind kind, Operation op) {
        JsonNode schema = op.bodySchema();
        Arbitrary<String> fields = schema.isMissingNode() ? Arbitraries.just("{}") : object(schema, kind);
        Arbitrary<String> text = switch (kind) {
            case MALFORMED -> Arbitraries.oneOf(
                    fields.map(f -> f.substring(0, Math.max(0, f.length() - 1 - f.length() / 3))),
                    fields.map(f -> f + " {}"), fields.map(f -> f + ","), fields.map(f -> f.replace("\"", "'")),
                    fields.map(f -> f.replace(":", "")),
                    Arbitraries.of("", "{", "}", "[", "nul", "{pool: 1}", "{\"a\" \"b\"}", "\u0000", "\"just a string\"", "42", "[1]",
                            "{\"name\": \"\\ud800\"}", "{\"a\":1}{\"a\":1}", "NaN", "{\"size\": NaN}", "{\"size\": Infinity}",
                            "{\"size\": 0x10}", "{\"size\": 01}", "{\"name\": \"a\" /* comment */}", "\ufeff{}"),
                    Arbitraries.strings().all().ofMaxLength(200));
            case OVERSIZED -> Arbitraries.integers().between(65 * 1024, 3 * 1024 * 1024)
                    .map(n -> "{\"name\": \"" + "a".repeat(n) + "\"}");
            case DUPLICATE_KEYS -> fields.map(f -> f.length() > 2 && f.startsWith("{\"")
                    ? f.substring(0, f.length() - 1) + "," + f.substring(1)
                    : "{\"name\": \"a\", \"name\": \"b\"}");
            default -> schema.isMissingNode() && kind != Kind.WRONG_CONTENT_TYPE ? Arbitraries.just("") : fields;
        };
        Arbitrary<byte[]> bytes = text.map(t -> t.getBytes(StandardCharsets.UTF_8));
        if (kind == Kind.MALFORMED) {
            bytes = Arbitraries.oneOf(bytes, Arbitraries.bytes().array(byte[].class).ofMaxSize(300),
                    Arbitraries.just(new byte[] {'{', '"', 'n', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}));
        }
        return bytes;
    }

    /** A JSON object for {@code schema}: required fields mostly there, others sometimes, plus unknown ones now and then. */
    private static Arbitrary<String> object(JsonNode schema, Kind kind) {
        Set<String> required = new java.util.HashSet<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        List<Arbitrary<String>> members = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            Arbitrary<String> v = kind == Kind.WRONG_TYPES
                    ? Arbitraries.oneOf(value(p.getValue()), wrongType(), wrongType())
                    : value(p.getValue());
            members.add(v.map(x -> quote(p.getKey()) + ": " + x).injectNull(required.contains(p.getKey()) ? 0.05 : 0.5));
        }
        members.add(Arbitraries.of("\"unknown\": 1", "\"__proto__\": {}", "\"NAME\": \"x\"").injectNull(0.9));
        return net.jqwik.api.Combinators.combine(members).as(list ->
                "{" + String.join(", ", list.stream().filter(java.util.Objects::nonNull).toList()) + "}");
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- sending and checking

    private static HttpResponse<String> send(Hostile r, StateSnapshot now) throws Exception {
        String path = r.op.path;
        for (Param p : r.pathParams) {
            String value = p.text().orElseGet(() -> existing(now, r.op.path, p.existing()));
            path = path.replaceFirst("\\{[^}]+}", URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path + r.query)).timeout(Duration.ofSeconds(60))
                .method(r.method, r.method.equals("HEAD") || r.method.equals("TRACE") && r.body.length == 0
                        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(r.body));
        if (!r.contentType.isEmpty()) {
            b.header("Content-Type", r.contentType);
        }
        if (!r.authorization.isEmpty()) {
            b.header("Authorization", r.authorization);
        }
        if (r.async) {
            b.header("Prefer", "respond-async");
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Paths of this machine in a body, leaving out the documented {@code path} fields and what the request itself sent. */
    private static List<String> hostPathsIn(String body, Hostile request) throws IOException {
        String text;
        try {
            JsonNode tree = JSON.readTree(body);
            withoutPathFields(tree);
            text = tree.toString();
        } catch (IOException notJson) {
            text = body;
        }
        String sent = request.toString() + java.net.URLDecoder.decode(request.query, StandardCharsets.UTF_8);
        List<String> found = new ArrayList<>();
        for (String host : List.of(data.toString(), data.getParent().toString() + "/", System.getProperty("user.dir"),
                System.getProperty("java.home"), System.getProperty("user.home") + "/", "/etc/", "/proc/", "/usr/", "/var/", "/root/")) {
            if (text.contains(host) && !sent.contains(host)) {
                found.add(host);
            }
        }
        return found;
    }

    private static void withoutPathFields(JsonNode node) {
        if (node instanceof ObjectNode o) {
            o.remove(List.of("path", "disk_path"));
            o.forEach(HostileInputTest::withoutPathFields);
        } else if (node.isArray()) {
            node.forEach(HostileInputTest::withoutPathFields);
        }
    }

    private static JsonNode get(String path) throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static void awaitOperations() {
        Awaitility.await("long operations finished").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
                .until(() -> get("/api/v1/operations").get("operations").findValuesAsText("state").stream().noneMatch("running"::equals));
    }

    /** The n-th id (round robin) of what exists for a route's path parameter. */
    private static String existing(StateSnapshot now, String route, int n) {
        List<String> ids = new ArrayList<>();
        if (route.startsWith("/api/v1/vms/")) {
            now.vmList().forEach(v -> ids.add(v.get("id").asText()));
        } else if (route.startsWith("/api/v1/volumes/")) {
            now.volumeList().forEach(v -> ids.add(v.get("id").asText()));
        } else if (route.startsWith("/api/v1/servers/")) {
            ids.addAll(List.of("k8s-server-1", "vm-server-2", "extra-" + n));
        } else if (route.startsWith("/api/v1/templates/")) {
            now.templateList().forEach(t -> ids.add(t.get("name").asText()));
        } else if (route.startsWith("/api/v1/pools/")) {
            ids.addAll(List.of("k8s", "vm"));
        }
        return ids.isEmpty() ? "none-" + n : ids.get(n % ids.size());
    }
}
