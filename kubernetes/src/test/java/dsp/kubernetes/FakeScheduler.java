package dsp.kubernetes;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import io.fabric8.kubernetes.api.model.storage.CSIStorageCapacity;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What kube-scheduler does for pods that each use one unbound WaitForFirstConsumer claim, and
 * nothing else: one scheduling loop filters the nodes with {@link VolumeBindingFilter} over its
 * informer caches (so it sees published capacity as late as the real one does), picks one of the
 * feasible nodes at random (the default scoring does not look at storage) and writes
 * {@code volume.kubernetes.io/selected-node} on the claim. When the provisioner removes that
 * annotation again, the claim was rescheduled: it is counted and scheduled again. A claim with no
 * feasible node waits and is tried again, as an unschedulable pod is.
 */
final class FakeScheduler implements AutoCloseable {

    private final KubernetesClient client;
    private final SharedIndexInformer<Node> nodes;
    private final SharedIndexInformer<PersistentVolumeClaim> claims;
    private final List<SharedIndexInformer<?>> informers;
    private final VolumeBindingFilter filter;
    private final BlockingQueue<String> pending = new LinkedBlockingQueue<>();
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor();
    private final Random random;
    private final Thread loop;
    final AtomicInteger selections = new AtomicInteger();
    final AtomicInteger reschedules = new AtomicInteger();
    final AtomicInteger unschedulable = new AtomicInteger();

    FakeScheduler(KubernetesClient client, String namespace, long seed) {
        this.client = client;
        this.random = new Random(seed);
        this.nodes = client.nodes().inform();
        SharedIndexInformer<StorageClass> classes = client.storage().v1().storageClasses().inform();
        SharedIndexInformer<CSIDriver> drivers = client.storage().v1().csiDrivers().inform();
        SharedIndexInformer<CSIStorageCapacity> capacities = client.storage().v1().csiStorageCapacities().inAnyNamespace().inform();
        this.filter = VolumeBindingFilter.listing(classes, drivers, capacities);
        this.claims = client.persistentVolumeClaims().inNamespace(namespace).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(PersistentVolumeClaim c) {
                if (selectedNode(c) == null) {
                    pending.add(key(c));
                }
            }

            @Override
            public void onUpdate(PersistentVolumeClaim before, PersistentVolumeClaim after) {
                if (selectedNode(before) != null && selectedNode(after) == null) {
                    reschedules.incrementAndGet();
                    pending.add(key(after));
                }
            }

            @Override
            public void onDelete(PersistentVolumeClaim c, boolean unknown) {
            }
        });
        this.informers = List.of(nodes, classes, drivers, capacities, claims);
        this.loop = new Thread(this::run, "fake-kube-scheduler");
        loop.setDaemon(true);
        loop.start();
    }

    private void run() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                schedule(pending.take());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void schedule(String key) {
        PersistentVolumeClaim claim = claims.getStore().getByKey(key);
        if (claim == null || selectedNode(claim) != null) {
            return;
        }
        List<String> feasible = filter.feasible(claim, nodes.getStore().list());
        if (feasible.isEmpty()) {
            unschedulable.incrementAndGet();
            retries.schedule(() -> pending.add(key), 100, TimeUnit.MILLISECONDS);
            return;
        }
        String node = feasible.get(random.nextInt(feasible.size()));
        try {
            client.persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace()).withName(claim.getMetadata().getName())
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\"" + Names.SELECTED_NODE_ANN + "\":\"" + node + "\"}}}");
            selections.incrementAndGet();
        } catch (KubernetesClientException e) {
            retries.schedule(() -> pending.add(key), 100, TimeUnit.MILLISECONDS);
        }
    }

    private static String selectedNode(PersistentVolumeClaim c) {
        Map<String, String> ann = c.getMetadata().getAnnotations();
        return ann == null ? null : ann.get(Names.SELECTED_NODE_ANN);
    }

    private static String key(PersistentVolumeClaim c) {
        return c.getMetadata().getNamespace() + "/" + c.getMetadata().getName();
    }

    @Override
    public void close() {
        loop.interrupt();
        retries.shutdownNow();
        informers.forEach(SharedIndexInformer::close);
    }
}
