package dsp.core.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.DomainException;
import dsp.core.Fleet;
import dsp.core.model.Allocation;
import dsp.core.model.PlacementPolicy;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.ReclaimPolicy;
import dsp.core.model.Thresholds;
import dsp.core.usecase.CapacityAdmission;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * The ledger and admission checked step by step against a model small enough to be obviously
 * right: a map of servers (label, share override) and a map of allocations, with capacity, budget
 * and placement written out longhand. Operations include share overrides, servers leaving pools
 * and leaving the fleet (not only moving), pools with overcommit, pinned and free placement,
 * grows and releases. Then the same engine under parallel admissions, grows and releases, whose
 * end state must equal what each thread's own bookkeeping says, with no server ever oversold.
 * These are the safety net for any faster ledger (incremental, cached, indexed).
 */
class LedgerModelPropertiesTest {

    private static final long GB = 1_000_000_000L;
    private static final List<String> SERVERS = List.of("s1", "s2", "s3", "s4", "s5");
    private static final List<String> POOLS = List.of("k8s", "vm", "backup");

    // --- the model ---

    record ModelServer(Optional<String> label, Optional<Long> override) {
    }

    record ModelAllocation(String pool, String server, long size) {
    }

    /** The specification, written the slow and obvious way. */
    static final class Model {
        final PoolCatalog catalog;
        final Map<String, ModelServer> servers = new TreeMap<>();
        final Map<String, ModelAllocation> allocations = new TreeMap<>();

        Model(PoolCatalog catalog) {
            this.catalog = catalog;
        }

        Optional<PoolDefinition> poolOf(String server) {
            ModelServer s = servers.get(server);
            return s == null ? Optional.empty() : s.label().flatMap(catalog::byLabel);
        }

        long share(String server) {
            return poolOf(server).map(p -> servers.get(server).override().orElse(p.shareBytes())).orElse(0L);
        }

        long sellable(String server) {
            return poolOf(server).map(p -> BigDecimal.valueOf(share(server)).multiply(BigDecimal.valueOf(p.overcommit()))
                    .setScale(0, RoundingMode.FLOOR).longValueExact()).orElse(0L);
        }

        long allocatedOn(String server) {
            return allocations.values().stream().filter(a -> a.server().equals(server)).mapToLong(ModelAllocation::size).sum();
        }

        long budget(String server) {
            return sellable(server) - allocatedOn(server);
        }

        List<String> members(PoolDefinition pool) {
            return servers.keySet().stream().filter(s -> poolOf(s).map(p -> p.name().equals(pool.name())).orElse(false)).toList();
        }

        long capacity(PoolDefinition pool) {
            return members(pool).stream().mapToLong(this::share).sum();
        }

        long used(PoolDefinition pool) {
            return members(pool).stream().mapToLong(this::allocatedOn).sum();
        }

        long available(PoolDefinition pool) {
            return members(pool).stream().mapToLong(s -> Math.max(0, budget(s))).sum();
        }

        boolean stranded(ModelAllocation a) {
            return poolOf(a.server()).map(p -> !p.name().equals(a.pool())).orElse(true);
        }

        boolean fits(String pool, long size) {
            return members(catalog.require(pool)).stream().anyMatch(s -> budget(s) >= size);
        }
    }

    // --- operations ---

    sealed interface Op permits Admit, Release, Grow, Relabel, Override, Remove {
    }

    record Admit(String pool, long gb, Optional<String> pinned) implements Op {
    }

    record Release(int index) implements Op {
    }

    record Grow(int index, long extraGb) implements Op {
    }

    /** Empty label: the server leaves its pool (kubectl label node x pool-). */
    record Relabel(String server, Optional<String> pool) implements Op {
    }

    record Override(String server, long gb) implements Op {
    }

    /** The server leaves the fleet; refused while it holds allocations. */
    record Remove(String server) implements Op {
    }

