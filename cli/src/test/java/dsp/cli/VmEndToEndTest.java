package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.standalone.StandaloneServer;
import dsp.node.QemuImg;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guide's VM API on the standalone server with the real qemu-img. */
class VmEndToEndTest {

    private static final String GUIDE_BODY = """
            {
              "name": "test-vm",
              "image": "ubuntu22",
              "server_type": "cx21",
              "cpu": 2,
              "memory": 4,
              "storage": 50,
              "namespace": "default"
            }""";

    @TempDir
    Path data;

    private StandaloneServer server;
    private Http http;
    private final QemuImg qemu = QemuImg.onPath();

    @BeforeEach
    void start() {
        DemoServer demo = DemoServer.start(data);
        server = demo.server();
        http = demo.http();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theGuidesCurlExampleMakesAQcow2OverlayOfUbuntu22AndResizeGrowsIt() {
        Http.Reply created = http.post("/api/v1/vms", GUIDE_BODY);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        JsonNode vm = created.json();
        assertThat(vm.get("name").asText()).isEqualTo("test-vm");
        assertThat(vm.get("namespace").asText()).isEqualTo("default");
        assertThat(vm.get("node").asText()).startsWith("vm-server-");
        assertThat(vm.get("cpu").asInt()).isEqualTo(2);
        assertThat(vm.get("memory").asInt()).isEqualTo(4);
        assertThat(vm.get("storage").asInt()).isEqualTo(50);
        assertThat(vm.get("disk_format").asText()).isEqualTo("qcow2");
        assertThat(vm.get("status").asText()).isEqualTo("stopped");
        assertThat(vm.get("created_at").asText()).isNotBlank();

        Path disk = Path.of(vm.get("disk_path").asText());
        assertThat(disk).startsWith(data.resolve("servers").resolve(vm.get("node").asText()).resolve("vm-storage-pool"));
        JsonNode info = qemu.info(disk, true);
        assertThat(info.get("format").asText()).isEqualTo("qcow2");
        assertThat(info.get("virtual-size").asLong()).isEqualTo(50_000_000_000L);
        assertThat(info.get("backing-filename").asText()).endsWith("/templates/ubuntu22.qcow2").startsWith("/");
        assertThat(info.get("backing-filename-format").asText()).isEqualTo("qcow2");
        assertThat(vmPool().get("used_capacity_gb").asInt()).isEqualTo(50);

        String id = vm.get("id").asText();
        Http.Reply grown = http.post("/api/v1/vms/" + id + "/resize", "{\"new_size_gb\": 100}");
        assertThat(grown.status()).as(grown.body()).isEqualTo(200);
        assertThat(grown.json().get("storage").asInt()).isEqualTo(100);
        assertThat(qemu.info(disk, true).get("virtual-size").asLong()).isEqualTo(100_000_000_000L);
        assertThat(vmPool().get("used_capacity_gb").asInt()).isEqualTo(100);

        assertThat(http.post("/api/v1/vms/" + id + "/resize", "{\"new_size_gb\": 100}").status()).isEqualTo(200);
        Http.Reply shrink = http.post("/api/v1/vms/" + id + "/resize", "{\"new_size_gb\": 60}");
        assertThat(shrink.status()).isEqualTo(409);
        assertThat(shrink.json().at("/error/message").asText()).contains("grow only");
        assertThat(qemu.info(disk, true).get("virtual-size").asLong()).isEqualTo(100_000_000_000L);
        Http.Reply tooBig = http.post("/api/v1/vms/" + id + "/resize", "{\"new_size_gb\": 2000}");
        assertThat(tooBig.status()).isEqualTo(507);
        assertThat(vmPool().get("used_capacity_gb").asInt()).isEqualTo(100);

        // the vm pool retains disks: deleting the VM keeps the image as a Released volume
        Http.Reply deleted = http.delete("/api/v1/vms/" + id);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json().at("/disk/result").asText()).isEqualTo("released");
        assertThat(disk).exists();
        assertThat(vmPool().get("used_capacity_gb").asInt()).isEqualTo(100);
        assertThat(http.delete("/api/v1/templates/ubuntu22").status()).as("template with a child").isEqualTo(409);
        String volumeId = deleted.json().at("/disk/id").asText();
        assertThat(http.get("/api/v1/volumes/" + volumeId).json().get("phase").asText()).isEqualTo("Released");
        assertThat(http.delete("/api/v1/volumes/" + volumeId).json().get("result").asText()).isEqualTo("deleted");
        assertThat(disk).doesNotExist();
        assertThat(vmPool().get("used_capacity_gb").asInt()).isEqualTo(0);
    }

