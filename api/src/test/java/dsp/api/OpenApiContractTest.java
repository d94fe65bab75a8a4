package dsp.api;

import dsp.json.Json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dsp.core.usecase.CapacityAdmission;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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
            List<String> problems = new ArrayList<>();
            validate(reply.json(), content.get(type).get("schema"), "$", problems);
            assertThat(problems).as(method + " " + path + " " + reply.body()).isEmpty();
        }
    }

    private static JsonNode resolve(JsonNode node) {
        while (node.has("$ref")) {
            String[] parts = node.get("$ref").asText().substring(2).split("/");
            JsonNode n = doc;
            for (String p : parts) {
                n = n.get(p);
            }
            node = n;
        }
        return node;
    }

    /** A small JSON-schema check: the keywords this document uses, nothing more. */
    static void validate(JsonNode value, JsonNode schema, String at, List<String> problems) {
        schema = resolve(schema);
        if (value.isNull()) {
            if (!schema.path("nullable").asBoolean(false) && schema.has("type")) {
                problems.add(at + " is null but not nullable");
            }
            return;
        }
        if (schema.has("allOf")) {
            schema = mergeAllOf(schema);
        }
        if (schema.has("oneOf")) {
            boolean any = false;
            for (JsonNode s : schema.get("oneOf")) {
                List<String> p = new ArrayList<>();
                validate(value, s, at, p);
                any |= p.isEmpty();
            }
            if (!any) {
                problems.add(at + " matches none of oneOf");
            }
        }
        String type = schema.path("type").asText("");
        switch (type) {
            case "object" -> {
                if (!value.isObject()) {
                    problems.add(at + " is not an object");
                    return;
                }
                schema.path("required").forEach(r -> {
                    if (!value.has(r.asText())) {
                        problems.add(at + " lacks required " + r.asText());
                    }
                });
                JsonNode props = schema.path("properties");
                for (Iterator<String> it = value.fieldNames(); it.hasNext(); ) {
                    String f = it.next();
                    if (props.has(f)) {
                        validate(value.get(f), props.get(f), at + "." + f, problems);
                    } else if (schema.has("additionalProperties")) {
                        JsonNode ap = schema.get("additionalProperties");
                        if (ap.isBoolean() && !ap.asBoolean()) {
                            problems.add(at + "." + f + " is not allowed");
                        } else if (ap.isObject()) {
                            validate(value.get(f), ap, at + "." + f, problems);
                        }
                    } else {
                        problems.add(at + "." + f + " is not documented");
                    }
                }
            }
            case "array" -> {
                if (!value.isArray()) {
                    problems.add(at + " is not an array");
                    return;
                }
                for (int i = 0; i < value.size(); i++) {
                    validate(value.get(i), schema.get("items"), at + "[" + i + "]", problems);
                }
            }
            case "string" -> {
                if (!value.isTextual()) {
                    problems.add(at + " is not a string");
                } else if (schema.has("enum")) {
                    boolean ok = false;
                    for (JsonNode e : schema.get("enum")) {
                        ok |= e.asText().equals(value.asText());
                    }
                    if (!ok) {
                        problems.add(at + " '" + value.asText() + "' is not one of " + schema.get("enum"));
                    }
                }
            }
            case "integer" -> {
                if (!value.isIntegralNumber()) {
                    problems.add(at + " is not an integer");
                }
                minimum(value, schema, at, problems);
            }
            case "number" -> {
                if (!value.isNumber()) {
                    problems.add(at + " is not a number");
                }
                minimum(value, schema, at, problems);
            }
            case "boolean" -> {
                if (!value.isBoolean()) {
                    problems.add(at + " is not a boolean");
                }
            }
            default -> {
            }
        }
    }

    /** An allOf of object schemas is one object schema with all their properties and requirements. */
    private static JsonNode mergeAllOf(JsonNode schema) {
        com.fasterxml.jackson.databind.node.ObjectNode merged = Json.MAPPER.createObjectNode();
        merged.put("type", "object");
        com.fasterxml.jackson.databind.node.ArrayNode required = merged.putArray("required");
        com.fasterxml.jackson.databind.node.ObjectNode props = merged.putObject("properties");
        for (JsonNode part : schema.get("allOf")) {
            JsonNode r = resolve(part);
            r.path("required").forEach(required::add);
            r.path("properties").fields().forEachRemaining(e -> props.set(e.getKey(), e.getValue()));
        }
        return merged;
    }

    private static void minimum(JsonNode value, JsonNode schema, String at, List<String> problems) {
        if (schema.has("minimum") && value.isNumber() && value.asDouble() < schema.get("minimum").asDouble()) {
            problems.add(at + " is below " + schema.get("minimum"));
        }
    }
}
