package dsp.kubernetes;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
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
        return write(client, resource, change, false, false, written -> { });
    }

    /** Changes the object, which must be there: one that is gone is a 404 ({@link KubernetesClientException}), not a NOOP. */
    public static <T extends HasMetadata> Result editExisting(KubernetesClient client, Resource<T> resource, UnaryOperator<T> change) {
        return editExisting(client, resource, change, written -> { });
    }

    /**
     * As {@link #editExisting(KubernetesClient, Resource, UnaryOperator)}, and hands {@code after} the object as it
     * stands after the write (as the API server answered the patch, or as read when nothing was written): for a
     * cache that must see its own writes.
     */
    public static <T extends HasMetadata> Result editExisting(KubernetesClient client, Resource<T> resource, UnaryOperator<T> change,
                                                              Consumer<? super T> after) {
        return write(client, resource, change, false, true, after);
    }

    /**
     * Changes the object's status subresource (a replace of the status as read, so a write in between
     * is a conflict and the change is made again on the newer object); NOOP when the change changes
     * nothing or the object is gone.
     */
    public static <T extends HasMetadata> Result editStatus(KubernetesClient client, Resource<T> resource, UnaryOperator<T> change) {
        return write(client, resource, change, true, false, written -> { });
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

    private static <T extends HasMetadata> Result write(KubernetesClient client, Resource<T> resource, UnaryOperator<T> change,
                                                        boolean status, boolean mustExist, Consumer<? super T> after) {
        try {
            return Conflicts.retry(() -> {
                T current = resource.get();
                if (current == null) {
                    if (mustExist) {
                        throw new KubernetesClientException(new StatusBuilder().withCode(404).withReason("NotFound")
                                .withMessage("not found: there is nothing to change").build());
                    }
                    return Result.NOOP;
                }
                KubernetesSerialization json = client.getKubernetesSerialization();
                T changed = change.apply(json.clone(current));
                if (json.convertValue(changed, Map.class).equals(json.convertValue(current, Map.class))) {
                    after.accept(current);
                    return Result.NOOP;
                }
                if (status) {
                    after.accept(client.resource(changed).updateStatus()); // as read: a newer version is a 409, and the change is made again on it
                } else {
                    after.accept(resource.edit(change)); // a JSON patch of what the change changes, on the object as it is then
                }
                return Result.PATCHED;
            });
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404 && !mustExist) {
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