    @Test
    void badVmRequestsAreClear4xxAndChangeNothing() {
        String[][] cases = {
                {"{\"name\": \"a\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"cpu\": 8}", "400", "contradicts"},
                {"{\"name\": \"a\", \"image\": \"ubuntu22\", \"server_type\": \"cx99\"}", "400", "server_type 'cx99' is unknown"},
                {"{\"name\": \"a\", \"image\": \"windows\", \"server_type\": \"cx21\"}", "400", "not a template"},
                {"{\"name\": \"a\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"storage\": 20}", "400", "smaller than the minimum"},
                {"{\"name\": \"../../etc\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\"}", "400", "invalid"},
                {"{\"name\": \"a\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"namespace\": \"../x\"}", "400", "namespace"},
                {"{\"name\": \"a\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"storage\": -5}", "400", "non-negative"},
                {"{\"name\": \"a\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"storage\": 1e15}", "400", "absurd"},
                {"{\"name\": \"a\", \"image\": \"ubuntu22\", \"cpu\": 2}", "400", "'memory' is required"},
                {"{\"name\": \"a\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"cpu\": \"two\"}", "400", "whole number"},
                {"{\"name\": \"a\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"storage\": 5000}", "507", "pool vm"},
                {"{\"image\": \"ubuntu22\"}", "400", "'name' is required"},
                {"not json", "400", "not valid JSON"}};
        for (String[] c : cases) {
            Http.Reply r = http.post("/api/v1/vms", c[0]);
            assertThat(r.status()).as(c[0] + " -> " + r.body()).isEqualTo(Integer.parseInt(c[1]));
            assertThat(r.json().at("/error/message").asText()).as(c[0]).contains(c[2]);
        }
        assertThat(http.get("/api/v1/vms").json().get("vms")).isEmpty();
        assertThat(http.get("/api/v1/volumes").json().get("volumes")).isEmpty();
        assertThat(vmPool().get("used_capacity_gb").asInt()).isZero();
        assertThat(http.post("/api/v1/vms/nope/resize", "{\"new_size_gb\": 100}").status()).isEqualTo(404);
        assertThat(http.delete("/api/v1/vms/nope").status()).isEqualTo(404);
        assertThat(http.post("/api/v1/vms", GUIDE_BODY).status()).isEqualTo(201);
        assertThat(http.post("/api/v1/vms", GUIDE_BODY).status()).as("same name, same namespace").isEqualTo(409);
    }

