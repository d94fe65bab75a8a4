package dsp.core.ledger;

import dsp.core.model.PoolDefinition;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The ledger's running totals at one moment: everything status and health are computed from.
 * Lists of server names are the first few by name; the counts say how many there are in all.
 *
 * @param reserveMeasuredAt the oldest disk measurement in {@code reserveUsed}; empty before any
 */
public record LedgerTotals(List<Pool> pools, int reserveServers, long reserveCapacity, long reserveUsed,
                           Optional<Instant> reserveMeasuredAt, List<UnknownLabel> unknownLabels,
                           List<OverDeclared> overDeclared) {

    public LedgerTotals {
        pools = List.copyOf(pools);
        unknownLabels = List.copyOf(unknownLabels);
        overDeclared = List.copyOf(overDeclared);
    }

    /**
     * @param used            allocations of any pool on the pool's servers
     * @param measured        bytes on the pool servers' disks, as last measured
     * @param measuredAt      the oldest measurement in {@code measured}; empty before any
     * @param ownBytes        allocations belonging to this pool, wherever they are
     * @param strandedServers the first servers (by name) holding this pool's stranded allocations
     */
    public record Pool(PoolDefinition pool, int servers, long capacity, long used, long available, long measured,
                       Optional<Instant> measuredAt, long ownBytes, int ownCount, long strandedBytes, int strandedCount,
                       List<String> strandedServers, int strandedServerCount) {
    }

    /** Servers labelled {@code pool=<label>} where no pool has that label. */
    public record UnknownLabel(String label, List<String> servers, int serverCount) {
    }

    /**
     * Servers on one file system that declare (shares + reserve) more than it holds; a single
     * server means its own disk is too small.
     *
     * @param servers every server on it, by name
     */
    public record OverDeclared(String filesystemId, List<String> servers, long declaredBytes, long realBytes) {

        public OverDeclared {
            servers = List.copyOf(servers);
        }
    }
}
