package dsp.kubernetes;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatusBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What kube-controller-manager's PV controller does and the mock does not: bind a claim to the
 * PV whose claimRef names it, and mark a PV Released when its claim is gone.
 */
final class FakePvController implements AutoCloseable {

    private final KubernetesClient client;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();

    FakePvController(KubernetesClient client) {
        this.client = client;
        loop.scheduleWithFixedDelay(this::pass, 0, 50, TimeUnit.MILLISECONDS);
    }

    private void pass() {
        try {
            for (PersistentVolume pv : client.persistentVolumes().list().getItems()) {
                var ref = pv.getSpec().getClaimRef();
                if (ref == null) {
                    continue;
                }
                PersistentVolumeClaim claim = client.persistentVolumeClaims().inNamespace(ref.getNamespace()).withName(ref.getName()).get();
                String phase = pv.getStatus() == null ? null : pv.getStatus().getPhase();
                if (claim != null && claim.getMetadata().getUid().equals(ref.getUid())) {
                    if (!"Bound".equals(phase)) {
                        client.persistentVolumeClaims().inNamespace(ref.getNamespace()).withName(ref.getName()).edit(c -> {
                            c.getSpec().setVolumeName(pv.getMetadata().getName());
                            c.setStatus(new PersistentVolumeClaimStatusBuilder().withPhase("Bound").build());
                            return c;
                        });
                        setPhase(pv, "Bound");
                    }
                } else if ("Bound".equals(phase)) {
                    setPhase(pv, "Released");
                }
            }
        } catch (KubernetesClientException | NullPointerException e) {
            // the next pass sees a consistent picture
        }
    }

    private void setPhase(PersistentVolume pv, String phase) {
        client.persistentVolumes().withName(pv.getMetadata().getName()).edit(p -> {
            p.setStatus(new PersistentVolumeStatusBuilder().withPhase(phase).build());
            return p;
        });
    }

    @Override
    public void close() {
        loop.shutdownNow();
    }
}
