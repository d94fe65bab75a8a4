package dsp.kubernetes.strict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The validation kube-apiserver applies to writes that the CRUD mock accepts blindly: Events
 * (pkg/apis/core/validation/events.go), immutable fields of PersistentVolumes, claims and
 * StorageClasses (ValidatePersistentVolumeUpdate, ValidatePersistentVolumeClaimUpdate,
 * ValidateStorageClassUpdate). Each check returns the causes of a 422, empty when valid.
 */
public final class Admission {

    /** Built-in resources with a status subresource: status written with the object is dropped, as for CRDs. */
    public static final Set<String> BUILT_IN_STATUS = Set.of("persistentvolumeclaims", "persistentvolumes", "nodes", "pods",
            "services", "namespaces", "deployments", "daemonsets", "statefulsets", "replicasets", "jobs", "cronjobs");

    /** One field error, as in a Status's details.causes. */
    public record Cause(String field, String message) {
    }

    private Admission() {
    }

    /**
     * An Event as the API server validates it, plus what {@code kubectl describe} needs to show it
     * (involvedObject kind and name, reason, message, a type of Normal or Warning, a source or a
     * reporting controller) — the last group is our house rule, stricter than the server, because
     * an Event without them is useless to an operator.
     *
     * @param namespace the Event's namespace (from the URL)
     * @param strictApi the request came through events.k8s.io/v1 (stricter rules apply)
     */
    public static List<Cause> validateEvent(JsonNode event, String namespace, boolean strictApi) {
        List<Cause> causes = new ArrayList<>();
        JsonNode involved = event.has("regarding") ? event.path("regarding") : event.path("involvedObject");
        String involvedNs = involved.path("namespace").asText("");
        boolean newStyle = !event.path("eventTime").asText("").isEmpty();
        if (!newStyle) {
            if (involvedNs.isEmpty()) {
                if (!namespace.isEmpty() && !namespace.equals("default")) {
                    causes.add(new Cause("involvedObject.namespace", "does not match event.namespace: an Event about a cluster-scoped object"
                            + " must be in namespace default, not " + namespace));
                }
            } else if (!namespace.equals(involvedNs)) {
                causes.add(new Cause("involvedObject.namespace", "does not match event.namespace (" + involvedNs + " vs " + namespace + ")"));
            }
        } else {
            if (involvedNs.isEmpty() && !namespace.equals("default") && !namespace.equals("kube-system")) {
                causes.add(new Cause("involvedObject.namespace", "does not match event.namespace: an Event about a cluster-scoped object"
                        + " must be in namespace default, not " + namespace));
            }
            if (event.path("reportingController").asText("").isEmpty()) {
                causes.add(new Cause("reportingController", "Required value"));
            }
            if (event.path("reportingInstance").asText("").isEmpty()) {
                causes.add(new Cause("reportingInstance", "Required value"));
            }
            if (event.path("action").asText("").isEmpty()) {
                causes.add(new Cause("action", "Required value"));
            }
            if (event.path("reason").asText("").length() > 128) {
                causes.add(new Cause("reason", "can have at most 128 characters"));
            }
            String note = event.has("note") ? event.path("note").asText("") : event.path("message").asText("");
            if (note.length() > 1024) {
                causes.add(new Cause("message", "can have at most 1024 characters"));
            }
        }
        if (strictApi) {
            if (!newStyle) {
                causes.add(new Cause("eventTime", "Required value"));
            }
            if (event.has("firstTimestamp") && !event.path("firstTimestamp").isNull()
                    || event.has("deprecatedFirstTimestamp") && !event.path("deprecatedFirstTimestamp").isNull()) {
                causes.add(new Cause("firstTimestamp", "needs to be unset"));
            }
        }
        // house rules: what makes an Event mean something to whoever reads it
        if (involved.path("kind").asText("").isEmpty() || involved.path("name").asText("").isEmpty()) {
            causes.add(new Cause("involvedObject", "kind and name are required"));
        }
        if (event.path("reason").asText("").isEmpty()) {
            causes.add(new Cause("reason", "Required value"));
        }
        String message = event.has("note") ? event.path("note").asText("") : event.path("message").asText("");
        if (message.isEmpty()) {
            causes.add(new Cause("message", "Required value"));
        }
        String type = event.path("type").asText("");
        if (!type.equals("Normal") && !type.equals("Warning")) {
            causes.add(new Cause("type", "has invalid value: '" + type + "' (Normal or Warning)"));
        }
        if (event.path("source").path("component").asText("").isEmpty() && event.path("reportingController").asText("").isEmpty()) {
            causes.add(new Cause("source", "source.component or reportingController is required"));
        }
        return causes;
    }

