package dsp.core.usecase;

import dsp.core.DomainException;
import dsp.core.ledger.CapacityLedger;
import dsp.core.model.Allocation;
import dsp.core.model.MoveRecords;
import dsp.core.model.Names;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Quantity;
import dsp.core.model.Server;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.port.AllocationStore;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Admission: every allocation, release and resize goes through the ledger under the fleet lock,
 * so no sequence of them ever promises a server more than its budget.
 */
public final class CapacityAdmission {

    /**
     * What a caller asks for; {@code server} pins placement to one server (e.g. a scheduler's
     * choice). {@code phase} is PENDING when the caller will make the data after admission.
     * {@code id}, when given, is the allocation's id instead of a fresh one: derived from what the
     * allocation is for (e.g. a claim's uid), so a retried request can never make a second one.
     */
    public record Request(String name, String pool, long sizeBytes, String kind, Optional<String> server,
                          VolumeFormat format, Optional<String> template, Optional<String> owner, VolumePhase phase,
                          Optional<java.util.Set<String>> candidates, Optional<String> id) {

        /** A ledger-only request: a ready directory allocation. */
        public Request(String name, String pool, long sizeBytes, String kind, Optional<String> server) {
            this(name, pool, sizeBytes, kind, server, VolumeFormat.DIRECTORY, Optional.empty(), Optional.empty(), VolumePhase.READY);
        }

        public Request(String name, String pool, long sizeBytes, String kind, Optional<String> server,
                       VolumeFormat format, Optional<String> template, Optional<String> owner, VolumePhase phase) {
            this(name, pool, sizeBytes, kind, server, format, template, owner, phase, Optional.empty(), Optional.empty());
        }

        /** Placement then chooses only among these servers (e.g. those that hold the template). */
        public Request onlyOn(Optional<java.util.Set<String>> servers) {
            return new Request(name, pool, sizeBytes, kind, server, format, template, owner, phase, servers, id);
        }

        /** The allocation gets this id (see {@link Request}). */
        public Request withId(String allocationId) {
            return new Request(name, pool, sizeBytes, kind, server, format, template, owner, phase, candidates, Optional.of(allocationId));
        }
    }

    private final PoolCatalog catalog;
    private final CapacityLedger ledger;
    private final AllocationStore store;
    private final FleetLock lock;
    private final Clock clock;
    private final Supplier<String> ids;

    /**
     * @param store where admitted allocations are recorded; it must feed the ledger every change
     *              of its record (see {@link CapacityLedger})
     */
    public CapacityAdmission(CapacityLedger ledger, AllocationStore store, FleetLock lock, Clock clock, Supplier<String> ids) {
        this.catalog = ledger.catalog();
        this.ledger = ledger;
        this.store = store;
        this.lock = lock;
        this.clock = clock;
        this.ids = ids;
    }

    /**
     * Decides and reserves in memory (no I/O under the lock), then records the allocation;
     * when recording fails the reservation is taken back.
     */
    public Allocation admit(Request request) {
        Names.require("volume", request.name());
        PoolDefinition pool = catalog.require(request.pool());
        if (request.sizeBytes() <= 0) {
            throw DomainException.invalid("size must be positive");
        }
        if (request.sizeBytes() > Quantity.MAX_BYTES) {
            throw DomainException.invalid("size is larger than 1 EB; refusing an absurd size");
        }
        Allocation admitted = lock.locked(() -> ledger.atomically(() -> {
            if (ledger.allocationNamed(pool.name(), request.name()).isPresent()) {
                throw DomainException.conflict("pool " + pool.name() + " already has a volume named '" + request.name() + "'");
            }
            Server target = request.server()
                    .map(name -> pinned(pool, name, request.sizeBytes()))
                    .orElseGet(() -> ledger.place(pool, request.sizeBytes(), catalog.placement(),
                                    s -> request.candidates().map(c -> c.contains(s.name())).orElse(true))
                            .orElseThrow(() -> noRoom(pool, request)));
            Allocation a = new Allocation(request.id().orElseGet(ids), request.name(), pool.name(), target.name(),
                    request.sizeBytes(), request.kind(), clock.instant(), request.format(), request.template(),
                    request.owner(), request.phase());
            ledger.reserve(a);
            return a;
        }));
        try {
            store.addAllocation(admitted);
        } catch (RuntimeException e) {
            ledger.cancel(admitted.id());
            throw e;
        }
        return admitted;
    }

