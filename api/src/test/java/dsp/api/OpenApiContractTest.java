package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import dsp.core.usecase.CapacityAdmission;
import dsp.json.Json;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every route the API registers is in {@code /openapi.yaml} and every documented operation is
 * served; real responses validate against the documented schemas.
 */
class OpenApiContractTest {

    private static ApiHarness h;
    private static JsonNode doc;

    @BeforeAll
    static void start() throws Exception {
        h = new ApiHarness();
        ApiHarness.Reply r = h.get("/openapi.yaml");
        assertThat(r.status()).isEqualTo(200);
        doc = new ObjectMapper(new YAMLFactory()).readTree(r.body());
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @Test
    void documentIsOpenApi3() {
        assertThat(doc.get("openapi").asText()).startsWith("3.");
        assertThat(doc.get("paths").size()).isGreaterThan(5);
    }

    @Test
    void routesAndDocumentMatchBothWays() {
        Set<String> served = new TreeSet<>();
        for (RouteTable.Route r : h.api.routes()) {
            served.add(r.method().name().toLowerCase() + " " + r.path());
        }
        Set<String> documented = new TreeSet<>();
        for (Iterator<String> paths = doc.get("paths").fieldNames(); paths.hasNext(); ) {
            String path = paths.next();
            for (Iterator<String> ms = doc.get("paths").get(path).fieldNames(); ms.hasNext(); ) {
                String m = ms.next();
                if (Set.of("get", "put", "post", "delete", "patch").contains(m)) {
                    documented.add(m + " " + path);
                }
            }
        }
        assertThat(served).isEqualTo(documented);
    }

    @Test
    void responsesMatchTheirSchemas() {
        check("put", "/api/v1/servers/{name}", h.put("/api/v1/servers/k8s-1", "{\"pool\": \"k8s\"}"));
        check("put", "/api/v1/servers/{name}", h.put("/api/v1/servers/k8s-1", "{\"pool\": \"k8s\", \"capacity\": 2000}"));
        check("put", "/api/v1/servers/{name}", h.put("/api/v1/servers/vm-1", "{\"pool\": \"vm\"}"));
        check("put", "/api/v1/servers/{name}", h.put("/api/v1/servers/spare", "{\"pool\": null}"));
        h.admission.admit(new CapacityAdmission.Request("v", "k8s", 1_900_000_000_000L, "volume", Optional.empty()));
        check("get", "/api/v1/pools/status", h.get("/api/v1/pools/status"));
        check("get", "/api/v1/pools/health", h.get("/api/v1/pools/health"));
        check("get", "/api/v1/pools", h.get("/api/v1/pools"));
        check("get", "/api/v1/pools/{name}", h.get("/api/v1/pools/vm"));
        check("get", "/api/v1/pools/{name}", h.get("/api/v1/pools/nope"));
        check("get", "/api/v1/servers", h.get("/api/v1/servers"));
        check("get", "/api/v1/servers/{name}", h.get("/api/v1/servers/k8s-1"));
        check("get", "/api/v1/servers/{name}", h.get("/api/v1/servers/ghost"));
        check("get", "/api/v1/servers/{name}", h.get("/api/v1/servers/BAD"));
        check("put", "/api/v1/servers/{name}", h.put("/api/v1/servers/x", "{\"pool\": 3}"));
        check("delete", "/api/v1/servers/{name}", h.delete("/api/v1/servers/k8s-1"));
        check("delete", "/api/v1/servers/{name}", h.delete("/api/v1/servers/spare"));
        ApiHarness.Reply vm = h.post("/api/v1/vms", "{\"name\": \"test-vm\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", "
                + "\"cpu\": 2, \"memory\": 4, \"storage\": 50, \"namespace\": \"default\"}");
        assertThat(vm.status()).as(vm.body()).isEqualTo(201);
        check("post", "/api/v1/vms", vm);
        String id = vm.json().get("id").asText();
        check("post", "/api/v1/vms", h.post("/api/v1/vms", "{\"name\": \"x\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"cpu\": 8}"));
        check("post", "/api/v1/vms", h.post("/api/v1/vms", "{\"name\": \"huge\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"storage\": 90000}"));
        check("get", "/api/v1/vms", h.get("/api/v1/vms?namespace=default"));
        check("get", "/api/v1/vms/{vm_id}", h.get("/api/v1/vms/" + id));
        check("get", "/api/v1/vms/{vm_id}", h.get("/api/v1/vms/nope"));
        check("post", "/api/v1/vms/{vm_id}/resize", h.post("/api/v1/vms/" + id + "/resize", "{\"new_size_gb\": 100}"));
        check("post", "/api/v1/vms/{vm_id}/resize", h.post("/api/v1/vms/" + id + "/resize", "{\"new_size_gb\": 10}"));
        check("get", "/api/v1/server-types", h.get("/api/v1/server-types"));
        check("get", "/api/v1/dashboard", h.get("/api/v1/dashboard"));
        check("get", "/api/v1/history", h.get("/api/v1/history?hours=2"));
        check("get", "/api/v1/history", h.get("/api/v1/history?hours=never"));
        ApiHarness.Reply volume = h.post("/api/v1/volumes", "{\"name\": \"data\", \"pool\": \"k8s\", \"size\": \"50Gi\"}");
        assertThat(volume.status()).as(volume.body()).isEqualTo(201);
        check("post", "/api/v1/volumes", volume);
        check("post", "/api/v1/volumes", h.post("/api/v1/volumes", "{\"name\": \"data\", \"pool\": \"k8s\", \"size\": 1}"));
        check("get", "/api/v1/volumes", h.get("/api/v1/volumes"));
        check("get", "/api/v1/volumes/{id}", h.get("/api/v1/volumes/" + volume.json().get("id").asText()));
        check("delete", "/api/v1/volumes/{id}", h.delete("/api/v1/volumes/" + volume.json().get("id").asText()));
        check("get", "/api/v1/templates", h.get("/api/v1/templates"));
        check("get", "/api/v1/templates/{name}", h.get("/api/v1/templates/ubuntu22"));
        check("post", "/api/v1/templates/{name}/optimize", h.post("/api/v1/templates/ubuntu22/optimize", ""));
        check("post", "/api/v1/templates/{name}/optimize", h.post("/api/v1/templates/nope/optimize", ""));
        check("delete", "/api/v1/templates/{name}", h.delete("/api/v1/templates/ubuntu22"));
        check("post", "/api/v1/templates", h.post("/api/v1/templates", "{\"name\": \"t\", \"source\": \"/nonexistent\"}"));
        check("delete", "/api/v1/vms/{vm_id}", h.delete("/api/v1/vms/" + id));
        check("get", "/healthz", h.get("/healthz"));
        check("get", "/readyz", h.get("/readyz"));
        check("get", "/metrics", h.get("/metrics"));
        check("get", "/", h.get("/"));
        check("post", "/api/v1/servers/{name}/drain", h.post("/api/v1/servers/vm-1/drain?dry_run=true", ""));
        check("post", "/api/v1/servers/{name}/drain", h.post("/api/v1/servers/vm-1/drain", ""));
        check("post", "/api/v1/servers/{name}/drain", h.post("/api/v1/servers/ghost/drain", ""));
        check("post", "/api/v1/servers/{name}/drain", h.post("/api/v1/servers/a..b/drain", ""));
        check("post", "/api/v1/cleanup", h.post("/api/v1/cleanup?dry_run=true", ""));
        check("post", "/api/v1/cleanup", h.post("/api/v1/cleanup?dry_run=maybe", ""));
        // the critical pool shows in health with the pool named
        assertThat(h.get("/api/v1/pools/health").json().get("errors").get(0).asText()).startsWith("k8s_pool");
    }

    private static void check(String method, String path, ApiHarness.Reply reply) {
        JsonNode responses = doc.get("paths").get(path).get(method).get("responses");
        JsonNode response = responses.get(String.valueOf(reply.status()));
        assertThat(response).as(method + " " + path + " answered " + reply.status() + " which is not documented: " + reply.body()).isNotNull();
        response = resolve(response);
        JsonNode content = response.get("content");
        if (content == null) {
            assertThat(reply.body()).as("undocumented body").isEmpty();
            return;
        }
        String type = content.fieldNames().next();
        assertThat(reply.contentType()).as(method + " " + path).startsWith(type);
        if (type.equals("application/json")) {
            String pointer = "/paths/" + escape(path) + "/" + method + "/responses/" + reply.status() + "/content/" + escape(type) + "/schema";
            if (!responses.get(String.valueOf(reply.status())).has("content")) {
                // the response itself is a $ref to components/responses
                pointer = responses.get(String.valueOf(reply.status())).get("$ref").asText().substring(1) + "/content/" + escape(type) + "/schema";
            }
            assertThat(problems(reply.json(), pointer)).as(method + " " + path + " " + reply.body()).isEmpty();
        }
    }

    private static JsonNode resolve(JsonNode node) {
        while (node.has("$ref")) {
            node = doc.at(node.get("$ref").asText().substring(1));
        }
        return node;
    }

    // --- validation by a real JSON-schema validator (networknt, OpenAPI 3.0 dialect) ---

    private static final String DOCUMENT = "https://dsp.invalid/openapi.json";
    private static SchemaRegistry schemas;

    /** What the validator finds wrong with {@code value} against the schema at {@code pointer} in the document. */
    static List<String> problems(JsonNode value, String pointer) {
        if (schemas == null) {
            String closed = closed(doc.deepCopy()).toString();
            schemas = SchemaRegistry.withDialect(Dialects.getOpenApi30(), b -> b.schemas(Map.of(DOCUMENT, closed)));
        }
        Schema schema = schemas.getSchema(SchemaLocation.of(DOCUMENT + "#" + pointer));
        return schema.validate(value).stream().map(e -> e.getInstanceLocation() + ": " + e.getMessage()).toList();
    }

    /**
     * Our documents are closed: a response field that is not documented is an error. JSON Schema
     * leaves objects open by default, so every object schema that lists its properties gets
     * {@code additionalProperties: false} unless it says otherwise; an {@code allOf} of objects is
     * first flattened into one object, since a closed part would refuse its sibling's fields.
     */
    static JsonNode closed(JsonNode node) {
        if (node.isObject()) {
            ObjectNode o = (ObjectNode) node;
            if (o.has("allOf")) {
                ObjectNode flat = Json.MAPPER.createObjectNode().put("type", "object");
                ArrayNode required = flat.putArray("required");
                ObjectNode props = flat.putObject("properties");
                for (JsonNode part : o.get("allOf")) {
                    JsonNode r = part.has("$ref") ? doc.at(part.get("$ref").asText().substring(1)) : part;
                    r.path("required").forEach(required::add);
                    r.path("properties").fields().forEachRemaining(e -> props.set(e.getKey(), e.getValue().deepCopy()));
                }
                o.remove("allOf");
                o.setAll(flat);
            }
            if (o.has("properties") && !o.has("additionalProperties")) {
                o.put("additionalProperties", false);
            }
            o.fields().forEachRemaining(e -> closed(e.getValue()));
        } else if (node.isArray()) {
            node.forEach(OpenApiContractTest::closed);
        }
        return node;
    }

    private static String escape(String pointerToken) {
        return pointerToken.replace("~", "~0").replace("/", "~1");
    }

    @Test
    void theValidatorRefusesWhatTheDocumentDoesNotAllow() throws Exception {
        String status = "/components/schemas/PoolStatus";
        JsonNode good = Json.MAPPER.readTree("{\"servers\": 3, \"total_capacity_gb\": 4500, \"used_capacity_gb\": 1200,"
                + " \"available_capacity_gb\": 3300, \"usage_percentage\": 26.67, \"measured_used_gb\": 0,"
                + " \"measured_usage_percentage\": 0, \"allocated_gb\": 1200, \"volumes\": 1, \"stranded_volumes\": 0,"
                + " \"stranded_capacity_gb\": 0, \"health\": \"healthy\"}");
        assertThat(problems(good, status)).isEmpty();
        assertRefused(with(good, "servers", "\"three\""), status, "servers");
        assertRefused(with(good, "servers", "-1"), status, "servers");
        assertRefused(with(good, "health", "\"fine\""), status, "health");
        assertRefused(with(good, "surprise", "1"), status, "surprise");
        assertRefused(with(good, "health", "null"), status, "health");
        ObjectNode missing = good.deepCopy();
        missing.remove("total_capacity_gb");
        assertRefused(missing, status, "total_capacity_gb");
        // a field of either half of an allOf is documented; one of neither is not
        JsonNode detail = ((ObjectNode) good.deepCopy()).put("name", "k8s").put("label", "pool=k8s").put("path", "/k8s-storage-pool")
                .put("reclaim_policy", "Delete").put("share_per_server_gb", 1500).put("overcommit", 1).putNull("storage_class");
        assertThat(problems(detail, "/components/schemas/PoolDetail")).isEmpty();
        assertRefused(with(detail, "surprise", "1"), "/components/schemas/PoolDetail", "surprise");
        // formats are asserted, and maps keep to their value schema
        JsonNode health = Json.MAPPER.readTree("{\"status\": \"healthy\", \"pools\": {\"k8s_pool\": \"healthy\"},"
                + " \"warnings\": [], \"errors\": [], \"checked_at\": \"2026-11-25T19:00:00Z\"}");
        assertThat(problems(health, "/components/schemas/PoolHealth")).isEmpty();
        assertRefused(with(health, "checked_at", "\"yesterday\""), "/components/schemas/PoolHealth", "checked_at");
        assertRefused(with(health, "pools", "{\"k8s_pool\": \"fine\"}"), "/components/schemas/PoolHealth", "k8s_pool");
    }

    private static void assertRefused(JsonNode value, String pointer, String field) {
        assertThat(problems(value, pointer)).as(value.toString()).isNotEmpty().allSatisfy(p -> assertThat(p).contains(field));
    }

    private static JsonNode with(JsonNode base, String field, String json) throws Exception {
        return ((ObjectNode) base.deepCopy()).set(field, Json.MAPPER.readTree(json));
    }
}
