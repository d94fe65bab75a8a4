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
 * A client of the test cluster whose requests can fail the two ways a real one's do: failed
 * before the API server applied them ({@link #refuse}: the connection is refused) or applied
 * with the answer lost on the way back ({@link #loseAnswer}: reset after the write). Each
 * rule applies to the next {@code times} requests whose method and path match.
 */
final class Faults {

    private record Rule(String method, Pattern path, boolean applied, AtomicInteger left) {
        boolean take(HttpRequest r) {
            if (!r.method().equals(method) || !path.matcher(r.uri().getPath()).matches()) {
                return false;
            }
            return left.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
        }
    }

    private static final int CLOSED_PORT = closedPort();

    private final List<Rule> rules = new java.util.concurrent.CopyOnWriteArrayList<>();
    final KubernetesClient client;

    Faults(KubernetesClient of) {
        // no client-side retries: a refused request fails at once, as it does after the client's retries ran out
        this.client = new KubernetesClientBuilder().withConfig(new ConfigBuilder(of.getConfiguration()).withRequestRetryBackoffLimit(0).build())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("faults", new Interceptor() {
                    @Override
                    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                        for (Rule r : rules) {
                            if (!r.applied() && r.take(request)) {
                                // an address where nothing listens: the connection is refused, nothing is written
                                URI u = request.uri();
                                builder.uri(URI.create(u.getScheme() + "://127.0.0.1:" + CLOSED_PORT + u.getRawPath()
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

    /** The next {@code times} matching requests are refused: nothing happens on the server. */
    Faults refuse(String method, String pathRegex, int times) {
        rules.add(new Rule(method, Pattern.compile(pathRegex), false, new AtomicInteger(times)));
        return this;
    }

    /** The next {@code times} matching requests are applied by the server but their answers never arrive. */
    Faults loseAnswer(String method, String pathRegex, int times) {
        rules.add(new Rule(method, Pattern.compile(pathRegex), true, new AtomicInteger(times)));
        return this;
    }

    /** How many of the rule's failures are still to come (0: all happened). */
    int pending() {
        return rules.stream().mapToInt(r -> r.left().get()).sum();
    }
}
