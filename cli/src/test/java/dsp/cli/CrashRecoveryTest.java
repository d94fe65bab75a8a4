package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.testing.RequiredTool;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the standalone server with SIGKILL while VMs are being created, restarts it on the same
 * data dir, and checks that nothing is half-made, orphaned or leaked.
 */
class CrashRecoveryTest {

    @TempDir
    Path data;

    @Test
    void killedMidCreateLeavesNoOrphanFileAndNoLeakedAllocation() throws Exception {
        RequiredTool.QEMU_IMG.require();
        int port = freePort();
        Process first = startServer(port);
        Http http = new Http("http://127.0.0.1:" + port);
        List<CompletableFuture<Http.Reply>> inFlight = new ArrayList<>();
        long answeredBeforeKill;
        try {
            awaitReady(http, first);
            for (int i = 0; i < 120; i++) {
                inFlight.add(http.postAsync("/api/v1/vms", "{\"name\": \"crash-" + i + "\", \"image\": \"ubuntu22\", \"server_type\": \"cx11\"}"));
            }
            // kill as soon as some creates have finished, while others are mid-way
            Awaitility.await("5 creates answered").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                    .until(() -> inFlight.stream().filter(CompletableFuture::isDone).count() >= 5);
        } finally {
            first.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no shutdown hooks
        }
        answeredBeforeKill = inFlight.stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count();

        // the kill really interrupted work: requests went unanswered, and the store holds creates begun but not finished
        assertThat(first.isAlive()).isFalse();
        assertThat(answeredBeforeKill).as("answered before the kill").isBetween(5L, 119L);
        Awaitility.await("every unanswered request fails once the server is gone").atMost(Duration.ofSeconds(30))
                .until(() -> inFlight.stream().allMatch(CompletableFuture::isDone));
        assertThat(inFlight.stream().filter(CompletableFuture::isCompletedExceptionally).count())
                .as("requests cut off by the kill").isEqualTo(120 - answeredBeforeKill);
        assertThat(unfinishedCreates()).as("creates begun and not finished at the kill (Pending disks, VMs still creating)").isPositive();

        Process second = startServer(port);
        try {
            awaitReady(http, second);
            assertThat(unfinishedCreates()).as("converged at start-up").isZero();
            JsonNode volumes = http.get("/api/v1/volumes").json().get("volumes");
            JsonNode vms = http.get("/api/v1/vms").json().get("vms");
            Set<Path> recorded = new HashSet<>();
            long allocated = 0;
            for (JsonNode v : volumes) {
                assertThat(v.get("phase").asText()).as("no volume left Pending: " + v).isEqualTo("Ready");
                Path p = Path.of(v.get("path").asText());
                assertThat(p).as("every recorded disk exists").exists();
                recorded.add(p);
                allocated += v.get("size_gb").asLong();
            }
            assertThat(vms).hasSameSizeAs(volumes);
            for (JsonNode vm : vms) {
                assertThat(vm.get("status").asText()).isEqualTo("stopped");
            }
            Set<Path> onDisk = new HashSet<>();
            List<Path> leftovers = new ArrayList<>();
            try (Stream<Path> s = Files.walk(data.resolve("servers"))) {
                s.forEach(p -> {
                    String n = p.getFileName().toString();
                    if (n.startsWith(".tmp-")) {
                        leftovers.add(p);
                    } else if (n.endsWith(".qcow2") && !p.getParent().getFileName().toString().equals("templates")) {
                        onDisk.add(p);
                    }
                });
            }
            assertThat(leftovers).as("half-made files").isEmpty();
            assertThat(onDisk).as("every disk on a server is recorded, and every record has its disk").isEqualTo(recorded);
            assertThat(http.get("/api/v1/pools/status").json().at("/vm_pool/used_capacity_gb").asLong())
                    .as("allocated capacity equals the disks that exist").isEqualTo(allocated);
            // and it still works
            assertThat(http.post("/api/v1/vms", "{\"name\": \"after\", \"image\": \"ubuntu22\", \"server_type\": \"cx11\"}").status()).isEqualTo(201);
        } finally {
            second.destroy();
            second.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Process startServer(int port) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dsp.cli.Poolctl", "standalone",
                "--demo", "--host", "127.0.0.1", "--port", String.valueOf(port), "--data-dir", data.toString())
                .redirectErrorStream(true)
                .redirectOutput(data.resolveSibling(data.getFileName() + "-server.log").toFile())
                .start();
    }

    static void awaitReady(Http http, Process p) {
        Awaitility.await("server ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!p.isAlive()) {
                throw new IllegalStateException("server process exited early");
            }
            try {
                return http.get("/readyz").status() == 200;
            } catch (AssertionError notYet) {
                return false; // connection refused while starting
            }
        });
    }

    /** Rows of the standalone store that a create leaves only while it is under way. */
    private long unfinishedCreates() throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("pools.db"));
             Statement st = c.createStatement();
             ResultSet r = st.executeQuery("SELECT (SELECT count(*) FROM allocations WHERE lower(phase) = 'pending')"
                     + " + (SELECT count(*) FROM vms WHERE upper(status) = 'CREATING')")) {
            return r.next() ? r.getLong(1) : 0;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
