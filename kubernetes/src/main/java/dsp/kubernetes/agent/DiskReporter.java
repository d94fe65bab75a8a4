package dsp.kubernetes.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.core.model.Server;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import dsp.core.vm.Template;
import dsp.kubernetes.Names;
import dsp.kubernetes.Writes;
import dsp.kubernetes.adapter.PoolVolumeStore;
import dsp.kubernetes.crd.NodeDiskReport;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the node's disk holds, reported where the controllers read it: bytes per pool directory,
 * the rest of the file system (the system reserve's use) and the templates present go into the
 * Node's {@code dynamicpools.io/disk-report} annotation; each ready volume's measured bytes go
 * into its PoolVolume status. Unchanged figures are not written again.
 */
final class DiskReporter {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Free space moves all the time; a smaller change than this is not worth a write. */
    private static final long FREE_SPACE_SLACK = 64L * 1024 * 1024;
    private static final long MEASURED_SLACK = 1_000_000;

    private final KubernetesClient client;
    private final String node;
    private final Supplier<NodeStorage> storage;
    private final PoolVolumeWrites writes;
    private final Supplier<List<PoolVolume>> volumes;
    private final Clock clock;
    /** Where peers fetch a moving volume's bytes from this agent; null while it serves none. */
    private volatile String peerAddress;

    DiskReporter(KubernetesClient client, String node, Supplier<NodeStorage> storage, PoolVolumeWrites writes,
                 Supplier<List<PoolVolume>> volumes, Clock clock) {
        this.client = client;
        this.node = node;
        this.storage = storage;
        this.writes = writes;
        this.volumes = volumes;
        this.clock = clock;
    }

    /** From now on the report tells peers where to fetch a moving volume's bytes. */
    void advertise(String address) {
        this.peerAddress = address;
    }

    /**
     * Measures the node once (one {@code du} per pool directory, which gives every volume's bytes too)
     * and reports what it found: the disk figures on its Node, and each ready volume's bytes in its status.
     */
    synchronized void report() {
        ServerDiskUsage u = usage();
        writeDiskReport(u);
        reportVolumes(u.volumeBytes());
    }

    /** Writes this node's disk figures and templates into its Node's annotation. */
    synchronized void reportDisk() {
        writeDiskReport(usage());
    }

    private void writeDiskReport(ServerDiskUsage u) {
        NodeDiskReport r = report(u);
        String json;
        try {
            json = JSON.writeValueAsString(r);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        Writes.edit(client, client.nodes().withName(node), n -> {
            Map<String, String> a = n.getMetadata().getAnnotations() == null ? new HashMap<>() : new HashMap<>(n.getMetadata().getAnnotations());
            String before = a.get(Names.DISK_REPORT_ANNOTATION);
            if (before != null && sameFigures(before, r) && !heartbeatDue(before)) {
                return n;
            }
            a.put(Names.DISK_REPORT_ANNOTATION, json);
            n.getMetadata().setAnnotations(a);
            return n;
        });
    }

    /**
     * Refreshes each ready volume's measured bytes when they moved by more than 1 MB, from the
     * node's one measurement ({@code <pool>/<volume>}): never a {@code du} or {@code qemu-img} per volume.
     */
    private void reportVolumes(Map<String, Long> measuredBytes) {
        for (PoolVolume v : volumes.get()) {
            PoolVolume.Status s = v.getStatus();
            if (s == null || !"Ready".equals(s.phase) || v.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            PoolVolumeStore.toAllocation(v).ifPresent(a -> {
                Long measured = measuredBytes.get(ServerDiskUsage.volumeKey(a.pool(), a.name()));
                if (measured == null) {
                    return; // not on the disk when it was measured (made since): the next report has it
                }
                if (s.measuredBytes == null || Math.abs(s.measuredBytes - measured) > MEASURED_SLACK) {
                    writes.status(v.getMetadata().getName(), PoolVolumeWrites.status("Ready", s.path, s.message, measured, s.presentedBytes));
                }
            });
        }
    }

    private ServerDiskUsage usage() {
        return storage.get().meter().measure(List.of(new Server(node, Optional.empty(), Optional.empty(), Instant.EPOCH))).get(0);
    }

    private NodeDiskReport report(ServerDiskUsage u) {
        List<NodeDiskReport.TemplateInfo> templates = new ArrayList<>();
        for (Template x : storage.get().templates().listTemplates()) {
            templates.add(new NodeDiskReport.TemplateInfo(x.name(), x.format().display(), x.virtualBytes(), x.fileBytes()));
        }
        return new NodeDiskReport(new HashMap<>(u.poolBytes()), u.otherBytes(), u.filesystemBytes(), u.filesystemFreeBytes(), templates,
                clock.instant().toString(), peerAddress);
    }

    /** Unchanged figures are still written this often, so a report's age tells whether the agent lives (an alert watches it). */
    static final java.time.Duration HEARTBEAT = java.time.Duration.ofMinutes(5);

    private boolean heartbeatDue(String before) {
        try {
            return !java.time.Instant.parse(JSON.readValue(before, NodeDiskReport.class).reportedAt())
                    .plus(HEARTBEAT).isAfter(clock.instant());
        } catch (Exception e) {
            return true;
        }
    }

    /** Reports that differ only in their time are not written again (until the heartbeat is due). */
    private static boolean sameFigures(String before, NodeDiskReport now) {
        try {
            NodeDiskReport b = JSON.readValue(before, NodeDiskReport.class);
            return Objects.equals(b.poolBytes(), now.poolBytes()) && b.otherBytes() == now.otherBytes()
                    && b.filesystemBytes() == now.filesystemBytes() && Objects.equals(b.templates(), now.templates())
                    && Objects.equals(b.peerAddress(), now.peerAddress())
                    && Math.abs(b.filesystemFreeBytes() - now.filesystemFreeBytes()) < FREE_SPACE_SLACK;
        } catch (IOException malformed) {
            return false;
        }
    }
}
