package dsp.core.health;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Status and health of every pool at one moment; warnings and errors name the pools concerned.
 * Notes are findings that do not change health (e.g. the demo's simulated servers sharing one disk).
 */
public record FleetStatus(
        List<PoolFigures> pools,
        ReserveFigures reserve,
        Health overall,
        List<String> warnings,
        List<String> errors,
        Instant measuredAt,
        List<ServerFigures> servers,
        List<String> notes) {

    public FleetStatus {
        pools = List.copyOf(pools);
        warnings = List.copyOf(warnings);
        errors = List.copyOf(errors);
        servers = List.copyOf(servers);
        notes = List.copyOf(notes);
    }

    public FleetStatus(List<PoolFigures> pools, ReserveFigures reserve, Health overall, List<String> warnings,
                       List<String> errors, Instant measuredAt) {
        this(pools, reserve, overall, warnings, errors, measuredAt, List.of(), List.of());
    }

    public Optional<PoolFigures> pool(String name) {
        return pools.stream().filter(p -> p.pool().name().equals(name)).findFirst();
    }

    public Optional<ServerFigures> server(String name) {
        return servers.stream().filter(s -> s.server().equals(name)).findFirst();
    }
}
