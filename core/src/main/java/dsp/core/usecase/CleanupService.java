package dsp.core.usecase;

import dsp.core.model.Allocation;
import dsp.core.model.Server;
import dsp.core.port.AllocationStore;
import dsp.core.port.ServerInventory;
import dsp.core.port.StorageCleaner;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The guide's pool cleanup: orphaned files in every server's pool directories go to the pool's
 * trash; anything a volume, VM disk or template references stays. A dry run shows the plan.
 */
public final class CleanupService {

    /** What a run did or would do. */
    public record Report(boolean dryRun, Instant at, List<StorageCleaner.Item> items, List<String> servers) {
        public long bytes() {
            return items.stream().mapToLong(StorageCleaner.Item::bytes).sum();
        }
    }

    private final ServerInventory inventory;
    private final AllocationStore allocations;
    private final StorageCleaner cleaner;
    private final Clock clock;

    public CleanupService(ServerInventory inventory, AllocationStore allocations, StorageCleaner cleaner, Clock clock) {
        this.inventory = inventory;
        this.allocations = allocations;
        this.cleaner = cleaner;
        this.clock = clock;
    }

    public Report run(boolean dryRun) {
        List<StorageCleaner.Item> items = new ArrayList<>();
        List<String> servers = new ArrayList<>();
        for (Server s : inventory.listServers()) {
            servers.add(s.name());
            items.addAll(cleaner.clean(s.name(), () -> onServer(s.name()), dryRun));
        }
        return new Report(dryRun, clock.instant(), items, servers);
    }

    private List<Allocation> onServer(String server) {
        return allocations.listAllocations().stream().filter(a -> a.server().equals(server)).toList();
    }
}
