package dsp.node;

import dsp.core.model.PoolCatalog;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The node storage engine of one node, on that node's own disk (what a node agent runs): its
 * pools under {@code root}, templates under the vm pool. Parts are built on first use, so a node
 * that holds no pool data never gets a pool or template directory.
 */
public final class LocalNode {

    private final String node;
    private final PoolCatalog catalog;
    private final ServerRoots roots;
    private final Supplier<FileTemplateLibrary> templates;
    private final Supplier<dsp.core.port.VolumeMaker> maker;
    private final Supplier<LocalVolumeCopier> copier;
    private final PoolCleaner cleaner;
    private final PoolDirectoryMeter meter;

    public LocalNode(String node, Path root, PoolCatalog catalog, String vmPool, QemuImg qemu, Clock clock) {
        this.node = node;
        this.catalog = catalog;
        this.roots = ServerRoots.singleNode(root);
        this.templates = memoize(() -> new FileTemplateLibrary(roots.poolRoot(node, catalog.require(vmPool)).resolve(LocalVolumeMaker.TEMPLATES),
                qemu, roots, catalog, Optional.empty()));
        // on a node, raw disks are KubeVirt's hostDisks: QEMU opens them as its own user
        Supplier<LocalVolumeMaker> engine = memoize(() -> new LocalVolumeMaker(roots, catalog, templates.get(), qemu));
        this.maker = memoize(() -> new QemuOwnedRawDisks(engine.get(), QemuOwnedRawDisks.QEMU_UID));
        this.copier = memoize(() -> new LocalVolumeCopier(engine.get(), qemu));
        this.cleaner = new PoolCleaner(roots, catalog, clock);
        this.meter = new PoolDirectoryMeter(roots, catalog);
    }

    /** Creates the pool directories and the templates directory; idempotent. */
    public LocalNode prepare() {
        roots.prepare(node, catalog.pools());
        templates.get();
        return this;
    }

    public FileTemplateLibrary templates() {
        return templates.get();
    }

    public dsp.core.port.VolumeMaker maker() {
        return maker.get();
    }

    /** Sends this node's images to peers and builds copies from what peers send (a drain's move). */
    public LocalVolumeCopier copier() {
        return copier.get();
    }

    /** Never creates anything: a node without pool directories has nothing to clean. */
    public PoolCleaner cleaner() {
        return cleaner;
    }

    public PoolDirectoryMeter meter() {
        return meter;
    }

    private static <T> Supplier<T> memoize(Supplier<T> make) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = make.get();
                }
                return value;
            }
        };
    }
}
