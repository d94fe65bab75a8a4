package dsp.kubernetes;

import dsp.core.model.PoolCatalog;
import dsp.core.usecase.PoolQueries;
import dsp.kubernetes.TestCluster.Workload;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.controller.ControllerRuntime.Role;
import dsp.kubernetes.controller.Leadership;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Controller roles as deploy/ runs them: each workload in its own runtime with its own
 * ServiceAccount (k8s-pool-provisioner runs provisioner and api together), so every API call
 * is authorized as it would be on a real cluster.
 */
public final class RunningRoles implements AutoCloseable {

    /** Leases short enough for tests: 2 s, renewed within 1.5 s, retried every 200 ms. */
    public static final Leadership.Timing FAST = new Leadership.Timing(java.time.Duration.ofSeconds(2), java.time.Duration.ofMillis(1500),
            java.time.Duration.ofMillis(200));

    private final Map<Workload, ControllerRuntime> runtimes = new EnumMap<>(Workload.class);

    private RunningRoles() {
    }

    /** Makes one workload's runtime, not yet started: the adapters alone, or composed with the HTTP API (cli's tests). */
    @FunctionalInterface
    public interface Composer {
        ControllerRuntime compose(KubernetesClient client, String identity, Clock clock);
    }

    /** The kubernetes module's adapters and roles alone: no HTTP API (the api and monitor roles need the cli's composition). */
    public static Composer adaptersOnly(PoolCatalog catalog) {
        return (client, identity, clock) -> new ControllerRuntime(client, catalog, Names.NAMESPACE, identity, clock);
    }

    public static RunningRoles start(TestCluster cluster, Set<Role> roles, Leadership.Timing timing) {
        return start(cluster, PoolCatalog.guideDefaults(), "controller-a", roles, timing);
    }

    public static RunningRoles start(TestCluster cluster, PoolCatalog catalog, String identity, Set<Role> roles, Leadership.Timing timing) {
        return start(cluster::clientAs, adaptersOnly(catalog), identity, roles, timing, Clock.systemUTC());
    }

    /** @param clients each workload's client (e.g. one that fails on purpose for the provisioner) */
    public static RunningRoles start(java.util.function.Function<Workload, KubernetesClient> clients, Composer composer,
                                     String identity, Set<Role> roles, Leadership.Timing timing, Clock clock) {
        RunningRoles r = new RunningRoles();
        r.clients = clients;
        r.composer = composer;
        r.clock = clock;
        try {
            if (roles.contains(Role.SCALING)) {
                r.run(identity, Workload.SCALING, EnumSet.of(Role.SCALING), timing);
            }
            EnumSet<Role> admission = EnumSet.noneOf(Role.class);
            roles.stream().filter(x -> x == Role.PROVISIONER || x == Role.API).forEach(admission::add);
            if (!admission.isEmpty()) {
                r.run(identity, Workload.PROVISIONER, admission, timing);
            }
            if (roles.contains(Role.MONITOR)) {
                r.run(identity, Workload.MONITOR, EnumSet.of(Role.MONITOR), timing);
            }
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    private java.util.function.Function<Workload, KubernetesClient> clients;
    private Composer composer;
    private Clock clock;

    private void run(String identity, Workload workload, Set<Role> roles, Leadership.Timing timing) {
        ControllerRuntime runtime = composer.compose(clients.apply(workload), identity, clock);
        runtimes.put(workload, runtime);
        runtime.start(roles, timing, "127.0.0.1", 0);
    }

    public ControllerRuntime runtime(Workload workload) {
        ControllerRuntime r = runtimes.get(workload);
        if (r == null) {
            throw new IllegalStateException(workload + " is not running");
        }
        return r;
    }

    private ControllerRuntime any() {
        for (Workload w : List.of(Workload.PROVISIONER, Workload.SCALING, Workload.MONITOR)) {
            if (runtimes.containsKey(w)) {
                return runtimes.get(w);
            }
        }
        throw new IllegalStateException("no role running");
    }

    /** The pools as the admitting workload (else any) sees them. */
    public PoolQueries queries() {
        return any().queries();
    }

    public PoolVolumeStore store() {
        return any().store();
    }

    /** The HTTP API's port: k8s-pool-provisioner's, else dynamic-pool-monitor's. */
    public int apiPort() {
        ControllerRuntime r = runtimes.containsKey(Workload.PROVISIONER) ? runtimes.get(Workload.PROVISIONER) : runtimes.get(Workload.MONITOR);
        return r == null ? -1 : r.apiPort();
    }

    /** Recompute the pools and the published capacity now, instead of waiting for the debounce. */
    public void reconcileNow() {
        runtime(Workload.SCALING).reconcileNow();
    }

    public boolean isAdmissionLeader() {
        return runtimes.containsKey(Workload.PROVISIONER) && runtimes.get(Workload.PROVISIONER).isAdmissionLeader();
    }

    public boolean isScalingLeader() {
        return runtimes.containsKey(Workload.SCALING) && runtimes.get(Workload.SCALING).isScalingLeader();
    }

    @Override
    public void close() {
        List<ControllerRuntime> all = new ArrayList<>(runtimes.values());
        for (int i = all.size() - 1; i >= 0; i--) {
            all.get(i).close();
        }
    }
}
