package dsp.core.port;

import dsp.core.model.Server;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Measures what is really on the servers' disks (the guide's {@code du -sh}). */
public interface StorageMeter {

    /** One entry per server that could be measured; servers that could not are left out. */
    List<ServerDiskUsage> measure(List<Server> servers);

    /**
     * @param poolBytes      bytes on disk under each pool's directory, keyed by pool name
     * @param otherBytes     bytes on the server root outside the pool directories (system reserve use)
     * @param filesystemId   identifies the file system holding the server root; servers sharing
     *                       one must not declare more than it holds
     * @param volumeBytes    bytes on disk of each volume, keyed {@code <pool>/<volume name>}, where measured
     * @param measuredAt     when these figures were taken (an agent's last report), if known
     */
    record ServerDiskUsage(String server, Map<String, Long> poolBytes, long otherBytes,
                           String filesystemId, long filesystemBytes, long filesystemFreeBytes,
                           Map<String, Long> volumeBytes, Optional<Instant> measuredAt) {

        public ServerDiskUsage {
            poolBytes = Map.copyOf(poolBytes);
            volumeBytes = Map.copyOf(volumeBytes);
        }

        public ServerDiskUsage(String server, Map<String, Long> poolBytes, long otherBytes,
                               String filesystemId, long filesystemBytes, long filesystemFreeBytes) {
            this(server, poolBytes, otherBytes, filesystemId, filesystemBytes, filesystemFreeBytes, Map.of(), Optional.empty());
        }

        public long pooledBytes() {
            return poolBytes.values().stream().mapToLong(Long::longValue).sum();
        }

        /** The key of {@link #volumeBytes} for one volume. */
        public static String volumeKey(String pool, String volume) {
            return pool + "/" + volume;
        }
    }
}
