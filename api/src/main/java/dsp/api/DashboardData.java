package dsp.api;

import dsp.api.body.HistoryBodies;
import dsp.api.body.VmBodies;
import dsp.api.body.VolumeBodies;
import dsp.core.health.FleetStatus;
import dsp.core.health.ServerFigures;
import dsp.core.history.CapacityHistory;
import dsp.core.model.Allocation;
import dsp.core.model.PoolDefinition;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import dsp.json.Json;
import dsp.json.StatusJson;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the dashboard at {@code /} shows, in one answer: inlined into the page for its first
 * paint and fetched again from {@code GET /api/v1/dashboard} to refresh it.
 */
final class DashboardData {

    /** The table rows sent at most (the largest first); the dashboard says when there are more. */
    static final int MAX_ROWS = 1000;
    static final Duration HISTORY_WINDOW = Duration.ofHours(24);
    static final int HISTORY_POINTS = 288;

    private DashboardData() {
    }

    static Map<String, Object> of(ApiServices services, boolean authRequired) {
        FleetStatus status = services.queries().status();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generated_at", status.checkedAt().toString());
        out.put("auth_required", authRequired);
        out.put("pools", services.queries().catalog().pools().stream().map(PoolDefinition::name).toList());
        var thresholds = services.queries().catalog().thresholds();
        out.put("thresholds", Map.of("warning", Json.number(thresholds.warningPercent()), "critical", Json.number(thresholds.criticalPercent())));
        out.put("status", StatusJson.status(status));
        out.put("health", StatusJson.health(status));
        List<ServerFigures> figures = services.queries().serverFigures();
        out.put("servers", StatusJson.servers(services.queries().servers(), figures).get("servers"));

        List<VmBodies.Vm> vms = services.vms().list(Optional.empty()).stream().map(VmBodies.Vm::of).toList();
        out.put("vms_total", vms.size());
        out.put("vms", vms.size() > MAX_ROWS ? vms.subList(0, MAX_ROWS) : vms);

        Map<String, Map<String, Long>> measured = new LinkedHashMap<>();
        figures.forEach(s -> s.disk().ifPresent(d -> measured.put(s.server(), d.volumeBytes())));
        List<Allocation> volumes = new ArrayList<>(services.volumes().list(Optional.empty()));
        volumes.sort(Comparator.comparingLong(Allocation::sizeBytes).reversed());
        out.put("volumes_total", volumes.size());
        out.put("volumes", volumes.stream().limit(MAX_ROWS).map(a -> {
            VolumeBodies.Volume v = VolumeBodies.Volume.of(a, services.volumes().pathOf(a));
            Long bytes = measured.getOrDefault(a.server(), Map.of()).get(ServerDiskUsage.volumeKey(a.pool(), a.name()));
            return bytes == null ? v : v.measured(bytes);
        }).toList());
        out.put("history", history(services.history(), status.checkedAt()));
        return out;
    }

    /** The last day of samples, at most {@link #HISTORY_POINTS} per pool (the last of each time slot). */
    static List<HistoryBodies.Sample> history(CapacityHistory history, Instant now) {
        Instant since = now.minus(HISTORY_WINDOW);
        long slot = HISTORY_WINDOW.toMillis() / HISTORY_POINTS;
        Map<String, CapacityHistory.Sample> lastPerSlot = new LinkedHashMap<>();
        for (CapacityHistory.Sample s : history.since(since)) {
            lastPerSlot.put(s.pool() + "@" + (s.at().toEpochMilli() - since.toEpochMilli()) / slot, s);
        }
        return lastPerSlot.values().stream().map(HistoryBodies.Sample::of).toList();
    }
}
