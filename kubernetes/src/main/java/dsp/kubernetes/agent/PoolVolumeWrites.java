package dsp.kubernetes.agent;

import dsp.kubernetes.Names;
import dsp.kubernetes.Writes;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;

/** What the agent writes on a PoolVolume: its status (only the agent writes it) and, once the data is gone, the finalizer's release. */
final class PoolVolumeWrites {

    private final KubernetesClient client;

    PoolVolumeWrites(KubernetesClient client) {
        this.client = client;
    }

    /** One PATCH of the status subresource from a minimal object (no read first, no lock needed: only this agent writes it). */
    void status(String name, PoolVolume.Status status) {
        PoolVolume patch = new PoolVolume();
        patch.setMetadata(new ObjectMetaBuilder().withName(name).build());
        if (status.message == null) {
            status.message = "";
        }
        patch.setStatus(status);
        try {
            client.resources(PoolVolume.class).resource(patch).patchStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    static PoolVolume.Status status(String phase, String path, String message, Long measured, Long presented) {
        PoolVolume.Status s = new PoolVolume.Status();
        s.phase = phase;
        s.path = path;
        s.message = message;
        s.measuredBytes = measured;
        s.presentedBytes = presented;
        return s;
    }

    /** The data is gone: let the API server finish deleting the object. */
    void releaseFinalizer(String name) {
        Writes.edit(client, client.resources(PoolVolume.class).withName(name), v -> {
            List<String> f = new ArrayList<>(v.getMetadata().getFinalizers());
            f.remove(Names.DATA_FINALIZER);
            v.getMetadata().setFinalizers(f);
            return v;
        });
    }
}
