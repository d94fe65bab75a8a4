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
import java.util.function.Function;
import java.util.List;
import java.util.Optional;

/** Disk figures as the node agents last reported them on their Nodes. */
public final class NodeReportedMeter implements StorageMeter {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final SharedIndexInformer<Node> nodes;
    private final Function<String, Map<String, Long>> volumeBytesOn;

    public NodeReportedMeter(SharedIndexInformer<Node> nodes) {
        this(nodes, node -> Map.of());
    }

    /** @param volumeBytesOn what the agents reported per volume (PoolVolume status) on one node, by {@code <pool>/<volume>} */
    public NodeReportedMeter(SharedIndexInformer<Node> nodes, Function<String, Map<String, Long>> volumeBytesOn) {
        this.nodes = nodes;
        this.volumeBytesOn = volumeBytesOn;
    }

    @Override
    public List<ServerDiskUsage> measure(List<Server> servers) {
        List<ServerDiskUsage> out = new ArrayList<>();
        for (Server s : servers) {
            usage(nodes.getStore().getByKey(s.name())).ifPresent(out::add);
        }
        return out;
    }

    /** What a Node's agent last reported about its disk, with its volumes' reported bytes. */
    public Optional<ServerDiskUsage> usage(Node n) {
        return report(n).map(r -> {
            String name = n.getMetadata().getName();
            return new ServerDiskUsage(name, r.poolBytes() == null ? Map.of() : r.poolBytes(), r.otherBytes(), "node:" + name,
                    r.filesystemBytes(), r.filesystemFreeBytes(), volumeBytesOn.apply(name), reportedAt(r));
        });
    }

    private static Optional<Instant> reportedAt(NodeDiskReport r) {
        try {
            return Optional.ofNullable(r.reportedAt()).map(Instant::parse);
        } catch (java.time.format.DateTimeParseException malformed) {
            return Optional.empty();
        }
    }

    public Optional<NodeDiskReport> report(String node) {
        return report(nodes.getStore().getByKey(node));
    }

    /** The report a Node carries, if it carries a readable one. */
    public Optional<NodeDiskReport> report(Node n) {
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
