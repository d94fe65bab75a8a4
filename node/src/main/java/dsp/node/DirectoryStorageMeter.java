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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Measures server directories on this machine: bytes per pool directory, bytes elsewhere under
 * the server root (the system reserve's use), and the file system under it. Results are cached
 * for a short time so status requests do not walk the disks each time.
 */
public final class DirectoryStorageMeter implements StorageMeter {

    private record Cached(ServerDiskUsage usage, Instant at) {
    }

    private final ServerRoots roots;
    private final PoolCatalog catalog;
    private final Clock clock;
    private final Duration maxAge;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    public DirectoryStorageMeter(ServerRoots roots, PoolCatalog catalog, Clock clock, Duration maxAge) {
        this.roots = roots;
        this.catalog = catalog;
        this.clock = clock;
        this.maxAge = maxAge;
    }

    @Override
    public List<ServerDiskUsage> measure(List<Server> servers) {
        List<ServerDiskUsage> result = new ArrayList<>();
        Instant now = clock.instant();
        for (Server s : servers) {
            Cached c = cache.get(s.name());
            if (c == null || c.at().plus(maxAge).isBefore(now)) {
                c = new Cached(measureNow(s.name()), now);
                cache.put(s.name(), c);
            }
            result.add(c.usage());
        }
        return result;
    }

    /** Forget cached figures, e.g. right after data was written. */
    public void invalidate(String server) {
        cache.remove(server);
    }

    ServerDiskUsage measureNow(String server) {
        Path root = roots.rootOf(server);
        Map<String, Long> byChild = DiskUsage.byPath(root, 2);
        Map<String, Long> poolBytes = new HashMap<>();
        Map<String, Long> volumeBytes = new HashMap<>();
        long pooled = 0;
        for (PoolDefinition p : catalog.pools()) {
            long bytes = byChild.getOrDefault(p.directory(), 0L);
            poolBytes.put(p.name(), bytes);
            pooled += bytes;
            String prefix = p.directory() + "/";
            byChild.forEach((path, size) -> {
                if (path.startsWith(prefix) && path.indexOf('/', prefix.length()) < 0) {
                    volumeName(path.substring(prefix.length()))
                            .ifPresent(v -> volumeBytes.put(ServerDiskUsage.volumeKey(p.name(), v), size));
                }
            });
        }
        long other = Math.max(0, byChild.getOrDefault("", 0L) - pooled);
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

    /** The volume an entry of a pool directory holds (see {@link VolumeLayout}); temporaries and trash hold none. */
    private static Optional<String> volumeName(String entry) {
        String name = entry.endsWith(".qcow2") ? entry.substring(0, entry.length() - ".qcow2".length()) : entry;
        return dsp.core.model.Names.isValid(name) ? Optional.of(name) : Optional.empty();
    }

    private static String filesystemId(Path path, FileStore store) {
        try {
            return "dev:" + Files.getAttribute(path, "unix:dev");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return store.name() + ":" + store.type();
        }
    }
}
