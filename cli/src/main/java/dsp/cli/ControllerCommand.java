package dsp.cli;

import dsp.cli.client.CliFailure;
import dsp.cli.kubernetes.KubernetesController;
import dsp.core.DomainException;
import dsp.kubernetes.controller.ControllerRuntime;
import dsp.kubernetes.controller.Leadership;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Kubernetes mode's controller: the guide's provisioner, scaling controller and VM API, each role under its Lease. */
@Command(name = "controller", mixinStandardHelpOptions = true,
        description = "Run the Kubernetes controller roles: scaling (pool-scaling-controller), provisioner (k8s-pool-provisioner), api (vm-pool-api).")
public final class ControllerCommand implements Callable<Integer> {

    @Mixin
    KubeOptions kube;

    @Option(names = "--roles", split = ",", description = "roles to run (default: all): scaling, provisioner, api")
    List<String> roles;

    @Option(names = "--port", defaultValue = "8080", description = "HTTP port of the api and monitor roles, else of /healthz and /readyz (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--host", defaultValue = "0.0.0.0")
    String host;

    @Option(names = "--auth", defaultValue = "kubernetes", description = "kubernetes (default): a change through the API needs "
            + "`Authorization: Bearer <token>` of a Kubernetes identity (TokenReview) whose own RBAC allows it (SubjectAccessReview); "
            + "none: anyone who reaches the API may change anything")
    String auth;

    @Override
    public Integer call() {
        Set<ControllerRuntime.Role> set = EnumSet.noneOf(ControllerRuntime.Role.class);
        try {
            if (roles != null) {
                roles.forEach(r -> set.add(ControllerRuntime.Role.parse(r.trim())));
            }
        } catch (DomainException e) {
            throw new CliFailure(CliFailure.USAGE, e.getMessage());
        }
        if (!auth.equals("none") && !auth.equals("kubernetes")) {
            throw new CliFailure(CliFailure.USAGE, "--auth must be kubernetes or none, not '" + auth + "'");
        }
        KubernetesClient client = kube.client();
        var configuration = kube.configuration(client);
        ControllerRuntime runtime = KubernetesController.compose(client, configuration, kube.namespace, KubeOptions.identity(),
                        Clock.systemUTC(), auth.equals("kubernetes"))
                .start(set, Leadership.Timing.DEFAULT, host, port);
        if (runtime.apiPort() > 0) {
            org.slf4j.LoggerFactory.getLogger(ControllerCommand.class).info("API listening on {}:{}", host, runtime.apiPort());
        } else {
            org.slf4j.LoggerFactory.getLogger(ControllerCommand.class).info("/healthz and /readyz on {}:{}", host, runtime.healthPort());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            runtime.close();
            client.close();
        }, "shutdown"));
        Daemon.serving();
        return 0;
    }
}
