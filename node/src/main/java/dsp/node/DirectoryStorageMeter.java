package dsp.node;

import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Server;
import dsp.core.port.StorageMeter;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Measures server directories on this machine: bytes per pool directory and per volume in it,
 * bytes elsewhere under the server root (the system reserve's use), and the file system under it.
 * Walks the disks every time it is asked, with one {@code du} per batch of servers: it is for the
 * background survey (see {@link dsp.core.usecase.DiskSurvey}), never for a request.
 */
public final class DirectoryStorageMeter implements StorageMeter {

    private final ServerRoots roots;
    private final PoolCatalog catalog;
    private final Clock clock;

    public DirectoryStorageMeter(ServerRoots roots, PoolCatalog catalog, Clock clock) {
        this.roots = roots;
        this.catalog = catalog;
        this.clock = clock;
    }

    @Override
    public List<ServerDiskUsage> measure(List<Server> servers) {
        List<Path> paths = new ArrayList<>(servers.size());
        servers.forEach(s -> paths.add(roots.rootOf(s.name())));
        // depth 2: the pool directories and each volume in them
        Map<Path, Map<String, Long>> sizes = DiskUsage.byPathOf(paths, 2);
        List<ServerDiskUsage> result = new ArrayList<>(servers.size());
        for (int i = 0; i < servers.size(); i++) {
            result.add(usage(servers.get(i).name(), paths.get(i), sizes.getOrDefault(paths.get(i), Map.of())));
        }
        return result;
    }

    ServerDiskUsage measureNow(String server) {
        Path root = roots.rootOf(server);
        return usage(server, root, DiskUsage.byPath(root, 2));
    }

    private ServerDiskUsage usage(String server, Path root, Map<String, Long> byPath) {
        Map<String, Long> poolBytes = new HashMap<>();
        Map<String, String> poolOfDirectory = new HashMap<>();
        long pooled = 0;
        for (PoolDefinition p : catalog.pools()) {
            long bytes = byPath.getOrDefault(p.directory(), 0L);
            poolBytes.put(p.name(), bytes);
            poolOfDirectory.put(p.directory(), p.name());
            pooled += bytes;
        }
        Map<String, Long> volumeBytes = new HashMap<>();
        byPath.forEach((path, size) -> {
            int slash = path.indexOf('/');
            if (slash > 0 && path.indexOf('/', slash + 1) < 0) {
                String pool = poolOfDirectory.get(path.substring(0, slash));
                if (pool != null) {
                    dsp.core.model.VolumeLayout.volumeOf(path.substring(slash + 1)).ifPresent(v -> volumeBytes.put(ServerDiskUsage.volumeKey(pool, v), size));
                }
            }
        });
        long other = Math.max(0, byPath.getOrDefault("", 0L) - pooled);
        String fsId = "unknown";
        long total = 0;
        long free = 0;
        Path existing = root;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null) {
            try {
                FileStore store = Files.getFileStore(existing);
                total = store.getTotalSpace();
                free = store.getUsableSpace();
                fsId = filesystemId(existing, store);
            } catch (IOException e) {
                // an unreadable file system reports no size; health then cannot compare against it
            }
        }
        return new ServerDiskUsage(server, poolBytes, other, fsId, total, free, volumeBytes, Optional.of(clock.instant()));
    }

    private static String filesystemId(Path path, FileStore store) {
        try {
            return "dev:" + Files.getAttribute(path, "unix:dev");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return store.name() + ":" + store.type();
        }
    }
}
