package dsp.core.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.DomainException;
import dsp.core.Fleet;
import dsp.core.model.Allocation;
import dsp.core.model.PlacementPolicy;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.ReclaimPolicy;
import dsp.core.model.Server;
import dsp.core.model.Thresholds;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import dsp.core.usecase.CapacityAdmission;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * The in-memory ledger is updated one change at a time; these properties hold it to the
 * figures a from-scratch computation over the durable record gives (the way the ledger was
 * computed before it became incremental), after every step of random histories: admissions,
 * releases, grows, relabels (also to unconfigured labels), share overrides, server removals and
 * disk measurements. Placement is checked against a brute-force search of every server.
 */
class IncrementalLedgerTest {

    private static final long GB = 1_000_000_000L;
    private static final List<String> SERVERS = List.of("s1", "s2", "s3", "s4", "s5");
    private static final List<Optional<String>> LABELS =
            List.of(Optional.of("k8s"), Optional.of("vm"), Optional.of("backup"), Optional.of("tape"), Optional.empty());

    sealed interface Op permits Admit, Release, Grow, Relabel, Override, Remove, Measure {
    }

    record Admit(String pool, long gb, Optional<String> pinned) implements Op {
    }

    record Release(int index) implements Op {
    }

    record Grow(int index, long extraGb) implements Op {
    }

    record Relabel(String server, Optional<String> label) implements Op {
    }

    record Override(String server, long shareGb) implements Op {
    }

    record Remove(String server) implements Op {
    }

    record Measure(String server, long poolGb, long otherGb, int filesystem, long filesystemGb) implements Op {
    }

    @Provide
    Arbitrary<List<Op>> histories() {
        Arbitrary<Op> admit = Combinators.combine(Arbitraries.of("k8s", "vm", "backup"), Arbitraries.longs().between(1, 1600),
                Arbitraries.of(SERVERS).optional(0.2)).as(Admit::new);
        Arbitrary<Op> release = Arbitraries.integers().between(0, 60).map(Release::new);
        Arbitrary<Op> grow = Combinators.combine(Arbitraries.integers().between(0, 60), Arbitraries.longs().between(0, 900))
                .as(Grow::new);
        Arbitrary<Op> relabel = Combinators.combine(Arbitraries.of(SERVERS), Arbitraries.of(LABELS)).as(Relabel::new);
        Arbitrary<Op> override = Combinators.combine(Arbitraries.of(SERVERS), Arbitraries.longs().between(100, 4000)).as(Override::new);
        Arbitrary<Op> remove = Arbitraries.of(SERVERS).map(Remove::new);
        Arbitrary<Op> measure = Combinators.combine(Arbitraries.of(SERVERS), Arbitraries.longs().between(0, 2000),
                Arbitraries.longs().between(0, 400), Arbitraries.integers().between(0, 2), Arbitraries.longs().between(1000, 12000))
                .as(Measure::new);
        return Arbitraries.frequencyOf(Tuple.of(6, admit), Tuple.of(2, release), Tuple.of(2, grow), Tuple.of(3, relabel),
                Tuple.of(1, override), Tuple.of(1, remove), Tuple.of(2, measure)).list().ofMaxSize(60);
    }

    @Property(tries = 60)
    void spreadMatchesAFromScratchComputationAfterEveryStep(@ForAll("histories") List<Op> history) {
        run(history, PlacementPolicy.LEAST_ALLOCATED);
    }

    @Property(tries = 60)
    void binPackingMatchesAFromScratchComputationAfterEveryStep(@ForAll("histories") List<Op> history) {
        run(history, PlacementPolicy.BIN_PACKING);
    }

    private void run(List<Op> history, PlacementPolicy policy) {
        List<PoolDefinition> pools = new ArrayList<>(PoolCatalog.guideDefaults().pools());
        pools.add(new PoolDefinition("backup", "backup", 4_000 * GB, null, "/backup-storage-pool", ReclaimPolicy.RETAIN, 1.5));
        PoolCatalog catalog = new PoolCatalog(pools, PoolCatalog.GUIDE_RESERVE, Thresholds.GUIDE, policy);
        Map<String, Measured> disks = new HashMap<>();
        Fleet f = new Fleet(catalog, servers -> List.of());
        f.label("s1", "k8s");
        f.label("s2", "vm");
        f.label("s3", "backup");
        int i = 0;
        for (Op op : history) {
            List<Allocation> before = f.store.listAllocations();
            try {
                apply(f, op, i++, disks);
            } catch (DomainException refused) {
                assertThat(f.store.listAllocations()).as("a refused " + op + " changes nothing").isEqualTo(before);
            }
            check(f, disks, op);
        }
    }

