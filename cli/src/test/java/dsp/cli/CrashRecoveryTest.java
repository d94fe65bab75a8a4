package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.testing.RequiredTool;
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
        StandaloneProcess first = StandaloneProcess.start(data);
        Http http = first.http;
        List<CompletableFuture<Http.Reply>> inFlight = new ArrayList<>();
        long answeredBeforeKill;
        try {
            for (int i = 0; i < 120; i++) {
                inFlight.add(http.postAsync("/api/v1/vms", "{\"name\": \"crash-" + i + "\", \"image\": \"ubuntu22\", \"server_type\": \"cx11\"}"));
            }
            // kill as soon as some creates have finished, while others are mid-way
            // (answered: a reply came back; a request that failed before the kill is not an answer, and is printed)
            Awaitility.await("5 creates answered").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                    .until(() -> inFlight.stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count() >= 5);
            inFlight.stream().filter(CompletableFuture::isCompletedExceptionally)
                    .forEach(f -> f.exceptionally(e -> {
                        System.out.println("a create failed before the kill: " + e);
                        return null;
                    }));
        } finally {
            first.kill(); // SIGKILL: no shutdown hooks
        }
        answeredBeforeKill = inFlight.stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count();

        // the kill really interrupted work: requests went unanswered, and the store holds creates begun but not finished
        assertThat(first.alive()).isFalse();
        assertThat(answeredBeforeKill).as("answered before the kill").isBetween(5L, 119L);
        Awaitility.await("every unanswered request fails once the server is gone").atMost(Duration.ofSeconds(30))
                .until(() -> inFlight.stream().allMatch(CompletableFuture::isDone));
        assertThat(inFlight.stream().filter(CompletableFuture::isCompletedExceptionally).count())
                .as("requests cut off by the kill").isEqualTo(120 - answeredBeforeKill);
        assertThat(unfinishedCreates()).as("creates begun and not finished at the kill (Pending disks, VMs still creating)").isPositive();

        try (StandaloneProcess second = StandaloneProcess.start(data)) {
            http = second.http;
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
        }
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
}