    /** Immutable fields of an update of the main resource (not a subresource). */
    public static List<Cause> validateUpdate(String apiGroup, String resource, JsonNode before, JsonNode after) {
        List<Cause> causes = new ArrayList<>();
        JsonNode oldSpec = before.path("spec");
        JsonNode newSpec = after.path("spec");
        switch (apiGroup + "/" + resource) {
            case "/persistentvolumes" -> {
                for (String source : VOLUME_SOURCES) {
                    if (!oldSpec.path(source).equals(newSpec.path(source))) {
                        causes.add(new Cause("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"));
                    }
                }
                immutable(causes, "spec.volumeMode", oldSpec.path("volumeMode"), newSpec.path("volumeMode"));
                if (!oldSpec.path("nodeAffinity").isMissingNode() && !oldSpec.path("nodeAffinity").isNull()) {
                    immutable(causes, "spec.nodeAffinity", oldSpec.path("nodeAffinity"), newSpec.path("nodeAffinity"));
                }
            }
            case "/persistentvolumeclaims" -> {
                ObjectNode oldClone = oldSpec.isObject() ? ((ObjectNode) oldSpec).deepCopy() : null;
                ObjectNode newClone = newSpec.isObject() ? ((ObjectNode) newSpec).deepCopy() : null;
                if (oldClone == null || newClone == null) {
                    break;
                }
                if (oldClone.path("volumeName").asText("").isEmpty()) {
                    copy(newClone, oldClone, "volumeName"); // the PV controller binds once
                }
                boolean bound = "Bound".equals(before.path("status").path("phase").asText(""));
                if (bound) {
                    ((ObjectNode) newClone.with("resources").with("requests")).set("storage", oldSpec.path("resources").path("requests").path("storage"));
                    if (newClone.path("resources").path("requests").path("storage").isMissingNode()) {
                        ((ObjectNode) newClone.with("resources").with("requests")).remove("storage");
                    }
                }
                copy(oldClone, newClone, "volumeAttributesClassName");
                if (!semanticallyEqual(oldClone, newClone)) {
                    causes.add(new Cause("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
                }
                Optional<BigDecimal> oldSize = bytes(oldSpec.path("resources").path("requests").path("storage"));
                Optional<BigDecimal> newSize = bytes(newSpec.path("resources").path("requests").path("storage"));
                if (oldSize.isPresent() && newSize.isPresent() && newSize.get().compareTo(oldSize.get()) < 0) {
                    causes.add(new Cause("spec.resources.requests.storage", "field can not be less than previous value"));
                }
                immutable(causes, "spec.volumeMode", oldSpec.path("volumeMode"), newSpec.path("volumeMode"));
            }
            case "storage.k8s.io/storageclasses" -> {
                for (String f : List.of("parameters", "provisioner", "reclaimPolicy", "volumeBindingMode")) {
                    if (!before.path(f).equals(after.path(f))) {
                        causes.add(new Cause(f, "updates to " + f + " are forbidden."));
                    }
                }
            }
            default -> {
            }
        }
        return causes;
    }

    private static final List<String> VOLUME_SOURCES = List.of("local", "hostPath", "csi", "nfs", "iscsi", "fc", "rbd", "cephfs", "flexVolume");

    private static void copy(ObjectNode from, ObjectNode to, String field) {
        if (from.has(field)) {
            to.set(field, from.get(field));
        } else {
            to.remove(field);
        }
    }

    private static void immutable(List<Cause> causes, String field, JsonNode before, JsonNode after) {
        if (!semanticallyEqual(before, after)) {
            causes.add(new Cause(field, "field is immutable"));
        }
    }

    /** Missing and null are the same value to the API server. */
    private static boolean semanticallyEqual(JsonNode a, JsonNode b) {
        boolean aEmpty = a == null || a.isMissingNode() || a.isNull();
        boolean bEmpty = b == null || b.isMissingNode() || b.isNull();
        if (aEmpty || bEmpty) {
            return aEmpty == bEmpty;
        }
        if (a.isObject() && b.isObject()) {
            Set<String> names = new java.util.HashSet<>();
            a.fieldNames().forEachRemaining(names::add);
            b.fieldNames().forEachRemaining(names::add);
            for (String n : names) {
                if (!semanticallyEqual(a.get(n), b.get(n))) {
                    return false;
                }
            }
            return true;
        }
        if (a.isTextual() && b.isTextual()) {
            Optional<BigDecimal> qa = bytes(a);
            Optional<BigDecimal> qb = bytes(b);
            if (qa.isPresent() && qb.isPresent()) {
                return qa.get().compareTo(qb.get()) == 0;
            }
        }
        return a.equals(b);
    }

    private static Optional<BigDecimal> bytes(JsonNode quantity) {
        if (quantity == null || !quantity.isTextual()) {
            return Optional.empty();
        }
        try {
            return Optional.of(io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(new io.fabric8.kubernetes.api.model.Quantity(quantity.asText())));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
