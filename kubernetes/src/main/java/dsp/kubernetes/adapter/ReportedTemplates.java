package dsp.kubernetes.adapter;

import dsp.core.DomainException;
import dsp.core.model.VolumeFormat;
import dsp.core.port.TemplateLibrary;
import dsp.core.vm.Template;
import dsp.core.vm.TemplateSource;
import dsp.kubernetes.crd.NodeDiskReport;
import dsp.kubernetes.crd.PoolTemplate;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.Set;
import java.util.function.Supplier;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Templates in Kubernetes mode: image files under {@code /vm-storage-pool/templates} on the
 * vm-pool nodes, as their agents report them; imported by URL through a {@link PoolTemplate} that
 * every vm node's agent fetches.
 */
public final class ReportedTemplates implements TemplateLibrary {

    private final NodeReportedMeter reports;
    private final KubernetesClient client;
    private final Supplier<Set<String>> vmNodes;
    private final Clock clock;

    /** @param vmNodes the nodes now in the vm pool: an import is ready when each of them holds the template */
    public ReportedTemplates(NodeReportedMeter reports, KubernetesClient client, Supplier<Set<String>> vmNodes, Clock clock) {
        this.reports = reports;
        this.client = client;
        this.vmNodes = vmNodes;
        this.clock = clock;
    }

    /** Records a PoolTemplate; every vm node's agent fetches its own copy and reports it in the template's status. */
    @Override
    public UrlImport importFromUrl(String name, TemplateSource source) {
        PoolTemplate t = new PoolTemplate();
        t.setMetadata(new ObjectMetaBuilder().withName(name).build());
        PoolTemplate.Spec spec = new PoolTemplate.Spec();
        spec.url = source.url();
        spec.sha256 = source.sha256();
        spec.createdAt = clock.instant().toString();
        t.setSpec(spec);
        try {
            return view(client.resources(PoolTemplate.class).resource(t).create());
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                throw DomainException.conflict("template '" + name + "' already exists");
            }
            throw DomainException.storageFailed("cannot record template " + name + ": " + e.getMessage());
        }
    }

    @Override
    public List<UrlImport> imports() {
        try {
            return client.resources(PoolTemplate.class).list().getItems().stream().map(this::view)
                    .sorted(java.util.Comparator.comparing(UrlImport::name)).toList();
        } catch (KubernetesClientException e) {
            throw DomainException.storageFailed("cannot list template imports: " + e.getMessage());
        }
    }

    /**
     * Per vm node: Ready, Downloading, Failed: why, or Pending while its agent has not started. A node
     * is Ready only once its disk report (what placement reads) lists the template too, so a ready
     * import always means a VM can be made from it; until then it is Publishing.
     */
    private UrlImport view(PoolTemplate t) {
        Map<String, PoolTemplate.NodeState> states = t.getStatus() == null || t.getStatus().nodes == null ? Map.of() : t.getStatus().nodes;
        Set<String> holding = serversWith(t.getMetadata().getName()).orElse(Set.of());
        Map<String, String> servers = new TreeMap<>();
        for (String node : vmNodes.get()) {
            PoolTemplate.NodeState s = states.get(node);
            String phase = s == null || s.phase == null ? "Pending"
                    : "Ready".equals(s.phase) && !holding.contains(node) ? "Publishing" : s.phase;
            servers.put(node, s == null || s.message == null || s.message.isEmpty() ? phase : phase + ": " + s.message);
        }
        boolean ready = !servers.isEmpty() && servers.values().stream().allMatch("Ready"::equals);
        return new UrlImport(t.getMetadata().getName(), t.getSpec() == null ? null : t.getSpec().url,
                t.getSpec() == null ? null : t.getSpec().sha256, ready, servers);
    }

    @Override
    public List<Template> listTemplates() {
        Map<String, Template> byName = new TreeMap<>();
        for (NodeDiskReport r : reports.reports()) {
            if (r.templates() == null) {
                continue;
            }
            for (NodeDiskReport.TemplateInfo t : r.templates()) {
                try {
                    byName.putIfAbsent(t.name(), new Template(t.name(), VolumeFormat.parse(t.format()), t.virtualBytes(), t.fileBytes()));
                } catch (DomainException malformed) {
                    // a report from an older agent: skip it
                }
            }
        }
        return List.copyOf(byName.values());
    }

    @Override
    public Optional<Template> findTemplate(String name) {
        return listTemplates().stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** Only nodes whose agent reports the template can hold disks made from it. */
    @Override
    public Optional<java.util.Set<String>> serversWith(String name) {
        return Optional.of(reports.reportsByNode().entrySet().stream()
                .filter(e -> e.getValue().templates() != null && e.getValue().templates().stream().anyMatch(t -> t.name().equals(name)))
                .map(Map.Entry::getKey).collect(java.util.stream.Collectors.toSet()));
    }

    @Override
    public Template importTemplate(String name, String sourceFile) {
        throw DomainException.invalid("in Kubernetes mode import templates by URL: {\"name\": \"" + name
                + "\", \"url\": \"https://...\", \"sha256\": \"...\"}; every vm node's agent fetches its copy");
    }

    @Override
    public Optimized optimizeTemplate(String name) {
        throw DomainException.invalid("in Kubernetes mode optimize templates on the nodes, as the guide shows: "
                + "kubectl exec -n dynamic-storage-pools daemonset/vm-pool-storage-manager -- qemu-img convert -O qcow2 -c ...");
    }

    @Override
    public void deleteTemplate(String name) {
        throw DomainException.conflict("in Kubernetes mode remove /vm-storage-pool/templates/" + name + ".* from the nodes");
    }
}
