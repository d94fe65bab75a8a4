package dsp.kubernetes;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatus;
import io.fabric8.kubernetes.api.model.PersistentVolumeStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What kube-controller-manager's PV controller (and the storage-object-in-use protection) does
 * and the mock does not, written the way they write it:
 * <ul>
 * <li>a PV gets the {@code kubernetes.io/pv-protection} finalizer, removed only once it is
 * deleted and no longer Bound (so a Bound PV deleted by hand stays until its claim lets go);</li>
 * <li>a claim is bound to the PV whose claimRef names it (uid included): the claim's
 * {@code spec.volumeName} and bind annotation, then both statuses through the status
 * subresource (claim: Bound, capacity and access modes of the PV);</li>
 * <li>a Bound PV whose claim is gone (or is another claim of that name) becomes Released.</li>
 * </ul>
 */
public final class FakePvController implements AutoCloseable {

    static final String PV_PROTECTION = "kubernetes.io/pv-protection";
    private static final String BIND_COMPLETED = "pv.kubernetes.io/bind-completed";

    private final KubernetesClient client;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fake-pv-controller");
        t.setDaemon(true);
        return t;
    });

    public FakePvController(KubernetesClient client) {
        this.client = client;
        loop.scheduleWithFixedDelay(this::pass, 0, 100, TimeUnit.MILLISECONDS);
    }

    private void pass() {
        for (PersistentVolume pv : client.persistentVolumes().list().getItems()) {
            try {
                sync(pv);
            } catch (KubernetesClientException e) {
                // someone wrote in between (409) or it is gone: the next pass sees a consistent picture
            }
        }
    }

    private void sync(PersistentVolume pv) {
        String name = pv.getMetadata().getName();
        List<String> finalizers = pv.getMetadata().getFinalizers() == null ? List.of() : pv.getMetadata().getFinalizers();
        String phase = pv.getStatus() == null ? null : pv.getStatus().getPhase();
        if (pv.getMetadata().getDeletionTimestamp() == null && !finalizers.contains(PV_PROTECTION)) {
            client.persistentVolumes().withName(name).edit(p -> {
                List<String> f = p.getMetadata().getFinalizers() == null ? new ArrayList<>() : new ArrayList<>(p.getMetadata().getFinalizers());
                f.add(PV_PROTECTION);
                p.getMetadata().setFinalizers(f);
                return p;
            });
            return;
        }
        var ref = pv.getSpec().getClaimRef();
        PersistentVolumeClaim claim = ref == null ? null : client.persistentVolumeClaims().inNamespace(ref.getNamespace()).withName(ref.getName()).get();
        boolean claimHere = claim != null && claim.getMetadata().getUid().equals(ref.getUid());
        if (ref == null) {
            if (phase == null) {
                setPhase(name, "Available");
            }
        } else if (claimHere) {
            if (claim.getSpec().getVolumeName() == null || claim.getSpec().getVolumeName().isEmpty()) {
                client.persistentVolumeClaims().inNamespace(ref.getNamespace()).withName(ref.getName()).edit(c -> {
                    c.getSpec().setVolumeName(name);
                    Map<String, String> ann = c.getMetadata().getAnnotations() == null ? new HashMap<>() : new HashMap<>(c.getMetadata().getAnnotations());
                    ann.put(BIND_COMPLETED, "yes");
                    c.getMetadata().setAnnotations(ann);
                    return c;
                });
            }
            if (!"Bound".equals(phase)) {
                setPhase(name, "Bound");
            }
            if (claim.getStatus() == null || !"Bound".equals(claim.getStatus().getPhase())) {
                client.persistentVolumeClaims().inNamespace(ref.getNamespace()).withName(ref.getName()).editStatus(c -> {
                    PersistentVolumeClaimStatus st = c.getStatus() == null ? new PersistentVolumeClaimStatus() : c.getStatus();
                    st.setPhase("Bound");
                    st.setAccessModes(pv.getSpec().getAccessModes());
                    st.setCapacity(new HashMap<>(pv.getSpec().getCapacity()));
                    c.setStatus(st);
                    return c;
                });
            }
        } else if ("Bound".equals(phase)) {
            setPhase(name, "Released");
            phase = "Released";
        }
        // the protection controller lets a deleted PV go once nothing is bound to it
        if (pv.getMetadata().getDeletionTimestamp() != null && !"Bound".equals(phase) && finalizers.contains(PV_PROTECTION)) {
            client.persistentVolumes().withName(name).edit(p -> {
                List<String> f = new ArrayList<>(p.getMetadata().getFinalizers());
                f.remove(PV_PROTECTION);
                p.getMetadata().setFinalizers(f);
                return p;
            });
        }
    }

    private void setPhase(String pv, String phase) {
        client.persistentVolumes().withName(pv).editStatus(p -> {
            PersistentVolumeStatus st = p.getStatus() == null ? new PersistentVolumeStatus() : p.getStatus();
            st.setPhase(phase);
            p.setStatus(st);
            return p;
        });
    }

    @Override
    public void close() {
        loop.shutdownNow();
    }
}
