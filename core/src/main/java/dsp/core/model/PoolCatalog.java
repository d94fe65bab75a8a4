package dsp.core.model;

import dsp.core.DomainException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Every pool the system knows, plus the settings that apply to all of them. This is
 * configuration: a third pool is one more entry, not code.
 */
public record PoolCatalog(
        List<PoolDefinition> pools,
        long reserveBytes,
        Thresholds thresholds,
        PlacementPolicy placement) {

    public static final long GUIDE_SHARE = 1_500_000_000_000L;
    public static final long GUIDE_RESERVE = 300_000_000_000L;

    public PoolCatalog {
        pools = List.copyOf(pools);
        if (pools.isEmpty()) {
            throw DomainException.invalid("at least one pool must be configured");
        }
        Set<String> names = new HashSet<>();
        Set<String> labels = new HashSet<>();
        Set<String> paths = new HashSet<>();
        for (PoolDefinition p : pools) {
            if (!names.add(p.name())) {
                throw DomainException.invalid("pool '" + p.name() + "' is configured twice");
            }
            if (!labels.add(p.label())) {
                throw DomainException.invalid("label pool=" + p.label() + " is used by two pools");
            }
            if (!paths.add(p.path())) {
                throw DomainException.invalid("path " + p.path() + " is used by two pools");
            }
        }
        if (reserveBytes < 0 || reserveBytes > Quantity.MAX_BYTES) {
            throw DomainException.invalid("system reserve must be between 0 and 1 EB");
        }
    }

    /** The guide's two pools: k8s and vm, 1.5 TB each per server, 300 GB reserve, 75 %/90 %. */
    public static PoolCatalog guideDefaults() {
        return new PoolCatalog(List.of(
                new PoolDefinition("k8s", "k8s", GUIDE_SHARE, "k8s-pool-storage", "/k8s-storage-pool", ReclaimPolicy.DELETE, 1.0),
                new PoolDefinition("vm", "vm", GUIDE_SHARE, "vm-pool-storage", "/vm-storage-pool", ReclaimPolicy.RETAIN, 1.0)),
                GUIDE_RESERVE, Thresholds.GUIDE, PlacementPolicy.LEAST_ALLOCATED);
    }

    public Optional<PoolDefinition> find(String name) {
        return pools.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public Optional<PoolDefinition> byLabel(String label) {
        return pools.stream().filter(p -> p.label().equals(label)).findFirst();
    }

    /** The pool or a NOT_FOUND error that lists what exists. */
    public PoolDefinition require(String name) {
        return find(name).orElseThrow(() -> DomainException.notFound("pool '" + name + "' does not exist; pools are "
                + pools.stream().map(PoolDefinition::name).toList()));
    }
}
