package dsp.cli;

import dsp.cli.client.CliFailure;
import dsp.kubernetes.agent.NodeAgent;
import dsp.kubernetes.agent.NodeStorage;
import dsp.node.LocalNode;
import dsp.node.QemuImg;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The node agent (DaemonSets vm-pool-storage-manager and k8s-pool-storage-manager). */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Run the node agent: make this node's PoolVolumes real under ROOT/k8s-storage-pool and ROOT/vm-storage-pool.")
public final class AgentCommand implements Callable<Integer> {

    @Mixin
    KubeOptions kube;

    @Option(names = "--node", defaultValue = "${env:NODE_NAME}", description = "this node's name (default: $NODE_NAME)")
    String node;

    @Option(names = "--root", defaultValue = "/", description = "the node's file system root holding the pool directories (default: ${DEFAULT-VALUE})")
    Path root;

    @Option(names = "--report-every", defaultValue = "30", description = "seconds between disk reports (default: ${DEFAULT-VALUE})")
    int reportEvery;

    @Option(names = "--health-port", defaultValue = "-1",
            description = "serve /healthz and /readyz on this port for the kubelet's probes (default: none)")
    int healthPort;

    @Option(names = "--peer-port", defaultValue = "-1",
            description = "serve the images of volumes a drain moves away from this node to the target nodes' agents on this port (default: none)")
    int peerPort;

    @Option(names = "--pod-ip", defaultValue = "${env:POD_IP}",
            description = "the address other nodes' agents reach this pod at, published with the peer port in the node's disk report (default: $POD_IP)")
    String podIp;

    @Override
    public Integer call() {
        if (node == null || node.isBlank()) {
            throw new CliFailure(CliFailure.USAGE, "--node is required (or set NODE_NAME)");
        }
        dsp.core.model.Names.requireServer(node);
        if (!Files.isDirectory(root)) {
            throw new CliFailure(CliFailure.USAGE, "--root " + root + " is not a directory");
        }
        if (reportEvery < 1) {
            throw new CliFailure(CliFailure.USAGE, "--report-every must be at least 1 second");
        }
        if (healthPort < -1 || healthPort > 65535) {
            throw new CliFailure(CliFailure.USAGE, "--health-port must be a port number");
        }
        if (peerPort < -1 || peerPort > 65535) {
            throw new CliFailure(CliFailure.USAGE, "--peer-port must be a port number");
        }
        if (peerPort >= 0 && (podIp == null || podIp.isBlank())) {
            throw new CliFailure(CliFailure.USAGE, "--peer-port needs the pod's address: --pod-ip or $POD_IP (the downward API's status.podIP)");
        }
        KubernetesClient client = kube.client();
        var configuration = kube.configuration(client);
        Clock clock = Clock.systemUTC();
        LocalNode local = new LocalNode(node, root, configuration.catalog(), configuration.vmPool(), QemuImg.onPath(), clock);
        NodeAgent agent = new NodeAgent(client, node, configuration.catalog(), configuration.vmPool(), () -> {
            local.prepare(); // only once the node holds pool data
            var copier = local.copier();
            return new NodeStorage(local.maker(), local.templates(), local.meter(), copier, copier::read, copier::receive);
        }, local.cleaner(), clock, Duration.ofSeconds(reportEvery));
        if (peerPort >= 0) {
            String host = podIp.contains(":") ? "[" + podIp + "]" : podIp; // an IPv6 pod address in a URL
            int bound = agent.servePeers("0.0.0.0", peerPort, port -> "http://" + host + ":" + port,
                    new dsp.kubernetes.agent.PodToken(dsp.kubernetes.agent.PodToken.PROJECTED));
            org.slf4j.LoggerFactory.getLogger(AgentCommand.class).info("node {}: moving volumes served to peers on port {}", node, bound);
        }
        HealthEndpoint health = healthPort < 0 ? null : new HealthEndpoint("0.0.0.0", healthPort, agent::isLive, agent::isReady);
        if (health != null) {
            org.slf4j.LoggerFactory.getLogger(AgentCommand.class).info("node {}: /healthz and /readyz on port {}", node, health.port());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (health != null) {
                health.close();
            }
            agent.close();
            client.close();
        }, "shutdown"));
        Daemon.serving();
        return 0;
    }
}
