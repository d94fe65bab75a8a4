package dsp.core.usecase;

import dsp.core.model.Allocation;
import dsp.core.model.Server;
import dsp.core.port.ServerInventory;
import dsp.core.port.StorageCleaner;
import dsp.core.port.StorageCleaner.Outcome;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The guide's pool cleanup: orphaned files in every server's pool directories go to the pool's
 * trash; anything a volume, VM disk or template references stays. A dry run shows the plan.
 * Where each server's own agent does the work, a run is answered server by server: {@link #progress}
 * tells where it stands.
 */
public final class CleanupService {

    /** What a run did or would do, server by server. */
    public record Report(String run, boolean dryRun, Instant at, List<Outcome> outcomes) {

        public List<StorageCleaner.Item> items() {
            return outcomes.stream().flatMap(o -> o.items().stream()).toList();
        }

        public List<String> servers() {
            return outcomes.stream().map(Outcome::server).toList();
        }

        public List<Outcome> failed() {
            return outcomes.stream().filter(o -> o.state() == Outcome.State.FAILED).toList();
        }

        /** Servers that have not answered yet. */
        public List<String> pending() {
            return outcomes.stream().filter(o -> o.state() == Outcome.State.PENDING).map(Outcome::server).toList();
        }

        public long bytes() {
            return items().stream().mapToLong(StorageCleaner.Item::bytes).sum();
        }
    }

    private final ServerInventory inventory;
    private final dsp.core.port.AllocationStore allocations;
    private final StorageCleaner cleaner;
    private final Clock clock;

    public CleanupService(ServerInventory inventory, dsp.core.port.AllocationStore allocations, StorageCleaner cleaner, Clock clock) {
        this.inventory = inventory;
        this.allocations = allocations;
        this.cleaner = cleaner;
        this.clock = clock;
    }

    public Report run(boolean dryRun) {
        return run(dryRun, dsp.core.operation.Operations.Progress.NONE);
    }

    /** The same, saying which server it is at (in words: the operation's amounts are bytes, and a server is not one). */
    public Report run(boolean dryRun, dsp.core.operation.Operations.Progress progress) {
        Instant at = clock.instant();
        String run = at.toString();
        List<Outcome> outcomes = new ArrayList<>();
        List<Server> servers = inventory.listServers();
        for (Server s : servers) {
            progress.progress(0, 0, (dryRun ? "looking for" : "moving") + " orphans on " + s.name()
                    + " (server " + (outcomes.size() + 1) + " of " + servers.size() + ")");
            outcomes.add(cleaner.clean(run, s.name(), () -> onServer(s.name()), dryRun));
        }
        return new Report(run, dryRun, at, outcomes);
    }

    /** Where run {@code run} stands on each server that is part of it; empty when no server knows the run. */
    public Optional<Report> progress(String run) {
        List<Outcome> outcomes = new ArrayList<>();
        for (Server s : inventory.listServers()) {
            cleaner.outcome(run, s.name()).ifPresent(outcomes::add);
        }
        return outcomes.isEmpty() ? Optional.empty()
                : Optional.of(new Report(run, outcomes.stream().allMatch(Outcome::dryRun), clock.instant(), outcomes));
    }

    private List<Allocation> onServer(String server) {
        return allocations.listAllocations().stream().filter(a -> a.server().equals(server)).toList();
    }
}
