package dsp.core.health;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Status and health of every pool; warnings and errors name the pools concerned. Notes are
 * findings that do not change health (e.g. the demo's simulated servers sharing one disk).
 * Per-server figures are not part of it (they cost O(servers)): see {@code PoolQueries.serverFigures()}.
 *
 * @param checkedAt    when these figures were read (allocations are exact as of then)
 * @param measuredAt   the oldest disk measurement behind the measured figures; empty before any
 * @param diskFindings servers whose disk cannot hold their share plus the reserve (alone or with
 *                     the servers sharing their file system), by name
 */
public record FleetStatus(
        List<PoolFigures> pools,
        ReserveFigures reserve,
        Health overall,
        List<String> warnings,
        List<String> errors,
        Instant checkedAt,
        Optional<Instant> measuredAt,
        List<DiskFinding> diskFindings,
        List<String> notes) {

    public FleetStatus {
        pools = List.copyOf(pools);
        warnings = List.copyOf(warnings);
        errors = List.copyOf(errors);
        diskFindings = List.copyOf(diskFindings); // no copy when already immutable: checkedAt() stays O(1)
        notes = List.copyOf(notes);
    }

    public FleetStatus(List<PoolFigures> pools, ReserveFigures reserve, Health overall, List<String> warnings,
                       List<String> errors, Instant checkedAt) {
        this(pools, reserve, overall, warnings, errors, checkedAt, Optional.empty(), List.of(), List.of());
    }

    /** A server whose disk fails the guide's prerequisite, and how. */
    public record DiskFinding(String server, ServerFigures.DiskCheck check) {
    }

    public Optional<PoolFigures> pool(String name) {
        return pools.stream().filter(p -> p.pool().name().equals(name)).findFirst();
    }

    /** The same figures, read at {@code when}. */
    public FleetStatus checkedAt(Instant when) {
        return new FleetStatus(pools, reserve, overall, warnings, errors, when, measuredAt, diskFindings, notes);
    }
}
