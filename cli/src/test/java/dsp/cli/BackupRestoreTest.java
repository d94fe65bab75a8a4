package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.cli.client.CliFailure;
import dsp.cli.standalone.StandaloneServer;
import dsp.config.PoolConfig;
import dsp.node.QemuImg;
import dsp.testing.RequiredTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Standalone backup and restore, round trip: a restored data dir serves the same pools, allocations, VMs and templates. */
class BackupRestoreTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;


    private static PoolctlRun poolctl(String... args) {
        return PoolctlRun.of(args);
    }

    @Test
    void aBackupRestoredIntoAnEmptyDataDirGivesTheSamePoolsAllocationsAndVms() throws Exception {
        QemuImg qemu = new QemuImg(RequiredTool.QEMU_IMG.require().toString(), Duration.ofMinutes(1));
        Path original = tmp.resolve("original");
        Path config = tmp.resolve("pools.yaml");
        Files.copy(Path.of("..", "examples", "pools.yaml"), config);
        Map<String, JsonNode> before;
        Path webDisk;
        Path plain = tmp.resolve("plain.zip");
        Path full = tmp.resolve("full.zip");
        try (StandaloneServer server = new StandaloneServer(PoolConfig.load(config), original, Clock.systemUTC(), true)) {
            server.configuredFrom(config);
            server.seedDemoIfEmpty();
            server.ensureDemoTemplate();
            Http http = new Http("http://127.0.0.1:" + server.start("127.0.0.1", 0));
            String url = http.base();
            webDisk = fillForBackup(http);
            before = state(http);

            PoolctlRun b = poolctl("backup", plain.toString(), "--server", url);
            assertThat(b.code()).as(b.err()).isZero();
            assertThat(b.out()).startsWith("backup written to " + plain + ": 5 servers, 3 volumes, 2 VMs, 1 templates");
            assertThat(b.err()).as("progress, as plain lines off a terminal").contains("backup: ").contains("backup: done");
            assertThat(poolctl("backup", plain.toString(), "--server", url).code()).as("an existing FILE is not overwritten").isEqualTo(CliFailure.USAGE);
            PoolctlRun withDisks = poolctl("backup", full.toString(), "--with-disks", "--server", url);
            assertThat(withDisks.code()).as(withDisks.err()).isZero();
            assertThat(withDisks.out()).contains("2 VM disks");
            assertThat(original.resolve("backups")).as("the server keeps no copy once downloaded").isEmptyDirectory();
        }

        // into an empty data dir: the same state, VM disks made afresh from their template
        Path restored = tmp.resolve("restored");
        PoolctlRun r = poolctl("restore", plain.toString(), "--data-dir", restored.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("5 servers, 3 volumes, 2 VMs, 1 templates").contains("3 volume(s) made again without their data");
        assertThat(r.err()).as("progress, as plain lines off a terminal").contains("restore: restoring ")
                .contains("restore: making the disk of VM default/web again").contains("restore: copying template ubuntu22 to ").endsWith("restore: done\n");
        assertThat(restored.resolve("pools.yaml")).hasSameTextualContentAs(config);
        assertThat(sameStateAfterRestart(restored)).isEqualTo(before);

        // over a data dir that is not empty: refused, nothing touched; with --force the old one is moved aside
        PoolctlRun again = poolctl("restore", full.toString(), "--data-dir", restored.toString());
        assertThat(again.code()).isEqualTo(CliFailure.USAGE);
        assertThat(again.err()).startsWith("poolctl: the data dir " + restored + " is not empty (pools.db").contains("--force");
        assertThat(again.err().lines()).hasSize(1);
        PoolctlRun forced = poolctl("restore", full.toString(), "--data-dir", restored.toString(), "--force");
        assertThat(forced.code()).as(forced.err()).isZero();
        assertThat(forced.out()).contains("2 VM disks").contains("1 volume(s) made again").contains("pre-restore-");
        assertThat(forced.err()).contains("restore: placing the disk of VM shop/db").endsWith("restore: done\n");
        assertThat(sameStateAfterRestart(restored)).isEqualTo(before);
        Path restoredWeb = restored.resolve(original.relativize(webDisk));
        assertThat(qemu.info(restoredWeb, true).has("backing-filename")).as("a restored disk is flattened").isFalse();
        assertThat(qemu.sameContent(webDisk, "qcow2", restoredWeb, "qcow2")).as("the guest sees the same disk").isTrue();
        try (var aside = Files.list(restored)) {
            assertThat(aside.filter(p -> p.getFileName().toString().startsWith("pre-restore-"))).singleElement()
                    .satisfies(p -> assertThat(p.resolve("pools.db")).exists());
        }

        PoolctlRun notABackup = poolctl("restore", config.toString(), "--data-dir", tmp.resolve("other").toString());
        assertThat(notABackup.code()).isEqualTo(CliFailure.USAGE);
        assertThat(notABackup.err()).contains("is not a readable zip file");
    }

    @Test
    void aRunningVmsDiskIsRefusedWithDisksAndTheBackupSaysWhichVm() throws Exception {
        RequiredTool.QEMU_IMG.require();
        Path nbdTool = RequiredTool.QEMU_NBD.require();
        try (StandaloneServer server = new StandaloneServer(PoolConfig.Configuration.guideDefaults(), tmp.resolve("d"), Clock.systemUTC(), true)) {
            server.seedDemoIfEmpty();
            server.ensureDemoTemplate();
            Http http = new Http("http://127.0.0.1:" + server.start("127.0.0.1", 0));
            JsonNode vm = http.post("/api/v1/vms", "{\"name\": \"busy\", \"image\": \"ubuntu22\", \"server_type\": \"cx11\"}").json();
            Path socket = tmp.resolve("nbd.sock");
            // qemu-nbd holds the image's write lock the way a running VM does
            Process nbd = new ProcessBuilder(nbdTool.toString(), "-f", "qcow2", "-k", socket.toString(), vm.get("disk_path").asText())
                    .redirectErrorStream(true).start();
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(socket) || !nbd.isAlive());
                assertThat(nbd.isAlive()).isTrue();
                PoolctlRun refused = poolctl("backup", tmp.resolve("b.zip").toString(), "--with-disks", "--server", http.base());
                assertThat(refused.code()).isEqualTo(CliFailure.REFUSED);
                assertThat(refused.err()).contains("poolctl: VM default/busy is running (its disk image is locked)");
                assertThat(tmp.resolve("b.zip")).doesNotExist();
                assertThat(poolctl("backup", tmp.resolve("b.zip").toString(), "--server", http.base()).code())
                        .as("without its disk the backup is fine").isZero();
            } finally {
                nbd.destroy();
                nbd.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Starts a server on the restored dir the way poolctl standalone does, and reads its state. */
    private Map<String, JsonNode> sameStateAfterRestart(Path dataDir) {
        try (StandaloneServer server = new StandaloneServer(PoolConfig.load(dataDir.resolve("pools.yaml")), dataDir, Clock.systemUTC(), true)) {
            return state(new Http("http://127.0.0.1:" + server.start("127.0.0.1", 0)));
        }
    }

    /**
     * What the round trips back up: a server in its own pool, a moved server with its own capacity, two VMs
     * (one in another namespace) and a volume. Returns the web VM's disk.
     */
    static Path fillForBackup(Http http) {
        assertThat(http.put("/api/v1/servers/backup-1", "{\"pool\": \"backup\"}").status()).isEqualTo(201);
        assertThat(http.put("/api/v1/servers/k8s-server-2", "{\"pool\": \"vm\", \"capacity\": \"2T\"}").status()).isEqualTo(200);
        JsonNode web = http.post("/api/v1/vms", "{\"name\": \"web\", \"image\": \"ubuntu22\", \"server_type\": \"cx21\", \"storage\": 60}").json();
        assertThat(http.post("/api/v1/vms", "{\"name\": \"db\", \"namespace\": \"shop\", \"image\": \"ubuntu22\", \"server_type\": \"cx31\"}")
                .status()).isEqualTo(201);
        assertThat(http.post("/api/v1/volumes", "{\"name\": \"app-data\", \"pool\": \"k8s\", \"size\": \"100Gi\"}").status()).isEqualTo(201);
        return Path.of(web.get("disk_path").asText());
    }

    /** What must survive a restore: allocated figures, servers, volumes, VMs, templates (not measured bytes or paths' roots). */
    static Map<String, JsonNode> state(Http http) {
        Map<String, JsonNode> s = new TreeMap<>();
        JsonNode status = http.get("/api/v1/pools/status").json().deepCopy();
        status.forEach(p -> {
            ((com.fasterxml.jackson.databind.node.ObjectNode) p).remove(List.of("measured_used_gb", "measured_usage_percentage", "measured_at", "health"));
        });
        ((com.fasterxml.jackson.databind.node.ObjectNode) status.get("system_reserve")).remove(List.of("used_capacity_gb", "available_capacity_gb",
                "usage_percentage", "measured_at"));
        s.put("status", status);
        s.put("servers", strip(http.get("/api/v1/servers").json().get("servers"), "disk", "created_at"));
        s.put("volumes", strip(http.get("/api/v1/volumes").json().get("volumes"), "path"));
        s.put("vms", strip(http.get("/api/v1/vms").json().get("vms"), "disk_path"));
        s.put("templates", strip(http.get("/api/v1/templates").json().get("templates"), "file_size_gb"));
        return s;
    }

    private static JsonNode strip(JsonNode items, String... fields) {
        List<JsonNode> out = new ArrayList<>();
        items.forEach(i -> {
            com.fasterxml.jackson.databind.node.ObjectNode o = i.deepCopy();
            o.remove(List.of(fields));
            out.add(o);
        });
        return JSON.valueToTree(out);
    }
}
