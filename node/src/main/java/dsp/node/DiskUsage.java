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
 * only the blocks they use. Uses {@code du -B1 -d1} (one process for a whole server root) and
 * falls back to summing apparent file sizes where {@code du} is unavailable.
 */
public final class DiskUsage {

    private static final Logger LOG = LoggerFactory.getLogger(DiskUsage.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private DiskUsage() {
    }

    /** Bytes under {@code root} itself and under each of its direct children, by child name ("" = total). */
    public static Map<String, Long> byChild(Path root) {
        if (!Files.isDirectory(root)) {
            return Map.of("", 0L);
        }
        try {
            return viaDu(root);
        } catch (IOException | RuntimeException e) {
            LOG.debug("du unavailable for {} ({}); summing apparent sizes", root, e.getMessage());
            return viaWalk(root);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return viaWalk(root);
        }
    }

    private static Map<String, Long> viaDu(Path root) throws IOException, InterruptedException {
        // the output is drained while we wait, so the time limit holds even when du hangs
        String out = ProcessRunner.run(List.of("du", "-B1", "-d1", "-x", root.toString()), TIMEOUT).out();
        Map<String, Long> sizes = new HashMap<>();
        for (String line : out.split("\n")) {
            int tab = line.indexOf('\t');
            if (tab < 0) {
                continue;
            }
            long bytes = Long.parseLong(line.substring(0, tab).trim());
            Path path = Path.of(line.substring(tab + 1));
            sizes.put(path.equals(root) ? "" : path.getFileName().toString(), bytes);
        }
        if (!sizes.containsKey("")) {
            throw new IOException("du printed no total for " + root);
        }
        return sizes;
    }

    static Map<String, Long> viaWalk(Path root) {
        Map<String, Long> sizes = new HashMap<>();
        List<Path> children = new ArrayList<>();
        try (var list = Files.list(root)) {
            list.forEach(children::add);
        } catch (IOException e) {
            return Map.of("", 0L);
        }
        long total = 0;
        for (Path child : children) {
            long size = apparent(child);
            sizes.put(child.getFileName().toString(), size);
            total += size;
        }
        sizes.put("", total);
        return sizes;
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
