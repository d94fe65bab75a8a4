package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk usage by path, as {@code du} counts it (allocated blocks), and the walk that stands in for du
 * where it cannot run (apparent sizes): the same keys, the totals of what is below.
 */
class DiskUsageTest {

    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    /** root/a/x (100 B), root/a/y (50 B), root/b (30 B), root/c/d/e (7 B), root/empty/ */
    private Path tree() throws Exception {
        Path root = Files.createDirectory(dir.resolve("root"));
        Files.createDirectories(root.resolve("a"));
        Files.write(root.resolve("a/x"), new byte[100]);
        Files.write(root.resolve("a/y"), new byte[50]);
        Files.write(root.resolve("b"), new byte[30]);
        Files.createDirectories(root.resolve("c/d"));
        Files.write(root.resolve("c/d/e"), new byte[7]);
        Files.createDirectories(root.resolve("empty"));
        return root;
    }

    @Test
    void theWalkCountsApparentSizesDownToTheDepthAndTotalsWhatIsBelow() throws Exception {
        Path root = tree();

        assertThat(DiskUsage.viaWalk(root, 2)).isEqualTo(Map.of(
                "", 187L, "a", 150L, "a/x", 100L, "a/y", 50L, "b", 30L, "c", 7L, "c/d", 7L, "empty", 0L));
        assertThat(DiskUsage.viaWalk(root)).isEqualTo(Map.of("", 187L, "a", 150L, "b", 30L, "c", 7L, "empty", 0L));
        assertThat(DiskUsage.viaWalk(root, 3)).containsEntry("c/d/e", 7L).containsEntry("c/d", 7L).containsEntry("", 187L);
    }

    @Test
    void theWalkOfWhatIsNoDirectoryIsEmpty() throws Exception {
        Path file = Files.write(dir.resolve("file"), new byte[10]);

        assertThat(DiskUsage.viaWalk(file, 2)).isEqualTo(Map.of("", 0L));
    }

    @Test
    void duCountsAllocatedBlocksAndFilesBelowTheFirstLevel() throws Exception {
        Path root = tree();
        try (RandomAccessFile thin = new RandomAccessFile(root.resolve("a/thin").toFile(), "rw")) {
            thin.setLength(512 * MIB); // a hole: nothing allocated
        }
        Files.write(root.resolve("a/dense"), new byte[(int) MIB]);

        Map<String, Long> two = DiskUsage.byPath(root, 2);
        assertThat(two).containsKeys("", "a", "a/x", "a/y", "a/thin", "a/dense", "b", "c", "c/d", "empty").doesNotContainKey("c/d/e");
        assertThat(two.get("a/thin")).isZero();
        assertThat(two.get("a/dense")).isEqualTo(MIB);
        assertThat(two.get("a")).isBetween(MIB, MIB + 64 * 1024).isLessThan(two.get(""));

        Map<String, Long> one = DiskUsage.byChild(root);
        assertThat(one).containsKeys("", "a", "c", "empty").doesNotContainKeys("a/x", "a/dense", "c/d");
        assertThat(one.get("a")).isEqualTo(two.get("a"));
        // a file in the root is an entry too (a qcow2 volume is a file in its pool directory), as in the walk
        assertThat(one).containsKey("b").containsEntry("b", two.get("b"));
        assertThat(one.keySet()).isEqualTo(DiskUsage.viaWalk(root).keySet());
    }

    @Test
    void manyRootsAreMeasuredTogetherAndAMissingOneIsEmpty() throws Exception {
        Path first = tree();
        Path second = Files.createDirectory(dir.resolve("second"));
        Files.write(second.resolve("f"), new byte[(int) MIB]);
        Path missing = dir.resolve("missing");

        Map<Path, Map<String, Long>> all = DiskUsage.byPathOf(List.of(first, second, missing), 1);

        assertThat(all).containsOnlyKeys(first, second, missing);
        assertThat(all.get(first)).isEqualTo(DiskUsage.byPath(first, 1));
        assertThat(all.get(second).get("")).isBetween(MIB, MIB + 64 * 1024);
        assertThat(all.get(missing)).isEqualTo(Map.of("", 0L));
        assertThat(DiskUsage.byPathOf(List.of(missing), 1)).isEqualTo(Map.of(missing, Map.of("", 0L)));
        assertThat(DiskUsage.byPath(missing, 1)).isEqualTo(Map.of("", 0L));
    }
}
