package dsp.core.ledger;

import dsp.core.model.PoolDefinition;
import dsp.core.model.Server;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import java.time.Instant;
import java.util.Optional;

/**
 * One server as the ledger holds it.
 *
 * @param pool                   the configured pool its label names, if any
 * @param share                  what it gives that pool (0 in none)
 * @param allocated              allocations of any pool sitting on it
 * @param disk                   its last measurement, if any
 * @param measuredAt             when that was taken
 * @param filesystemPeers        pool servers (itself included) measured on the same file system; 0 when not known
 * @param filesystemOverDeclared they declare (shares + reserve) more than that file system holds
 */
public record LedgerServer(Server server, Optional<PoolDefinition> pool, long share, long allocated, int volumes,
                           int strandedVolumes, Optional<ServerDiskUsage> disk, Optional<Instant> measuredAt,
                           int filesystemPeers, boolean filesystemOverDeclared) {
}
