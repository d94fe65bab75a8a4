package dsp.kubernetes.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.port.Authorizer.Access;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributes;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributesBuilder;
import org.junit.jupiter.api.Test;

/**
 * The RBAC question asked for each change through the API: the same verb, API group, resource,
 * namespace and name RBAC checks when the caller makes that change to the Kubernetes objects
 * themselves (kubectl label node = patch nodes; a VM = poolvirtualmachines in its namespace).
 */
class SubjectAccessReviewAttributesTest {

    private static ResourceAttributes rbac(String verb, String group, String resource, String namespace, String name) {
        return new ResourceAttributesBuilder().withVerb(verb).withGroup(group).withResource(resource).withNamespace(namespace).withName(name).build();
    }

    @Test
    void eachChangeIsAskedAsTheRbacRequestItStandsFor() {
        assertThat(SubjectAccessReviewAuthorizer.attributes(Access.of("update", "servers").named("k8s-1")))
                .contains(rbac("patch", "", "nodes", null, "k8s-1"));
        assertThat(SubjectAccessReviewAuthorizer.attributes(Access.of("create", "vms").in("team-a").named("web")))
                .contains(rbac("create", "dynamicpools.io", "poolvirtualmachines", "team-a", "web"));
        assertThat(SubjectAccessReviewAuthorizer.attributes(Access.of("delete", "vms").in("team-a").named("web")))
                .contains(rbac("delete", "dynamicpools.io", "poolvirtualmachines", "team-a", "web"));
        assertThat(SubjectAccessReviewAuthorizer.attributes(Access.of("delete", "volumes").named("pvc-1")))
                .contains(rbac("delete", "dynamicpools.io", "poolvolumes", null, "pvc-1"));
        assertThat(SubjectAccessReviewAuthorizer.attributes(Access.of("create", "cleanups")))
                .contains(rbac("create", "dynamicpools.io", "cleanups", null, null));
        assertThat(SubjectAccessReviewAuthorizer.attributes(Access.of("update", "templates").named("ubuntu22")))
                .contains(rbac("update", "dynamicpools.io", "templates", null, "ubuntu22"));
        assertThat(SubjectAccessReviewAuthorizer.attributes(Access.of("create", "backups"))).as("unknown: nobody may").isEmpty();
    }
}
