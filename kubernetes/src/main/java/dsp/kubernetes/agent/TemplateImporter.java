package dsp.kubernetes.agent;

import dsp.core.DomainException;
import dsp.core.port.TemplateLibrary;
import dsp.core.vm.Template;
import dsp.core.vm.TemplateSource;
import dsp.kubernetes.crd.PoolTemplate;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This vm-pool node's copy of each {@link PoolTemplate}: fetched by URL into the node's template
 * library (resumable, checksum verified, size bounded, the local import's image rules, converted to
 * qcow2), and reported under {@code status.nodes.<node>}: Downloading, Ready or Failed. A refused
 * image (wrong checksum, too big, not self-contained) is Failed once, not retried; a failed transfer
 * stays Downloading and is retried with backoff, resuming where it stopped.
 */
final class TemplateImporter {

    private static final Logger LOG = LoggerFactory.getLogger(TemplateImporter.class);

    private final KubernetesClient client;
    private final String node;
    private final Supplier<TemplateLibrary> library;
    private final Runnable publishTemplates;
    private final Clock clock;

    /**
     * @param publishTemplates writes the node's template list where placement reads it (the disk
     *                         report); run before a template is reported Ready, so "ready" means a VM
     *                         can be placed here from it
     */
    TemplateImporter(KubernetesClient client, String node, Supplier<TemplateLibrary> library, Runnable publishTemplates,
                     Clock clock) {
        this.client = client;
        this.node = node;
        this.library = library;
        this.publishTemplates = publishTemplates;
        this.clock = clock;
    }

    /** Makes this node hold the template (the caller checked that the node is in the vm pool). */
    void reconcile(PoolTemplate t) {
        if (t == null || t.getSpec() == null || t.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        String name = t.getMetadata().getName();
        TemplateLibrary templates = library.get();
        Optional<Template> present = templates.findTemplate(name);
        if (present.isPresent()) {
            publishTemplates.run();
            report(t, "Ready", present.get().fileBytes(), "");
            return;
        }
        TemplateSource source;
        try {
            source = TemplateSource.parse(t.getSpec().url, t.getSpec().sha256);
        } catch (DomainException e) {
            report(t, "Failed", null, e.getMessage());
            return;
        }
        report(t, "Downloading", null, "");
        try {
            templates.importFromUrl(name, source);
        } catch (DomainException e) {
            if (e.code() == DomainException.Code.INVALID) {
                LOG.warn("template {} refused on node {}: {}", name, node, e.getMessage());
                report(t, "Failed", null, e.getMessage());
                return;
            }
            if (e.code() != DomainException.Code.CONFLICT) { // CONFLICT: another import made it meanwhile
                report(t, "Downloading", null, e.getMessage());
                throw e; // retried with backoff; the next attempt resumes the transfer
            }
        }
        long bytes = templates.findTemplate(name).map(Template::fileBytes).orElse(0L);
        LOG.info("template {} ready on node {} ({} bytes)", name, node, bytes);
        publishTemplates.run();
        report(t, "Ready", bytes, "");
    }

    /** A merge patch of this node's key only; nothing is written when it already says so. */
    private void report(PoolTemplate t, String phase, Long bytes, String message) {
        PoolTemplate.NodeState before = t.getStatus() == null || t.getStatus().nodes == null ? null : t.getStatus().nodes.get(node);
        if (before != null && phase.equals(before.phase) && java.util.Objects.equals(bytes, before.bytes)
                && message.equals(before.message == null ? "" : before.message)) {
            return;
        }
        PoolTemplate patch = new PoolTemplate();
        patch.setMetadata(new ObjectMetaBuilder().withName(t.getMetadata().getName()).build());
        PoolTemplate.Status status = new PoolTemplate.Status();
        status.nodes = Map.of(node, new PoolTemplate.NodeState(phase, bytes, message, clock.instant().toString()));
        patch.setStatus(status);
        try {
            client.resources(PoolTemplate.class).resource(patch).patchStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }
}
