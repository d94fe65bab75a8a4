package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.standalone.StandaloneServer;
import dsp.config.PoolConfig;
import dsp.testing.RequiredTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standalone server with its whole data dir (SQLite, audit log, templates, server directories)
 * on a small ext4 of its own, filled to several levels from the last byte to a few hundred KB free:
 * every write is either done or a clean 507 {@code disk_full} that changed nothing (API and files),
 * nothing is ever half-made, and once space is freed every write works again, also after a restart.
 */
class DiskFullTest {

    /** Bytes left free: none, then enough for the audit line but not the database, and so on up. */
    private static final long[] LEAVE = {0, 3_000, 12_000, 40_000, 150_000, 600_000};

    @TempDir
    Path dir;

    private Http http;
    private Path data;
    private int counter;
    private final Map<String, Integer> answers = new TreeMap<>();

    @Test
    void everyWriteOnAFullDiskIsDoneOrACleanRefusalAndAllWorksOnceSpaceIsFreed() throws Exception {
        RequiredTool.QEMU_IMG.require();
        if (!LoopDisk.runningAsRoot()) {
            String line = "SKIPPED DiskFullTest: mounting a small ext4 (mount -o loop) needs root; run make test as root";
            System.err.println(line);
            Assumptions.abort(line);
        }
        int invariantChecks = 0;
        int refusalsChecked = 0;
        try (LoopDisk disk = LoopDisk.mount(dir, 64)) {
            data = disk.root().resolve("data");
            StandaloneServer server = start();
            try {
                Path source = data.resolve("imports/source.qcow2");
                run("qemu-img", "create", "-q", "-f", "qcow2", source.toString(), "64M");
                run("qemu-io", "-c", "write -P 0x5a 0 1M", source.toString());
                Map<String, Function<StateSnapshot, Http.Reply>> writes = writes();
                for (long leave : LEAVE) {
                    stock(3);
                    disk.fill(leave);
                    for (Map.Entry<String, Function<StateSnapshot, Http.Reply>> w : writes.entrySet()) {
                        StateSnapshot before = StateSnapshot.take(http, data);
                        Http.Reply r = w.getValue().apply(before);
                        if (r == null) {
                            continue; // nothing to act on at this level
                        }
                        String what = w.getKey() + " with " + disk.free() + " bytes free -> " + r.status() + " " + r.body();
                        answers.merge(w.getKey() + " " + r.status(), 1, Integer::sum);
                        assertThat(r.status() < 300 || r.status() == 507 && r.json() != null
                                && r.json().at("/error/code").asText().equals("disk_full"))
                                .as("done, or a clean 507 disk_full: " + what).isTrue();
                        if (r.status() == 507) {
                            assertThat(r.body()).as(what).doesNotContain(data.toString()).doesNotContain("Exception").doesNotContain("java.");
                            assertThat(StateSnapshot.take(http, data)).as("nothing changed by the refused " + what).isEqualTo(before);
                            refusalsChecked++;
                        }
                        invariantChecks += new Invariants(http, data).check().checks();
                    }
                    disk.freeAll();
                }
                // every kind of write works again once there is room
                stock(2);
                for (Map.Entry<String, Function<StateSnapshot, Http.Reply>> w : writes.entrySet()) {
                    Http.Reply r = w.getValue().apply(StateSnapshot.take(http, data));
                    assertThat(r).as(w.getKey() + " has something to act on").isNotNull();
                    assertThat(r.status()).as("after space was freed: " + w.getKey() + " -> " + r.body()).isBetween(200, 299);
                }
                invariantChecks += new Invariants(http, data).check().checks();
            } finally {
                server.close();
            }
            // and a restart finds nothing to repair that the invariants would not allow
            server = start();
            try {
                invariantChecks += new Invariants(http, data).check().checks();
                assertThat(http.post("/api/v1/vms", vm("after-restart", "qcow2")).status()).isEqualTo(201);
            } finally {
                server.close();
            }
        }
        System.out.println("[suite] disk full: " + LEAVE.length + " fill levels on a 64 MB loop ext4, answers " + answers + "; "
                + refusalsChecked + " refusals left API and files unchanged; " + invariantChecks + " invariant checks held");
        assertThat(answers.keySet()).as("the disk really ran full").anyMatch(k -> k.endsWith(" 507"));
    }

