package dsp.cli;

import dsp.cli.client.CliFailure;
import dsp.config.PoolConfig;
import dsp.kubernetes.Names;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How the Kubernetes daemons find the cluster and their configuration. */
public final class KubeOptions {

    @Option(names = "--kubeconfig", description = "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")
    Path kubeconfig;

    @Option(names = "--namespace", defaultValue = Names.NAMESPACE, description = "namespace of the ConfigMap, Leases and Events (default: ${DEFAULT-VALUE})")
    String namespace;

    @Option(names = "--config", description = "pool configuration YAML (default: key pools.yaml of ConfigMap dynamic-storage-config, else the guide's pools)")
    Path config;

    KubernetesClient client() {
        return client(kubeconfig);
    }

    /** A client for this kubeconfig file, or the usual places ($KUBECONFIG, ~/.kube/config, in-cluster) when null. */
    static KubernetesClient client(Path kubeconfig) {
        if (kubeconfig == null) {
            return new KubernetesClientBuilder().build();
        }
        try {
            String text = Files.readString(kubeconfig);
            return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(null, text, kubeconfig.toAbsolutePath().toString())).build();
        } catch (IOException e) {
            throw new CliFailure(CliFailure.USAGE, "cannot read --kubeconfig " + kubeconfig + ": " + e.getMessage());
        } catch (KubernetesClientException | IllegalArgumentException e) {
            throw new CliFailure(CliFailure.USAGE, "--kubeconfig " + kubeconfig + " is not a usable kubeconfig: " + e.getMessage());
        }
    }

    PoolConfig.Configuration configuration(KubernetesClient client) {
        if (config != null) {
            return PoolConfig.load(config);
        }
        try {
            ConfigMap cm = client.configMaps().inNamespace(namespace).withName(Names.CONFIG_MAP).get();
            if (cm != null && cm.getData() != null && cm.getData().get(Names.CONFIG_KEY) != null) {
                return PoolConfig.parseAll(cm.getData().get(Names.CONFIG_KEY));
            }
            return PoolConfig.Configuration.guideDefaults();
        } catch (KubernetesClientException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "cannot reach the Kubernetes API at " + client.getMasterUrl() + ": " + e.getMessage());
        }
    }

    static String identity() {
        String pod = System.getenv("POD_NAME");
        if (pod != null && !pod.isBlank()) {
            return pod;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName() + "-" + ProcessHandle.current().pid();
        } catch (IOException e) {
            return "poolctl-" + ProcessHandle.current().pid();
        }
    }
}
