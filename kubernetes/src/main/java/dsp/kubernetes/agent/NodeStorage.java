package dsp.kubernetes.agent;

import dsp.core.model.PoolCatalog;
import dsp.node.FileTemplateLibrary;
import dsp.node.LocalVolumeMaker;
import dsp.node.PoolCleaner;
import dsp.node.QemuImg;
import dsp.node.ServerRoots;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The node storage engine on this node's own disk, built on first use: an agent on a node that
 * holds no pool data never creates a pool or template directory there.
 */
final class NodeStorage {

    private final String node;
    private final PoolCatalog catalog;
    private final ServerRoots roots;
    private final Supplier<FileTemplateLibrary> templates;
    private final Supplier<LocalVolumeMaker> maker;
    private final Supplier<PoolCleaner> cleaner;

    NodeStorage(String node, Path root, PoolCatalog catalog, String vmPool, QemuImg qemu, Clock clock) {
        this.node = node;
        this.catalog = catalog;
        this.roots = ServerRoots.singleNode(root);
        this.templates = memoize(() -> new FileTemplateLibrary(roots.poolRoot(node, catalog.require(vmPool)).resolve(LocalVolumeMaker.TEMPLATES),
                qemu, roots, catalog, Optional.empty()));
        this.maker = memoize(() -> new LocalVolumeMaker(roots, catalog, templates.get(), qemu));
        this.cleaner = memoize(() -> new PoolCleaner(roots, catalog, clock));
    }

    String node() {
        return node;
    }

    PoolCatalog catalog() {
        return catalog;
    }

    ServerRoots roots() {
        return roots;
    }

    FileTemplateLibrary templates() {
        return templates.get();
    }

    LocalVolumeMaker maker() {
        return maker.get();
    }

    PoolCleaner cleaner() {
        return cleaner.get();
    }

    /** The pool directories (and the templates directory) exist once the node holds pool data. */
    void prepare() {
        roots.prepare(node, catalog.pools());
        templates.get();
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