    @Provide
    Arbitrary<PoolCatalog> catalogs() {
        Arbitrary<Double> overcommit = Arbitraries.of(1.0, 1.0, 1.5, 2.0);
        Arbitrary<Long> share = Arbitraries.of(500L, 1500L, 1500L);
        return Combinators.combine(overcommit, overcommit, overcommit, share, Arbitraries.of(PlacementPolicy.values()))
                .as((k, v, b, backupShare, placement) -> new PoolCatalog(List.of(
                        new PoolDefinition("k8s", "k8s", 1500 * GB, "k8s-pool-storage", "/k8s-storage-pool", ReclaimPolicy.DELETE, k),
                        new PoolDefinition("vm", "vm", 1500 * GB, "vm-pool-storage", "/vm-storage-pool", ReclaimPolicy.RETAIN, v),
                        new PoolDefinition("backup", "backup", backupShare * GB, null, "/backup-pool", ReclaimPolicy.RETAIN, b)),
                        300 * GB, Thresholds.GUIDE, placement));
    }

    @Provide
    Arbitrary<List<Op>> operations() {
        Arbitrary<Optional<String>> pinned = Arbitraries.of(SERVERS).optional(0.3);
        Arbitrary<Op> admit = Combinators.combine(Arbitraries.of(POOLS), Arbitraries.longs().between(1, 2400), pinned).as(Admit::new);
        Arbitrary<Op> release = Arbitraries.integers().between(0, 60).map(Release::new);
        Arbitrary<Op> grow = Combinators.combine(Arbitraries.integers().between(0, 60), Arbitraries.longs().between(0, 1200)).as(Grow::new);
        Arbitrary<Op> relabel = Combinators.combine(Arbitraries.of(SERVERS), Arbitraries.of(POOLS).optional(0.7)).as(Relabel::new);
        Arbitrary<Op> override = Combinators.combine(Arbitraries.of(SERVERS), Arbitraries.of(200L, 1000L, 1500L, 4000L)).as(Override::new);
        Arbitrary<Op> remove = Arbitraries.of(SERVERS).map(Remove::new);
        return Arbitraries.frequencyOf(Tuple.of(8, admit), Tuple.of(3, release), Tuple.of(3, grow), Tuple.of(3, relabel),
                Tuple.of(2, override), Tuple.of(1, remove)).list().ofMaxSize(70);
    }

    @Property(tries = 250)
    void everyStepAgreesWithTheModel(@ForAll("catalogs") PoolCatalog catalog, @ForAll("operations") List<Op> ops) {
        Fleet f = new Fleet(catalog, servers -> List.of());
        Model m = new Model(catalog);
        for (String s : SERVERS.subList(0, 3)) {
            Relabel r = new Relabel(s, Optional.of(POOLS.get(SERVERS.indexOf(s))));
            f.label(r.server(), r.pool().get());
            m.servers.put(s, new ModelServer(r.pool(), Optional.empty()));
        }
        int step = 0;
        for (Op op : ops) {
            step++;
            String context = "step " + step + ": " + op;
            List<Allocation> before = f.store.listAllocations();
            boolean expected = expectedToSucceed(m, op, f);
            boolean succeeded;
            try {
                applyToEngine(f, m, op, step);
                succeeded = true;
            } catch (DomainException refused) {
                succeeded = false;
                assertThat(f.store.listAllocations()).as(context + " refused, so nothing changed").isEqualTo(before);
            }
            assertThat(succeeded).as(context + " succeeds exactly when the model says it can").isEqualTo(expected);
            agrees(f, m, context);
        }
    }

    /** What the model says about an operation before it runs. */
    private static boolean expectedToSucceed(Model m, Op op, Fleet f) {
        List<Allocation> all = f.store.listAllocations();
        if (op instanceof Admit a) {
            if (a.pinned().isPresent()) {
                String s = a.pinned().get();
                return m.poolOf(s).map(p -> p.name().equals(a.pool())).orElse(false) && m.budget(s) >= a.gb() * GB;
            }
            return m.fits(a.pool(), a.gb() * GB);
        } else if (op instanceof Grow g) {
            if (all.isEmpty() || g.extraGb() == 0) {
                return true;
            }
            ModelAllocation a = m.allocations.get(all.get(g.index() % all.size()).id());
            return m.servers.containsKey(a.server()) && !m.stranded(a) && m.budget(a.server()) >= g.extraGb() * GB;
        } else if (op instanceof Remove r) {
            return m.servers.containsKey(r.server()) && m.allocatedOn(r.server()) == 0;
        }
        return true; // release, relabel, override
    }

