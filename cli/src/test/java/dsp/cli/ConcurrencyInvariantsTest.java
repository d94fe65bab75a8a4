package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.standalone.StandaloneServer;
import dsp.config.PoolConfig;
import dsp.testing.RequiredTool;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parallel clients mix VM and volume creates, resizes, deletes, relabels and cleanup against the
 * real standalone server for a bounded time; then every invariant must hold: no server oversold,
 * status sums equal to the records, every record with its data and every file with its record,
 * every disk passing {@code qemu-img check} at the size its record says. No answer is a 5xx.
 */
class ConcurrencyInvariantsTest {

    private static final int CLIENTS = 6;
    private static final Duration RUN = Duration.ofSeconds(20);

    @TempDir
    Path data;

    private final Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
    private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());

    @Test
    void parallelClientsNeverBreakAnInvariant() throws Exception {
        RequiredTool.QEMU_IMG.require();
        try (StandaloneServer server = new StandaloneServer(PoolConfig.Configuration.guideDefaults(), data, Clock.systemUTC())) {
            server.seedDemoIfEmpty();
            server.ensureDemoTemplate();
            Http http = new Http("http://127.0.0.1:" + server.start("127.0.0.1", 0));
            Process source = new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", data.resolve("imports/source.qcow2").toString(),
                    "8G").redirectErrorStream(true).start();
            assertThat(source.waitFor()).isZero();
            long deadline = System.nanoTime() + RUN.toNanos();
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                clients.add(pool.submit(() -> {
                    Random random = new Random(client);
                    int n = 0;
                    while (System.nanoTime() < deadline) {
                        step(http, random, client + "-" + n++);
                    }
                    return null;
                }));
            }
            for (Future<?> f : clients) {
                f.get(RUN.toSeconds() + 120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            int requests = answers.values().stream().mapToInt(AtomicInteger::get).sum();
            Invariants invariants = new Invariants(http, data).check();
            System.out.println("[suite] concurrency: " + CLIENTS + " clients for " + RUN.toSeconds() + " s sent " + requests
                    + " requests " + new TreeMap<>(answers) + "; " + invariants.checks() + " invariant checks held");
            assertThat(failures).as("answers that were 5xx or not the error shape").isEmpty();
            assertThat(requests).isGreaterThan(50);
        }
    }

    /** One random operation; records its answer. */
    private void step(Http http, Random random, String tag) {
        int pick = random.nextInt(100);
        Http.Reply r;
        String kind;
        if (pick < 22) {
            kind = "create-vm";
            List<String> images = http.get("/api/v1/templates").json().get("templates").findValuesAsText("name");
            r = http.post("/api/v1/vms", "{\"name\": \"vm-" + tag + "\", \"image\": \"" + (images.isEmpty() ? "ubuntu22" : images.get(random.nextInt(images.size())))
                    + "\", \"server_type\": \"cx11\", \"disk_format\": \""
                    + (random.nextInt(4) == 0 ? "raw" : "qcow2") + "\"}");
        } else if (pick < 40) {
            kind = "create-volume";
            r = http.post("/api/v1/volumes", "{\"name\": \"v-" + tag + "\", \"pool\": \"" + (random.nextBoolean() ? "k8s" : "vm")
                    + "\", \"size\": " + (1 + random.nextInt(80)) + "}");
        } else if (pick < 55) {
            kind = "resize";
            String vm = any(http, "/api/v1/vms", "vms", random);
            r = vm == null ? null : http.post("/api/v1/vms/" + vm + "/resize", "{\"new_size_gb\": " + (21 + random.nextInt(40)) + "}");
        } else if (pick < 70) {
            kind = "delete-vm";
            String vm = any(http, "/api/v1/vms", "vms", random);
            r = vm == null ? null : http.delete("/api/v1/vms/" + vm + (random.nextBoolean() ? "?purge=true" : ""));
        } else if (pick < 82) {
            kind = "delete-volume";
            String v = any(http, "/api/v1/volumes", "volumes", random);
            r = v == null ? null : http.delete("/api/v1/volumes/" + v + (random.nextBoolean() ? "?purge=true" : ""));
        } else if (pick < 92) {
            kind = "relabel";
            // servers move between pools of the same share, or an extra empty server comes and goes
            String[] demo = {"k8s-server-1", "k8s-server-2", "vm-server-1", "vm-server-2"};
            r = switch (random.nextInt(3)) {
                case 0 -> http.put("/api/v1/servers/" + demo[random.nextInt(4)], "{\"pool\": \"" + (random.nextBoolean() ? "k8s" : "vm") + "\"}");
                case 1 -> http.put("/api/v1/servers/extra-" + random.nextInt(3), "{\"pool\": \"" + (random.nextBoolean() ? "k8s" : "vm") + "\"}");
                default -> http.delete("/api/v1/servers/extra-" + random.nextInt(3));
            };
        } else if (pick < 95) {
            kind = "cleanup";
            r = http.post("/api/v1/cleanup" + (random.nextBoolean() ? "?dry_run=true" : ""), "");
        } else {
            // templates come and go while disks are made from them: a delete is refused while any disk uses one
            kind = "template";
            List<String> names = http.get("/api/v1/templates").json().get("templates").findValuesAsText("name");
            r = random.nextBoolean() || names.size() < 2
                    ? http.post("/api/v1/templates", "{\"name\": \"t-" + random.nextInt(4) + "\", \"source\": \"source.qcow2\"}")
                    : http.delete("/api/v1/templates/" + names.get(random.nextInt(names.size())));
        }
        if (r == null) {
            return;
        }
        answers.computeIfAbsent(kind + " " + r.status(), k -> new AtomicInteger()).incrementAndGet();
        if (r.status() >= 500 && !(r.status() == 507 && r.json() != null
                && r.json().at("/error/code").asText().equals("insufficient_capacity"))) {
            failures.add(kind + " -> " + r.status() + " " + r.body());
        } else if (r.status() >= 400 && (r.json() == null || r.json().at("/error/message").asText().isEmpty())) {
            failures.add(kind + " -> " + r.status() + " without an error body: " + r.body());
        }
    }

    private static String any(Http http, String path, String field, Random random) {
        JsonNode items = http.get(path).json().get(field);
        return items.isEmpty() ? null : items.get(random.nextInt(items.size())).get("id").asText();
    }
}
