package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.testing.RequiredTool;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rounds of kill -9 at random moments against a separate {@code poolctl standalone}: clients create,
 * grow and delete VMs and volumes; after each restart every acknowledged operation has survived,
 * nothing acknowledged is undone, nothing is duplicated, and every invariant holds.
 */
class KillNineRoundsTest {

    private static final int ROUNDS = 5;
    private static final int CLIENTS = 4;

    @TempDir
    Path data;

    /** What the server acknowledged, and what is in doubt because its answer never came. */
    private static final class Acknowledged {
        final Map<String, Long> vms = new HashMap<>();        // id -> least size it must have
        final Map<String, Long> volumes = new HashMap<>();    // id -> size
        final Set<String> gone = new HashSet<>();             // acknowledged deleted: must never come back
        final Set<String> inDoubt = new HashSet<>();          // a delete was sent and not answered
        int acks;

        synchronized void created(Map<String, Long> into, String id, long size) {
            into.put(id, size);
            acks++;
        }

        synchronized void grown(String id, long size) {
            vms.computeIfPresent(id, (k, v) -> Math.max(v, size));
            acks++;
        }

        synchronized void deleted(String id) {
            vms.remove(id);
            volumes.remove(id);
            inDoubt.remove(id);
            gone.add(id);
            acks++;
        }

        synchronized void deleting(String id) {
            inDoubt.add(id);
        }

        synchronized int acks() {
            return acks;
        }
    }

    private final Acknowledged acked = new Acknowledged();
    private final AtomicInteger requests = new AtomicInteger();

