package dsp.kubernetes.controller;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/** The one write primitive (Strimzi-style): it says what it did, and does nothing when nothing changed. */
public final class Writes {

    public enum Result { NOOP, CREATED, PATCHED, DELETED }

    private Writes() {
    }

    /** Sets one key of a ConfigMap, creating the ConfigMap if needed; other keys are left alone. */
    public static Result configMapKey(KubernetesClient client, String namespace, String name, String key, String value,
                                      Map<String, String> annotations) {
        ConfigMap current = client.configMaps().inNamespace(namespace).withName(name).get();
        if (current == null) {
            client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder()
                    .withNewMetadata().withName(name).withNamespace(namespace).withAnnotations(annotations).endMetadata()
                    .addToData(key, value).build()).create();
            return Result.CREATED;
        }
        if (current.getData() != null && Objects.equals(current.getData().get(key), value)) {
            return Result.NOOP;
        }
        dsp.kubernetes.Conflicts.retry(() -> client.configMaps().inNamespace(namespace).withName(name).edit(cm -> {
            Map<String, String> data = cm.getData() == null ? new HashMap<>() : new HashMap<>(cm.getData());
            data.put(key, value);
            cm.setData(data);
            Map<String, String> ann = cm.getMetadata().getAnnotations() == null ? new HashMap<>() : new HashMap<>(cm.getMetadata().getAnnotations());
            ann.putAll(annotations);
            cm.getMetadata().setAnnotations(ann);
            return cm;
        }));
        return Result.PATCHED;
    }
}
