package dsp.cli.kubernetes;

import static dsp.kubernetes.RunningRoles.FAST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dsp.core.model.PoolCatalog;
import dsp.kubernetes.agent.NodeAgent;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.crd.PoolTemplate;
import dsp.node.QemuImg;
import dsp.node.TemplateDownloader;
import dsp.testing.RequiredTool;
import dsp.kubernetes.Conflicts;
import dsp.kubernetes.TestCluster;
import dsp.kubernetes.RunningRoles;
import dsp.kubernetes.NodeAgents;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fresh cluster has no templates: one import by URL (a local HTTP server serving a qcow2 made
 * with qemu-img) and the guide's VM curl works; every vm node fetched its copy, k8s nodes did not,
 * a node that joins the vm pool later gets it by itself, and a wrong checksum is Failed on every node.
 */
class TemplatesByUrlTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path disks;

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<AutoCloseable> running = new ArrayList<>();
    private final QemuImg qemu = QemuImg.onPath();
    private TestCluster cluster;
    private HttpServer images;
    private String api;
    private byte[] image;
    /** GET requests per image path: how often the agents fetched each one. */
    private final java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> fetches = new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        RequiredTool.QEMU_IMG.require();
        Path made = disks.resolve("ubuntu22.qcow2");
        qemu.create(made, "qcow2", 10_000_000_000L, Optional.empty(), "qcow2");
        image = Files.readAllBytes(made);
        images = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        images.createContext("/images/", x -> {
            fetches.computeIfAbsent(x.getRequestURI().getPath(), k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
            x.sendResponseHeaders(200, image.length);
            try (OutputStream out = x.getResponseBody()) {
                out.write(image);
            }
        });
        images.start();
        cluster = new TestCluster();
        cluster.addNode("vm-1", "vm");
        cluster.addNode("vm-2", "vm");
        cluster.addNode("k8s-1", "k8s");
        for (String node : List.of("vm-1", "vm-2", "k8s-1")) {
            agent(node);
        }
        RunningRoles controller = ComposedRoles.start(cluster, Set.of(ControllerRuntime.Role.API, ControllerRuntime.Role.SCALING), FAST);
        running.add(controller);
        api = "http://127.0.0.1:" + controller.apiPort();
        await().atMost(Duration.ofSeconds(20)).until(controller::isAdmissionLeader);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (images != null) {
            images.stop(0);
        }
    }

    private NodeAgent agent(String node) {
        NodeAgent a = NodeAgents.start(cluster.clientAs(TestCluster.Workload.AGENT), node, disks.resolve(node), PoolCatalog.guideDefaults(), "vm", qemu,
                Clock.systemUTC(), Duration.ofMillis(300));
        running.add(a);
        return a;
    }

    private JsonNode call(String method, String path, String body, int expected) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + path)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(method + " " + path + " -> " + r.body()).isEqualTo(expected);
        return r.body().isBlank() ? null : JSON.readTree(r.body());
    }

    private String url() {
        return url("ubuntu22.qcow2");
    }

    private String url(String file) {
        return "http://127.0.0.1:" + images.getAddress().getPort() + "/images/" + file;
    }

    private Path templateOn(String node) {
        return disks.resolve(node).resolve("vm-storage-pool/templates/ubuntu22.qcow2");
    }

    @Test
    void oneImportByUrlAndTheGuidesVmCurlWorksOnAFreshCluster() throws Exception {
        String guideVm = """
                {"name": "test-vm", "image": "ubuntu22", "server_type": "cx21", "cpu": 2, "memory": 4, "storage": 50, "namespace": "default"}""";
        assertThat(call("GET", "/api/v1/templates", null, 200).get("templates")).isEmpty();
        call("POST", "/api/v1/vms", guideVm, 400);

        Path partial = disks.resolve("sha");
        Files.write(partial, image);
        String sha = TemplateDownloader.sha256(partial);
        JsonNode accepted = call("POST", "/api/v1/templates",
                "{\"name\": \"ubuntu22\", \"url\": \"" + url() + "\", \"sha256\": \"" + sha + "\"}", 202);
        assertThat(accepted.get("ready").asBoolean()).isFalse();
        call("POST", "/api/v1/templates", "{\"name\": \"ubuntu22\", \"url\": \"" + url() + "\", \"sha256\": \"" + sha + "\"}", 409);

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode imports = call("GET", "/api/v1/templates", null, 200).get("imports");
            assertThat(imports).as("imports").hasSize(1);
            assertThat(imports.get(0).path("ready").asBoolean()).as(imports.toString()).isTrue();
        });
        JsonNode listed = call("GET", "/api/v1/templates", null, 200);
        assertThat(listed.get("templates").get(0).get("name").asText()).isEqualTo("ubuntu22");
        assertThat(listed.get("imports").get(0).get("servers")).hasSize(2);
        assertThat(templateOn("vm-1")).exists();
        assertThat(templateOn("vm-2")).exists();
        assertThat(templateOn("k8s-1")).as("only vm-pool nodes hold templates").doesNotExist();
        assertThat(qemu.sameContent(disks.resolve("ubuntu22.qcow2"), "qcow2", templateOn("vm-1"), "qcow2")).isTrue();
        PoolTemplate recorded = cluster.client.resources(PoolTemplate.class).withName("ubuntu22").get();
        assertThat(recorded.getStatus().nodes).containsOnlyKeys("vm-1", "vm-2");

        JsonNode vm = call("POST", "/api/v1/vms", guideVm, 201);
        assertThat(vm.get("node").asText()).isIn("vm-1", "vm-2");

        // a node that joins the vm pool later fetches every template by itself
        cluster.addNode("vm-3", null);
        agent("vm-3");
        cluster.label("vm-3", "vm");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            var nodes = cluster.client.resources(PoolTemplate.class).withName("ubuntu22").get().getStatus().nodes;
            assertThat(nodes).containsKey("vm-3");
            assertThat(nodes.get("vm-3").phase).isEqualTo("Ready");
        });
        assertThat(templateOn("vm-3")).exists();
    }

    @Test
    void aWrongChecksumIsFailedOnEveryVmNodeAndBadInputIsA400() throws Exception {
        call("POST", "/api/v1/templates", "{\"name\": \"bad\", \"url\": \"" + url() + "\", \"sha256\": \"" + "0".repeat(64) + "\"}", 202);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode imports = call("GET", "/api/v1/templates", null, 200).get("imports");
            assertThat(imports).as("imports").hasSize(1);
            JsonNode servers = imports.get(0).get("servers");
            assertThat(servers.get("vm-1").asText()).startsWith("Failed: ").contains("not " + "0".repeat(64));
            assertThat(servers.get("vm-2").asText()).startsWith("Failed: ");
        });
        assertThat(call("GET", "/api/v1/templates", null, 200).get("templates")).isEmpty();
        JsonNode error = call("POST", "/api/v1/templates", "{\"name\": \"x\", \"url\": \"file:///etc/passwd\", \"sha256\": \"" + "a".repeat(64) + "\"}", 400);
        assertThat(error.at("/error/message").asText()).contains("http or https");
        call("POST", "/api/v1/templates", "{\"name\": \"x\", \"url\": \"" + url() + "\"}", 400);
        assertThat(cluster.client.resources(PoolTemplate.class).list().getItems()).hasSize(1);
    }

    @Test
    void aRefusedTemplateIsFetchedOncePerNodeAndNotAgainWhenItsNodeChanges() throws Exception {
        call("POST", "/api/v1/templates", "{\"name\": \"bad\", \"url\": \"" + url("bad.qcow2") + "\", \"sha256\": \"" + "0".repeat(64) + "\"}", 202);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode servers = call("GET", "/api/v1/templates", null, 200).get("imports").get(0).get("servers");
            assertThat(servers.get("vm-1").asText()).startsWith("Failed: ");
            assertThat(servers.get("vm-2").asText()).startsWith("Failed: ");
        });
        // the vm nodes' Node objects change, as they do all day (annotations, conditions, the agents' own disk reports)
        for (int i = 0; i < 5; i++) {
            for (String node : List.of("vm-1", "vm-2")) {
                String touch = Integer.toString(i);
                Conflicts.retry(() -> cluster.client.nodes().withName(node).edit(n -> {
                    n.getMetadata().setAnnotations(new java.util.HashMap<>(Optional.ofNullable(n.getMetadata().getAnnotations()).orElse(java.util.Map.of())));
                    n.getMetadata().getAnnotations().put("example.com/touched", touch);
                    return n;
                }));
            }
        }
        // each node's templates are handled one at a time in order: once a later template is ready on
        // both, whatever those Node changes queued before it has run
        Path good = disks.resolve("good");
        Files.write(good, image);
        call("POST", "/api/v1/templates", "{\"name\": \"good\", \"url\": \"" + url("good.qcow2") + "\", \"sha256\": \""
                + TemplateDownloader.sha256(good) + "\"}", 202);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode imports = call("GET", "/api/v1/templates", null, 200).get("imports");
            assertThat(imports).as("imports").hasSize(2);
            assertThat(imports.get(1).path("ready").asBoolean()).as(imports.toString()).isTrue();
        });
        assertThat(fetches.get("/images/bad.qcow2").get()).as("a refused image is fetched once per vm node, not retried").isEqualTo(2);
        JsonNode servers = call("GET", "/api/v1/templates", null, 200).get("imports").get(0).get("servers");
        assertThat(servers.get("vm-1").asText()).startsWith("Failed: ");
        assertThat(servers.get("vm-2").asText()).startsWith("Failed: ");

        // the checksum corrected in the PoolTemplate: a new source, fetched again on every vm node
        String right = TemplateDownloader.sha256(good);
        Conflicts.retry(() -> cluster.client.resources(PoolTemplate.class).withName("bad").edit(t -> {
            t.getSpec().sha256 = right;
            return t;
        }));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode imports = call("GET", "/api/v1/templates", null, 200).get("imports");
            assertThat(imports.get(0).path("ready").asBoolean()).as(imports.toString()).isTrue();
        });
        assertThat(fetches.get("/images/bad.qcow2").get()).isEqualTo(4);
    }
}
