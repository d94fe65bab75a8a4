package dsp.node;

import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Server;
import dsp.core.model.VolumeLayout;
import dsp.core.port.StorageMeter;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures a real node's disk as its agent sees it: bytes in each pool directory and in each
 * volume in it (as du counts them, one du per pool directory) and the file system holding them;
 * the rest of that file system's used space is the system reserve's use. Never walks the whole
 * node root (it is "/").
 */
public final class PoolDirectoryMeter implements StorageMeter {

    private final ServerRoots roots;
    private final PoolCatalog catalog;

    public PoolDirectoryMeter(ServerRoots roots, PoolCatalog catalog) {
        this.roots = roots;
        this.catalog = catalog;
    }

    @Override
    public List<ServerDiskUsage> measure(List<Server> servers) {
        List<ServerDiskUsage> out = new ArrayList<>();
        for (Server s : servers) {
            out.add(measure(s.name()));
        }
        return out;
    }

    public ServerDiskUsage measure(String server) {
        Map<String, Long> poolBytes = new HashMap<>();
        Map<String, Long> volumeBytes = new HashMap<>();
        long pooled = 0;
        for (PoolDefinition p : catalog.pools()) {
            // one du per pool directory: its total and each entry in it (a volume's bytes, as the agent reports them)
            Map<String, Long> byChild = DiskUsage.byChild(roots.poolRoot(server, p));
            long b = byChild.getOrDefault("", 0L);
            poolBytes.put(p.name(), b);
            pooled += b;
            byChild.forEach((entry, bytes) -> {
                if (!entry.isEmpty()) {
                    VolumeLayout.volumeOf(entry).ifPresent(v -> volumeBytes.put(ServerDiskUsage.volumeKey(p.name(), v), bytes));
                }
            });
        }
        long total = 0;
        long free = 0;
        String fs = "unknown";
        // the first pool directory: in a pod the pools are hostPath mounts of the node's disk
        Path first = roots.poolRoot(server, catalog.pools().get(0));
        try {
            FileStore store = Files.getFileStore(first);
            total = store.getTotalSpace();
            free = store.getUsableSpace();
            fs = "node:" + server;
        } catch (IOException e) {
            // not there yet, or unreadable: no size to report
        }
        return new ServerDiskUsage(server, poolBytes, Math.max(0, total - free - pooled), fs, total, free, volumeBytes, java.util.Optional.empty());
    }
}
