package dsp.kubernetes.adapter;

import dsp.core.port.Authorizer;
import dsp.core.port.Caller;
import dsp.kubernetes.Names;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributes;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributesBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authorization against the caller's own RBAC: a change through the API is allowed when the API
 * server says the caller could make the same change to the objects it stands for
 * (SubjectAccessReview): relabel a server = {@code patch nodes}; a VM = {@code poolvirtualmachines}
 * in its namespace; a volume = {@code poolvolumes}. Templates and cleanup runs have no object of
 * their own; they are the resources {@code templates} and {@code cleanups} of our API group, which
 * RBAC rules can name like any other. An API server that cannot be asked refuses (fail closed).
 */
public final class SubjectAccessReviewAuthorizer implements Authorizer {

    private static final Logger LOG = LoggerFactory.getLogger(SubjectAccessReviewAuthorizer.class);

    private final KubernetesClient client;

    public SubjectAccessReviewAuthorizer(KubernetesClient client) {
        this.client = client;
    }

    /** The RBAC attributes of a change. */
    static Optional<ResourceAttributes> attributes(Access access) {
        ResourceAttributesBuilder b = new ResourceAttributesBuilder();
        switch (access.resource()) {
            case "servers" -> b.withGroup("").withResource("nodes").withVerb(access.verb().equals("update") ? "patch" : access.verb());
            case "vms" -> b.withGroup(Names.GROUP).withResource("poolvirtualmachines").withVerb(access.verb());
            case "volumes" -> b.withGroup(Names.GROUP).withResource("poolvolumes").withVerb(access.verb());
            case "templates", "cleanups" -> b.withGroup(Names.GROUP).withResource(access.resource()).withVerb(access.verb());
            default -> {
                return Optional.empty();
            }
        }
        access.namespace().ifPresent(b::withNamespace);
        access.name().ifPresent(b::withName);
        return Optional.of(b.build());
    }

    @Override
    public Optional<String> refusal(Caller caller, Access access) {
        Optional<ResourceAttributes> attributes = attributes(access);
        if (attributes.isEmpty()) {
            return Optional.of("changes to " + access.resource() + " are not allowed to anyone");
        }
        ResourceAttributes a = attributes.get();
        String what = a.getVerb() + " " + a.getResource() + (a.getGroup().isEmpty() ? "" : "." + a.getGroup())
                + (a.getName() == null ? "" : " " + a.getName()) + (a.getNamespace() == null ? "" : " in namespace " + a.getNamespace());
        try {
            SubjectAccessReview review = client.authorization().v1().subjectAccessReview().create(new SubjectAccessReviewBuilder()
                    .withNewSpec().withUser(caller.name()).withGroups(new ArrayList<>(caller.groups())).withResourceAttributes(a).endSpec()
                    .build());
            if (review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed())) {
                return Optional.empty();
            }
            return Optional.of(caller.name() + " may not " + what + " (grant it with RBAC: a Role or ClusterRole and a binding)");
        } catch (KubernetesClientException e) {
            LOG.warn("SubjectAccessReview for {} to {} failed: {}", caller.name(), what, e.getMessage());
            return Optional.of("cannot check whether " + caller.name() + " may " + what + ": the Kubernetes API did not answer; try again");
        }
    }
}
