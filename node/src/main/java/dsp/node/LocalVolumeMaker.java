package dsp.node;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.operation.Operations;
import dsp.core.model.PoolCatalog;
import dsp.core.model.VolumeLayout;
import dsp.core.model.PoolDefinition;
import dsp.core.model.VolumeFormat;
import dsp.core.port.VolumeMaker;
import dsp.core.vm.Template;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node storage engine on this machine's disk. Layout under a server's pool root:
 * <pre>
 *   &lt;name&gt;/              directory volume
 *   &lt;name&gt;.qcow2         qcow2 VM disk (an overlay on templates/&lt;template&gt;.qcow2)
 *   &lt;name&gt;/disk.img      raw VM disk (KubeVirt layout)
 *   templates/           read-only template copies
 *   .tmp-&lt;id&gt;...         work in progress; swept at start-up
 * </pre>
 * Everything is built under a {@code .tmp-} name and renamed into place.
 */
public final class LocalVolumeMaker implements VolumeMaker {

    private static final Logger LOG = LoggerFactory.getLogger(LocalVolumeMaker.class);
    /** A reflink is instant; a sparse copy of a large raw template on a slow disk is not. */
    private static final java.time.Duration TEMPLATE_COPY_TIMEOUT = java.time.Duration.ofHours(6);
    public static final String TEMPLATES = VolumeLayout.TEMPLATES;
    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> WRITABLE_BY_ALL =
            java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx");

    private final ServerRoots roots;
    private final PoolCatalog catalog;
    private final FileTemplateLibrary library;
    private final QemuImg qemu;
    private final ConcurrentHashMap<Path, ReentrantLock> copyLocks = new ConcurrentHashMap<>();

    public LocalVolumeMaker(ServerRoots roots, PoolCatalog catalog, FileTemplateLibrary library, QemuImg qemu) {
        this.roots = roots;
        this.catalog = catalog;
        this.library = library;
        this.qemu = qemu;
    }

    @Override
    public String make(Allocation a, Optional<Template> template) {
        return make(a, template, Operations.Progress.NONE);
    }

    @Override
    public String make(Allocation a, Optional<Template> template, Operations.Progress progress) {
        Path root = poolRoot(a);
        Path target = dataPath(a);
        if (VolumeLayout.isReserved(a.name())) {
            throw DomainException.invalid("volume name '" + a.name() + "' is used by the pool directory itself");
        }
        if (Files.exists(target)) {
            return target.toString();
        }
        Path entry = root.resolve(VolumeLayout.entry(a));
        // A directory volume's place is checked by its rename (below) instead: a directory renamed onto anything
        // but nothing or an empty directory fails, and any directory there was found just above. Asking first
        // costs a thrown and caught exception per create on Java 17 (a missing path, links not followed).
        if (a.format() != VolumeFormat.DIRECTORY && Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) {
            throw occupied(a, entry);
        }
        if (!Files.isDirectory(root)) { // a plain stat; creating one that is there throws (and fills a stack trace) on Java 17
            mkdirs(root);
        }
        Path temporary = root.resolve(".tmp-" + a.id());
        Files2.deleteTree(temporary);
        try {
            switch (a.format()) {
                case DIRECTORY -> {
                    mkdirs(temporary);
                    // writable by any pod, as local-path makes them: a non-root pod without fsGroup can use
                    // it; with fsGroup the kubelet sets group and setgid at mount, which this never undoes
                    Files.setPosixFilePermissions(temporary, WRITABLE_BY_ALL);
                    try {
                        Files2.publish(temporary, target);
                    } catch (UncheckedIOException e) {
                        if (Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) {
                            throw occupied(a, entry); // a link or a file: the rename refused to replace it
                        }
                        throw e;
                    }
                }
                case QCOW2 -> {
                    Optional<Path> backing = template.map(t -> templateOn(root, t, progress));
                    qemu.create(temporary, "qcow2", a.sizeBytes(), backing, template.map(t -> t.format().display()).orElse("qcow2"));
                    Files2.sync(temporary);
                    Files2.publish(temporary, target);
                }
                case RAW -> {
                    mkdirs(temporary);
                    Path image = temporary.resolve("disk.img");
                    if (template.isPresent()) {
                        rawFrom(template.get(), image, progress);
                        qemu.resize(image, "raw", a.sizeBytes());
                    } else {
                        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
                            f.setLength(a.sizeBytes());
                        }
                    }
                    Files2.sync(image);
                    Files2.publish(temporary, target.getParent());
                }
            }
        } catch (IOException e) {
            Files2.deleteTree(temporary);
            throw DomainException.storageFailed("cannot make " + a.name() + " on " + a.server() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            Files2.deleteTree(temporary);
            throw e;
        }
        LOG.info("volume {} ({}, {} bytes) made at {}", a.name(), a.format().display(), a.sizeBytes(), target);
        return target.toString();
    }

    /**
     * Something else holds this volume's place (a raw disk's directory without its disk.img, a link...):
     * it is not ours to replace, and nothing here will delete it.
     */
    private static DomainException occupied(Allocation a, Path entry) {
        return DomainException.conflict("'" + entry.getFileName() + "' already exists in pool " + a.pool() + " on " + a.server()
                + " and is not this volume's data; left alone");
    }

    @Override
    public void grow(Allocation a, long newSizeBytes) {
        Path image = dataPath(a);
        switch (a.format()) {
            case DIRECTORY -> {
                // directories have no size of their own here: admission is what bounds them
            }
            case QCOW2 -> qemu.resize(image, "qcow2", newSizeBytes);
            case RAW -> qemu.resize(image, "raw", newSizeBytes);
        }
    }