    @Test
    void twoHundredConcurrentCreatesNeverOversellTheVmPool() throws Exception {
        // 2 vm servers x 1500 GB; cx11 disks are 20 GB: exactly 150 fit
        List<CompletableFuture<Http.Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            replies.add(http.postAsync("/api/v1/vms", "{\"name\": \"vm-" + i + "\", \"image\": \"ubuntu22\", \"server_type\": \"cx11\"}"));
        }
        int created = 0;
        int refused = 0;
        for (CompletableFuture<Http.Reply> f : replies) {
            Http.Reply r = f.get();
            assertThat(r.status()).as(r.body()).isIn(201, 507);
            if (r.status() == 201) {
                created++;
            } else {
                refused++;
                assertThat(r.json().at("/error/message").asText()).contains("pool vm");
            }
        }
        assertThat(created).isEqualTo(150);
        assertThat(refused).isEqualTo(50);
        JsonNode vm = vmPool();
        assertThat(vm.get("used_capacity_gb").asInt()).isEqualTo(3000);
        assertThat(vm.get("available_capacity_gb").asInt()).isZero();
        assertThat(vm.get("health").asText()).isEqualTo("critical");
        assertThat(diskFiles()).hasSize(150);
        assertThat(http.get("/api/v1/pools/health").json().get("errors").get(0).asText()).startsWith("vm_pool");
    }

    @Test
    void rawDisksForKubeVirtAndDirectoryVolumes() {
        Http.Reply raw = http.post("/api/v1/vms", "{\"name\": \"kv\", \"image\": \"ubuntu22\", \"server_type\": \"cx11\", \"disk_format\": \"raw\"}");
        assertThat(raw.status()).as(raw.body()).isEqualTo(201);
        Path img = Path.of(raw.json().get("disk_path").asText());
        assertThat(img.getFileName().toString()).isEqualTo("disk.img");
        assertThat(qemu.info(img, true).get("format").asText()).isEqualTo("raw");
        assertThat(qemu.info(img, true).get("virtual-size").asLong()).isEqualTo(20_000_000_000L);

        Http.Reply vol = http.post("/api/v1/volumes", "{\"name\": \"app-data\", \"pool\": \"k8s\", \"size\": \"100Gi\"}");
        assertThat(vol.status()).as(vol.body()).isEqualTo(201);
        Path dir = Path.of(vol.json().get("path").asText());
        assertThat(dir).isDirectory();
        assertThat(http.get("/api/v1/pools/status").json().at("/k8s_pool/used_capacity_gb").asDouble()).isEqualTo(107.37);
        // k8s pool reclaims with Delete: the directory goes at once
        assertThat(http.delete("/api/v1/volumes/" + vol.json().get("id").asText()).json().get("result").asText()).isEqualTo("deleted");
        assertThat(dir).doesNotExist();
        assertThat(http.post("/api/v1/volumes", "{\"name\": \"x\", \"pool\": \"nope\", \"size\": 1}").status()).isEqualTo(404);
        assertThat(http.post("/api/v1/volumes", "{\"name\": \"x\", \"pool\": \"k8s\", \"size\": 0}").status()).isEqualTo(400);
    }

    @Test
    void cleanupMovesOrphansToTheTrashAndLeavesEveryDiskAlone() throws Exception {
        Http.Reply vm = http.post("/api/v1/vms", GUIDE_BODY);
        Path disk = Path.of(vm.json().get("disk_path").asText());
        Path k8sPool = data.resolve("servers/k8s-server-1/k8s-storage-pool");
        Files.createDirectories(k8sPool.resolve("forgotten"));
        Files.writeString(k8sPool.resolve("forgotten/app.log"), "old log");
        Files.writeString(disk.getParent().resolve("stray.qcow2"), "not a disk of ours");

        Http.Reply plan = http.post("/api/v1/cleanup?dry_run=true", "");
        assertThat(plan.status()).isEqualTo(200);
        assertThat(plan.json().get("count").asInt()).isEqualTo(2);
        assertThat(k8sPool.resolve("forgotten")).exists();

        PoolctlRun out = poolctl("cleanup");
        assertThat(out.code()).as(out.err()).isZero();
        assertThat(out.out()).contains("moved 2 entries");
        assertThat(out.err()).as("progress, as plain lines off a terminal (which server it is at: TemplateAndCleanupUseCaseTest)")
                .startsWith("cleanup: ").endsWith("cleanup: done\n");
        assertThat(http.get("/api/v1/operations").json().at("/operations/0/kind").asText()).as("it ran as an operation").isEqualTo("cleanup");
        assertThat(k8sPool.resolve("forgotten")).doesNotExist();
        try (Stream<Path> s = Files.walk(k8sPool.resolve(".trash"))) {
            assertThat(s.anyMatch(p -> p.endsWith("forgotten/app.log"))).isTrue();
        }
        assertThat(disk).exists();
        assertThat(disk.getParent().resolve("templates/ubuntu22.qcow2")).exists();
        assertThat(qemu.info(disk, true).get("virtual-size").asLong()).isEqualTo(50_000_000_000L);
        assertThat(http.post("/api/v1/cleanup", "").json().get("count").asInt()).isZero();
    }


    private PoolctlRun poolctl(String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 2);
        all[args.length] = "--server";
        all[args.length + 1] = http.base();
        return PoolctlRun.of(all);
    }

    private JsonNode vmPool() {
        return http.get("/api/v1/pools/status").json().get("vm_pool");
    }

    private List<Path> diskFiles() throws Exception {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(data.resolve("servers"))) {
            s.filter(p -> p.toString().endsWith(".qcow2") && !p.toString().contains("/templates/")).forEach(out::add);
        }
        return out;
    }
}