    /** Runs the operation on the engine and, when it succeeds, on the model. */
    private static void applyToEngine(Fleet f, Model m, Op op, int step) {
        List<Allocation> all = f.store.listAllocations();
        if (op instanceof Admit a) {
            long size = a.gb() * GB;
            Allocation got = f.admission.admit(new CapacityAdmission.Request("v" + step, a.pool(), size, "volume", a.pinned()));
            assertThat(m.poolOf(got.server()).map(PoolDefinition::name)).as("placed on a server of pool " + a.pool()).contains(a.pool());
            assertThat(m.budget(got.server())).as("placed where it fits").isGreaterThanOrEqualTo(size);
            a.pinned().ifPresent(p -> assertThat(got.server()).isEqualTo(p));
            m.allocations.put(got.id(), new ModelAllocation(a.pool(), got.server(), size));
        } else if (op instanceof Release r) {
            if (!all.isEmpty()) {
                String id = all.get(r.index() % all.size()).id();
                f.admission.release(id);
                m.allocations.remove(id);
            }
        } else if (op instanceof Grow g) {
            if (!all.isEmpty()) {
                Allocation a = all.get(g.index() % all.size());
                f.admission.grow(a.id(), a.sizeBytes() + g.extraGb() * GB);
                ModelAllocation ma = m.allocations.get(a.id());
                m.allocations.put(a.id(), new ModelAllocation(ma.pool(), ma.server(), ma.size() + g.extraGb() * GB));
            }
        } else if (op instanceof Relabel r) {
            f.servers.assign(r.server(), r.pool(), Optional.empty());
            ModelServer s = m.servers.getOrDefault(r.server(), new ModelServer(Optional.empty(), Optional.empty()));
            m.servers.put(r.server(), new ModelServer(r.pool().map(p -> m.catalog.require(p).label()), s.override()));
        } else if (op instanceof Override o) {
            ModelServer s = m.servers.getOrDefault(o.server(), new ModelServer(Optional.empty(), Optional.empty()));
            f.servers.assign(o.server(), s.label().flatMap(m.catalog::byLabel).map(PoolDefinition::name), Optional.of(o.gb() * GB));
            m.servers.put(o.server(), new ModelServer(s.label(), Optional.of(o.gb() * GB)));
        } else if (op instanceof Remove r) {
            f.servers.remove(r.server());
            m.servers.remove(r.server());
        }
    }

    /** Every figure the ledger gives equals the model's. */
    private static void agrees(Fleet f, Model m, String context) {
        CapacityLedger ledger = f.queries.ledger();
        assertThat(ledger.servers().stream().map(s -> s.name()).toList()).as(context + ": servers")
                .containsExactlyElementsOf(m.servers.keySet());
        for (String s : m.servers.keySet()) {
            var server = ledger.server(s).orElseThrow();
            assertThat(ledger.shareOf(server)).as(context + ": share of " + s).isEqualTo(m.share(s));
            assertThat(ledger.allocatedOn(s)).as(context + ": allocated on " + s).isEqualTo(m.allocatedOn(s));
            assertThat(ledger.budgetOf(server)).as(context + ": budget of " + s).isEqualTo(m.poolOf(s).isPresent() ? m.budget(s) : -m.allocatedOn(s));
        }
        for (PoolDefinition p : m.catalog.pools()) {
            assertThat(ledger.capacity(p)).as(context + ": capacity of " + p.name()).isEqualTo(m.capacity(p));
            assertThat(ledger.used(p)).as(context + ": used of " + p.name()).isEqualTo(m.used(p));
            assertThat(ledger.available(p)).as(context + ": available of " + p.name()).isEqualTo(m.available(p));
        }
        Map<String, Boolean> stranded = new TreeMap<>();
        m.allocations.forEach((id, a) -> stranded.put(id, m.stranded(a)));
        Map<String, Boolean> actual = new TreeMap<>();
        ledger.allocations().forEach(a -> actual.put(a.id(), ledger.isStranded(a)));
        assertThat(actual).as(context + ": allocations and which are stranded").isEqualTo(stranded);
    }

