package dsp.kubernetes.strict;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The indexed store answers every request as fabric8's mock (which scans its whole store) does, and a
 * lookup tests only the objects with the request's name, or of its resource.
 */
class IndexedCrudDispatcherTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> NAMESPACES = List.of("a", "b", "c");

    @Test
    void answersEveryRequestAsTheMocksScanDoes() throws IOException {
        KubernetesCrudDispatcher scanning = new KubernetesCrudDispatcher();
        IndexedCrudDispatcher indexed = new IndexedCrudDispatcher();
        Random random = new Random(20261126);
        List<String> differences = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            RecordedRequest[] request = {null, null};
            String made = randomRequest(random, request);
            String a = answer(scanning.dispatch(request[0]));
            String b = answer(indexed.dispatch(request[1]));
            if (!a.equals(b)) {
                differences.add(made + "\n  mock:    " + a + "\n  indexed: " + b);
            }
        }
        assertThat(differences).isEmpty();
    }

    @Test
    void aLookupTestsOnlyTheObjectsWithTheRequestsNameOrOfItsResource() {
        IndexedCrudDispatcher indexed = new IndexedCrudDispatcher();
        for (int i = 0; i < 1000; i++) {
            indexed.dispatch(request(HttpMethod.POST, "/api/v1/namespaces/a/configmaps", configMap("cm-" + i, "a", "x", null)));
        }
        indexed.dispatch(request(HttpMethod.POST, "/api/v1/nodes", "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"}}"));

        long before = indexed.examined();
        assertThat(indexed.dispatch(request(HttpMethod.GET, "/api/v1/namespaces/a/configmaps/cm-500", null)).code()).isEqualTo(200);
        assertThat(indexed.dispatch(request(HttpMethod.POST, "/api/v1/namespaces/a/configmaps", configMap("cm-1000", "a", "x", null))).code())
                .isEqualTo(201);
        String updated = configMap("cm-7", "a", "y", null);
        assertThat(indexed.dispatch(request(HttpMethod.PUT, "/api/v1/namespaces/a/configmaps/cm-7", updated)).code()).isEqualTo(200);
        assertThat(indexed.dispatch(request(HttpMethod.DELETE, "/api/v1/namespaces/a/configmaps/cm-8", null)).code()).isEqualTo(200);
        assertThat(indexed.dispatch(request(HttpMethod.GET, "/api/v1/nodes", null)).code()).isEqualTo(200);
        // get (1), create's exists check (0), update (1), delete (1), the list of nodes (1): not the 1,000 ConfigMaps each
        assertThat(indexed.examined() - before).isEqualTo(4);
    }

    /** A random create, get, list, update, merge patch or delete of ConfigMaps (some with finalizers) and Nodes; the same request twice. */
    private static String randomRequest(Random random, RecordedRequest[] twice) {
        String ns = NAMESPACES.get(random.nextInt(NAMESPACES.size()));
        String name = "o-" + random.nextInt(40);
        String label = "l" + random.nextInt(3);
        boolean node = random.nextInt(5) == 0;
        String collection = node ? "/api/v1/nodes" : "/api/v1/namespaces/" + ns + "/configmaps";
        String object = collection + "/" + name;
        String body = node ? "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"l\":\"" + label + "\"}}}"
                : configMap(name, ns, label, random.nextInt(4) == 0 ? "example.com/keep" : null);
        HttpMethod method;
        String path;
        String content = null;
        String type = "application/json";
        switch (random.nextInt(8)) {
            case 0, 1 -> {
                method = HttpMethod.POST;
                path = collection;
                content = body;
            }
            case 2 -> {
                method = HttpMethod.GET;
                path = object;
            }
            case 3 -> {
                method = HttpMethod.GET;
                path = switch (random.nextInt(3)) {
                    case 0 -> collection;
                    case 1 -> node ? "/api/v1/nodes?labelSelector=l%3D" + label : "/api/v1/configmaps";
                    default -> collection + "?labelSelector=l%3D" + label;
                };
            }
            case 4 -> {
                method = HttpMethod.PUT;
                path = object;
                content = body;
            }
            case 5 -> {
                method = HttpMethod.PATCH;
                path = object;
                content = "{\"metadata\":{\"labels\":{\"l\":\"" + label + "\"},\"finalizers\":null}}";
                type = "application/merge-patch+json";
            }
            default -> {
                method = HttpMethod.DELETE;
                path = random.nextInt(6) == 0 ? collection : object;
            }
        }
        twice[0] = request(method, path, content, type);
        twice[1] = request(method, path, content, type);
        return method + " " + path + (content == null ? "" : " " + content);
    }

    private static String configMap(String name, String namespace, String label, String finalizer) {
        return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + namespace
                + "\",\"labels\":{\"l\":\"" + label + "\"}" + (finalizer == null ? "" : ",\"finalizers\":[\"" + finalizer + "\"]")
                + "},\"data\":{\"k\":\"" + label + "\"}}";
    }

    private static RecordedRequest request(HttpMethod method, String path, String body) {
        return request(method, path, body, "application/json");
    }

    private static RecordedRequest request(HttpMethod method, String path, String body, String type) {
        return new RecordedRequest("HTTP/1.1", method, path, Headers.builder().add("Content-Type", type).build(),
                new Buffer().writeUtf8(body == null ? "" : body));
    }

    /** The code and the body, without what is made up per object (uid) or read off the clock. */
    private static String answer(MockResponse r) throws IOException {
        Buffer body = r.getBody();
        String text = body == null ? "" : new String(body.getBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (text.isBlank()) {
            return r.code() + "";
        }
        JsonNode tree = JSON.readTree(text);
        withoutMadeUp(tree);
        for (JsonNode item : tree.path("items")) {
            withoutMadeUp(item);
        }
        return r.code() + " " + tree;
    }

    private static void withoutMadeUp(JsonNode object) {
        if (object.path("metadata") instanceof ObjectNode m) {
            m.remove(List.of("uid", "creationTimestamp", "deletionTimestamp"));
        }
    }
}
