package dsp.kubernetes.adapter;

import dsp.core.DomainException;
import dsp.core.model.VolumeFormat;
import dsp.core.port.TemplateLibrary;
import dsp.core.vm.Template;
import dsp.kubernetes.crd.NodeDiskReport;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Templates in Kubernetes mode: image files under {@code /vm-storage-pool/templates} on the
 * vm-pool nodes, as their agents report them.
 */
public final class ReportedTemplates implements TemplateLibrary {

    private final NodeReportedMeter reports;

    public ReportedTemplates(NodeReportedMeter reports) {
        this.reports = reports;
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
        throw DomainException.invalid("in Kubernetes mode templates are image files under /vm-storage-pool/templates on each "
                + "vm-pool node (the agents report them); copy " + name + ".qcow2 there");
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
