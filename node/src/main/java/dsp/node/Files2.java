package dsp.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/** The few file-system moves every crash-safe step here is made of. */
final class Files2 {

    private Files2() {
    }

    /** Renames atomically and makes the rename durable, so after a crash the data is either all there or not. */
    static void publish(Path temporary, Path target) {
        try {
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(target.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish " + target, e);
        }
    }

    static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems refuse to sync directories; the rename itself is still atomic
        }
    }

    static void sync(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync " + file, e);
        }
    }

    /** Templates and their copies are read-only for everyone: nothing may write a backing image. */
    static void makeReadOnly(Path file) throws IOException {
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
    }

    /** Copies {@code source} to {@code target} by way of {@code temporary}: durable, read-only, all or nothing. */
    static void publishReadOnlyCopy(Path source, Path temporary, Path target) throws IOException {
        publishReadOnlyCopy(source, temporary, target, copied -> { });
    }

    private static final long REPORT_EVERY = 64L * 1024 * 1024;

    /**
     * Copies a file in 1 MB blocks, reporting the bytes copied so far (every 64 MB and at the end).
     * Blocks of zeros are skipped rather than written, so a thin raw image stays thin. A source that is a
     * symbolic link is refused (O_NOFOLLOW), whatever it was when it was checked.
     */
    static void copyCounting(Path source, Path target, java.util.function.LongConsumer copied) throws IOException {
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ, java.nio.file.LinkOption.NOFOLLOW_LINKS);
             FileChannel out = FileChannel.open(target, StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)) {
            long size = in.size();
            java.nio.ByteBuffer block = java.nio.ByteBuffer.allocateDirect(1 << 20);
            long done = 0;
            long reported = 0;
            copied.accept(0);
            while (done < size) {
                block.clear();
                int n = in.read(block, done);
                if (n <= 0) {
                    throw new IOException("copying " + source + " stopped at byte " + done + " of " + size);
                }
                block.flip();
                if (!zeros(block)) {
                    long at = done;
                    while (block.hasRemaining()) {
                        at += out.write(block, at);
                    }
                }
                done += n;
                if (done - reported >= REPORT_EVERY || done == size) {
                    copied.accept(done);
                    reported = done;
                }
            }
            out.truncate(size);
            if (out.size() < size) {
                out.write(java.nio.ByteBuffer.wrap(new byte[1]), size - 1); // a file ending in zeros still has its full length
            }
        }
    }

    /**
     * Writes a stream to a new file in 1 MB blocks, skipping blocks of zeros (a thin image stays
     * thin), and returns the sha256 (hex) of every byte that arrived.
     */
    static String writeSparse(java.io.InputStream in, Path target) throws IOException {
        java.security.MessageDigest sha;
        try {
            sha = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
            byte[] buffer = new byte[1 << 20];
            long at = 0;
            while (true) {
                int n = in.readNBytes(buffer, 0, buffer.length);
                if (n <= 0) {
                    break;
                }
                sha.update(buffer, 0, n);
                java.nio.ByteBuffer block = java.nio.ByteBuffer.wrap(buffer, 0, n);
                if (!zeros(block)) {
                    long p = at;
                    while (block.hasRemaining()) {
                        p += out.write(block, p);
                    }
                }
                at += n;
            }
            if (out.size() < at) {
                out.write(java.nio.ByteBuffer.wrap(new byte[1]), at - 1); // a file ending in zeros still has its full length
            }
        }
        return java.util.HexFormat.of().formatHex(sha.digest());
    }

    private static boolean zeros(java.nio.ByteBuffer b) {
        int i = b.position();
        for (; i + 8 <= b.limit(); i += 8) {
            if (b.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < b.limit(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The same, telling {@code copied} how many bytes are across as the copy goes (every 64 MB and
     * at the end). The copy is byte for byte, by the kernel (transferTo), as {@link Files#copy} is.
     */
    static void publishReadOnlyCopy(Path source, Path temporary, Path target, java.util.function.LongConsumer copied) throws IOException {
        Files.deleteIfExists(temporary); // a read-only leftover of an interrupted copy
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(temporary, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            long size = in.size();
            long done = 0;
            copied.accept(0);
            while (done < size) {
                long n = in.transferTo(done, Math.min(REPORT_EVERY, size - done), out);
                if (n <= 0) {
                    throw new IOException("copying " + source.getFileName() + " stopped at byte " + done + " of " + size);
                }
                done += n;
                copied.accept(done);
            }
        }
        sync(temporary);
        makeReadOnly(temporary);
        publish(temporary, target);
    }
    /** Deletes a file or a whole tree (a link itself, never what it points to); gone already is fine. */
    static void deleteTree(Path path) {
        try {
            // nothing there, a file, a link or an empty directory: done without a walk. (Unlike
            // Files.exists with NOFOLLOW_LINKS on Java 17, this answers "nothing there" without an exception.)
            Files.deleteIfExists(path);
            return;
        } catch (java.nio.file.DirectoryNotEmptyException notEmpty) {
            // walked below
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path, e);
        }
        try {
            Files.walkFileTree(path, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException gone) {
            // raced with another delete: the goal is reached
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path, e);
        }
    }
}