    /** Forgets an allocation; the caller has dealt with its data according to the reclaim policy. */
    public void release(String id) {
        lock.locked(() -> {
            existing(id);
            store.removeAllocation(id);
            return null;
        });
    }

    /** Records a new phase or owner of an allocation (capacity is unchanged). */
    public Allocation update(Allocation changed) {
        return lock.locked(() -> {
            Allocation next = existing(changed.id()).withPhase(changed.phase()).withOwner(changed.owner());
            store.updateAllocation(next);
            return next;
        });
    }

    /**
     * Records that the data of a Pending allocation is made and durable: it becomes Ready (see
     * {@link AllocationStore#completeAllocation}: start-up would complete it from the data alone).
     */
    public Allocation complete(Allocation pending) {
        return lock.locked(() -> {
            Allocation next = existing(pending.id()).withPhase(VolumePhase.READY);
            store.completeAllocation(next);
            return next;
        });
    }

    /**
     * Admits room for a copy of {@code volume} on another server of its pool (a move): the target
     * is chosen by the pool's placement among the other servers {@code eligible} accepts, its
     * budget is charged at once, and the copy is recorded Pending ({@link MoveRecords#copy}).
     */
    public Allocation admitCopy(Allocation volume, java.util.function.Predicate<Server> eligible, String copyId) {
        Allocation copy = lock.locked(() -> ledger.atomically(() -> {
            PoolDefinition pool = catalog.require(volume.pool());
            Server target = ledger.place(pool, volume.sizeBytes(), catalog.placement(),
                            s -> !s.name().equals(volume.server()) && eligible.test(s))
                    .orElseThrow(() -> DomainException.insufficientCapacity(noRoomForCopy(ledger, pool, volume, eligible)));
            Allocation c = MoveRecords.copy(volume, copyId, target.name(), clock.instant());
            ledger.reserve(c);
            return c;
        }));
        try {
            store.addAllocation(copy);
        } catch (RuntimeException e) {
            ledger.cancel(copy.id());
            throw e;
        }
        return copy;
    }

    /**
     * Why no other server of the pool can take a copy of {@code volume}, in one sentence; the
     * same answer for a drain's plan and its moves.
     */
    public static String noRoomForCopy(CapacityLedger ledger, PoolDefinition pool, Allocation volume,
                                       java.util.function.Predicate<Server> eligible) {
        java.util.List<Server> others = ledger.serversIn(pool).stream().filter(s -> !s.name().equals(volume.server())).toList();
        if (others.isEmpty()) {
            return "pool " + pool.name() + " has no other server";
        }
        java.util.List<Server> usable = others.stream().filter(eligible).toList();
        if (usable.isEmpty()) {
            return "no other server of pool " + pool.name() + " holds " + volume.template().map(t -> "template " + t)
                    .orElse("what this volume needs");
        }
        long best = usable.stream().mapToLong(ledger::budgetOf).max().orElse(0);
        return "no other server of pool " + pool.name() + " has room for " + Quantity.humanize(volume.sizeBytes())
                + " (the most one can take is " + Quantity.humanize(Math.max(0, best)) + ")";
    }

    /**
     * Records the original a move leaves on the volume's server ({@link MoveRecords#original}),
     * to be deleted: counted where it is until then. Written once the copy is Ready: the move is decided.
     */
    public Allocation recordOriginal(Allocation volume, String originalId) {
        return lock.locked(() -> {
            Allocation original = MoveRecords.original(volume, originalId, clock.instant());
            store.addAllocation(original);
            return original;
        });
    }

