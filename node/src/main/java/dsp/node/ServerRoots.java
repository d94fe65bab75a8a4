package dsp.node;

import dsp.core.model.Names;
import dsp.core.model.PoolDefinition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where each server's disk lives. In standalone mode every server is a directory under
 * {@code <data-dir>/servers/}, laid out like a real node's root: {@code k8s-storage-pool/},
 * {@code vm-storage-pool/}, and whatever else counts against the system reserve.
 */
public final class ServerRoots {

    private final Path base;

    public ServerRoots(Path base) {
        this.base = base.toAbsolutePath().normalize();
    }

    public Path base() {
        return base;
    }

    /** The root of one server; the name is validated so it can never leave {@link #base()}. */
    public Path rootOf(String server) {
        Path root = base.resolve(Names.require("server", server)).normalize();
        if (!root.getParent().equals(base)) {
            throw new IllegalArgumentException("server root escapes " + base);
        }
        return root;
    }

    public Path poolRoot(String server, PoolDefinition pool) {
        return rootOf(server).resolve(pool.directory());
    }

    /** Creates the server's root and its pool directories; idempotent. */
    public Path prepare(String server, Iterable<PoolDefinition> pools) {
        Path root = rootOf(server);
        try {
            Files.createDirectories(root);
            for (PoolDefinition p : pools) {
                Files.createDirectories(root.resolve(p.directory()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare server directory " + root, e);
        }
        return root;
    }
}