    /** A server's last measurement and when it was taken. */
    record Measured(ServerDiskUsage usage, Instant at) {
    }

    private void apply(Fleet f, Op op, int i, Map<String, Measured> disks) {
        List<Allocation> all = f.store.listAllocations();
        if (op instanceof Admit a) {
            f.admission.admit(new CapacityAdmission.Request("v" + i, a.pool(), a.gb() * GB, "volume", a.pinned()));
        } else if (op instanceof Release r && !all.isEmpty()) {
            f.admission.release(all.get(r.index() % all.size()).id());
        } else if (op instanceof Grow g && !all.isEmpty()) {
            Allocation a = all.get(g.index() % all.size());
            f.admission.grow(a.id(), a.sizeBytes() + g.extraGb() * GB);
        } else if (op instanceof Relabel r) {
            Server s = f.ledger.server(r.server()).orElse(null);
            // an unconfigured label cannot come through the API; a kubectl label can put it on a Node
            Server next = s == null ? new Server(r.server(), r.label(), Optional.empty(), Instant.EPOCH) : s.withPool(r.label());
            f.inventory.saveServer(next);
        } else if (op instanceof Override o) {
            f.servers.assign(o.server(), f.ledger.server(o.server()).flatMap(f.ledger::poolOf).map(PoolDefinition::name),
                    Optional.of(o.shareGb() * GB));
        } else if (op instanceof Remove r) {
            f.servers.remove(r.server());
            disks.remove(r.server());
        } else if (op instanceof Measure m) {
            ServerDiskUsage u = new ServerDiskUsage(m.server(), Map.of("k8s", m.poolGb() * GB / 2, "vm", m.poolGb() * GB / 2),
                    m.otherGb() * GB, "fs" + m.filesystem(), m.filesystemGb() * GB, 0);
            Instant at = Instant.EPOCH.plusSeconds(1000 - i); // measurements arrive in any order of age
            f.ledger.measured(u, at);
            if (f.ledger.server(m.server()).isPresent()) {
                disks.put(m.server(), new Measured(u, at));
            }
        }
    }

    private void check(Fleet f, Map<String, Measured> disks, Op after) {
        CapacityLedger live = f.ledger;
        List<Server> servers = f.recordedServers.listServers();
        List<Allocation> allocations = f.recordedAllocations.listAllocations();
        assertThat(live.servers()).as("servers after " + after).isEqualTo(servers);
        assertThat(live.allocations()).as("allocations after " + after)
                .containsExactlyInAnyOrderElementsOf(allocations);

        LedgerTotals totals = live.totals();
        LedgerTotals expected = fromScratch(f.catalog, servers, allocations, disks);
        assertThat(totals).as("totals after " + after).isEqualTo(expected);

        for (Server s : servers) {
            long on = allocations.stream().filter(a -> a.server().equals(s.name())).mapToLong(Allocation::sizeBytes).sum();
            assertThat(live.allocatedOn(s.name())).isEqualTo(on);
            assertThat(live.allocationCountOn(s.name()))
                    .isEqualTo(allocations.stream().filter(a -> a.server().equals(s.name())).count());
            assertThat(live.strandedCountOn(s.name())).as("stranded on " + s.name()).isEqualTo(allocations.stream()
                    .filter(a -> a.server().equals(s.name()) && !live.poolOf(s).map(p -> p.name().equals(a.pool())).orElse(false))
                    .count());
        }
        // per-server figures (listings, metrics): the same counts, the last measurement, the disk finding
        Map<String, LedgerTotals.OverDeclared> overOn = new HashMap<>();
        expected.overDeclared().forEach(o -> o.servers().forEach(name -> overOn.put(name, o)));
        assertThat(live.serverFigures()).extracting(LedgerServer::server).as("server figures after " + after).isEqualTo(servers);
        for (LedgerServer line : live.serverFigures()) {
            String name = line.server().name();
            assertThat(line).isEqualTo(live.serverFigures(name).orElseThrow());
            assertThat(line.allocated()).isEqualTo(live.allocatedOn(name));
            assertThat(line.volumes()).isEqualTo(live.allocationCountOn(name));
            assertThat(line.strandedVolumes()).isEqualTo(live.strandedCountOn(name));
            assertThat(line.disk()).as("disk of " + name).isEqualTo(Optional.ofNullable(disks.get(name)).map(Measured::usage));
            assertThat(line.filesystemOverDeclared()).as("disk finding on " + name + " after " + after).isEqualTo(overOn.containsKey(name));
            if (overOn.containsKey(name)) {
                assertThat(line.filesystemPeers()).isEqualTo(overOn.get(name).servers().size());
            }
        }
        for (Allocation a : allocations) {
            assertThat(live.allocationNamed(a.pool(), a.name())).contains(a);
            assertThat(live.allocation(a.id())).contains(a);
        }
        for (PoolDefinition p : f.catalog.pools()) {
            for (long size : List.of(1L, 300 * GB, 1000 * GB, 1500 * GB, 2500 * GB)) {
                for (Predicate<Server> eligible : List.<Predicate<Server>>of(s -> true, s -> !s.name().equals("s1"))) {
                    assertThat(live.place(p, size, f.catalog.placement(), eligible))
                            .as("placing " + size + " in " + p.name() + " after " + after)
                            .isEqualTo(bruteForcePlace(live, servers, p, size, f.catalog.placement(), eligible));
                }
            }
            long largest = servers.stream().filter(s -> live.poolOf(s).map(p::equals).orElse(false))
                    .mapToLong(live::budgetOf).max().orElse(0);
            assertThat(live.largestFit(p)).isEqualTo(largest);
        }
        // a restart (the record read once) gives the same ledger
        CapacityLedger reloaded = f.reloaded();
        disks.values().forEach(d -> reloaded.measured(d.usage(), d.at()));
        assertThat(reloaded.totals()).isEqualTo(totals);
        // the served status is the one the totals give
        assertThat(f.queries.status().pools()).isEqualTo(
                new dsp.core.health.FleetStatusCalculator().calculate(totals, f.catalog, Instant.EPOCH).pools());
    }

