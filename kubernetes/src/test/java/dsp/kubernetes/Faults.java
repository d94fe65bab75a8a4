package dsp.kubernetes;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A client of the test cluster whose requests can fail the ways a real one's do: failed
 * before the API server applied them ({@link #refuse}: the connection is refused), applied
 * with the answer lost on the way back ({@link #loseAnswer}: reset after the write), or stalled
 * ({@link #hold}: no answer until the test lets go, then reset, nothing applied). Each rule
 * applies to the next {@code times} requests whose method and path match.
 */
public final class Faults {

    /** {@code port}: where a request that is not applied is sent instead (nothing listens, or a {@link Hold}). */
    private record Rule(String method, Pattern path, boolean applied, AtomicInteger left, int port) {
        boolean take(HttpRequest r) {
            if (!r.method().matches(method) || !path.matcher(r.uri().getPath()).matches()) {
                return false;
            }
            return left.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
        }
    }

    private static final int CLOSED_PORT = closedPort();

    private final List<Rule> rules = new java.util.concurrent.CopyOnWriteArrayList<>();
    public final KubernetesClient client;

    public Faults(KubernetesClient of) {
        // no client-side retries: a refused request fails at once, as it does after the client's retries ran out;
        // a held request waits for the test, not for the client's timeout
        this.client = new KubernetesClientBuilder().withConfig(new ConfigBuilder(of.getConfiguration()).withRequestRetryBackoffLimit(0)
                        .withRequestTimeout(120_000).build())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("faults", new Interceptor() {
                    @Override
                    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                        for (Rule r : rules) {
                            if (!r.applied() && r.take(request)) {
                                // an address where the API server is not: nothing is written
                                URI u = request.uri();
                                builder.uri(URI.create(u.getScheme() + "://127.0.0.1:" + r.port() + u.getRawPath()
                                        + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery())));
                                return;
                            }
                        }
                    }

                    @Override
                    public AsyncBody.Consumer<List<ByteBuffer>> consumer(AsyncBody.Consumer<List<ByteBuffer>> consumer, HttpRequest request) {
                        for (Rule r : rules) {
                            if (r.applied() && r.take(request)) {
                                return (buffers, body) -> {
                                    throw new IOException("connection reset by test after the write was applied");
                                };
                            }
                        }
                        return consumer;
                    }
                })).build();
    }

    private static int closedPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The next {@code times} matching requests (method and path are regular expressions) are refused: nothing happens on the server. */
    public Faults refuse(String method, String pathRegex, int times) {
        rules.add(new Rule(method, Pattern.compile(pathRegex), false, new AtomicInteger(times), CLOSED_PORT));
        return this;
    }

    /** The next {@code times} matching requests are applied by the server but their answers never arrive. */
    public Faults loseAnswer(String method, String pathRegex, int times) {
        rules.add(new Rule(method, Pattern.compile(pathRegex), true, new AtomicInteger(times), CLOSED_PORT));
        return this;
    }

    /**
     * The next matching request stalls: it reaches a server that reads it and never answers, so
     * its caller waits, until {@link Hold#release()} resets the connection (the request fails,
     * nothing was applied). Closed with the test's resources.
     */
    public Hold hold(String method, String pathRegex) {
        Hold hold = new Hold(() -> { });
        rules.add(new Rule(method, Pattern.compile(pathRegex), false, new AtomicInteger(1), hold.port()));
        return hold;
    }

    /**
     * Every matching request from now on stalls, until {@link Hold#release()}: the held ones
     * fail then (nothing applied) and the ones after go through.
     */
    public Hold holdEvery(String method, String pathRegex) {
        AtomicInteger left = new AtomicInteger(Integer.MAX_VALUE);
        Hold hold = new Hold(() -> left.set(0));
        rules.add(new Rule(method, Pattern.compile(pathRegex), false, left, hold.port()));
        return hold;
    }

    /** A server that accepts connections and never answers on them until released. */
    public static final class Hold implements AutoCloseable {
        private final ServerSocket server;
        private final List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final Runnable stopHolding;

        private Hold(Runnable stopHolding) {
            this.stopHolding = stopHolding;
            try {
                server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            Thread accept = new Thread(() -> {
                try {
                    while (!server.isClosed()) {
                        held.add(server.accept());
                    }
                } catch (IOException closed) {
                    // released
                }
            }, "faults-hold");
            accept.setDaemon(true);
            accept.start();
        }

        int port() {
            return server.getLocalPort();
        }

        /** Whether a request is being held (its caller is waiting for an answer). */
        public boolean holding() {
            return !held.isEmpty() && !server.isClosed();
        }

        /** Lets go: the held request fails (its connection is reset) without having been applied. */
        public void release() {
            close();
        }

        @Override
        public void close() {
            stopHolding.run(); // no request is sent here any more
            try {
                server.close();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            for (java.net.Socket s : held) {
                try {
                    if (!s.isClosed()) {
                        s.setSoLinger(true, 0); // a reset, as a broken connection ends
                        s.close();
                    }
                } catch (IOException closedByTheClient) {
                    // the caller gave up already
                }
            }
        }
    }

    /** How many of the rule's failures are still to come (0: all happened). */
    public int pending() {
        return (int) Math.min(Integer.MAX_VALUE, rules.stream().mapToLong(r -> r.left().get()).sum());
    }
}
