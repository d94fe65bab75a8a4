package dsp.node;

import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import dsp.core.port.VolumeCopier;
import dsp.core.vm.Template;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves VM disks between the servers of this machine (standalone mode, every server a directory):
 * the copy is built as {@code .tmp-<copy id>} in the target's pool directory (a sparse {@code cp};
 * a qcow2 overlay is then pointed at the target's own copy of its template) and verified with
 * {@code qemu-img compare}; once its record says so, it is linked into place without replacing anything. While it copies, the
 * source image carries the byte-range lock QEMU itself takes, so no VM can start on it.
 *
 * <p>Between machines (Kubernetes mode's node agents) the same copy is built from the bytes a
 * peer sends ({@link #receive}): checked against the sender's sha256, pointed at this node's own
 * template and checked as an import is, under the same temporary name.
 */
public final class LocalVolumeCopier implements VolumeCopier {

    private static final Logger LOG = LoggerFactory.getLogger(LocalVolumeCopier.class);
    /**
     * QEMU's image locks are byte ranges: a process using permission P holds a shared lock on byte
     * 100 + P. An exclusive lock on the bytes of "write", "write unchanged" and "resize" (101-103)
     * conflicts with any process writing the image (a running VM, qemu-nbd), and keeps one from
     * opening it for writing; readers that share everything ({@code qemu-img compare -U}) still can.
     */
    private static final long QEMU_WRITE_LOCK_BYTE = 101;
    private static final long QEMU_WRITE_LOCK_BYTES = 3;
    private static final Duration COPY_TIMEOUT = Duration.ofHours(6);

    private final LocalVolumeMaker maker;
    private final QemuImg qemu;
    /** Runs between copying and verifying (tests use it to damage a copy and see the check refuse it). */
    private Consumer<Path> afterCopy = copy -> { };

    public LocalVolumeCopier(LocalVolumeMaker maker, QemuImg qemu) {
        this.maker = maker;
        this.qemu = qemu;
    }

    void afterCopy(Consumer<Path> hook) {
        this.afterCopy = hook;
    }

    @Override
    public boolean inUse(Allocation volume) {
        Path image = maker.dataPath(volume);
        return volume.format() != VolumeFormat.DIRECTORY && Files.exists(image) && qemu.inUse(image);
    }

    @Override
    public Hold hold(Allocation volume) {
        Path image = maker.dataPath(volume);
        if (volume.format() == VolumeFormat.DIRECTORY) {
            throw DomainException.invalid("a directory volume has no image to hold");
        }
        if (!Files.exists(image)) {
            throw DomainException.storageFailed("the data of " + volume.name() + " is missing on " + volume.server());
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot open " + volume.name() + " on " + volume.server() + " to hold it: " + e.getMessage());
        }
        try {
            FileLock lock = channel.tryLock(QEMU_WRITE_LOCK_BYTE, QEMU_WRITE_LOCK_BYTES, false);
            if (lock == null) {
                throw DomainException.conflict("disk " + volume.name() + " is in use by a running VM (its image lock is held); stop it first");
            }
            return () -> {
                try {
                    channel.close(); // releases the lock
                } catch (IOException e) {
                    LOG.warn("closing the hold on {}: {}", image, e.getMessage());
                }
            };
        } catch (IOException | OverlappingFileLockException | DomainException e) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the failure below is what matters
            }
            if (e instanceof DomainException d) {
                throw d;
            }
            throw DomainException.conflict("disk " + volume.name() + " is being worked on already (" + e.getClass().getSimpleName()
                    .replace("Exception", "").toLowerCase() + "); try again shortly");
        }
    }

    @Override
    public void copy(Allocation source, Allocation copy, Optional<Template> template) {
        if (source.format() != copy.format() || !source.name().equals(copy.name()) || source.format() == VolumeFormat.DIRECTORY) {
            throw new IllegalArgumentException("a copy has the source's name and image format");
        }
        Path from = maker.dataPath(source);
        Path root = maker.poolRoot(copy);
        Path temporary = temporary(copy);
        String format = copy.format().display();
        try {
            Path image = emptyTemporary(copy);
            cp(from, image);
            if (copy.format() == VolumeFormat.QCOW2 && template.isPresent()) {
                Path backing = maker.templateOn(root, template.get());
                qemu.rebaseOnto(image, backing, template.get().format().display());
            }
            Files2.sync(image);
            afterCopy.accept(image);
            long want = qemu.info(from, format, true).path("virtual-size").asLong();
            long got = qemu.info(image, format, true).path("virtual-size").asLong();
            if (want != got || !qemu.sameContent(from, format, image, format)) {
                throw DomainException.storageFailed("the copy of " + source.name() + " on " + copy.server()
                        + " does not read the same as the original (qemu-img compare); the original is kept");
            }
            LOG.info("volume {} copied from {} to {} and verified", source.name(), source.server(), copy.server());
        } catch (IOException e) {
            Files2.deleteTree(temporary);
            throw DomainException.storageFailed("cannot copy " + source.name() + " to " + copy.server() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            Files2.deleteTree(temporary);
            throw e;
        }
    }

    /**
     * Where a copy is built, emptied of anything an earlier attempt left: its image file (a raw
     * disk's {@code disk.img} in its directory). CONFLICT when the copy's place on the server is
     * taken by something that is not this volume's.
     */
    private Path emptyTemporary(Allocation copy) throws IOException {
        Path entry = entry(copy);
        Path temporary = temporary(copy);
        Files.createDirectories(maker.poolRoot(copy));
        if (Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) {
            throw DomainException.conflict("server " + copy.server() + " already has '" + entry.getFileName() + "' in pool "
                    + copy.pool() + ", which is not this volume's; it is left alone");
        }
        Files2.deleteTree(temporary);
        if (copy.format() == VolumeFormat.RAW) {
            Files.createDirectories(temporary);
            return temporary.resolve("disk.img");
        }
        return temporary;
    }

    /**
     * The bytes of the volume's image file as they are on this server (a qcow2 overlay without its
     * template; a raw disk's {@code disk.img}). Hold it first ({@link #hold}) so nothing writes to it meanwhile.
     */
    public java.io.InputStream read(Allocation volume) {
        if (volume.format() == VolumeFormat.DIRECTORY) {
            throw DomainException.invalid("a directory volume has no image to send");
        }
        try {
            return Files.newInputStream(maker.dataPath(volume), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw DomainException.storageFailed("the data of " + volume.name() + " cannot be read on " + volume.server() + ": " + e.getMessage());
        }
    }

    /**
     * Builds {@code copy} (on this server; the source's name, format and template) from the bytes a
     * peer sent, under the same temporary name as {@link #copy}: what arrived must hash to
     * {@code sha256} (what the sender computed), a qcow2 overlay is pointed at this server's own copy
     * of {@code template}, and the image must pass the checks of an import. On any failure nothing
     * of it is left. Put it in place with {@link #publish}.
     */
    public void receive(Allocation copy, Optional<Template> template, java.io.InputStream bytes, String sha256) {
        if (copy.format() == VolumeFormat.DIRECTORY) {
            throw new IllegalArgumentException("only images are received");
        }
        Path root = maker.poolRoot(copy);
        Path temporary = temporary(copy);
        String format = copy.format().display();
        try {
            Path image = emptyTemporary(copy);
            String arrived = Files2.writeSparse(bytes, image);
            if (!arrived.equalsIgnoreCase(sha256)) {
                throw DomainException.storageFailed("the copy of " + copy.name() + " that arrived on " + copy.server()
                        + " is not what was sent (sha256 differs); the original is kept");
            }
            Optional<Path> backing = Optional.empty();
            if (copy.format() == VolumeFormat.QCOW2 && template.isPresent()) {
                backing = Optional.of(maker.templateOn(root, template.get()).toAbsolutePath());
                qemu.rebaseOnto(image, backing.get(), template.get().format().display());
            }
            afterCopy.accept(image);
            requireSound(copy, image, format, backing);
            Files2.sync(image);
            LOG.info("volume {} received on {} and verified", copy.name(), copy.server());
        } catch (IOException e) {
            Files2.deleteTree(temporary);
            throw DomainException.storageFailed("cannot receive " + copy.name() + " on " + copy.server() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            Files2.deleteTree(temporary);
            throw e;
        }
    }

    /**
     * The rules of an import, for an image that came over the network: the format it should be,
     * qemu-img finds nothing wrong in it ({@code check}), and it names nothing outside itself but,
     * for an overlay, exactly this node's own template.
     */
    private void requireSound(Allocation copy, Path image, String format, Optional<Path> backing) {
        com.fasterxml.jackson.databind.JsonNode info;
        try {
            info = qemu.info(image, format, true);
        } catch (DomainException e) {
            throw DomainException.storageFailed("the copy of " + copy.name() + " is not a " + format + " image qemu-img can open");
        }
        if (!format.equals(info.path("format").asText()) || info.path("virtual-size").asLong() <= 0) {
            throw DomainException.storageFailed("the copy of " + copy.name() + " is not a " + format + " image");
        }
        if (copy.format() == VolumeFormat.QCOW2 && !qemu.check(image, format)) {
            throw DomainException.storageFailed("the copy of " + copy.name() + " fails qemu-img check; the original is kept");
        }
        List<String> outside = new java.util.ArrayList<>(ImageRules.references(info));
        if (backing.isPresent()) {
            String named = info.path("full-backing-filename").asText(info.path("backing-filename").asText());
            if (!Path.of(named).toAbsolutePath().normalize().equals(backing.get().normalize())) {
                throw DomainException.storageFailed("the copy of " + copy.name() + " is not based on this node's copy of its template");
            }
            outside.removeIf(r -> r.equals("a backing file") || r.equals("a 'backing' child"));
        }
        if (!outside.isEmpty()) {
            throw DomainException.storageFailed("the copy of " + copy.name() + " is not self-contained: it has " + String.join(", ", outside));
        }
    }

    @Override
    public void publish(Allocation copy) {
        Path entry = entry(copy);
        try {
            publish(temporary(copy), entry, copy.format());
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot put the copy of " + copy.name() + " in place on " + copy.server() + ": " + e.getMessage());
        }
    }

    @Override
    public void discard(Allocation copy) {
        Files2.deleteTree(temporary(copy));
    }

    private Path temporary(Allocation copy) {
        return maker.poolRoot(copy).resolve(".tmp-" + copy.id());
    }

    private Path entry(Allocation copy) {
        Path target = maker.dataPath(copy);
        return copy.format() == VolumeFormat.RAW ? target.getParent() : target;
    }

    /** Into place without ever replacing what is there: a hard link for a file, a rename for a raw disk's directory. */
    private static void publish(Path temporary, Path entry, VolumeFormat format) throws IOException {
        if (!Files.exists(temporary, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) {
                return; // put in place already (a retry)
            }
            throw DomainException.storageFailed("the verified copy " + temporary.getFileName() + " is gone");
        }
        if (format == VolumeFormat.QCOW2) {
            try {
                Files.createLink(entry, temporary);
            } catch (FileAlreadyExistsException e) {
                throw DomainException.conflict("'" + entry.getFileName() + "' appeared at the copy's place meanwhile; it is left alone");
            }
            Files.delete(temporary);
        } else {
            if (Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) {
                throw DomainException.conflict("'" + entry.getFileName() + "' appeared at the copy's place meanwhile; it is left alone");
            }
            Files.move(temporary, entry, StandardCopyOption.ATOMIC_MOVE);
        }
        Files2.syncDirectory(entry.getParent());
    }

    /** A sparse copy that keeps the image's mode (cp: fast, and holes stay holes). */
    private static void cp(Path from, Path to) throws IOException {
        ProcessRunner.Result r;
        try {
            r = ProcessRunner.run(List.of("cp", "--sparse=always", "--preserve=mode", from.toString(), to.toString()), COPY_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw DomainException.storageFailed("copy of " + from.getFileName() + " interrupted");
        }
        if (r.exitCode() != 0) {
            throw DomainException.storageFailed("cp of " + from.getFileName() + " failed: " + r.err().strip());
        }
    }
}
