package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.standalone.StandaloneServer;
import dsp.core.model.PoolCatalog;
import dsp.testing.RequiredTool;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server drain in standalone mode for real: poolctl and the HTTP API on the SQLite store, the
 * servers' directories and the real qemu-img; and a server killed with SIGKILL mid-drain, whose
 * restart finishes or undoes the move that was under way.
 */
class DrainEndToEndTest {

    @TempDir
    Path data;

    /** Copies of the disks as they were before the drain, to compare with. */
    @TempDir
    Path snapshots;


    private static PoolctlRun poolctl(String... args) {
        return PoolctlRun.of(args);
    }

    @Test
    void poolctlDrainsAServerAndTheVmsReadTheirBytesOnTheOtherServer() throws Exception {
        RequiredTool.QEMU_IMG.require();
        try (StandaloneServer server = new StandaloneServer(PoolCatalog.guideDefaults(), data, Clock.systemUTC())) {
            server.seedDemoIfEmpty();
            server.ensureDemoTemplate();
            Http http = new Http("http://127.0.0.1:" + server.start("127.0.0.1", 0));
            Map<String, Path> moved = vmsWithDataOn(http, "vm-server-1", 2);

            PoolctlRun plan = poolctl("servers", "drain", "vm-server-1", "--dry-run", "--server", http.base());
            assertThat(plan.code()).as(plan.err()).isZero();
            assertThat(plan.out()).contains("move").contains("vm-server-2").contains("2 volume(s) would move, 0 would stay");
            for (String id : moved.keySet()) {
                assertThat(http.get("/api/v1/vms/" + id).json().get("node").asText()).as("a dry run moves nothing").isEqualTo("vm-server-1");
            }

            PoolctlRun drained = poolctl("servers", "drain", "vm-server-1", "--server", http.base());
            assertThat(drained.code()).as(drained.out() + drained.err()).isZero();
            assertThat(drained.out()).contains("2 volume(s) moved, 0 not moved");
            // which steps show depends on how quickly the moves end between two polls (500 ms); that they are shown: ServerDrainUseCaseTest
            assertThat(drained.err()).as("progress, as plain lines off a terminal").startsWith("drain: ").endsWith("drain: done\n");
            for (Map.Entry<String, Path> vm : moved.entrySet()) {
                JsonNode after = http.get("/api/v1/vms/" + vm.getKey()).json();
                assertThat(after.get("node").asText()).isEqualTo("vm-server-2");
                Path disk = Path.of(after.get("disk_path").asText());
                assertThat(disk).startsWith(data.resolve("servers/vm-server-2").toAbsolutePath());
                assertThat(compare(vm.getValue(), disk)).as("qemu-img compare before/after").isZero();
            }
            assertThat(http.get("/api/v1/pools/status").json().at("/vm_pool/used_capacity_gb").asInt()).as("cx11: 20 GB each, counted once")
                    .isEqualTo(40);

            // a VM whose image a process holds (as a running VM does) stays, and poolctl says why in one line
            String busy = vmsWithDataOn(http, "vm-server-2", 1).keySet().iterator().next();
            Path busyDisk = Path.of(http.get("/api/v1/vms/" + busy).json().get("disk_path").asText());
            Process running = holdLikeARunningVm(busyDisk);
            try {
                PoolctlRun refused = poolctl("servers", "drain", "vm-server-2", "--server", http.base());
                assertThat(refused.code()).isEqualTo(dsp.cli.client.CliFailure.REFUSED);
                // progress lines, then one line of why
                assertThat(refused.err().lines().filter(l -> l.startsWith("poolctl:"))).singleElement().asString()
                        .startsWith("poolctl: server vm-server-2 still holds 1 volume(s)").contains("is running").contains("image lock");
                assertThat(refused.err()).doesNotContain("Exception");
            } finally {
                running.destroy();
                running.waitFor(5, TimeUnit.SECONDS);
            }

            // the API directly: 202 and an operation; a bad name is a 400, an unknown server a 404
            Http.Reply accepted = postPreferAsync(http, "/api/v1/servers/vm-server-2/drain?dry_run=false");
            assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
            String op = accepted.json().get("href").asText();
            Awaitility.await("drain operation").atMost(Duration.ofSeconds(60))
                    .until(() -> !"running".equals(http.get(op).json().get("state").asText()));
            JsonNode result = http.get(op).json();
            assertThat(result.get("state").asText()).isEqualTo("succeeded");
            assertThat(result.at("/result/drained").asBoolean()).as(result.toString()).isTrue();
            assertThat(http.post("/api/v1/servers/a..b/drain", "{}").status()).isEqualTo(400);
            assertThat(http.post("/api/v1/servers/nowhere/drain?dry_run=true", "{}").status()).isEqualTo(404);
        }
    }

