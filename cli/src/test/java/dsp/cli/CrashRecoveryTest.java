package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.node.QemuImg;
import dsp.testing.RequiredTool;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
        try {
            awaitReady(http, first);
            List<CompletableFuture<Http.Reply>> inFlight = new ArrayList<>();
            for (int i = 0; i < 120; i++) {
                inFlight.add(http.postAsync("/api/v1/vms", "{\"name\": \"crash-" + i + "\", \"image\": \"ubuntu22\", \"server_type\": \"cx11\"}"));
                if (i == 60) {
                    Thread.sleep(50);
                }
            }
            // kill as soon as some creates have finished, while others are mid-way
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (inFlight.stream().filter(CompletableFuture::isDone).count() < 5 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        } finally {
            first.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no shutdown hooks
        }

        Process second = startServer(port);
        try {
            awaitReady(http, second);
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

    private static void awaitReady(Http http, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            assertThat(p.isAlive()).as("server process exited early").isTrue();
            try {
                if (http.get("/readyz").status() == 200) {
                    return;
                }
            } catch (AssertionError notYet) {
                // connection refused while starting
            }
            Thread.sleep(100);
        }
        throw new AssertionError("server did not become ready");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
