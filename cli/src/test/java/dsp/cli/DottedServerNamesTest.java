package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.standalone.StandaloneServer;
import dsp.core.model.PoolCatalog;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Servers named like Kubernetes nodes usually are (FQDNs: {@code ip-10-0-0-1.ec2.internal}) are
 * servers like any other in standalone mode: through the API, the CLI, the status and on disk.
 */
class DottedServerNamesTest {

    @TempDir
    Path data;

    @Test
    void aServerNamedLikeAnFqdnJoinsAPoolHoldsVolumesAndSurvivesARestart() throws Exception {
        try (StandaloneServer server = new StandaloneServer(PoolCatalog.guideDefaults(), data, Clock.systemUTC())) {
            Http http = new Http("http://127.0.0.1:" + server.start("127.0.0.1", 0));
            assertThat(http.get("/api/v1/pools/status").json().at("/k8s_pool/servers").asInt()).isZero();

            Http.Reply put = http.put("/api/v1/servers/a.b.c", "{\"pool\": \"k8s\"}");
            assertThat(put.status()).as(put.body()).isEqualTo(201);
            assertThat(put.json().get("name").asText()).isEqualTo("a.b.c");
            assertThat(http.get("/api/v1/servers/a.b.c").json().get("pool").asText()).isEqualTo("k8s");
            JsonNode status = http.get("/api/v1/pools/status").json();
            assertThat(status.at("/k8s_pool/servers").asInt()).isEqualTo(1);
            assertThat(status.at("/k8s_pool/total_capacity_gb").asInt()).isEqualTo(1500);

            Http.Reply volume = http.post("/api/v1/volumes", "{\"name\": \"data\", \"pool\": \"k8s\", \"size\": 100}");
            assertThat(volume.status()).as(volume.body()).isEqualTo(201);
            assertThat(volume.json().get("node").asText()).isEqualTo("a.b.c");
            assertThat(Path.of(volume.json().get("path").asText()))
                    .isEqualTo(data.resolve("servers/a.b.c/k8s-storage-pool/data").toAbsolutePath().normalize())
                    .isDirectory();

            assertThat(poolctl("servers", "set-pool", "ip-10-0-0-1.ec2.internal", "vm", "--server", http.base()))
                    .as("the CLI accepts a node FQDN").isZero();
            assertThat(Files.isDirectory(data.resolve("servers/ip-10-0-0-1.ec2.internal/vm-storage-pool"))).isTrue();

            // still no way out of the servers directory, and a clear 400 for what is not a node name
            for (String bad : new String[] {"a..b", ".hidden", "a.b.", "A.b"}) {
                Http.Reply refused = http.put("/api/v1/servers/" + bad, "{\"pool\": \"k8s\"}");
                assertThat(refused.status()).as(bad + ": " + refused.body()).isEqualTo(400);
                assertThat(refused.json().at("/error/message").asText()).contains("ip-10-0-0-1.ec2.internal");
            }
            assertThat(http.put("/api/v1/servers/%2E%2E", "{\"pool\": \"k8s\"}").status()).isBetween(400, 404);
            try (var listing = Files.list(data.resolve("servers"))) {
                assertThat(listing.map(p -> p.getFileName().toString()).sorted().toList())
                        .containsExactly("a.b.c", "ip-10-0-0-1.ec2.internal");
            }
        }
        try (StandaloneServer again = new StandaloneServer(PoolCatalog.guideDefaults(), data, Clock.systemUTC())) {
            Http http = new Http("http://127.0.0.1:" + again.start("127.0.0.1", 0));
            JsonNode status = http.get("/api/v1/pools/status").json();
            assertThat(status.at("/k8s_pool/servers").asInt()).isEqualTo(1);
            assertThat(status.at("/vm_pool/servers").asInt()).isEqualTo(1);
            assertThat(status.at("/k8s_pool/used_capacity_gb").asLong()).isEqualTo(100);
        }
    }

    private static int poolctl(String... args) {
        CommandLine cl = Poolctl.commandLine();
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        return cl.execute(args);
    }
}
