package dsp.kubernetes.adapter;

import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.core.model.Server;
import dsp.core.port.StorageMeter;
import dsp.kubernetes.Names;
import dsp.kubernetes.crd.NodeDiskReport;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Map;
import java.util.function.Supplier;
import java.util.List;
import java.util.Optional;

/** Disk figures as the node agents last reported them on their Nodes. */
public final class NodeReportedMeter implements StorageMeter {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final SharedIndexInformer<Node> nodes;
    private final Supplier<Map<String, Map<String, Long>>> volumeBytesByNode;

    public NodeReportedMeter(SharedIndexInformer<Node> nodes) {
        this(nodes, Map::of);
    }

    /** @param volumeBytesByNode what the agents reported per volume (PoolVolume status), by node then {@code <pool>/<volume>} */
    public NodeReportedMeter(SharedIndexInformer<Node> nodes, Supplier<Map<String, Map<String, Long>>> volumeBytesByNode) {
        this.nodes = nodes;
        this.volumeBytesByNode = volumeBytesByNode;
    }

    @Override
    public List<ServerDiskUsage> measure(List<Server> servers) {
        List<ServerDiskUsage> out = new ArrayList<>();
        Map<String, Map<String, Long>> volumes = volumeBytesByNode.get();
        for (Server s : servers) {
            report(s.name()).ifPresent(r -> out.add(new ServerDiskUsage(s.name(), r.poolBytes() == null ? Map.of() : r.poolBytes(),
                    r.otherBytes(), "node:" + s.name(), r.filesystemBytes(), r.filesystemFreeBytes(),
                    volumes.getOrDefault(s.name(), Map.of()), reportedAt(r))));
        }
        return out;
    }

    private static Optional<Instant> reportedAt(NodeDiskReport r) {
        try {
            return Optional.ofNullable(r.reportedAt()).map(Instant::parse);
        } catch (java.time.format.DateTimeParseException malformed) {
            return Optional.empty();
        }
    }

    public Optional<NodeDiskReport> report(String node) {
        Node n = nodes.getStore().getByKey(node);
        if (n == null || n.getMetadata().getAnnotations() == null) {
            return Optional.empty();
        }
        String json = n.getMetadata().getAnnotations().get(Names.DISK_REPORT_ANNOTATION);
        if (json == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(json, NodeDiskReport.class));
        } catch (Exception malformed) {
            return Optional.empty();
        }
    }

    public List<NodeDiskReport> reports() {
        return List.copyOf(reportsByNode().values());
    }

    public java.util.Map<String, NodeDiskReport> reportsByNode() {
        java.util.Map<String, NodeDiskReport> out = new java.util.TreeMap<>();
        for (Node n : nodes.getStore().list()) {
            report(n.getMetadata().getName()).ifPresent(r -> out.put(n.getMetadata().getName(), r));
        }
        return out;
    }
}
