package dsp.core.port;

import dsp.core.model.Server;
import java.util.List;
import java.util.Map;

/** Measures what is really on the servers' disks (the guide's {@code du -sh}). */
public interface StorageMeter {

    /** One entry per server that could be measured; servers that could not are left out. */
    List<ServerDiskUsage> measure(List<Server> servers);

    /**
     * @param poolBytes      bytes on disk under each pool's directory, keyed by pool name
     * @param otherBytes     bytes on the server root outside the pool directories (system reserve use)
     * @param filesystemId   identifies the file system holding the server root; servers sharing
     *                       one must not declare more than it holds
     */
    record ServerDiskUsage(String server, Map<String, Long> poolBytes, long otherBytes,
                           String filesystemId, long filesystemBytes, long filesystemFreeBytes) {

        public ServerDiskUsage {
            poolBytes = Map.copyOf(poolBytes);
        }

        public long pooledBytes() {
            return poolBytes.values().stream().mapToLong(Long::longValue).sum();
        }
    }
}
