package dsp.json;

import dsp.core.health.FleetStatus;
import dsp.core.health.PoolFigures;
import dsp.core.health.ReserveFigures;
import dsp.core.health.ServerFigures;
import dsp.core.model.PoolDefinition;
import dsp.core.usecase.ServerView;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The guide's JSON shapes. Field names the guide shows come first and stay exactly as written;
 * extra fields follow them.
 */
public final class StatusJson {

    private StatusJson() {
    }

    /** {@code GET /api/v1/pools/status}: one object per pool keyed {@code <pool>_pool}, then {@code system_reserve}. */
    public static Map<String, Object> status(FleetStatus status) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (PoolFigures p : status.pools()) {
            out.put(p.pool().statusKey(), pool(p));
        }
        out.put("system_reserve", reserve(status.reserve()));
        return out;
    }

    public static Map<String, Object> pool(PoolFigures p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("servers", p.servers());
        m.put("total_capacity_gb", Json.gb(p.capacity()));
        m.put("used_capacity_gb", Json.gb(p.used()));
        m.put("available_capacity_gb", Json.gb(p.available()));
        m.put("usage_percentage", Json.number(p.usagePercent()));
        m.put("measured_used_gb", Json.gb(p.measured()));
        m.put("measured_usage_percentage", Json.number(p.measuredPercent()));
        m.put("measured_at", p.measuredAt().map(Object::toString).orElse(null));
        m.put("allocated_gb", Json.gb(p.ownAllocated()));
        m.put("volumes", p.volumes());
        m.put("stranded_volumes", p.strandedVolumes());
        m.put("stranded_capacity_gb", Json.gb(p.strandedBytes()));
        m.put("health", p.health().display());
        return m;
    }

    public static Map<String, Object> reserve(ReserveFigures r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("total_servers", r.servers());
        m.put("total_capacity_gb", Json.gb(r.capacity()));
        m.put("used_capacity_gb", Json.gb(r.used()));
        m.put("available_capacity_gb", Json.gb(r.available()));
        m.put("usage_percentage", Json.number(r.usagePercent()));
        m.put("measured_at", r.measuredAt().map(Object::toString).orElse(null));
        return m;
    }

    /** {@code GET /api/v1/pools/health}. */
    public static Map<String, Object> health(FleetStatus status) {
        return health(status, true);
    }

    /** {@code GET /api/v1/pools/health}, with or without the map of servers whose disk fails its check. */
    public static Map<String, Object> health(FleetStatus status, boolean withServers) {
        Map<String, Object> pools = new LinkedHashMap<>();
        for (PoolFigures p : status.pools()) {
            pools.put(p.pool().statusKey(), p.health().display());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", status.overall().display());
        out.put("pools", pools);
        out.put("warnings", status.warnings());
        out.put("errors", status.errors());
        out.put("notes", status.notes());
        if (withServers) {
            Map<String, Object> servers = new LinkedHashMap<>();
            status.diskFindings().forEach(f -> servers.put(f.server(), "disk " + f.check().display()));
            out.put("servers", servers);
        }
        out.put("checked_at", status.checkedAt().toString());
        out.put("measured_at", status.measuredAt().map(Object::toString).orElse(null));
        return out;
    }

    /** A server's disk against the guide's prerequisite (share + reserve), as last measured. */
    public static Map<String, Object> disk(ServerFigures f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("required_gb", Json.gb(f.required()));
        m.put("check", f.diskCheck().display());
        f.disk().ifPresent(d -> {
            m.put("filesystem_gb", Json.gb(d.filesystemBytes()));
            m.put("filesystem_free_gb", Json.gb(d.filesystemFreeBytes()));
            m.put("measured_used_gb", Json.gb(d.measured()));
            d.measuredAt().ifPresent(at -> m.put("measured_at", at.toString()));
        });
        return m;
    }

    /** One pool with its definition and figures, for {@code GET /api/v1/pools[/{name}]}. */
    public static Map<String, Object> poolDetail(PoolFigures p) {
        PoolDefinition d = p.pool();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", d.name());
        m.put("label", "pool=" + d.label());
        m.put("storage_class", d.storageClass());
        m.put("path", d.path());
        m.put("reclaim_policy", d.reclaimPolicy().display());
        m.put("share_per_server_gb", Json.gb(d.shareBytes()));
        m.put("overcommit", Json.number(d.overcommit()));
        m.putAll(pool(p));
        return m;
    }

    public static Map<String, Object> pools(FleetStatus status) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("pools", status.pools().stream().map(StatusJson::poolDetail).toList());
        out.put("system_reserve", reserve(status.reserve()));
        return out;
    }

    public static Map<String, Object> server(ServerView v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", v.server().name());
        m.put("pool", v.pool().map(PoolDefinition::name).orElse(null));
        m.put("label", v.server().pool().map(l -> "pool=" + l).orElse(null));
        m.put("capacity_gb", Json.gb(v.share()));
        m.put("capacity_override", v.server().shareOverride().isPresent());
        m.put("used_capacity_gb", Json.gb(v.allocated()));
        m.put("available_capacity_gb", Json.gb(Math.max(0, v.budget())));
        m.put("allocations", v.allocations());
        m.put("stranded_allocations", v.strandedAllocations());
        m.put("created_at", v.server().createdAt().toString());
        return m;
    }

    public static Map<String, Object> servers(List<ServerView> views) {
        return Map.of("servers", views.stream().map(StatusJson::server).toList());
    }

    /** A server with its disk figures, where it has them. */
    public static Map<String, Object> server(ServerView v, java.util.Optional<ServerFigures> figures) {
        Map<String, Object> m = server(v);
        figures.ifPresent(f -> m.put("disk", disk(f)));
        return m;
    }

    public static Map<String, Object> servers(List<ServerView> views, List<ServerFigures> figures) {
        Map<String, ServerFigures> byName = new java.util.HashMap<>();
        figures.forEach(f -> byName.put(f.server(), f));
        return Map.of("servers", views.stream().map(v -> server(v, java.util.Optional.ofNullable(byName.get(v.server().name())))).toList());
    }
}
