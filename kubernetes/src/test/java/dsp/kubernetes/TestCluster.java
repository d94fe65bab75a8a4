package dsp.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * fabric8's mock API server in CRUD mode, with what it lacks for our tests: the discovery
 * endpoints the real kubectl needs, RFC 7386 merge patches that delete keys set to null (as
 * {@code kubectl label node X pool-} sends), and our CRDs created from {@code deploy/crds}.
 */
public final class TestCluster implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Tokens the test API server's authenticator knows. */
    public static final Map<String, String> TOKENS = Map.of("operator-token", "system:serviceaccount:ops:operator");

    public final KubernetesMockServer server;
    public final KubernetesClient client;
    private final Dispatcher dispatcher = new Dispatcher();

    public TestCluster() {
        this(true);
    }

    /** @param prepared create our CRDs and namespaces up front (false: an empty cluster, for the deploy script) */
    public TestCluster(boolean prepared) {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
        if (!prepared) {
            return;
        }
        for (Path crd : crdFiles()) {
            try (InputStream in = new FileInputStream(crd.toFile())) {
                client.apiextensions().v1().customResourceDefinitions().load(in).create();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(Names.NAMESPACE).endMetadata().build()).create();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build()).create();
    }

    public static List<Path> crdFiles() {
        Path dir = Path.of("..", "deploy", "crds");
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + dir.toAbsolutePath(), e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.getPort();
    }

    public Node addNode(String name, String pool) {
        NodeBuilder b = new NodeBuilder().withNewMetadata().withName(name).addToLabels(Names.HOSTNAME_LABEL, name).endMetadata();
        if (pool != null) {
            b.editMetadata().addToLabels(Names.POOL_LABEL, pool).endMetadata();
        }
        return client.nodes().resource(b.build()).create();
    }

    public void label(String node, String pool) {
        Conflicts.retry(() -> client.nodes().withName(node).edit(n -> {
            Map<String, String> labels = new HashMap<>(n.getMetadata().getLabels());
            if (pool == null) {
                labels.remove(Names.POOL_LABEL);
            } else {
                labels.put(Names.POOL_LABEL, pool);
            }
            n.getMetadata().setLabels(labels);
            return n;
        }));
    }

    /** Writes a kubeconfig pointing at this server, for kubectl and for `poolctl --kubeconfig`. */
    public Path kubeconfig(Path dir) throws IOException {
        Path f = dir.resolve("kubeconfig");
        Files.writeString(f, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster:
                    server: %s
                contexts:
                - name: mock
                  context:
                    cluster: mock
                    user: tester
                    namespace: default
                current-context: mock
                users:
                - name: tester
                  user:
                    token: test
                """.formatted(url()));
        return f;
    }

    /**
     * Puts objects straight into the store, as if created long ago, without a request each (the
     * store's create is a scan of everything in it: 200,000 creates through the API would take
     * hours). For bulk fixtures of benchmarks; do it before anything watches. {@code collection}
     * is the path objects of that kind are created at, e.g. {@code /api/v1/nodes}.
     */
    public void preload(String collection, Stream<? extends io.fabric8.kubernetes.api.model.HasMetadata> objects) {
        String created = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        objects.forEach(o -> {
            o.getMetadata().setUid(java.util.UUID.randomUUID().toString());
            o.getMetadata().setResourceVersion(Long.toString(dispatcher.requestResourceVersion()));
            o.getMetadata().setCreationTimestamp(created);
            dispatcher.handleCreate(collection, client.getKubernetesSerialization().asJson(o));
        });
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }

    /** The CRUD dispatcher plus discovery and proper merge patches. */
    private final class Dispatcher extends KubernetesCrudDispatcher {

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String path = request.getPath().split("\\?")[0];
            if (request.method() == HttpMethod.POST && path.equals("/apis/authentication.k8s.io/v1/tokenreviews")) {
                return tokenReview(request);
            }
            if (request.method() == HttpMethod.GET) {
                String discovery = Discovery.document(path, server.getPort());
                if (discovery != null) {
                    return new MockResponse().setResponseCode(200).addHeader("Content-Type", "application/json").setBody(discovery);
                }
                if (path.startsWith("/openapi")) {
                    return new MockResponse().setResponseCode(404).setBody("{}");
                }
                if (ServerSideTables.wants(path, request.getHeader("Accept"))) {
                    MockResponse list = super.dispatch(request);
                    return list.code() != 200 ? list : new MockResponse().setResponseCode(200).addHeader("Content-Type", "application/json")
                            .setBody(ServerSideTables.table(path, list.getBody().readUtf8()));
                }
            }
            return super.dispatch(request);
        }

        /** What the API server's authenticator does: a known token is a user, anything else is not. */
        private MockResponse tokenReview(RecordedRequest request) {
            try {
                ObjectNode review = (ObjectNode) JSON.readTree(request.getUtf8Body());
                String user = TOKENS.get(review.path("spec").path("token").asText());
                ObjectNode status = review.putObject("status");
                status.put("authenticated", user != null);
                if (user != null) {
                    status.putObject("user").put("username", user);
                }
                return new MockResponse().setResponseCode(201).addHeader("Content-Type", "application/json").setBody(JSON.writeValueAsString(review));
            } catch (IOException e) {
                return new MockResponse().setResponseCode(400).setBody("{}");
            }
        }

        @Override
        public MockResponse handlePatch(RecordedRequest request) {
            String type = request.getHeader("Content-Type");
            if (type == null || !type.startsWith("application/merge-patch+json")) {
                return super.handlePatch(request);
            }
            String path = request.getPath().split("\\?")[0];
            MockResponse current = handleGet(path);
            if (current.code() != 200) {
                return current;
            }
            try {
                JsonNode target = JSON.readTree(current.getBody().readUtf8());
                JsonNode patch = JSON.readTree(request.getUtf8Body());
                JsonNode merged = merge(target, patch);
                RecordedRequest put = new RecordedRequest("PUT " + path + " HTTP/1.1", HttpMethod.PUT, path,
                        Headers.builder().add("Content-Type", "application/json").build(),
                        new Buffer().writeUtf8(JSON.writeValueAsString(merged)));
                return handleUpdate(put);
            } catch (IOException e) {
                return new MockResponse().setResponseCode(400).setBody("{\"message\":\"bad patch\"}");
            }
        }

        /** RFC 7386: null deletes, objects merge, anything else replaces. */
        private JsonNode merge(JsonNode target, JsonNode patch) {
            if (!patch.isObject()) {
                return patch;
            }
            ObjectNode out = target != null && target.isObject() ? ((ObjectNode) target).deepCopy() : JSON.createObjectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isNull()) {
                    out.remove(e.getKey());
                } else {
                    out.set(e.getKey(), merge(out.get(e.getKey()), e.getValue()));
                }
            }
            return out;
        }
    }
}
