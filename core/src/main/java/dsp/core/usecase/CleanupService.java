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

    /**
     * The same, saying how far it got: a run that moves counts the bytes moved to the trash of the
     * total its plan (a dry run per server, done first) found, so a big orphan shows as big; where the
     * servers' own agents clean (no plan at once) and in a dry run, the step names the server it is at.
     */
    public Report run(boolean dryRun, dsp.core.operation.Operations.Progress progress) {
        Instant at = clock.instant();
        String run = at.toString();
        List<Outcome> outcomes = new ArrayList<>();
        List<Server> servers = inventory.listServers();
        long toMove = dryRun ? 0 : bytesToMove(servers, progress);
        long moved = 0;
        for (Server s : servers) {
            progress.progress(moved, Math.max(toMove, moved), (dryRun ? "looking for" : "moving") + " orphans on " + s.name()
                    + " (server " + (outcomes.size() + 1) + " of " + servers.size() + ")");
            Outcome outcome = cleaner.clean(run, s.name(), () -> onServer(s.name()), dryRun);
            outcomes.add(outcome);
            moved += dryRun ? 0 : outcome.items().stream().mapToLong(StorageCleaner.Item::bytes).sum();
        }
        Report report = new Report(run, dryRun, at, outcomes);
        if (!dryRun && !servers.isEmpty() && report.pending().isEmpty()) {
            progress.progress(moved, Math.max(toMove, moved), "moved " + report.items().size() + " orphan(s) to the trash");
        }
        return report;
    }

    /** The bytes a run will move, from each server's plan; 0 (not known) as soon as one server cannot tell at once. */
    private long bytesToMove(List<Server> servers, dsp.core.operation.Operations.Progress progress) {
        long total = 0;
        int n = 0;
        for (Server s : servers) {
            progress.progress(0, 0, "sizing orphans on " + s.name() + " (server " + ++n + " of " + servers.size() + ")");
            Optional<List<StorageCleaner.Item>> plan = cleaner.plan(s.name(), () -> onServer(s.name()));
            if (plan.isEmpty()) {
                return 0;
            }
            total += plan.get().stream().mapToLong(StorageCleaner.Item::bytes).sum();
        }
        return total;
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