    private StandaloneServer start() {
        StandaloneServer server = new StandaloneServer(PoolConfig.Configuration.guideDefaults(), data, Clock.systemUTC());
        server.seedDemoIfEmpty();
        server.ensureDemoTemplate();
        http = new Http("http://127.0.0.1:" + server.start("127.0.0.1", 0));
        return server;
    }

    /** Every kind of change the API makes, each choosing its target from the state before it. */
    private Map<String, Function<StateSnapshot, Http.Reply>> writes() {
        Map<String, Function<StateSnapshot, Http.Reply>> w = new LinkedHashMap<>();
        w.put("create-vm-qcow2", s -> http.post("/api/v1/vms", vm("q" + ++counter, "qcow2")));
        w.put("create-vm-raw", s -> http.post("/api/v1/vms", vm("r" + ++counter, "raw")));
        w.put("create-directory", s -> http.post("/api/v1/volumes", volume("d" + ++counter, "k8s", "directory")));
        w.put("create-qcow2", s -> http.post("/api/v1/volumes", volume("i" + ++counter, "vm", "qcow2")));
        w.put("create-raw", s -> http.post("/api/v1/volumes", volume("w" + ++counter, "k8s", "raw")));
        w.put("resize-vm", s -> first(s.vmList(), "id").map(id -> http.post("/api/v1/vms/" + id + "/resize",
                "{\"new_size_gb\": " + (30 + ++counter) + "}")).orElse(null));
        w.put("release-vm", s -> first(s.vmList(), "id").map(id -> http.delete("/api/v1/vms/" + id)).orElse(null));
        w.put("delete-vm", s -> first(s.vmList(), "id").map(id -> http.delete("/api/v1/vms/" + id + "?purge=true")).orElse(null));
        w.put("delete-volume", s -> unowned(s).map(id -> http.delete("/api/v1/volumes/" + id + "?purge=true")).orElse(null));
        w.put("add-server", s -> http.put("/api/v1/servers/extra-" + ++counter, "{\"pool\": \"k8s\"}"));
        w.put("relabel-server", s -> http.put("/api/v1/servers/k8s-server-2", "{\"pool\": \"" + (counter++ % 2 == 0 ? "vm" : "k8s") + "\"}"));
        w.put("remove-server", s -> first(s.serversNamed("extra-"), "name").map(n -> http.delete("/api/v1/servers/" + n)).orElse(null));
        w.put("import-template", s -> http.post("/api/v1/templates", "{\"name\": \"imp-" + ++counter + "\", \"source\": \"source.qcow2\"}"));
        w.put("cleanup", s -> http.post("/api/v1/cleanup", ""));
        return w;
    }

    /** Makes sure there are VMs and volumes to resize and delete (while there is room). */
    private void stock(int each) {
        StateSnapshot s = StateSnapshot.take(http, data);
        for (int i = s.vmList().size(); i < each; i++) {
            Http.Reply r = http.post("/api/v1/vms", vm("s" + ++counter, i % 2 == 0 ? "qcow2" : "raw"));
            assertThat(r.status()).as(r.body()).isEqualTo(201);
        }
        for (int i = (int) unownedCount(s); i < each; i++) {
            Http.Reply r = http.post("/api/v1/volumes", volume("v" + ++counter, "k8s", "directory"));
            assertThat(r.status()).as(r.body()).isEqualTo(201);
        }
    }

    private static String vm(String name, String format) {
        return "{\"name\": \"" + name + "\", \"image\": \"ubuntu22\", \"server_type\": \"cx11\", \"disk_format\": \"" + format + "\"}";
    }

    private static String volume(String name, String pool, String format) {
        return "{\"name\": \"" + name + "\", \"pool\": \"" + pool + "\", \"size\": 1, \"format\": \"" + format + "\"}";
    }

    private static java.util.Optional<String> first(JsonNode items, String field) {
        return items.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(items.get(0).get(field).asText());
    }

    private static java.util.Optional<String> unowned(StateSnapshot s) {
        for (JsonNode v : s.volumeList()) {
            if (v.get("owner").isNull()) {
                return java.util.Optional.of(v.get("id").asText());
            }
        }
        return java.util.Optional.empty();
    }

    private static long unownedCount(StateSnapshot s) {
        List<JsonNode> out = new ArrayList<>();
        s.volumeList().forEach(v -> {
            if (v.get("owner").isNull() && v.get("kind").asText().equals("volume")) {
                out.add(v);
            }
        });
        return out.size();
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }
}
