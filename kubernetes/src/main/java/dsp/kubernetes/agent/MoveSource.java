package dsp.kubernetes.agent;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.MoveRecords;
import dsp.core.port.VolumeCopier;
import dsp.kubernetes.Names;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.adapter.TokenReviewAuthenticator;
import dsp.kubernetes.crd.PoolVolume;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sending side of a drain's move: serves, read-only, the image of a volume of this node that
 * is being moved, to the agent of the node it moves to and to nobody else. {@code GET /moves/<copy>}
 * names the copy's PoolVolume (kind {@link MoveRecords#COPY}, owner = the moved volume). The caller
 * must present a pod token of the agents' ServiceAccount bound to the copy's node (TokenReview);
 * the moved volume must be on this node; while a process holds the image nothing is sent. The
 * answer carries the sha256 of the image as held ({@value #SHA256_HEADER}), computed before the
 * same bytes are sent, so the receiver can tell that what arrived is what was there.
 */
final class MoveSource implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MoveSource.class);
    static final String PATH = "/moves/";
    static final String SHA256_HEADER = "X-Content-Sha256";
    /** The identity every node agent runs as (deploy/10-rbac.yaml). */
    static final String AGENT_USER = "system:serviceaccount:" + Names.NAMESPACE + ":pool-storage-manager";

    private final KubernetesClient client;
    private final String node;
    private final Supplier<NodeStorage> storage;
    private final TokenReviewAuthenticator authenticator;
    private final HttpServer server;
    private final ExecutorService workers;

    MoveSource(KubernetesClient client, String node, Supplier<NodeStorage> storage, TokenReviewAuthenticator authenticator,
               String host, int port) {
        this.client = client;
        this.node = node;
        this.storage = storage;
        this.authenticator = authenticator;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        // a few moves at once at most: each reads a whole image
        workers = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "move-source-" + node);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(workers);
        server.createContext(PATH, this::serve);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private void serve(HttpExchange x) throws IOException {
        try (x) {
            if (!"GET".equals(x.getRequestMethod())) {
                error(x, 405, "method_not_allowed", "only GET");
                return;
            }
            String auth = x.getRequestHeaders().getFirst("Authorization");
            Optional<TokenReviewAuthenticator.NodeCaller> caller = auth == null || !auth.startsWith("Bearer ") ? Optional.empty()
                    : authenticator.callerOnNode(auth.substring("Bearer ".length()).trim());
            if (caller.isEmpty()) {
                error(x, 401, "unauthenticated", "a bearer token the API server vouches for is required");
                return;
            }
            if (!AGENT_USER.equals(caller.get().caller().name()) || caller.get().node().isEmpty()) {
                error(x, 403, "forbidden", "only a node agent's pod token may fetch a moving volume");
                return;
            }
            String copyName = x.getRequestURI().getPath().substring(PATH.length());
            Allocation volume;
            try {
                volume = movingTo(copyName, caller.get().node().get());
            } catch (DomainException e) {
                error(x, e.code() == DomainException.Code.NOT_FOUND ? 404 : 403, e.code() == DomainException.Code.NOT_FOUND
                        ? "not_found" : "forbidden", e.getMessage());
                return;
            }
            send(x, volume, caller.get().node().get());
        } catch (RuntimeException e) {
            LOG.warn("node {}: serving a move failed: {}", node, e.getMessage());
        }
    }

    /** The volume the copy of this name is a copy of, if it is on this node and moving to {@code callerNode}. */
    private Allocation movingTo(String copyName, String callerNode) {
        PoolVolume copy = copyName.isEmpty() || copyName.contains("/") ? null : client.resources(PoolVolume.class).withName(copyName).get();
        if (copy == null || copy.getSpec() == null || copy.getMetadata().getDeletionTimestamp() != null) {
            throw DomainException.notFound("no move " + copyName + " is under way");
        }
        PoolVolume.Spec c = copy.getSpec();
        if (!MoveRecords.COPY.equals(c.kind) || c.owner == null) {
            throw DomainException.invalid(copyName + " is not the copy of a volume being moved");
        }
        if (!callerNode.equals(c.node)) {
            throw DomainException.invalid("the volume of " + copyName + " is being moved to another node, not to " + callerNode);
        }
        PoolVolume moved = client.resources(PoolVolume.class).withName(c.owner).get();
        if (moved == null || moved.getSpec() == null) {
            throw DomainException.notFound("the volume " + c.owner + " being moved is gone");
        }
        PoolVolume.Spec v = moved.getSpec();
        if (!node.equals(v.node) || !Objects.equals(v.pool, c.pool) || !Objects.equals(v.name, c.name) || !Objects.equals(v.format, c.format)) {
            throw DomainException.invalid("volume " + c.owner + " is not on node " + node + " as its copy " + copyName + " says");
        }
        return PoolVolumeStore.toAllocation(moved).orElseThrow(() -> DomainException.notFound("volume " + c.owner + " is malformed"));
    }

    private void send(HttpExchange x, Allocation volume, String to) throws IOException {
        NodeStorage transfer = storage.get();
        VolumeCopier.Hold hold;
        try {
            hold = transfer.copier().hold(volume); // no VM opens it while it is read, and none has it open now
        } catch (DomainException e) {
            error(x, e.code() == DomainException.Code.CONFLICT ? 409 : 404, e.code() == DomainException.Code.CONFLICT ? "conflict" : "not_found",
                    e.getMessage());
            return;
        }
        try (hold) {
            long length = 0;
            MessageDigest sha = sha256();
            try (InputStream in = transfer.reader().read(volume)) {
                byte[] buffer = new byte[1 << 20];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    sha.update(buffer, 0, n);
                    length += n;
                }
            }
            x.getResponseHeaders().add(SHA256_HEADER, HexFormat.of().formatHex(sha.digest()));
            x.getResponseHeaders().add("Content-Type", "application/octet-stream");
            x.sendResponseHeaders(200, length);
            try (InputStream in = transfer.reader().read(volume); OutputStream out = x.getResponseBody()) {
                byte[] buffer = new byte[1 << 20];
                long left = length;
                for (int n; left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0; left -= n) {
                    out.write(buffer, 0, n);
                }
            }
            LOG.info("node {}: sent volume {} ({} bytes) to node {}", node, volume.name(), length, to);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void error(HttpExchange x, int status, String code, String message) throws IOException {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putObject("error").put("code", code).put("message", message);
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
    }
}