    @Test
    void everyAcknowledgedOperationSurvivesKillNine() throws Exception {
        RequiredTool.QEMU_IMG.require();
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int checks = 0;
        List<Integer> killedAfter = new ArrayList<>();
        for (int round = 1; round <= ROUNDS; round++) {
            StandaloneProcess server = StandaloneProcess.start(data);
            try {
                checks += verify(server.http);
                int target = acked.acks() + 3 + random.nextInt(25);
                AtomicBoolean stop = new AtomicBoolean();
                ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
                List<Future<?>> clients = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    long clientSeed = random.nextLong();
                    String tag = round + "-" + c;
                    clients.add(pool.submit(() -> client(server.http, new Random(clientSeed), tag, stop)));
                }
                // a random moment: after a random number of acknowledged operations, with others in flight
                Awaitility.await("acknowledgements").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(2))
                        .until(() -> acked.acks() >= target);
                server.kill();
                killedAfter.add(acked.acks());
                stop.set(true);
                for (Future<?> f : clients) {
                    f.get(60, TimeUnit.SECONDS);
                }
                pool.shutdown();
            } finally {
                server.close();
            }
        }
        try (StandaloneProcess last = StandaloneProcess.start(data)) {
            checks += verify(last.http);
            checks += new Invariants(last.http, data).check().checks();
        }
        System.out.println("[suite] kill -9: " + ROUNDS + " rounds (seed " + seed + "), killed after " + killedAfter + " acknowledged operations; "
                + requests.get() + " requests sent; " + checks + " checks of acknowledged state and invariants held");
    }

    /** After a restart: what was acknowledged is there, what was acknowledged deleted is not, and the invariants hold. */
    private int verify(Http http) throws Exception {
        int checks = new Invariants(http, data).check().checks();
        Map<String, Long> vms = new HashMap<>();
        for (JsonNode vm : http.get("/api/v1/vms").json().get("vms")) {
            vms.put(vm.get("id").asText(), bytes(vm.get("storage")));
        }
        Map<String, Long> volumes = new HashMap<>();
        for (JsonNode v : http.get("/api/v1/volumes").json().get("volumes")) {
            if (v.get("owner").isNull()) { // a VM's disk is checked through its VM
                volumes.put(v.get("id").asText(), bytes(v.get("size_gb")));
            }
        }
        synchronized (acked) {
            for (Map.Entry<String, Long> vm : acked.vms.entrySet()) {
                if (!acked.inDoubt.contains(vm.getKey())) {
                    assertThat(vms).as("acknowledged VM " + vm.getKey()).containsKey(vm.getKey());
                    assertThat(vms.get(vm.getKey())).as("acknowledged size of " + vm.getKey()).isGreaterThanOrEqualTo(vm.getValue());
                    checks += 2;
                }
            }
            for (Map.Entry<String, Long> v : acked.volumes.entrySet()) {
                if (!acked.inDoubt.contains(v.getKey())) {
                    assertThat(volumes).as("acknowledged volume " + v.getKey()).containsEntry(v.getKey(), v.getValue());
                    checks++;
                }
            }
            for (String id : acked.gone) {
                assertThat(vms).as("acknowledged deleted").doesNotContainKey(id);
                assertThat(volumes).as("acknowledged deleted").doesNotContainKey(id);
                checks += 2;
            }
            // what was in doubt is now whatever the server says; from here on it counts as acknowledged
            for (String id : acked.inDoubt) {
                acked.vms.remove(id);
                acked.volumes.remove(id);
                if (vms.containsKey(id)) {
                    acked.vms.put(id, vms.get(id));
                }
                if (volumes.containsKey(id)) {
                    acked.volumes.put(id, volumes.get(id));
                }
            }
            acked.inDoubt.clear();
            vms.forEach(acked.vms::putIfAbsent);
            volumes.forEach(acked.volumes::putIfAbsent);
        }
        return checks;
    }

    private Object client(Http http, Random random, String tag, AtomicBoolean stop) {
        for (int n = 0; !stop.get(); n++) {
            String target = null;
            try {
                int pick = random.nextInt(10);
                if (pick < 3) {
                    JsonNode r = send(http.post("/api/v1/vms", "{\"name\": \"k-" + tag + "-" + n + "\", \"image\": \"ubuntu22\", "
                            + "\"server_type\": \"cx11\", \"disk_format\": \"" + (random.nextInt(3) == 0 ? "raw" : "qcow2") + "\"}"), 201);
                    if (r != null) {
                        acked.created(acked.vms, r.get("id").asText(), bytes(r.get("storage")));
                    }
                } else if (pick < 5) {
                    JsonNode r = send(http.post("/api/v1/volumes", "{\"name\": \"k-" + tag + "-" + n + "\", \"pool\": \"k8s\", \"size\": "
                            + (1 + random.nextInt(20)) + "}"), 201);
                    if (r != null) {
                        acked.created(acked.volumes, r.get("id").asText(), bytes(r.get("size_gb")));
                    }
                } else if (pick < 7) {
                    target = pick(http, "/api/v1/vms", "vms", random);
                    if (target != null) {
                        long size = 21 + random.nextInt(30);
                        if (send(http.post("/api/v1/vms/" + target + "/resize", "{\"new_size_gb\": " + size + "}"), 200) != null) {
                            acked.grown(target, size * 1_000_000_000L);
                        }
                    }
                } else if (pick < 9) {
                    target = pick(http, "/api/v1/vms", "vms", random);
                    if (target != null) {
                        acked.deleting(target);
                        if (send(http.delete("/api/v1/vms/" + target + "?purge=true"), 200) != null) {
                            acked.deleted(target);
                        }
                    }
                } else {
                    target = pick(http, "/api/v1/volumes", "volumes", random);
                    if (target != null) {
                        acked.deleting(target);
                        if (send(http.delete("/api/v1/volumes/" + target + "?purge=true"), 200) != null) {
                            acked.deleted(target);
                        }
                    }
                }
            } catch (AssertionError unanswered) {
                if (!stop.get() && unanswered.getMessage() != null && unanswered.getMessage().contains(" -> ")) {
                    throw unanswered; // a wrong answer, not a connection the kill cut
                }
                return null; // the server is gone; whatever was in flight is in doubt
            }
        }
        return null;
    }

    /** The body of an answer with the expected status; null for a refusal that is allowed (404/409/507); fails on a 5xx. */
    private JsonNode send(Http.Reply r, int expected) {
        requests.incrementAndGet();
        if (r.status() == expected) {
            return r.json();
        }
        if (r.status() == 404 || r.status() == 409 || r.status() == 507 && r.body().contains("insufficient_capacity")) {
            return null;
        }
        throw new AssertionError("unexpected answer -> " + r.status() + " " + r.body());
    }

    private String pick(Http http, String path, String field, Random random) {
        requests.incrementAndGet();
        JsonNode items = http.get(path).json().get(field);
        List<String> ids = new ArrayList<>();
        items.forEach(i -> {
            if (!field.equals("volumes") || i.get("owner").isNull()) {
                ids.add(i.get("id").asText());
            }
        });
        return ids.isEmpty() ? null : ids.get(random.nextInt(ids.size()));
    }

    private static long bytes(JsonNode gb) {
        return new BigDecimal(gb.asText()).movePointRight(9).longValueExact();
    }
}
