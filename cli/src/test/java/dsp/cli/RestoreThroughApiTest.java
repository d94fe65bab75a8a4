package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.client.CliFailure;
import dsp.cli.standalone.StandaloneServer;
import dsp.config.PoolConfig;
import dsp.node.QemuImg;
import dsp.testing.RequiredTool;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /api/v1/restore} ({@code poolctl restore FILE --server URL}): a backup sent to a running
 * server that holds nothing gives the same pools, allocations, VMs and templates as the offline
 * restore; bad files are a 400 that changes nothing; a server that holds something is a 409 unless
 * forced, and forced, what it held is set aside, not deleted.
 */
class RestoreThroughApiTest {

    private static final String TOKEN = "restore-T0ken";
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path tmp;

    @Test
    void aBackupSentToAFreshServerGivesTheSameStateAndBadFilesChangeNothing() throws Exception {
        QemuImg qemu = new QemuImg(RequiredTool.QEMU_IMG.require().toString(), Duration.ofMinutes(1));
        Path config = tmp.resolve("pools.yaml");
        Files.copy(Path.of("..", "examples", "pools.yaml"), config);
        Path tokenFile = Files.writeString(tmp.resolve("token"), TOKEN);
        Path backup = tmp.resolve("full.zip");
        Map<String, JsonNode> before;
        Path originalData = tmp.resolve("original");
        Path webDisk;
        try (StandaloneServer server = new StandaloneServer(PoolConfig.load(config), originalData, Clock.systemUTC(), true)) {
            server.configuredFrom(config);
            server.seedDemoIfEmpty();
            server.ensureDemoTemplate();
            Http http = new Http("http://127.0.0.1:" + server.start("127.0.0.1", 0));
            webDisk = BackupRestoreTest.fillForBackup(http);
            before = BackupRestoreTest.state(http);
            PoolctlRun b = PoolctlRun.of("backup", backup.toString(), "--with-disks", "--server", http.base());
            assertThat(b.code()).as(b.err()).isZero();
        }

        Path data = tmp.resolve("fresh");
        try (StandaloneServer server = new StandaloneServer(PoolConfig.load(config), data, Clock.systemUTC(), true)) {
            server.seedDemoIfEmpty();
            server.ensureDemoTemplate();
            server.requireToken(Optional.of(TOKEN));
            Http http = new Http("http://127.0.0.1:" + server.start("127.0.0.1", 0));
            String url = http.base();
            StateSnapshot fresh = StateSnapshot.take(http, data);
            assertThat(BackupRestoreTest.state(http)).as("a fresh server is not yet the backup's").isNotEqualTo(before);

            // refusals: each answers JSON with why, and leaves records and files as they were
            byte[] whole = Files.readAllBytes(backup);
            refused(http, data, fresh, post(url, "/api/v1/restore", whole, "application/zip", null), 401, "unauthorized");
            refused(http, data, fresh, post(url, "/api/v1/restore", whole, "text/plain", TOKEN), 415, "unsupported_media_type");
            refused(http, data, fresh, post(url, "/api/v1/restore", Files.readAllBytes(config), "application/zip", TOKEN), 400,
                    "is not a whole backup");
            refused(http, data, fresh, post(url, "/api/v1/restore", Arrays.copyOf(whole, whole.length / 2), "application/zip", TOKEN), 400,
                    "is not a whole backup");
            refused(http, data, fresh, post(url, "/api/v1/restore", new byte[0], "application/zip", TOKEN), 400, "is not a whole backup");
            refused(http, data, fresh, post(url, "/api/v1/restore", damagedDisk(whole), "application/zip", TOKEN), 400, "is not a whole backup");
            refused(http, data, fresh, post(url, "/api/v1/restore", zip(Map.of("manifest.json",
                    "{\"format\": \"dynamic-storage-pools-backup\", \"version\": 2, \"mode\": \"standalone\"}")), "application/zip", TOKEN), 400,
                    "is not a version 1 Dynamic Storage Pools backup");
            refused(http, data, fresh, post(url, "/api/v1/restore", zip(Map.of("manifest.json",
                    "{\"format\": \"dynamic-storage-pools-backup\", \"version\": 1, \"mode\": \"kubernetes\"}")), "application/zip", TOKEN), 400,
                    "is a kubernetes backup");
            refused(http, data, fresh, post(url, "/api/v1/restore", zip(Map.of("manifest.json",
                    "{\"format\": \"dynamic-storage-pools-backup\", \"version\": 1, \"mode\": \"standalone\"}")), "application/zip", TOKEN), 400,
                    "holds no state");
            refused(http, data, fresh, post(url, "/api/v1/restore?force=maybe", whole, "application/zip", TOKEN), 400, "force must be true or false");
            PoolctlRun noToken = PoolctlRun.of("restore", backup.toString(), "--server", url);
            assertThat(noToken.code()).isEqualTo(CliFailure.REFUSED);
            assertThat(noToken.err()).isEqualTo("poolctl: the server needs a token for changes: set POOLCTL_TOKEN or give --token-file FILE (HTTP 401)\n");
            assertThat(StateSnapshot.take(http, data)).isEqualTo(fresh);

            // into the fresh server: the backup's servers, volumes, VMs and templates, the disks it holds
            PoolctlRun r = PoolctlRun.of("restore", backup.toString(), "--server", url, "--token-file", tokenFile.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).startsWith("restored into " + url + ": 5 servers, 3 volumes, 2 VMs, 1 templates, 2 VM disks; "
                    + "1 volume(s) made again without their data");
            assertThat(r.err()).as("progress, as plain lines off a terminal").contains("restore: ").endsWith("restore: done\n");
            assertThat(BackupRestoreTest.state(http)).isEqualTo(before);
            Path restoredWeb = data.resolve(originalData.relativize(webDisk));
            assertThat(qemu.sameContent(webDisk, "qcow2", restoredWeb, "qcow2")).as("the guest sees the same disk").isTrue();
            JsonNode op = http.get("/api/v1/operations").json().get("operations").get(0);
            assertThat(op.get("kind").asText()).isEqualTo("restore");
            assertThat(op.get("state").asText()).isEqualTo("succeeded");
            assertThat(op.at("/progress/total").asLong()).isPositive();
            assertThat(op.at("/progress/done").asLong()).isEqualTo(op.at("/progress/total").asLong());
            assertThat(op.at("/result/set_aside").isNull()).as("nothing was there to set aside").isTrue();
            assertThat(Files.readAllLines(data.resolve("audit.log"))).as("audited like any change")
                    .anyMatch(l -> l.contains("\"event\":\"end\"") && l.contains("\"path\":\"/api/v1/restore\"") && l.contains("\"status\":202"));
            try (Stream<Path> files = Files.list(data)) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("pre-restore-"));
            }
            assertThat(data.resolve("backups")).as("no upload is left behind").satisfiesAnyOf(
                    p -> assertThat(p).doesNotExist(), p -> assertThat(p).isEmptyDirectory());