    /** Makes {@code count} VMs on {@code server} (the others of the vm pool leave it meanwhile), writes guest data, returns id -> snapshot. */
    private Map<String, Path> vmsWithDataOn(Http http, String server, int count) {
        List<String> others = new ArrayList<>();
        for (JsonNode s : http.get("/api/v1/servers").json().get("servers")) {
            if ("vm".equals(s.path("pool").asText()) && !s.get("name").asText().equals(server)) {
                others.add(s.get("name").asText());
            }
        }
        others.forEach(o -> assertThat(http.put("/api/v1/servers/" + o, "{\"pool\": null}").status()).isEqualTo(200));
        Map<String, Path> out = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            Http.Reply vm = http.post("/api/v1/vms", "{\"name\": \"" + server + "-vm-" + i + "-" + System.nanoTime() % 100000
                    + "\", \"image\": \"ubuntu22\", \"server_type\": \"cx11\"}");
            assertThat(vm.status()).as(vm.body()).isEqualTo(201);
            Path disk = Path.of(vm.json().get("disk_path").asText());
            run("qemu-io", "-f", "qcow2", "-c", "write -P 0x" + Integer.toHexString(0x10 + out.size()) + " 0 1M",
                    "-c", "write -P 0xee 9G 64k", disk.toString());
            Path snapshot = snapshots.resolve(vm.json().get("id").asText() + ".qcow2");
            run("cp", "--sparse=always", disk.toString(), snapshot.toString());
            out.put(vm.json().get("id").asText(), snapshot);
        }
        others.forEach(o -> assertThat(http.put("/api/v1/servers/" + o, "{\"pool\": \"vm\"}").status()).isEqualTo(200));
        return out;
    }

    @Test
    void killedMidDrainTheRestartFinishesOrUndoesTheMoveAndLosesNoByte() throws Exception {
        RequiredTool.QEMU_IMG.require();
        Map<String, Path> before;
        try (StandaloneProcess first = StandaloneProcess.start(data)) {
            Http http = first.http;
            before = vmsWithDataOn(http, "vm-server-1", 8);
            Http.Reply accepted = postPreferAsync(http, "/api/v1/servers/vm-server-1/drain");
            assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
            // kill while a move is under way (its records exist), once at least one has finished
            Awaitility.await("a move under way after one finished").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(2))
                    .until(() -> moveRecords() > 0 && http.get(accepted.json().get("href").asText()).json().at("/progress/done").asInt() >= 1);
            first.kill(); // SIGKILL
        }

        try (StandaloneProcess second = StandaloneProcess.start(data)) {
            Http http = second.http;
            assertThat(moveRecords()).as("start-up settled the move under way").isZero();
            assertConsistent(http, before);

            Http.Reply again = http.post("/api/v1/servers/vm-server-1/drain", "{}");
            assertThat(again.status()).as(again.body()).isEqualTo(200);
            assertThat(again.json().get("drained").asBoolean()).as(again.body()).isTrue();
            assertConsistent(http, before);
            assertThat(countOn(http, before, "vm-server-2")).isEqualTo(before.size());
        }
    }

    /** Every VM's disk is where its record says, once, with the bytes it had; nothing else on the disks; capacity counts it once. */
    private void assertConsistent(Http http, Map<String, Path> vms) throws IOException {
        Set<Path> recorded = new HashSet<>();
        long vmStorage = 0;
        for (Map.Entry<String, Path> vm : vms.entrySet()) {
            JsonNode view = http.get("/api/v1/vms/" + vm.getKey()).json();
            vmStorage += view.get("storage").asLong();
            Path disk = Path.of(view.get("disk_path").asText());
            assertThat(compare(vm.getValue(), disk)).as("VM " + vm.getKey() + " reads the bytes it had").isZero();
            recorded.add(disk);
        }
        Set<Path> onDisk = new HashSet<>();
        List<Path> leftovers = new ArrayList<>();
        try (Stream<Path> s = Files.walk(data.resolve("servers"))) {
            s.forEach(p -> {
                String n = p.getFileName().toString();
                if (n.startsWith(".tmp-")) {
                    leftovers.add(p);
                } else if (n.endsWith(".qcow2") && !p.getParent().getFileName().toString().equals("templates")) {
                    onDisk.add(p.toAbsolutePath());
                }
            });
        }
        assertThat(leftovers).as("half-made copies").isEmpty();
        assertThat(onDisk).as("one copy of each disk, and it is the recorded one").isEqualTo(recorded);
        long allocated = 0;
        for (JsonNode v : http.get("/api/v1/volumes").json().get("volumes")) {
            allocated += v.get("size_gb").asLong();
        }
        assertThat(allocated).as("each disk counted once").isEqualTo(vmStorage);
        assertThat(http.get("/api/v1/pools/status").json().at("/vm_pool/used_capacity_gb").asLong()).isEqualTo(allocated);
    }

    private static int countOn(Http http, Map<String, Path> vms, String server) {
        int n = 0;
        for (String id : vms.keySet()) {
            if (http.get("/api/v1/vms/" + id).json().get("node").asText().equals(server)) {
                n++;
            }
        }
        return n;
    }

    private long moveRecords() throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("pools.db"));
             Statement st = c.createStatement();
             ResultSet r = st.executeQuery("SELECT count(*) FROM allocations WHERE kind LIKE 'move-%'")) {
            return r.next() ? r.getLong(1) : 0;
        }
    }

    private static Http.Reply postPreferAsync(Http http, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(http.base() + path))
                .header("Content-Type", "application/json").header("Prefer", "respond-async")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        return new Http.Reply(r.statusCode(), new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()), r.body());
    }

    private static int compare(Path a, Path b) {
        try {
            Process p = new ProcessBuilder("qemu-img", "compare", "-q", "-U", "-f", "qcow2", "-F", "qcow2", a.toString(), b.toString())
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            return p.exitValue();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private Process holdLikeARunningVm(Path image) throws IOException {
        Path socket = data.resolveSibling(data.getFileName() + "-nbd.sock");
        Process nbd = new ProcessBuilder(RequiredTool.QEMU_NBD.require().toString(), "-f", "qcow2", "-k", socket.toString(), image.toString())
                .redirectErrorStream(true).start();
        Awaitility.await("qemu-nbd holding the image").atMost(Duration.ofSeconds(10)).until(() -> Files.exists(socket) || !nbd.isAlive());
        assertThat(nbd.isAlive()).isTrue();
        return nbd;
    }

    private static void run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