    /** The placement rule spelled out over every server: policy order, then name. */
    private static Optional<Server> bruteForcePlace(CapacityLedger ledger, List<Server> servers, PoolDefinition pool, long size,
                                                    PlacementPolicy policy, Predicate<Server> eligible) {
        Comparator<Server> byBudget = Comparator.comparingLong(ledger::budgetOf);
        Comparator<Server> order = policy == PlacementPolicy.BIN_PACKING ? byBudget : byBudget.reversed();
        return servers.stream()
                .filter(s -> ledger.poolOf(s).map(pool::equals).orElse(false))
                .filter(eligible)
                .filter(s -> ledger.budgetOf(s) >= size)
                .sorted(order.thenComparing(Server::name))
                .findFirst();
    }

    /** What the figures must be, computed from the record the slow, obvious way. */
    private static LedgerTotals fromScratch(PoolCatalog catalog, List<Server> servers, List<Allocation> allocations,
                                            Map<String, Measured> measurements) {
        Map<String, ServerDiskUsage> disks = new HashMap<>();
        measurements.forEach((name, m) -> disks.put(name, m.usage()));
        java.util.function.Function<List<Server>, Optional<Instant>> oldest = group -> group.stream()
                .map(s -> measurements.get(s.name())).filter(m -> m != null).map(Measured::at).min(Instant::compareTo);
        Map<String, Server> byName = new HashMap<>();
        servers.forEach(s -> byName.put(s.name(), s));
        Map<String, Long> allocated = new HashMap<>();
        allocations.forEach(a -> allocated.merge(a.server(), a.sizeBytes(), Long::sum));
        java.util.function.Function<Server, Optional<PoolDefinition>> poolOf = s -> s.pool().flatMap(catalog::byLabel);
        java.util.function.ToLongFunction<Server> share = s -> poolOf.apply(s).map(p -> s.shareOverride().orElse(p.shareBytes())).orElse(0L);
        java.util.function.ToLongFunction<Server> budget = s -> poolOf.apply(s)
                .map(p -> CapacityLedger.sellable(share.applyAsLong(s), p.overcommit())).orElse(0L)
                - allocated.getOrDefault(s.name(), 0L);
        Predicate<Allocation> stranded = a -> {
            Server s = byName.get(a.server());
            return s == null || poolOf.apply(s).map(p -> !p.name().equals(a.pool())).orElse(true);
        };
        List<LedgerTotals.Pool> pools = new ArrayList<>();
        for (PoolDefinition p : catalog.pools()) {
            List<Server> members = servers.stream().filter(s -> poolOf.apply(s).map(p::equals).orElse(false)).toList();
            List<ServerDiskUsage> measured = members.stream().map(s -> disks.get(s.name())).filter(d -> d != null).toList();
            List<Allocation> own = allocations.stream().filter(a -> a.pool().equals(p.name())).toList();
            List<Allocation> strandedOwn = own.stream().filter(stranded).toList();
            TreeSet<String> where = new TreeSet<>();
            strandedOwn.forEach(a -> where.add(a.server()));
            pools.add(new LedgerTotals.Pool(p, members.size(), members.stream().mapToLong(share).sum(),
                    members.stream().mapToLong(s -> allocated.getOrDefault(s.name(), 0L)).sum(),
                    members.stream().mapToLong(s -> Math.max(0, budget.applyAsLong(s))).sum(),
                    measured.stream().mapToLong(ServerDiskUsage::pooledBytes).sum(),
                    oldest.apply(members),
                    own.stream().mapToLong(Allocation::sizeBytes).sum(), own.size(),
                    strandedOwn.stream().mapToLong(Allocation::sizeBytes).sum(), strandedOwn.size(),
                    where.stream().limit(CapacityLedger.NAMES_SHOWN).toList(), where.size()));
        }
        List<Server> pooled = servers.stream().filter(s -> poolOf.apply(s).isPresent()).toList();
        List<ServerDiskUsage> pooledDisks = pooled.stream().map(s -> disks.get(s.name())).filter(d -> d != null).toList();
        Map<String, TreeSet<String>> unknown = new java.util.TreeMap<>();
        servers.stream().filter(s -> s.pool().isPresent() && poolOf.apply(s).isEmpty())
                .forEach(s -> unknown.computeIfAbsent(s.pool().get(), l -> new TreeSet<>()).add(s.name()));
        List<LedgerTotals.UnknownLabel> unknownLabels = unknown.entrySet().stream().map(e -> new LedgerTotals.UnknownLabel(
                e.getKey(), e.getValue().stream().limit(CapacityLedger.NAMES_SHOWN).toList(), e.getValue().size())).toList();
        Map<String, List<Server>> byFilesystem = new java.util.TreeMap<>();
        for (Server s : pooled) {
            ServerDiskUsage d = disks.get(s.name());
            if (d != null && d.filesystemBytes() > 0) {
                byFilesystem.computeIfAbsent(d.filesystemId(), k -> new ArrayList<>()).add(s);
            }
        }
        List<LedgerTotals.OverDeclared> over = new ArrayList<>();
        byFilesystem.forEach((id, group) -> {
            long declared = group.stream().mapToLong(s -> share.applyAsLong(s) + catalog.reserveBytes()).sum();
            long real = disks.get(group.get(0).name()).filesystemBytes();
            if (declared > real) {
                over.add(new LedgerTotals.OverDeclared(id, group.stream().map(Server::name).toList(), declared, real));
            }
        });
        return new LedgerTotals(pools, pooled.size(), pooled.size() * catalog.reserveBytes(),
                pooledDisks.stream().mapToLong(ServerDiskUsage::otherBytes).sum(),
                oldest.apply(pooled), unknownLabels, over);
    }

    @Property(tries = 30)
    void aLedgerIsTheSameWhateverOrderTheRecordArrivesIn(@ForAll("histories") List<Op> history) {
        Fleet f = new Fleet();
        SERVERS.forEach(s -> f.label(s, "k8s"));
        Map<String, Measured> disks = new HashMap<>();
        int i = 0;
        for (Op op : history) {
            try {
                apply(f, op, i++, disks);
            } catch (DomainException refused) {
                // refusals are part of the history
            }
        }
        List<Allocation> allocations = new ArrayList<>(f.recordedAllocations.listAllocations());
        java.util.Collections.reverse(allocations);
        CapacityLedger reversed = new CapacityLedger(f.catalog);
        allocations.forEach(reversed::putAllocation); // allocations before their servers, as an informer may deliver them
        f.recordedServers.listServers().forEach(reversed::putServer);
        disks.values().forEach(d -> reversed.measured(d.usage(), d.at()));
        assertThat(reversed.totals()).isEqualTo(f.ledger.totals());
        assertThat(Set.copyOf(reversed.allocations())).isEqualTo(Set.copyOf(f.ledger.allocations()));
    }
}