            // now it holds something: refused, unchanged; forced, what it held is set aside and the backup restored again
            StateSnapshot restored = StateSnapshot.take(http, data);
            PoolctlRun again = PoolctlRun.of("restore", backup.toString(), "--server", url, "--token-file", tokenFile.toString());
            assertThat(again.code()).isEqualTo(CliFailure.REFUSED);
            assertThat(again.err()).startsWith("poolctl: this server is not empty (it holds 3 volume(s), 2 VM(s)").contains("force")
                    .contains("(HTTP 409)");
            assertThat(StateSnapshot.take(http, data)).isEqualTo(restored);
            PoolctlRun forced = PoolctlRun.of("restore", backup.toString(), "--server", url, "--token-file", tokenFile.toString(), "--force");
            assertThat(forced.code()).as(forced.err()).isZero();
            assertThat(forced.out()).contains("what the server held before is in pre-restore-");
            assertThat(BackupRestoreTest.state(http)).isEqualTo(before);
            Path aside;
            try (Stream<Path> files = Files.list(data)) {
                aside = files.filter(p -> p.getFileName().toString().startsWith("pre-restore-")).findFirst().orElseThrow();
            }
            assertThat(aside.resolve("pools.db")).as("the records of what was there").isRegularFile();
            assertThat(aside.resolve(data.relativize(restoredWeb))).as("the data of what was there").isRegularFile();
        }
    }

    /** A refusal: the status, a JSON error saying why, and nothing changed. */
    private static void refused(Http http, Path data, StateSnapshot before, HttpResponse<String> reply, int status, String why) {
        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(status);
        assertThat(reply.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(reply.body()).contains("\"error\"").contains(why).doesNotContain(data.toString()).doesNotContain("Exception");
        assertThat(StateSnapshot.take(http, data)).as("after " + status + " " + why).isEqualTo(before);
    }

    private static HttpResponse<String> post(String base, String path, byte[] body, String type, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", type)
                .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The backup with a byte of a VM disk's compressed data changed: its index is whole, that entry is not. */
    private static byte[] damagedDisk(byte[] whole) {
        byte[] damaged = whole.clone();
        byte[] name = "disks/".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < damaged.length - name.length; i++) {
            if (Arrays.equals(damaged, i, i + name.length, name, 0, name.length)) {
                damaged[i + 200] ^= 0x5a; // inside the first disk's data, past its local header
                return damaged;
            }
        }
        throw new AssertionError("no disk in the backup");
    }

    private static byte[] zip(Map<String, String> entries) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (var e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
