package dsp.core.ledger;

import dsp.core.model.Allocation;
import dsp.core.model.PlacementPolicy;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Server;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Who gives what to which pool and what has been promised where, kept in memory and brought up
 * to date one change at a time: every figure admission, status and health need is maintained as
 * it changes, so no question costs work proportional to the fleet. Placement walks per-pool
 * ordered sets of servers by budget (O(log servers)); name lookups are hash indexes.
 *
 * <p>The ledger mirrors the durable record, it does not replace it: whoever holds the record
 * feeds every change here ({@link #putServer}, {@link #putAllocation}, ... are idempotent "this
 * is now so" statements). In standalone mode that is the write-through store after each commit
 * ({@link WriteThroughAllocations}); in Kubernetes mode the informers. Admission alone writes
 * here first ({@link #reserve}), so the next decision sees it before the record catches up.
 *
 * <p>A server's budget is its share (times the pool's overcommit) minus the allocations of
 * <em>any</em> pool that sit on it, so volumes stranded by a relabel keep occupying the disk they
 * really occupy and capacity is never sold twice. Thread-safe: every method is atomic.
 */
public final class CapacityLedger {

    /** Stranded servers and file-system members named in a warning; the rest are counted. */
    static final int NAMES_SHOWN = 10;

    private static final Comparator<ServerEntry> TIGHTEST_FIRST =
            Comparator.comparingLong((ServerEntry e) -> e.budgetKey).thenComparing(e -> e.name);
    private static final Comparator<ServerEntry> ROOMIEST_FIRST =
            Comparator.comparingLong((ServerEntry e) -> -e.budgetKey).thenComparing(e -> e.name);

    private final PoolCatalog catalog;
    private final Map<String, PoolBook> books = new LinkedHashMap<>();
    private final Map<String, PoolDefinition> byLabel = new HashMap<>();
    /** Every server of the inventory, and servers that left it but still hold allocations. */
    private final TreeMap<String, ServerEntry> entries = new TreeMap<>();
    /** In the order they came (the store reads them oldest first), so sorting them oldest first is one pass. */
    private final Map<String, Allocation> byId;
    /** {@link #allocations()} until the next change: start-up's passes ask for it several times in a row. */
    private List<Allocation> oldestFirst;
    private final Map<String, Map<String, Allocation>> byPoolAndName = new HashMap<>();
    /** Admitted here, not yet confirmed by the durable record. */
    private final Set<String> reserved = new HashSet<>();
    /** Servers labelled with a pool that is not configured, by label. */
    private final TreeMap<String, TreeSet<String>> unknownLabels = new TreeMap<>();
    private final TreeMap<String, FileSystemGroup> fileSystems = new TreeMap<>();
    private final TreeSet<String> overDeclared = new TreeSet<>();
    private int reserveServers;
    private long reserveUsed;
    private final TreeMap<Instant, Integer> reserveMeasuredAt = new TreeMap<>();
    private long version;

    public CapacityLedger(PoolCatalog catalog) {
        this(catalog, 0);
    }

    /** @param expected allocations about to be loaded: the indexes are sized for them once instead of growing 15 times */
    private CapacityLedger(PoolCatalog catalog, int expected) {
        this.catalog = catalog;
        this.byId = new LinkedHashMap<>(Math.max(16, (int) (expected / 0.75f) + 1));
        for (PoolDefinition p : catalog.pools()) {
            books.put(p.name(), new PoolBook(p));
            byLabel.put(p.label(), p);
        }
    }

    /**
     * A ledger loaded from the durable record, e.g. once at start-up. Bulk: every entry is filled
     * first and joins the running totals once, instead of once per allocation.
     */
    public CapacityLedger(PoolCatalog catalog, Collection<Server> servers, Collection<Allocation> allocations) {
        this(catalog, allocations.size());
        synchronized (this) {
            // by hash while loading: the ordered map costs a dozen name comparisons per allocation at 5,000 servers
            Map<String, ServerEntry> byName = new HashMap<>(Math.max(16, servers.size() * 2));
            for (Server s : servers) {
                ServerEntry e = entries.computeIfAbsent(s.name(), ServerEntry::new);
                byName.put(e.name, e);
                describe(e, s);
            }
            for (Allocation a : allocations) {
                if (!byId.containsKey(a.id())) { // a record never holds an id twice; if it did, the first counts
                    ServerEntry e = byName.get(a.server());
                    if (e == null) {
                        e = entries.computeIfAbsent(a.server(), ServerEntry::new);
                        byName.put(e.name, e);
                    }
                    record(e, a);
                }
            }
            for (ServerEntry e : entries.values()) {
                join(e);
            }
            changed();
        }
    }

    public PoolCatalog catalog() {
        return catalog;
    }

    /** Grows with every change; equal versions mean equal figures. */
    public synchronized long version() {
        return version;
    }

    // ------------------------------------------------------------------ feed

    /** The server now is {@code s} (new, relabelled or with a new share). */
    public synchronized void putServer(Server s) {
        ServerEntry e = entries.computeIfAbsent(s.name(), ServerEntry::new);
        leave(e);
        describe(e, s);
        join(e);
        changed();
    }

    /** Sets what the server is; the caller takes the entry out of the totals before and puts it back after. */
    private void describe(ServerEntry e, Server s) {
        e.server = s;
        e.pool = s.pool().map(byLabel::get).map(p -> books.get(p.name())).orElse(null);
        e.share = e.pool == null ? 0 : s.shareOverride().orElse(e.pool.definition.shareBytes());
        e.sellable = e.pool == null ? 0 : sellable(e.share, e.pool.definition.overcommit());
    }

    /** The server left the inventory; its allocations stay on it, stranded, until they are released. */
    public synchronized void removeServer(String name) {
        ServerEntry e = entries.get(name);
        if (e == null || e.server == null) {
            return;
        }
        leave(e);
        e.server = null;
        e.pool = null;
        e.share = 0;
        e.sellable = 0;
        e.disk = null;
        e.measuredAt = null;
        join(e);
        dropIfEmpty(e);
        changed();
    }

    /** The allocation now is {@code a} (new, or a new size, phase or owner); confirms a reservation. */
    public synchronized void putAllocation(Allocation a) {
        reserved.remove(a.id());
        Allocation old = byId.get(a.id());
        ServerEntry e = old == null ? null : entries.get(old.server());
        if (old != null && old.server().equals(a.server()) && e.server != null) {
            // the same inventory server: its totals leave and join once instead of twice (a create puts its
            // allocation three times: reserved, recorded, completed)
            leave(e);
            forget(e, old);
            record(e, a);
            join(e);
        } else {
            if (old != null) {
                unlink(old);
            }
            link(a);
        }
        changed();
    }

    /** As {@link #putAllocation}, for an allocation already here; one that is gone stays gone. */
    public synchronized void replaceAllocation(Allocation a) {
        if (byId.containsKey(a.id())) {
            putAllocation(a);
        }
    }

    public synchronized void removeAllocation(String id) {
        reserved.remove(id);
        Allocation old = byId.get(id);
        if (old != null) {
            unlink(old);
            changed();
        }
    }

    /** What was measured on a server's disk at {@code at}; servers outside the inventory are ignored. */
    public synchronized void measured(ServerDiskUsage usage, Instant at) {
        ServerEntry e = entries.get(usage.server());
        if (e == null || e.server == null) {
            return;
        }
        leave(e);
        e.disk = usage;
        e.measuredAt = at;
        join(e);
        changed();
    }

    /**
     * Records an admission before the durable record has it, so the next decision counts it.
     * The record's own report ({@link #putAllocation}) confirms it; {@link #cancel} takes it back.
     */
    public synchronized void reserve(Allocation a) {
        putAllocation(a);
        reserved.add(a.id());
    }

    /** Takes back a reservation the durable record never confirmed; a confirmed one stays. */
    public synchronized void cancel(String id) {
        if (reserved.remove(id)) {
            removeAllocation(id);
        }
    }

    /** Runs {@code step} (reads, then a change) with no other change in between. */
    public synchronized <T> T atomically(Supplier<T> step) {
        return step.get();
    }

    // ------------------------------------------------------------------ questions

    /** Servers of the inventory, by name. */
    public synchronized List<Server> servers() {
        List<Server> out = new ArrayList<>(entries.size());
        for (ServerEntry e : entries.values()) {
            if (e.server != null) {
                out.add(e.server);
            }
        }
        return out;
    }

    public synchronized int serverCount() {
        int n = 0;
        for (ServerEntry e : entries.values()) {
            n += e.server == null ? 0 : 1;
        }
        return n;
    }

    /** Every allocation, oldest first. */
    public synchronized List<Allocation> allocations() {
        if (oldestFirst == null) {
            List<Allocation> out = new ArrayList<>(byId.values());
            out.sort(Comparator.comparing(Allocation::createdAt).thenComparing(Allocation::id));
            oldestFirst = java.util.Collections.unmodifiableList(out);
        }
        return oldestFirst;
    }

    public synchronized int allocationCount() {
        return byId.size();
    }

    public synchronized Optional<Server> server(String name) {
        ServerEntry e = entries.get(name);
        return e == null ? Optional.empty() : Optional.ofNullable(e.server);
    }

    public synchronized Optional<Allocation> allocation(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** The allocation of that name in that pool (names are unique within a pool). */
    public synchronized Optional<Allocation> allocationNamed(String pool, String name) {
        Map<String, Allocation> named = byPoolAndName.get(pool);
        return named == null ? Optional.empty() : Optional.ofNullable(named.get(name));
    }

    /** The allocations sitting on a server, oldest first. */
    public synchronized List<Allocation> allocationsOn(String server) {
        ServerEntry e = entries.get(server);
        if (e == null) {
            return List.of();
        }
        List<Allocation> out = new ArrayList<>(e.allocations.values());
        out.sort(Comparator.comparing(Allocation::createdAt).thenComparing(Allocation::id));
        return out;
    }

    public synchronized int allocationCountOn(String server) {
        ServerEntry e = entries.get(server);
        return e == null ? 0 : e.allocations.size();
    }

    /** Allocations on this server whose pool is not the server's (or the server is gone). */
    public synchronized int strandedCountOn(String server) {
        ServerEntry e = entries.get(server);
        return e == null ? 0 : strandedCount(e);
    }

    private static int strandedCount(ServerEntry e) {
        int n = 0;
        for (Map.Entry<String, long[]> p : e.byPool.entrySet()) {
            n += isStrandedOn(e, p.getKey()) ? (int) p.getValue()[0] : 0;
        }
        return n;
    }

    /** The pool whose label the server carries, if that label names a configured pool. */
    public Optional<PoolDefinition> poolOf(Server server) {
        return server.pool().map(byLabel::get);
    }

    /** What the server gives its pool: its override or the pool's share; nothing when in no pool. */
    public long shareOf(Server server) {
        return poolOf(server).map(p -> server.shareOverride().orElse(p.shareBytes())).orElse(0L);
    }

    public synchronized long allocatedOn(String serverName) {
        ServerEntry e = entries.get(serverName);
        return e == null ? 0 : e.allocated;
    }

    /** Bytes admission may still promise on this server; negative when a shrink left it oversold. */
    public synchronized long budgetOf(Server server) {
        Optional<PoolDefinition> pool = poolOf(server);
        long allocated = allocatedOn(server.name());
        return pool.map(p -> sellable(shareOf(server), p.overcommit()) - allocated).orElse(-allocated);
    }

    /** The pool's servers, by name. */
    public synchronized List<Server> serversIn(PoolDefinition pool) {
        PoolBook b = books.get(pool.name());
        if (b == null) {
            return List.of();
        }
        List<Server> out = new ArrayList<>(b.servers);
        for (ServerEntry e : entries.values()) {
            if (e.pool == b) {
                out.add(e.server);
            }
        }
        return out;
    }

    public synchronized int serverCount(PoolDefinition pool) {
        PoolBook b = books.get(pool.name());
        return b == null ? 0 : b.servers;
    }

    /** Pool capacity = the sum of its servers' shares (servers x share when none overrides). */
    public synchronized long capacity(PoolDefinition pool) {
        PoolBook b = books.get(pool.name());
        return b == null ? 0 : b.capacity;
    }

    /** Allocations of any pool sitting on this pool's servers: what consumes its capacity. */
    public synchronized long used(PoolDefinition pool) {
        PoolBook b = books.get(pool.name());
        return b == null ? 0 : b.used;
    }

    /** What can still be provisioned in this pool, server by server. */
    public synchronized long available(PoolDefinition pool) {
        PoolBook b = books.get(pool.name());
        return b == null ? 0 : b.available;
    }

    /** Allocations that belong to this pool, wherever they are. */
    public synchronized List<Allocation> allocationsOf(PoolDefinition pool) {
        Map<String, Allocation> named = byPoolAndName.get(pool.name());
        return named == null ? List.of() : List.copyOf(named.values());
    }

    /** An allocation is stranded when its server is gone or no longer in the allocation's pool. */
    public synchronized boolean isStranded(Allocation a) {
        ServerEntry e = entries.get(a.server());
        return e == null || isStrandedOn(e, a.pool());
    }

    public synchronized List<Allocation> stranded() {
        return byId.values().stream().filter(this::isStranded).toList();
    }

    /**
     * Picks a server of the pool with room for {@code size} bytes, following the policy; ties go
     * to the alphabetically first server so placement is deterministic.
     */
    public Optional<Server> place(PoolDefinition pool, long size, PlacementPolicy policy) {
        return place(pool, size, policy, s -> true);
    }

    /** As {@link #place(PoolDefinition, long, PlacementPolicy)}, among the servers {@code eligible} accepts. */
    public synchronized Optional<Server> place(PoolDefinition pool, long size, PlacementPolicy policy, Predicate<Server> eligible) {
        PoolBook b = books.get(pool.name());
        if (b == null) {
            return Optional.empty();
        }
        if (policy == PlacementPolicy.BIN_PACKING) {
            // the tightest fit: budgets ascending from the first that holds the size
            for (ServerEntry e : b.tightest.tailSet(ServerEntry.probe(size), true)) {
                if (eligible.test(e.server)) {
                    return Optional.of(e.server);
                }
            }
        } else {
            for (ServerEntry e : b.roomiest) {
                if (e.budgetKey < size) {
                    break;
                }
                if (eligible.test(e.server)) {
                    return Optional.of(e.server);
                }
            }
        }
        return Optional.empty();
    }

    /** The largest single allocation any server of the pool could still take. */
    public synchronized long largestFit(PoolDefinition pool) {
        PoolBook b = books.get(pool.name());
        return b == null || b.tightest.isEmpty() ? 0L : b.tightest.last().budgetKey;
    }

    /** Every server of the inventory with its figures, by name: O(servers), for listings and metrics. */
    public synchronized List<LedgerServer> serverFigures() {
        List<LedgerServer> out = new ArrayList<>(entries.size());
        for (ServerEntry e : entries.values()) {
            if (e.server != null) {
                out.add(line(e));
            }
        }
        return out;
    }

    /** One server of the inventory with its figures. */
    public synchronized Optional<LedgerServer> serverFigures(String name) {
        ServerEntry e = entries.get(name);
        return e == null || e.server == null ? Optional.empty() : Optional.of(line(e));
    }

    private LedgerServer line(ServerEntry e) {
        String fs = e.pool != null && e.disk != null && e.disk.filesystemBytes() > 0 ? e.disk.filesystemId() : null;
        FileSystemGroup g = fs == null ? null : fileSystems.get(fs);
        return new LedgerServer(e.server, Optional.ofNullable(e.pool).map(b -> b.definition), e.share, e.allocated,
                e.allocations.size(), strandedCount(e), Optional.ofNullable(e.disk), Optional.ofNullable(e.measuredAt),
                g == null ? 0 : g.members.size(), g != null && overDeclared.contains(fs));
    }

    /**
     * Every figure status and health need, read in one step: O(pools), not O(fleet) (servers are
     * named only where a finding names them).
     */
    public synchronized LedgerTotals totals() {
        List<LedgerTotals.Pool> pools = new ArrayList<>(books.size());
        for (PoolBook b : books.values()) {
            pools.add(new LedgerTotals.Pool(b.definition, b.servers, b.capacity, b.used, b.available,
                    b.measured, oldest(b.measuredAt), b.ownBytes, b.ownCount, b.strandedBytes, b.strandedCount,
                    firstNames(b.strandedOn.keySet()), b.strandedOn.size()));
        }
        List<LedgerTotals.UnknownLabel> unknown = new ArrayList<>();
        for (Map.Entry<String, TreeSet<String>> u : unknownLabels.entrySet()) {
            unknown.add(new LedgerTotals.UnknownLabel(u.getKey(), firstNames(u.getValue()), u.getValue().size()));
        }
        List<LedgerTotals.OverDeclared> over = new ArrayList<>();
        for (String id : overDeclared) {
            FileSystemGroup g = fileSystems.get(id);
            over.add(new LedgerTotals.OverDeclared(id, List.copyOf(g.members.keySet()), g.declared, g.realBytes()));
        }
        return new LedgerTotals(pools, reserveServers, (long) reserveServers * catalog.reserveBytes(), reserveUsed,
                oldest(reserveMeasuredAt), unknown, over);
    }

    // ------------------------------------------------------------------ bookkeeping

    private void changed() {
        version++;
    }

    private void link(Allocation a) {
        ServerEntry e = entries.computeIfAbsent(a.server(), ServerEntry::new);
        leave(e);
        record(e, a);
        join(e);
    }

    /** Files the allocation on its entry and in the indexes; the entry's totals are the caller's (leave/join). */
    private void record(ServerEntry e, Allocation a) {
        e.allocations.put(a.id(), a);
        e.allocated += a.sizeBytes();
        long[] onServer = e.byPool.computeIfAbsent(a.pool(), p -> new long[2]);
        onServer[0]++;
        onServer[1] += a.sizeBytes();
        byId.put(a.id(), a);
        oldestFirst = null;
        byPoolAndName.computeIfAbsent(a.pool(), p -> new HashMap<>()).put(a.name(), a);
        PoolBook own = books.get(a.pool());
        if (own != null) {
            own.ownBytes += a.sizeBytes();
            own.ownCount++;
        }
    }

    private void unlink(Allocation a) {
        ServerEntry e = entries.get(a.server());
        leave(e);
        forget(e, a);
        join(e);
        dropIfEmpty(e);
    }

    /** Takes the allocation off its entry and out of the indexes; the entry's totals are the caller's (leave/join). */
    private void forget(ServerEntry e, Allocation a) {
        e.allocations.remove(a.id());
        e.allocated -= a.sizeBytes();
        long[] onServer = e.byPool.get(a.pool());
        onServer[0]--;
        onServer[1] -= a.sizeBytes();
        if (onServer[0] == 0) {
            e.byPool.remove(a.pool());
        }
        byId.remove(a.id());
        oldestFirst = null;
        Map<String, Allocation> named = byPoolAndName.get(a.pool());
        if (named != null && named.get(a.name()) == a) {
            named.remove(a.name());
        }
        PoolBook own = books.get(a.pool());
        if (own != null) {
            own.ownBytes -= a.sizeBytes();
            own.ownCount--;
        }
    }

    private void dropIfEmpty(ServerEntry e) {
        if (e.server == null && e.allocations.isEmpty()) {
            entries.remove(e.name);
        }
    }

    private static boolean isStrandedOn(ServerEntry e, String allocationPool) {
        return e.server == null || e.pool == null || !e.pool.definition.name().equals(allocationPool);
    }

    /** Takes the entry's contributions out of every aggregate, before any of its fields change. */
    private void leave(ServerEntry e) {
        contribute(e, -1);
    }

    /** Puts the entry's contributions (as its fields now are) into every aggregate. */
    private void join(ServerEntry e) {
        contribute(e, +1);
    }

    private void contribute(ServerEntry e, int sign) {
        PoolBook b = e.pool;
        if (b != null) {
            if (sign < 0) {
                b.tightest.remove(e);
                b.roomiest.remove(e);
            }
            b.servers += sign;
            b.capacity += sign * e.share;
            b.used += sign * e.allocated;
            b.available += sign * Math.max(0, e.budget());
            reserveServers += sign;
            if (e.disk != null) {
                b.measured += sign * e.disk.pooledBytes();
                count(b.measuredAt, e.measuredAt, sign);
                reserveUsed += sign * e.disk.otherBytes();
                count(reserveMeasuredAt, e.measuredAt, sign);
                if (e.disk.filesystemBytes() > 0) {
                    fileSystem(e, sign);
                }
            }
            if (sign > 0) {
                e.budgetKey = e.budget();
                b.tightest.add(e);
                b.roomiest.add(e);
            }
        } else if (e.server != null && e.server.pool().isPresent()) {
            String label = e.server.pool().get();
            if (sign > 0) {
                unknownLabels.computeIfAbsent(label, l -> new TreeSet<>()).add(e.name);
            } else {
                TreeSet<String> names = unknownLabels.get(label);
                names.remove(e.name);
                if (names.isEmpty()) {
                    unknownLabels.remove(label);
                }
            }
        }
        for (Map.Entry<String, long[]> p : e.byPool.entrySet()) {
            PoolBook own = books.get(p.getKey());
            if (own != null && isStrandedOn(e, p.getKey())) {
                int n = (int) p.getValue()[0];
                own.strandedCount += sign * n;
                own.strandedBytes += sign * p.getValue()[1];
                own.strandedOn.merge(e.name, sign * n, (x, y) -> x + y == 0 ? null : x + y);
            }
        }
    }

    /** Servers sharing one file system must not declare (shares + reserve) more than it holds. */
    private void fileSystem(ServerEntry e, int sign) {
        String id = e.disk.filesystemId();
        FileSystemGroup g = fileSystems.computeIfAbsent(id, k -> new FileSystemGroup());
        long declared = e.share + catalog.reserveBytes();
        if (sign > 0) {
            g.members.put(e.name, e.disk.filesystemBytes());
            g.declared += declared;
        } else {
            g.members.remove(e.name);
            g.declared -= declared;
        }
        if (g.members.isEmpty()) {
            fileSystems.remove(id);
            overDeclared.remove(id);
        } else if (g.declared > g.realBytes()) {
            overDeclared.add(id);
        } else {
            overDeclared.remove(id);
        }
    }

    private static void count(TreeMap<Instant, Integer> instants, Instant at, int sign) {
        instants.merge(at, sign, (x, y) -> x + y == 0 ? null : x + y);
    }

    private static Optional<Instant> oldest(TreeMap<Instant, Integer> instants) {
        return instants.isEmpty() ? Optional.empty() : Optional.of(instants.firstKey());
    }

    private static List<String> firstNames(Collection<String> sorted) {
        return sorted.stream().limit(NAMES_SHOWN).toList();
    }

    static long sellable(long share, double overcommit) {
        if (overcommit == 1.0) {
            return share;
        }
        return BigDecimal.valueOf(share).multiply(BigDecimal.valueOf(overcommit))
                .setScale(0, RoundingMode.FLOOR).longValueExact();
    }

    /** One pool's running totals and its servers ordered by budget both ways. */
    private static final class PoolBook {
        final PoolDefinition definition;
        final TreeSet<ServerEntry> tightest = new TreeSet<>(TIGHTEST_FIRST);
        final TreeSet<ServerEntry> roomiest = new TreeSet<>(ROOMIEST_FIRST);
        int servers;
        long capacity;
        long used;
        long available;
        long measured;
        final TreeMap<Instant, Integer> measuredAt = new TreeMap<>();
        long ownBytes;
        int ownCount;
        long strandedBytes;
        int strandedCount;
        /** Servers holding this pool's stranded allocations, with how many each. */
        final TreeMap<String, Integer> strandedOn = new TreeMap<>();

        PoolBook(PoolDefinition definition) {
            this.definition = definition;
        }
    }

    /** A server (or what is left of one that holds allocations) with its running figures. */
    private static final class ServerEntry {
        final String name;
        Server server;
        PoolBook pool;
        long share;
        long sellable;
        long allocated;
        /** The budget it is filed under in its pool's ordered sets; fixed while it is in them. */
        long budgetKey;
        final Map<String, Allocation> allocations = new HashMap<>(4);
        /** Allocations on it by their pool: {count, bytes}. */
        final Map<String, long[]> byPool = new HashMap<>(2);
        ServerDiskUsage disk;
        Instant measuredAt;

        ServerEntry(String name) {
            this.name = name;
        }

        long budget() {
            return pool == null ? -allocated : sellable - allocated;
        }

        /** Sorts before every server with at least {@code budget}. */
        static ServerEntry probe(long budget) {
            ServerEntry p = new ServerEntry("");
            p.budgetKey = budget;
            return p;
        }
    }

    private static final class FileSystemGroup {
        /** Server name -> the file system's size as that server measured it. */
        final TreeMap<String, Long> members = new TreeMap<>();
        long declared;

        long realBytes() {
            return members.firstEntry().getValue();
        }
    }
}
