package dsp.core.ledger;

import dsp.core.model.Allocation;
import dsp.core.model.PlacementPolicy;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Server;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of who gives what to which pool and what has been promised where. Pure: built
 * from the catalog, the servers and the allocations; answers every capacity question the same
 * way for admission, status and health.
 *
 * <p>A server's budget is its share (times the pool's overcommit) minus the allocations of
 * <em>any</em> pool that sit on it, so volumes stranded by a relabel keep occupying the disk they
 * really occupy and capacity is never sold twice.
 */
public final class CapacityLedger {

    private final PoolCatalog catalog;
    private final Map<String, Server> servers = new LinkedHashMap<>();
    private final List<Allocation> allocations;
    private final Map<String, Long> allocatedOnServer = new HashMap<>();

    public CapacityLedger(PoolCatalog catalog, Collection<Server> servers, Collection<Allocation> allocations) {
        this.catalog = catalog;
        servers.stream().sorted(Comparator.comparing(Server::name)).forEach(s -> this.servers.put(s.name(), s));
        this.allocations = List.copyOf(allocations);
        for (Allocation a : this.allocations) {
            allocatedOnServer.merge(a.server(), a.sizeBytes(), Long::sum);
        }
    }

    public PoolCatalog catalog() {
        return catalog;
    }

    public Collection<Server> servers() {
        return servers.values();
    }

    public List<Allocation> allocations() {
        return allocations;
    }

    public Optional<Server> server(String name) {
        return Optional.ofNullable(servers.get(name));
    }

    /** The pool whose label the server carries, if that label names a configured pool. */
    public Optional<PoolDefinition> poolOf(Server server) {
        return server.pool().flatMap(catalog::byLabel);
    }

    /** What the server gives its pool: its override or the pool's share; nothing when in no pool. */
    public long shareOf(Server server) {
        return poolOf(server).map(p -> server.shareOverride().orElse(p.shareBytes())).orElse(0L);
    }

    public long allocatedOn(String serverName) {
        return allocatedOnServer.getOrDefault(serverName, 0L);
    }

    /** Bytes admission may still promise on this server; negative when a shrink left it oversold. */
    public long budgetOf(Server server) {
        Optional<PoolDefinition> pool = poolOf(server);
        if (pool.isEmpty()) {
            return -allocatedOn(server.name());
        }
        return sellable(shareOf(server), pool.get().overcommit()) - allocatedOn(server.name());
    }

    public List<Server> serversIn(PoolDefinition pool) {
        return servers.values().stream().filter(s -> s.pool().isPresent() && s.pool().get().equals(pool.label())).toList();
    }

    /** Pool capacity = the sum of its servers' shares (servers x share when none overrides). */
    public long capacity(PoolDefinition pool) {
        return serversIn(pool).stream().mapToLong(this::shareOf).sum();
    }

    /** Allocations of any pool sitting on this pool's servers: what consumes its capacity. */
    public long used(PoolDefinition pool) {
        return serversIn(pool).stream().mapToLong(s -> allocatedOn(s.name())).sum();
    }

    /** What can still be provisioned in this pool, server by server. */
    public long available(PoolDefinition pool) {
        return serversIn(pool).stream().mapToLong(s -> Math.max(0, budgetOf(s))).sum();
    }

    /** Allocations that belong to this pool, wherever they are. */
    public List<Allocation> allocationsOf(PoolDefinition pool) {
        return allocations.stream().filter(a -> a.pool().equals(pool.name())).toList();
    }

    /** An allocation is stranded when its server is gone or no longer in the allocation's pool. */
    public boolean isStranded(Allocation a) {
        Server s = servers.get(a.server());
        return s == null || poolOf(s).map(p -> !p.name().equals(a.pool())).orElse(true);
    }

    public List<Allocation> stranded() {
        return allocations.stream().filter(this::isStranded).toList();
    }

    /**
     * Picks a server of the pool with room for {@code size} bytes, following the policy; ties go
     * to the alphabetically first server so placement is deterministic.
     */
    public Optional<Server> place(PoolDefinition pool, long size, PlacementPolicy policy) {
        return place(pool, size, policy, s -> true);
    }

    /** As {@link #place(PoolDefinition, long, PlacementPolicy)}, among the servers {@code eligible} accepts. */
    public Optional<Server> place(PoolDefinition pool, long size, PlacementPolicy policy, java.util.function.Predicate<Server> eligible) {
        Comparator<Server> byBudget = Comparator.comparingLong(this::budgetOf);
        Comparator<Server> order = policy == PlacementPolicy.BIN_PACKING ? byBudget : byBudget.reversed();
        return serversIn(pool).stream()
                .filter(eligible)
                .filter(s -> budgetOf(s) >= size)
                .sorted(order.thenComparing(Server::name))
                .findFirst();
    }

    /** The largest single allocation any server of the pool could still take. */
    public long largestFit(PoolDefinition pool) {
        return serversIn(pool).stream().mapToLong(this::budgetOf).max().orElse(0L);
    }

    static long sellable(long share, double overcommit) {
        return BigDecimal.valueOf(share).multiply(BigDecimal.valueOf(overcommit))
                .setScale(0, RoundingMode.FLOOR).longValueExact();
    }
}
