package dsp.kubernetes.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.PoolCatalog;
import dsp.core.model.VolumeFormat;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import dsp.core.vm.Template;
import dsp.kubernetes.Names;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.work.WorkQueue;
import dsp.kubernetes.crd.NodeDiskReport;
import dsp.kubernetes.crd.PoolVolume;
import dsp.node.FileTemplateLibrary;
import dsp.node.LocalVolumeMaker;
import dsp.node.QemuImg;
import dsp.node.ServerRoots;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent (DaemonSets {@code vm-pool-storage-manager} and {@code k8s-pool-storage-manager}):
 * on its own node only, it makes each PoolVolume real with the node storage engine, grows and
 * deletes it, reports phase and measured bytes, and reports the node's disk on the Node. No
 * helper pods. Pools live at {@code <root>/k8s-storage-pool} and {@code <root>/vm-storage-pool}.
 */
public final class NodeAgent implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesClient client;
    private final String node;
    private final PoolCatalog catalog;
    private final Clock clock;
    private final LocalVolumeMaker maker;
    private final FileTemplateLibrary templates;
    private final ServerRoots roots;
    private final dsp.node.PoolCleaner cleaner;
    private final SharedIndexInformer<PoolVolume> informer;
    private final WorkQueue queue;
    private final ScheduledExecutorService reporter;

    public NodeAgent(KubernetesClient client, String node, Path root, PoolCatalog catalog, String vmPool, QemuImg qemu,
                     Clock clock, Duration reportEvery) {
        this.client = client;
        this.node = dsp.core.model.Names.require("node", node);
        this.catalog = catalog;
        this.clock = clock;
        this.roots = ServerRoots.singleNode(root);
        roots.prepare(node, catalog.pools());
        this.templates = new FileTemplateLibrary(roots.poolRoot(node, catalog.require(vmPool)).resolve(LocalVolumeMaker.TEMPLATES), qemu, roots, catalog,
                Optional.empty());
        this.maker = new LocalVolumeMaker(roots, catalog, templates, qemu);
        this.cleaner = new dsp.node.PoolCleaner(roots, catalog, clock);
        int swept = maker.sweepTemporaries();
        if (swept > 0) {
            LOG.info("node {}: removed {} half-made item(s) left by an earlier run", node, swept);
        }
        this.queue = new WorkQueue("agent-" + node, 2, this::reconcile);
        this.informer = client.resources(PoolVolume.class).withLabel(Names.NODE_LABEL, node).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(PoolVolume v) {
                queue.add(v.getMetadata().getName());
            }

            @Override
            public void onUpdate(PoolVolume old, PoolVolume v) {
                queue.add(v.getMetadata().getName());
            }

            @Override
            public void onDelete(PoolVolume v, boolean unknown) {
                report();
            }
        }, 60_000);
        this.reporter = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "agent-report-" + node);
            t.setDaemon(true);
            return t;
        });
        reporter.scheduleWithFixedDelay(this::reportQuietly, 0, reportEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    void reconcile(String name) {
        PoolVolume v = informer.getStore().getByKey(name);
        if (v == null || v.getSpec() == null || !node.equals(v.getSpec().node)) {
            return;
        }
        Optional<Allocation> a = PoolVolumeStore.toAllocation(v);
        if (a.isEmpty()) {
            setStatus(name, "Failed", null, "spec is incomplete: name, pool, node and sizeBytes are required");
            return;
        }
        Allocation allocation = a.get();
        if (v.getMetadata().getDeletionTimestamp() != null) {
            maker.delete(allocation);
            removeFinalizer(name);
            LOG.info("PoolVolume {}: data {} deleted on node {}", name, allocation.name(), node);
            reportQuietly();
            return;
        }
        try {
            Optional<Template> template = allocation.template().flatMap(templates::findTemplate);
            if (allocation.template().isPresent() && template.isEmpty()) {
                setStatus(name, "Failed", null, "template " + allocation.template().get() + " is not on node " + node
                        + "; templates: " + templates.listTemplates().stream().map(Template::name).toList());
                return;
            }
            String path = maker.make(allocation, template);
            if (allocation.format() != VolumeFormat.DIRECTORY && maker.presentedBytes(allocation) < allocation.sizeBytes()) {
                maker.grow(allocation, allocation.sizeBytes());
            }
            PoolVolume.Status s = v.getStatus();
            String nodePath = nodePath(allocation);
            boolean image = allocation.format() != VolumeFormat.DIRECTORY;
            // a new directory holds nothing yet; the periodic report measures volumes as they fill
            Long presented = image ? maker.presentedBytes(allocation) : allocation.sizeBytes();
            if (s == null || !"Ready".equals(s.phase) || !nodePath.equals(s.path) || !presented.equals(s.presentedBytes)) {
                setStatus(name, "Ready", nodePath, null, image ? maker.measuredBytes(allocation) : null, presented);
                LOG.info("PoolVolume {}: Ready at {} on node {} ({})", name, path, node, allocation.format().display());
            }
        } catch (DomainException e) {
            if (e.code() == DomainException.Code.CONFLICT) {
                setStatus(name, v.getStatus() == null ? "Pending" : v.getStatus().phase, null, e.getMessage());
                throw e; // busy image: retry with backoff
            }
            setStatus(name, "Failed", null, e.getMessage());
            throw e;
        }
    }

    /** The path as the node (and a PersistentVolume) sees it. */
    private String nodePath(Allocation a) {
        return dsp.core.model.VolumeLayout.nodePath(catalog.require(a.pool()).path(), a);
    }

    private void setStatus(String name, String phase, String path, String message) {
        setStatus(name, phase, path, message, null, null);
    }

    /** One PATCH of the status subresource from a minimal object (no read first, no lock needed: only this agent writes it). */
    private void setStatus(String name, String phase, String path, String message, Long measured, Long presented) {
        PoolVolume patch = new PoolVolume();
        patch.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).build());
        PoolVolume.Status s = new PoolVolume.Status();
        s.phase = phase;
        s.path = path;
        s.message = message == null ? "" : message;
        s.measuredBytes = measured;
        s.presentedBytes = presented;
        patch.setStatus(s);
        try {
            client.resources(PoolVolume.class).resource(patch).patchStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    private void removeFinalizer(String name) {
        try {
            dsp.kubernetes.Conflicts.retry(() -> client.resources(PoolVolume.class).withName(name).edit(v -> {
                List<String> f = new ArrayList<>(v.getMetadata().getFinalizers());
                f.remove(Names.DATA_FINALIZER);
                v.getMetadata().setFinalizers(f);
                return v;
            }));
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    private void reportQuietly() {
        try {
            report();
            measureVolumes();
            cleanIfAsked();
        } catch (RuntimeException e) {
            LOG.warn("node {}: disk report failed: {}", node, e.getMessage());
        }
    }

    /**
     * Runs a cleanup the Node asks for (once per request): orphans of this node's pool
     * directories go to the trash; everything a PoolVolume of this node references stays.
     */
    private void cleanIfAsked() {
        var n = client.nodes().withName(node).get();
        Map<String, String> ann = n == null || n.getMetadata().getAnnotations() == null ? Map.of() : n.getMetadata().getAnnotations();
        String request = ann.get(dsp.kubernetes.adapter.NodeCleanupRequests.REQUESTED);
        if (request == null || request.equals(ann.get(dsp.kubernetes.adapter.NodeCleanupRequests.DONE))) {
            return;
        }
        boolean dryRun = request.endsWith(";dry-run");
        var items = cleaner.clean(node, () -> informer.getStore().list().stream()
                .map(PoolVolumeStore::toAllocation).flatMap(Optional::stream).toList(), dryRun);
        List<Map<String, Object>> moved = new ArrayList<>();
        for (var i : items) {
            moved.add(Map.of("pool", i.pool(), "entry", i.entry(), "bytes", i.bytes(), "trash", i.trash()));
        }
        String report;
        try {
            report = JSON.writeValueAsString(Map.of("request", request, "dryRun", dryRun, "moved", moved));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        dsp.kubernetes.Conflicts.retry(() -> client.nodes().withName(node).edit(x -> {
            Map<String, String> a = new HashMap<>(x.getMetadata().getAnnotations());
            a.put(dsp.kubernetes.adapter.NodeCleanupRequests.DONE, request);
            a.put(dsp.kubernetes.adapter.NodeCleanupRequests.REPORT, report);
            x.getMetadata().setAnnotations(a);
            return x;
        }));
        LOG.info("node {}: cleanup {} {} item(s){}", node, request, items.size(), dryRun ? " (dry run)" : "");
    }

    /** Refreshes each ready volume's measured bytes when they moved by more than 1 MB. */
    private void measureVolumes() {
        for (PoolVolume v : informer.getStore().list()) {
            if (v.getStatus() == null || !"Ready".equals(v.getStatus().phase) || v.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            PoolVolumeStore.toAllocation(v).ifPresent(a -> {
                long measured = maker.measuredBytes(a);
                Long before = v.getStatus().measuredBytes;
                if (before == null || Math.abs(before - measured) > 1_000_000) {
                    setStatus(v.getMetadata().getName(), "Ready", v.getStatus().path, v.getStatus().message, measured, v.getStatus().presentedBytes);
                }
            });
        }
    }

    /** Writes this node's disk figures and templates into its Node's annotation. */
    public synchronized void report() {
        ServerDiskUsage u = measure();
        List<NodeDiskReport.TemplateInfo> t = new ArrayList<>();
        for (Template x : templates.listTemplates()) {
            t.add(new NodeDiskReport.TemplateInfo(x.name(), x.format().display(), x.virtualBytes(), x.fileBytes()));
        }
        NodeDiskReport r = new NodeDiskReport(new HashMap<>(u.poolBytes()), u.otherBytes(), u.filesystemBytes(),
                u.filesystemFreeBytes(), t, clock.instant().toString());
        String json;
        try {
            json = JSON.writeValueAsString(r);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        var current = client.nodes().withName(node).get();
        if (current == null) {
            return;
        }
        Map<String, String> ann = current.getMetadata().getAnnotations();
        String before = ann == null ? null : ann.get(Names.DISK_REPORT_ANNOTATION);
        if (before != null && sameFigures(before, r)) {
            return;
        }
        dsp.kubernetes.Conflicts.retry(() -> client.nodes().withName(node).edit(n -> {
            Map<String, String> a = n.getMetadata().getAnnotations() == null ? new HashMap<>() : new HashMap<>(n.getMetadata().getAnnotations());
            a.put(Names.DISK_REPORT_ANNOTATION, json);
            n.getMetadata().setAnnotations(a);
            return n;
        }));
    }

    /**
     * Bytes in each pool directory (as du counts them); the rest of the file system's used space
     * is the system reserve's use. Never walks the whole node root.
     */
    private ServerDiskUsage measure() {
        Map<String, Long> poolBytes = new HashMap<>();
        long pooled = 0;
        for (var p : catalog.pools()) {
            long b = dsp.node.DiskUsage.byChild(roots.poolRoot(node, p)).getOrDefault("", 0L);
            poolBytes.put(p.name(), b);
            pooled += b;
        }
        long total = 0;
        long free = 0;
        try {
            // the first pool directory: in a pod the pools are hostPath mounts of the node's disk
            java.nio.file.FileStore store = java.nio.file.Files.getFileStore(roots.poolRoot(node, catalog.pools().get(0)));
            total = store.getTotalSpace();
            free = store.getUsableSpace();
        } catch (java.io.IOException e) {
            LOG.warn("node {}: cannot read its file system: {}", node, e.getMessage());
        }
        return new ServerDiskUsage(node, poolBytes, Math.max(0, total - free - pooled), "node:" + node, total, free);
    }

    /** Reports that differ only in their time are not written again. */
    private static boolean sameFigures(String before, NodeDiskReport now) {
        try {
            NodeDiskReport b = JSON.readValue(before, NodeDiskReport.class);
            return java.util.Objects.equals(b.poolBytes(), now.poolBytes()) && b.otherBytes() == now.otherBytes()
                    && b.filesystemBytes() == now.filesystemBytes() && java.util.Objects.equals(b.templates(), now.templates())
                    && Math.abs(b.filesystemFreeBytes() - now.filesystemFreeBytes()) < 64L * 1024 * 1024;
        } catch (Exception e) {
            return false;
        }
    }

    public SharedIndexInformer<PoolVolume> informer() {
        return informer;
    }

    @Override
    public void close() {
        reporter.shutdownNow();
        informer.close();
        queue.close();
    }
}
