package dsp.kubernetes;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A client of the test cluster, with the same identity as the one it is made from, that records
 * each request it sends ({@code "PATCH /api/v1/nodes/k8s-1"}): to assert how many writes an
 * operation costs, e.g. that writing what is already there sends none.
 */
public final class RequestLog implements AutoCloseable {

    private final List<String> sent = new CopyOnWriteArrayList<>();
    public final KubernetesClient client;

    public RequestLog(KubernetesClient of) {
        this.client = new KubernetesClientBuilder().withConfig(new ConfigBuilder(of.getConfiguration()).build())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("request-log", new Interceptor() {
                    @Override
                    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                        sent.add(request.method() + " " + request.uri().getPath());
                    }
                })).build();
    }

    /** The requests sent since the last {@link #clear} that would change something (all but GET), in order. */
    public List<String> writes() {
        return sent.stream().filter(r -> !r.startsWith("GET ")).toList();
    }

    public void clear() {
        sent.clear();
    }

    @Override
    public void close() {
        client.close();
    }
}
