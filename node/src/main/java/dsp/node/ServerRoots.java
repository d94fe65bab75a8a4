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
    /** On a real node every server name maps to the one root (the node's "/", or the agent's --root). */
    private final boolean singleNode;

    public ServerRoots(Path base) {
        this(base, false);
    }

    private ServerRoots(Path base, boolean singleNode) {
        this.base = base.toAbsolutePath().normalize();
        this.singleNode = singleNode;
    }

    /** The roots as a node agent sees them: its own node's root, whatever the server's name. */
    public static ServerRoots singleNode(Path root) {
        return new ServerRoots(root, true);
    }

    /** Every server root present on this machine. */
    public java.util.List<Path> allRoots() {
        if (singleNode) {
            return java.util.List.of(base);
        }
        if (!Files.isDirectory(base)) {
            return java.util.List.of();
        }
        try (var list = Files.list(base)) {
            return list.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + base, e);
        }
    }

    public Path base() {
        return base;
    }

    /** The root of one server; the name is validated so it can never leave {@link #base()}. */
    public Path rootOf(String server) {
        if (singleNode) {
            Names.requireServer(server);
            return base;
        }
        Path root = base.resolve(Names.requireServer(server)).normalize();
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