    /** Points a volume's record at the server its data was moved to (the switch of a move). */
    public Allocation moveTo(String id, String server) {
        return lock.locked(() -> {
            Allocation moved = existing(id).withServer(server);
            store.updateAllocation(moved);
            return moved;
        });
    }

    /** Puts an allocation back to an earlier size, e.g. when growing its data failed. */
    public void restoreSize(String id, long size) {
        lock.locked(() -> {
            ledger.allocation(id).ifPresent(a -> store.updateAllocation(a.withSize(size)));
            return null;
        });
    }

    /** Grows an allocation in place on its server; shrinking is refused, the same size is a no-op. */
    public Allocation grow(String id, long newSize) {
        if (newSize <= 0 || newSize > Quantity.MAX_BYTES) {
            throw DomainException.invalid("new size must be between 1 byte and 1 EB");
        }
        return lock.locked(() -> {
            Allocation a = existing(id);
            if (newSize < a.sizeBytes()) {
                throw DomainException.conflict("'" + a.name() + "' is " + Quantity.humanize(a.sizeBytes())
                        + "; shrinking to " + Quantity.humanize(newSize) + " is not supported (grow only)");
            }
            if (newSize == a.sizeBytes()) {
                return a;
            }
            long extra = newSize - a.sizeBytes();
            Server s = ledger.server(a.server()).orElseThrow(() -> DomainException.conflict(
                    "server '" + a.server() + "' holding '" + a.name() + "' no longer exists"));
            if (ledger.isStranded(a)) {
                throw DomainException.conflict("'" + a.name() + "' is stranded on server '" + s.name()
                        + "', which left pool " + a.pool() + "; it cannot grow there");
            }
            long budget = ledger.budgetOf(s);
            if (budget < extra) {
                throw DomainException.insufficientCapacity("server '" + s.name() + "' of pool " + a.pool() + " has "
                        + Quantity.humanize(Math.max(0, budget)) + " free; growing '" + a.name() + "' by "
                        + Quantity.humanize(extra) + " needs " + Quantity.humanize(extra - Math.max(0, budget)) + " more");
            }
            Allocation grown = a.withSize(newSize);
            store.updateAllocation(grown);
            return grown;
        });
    }

    private Allocation existing(String id) {
        return ledger.allocation(id).orElseThrow(() -> DomainException.notFound("allocation '" + id + "' does not exist"));
    }

    private Server pinned(PoolDefinition pool, String name, long size) {
        Server s = ledger.server(name).orElseThrow(() -> DomainException.notFound("server '" + name + "' does not exist"));
        if (ledger.poolOf(s).map(p -> !p.name().equals(pool.name())).orElse(true)) {
            throw DomainException.conflict("server '" + name + "' is not in pool " + pool.name());
        }
        long budget = ledger.budgetOf(s);
        if (budget < size) {
            throw DomainException.insufficientCapacity("server '" + name + "' of pool " + pool.name() + " has "
                    + Quantity.humanize(Math.max(0, budget)) + " free; " + Quantity.humanize(size) + " requested");
        }
        return s;
    }

    private DomainException noRoom(PoolDefinition pool, Request request) {
        long size = request.sizeBytes();
        if (request.candidates().isPresent()) {
            List<String> usable = request.candidates().get().stream()
                    .filter(name -> ledger.server(name).flatMap(ledger::poolOf).map(p -> p.name().equals(pool.name())).orElse(false))
                    .sorted().toList();
            if (usable.isEmpty()) {
                return DomainException.insufficientCapacity("no server of pool " + pool.name() + " has "
                        + request.template().map(t -> "template " + t).orElse("what this volume needs") + "; servers with it: "
                        + request.candidates().get().stream().sorted().toList());
            }
        }
        long best = Math.max(0, ledger.largestFit(pool));
        return DomainException.insufficientCapacity("pool " + pool.name() + " has no server with room for "
                + Quantity.humanize(size) + ": the most any server can take is " + Quantity.humanize(best)
                + " (short by " + Quantity.humanize(size - best) + "); pool has "
                + Quantity.humanize(ledger.available(pool)) + " available over " + ledger.serverCount(pool) + " server(s)");
    }
}
