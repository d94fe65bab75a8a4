package dsp.kubernetes.controller;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records core/v1 Events on the objects they are about; every one is also logged with its object.
 * An Event lives in its object's namespace; one about a cluster-scoped object (a Node, a
 * StoragePool, a PersistentVolume, a PoolVolume) lives in {@code default}, the only namespace
 * the API server accepts it in, and where {@code kubectl describe} looks for it.
 */
public final class Events {

    private static final Logger LOG = LoggerFactory.getLogger(Events.class);
    private static final AtomicLong SEQUENCE = new AtomicLong();
    /** Where the API server requires Events about cluster-scoped objects to be. */
    public static final String CLUSTER_SCOPED_NAMESPACE = "default";

    private final KubernetesClient client;
    private final String component;
    private final Clock clock;

    public Events(KubernetesClient client, String component, Clock clock) {
        this.client = client;
        this.component = component;
        this.clock = clock;
    }

    public void normal(HasMetadata about, String reason, String message) {
        record(about, "Normal", reason, message);
    }

    public void warning(HasMetadata about, String reason, String message) {
        record(about, "Warning", reason, message);
    }

    /** The namespace an Event about this object must live in. */
    static String namespaceFor(HasMetadata about) {
        String ns = about.getMetadata().getNamespace();
        return ns == null || ns.isEmpty() ? CLUSTER_SCOPED_NAMESPACE : ns;
    }

    private void record(HasMetadata about, String type, String reason, String message) {
        String namespace = namespaceFor(about);
        String name = about.getMetadata().getName();
        LOG.info("{} {}: {} {}: {}", about.getKind(), about.getMetadata().getNamespace() == null ? name
                : about.getMetadata().getNamespace() + "/" + name, type, reason, message);
        String now = clock.instant().toString();
        try {
            client.v1().events().inNamespace(namespace).resource(new EventBuilder()
                    .withNewMetadata().withName(name + "." + Long.toHexString(clock.millis()) + Long.toHexString(SEQUENCE.incrementAndGet()))
                    .withNamespace(namespace).endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder().withKind(about.getKind()).withApiVersion(about.getApiVersion())
                            .withName(name).withNamespace(about.getMetadata().getNamespace())
                            .withUid(about.getMetadata().getUid()).build())
                    .withType(type).withReason(reason).withMessage(message)
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                    .withNewSource().withComponent(component).endSource()
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.warn("cannot record event {} on {} {}: {}", reason, about.getKind(), name, e.getMessage());
        }
    }
}
