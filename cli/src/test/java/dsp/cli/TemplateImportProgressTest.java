package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.client.CliFailure;
import dsp.cli.standalone.StandaloneServer;
import dsp.config.PoolConfig;
import dsp.testing.RequiredTool;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A multi-GB template import runs as an operation: 202 at once, progress readable, poolctl shows it. */
class TemplateImportProgressTest {

    private static final long SIZE = 2_000_000_000L;

    @TempDir
    Path data;

    @Test
    void aTwoGigabyteImportShowsProgressAndARelativeNameMeansTheImportDirectory() throws Exception {
        RequiredTool.QEMU_IMG.require();
        try (StandaloneServer server = new StandaloneServer(PoolConfig.Configuration.guideDefaults(), data, Clock.systemUTC(), true)) {
            server.seedDemoIfEmpty();
            Http http = new Http("http://127.0.0.1:" + server.start("127.0.0.1", 0));
            try (RandomAccessFile f = new RandomAccessFile(data.resolve("imports").resolve("small.raw").toFile(), "rw")) {
                f.setLength(1_000_000);
            }
            try (RandomAccessFile f = new RandomAccessFile(data.resolve("imports").resolve("big.raw").toFile(), "rw")) {
                f.setLength(SIZE); // a thin 2 GB raw image: the copy still reads all 2 GB
                f.seek(SIZE / 2);
                f.write(new byte[] {1, 2, 3}); // and some data, which must arrive
            }

            // through the API: 202 and a Location at once
            Http.Reply accepted = http.postWithHeader("/api/v1/templates", "{\"name\": \"small\", \"source\": \"small.raw\"}",
                    "Prefer", "respond-async");
            assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
            assertThat(accepted.json().get("kind").asText()).isEqualTo("template_import");
            String href = accepted.json().get("href").asText();
            JsonNode small = await().atMost(Duration.ofSeconds(60)).until(() -> http.get(href).json(),
                    op -> !op.get("state").asText().equals("running"));
            assertThat(small.get("state").asText()).as(small.toString()).isEqualTo("succeeded");
            assertThat(small.at("/result/name").asText()).isEqualTo("small");

            // poolctl: plain progress lines off a terminal, the template at the end
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cl = Poolctl.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute("templates", "import", "big", "big.raw", "--server", http.base());
            assertThat(code).as(err.toString()).isZero();
            assertThat(err.toString()).contains("template import: ").endsWith("template import: done\n");
            assertThat(out.toString()).contains("big").contains("raw");
            JsonNode big = http.get("/api/v1/operations").json().get("operations").get(0);
            assertThat(big.get("target").asText()).isEqualTo("big");
            assertThat(big.at("/progress/done").asLong()).isEqualTo(SIZE);
            assertThat(big.at("/progress/total").asLong()).isEqualTo(SIZE);
            assertThat(big.at("/progress/percent").asDouble()).isEqualTo(100.0);
            java.nio.file.Path copy = data.resolve("templates").resolve("big.raw");
            assertThat(java.nio.file.Files.size(copy)).isEqualTo(SIZE);
            try (RandomAccessFile f = new RandomAccessFile(copy.toFile(), "r")) {
                f.seek(SIZE / 2);
                assertThat(new byte[] {f.readByte(), f.readByte(), f.readByte()}).containsExactly(1, 2, 3);
            }

            // a file that is not there: the error says where it must be
            cl = Poolctl.commandLine();
            StringWriter err2 = new StringWriter();
            cl.setErr(new PrintWriter(err2, true));
            cl.setOut(new PrintWriter(new StringWriter(), true));
            assertThat(cl.execute("templates", "import", "nope", "nope.qcow2", "--server", http.base())).isEqualTo(CliFailure.REFUSED);
            assertThat(err2.toString()).contains("the server's import directory (<data-dir>/imports)");

            // the first VM from a template on a server copies the template there: poolctl follows that copy too
            cl = Poolctl.commandLine();
            StringWriter vmErr = new StringWriter();
            cl.setErr(new PrintWriter(vmErr, true));
            cl.setOut(new PrintWriter(new StringWriter(), true));
            assertThat(cl.execute("vms", "create", "web", "--image", "small", "--server-type", "cx11", "--server", http.base()))
                    .as(vmErr.toString()).isZero();
            assertThat(vmErr.toString()).endsWith("vm create: done\n");
            JsonNode create = http.get("/api/v1/operations").json().get("operations").get(0);
            assertThat(create.get("kind").asText()).isEqualTo("vm_create");
            assertThat(create.get("target").asText()).isEqualTo("default/web");
            assertThat(create.at("/result/name").asText()).isEqualTo("web");
            assertThat(create.at("/progress/total").asLong()).as("the bytes of the template's copy").isEqualTo(java.nio.file.Files.size(data.resolve("templates").resolve("small.raw")));
            // a refused VM is refused at once, with no operation left behind
            int before = http.get("/api/v1/operations").json().get("operations").size();
            Http.Reply tooBig = http.postWithHeader("/api/v1/vms", "{\"name\": \"huge\", \"image\": \"small\", \"server_type\": \"cx11\", \"storage\": 9000}",
                    "Prefer", "respond-async");
            assertThat(tooBig.status()).as(tooBig.body()).isEqualTo(507);
            assertThat(http.get("/api/v1/operations").json().get("operations")).hasSize(before);

            // operations are counted when they end: the import that failed in the background is an error, not a 202 success
            String metrics = http.get("/metrics").body();
            assertThat(metrics).contains("dsp_operations_total{operation=\"template_import\",outcome=\"success\"} 2.0")
                    .contains("dsp_operation_errors_total{kind=\"invalid\",operation=\"template_import\"} 1.0")
                    .contains("dsp_operations_total{operation=\"vm_create\",outcome=\"success\"} 1.0")
                    .contains("dsp_vm_create_duration_seconds_count 1");
        }
    }

    @Test
    void theProgressBarShowsPercentAndBytes() {
        JsonNode p = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                .put("done", 1_500_000_000L).put("total", 3_000_000_000L).put("percent", 50.0).put("step", "copying ubuntu24.qcow2");
        assertThat(Progress.bar("template import", p))
                .isEqualTo("template import [###############...............]  50% 1.5 GB/3.0 GB copying ubuntu24.qcow2");
    }

    @Test
    void aKubernetesBackupsBarCountsObjects() {
        JsonNode p = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                .put("done", 150).put("total", 200).put("percent", 75.0).put("step", "restoring PoolVolumes");
        assertThat(Progress.bar("restore", p, Progress.Unit.OBJECTS))
                .isEqualTo("restore [#######################.......]  75% 150/200 objects restoring PoolVolumes");
    }
}
