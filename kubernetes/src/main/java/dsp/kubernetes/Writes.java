package dsp.kubernetes;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The one write primitive (Strimzi's reconcile result): each write reads the object, applies a
 * change to a copy, writes only a real difference (retried on a conflict) and says what it did. A change is a function of the object as it is, so applying it
 * again to a newer version is right.
 */
public final class Writes {

    public enum Result { NOOP, CREATED, PATCHED, DELETED }

    private Writes() {
    }

    /** Changes the object; NOOP when the change changes nothing or the object is gone. */
    public static <T extends HasMetadata> Result edit(KubernetesClient client, Resource<T> resource, UnaryOperator<T> change) {
        return write(client, resource, change, false);
    }

    /**
     * Changes the object's status subresource (a replace of the status as read, so a write in between
     * is a conflict and the change is made again on the newer object); NOOP when the change changes
     * nothing or the object is gone.
     */
    public static <T extends HasMetadata> Result editStatus(KubernetesClient client, Resource<T> resource, UnaryOperator<T> change) {
        return write(client, resource, change, true);
    }

    /**
     * Creates the object from {@code fresh} (with the change applied) when it is absent, else changes it.
     * A create that loses a race with another writer (409) changes what that writer made.
     */
    public static <T extends HasMetadata> Result createOrEdit(KubernetesClient client, Resource<T> resource, T fresh, UnaryOperator<T> change) {
        if (resource.get() == null) {
            try {
                client.resource(change.apply(fresh)).create();
                return Result.CREATED;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
        return edit(client, resource, change);
    }

    /** Deletes the object; NOOP when it was already gone. */
    public static <T extends HasMetadata> Result delete(Resource<T> resource) {
        return resource.delete().isEmpty() ? Result.NOOP : Result.DELETED;
    }

    private static <T extends HasMetadata> Result write(KubernetesClient client, Resource<T> resource, UnaryOperator<T> change, boolean status) {
        try {
            return Conflicts.retry(() -> {
                T current = resource.get();
                if (current == null) {
                    return Result.NOOP;
                }
                KubernetesSerialization json = client.getKubernetesSerialization();
                T changed = change.apply(json.clone(current));
                if (json.convertValue(changed, Map.class).equals(json.convertValue(current, Map.class))) {
                    return Result.NOOP;
                }
                if (status) {
                    client.resource(changed).updateStatus(); // as read: a newer version is a 409, and the change is made again on it
                } else {
                    resource.edit(change); // a JSON patch of what the change changes, on the object as it is then
                }
                return Result.PATCHED;
            });
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return Result.NOOP; // deleted meanwhile: nothing left to change
            }
            throw e;
        }
    }

    /** Sets one key of a ConfigMap and adds annotations, creating the ConfigMap if needed; other keys are left alone. */
    public static Result configMapKey(KubernetesClient client, String namespace, String name, String key, String value,
                                      Map<String, String> annotations) {
        ConfigMap fresh = new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata().build();
        return createOrEdit(client, client.configMaps().inNamespace(namespace).withName(name), fresh, cm -> {
            if (cm.getData() != null && Objects.equals(cm.getData().get(key), value)) {
                return cm; // the figures are written; the annotations only say who wrote them
            }
            Map<String, String> data = cm.getData() == null ? new HashMap<>() : new HashMap<>(cm.getData());
            data.put(key, value);
            cm.setData(data);
            Map<String, String> ann = cm.getMetadata().getAnnotations() == null ? new HashMap<>() : new HashMap<>(cm.getMetadata().getAnnotations());
            ann.putAll(annotations);
            cm.getMetadata().setAnnotations(ann);
            return cm;
        });
    }
}
