package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's file primitives: a copy or a download keeps every byte, stays thin where the source is
 * thin (blocks of zeros are not written), keeps the full length when it ends in zeros, and reports its
 * progress as documented. Allocated bytes are measured with du on the real file system.
 */
class Files2Test {

    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void aDownloadIsWrittenByteForByteWithoutItsBlocksOfZerosAndItsShaIsOfEveryByte() throws Exception {
        // a block of data, 3 MiB of zeros, a block of data, 3 MiB of zeros, then a last block of 18 bytes whose
        // only non-zero byte is its last: past the 16 that are checked 8 at a time
        byte[] data = new byte[8 * MIB + 18];
        Random random = new Random(7);
        fill(random, data, 0, MIB);
        fill(random, data, 4 * MIB, MIB);
        data[data.length - 1] = 9;
        Path target = Files.createDirectory(dir.resolve("download")).resolve("image");

        String sha = Files2.writeSparse(new ByteArrayInputStream(data), target);

        assertThat(sha).isEqualTo(sha256(data));
        assertThat(Files.size(target)).isEqualTo(data.length);
        assertThat(Files.readAllBytes(target)).isEqualTo(data);
        // the two blocks of data and the last one, not the 6 MiB of zeros
        assertThat(allocated(target.getParent())).isBetween(2L * MIB, 2L * MIB + 64 * 1024);
    }

    @Test
    void aDownloadOfOnlyZerosHasItsLengthAndNoDataBlocks() throws Exception {
        byte[] data = new byte[3 * MIB + 5];
        Path target = Files.createDirectory(dir.resolve("zeros")).resolve("image");

        assertThat(Files2.writeSparse(new ByteArrayInputStream(data), target)).isEqualTo(sha256(data));

        assertThat(Files.size(target)).isEqualTo(data.length);
        assertThat(allocated(target.getParent())).isLessThan(64 * 1024);
    }

    @Test
    void aCopyKeepsEveryByteStaysThinAndReportsEvery64MibAndAtTheEnd() throws Exception {
        long size = 130L * MIB + 7;
        Path source = dir.resolve("source.img");
        byte[] head = new byte[MIB];
        fill(new Random(3), head, 0, head.length);
        try (RandomAccessFile f = new RandomAccessFile(source.toFile(), "rw")) {
            f.setLength(size); // thin: holes read as zeros
            f.seek(0);
            f.write(head);
            f.seek(70L * MIB + 3);
            f.write(new byte[] {1, 2, 3});
            f.seek(size - 2);
            f.write(4); // the last block's next-to-last byte; the last byte is a zero
        }
        Path target = Files.createDirectory(dir.resolve("copy")).resolve("target.img");
        List<Long> reports = new ArrayList<>();

        Files2.copyCounting(source, target, reports::add);

        assertThat(reports).containsExactly(0L, 64L * MIB, 128L * MIB, size);
        assertThat(Files.size(target)).isEqualTo(size);
        assertThat(sha256(target)).isEqualTo(sha256(source));
        // the first block, the block with 3 bytes and the last block
        assertThat(allocated(target.getParent())).isBetween(2L * MIB, 2L * MIB + 64 * 1024);
    }

    @Test
    void aCopyOfASourceEndingInABlockOfZerosKeepsItsLength() throws Exception {
        Path source = dir.resolve("tail.img");
        try (RandomAccessFile f = new RandomAccessFile(source.toFile(), "rw")) {
            f.setLength(5L * MIB);
            f.write(new byte[] {5});
        }
        Path target = dir.resolve("tail-copy.img");
        List<Long> reports = new ArrayList<>();

        Files2.copyCounting(source, target, reports::add);

        assertThat(reports).containsExactly(0L, 5L * MIB);
        assertThat(Files.size(target)).isEqualTo(5L * MIB);
        assertThat(sha256(target)).isEqualTo(sha256(source));
    }

    @Test
    void aPublishedCopyIsCompleteReadOnlyAndReportsItsProgress() throws Exception {
        byte[] data = new byte[2 * MIB + 3];
        fill(new Random(5), data, 0, data.length);
        Path source = Files.write(dir.resolve("template.qcow2"), data);
        Path temporary = dir.resolve(".tmp-copy");
        Path target = dir.resolve("copy.qcow2");
        List<Long> reports = new ArrayList<>();

        Files2.publishReadOnlyCopy(source, temporary, target, reports::add);

        assertThat(reports).containsExactly(0L, (long) data.length);
        assertThat(Files.readAllBytes(target)).isEqualTo(data);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("r--r--r--");
        assertThat(temporary).doesNotExist();
    }

    private static void fill(Random random, byte[] data, int from, int length) {
        byte[] chunk = new byte[length];
        random.nextBytes(chunk);
        for (int i = 0; i < length; i++) {
            data[from + i] = chunk[i] == 0 ? 1 : chunk[i];
        }
    }

    /** Bytes allocated under a directory, by du (one file in it). */
    private static long allocated(Path directory) {
        return DiskUsage.byPath(directory, 1).get("");
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private static String sha256(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[MIB];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void deleteTreeTakesAnythingAtThePathButNeverWhatALinkPointsTo() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside/kept"));
        Files.writeString(outside.resolve("data"), "precious");
        Path pool = Files.createDirectory(dir.resolve("pool"));
        Path tree = Files.createDirectories(pool.resolve("tree/a/b"));
        Files.writeString(tree.resolve("f"), "x");
        Files.createSymbolicLink(pool.resolve("tree/a/link"), outside);
        Path file = Files.writeString(pool.resolve("file"), "y");
        Path empty = Files.createDirectory(pool.resolve("empty"));
        Path link = Files.createSymbolicLink(pool.resolve("link"), outside);
        Path dangling = Files.createSymbolicLink(pool.resolve("dangling"), dir.resolve("nowhere"));

        for (Path p : List.of(pool.resolve("tree"), file, empty, link, dangling, pool.resolve("never-there"))) {
            Files2.deleteTree(p);
            assertThat(Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).as("%s", p).isFalse();
        }
        try (var left = Files.list(pool)) {
            assertThat(left).isEmpty();
        }
        assertThat(outside.resolve("data")).hasContent("precious");
    }
}
