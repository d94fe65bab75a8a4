package dsp.core.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.DomainException;
import dsp.core.Fleet;
import dsp.core.model.Allocation;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Server;
import dsp.core.usecase.CapacityAdmission;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * No sequence of allocations, releases, grows and relabels ever promises a server more than its
 * budget, and capacity always equals the servers' shares.
 */
class LedgerPropertiesTest {

    private static final long GB = 1_000_000_000L;
    private static final List<String> SERVERS = List.of("s1", "s2", "s3", "s4");
    private static final List<Optional<String>> LABELS = List.of(Optional.of("k8s"), Optional.of("vm"), Optional.empty());

    sealed interface Op permits Admit, Release, Grow, Relabel {
    }

    record Admit(String pool, long gb) implements Op {
    }

    record Release(int index) implements Op {
    }

    record Grow(int index, long extraGb) implements Op {
    }

    record Relabel(String server, Optional<String> pool) implements Op {
    }

    @Provide
    Arbitrary<List<Op>> operations() {
        Arbitrary<Op> admit = Combinators.combine(Arbitraries.of("k8s", "vm"), Arbitraries.longs().between(1, 1600))
                .as(Admit::new);
        Arbitrary<Op> release = Arbitraries.integers().between(0, 50).map(Release::new);
        Arbitrary<Op> grow = Combinators.combine(Arbitraries.integers().between(0, 50), Arbitraries.longs().between(0, 900))
                .as(Grow::new);
        Arbitrary<Op> relabel = Combinators.combine(Arbitraries.of(SERVERS), Arbitraries.of(LABELS)).as(Relabel::new);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, admit), net.jqwik.api.Tuple.of(2, release),
                net.jqwik.api.Tuple.of(2, grow), net.jqwik.api.Tuple.of(2, relabel)).list().ofMaxSize(60);
    }

    @Property(tries = 300)
    void neverOversellsAndCapacityIsServersTimesShare(@ForAll("operations") List<Op> ops) {
        Fleet f = new Fleet();
        f.label("s1", "k8s");
        f.label("s2", "vm");
        int i = 0;
        for (Op op : ops) {
            List<Allocation> before = f.store.listAllocations();
            try {
                Optional<String> touched = apply(f, op, i++);
                // a server that admission or a grow just wrote to is within its share
                touched.ifPresent(server -> {
                    CapacityLedger ledger = f.queries.ledger();
                    Server s = ledger.server(server).orElseThrow();
                    assertThat(ledger.allocatedOn(server)).as("allocated on " + server + " after " + op)
                            .isLessThanOrEqualTo(ledger.shareOf(s));
                });
            } catch (DomainException refused) {
                assertThat(f.store.listAllocations()).as("a refused operation changes nothing").isEqualTo(before);
            }
            checkInvariants(f);
        }
    }

    /** Applies the operation; returns the server it put bytes on, if it did. */
    private Optional<String> apply(Fleet f, Op op, int i) {
        List<Allocation> all = f.store.listAllocations();
        if (op instanceof Admit a) {
            return Optional.of(f.admission.admit(new CapacityAdmission.Request("v" + i, a.pool(), a.gb() * GB, "volume", Optional.empty())).server());
        } else if (op instanceof Release r) {
            if (!all.isEmpty()) {
                f.admission.release(all.get(r.index() % all.size()).id());
            }
        } else if (op instanceof Grow g) {
            if (!all.isEmpty()) {
                Allocation a = all.get(g.index() % all.size());
                String server = f.admission.grow(a.id(), a.sizeBytes() + g.extraGb() * GB).server();
                return g.extraGb() > 0 ? Optional.of(server) : Optional.empty(); // same size is a no-op
            }
        } else if (op instanceof Relabel r) {
            f.label(r.server(), r.pool().orElse(null));
        }
        return Optional.empty();
    }

    private void checkInvariants(Fleet f) {
        CapacityLedger ledger = f.queries.ledger();
        for (PoolDefinition p : f.catalog.pools()) {
            List<Server> members = ledger.serversIn(p);
            assertThat(ledger.capacity(p)).isEqualTo(members.size() * p.shareBytes());
            assertThat(ledger.available(p)).isBetween(0L, ledger.capacity(p));
            assertThat(ledger.used(p) + ledger.available(p)).as("used + available >= capacity")
                    .isGreaterThanOrEqualTo(ledger.capacity(p));
        }
        for (Allocation a : f.store.listAllocations()) {
            assertThat(ledger.server(a.server())).as("allocations stay on their server").isPresent();
        }
    }

    /** Admission alone, with relabels in between, never lets admitted bytes exceed the share on any server. */
    @Property(tries = 300)
    void admittedBytesNeverExceedAServersShare(@ForAll("operations") List<Op> ops) {
        Fleet f = new Fleet();
        SERVERS.forEach(s -> f.label(s, "k8s"));
        int i = 0;
        for (Op op : ops) {
            if (op instanceof Relabel r) {
                // relabel only between the two pools: data moves never, shares move at once
                f.label(r.server(), r.pool().orElse("vm"));
            } else {
                try {
                    apply(f, op, i++);
                } catch (DomainException refused) {
                    // refusals are fine; overselling is not
                }
            }
            CapacityLedger ledger = f.queries.ledger();
            for (Server s : ledger.servers()) {
                assertThat(ledger.allocatedOn(s.name())).as("allocated on " + s.name()).isLessThanOrEqualTo(ledger.shareOf(s));
            }
        }
    }
}
