package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.standalone.StandaloneServer;
import dsp.config.PoolConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What a new operator sees in the first minutes of `make run`. */
class DemoFirstMinutesTest {

    @TempDir
    Path data;

    private record Run(int code, String out) {
    }

    private static Run poolctl(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = Poolctl.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        return new Run(cl.execute(args), out.toString());
    }

    @Test
    void aFreshDemoIsHealthyWithTheSharedDiskAsANote() {
        try (StandaloneServer server = new StandaloneServer(PoolConfig.Configuration.guideDefaults(), data, Clock.systemUTC(), true)) {
            server.seedDemoIfEmpty();
            String url = "http://127.0.0.1:" + server.start("127.0.0.1", 0);
            Http http = new Http(url);
            // the disks are measured in the background, after the API serves (a first pass takes a moment)
            await().atMost(Duration.ofSeconds(30)).until(() -> http.get("/api/v1/pools/health").json().path("notes").size() == 1);

            Run health = poolctl("health", "--server", url);
            assertThat(health.code()).as(health.out()).isZero();
            assertThat(health.out()).startsWith("status: healthy").contains("NOTE     demo: declared capacity exceeds the real disk")
                    .doesNotContain("WARNING");

            JsonNode h = http.get("/api/v1/pools/health").json();
            assertThat(h.get("status").asText()).isEqualTo("healthy");
            assertThat(h.get("warnings")).isEmpty();
            assertThat(h.get("notes")).hasSize(1);

            JsonNode servers = http.get("/api/v1/servers").json().get("servers");
            assertThat(servers).hasSize(4).allSatisfy(s -> {
                assertThat(s.at("/disk/required_gb").asInt()).isEqualTo(1800);
                assertThat(s.at("/disk/check").asText()).isEqualTo("shared too small");
                assertThat(s.at("/disk/filesystem_gb").asDouble()).isPositive();
            });
        }
    }

    @Test
    void everyJsonAnswerEndsWithANewlineErrorsToo() {
        try (StandaloneServer server = new StandaloneServer(PoolConfig.Configuration.guideDefaults(), data, Clock.systemUTC(), true)) {
            server.seedDemoIfEmpty();
            Http http = new Http("http://127.0.0.1:" + server.start("127.0.0.1", 0));
            for (String path : new String[] {"/api/v1/pools/status", "/api/v1/pools/health", "/api/v1/servers", "/api/v1/vms",
                    "/api/v1/history", "/api/v1/vms/nope", "/no/such/endpoint"}) {
                Http.Reply r = http.get(path);
                assertThat(r.json()).as(path + " answers JSON").isNotNull();
                assertThat(r.body()).as(path).endsWith("}\n");
            }
            assertThat(http.post("/api/v1/vms", "{not json").body()).endsWith("}\n");
        }
    }
}
