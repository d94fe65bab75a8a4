package dsp.kubernetes.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Records core/v1 Events on the objects they are about; every one is also logged with its object. */
public final class Events {

    private static final Logger LOG = LoggerFactory.getLogger(Events.class);
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final KubernetesClient client;
    private final String defaultNamespace;
    private final String component;
    private final Clock clock;

    public Events(KubernetesClient client, String defaultNamespace, String component, Clock clock) {
        this.client = client;
        this.defaultNamespace = defaultNamespace;
        this.component = component;
        this.clock = clock;
    }

    public void normal(HasMetadata about, String reason, String message) {
        record(about, "Normal", reason, message);
    }

    public void warning(HasMetadata about, String reason, String message) {
        record(about, "Warning", reason, message);
    }

    private void record(HasMetadata about, String type, String reason, String message) {
        String namespace = about.getMetadata().getNamespace() == null ? defaultNamespace : about.getMetadata().getNamespace();
        String name = about.getMetadata().getName();
        LOG.info("{} {}/{}: {} {}: {}", about.getKind(), namespace, name, type, reason, message);
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
            LOG.warn("cannot record event {} on {}/{}: {}", reason, namespace, name, e.getMessage());
        }
    }
}
