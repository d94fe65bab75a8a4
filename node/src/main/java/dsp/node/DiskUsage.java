package dsp.node;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bytes really allocated on disk, as {@code du} counts them: sparse files and thin images count
 * only the blocks they use. Uses {@code du -B1 -d1} (one process for a whole server root, or for
 * a batch of roots) and falls back to summing apparent file sizes where {@code du} is unavailable.
 */
public final class DiskUsage {

    private static final Logger LOG = LoggerFactory.getLogger(DiskUsage.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private DiskUsage() {
    }

    /** Bytes under {@code root} itself and under each of its direct children, by child name ("" = total). */
    public static Map<String, Long> byChild(Path root) {
        return byPath(root, 1);
    }

    /**
     * Bytes under {@code root} and under each entry up to {@code depth} levels below it, keyed by
     * the path relative to root with '/' between names ("" = total); one {@code du} for all.
     */
    public static Map<String, Long> byPath(Path root, int depth) {
        if (!Files.isDirectory(root)) {
            return Map.of("", 0L);
        }
        try {
            return viaDu(root, depth);
        } catch (IOException | RuntimeException e) {
            LOG.debug("du unavailable for {} ({}); summing apparent sizes", root, e.getMessage());
            return viaWalk(root, depth);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return viaWalk(root, depth);
        }
    }

    /**
     * {@link #byPath} for many roots with one {@code du} process: the way to measure a whole fleet
     * of server directories without a process per server. A missing root measures as empty.
     */
    public static Map<Path, Map<String, Long>> byPathOf(List<Path> roots, int depth) {
        Map<Path, Map<String, Long>> out = new HashMap<>();
        List<Path> present = new ArrayList<>();
        for (Path root : roots) {
            if (Files.isDirectory(root)) {
                present.add(root);
            } else {
                out.put(root, Map.of("", 0L));
            }
        }
        if (present.isEmpty()) {
            return out;
        }
        try {
            out.putAll(viaDu(present, depth));
        } catch (IOException | RuntimeException e) {
            LOG.debug("du unavailable for {} roots ({}); summing apparent sizes", present.size(), e.getMessage());
            present.forEach(r -> out.put(r, viaWalk(r, depth)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            present.forEach(r -> out.put(r, viaWalk(r, depth)));
        }
        return out;
    }

    private static Map<String, Long> viaDu(Path root, int depth) throws IOException, InterruptedException {
        return viaDu(List.of(root), depth).get(root);
    }

    /** One {@code du} over every root; each root's own file system only ({@code -x}, as du applies it per argument). */
    private static Map<Path, Map<String, Long>> viaDu(List<Path> roots, int depth) throws IOException, InterruptedException {
        // -a: files count as entries too, at every depth (a qcow2 disk is a file in its pool directory), as in the walk
        List<String> cmd = new ArrayList<>(List.of("du", "-a", "-B1", "-d" + depth, "-x", "--"));
        roots.forEach(r -> cmd.add(r.toString()));
        // the output is drained while we wait, so the time limit holds even when du hangs
        String out = ProcessRunner.run(cmd, TIMEOUT).out();
        Map<Path, Map<String, Long>> sizes = new HashMap<>();
        Map<Path, Path> rootOf = new HashMap<>();
        roots.forEach(r -> rootOf.put(r, r));
        for (String line : out.split("\n")) {
            int tab = line.indexOf('\t');
            if (tab < 0) {
                continue;
            }
            long bytes = Long.parseLong(line.substring(0, tab).trim());
            Path path = Path.of(line.substring(tab + 1));
            // the root this line is under: the path itself or one of its first `depth` ancestors
            Path root = null;
            Path p = path;
            for (int up = 0; up <= depth && p != null && root == null; up++, p = p.getParent()) {
                root = rootOf.get(p);
            }
            if (root != null) {
                sizes.computeIfAbsent(root, k -> new HashMap<>())
                        .put(path.equals(root) ? "" : root.relativize(path).toString().replace(java.io.File.separatorChar, '/'), bytes);
            }
        }
        for (Path root : roots) {
            if (!sizes.getOrDefault(root, Map.of()).containsKey("")) {
                throw new IOException("du printed no total for " + root);
            }
        }
        return sizes;
    }

    static Map<String, Long> viaWalk(Path root) {
        return viaWalk(root, 1);
    }

    static Map<String, Long> viaWalk(Path root, int depth) {
        Map<String, Long> sizes = new HashMap<>();
        walkInto(root, "", depth, sizes);
        return sizes;
    }

    private static long walkInto(Path dir, String prefix, int depth, Map<String, Long> sizes) {
        List<Path> children = new ArrayList<>();
        try (var list = Files.list(dir)) {
            list.forEach(children::add);
        } catch (IOException e) {
            sizes.put(prefix, 0L);
            return 0;
        }
        long total = 0;
        for (Path child : children) {
            String key = (prefix.isEmpty() ? "" : prefix + "/") + child.getFileName();
            long size = depth > 1 && Files.isDirectory(child, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    ? walkInto(child, key, depth - 1, sizes) : apparent(child);
            sizes.put(key, size);
            total += size;
        }
        sizes.put(prefix, total);
        return total;
    }

    private static long apparent(Path path) {
        long[] sum = {0};
        try {
            Files.walkFileTree(path, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    sum[0] += attrs.size();
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // unreadable parts count as empty; measuring never fails a status request
        }
        return sum[0];
    }
}