    // --- concurrency: parallel admissions, grows and releases against each thread's bookkeeping ---

    @Property(tries = 40)
    void parallelAdmissionsNeverOversellAndLoseNothing(@ForAll("catalogs") PoolCatalog catalog,
                                                       @ForAll @IntRange(min = 2, max = 6) int threads,
                                                       @ForAll boolean admissionsOnly,
                                                       @ForAll long seed) throws Exception {
        Fleet f = new Fleet(catalog, servers -> List.of());
        Model m = new Model(catalog);
        Random setup = new Random(seed);
        for (String s : SERVERS) {
            String pool = POOLS.get(setup.nextInt(POOLS.size()));
            Optional<Long> override = setup.nextBoolean() ? Optional.of((200L + setup.nextInt(2000)) * GB) : Optional.empty();
            f.servers.assign(s, Optional.of(pool), override);
            m.servers.put(s, new ModelServer(Optional.of(catalog.require(pool).label()), override));
        }
        record Refusal(String pool, long size) {
        }
        ConcurrentLinkedQueue<Refusal> refusedAdmissions = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Map<String, Long>>> results = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    // what this thread owns and how big: only it grows or releases them
                    Map<String, Long> mine = new HashMap<>();
                    Random r = new Random(seed * 31 + thread);
                    start.await();
                    for (int i = 0; i < 40; i++) {
                        int dice = r.nextInt(10);
                        try {
                            if (admissionsOnly || dice < 6 || mine.isEmpty()) {
                                String p = POOLS.get(r.nextInt(POOLS.size()));
                                long size = (1 + r.nextInt(900)) * GB;
                                try {
                                    mine.put(f.admission.admit(new CapacityAdmission.Request("t" + thread + "-" + i, p, size, "volume",
                                            Optional.empty())).id(), size);
                                } catch (DomainException refused) {
                                    refusedAdmissions.add(new Refusal(p, size));
                                }
                            } else if (dice < 8) {
                                String id = List.copyOf(mine.keySet()).get(r.nextInt(mine.size()));
                                long size = mine.get(id) + r.nextInt(300) * GB;
                                f.admission.grow(id, size);
                                mine.put(id, size);
                            } else {
                                String id = List.copyOf(mine.keySet()).get(r.nextInt(mine.size()));
                                f.admission.release(id);
                                mine.remove(id);
                            }
                        } catch (DomainException refusedGrow) {
                            // no room to grow: the allocation keeps its size
                        }
                    }
                    return mine;
                }));
            }
            start.countDown();
            Map<String, Long> expected = new TreeMap<>();
            for (Future<Map<String, Long>> r : results) {
                expected.putAll(r.get(60, TimeUnit.SECONDS));
            }
            // the store holds exactly what the threads believe they hold
            Map<String, Long> stored = new TreeMap<>();
            f.store.listAllocations().forEach(a -> stored.put(a.id(), a.sizeBytes()));
            assertThat(stored).as("no allocation lost, duplicated or resized behind a thread's back").isEqualTo(expected);
            f.store.listAllocations().forEach(a -> m.allocations.put(a.id(), new ModelAllocation(a.pool(), a.server(), a.sizeBytes())));
            // no server is ever promised more than it can sell, and the ledger agrees with the model
            for (String s : SERVERS) {
                assertThat(m.allocatedOn(s)).as("allocated on " + s).isLessThanOrEqualTo(m.sellable(s));
            }
            agrees(f, m, "after " + threads + " threads");
            if (admissionsOnly) {
                // budgets only shrink when nothing is released: a request refused then must not fit now either
                for (Refusal x : refusedAdmissions) {
                    assertThat(m.fits(x.pool(), x.size())).as("refused " + x + " although a server of the pool has room").isFalse();
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
