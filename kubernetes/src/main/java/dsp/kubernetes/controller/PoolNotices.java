package dsp.kubernetes.controller;

import dsp.core.health.Health;
import dsp.core.health.PoolFigures;
import dsp.core.health.ServerFigures;
import dsp.core.model.Quantity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Events the scaling controller records, decided from what it saw last and sees now (no I/O):
 * servers joining, leaving or moving between pools, pools crossing their thresholds, volumes
 * becoming stranded, disks too small for the guide's prerequisite.
 */
final class PoolNotices {

    private PoolNotices() {
    }

    /** One Event: {@code warning} or normal, its reason and message. */
    record Notice(boolean warning, String reason, String message) {
    }

    /** A server whose pool label changed: {@code from} or {@code to} is empty when it was or is in no pool. */
    record ServerChange(String node, Optional<String> from, Optional<String> to) {
    }

    /**
     * The servers whose pool differs between two observations (node name to its pool): a server
     * new or changed, and a server gone that was in a pool. None the first time ({@code before} null).
     */
    static List<ServerChange> serverChanges(Map<String, Optional<String>> before, Map<String, Optional<String>> now) {
        List<ServerChange> changes = new ArrayList<>();
        if (before == null) {
            return changes;
        }
        for (Map.Entry<String, Optional<String>> e : now.entrySet()) {
            Optional<String> was = before.getOrDefault(e.getKey(), Optional.empty());
            if (!was.equals(e.getValue())) {
                changes.add(new ServerChange(e.getKey(), was, e.getValue()));
            }
        }
        for (Map.Entry<String, Optional<String>> e : before.entrySet()) {
            if (!now.containsKey(e.getKey()) && e.getValue().isPresent()) {
                changes.add(new ServerChange(e.getKey(), e.getValue(), Optional.empty()));
            }
        }
        return changes;
    }

    /** The Event on the Node of a server that changed pools; {@code share} is its share in words. */
    static Notice serverNotice(ServerChange c, String share) {
        if (c.from().isEmpty()) {
            return new Notice(false, "ServerJoinedPool", "node " + c.node() + " joined pool " + c.to().get() + " (+" + share + ")");
        }
        if (c.to().isEmpty()) {
            return new Notice(false, "ServerLeftPool", "node " + c.node() + " left pool " + c.from().get() + "; its data stays where it is");
        }
        return new Notice(false, "ServerMovedPool", "node " + c.node() + " moved from pool " + c.from().get() + " to pool " + c.to().get()
                + " (" + share + " moved); its data stays where it is");
    }

    /** The Event when a pool's health changed since the last pass ({@code before} null: first seen, none). */
    static Optional<Notice> thresholdNotice(Health before, PoolFigures p) {
        if (before == null || before == p.health()) {
            return Optional.empty();
        }
        String name = p.pool().name();
        String figures = "usage " + p.usagePercent() + "% allocated, " + p.measuredPercent() + "% measured";
        if (p.health() == Health.HEALTHY) {
            return Optional.of(new Notice(false, "PoolHealthy", "pool " + name + " is healthy again (" + figures + ")"));
        }
        return Optional.of(new Notice(true, p.health() == Health.CRITICAL ? "PoolCritical" : "PoolWarning",
                "pool " + name + " is " + p.health().display() + " (" + figures + ")"));
    }

    /** The Event when more of a pool's volumes are stranded than at the last pass ({@code before} null: none before). */
    static Optional<Notice> strandedNotice(Integer before, PoolFigures p) {
        if (p.strandedVolumes() <= (before == null ? 0 : before)) {
            return Optional.empty();
        }
        return Optional.of(new Notice(true, "VolumesStranded", p.strandedVolumes() + " volume(s) of pool " + p.pool().name() + " ("
                + Quantity.humanize(p.strandedBytes()) + ") are on nodes outside the pool; their data is untouched"));
    }

    /** The warning on a Node whose disk cannot hold its share plus the system reserve (the guide's prerequisite). */
    static Notice diskTooSmall(ServerFigures f) {
        return new Notice(true, "DiskTooSmall", "node " + f.server() + "'s disk holds "
                + Quantity.humanize(f.disk().map(d -> d.filesystemBytes()).orElse(0L)) + ", less than its share plus the system reserve ("
                + Quantity.humanize(f.required()) + ") in pool " + f.pool().orElse("-"));
    }
}
