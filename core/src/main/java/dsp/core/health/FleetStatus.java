package dsp.core.health;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Status and health of every pool at one moment; warnings and errors name the pools concerned. */
public record FleetStatus(
        List<PoolFigures> pools,
        ReserveFigures reserve,
        Health overall,
        List<String> warnings,
        List<String> errors,
        Instant measuredAt) {

    public FleetStatus {
        pools = List.copyOf(pools);
        warnings = List.copyOf(warnings);
        errors = List.copyOf(errors);
    }

    public Optional<PoolFigures> pool(String name) {
        return pools.stream().filter(p -> p.pool().name().equals(name)).findFirst();
    }
}
