package dsp.cli.kubernetes;

import dsp.api.PoolMetrics;
import dsp.config.PoolConfig;
import dsp.kubernetes.controller.ControllerRuntime;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;

/**
 * Kubernetes mode's controller composed: the kubernetes module's adapters and roles
 * ({@link ControllerRuntime}) with the HTTP API and its metrics on top, as
 * {@code StandaloneServer} composes standalone mode.
 */
public final class KubernetesController {

    private KubernetesController() {
    }

    /**
     * A controller not yet started ({@link ControllerRuntime#start}).
     *
     * @param kubernetesAuth changes through the API need a bearer token the API server vouches for
     *                       (TokenReview), of a caller whose own RBAC allows the change (SubjectAccessReview)
     */
    public static ControllerRuntime compose(KubernetesClient client, PoolConfig.Configuration config, String namespace,
                                            String identity, Clock clock, boolean kubernetesAuth) {
        // one set of metrics: the API serves it, the provisioner times claims into it
        PoolMetrics metrics = new PoolMetrics(clock);
        return new ControllerRuntime(client, config.catalog(), namespace, identity, clock)
                .recordTo(metrics)
                .serveWith(new KubernetesApi(config, metrics, kubernetesAuth));
    }
}
