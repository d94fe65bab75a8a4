package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.node.QemuImg;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What must hold of a standalone server at rest, whatever happened before (races, kill -9, a full
 * disk): checked through the API, on the server directories and with qemu-img. Each check counts,
 * so the suites can print how many they made.
 */
final class Invariants {

    private static final Map<String, String> POOL_DIRS = Map.of("k8s", "k8s-storage-pool", "vm", "vm-storage-pool");

    private final Http http;
    private final Path data;
    private final QemuImg qemu = QemuImg.onPath();
    private final List<String> broken = new ArrayList<>();
    private int checks;

    Invariants(Http http, Path data) {
        this.http = http;
        this.data = data;
    }

    int checks() {
        return checks;
    }

    private void require(boolean ok, String what) {
        checks++;
        if (!ok) {
            broken.add(what);
        }
    }

    private static long bytes(JsonNode gb) {
        return new BigDecimal(gb.asText()).movePointRight(9).longValueExact();
    }

    /** Checks everything; throws one AssertionError listing every broken invariant. */
    Invariants check() throws IOException {
        JsonNode volumes = http.get("/api/v1/volumes").json().get("volumes");
        JsonNode vms = http.get("/api/v1/vms").json().get("vms");
        JsonNode servers = http.get("/api/v1/servers").json().get("servers");
        JsonNode status = http.get("/api/v1/pools/status").json();

        Map<String, JsonNode> vmById = new HashMap<>();
        vms.forEach(v -> vmById.put(v.get("id").asText(), v));
        Map<String, Long> byServer = new HashMap<>();
        Map<String, Long> byPool = new HashMap<>();
        Map<String, Integer> countByPool = new HashMap<>();
        Set<String> names = new HashSet<>();
        Set<Path> recordedEntries = new HashSet<>();
        for (JsonNode v : volumes) {
            String id = v.get("id").asText();
            String phase = v.get("phase").asText();
            long size = bytes(v.get("size_gb"));
            require(phase.equals("Ready") || phase.equals("Released"), "volume " + id + " is left " + phase);
            require(names.add(v.get("pool").asText() + "/" + v.get("name").asText()), "two volumes named " + v.get("name"));
            byServer.merge(v.get("node").asText(), size, Long::sum);
            byPool.merge(v.get("pool").asText(), size, Long::sum);
            countByPool.merge(v.get("pool").asText(), 1, Integer::sum);
            Path path = Path.of(v.get("path").asText());
            Path poolDir = data.resolve("servers").resolve(v.get("node").asText()).resolve(POOL_DIRS.get(v.get("pool").asText()));
            recordedEntries.add(poolDir.resolve(poolDir.relativize(path).getName(0)));
            require(Files.exists(path), "volume " + id + " has no data at " + path);
            if (!v.get("format").asText().equals("directory") && Files.exists(path)) {
                String format = v.get("format").asText();
                JsonNode info = qemu.info(path, format, true);
                require(info.get("virtual-size").asLong() == size, "disk " + id + " presents " + info.get("virtual-size")
                        + " bytes but its record says " + size);
                require(!format.equals("qcow2") || check(path, format), "qemu-img check fails on " + path);
                if (info.has("full-backing-filename")) {
                    require(Files.exists(Path.of(info.get("full-backing-filename").asText())), "backing file of " + id + " is gone");
                }
            }
            if (!v.get("owner").isNull()) {
                JsonNode vm = vmById.get(v.get("owner").asText());
                require(vm != null && vm.get("disk_id").asText().equals(id), "disk " + id + " belongs to a VM that is gone: " + v.get("owner"));
            }
        }
        Set<String> volumeIds = new HashSet<>(volumes.findValuesAsText("id"));
        Set<String> vmNames = new HashSet<>();
        for (JsonNode vm : vms) {
            require(volumeIds.contains(vm.get("disk_id").asText()), "VM " + vm.get("id") + " has no disk");
            require(vm.get("status").asText().equals("stopped"), "VM " + vm.get("id") + " is left " + vm.get("status"));
            require(vmNames.add(vm.get("namespace").asText() + "/" + vm.get("name").asText()), "two VMs named " + vm.get("name"));
        }
        Set<String> inPool = new HashSet<>();
        Map<String, Long> usedByPool = new HashMap<>();
        for (JsonNode s : servers) {
            String name = s.get("name").asText();
            long used = bytes(s.get("used_capacity_gb"));
            require(used == byServer.getOrDefault(name, 0L), "server " + name + " reports " + used + " allocated, records say "
                    + byServer.getOrDefault(name, 0L));
            if (!s.get("pool").isNull()) {
                inPool.add(name);
                usedByPool.merge(s.get("pool").asText(), used, Long::sum);
                require(used <= bytes(s.get("capacity_gb")), "server " + name + " is oversold: " + used + " > " + s.get("capacity_gb"));
            }
        }
        for (String pool : POOL_DIRS.keySet()) {
            JsonNode p = status.get(pool + "_pool");
            require(bytes(p.get("allocated_gb")) == byPool.getOrDefault(pool, 0L), "pool " + pool + " allocated_gb "
                    + p.get("allocated_gb") + " != records " + byPool.getOrDefault(pool, 0L));
            require(bytes(p.get("used_capacity_gb")) == usedByPool.getOrDefault(pool, 0L), "pool " + pool + " used_capacity_gb "
                    + p.get("used_capacity_gb") + " != its servers' " + usedByPool.getOrDefault(pool, 0L));
            require(p.get("volumes").asInt() == countByPool.getOrDefault(pool, 0), "pool " + pool + " counts " + p.get("volumes"));
        }
        // every file a record: each entry of a pool directory is some volume's, or the layout's own
        try (Stream<Path> serverDirs = Files.list(data.resolve("servers"))) {
            for (Path server : serverDirs.toList()) {
                for (String dir : POOL_DIRS.values()) {
                    Path poolDir = server.resolve(dir);
                    if (!Files.isDirectory(poolDir)) {
                        continue;
                    }
                    try (Stream<Path> entries = Files.list(poolDir)) {
                        for (Path e : entries.toList()) {
                            String n = e.getFileName().toString();
                            require(!n.startsWith(".tmp-"), "half-made " + e + " left behind");
                            if (!n.equals("templates") && !n.startsWith(".")) {
                                require(recordedEntries.contains(e), "data without a record: " + e);
                            }
                        }
                    }
                }
            }
        }
        if (!broken.isEmpty()) {
            throw new AssertionError(broken.size() + " invariant(s) broken:\n  " + String.join("\n  ", broken));
        }
        return this;
    }

    private static boolean check(Path image, String format) {
        try {
            Process p = new ProcessBuilder("qemu-img", "check", "-q", "-U", "-f", format, image.toString())
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
