package dsp.node;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.VolumeLayout;
import dsp.core.model.PoolDefinition;
import dsp.core.port.StorageCleaner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cleanup on this machine's pool directories. A candidate is a top-level entry of a pool
 * directory that no allocation of that pool on that server references; {@code templates/},
 * hidden entries (work in progress {@code .tmp-*}, the {@code .trash/} itself) are never
 * candidates. Candidates are moved (a rename, on the same file system) to
 * {@code <pool>/.trash/<time>/}, never deleted at once; a {@code .trash} that is a link is never
 * used, so nothing leaves the pool directory. Trash older than the retention (7 days by default)
 * is emptied by a later run, without following links.
 */
public final class PoolCleaner implements StorageCleaner {

    private static final Logger LOG = LoggerFactory.getLogger(PoolCleaner.class);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    public static final String TRASH = VolumeLayout.TRASH;
    /** How long moved orphans wait in the trash before a later cleanup empties them. */
    public static final java.time.Duration DEFAULT_RETENTION = java.time.Duration.ofDays(7);

    private final ServerRoots roots;
    private final PoolCatalog catalog;
    private final Clock clock;
    private final java.time.Duration retention;

    public PoolCleaner(ServerRoots roots, PoolCatalog catalog, Clock clock) {
        this(roots, catalog, clock, DEFAULT_RETENTION);
    }

    public PoolCleaner(ServerRoots roots, PoolCatalog catalog, Clock clock, java.time.Duration retention) {
        this.roots = roots;
        this.catalog = catalog;
        this.clock = clock;
        this.retention = retention;
    }

    @Override
    public List<Item> clean(String server, Supplier<List<Allocation>> referenced, boolean dryRun) {
        // list first, then read the references: anything published meanwhile was recorded before it
        List<Path> entries = new ArrayList<>();
        for (PoolDefinition pool : catalog.pools()) {
            Path dir = roots.poolRoot(server, pool);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> !p.getFileName().toString().startsWith(".") && !p.getFileName().toString().equals(LocalVolumeMaker.TEMPLATES))
                        .forEach(entries::add);
            } catch (IOException e) {
                throw DomainException.storageFailed("cannot list " + dir + ": " + e.getMessage());
            }
        }
        Set<Path> keep = new HashSet<>();
        for (Allocation a : referenced.get()) {
            catalog.find(a.pool()).ifPresent(pool -> {
                String first = VolumeLayout.relativePath(a).split("/")[0];
                keep.add(roots.poolRoot(server, pool).resolve(first));
            });
        }
        String stamp = STAMP.format(clock.instant());
        java.util.Map<Path, java.util.Map<String, Long>> sizes = new java.util.HashMap<>();
        List<Item> items = new ArrayList<>();
        for (Path entry : entries) {
            if (keep.contains(entry)) {
                continue;
            }
            PoolDefinition pool = catalog.pools().stream()
                    .filter(p -> entry.getParent().equals(roots.poolRoot(server, p))).findFirst().orElseThrow();
            Path trash = entry.getParent().resolve(TRASH).resolve(stamp);
            long bytes = sizes.computeIfAbsent(entry.getParent(), DiskUsage::byChild).getOrDefault(entry.getFileName().toString(), 0L);
            if (!dryRun) {
                try {
                    if (!trashInside(entry.getParent(), trash)) {
                        LOG.warn("cleanup: {} is a link or not a directory inside the pool; {} stays where it is", trash.getParent(), entry);
                        continue;
                    }
                    Files.move(entry, trash.resolve(entry.getFileName()), StandardCopyOption.ATOMIC_MOVE);
                    LOG.info("cleanup: moved orphan {} ({} bytes) of pool {} on {} to {}", entry, bytes, pool.name(), server, trash);
                } catch (IOException e) {
                    LOG.warn("cleanup: cannot move {} to {}: {}", entry, trash, e.getMessage());
                    continue;
                }
            }
            items.add(new Item(server, pool.name(), entry.getFileName().toString(), bytes, trash.toString()));
        }
        if (!dryRun) {
            for (PoolDefinition pool : catalog.pools()) {
                emptyExpiredTrash(roots.poolRoot(server, pool));
            }
        }
        return items;
    }

    /**
     * Makes {@code <pool>/.trash/<stamp>} and says whether it is really inside the pool directory:
     * {@code .trash} must be a directory of its own, never a link that would carry orphans elsewhere.
     */
    private static boolean trashInside(Path pool, Path trash) throws IOException {
        Path bin = trash.getParent();
        if (!Files.exists(bin, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(bin);
        }
        if (!Files.isDirectory(bin, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        if (!Files.exists(trash, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(trash);
        }
        return Files.isDirectory(trash, LinkOption.NOFOLLOW_LINKS) && trash.toRealPath().getParent().getParent().equals(pool.toRealPath());
    }

    /** Deletes the trash's runs older than the retention; never follows a link, in or out of the trash. */
    private void emptyExpiredTrash(Path pool) {
        Path bin = pool.resolve(TRASH);
        if (!Files.isDirectory(bin, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        java.time.Instant cutoff = clock.instant().minus(retention);
        try (Stream<Path> runs = Files.list(bin)) {
            for (Path run : runs.toList()) {
                java.time.Instant at;
                try {
                    at = java.time.ZonedDateTime.parse(run.getFileName().toString(), STAMP).toInstant();
                } catch (java.time.format.DateTimeParseException notARun) {
                    continue; // not ours: left alone
                }
                if (at.isBefore(cutoff)) {
                    Files2.deleteTree(run);
                    LOG.info("cleanup: emptied {} from the trash (moved there {}, kept {} days)", run, at, retention.toDays());
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.warn("cleanup: cannot empty old trash in {}: {}", bin, e.getMessage());
        }
    }
}
