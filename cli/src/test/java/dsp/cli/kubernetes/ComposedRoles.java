package dsp.cli.kubernetes;

import dsp.config.PoolConfig;
import dsp.kubernetes.Names;
import dsp.kubernetes.RunningRoles;
import dsp.kubernetes.TestCluster;
import dsp.kubernetes.controller.ControllerRuntime.Role;
import dsp.kubernetes.controller.Leadership;
import java.time.Clock;
import java.util.Set;

/** The controller roles on the strict test cluster as poolctl controller composes them: with the HTTP API. */
public final class ComposedRoles {

    private ComposedRoles() {
    }

    static RunningRoles start(TestCluster cluster, Set<Role> roles, Leadership.Timing timing) {
        return start(cluster, "controller-a", roles, timing, false);
    }

    /** @param clients each workload's client (e.g. one that fails on purpose for the controller's admission) */
    static RunningRoles start(java.util.function.Function<TestCluster.Workload, io.fabric8.kubernetes.client.KubernetesClient> clients,
                              Set<Role> roles, Leadership.Timing timing) {
        return RunningRoles.start(clients, composer(PoolConfig.Configuration.guideDefaults(), false), "controller-a", roles, timing,
                Clock.systemUTC());
    }

    /** @param tokenReview changes through the API need a bearer token the API server vouches for */
    static RunningRoles start(TestCluster cluster, String identity, Set<Role> roles, Leadership.Timing timing, boolean tokenReview) {
        return RunningRoles.start(cluster::clientAs, composer(PoolConfig.Configuration.guideDefaults(), tokenReview), identity, roles,
                timing, Clock.systemUTC());
    }

    public static RunningRoles.Composer composer(PoolConfig.Configuration config, boolean tokenReview) {
        return (client, identity, clock) -> KubernetesController.compose(client, config, Names.NAMESPACE, identity, clock, tokenReview);
    }
}