    @Override
    public void delete(Allocation a) {
        if (VolumeLayout.isReserved(a.name())) {
            throw DomainException.conflict("'" + a.name() + "' is part of the pool directory's own layout; never deleted as a volume");
        }
        Path root = poolRoot(a);
        Path target = a.format() == VolumeFormat.RAW ? dataPath(a).getParent() : dataPath(a);
        if (a.format() != VolumeFormat.DIRECTORY && Files.exists(dataPath(a)) && qemu.inUse(dataPath(a))) {
            throw DomainException.conflict("disk " + a.name() + " is in use by a running VM (its image lock is held); stop it first");
        }
        Files2.deleteTree(root.resolve(".tmp-" + a.id()));
        if (Files.exists(target)) {
            // rename first so a crash mid-delete leaves a .tmp- entry for the sweep, never half a volume
            Path doomed = root.resolve(".tmp-" + a.id() + "-deleting");
            try {
                Files.move(target, doomed, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw DomainException.storageFailed("cannot delete " + target + ": " + e.getMessage());
            }
            Files2.deleteTree(doomed);
            LOG.info("volume {} deleted from {}", a.name(), target);
        }
    }

    @Override
    public boolean exists(Allocation a) {
        return Files.exists(dataPath(a));
    }

    @Override
    public long presentedBytes(Allocation a) {
        if (a.format() == VolumeFormat.DIRECTORY) {
            return a.sizeBytes();
        }
        return qemu.info(dataPath(a), a.format().display(), true).path("virtual-size").asLong();
    }

    @Override
    public long measuredBytes(Allocation a) {
        Path p = dataPath(a);
        if (!Files.exists(p)) {
            return 0;
        }
        if (a.format() == VolumeFormat.DIRECTORY) {
            return DiskUsage.byChild(p).getOrDefault("", 0L);
        }
        JsonNode info = qemu.info(p, a.format().display(), true);
        return info.path("actual-size").asLong();
    }

    @Override
    public String pathOf(Allocation a) {
        return dataPath(a).toString();
    }

    @Override
    public int sweepTemporaries() {
        int n = library.sweepTemporaries();
        for (Path server : roots.allRoots()) {
            for (PoolDefinition pool : catalog.pools()) {
                for (Path dir : List.of(server.resolve(pool.directory()), server.resolve(pool.directory()).resolve(TEMPLATES))) {
                    if (!Files.isDirectory(dir)) {
                        continue;
                    }
                    try (Stream<Path> entries = Files.list(dir)) {
                        for (Path e : entries.toList()) {
                            if (e.getFileName().toString().startsWith(".tmp-")) {
                                LOG.info("removing half-made {}", e);
                                Files2.deleteTree(e);
                                n++;
                            }
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot sweep " + dir, e);
                    }
                }
            }
        }
        return n;
    }

    Path poolRoot(Allocation a) {
        PoolDefinition pool = catalog.require(a.pool());
        return roots.poolRoot(a.server(), pool);
    }

    Path dataPath(Allocation a) {
        return poolRoot(a).resolve(VolumeLayout.relativePath(a));
    }

    /** The server's own read-only copy of a template, made once (copy then rename). */
    Path templateOn(Path poolRoot, Template t) {
        return templateOn(poolRoot, t, Operations.Progress.NONE);
    }

    /** The same, the bytes of the first copy reported as they go. */
    Path templateOn(Path poolRoot, Template t, Operations.Progress progress) {
        Path dir = poolRoot.resolve(TEMPLATES);
        Path copy = dir.resolve(t.name() + "." + t.format().display());
        if (Files.exists(copy)) {
            return copy;
        }
        ReentrantLock lock = copyLocks.computeIfAbsent(copy, k -> new ReentrantLock());
        lock.lock();
        try {
            if (Files.exists(copy)) {
                return copy;
            }
            mkdirs(dir);
            Path source = library.fileOf(t);
            long total = Files.size(source);
            String step = "copying template " + t.name() + " to " + poolRoot.getParent().getFileName() + " (first disk from it there)";
            Files2.publishReadOnlyCopy(source, dir.resolve(".tmp-" + t.name() + "." + t.format().display()), copy,
                    copied -> progress.progress(copied, total, step));
            LOG.info("template {} copied to {}", t.name(), copy);
            return copy;
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot copy template " + t.name() + " to " + dir + ": " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /** A raw disk from a template: reflink (or sparse) copy of a raw template, sparse conversion of a qcow2 one. */
    private void rawFrom(Template t, Path image, Operations.Progress progress) throws IOException {
        Path source = library.fileOf(t);
        if (t.format() == VolumeFormat.RAW) {
            ProcessRunner.Result r;
            try {
                r = ProcessRunner.run(List.of("cp", "--reflink=auto", "--sparse=always", source.toString(), image.toString()), TEMPLATE_COPY_TIMEOUT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw DomainException.storageFailed("copy of template " + t.name() + " interrupted");
            }
            if (r.exitCode() != 0) {
                throw DomainException.storageFailed("cp of template " + t.name() + " failed: " + r.err().strip());
            }
            image.toFile().setWritable(true, true);
        } else {
            String step = "converting template " + t.name() + " to a raw disk";
            qemu.convert(source, "qcow2", image, "raw", false,
                    percent -> progress.progress(Math.round(t.virtualBytes() * percent / 100), t.virtualBytes(), step));
        }
    }

    private static void mkdirs(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot create " + dir + ": " + e.getMessage());
        }
    }
}
