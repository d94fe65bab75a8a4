package dsp.cli;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small ext4 file system of its own (a sparse file, mkfs.ext4, mount -o loop: root only), so a
 * test can fill it to the last byte without touching the machine's disk. {@link #close} unmounts it
 * (the loop device goes with it) and removes the file.
 */
final class LoopDisk implements AutoCloseable {

    private final Path image;
    private final Path mountPoint;
    private final List<Path> fillers = new ArrayList<>();
    private boolean mounted;

    private LoopDisk(Path image, Path mountPoint) {
        this.image = image;
        this.mountPoint = mountPoint;
    }

    static boolean runningAsRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            return p.waitFor() == 0 && out.equals("0");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Makes and mounts a file system of {@code megabytes} under {@code dir}; no blocks are reserved for root. */
    static LoopDisk mount(Path dir, int megabytes) throws IOException {
        LoopDisk disk = new LoopDisk(dir.resolve("ext4.img"), Files.createDirectories(dir.resolve("mnt")));
        run("truncate", "-s", megabytes + "M", disk.image.toString());
        run("mkfs.ext4", "-q", "-F", "-m", "0", disk.image.toString());
        run("mount", "-o", "loop", disk.image.toString(), disk.mountPoint.toString());
        disk.mounted = true;
        return disk;
    }

    Path root() {
        return mountPoint;
    }

    long free() throws IOException {
        return Files.getFileStore(mountPoint).getUsableSpace();
    }

    /** Fills the file system until at most {@code leaveBytes} are free (0: until a write fails for lack of space). */
    void fill(long leaveBytes) throws IOException {
        Path filler = mountPoint.resolve("filler-" + fillers.size());
        fillers.add(filler);
        try (RandomAccessFile f = new RandomAccessFile(filler.toFile(), "rw")) {
            long bulk = free() - leaveBytes - (1 << 20);
            if (bulk > 0) {
                run("fallocate", "-l", Long.toString(bulk), filler.toString());
            }
            byte[] block = new byte[4096];
            f.seek(f.length());
            try {
                while (free() > leaveBytes) {
                    f.write(block, 0, (int) Math.min(block.length, Math.max(1, free() - leaveBytes)));
                    f.getFD().sync();
                }
            } catch (IOException full) {
                // no space left: as full as it gets
            }
        }
    }

    /** Gives back everything {@link #fill} took. */
    void freeAll() throws IOException {
        for (Path f : fillers) {
            Files.deleteIfExists(f);
        }
        fillers.clear();
        run("sync", "-f", mountPoint.toString());
    }

    @Override
    public void close() throws IOException {
        if (mounted) {
            try {
                run("umount", mountPoint.toString());
            } catch (IOException busy) {
                run("umount", "-l", mountPoint.toString());
            }
            mounted = false;
        }
        Files.deleteIfExists(image);
    }

    private static void run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", cmd) + " interrupted");
        }
    }
}
