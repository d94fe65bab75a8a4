package dsp.kubernetes.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.model.Server;
import dsp.core.port.StorageMeter.ServerDiskUsage;
import dsp.kubernetes.Names;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What the controller reads off a Node object, without a cluster: its server (pool label, share
 * annotation, creation time) and its agent's disk report. Bad values are ignored, never fatal.
 */
class NodeObjectsTest {

    private static Node node(String name, Map<String, String> labels, Map<String, String> annotations, String created) {
        return new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).withAnnotations(annotations)
                .withCreationTimestamp(created).endMetadata().build();
    }

    @Test
    void aNodeIsAServerInThePoolItsLabelNamesWithItsShare() {
        Node n = node("k8s-1", Map.of(Names.POOL_LABEL, "k8s"), Map.of(Names.SHARE_ANNOTATION, "2Ti"), "2026-11-25T10:15:30Z");
        assertThat(NodeLabelInventory.toServer(n)).contains(new Server("k8s-1", Optional.of("k8s"),
                Optional.of(2L << 40), Instant.parse("2026-11-25T10:15:30Z")));
    }

    @Test
    void badLabelsAndAnnotationsAreIgnored() {
        assertThat(NodeLabelInventory.toServer(node("Not_A_Dns_Name", Map.of(Names.POOL_LABEL, "k8s"), Map.of(), null))).isEmpty();
        assertThat(NodeLabelInventory.toServer(node("k8s-2", Map.of(Names.POOL_LABEL, "Bad Pool!"), Map.of(Names.SHARE_ANNOTATION, "lots"), null)))
                .contains(new Server("k8s-2", Optional.empty(), Optional.empty(), Instant.EPOCH));
        assertThat(NodeLabelInventory.toServer(node("k8s-3", null, Map.of(Names.SHARE_ANNOTATION, "0"), null)))
                .contains(new Server("k8s-3", Optional.empty(), Optional.empty(), Instant.EPOCH));
        assertThat(NodeLabelInventory.toServer(node("k8s-4", Map.of(), null, null)))
                .contains(new Server("k8s-4", Optional.empty(), Optional.empty(), Instant.EPOCH));
    }

    private static final String REPORT = """
            {"poolBytes":{"k8s":100},"otherBytes":200,"filesystemBytes":1000,"filesystemFreeBytes":700,
             "templates":[],"reportedAt":"2026-11-25T10:15:30Z"}""";

    @Test
    void theAgentsReportIsReadOffItsNode() {
        NodeReportedMeter meter = new NodeReportedMeter(null, node -> Map.of("k8s/data", 42L));
        Node n = node("k8s-1", Map.of(), Map.of(Names.DISK_REPORT_ANNOTATION, REPORT), null);
        assertThat(meter.usage(n)).contains(new ServerDiskUsage("k8s-1", Map.of("k8s", 100L), 200, "node:k8s-1", 1000, 700,
                Map.of("k8s/data", 42L), Optional.of(Instant.parse("2026-11-25T10:15:30Z"))));
    }

    @Test
    void aReportWithoutPoolsOrWithABadDateStillCounts() {
        NodeReportedMeter meter = new NodeReportedMeter(null);
        Node n = node("k8s-1", Map.of(), Map.of(Names.DISK_REPORT_ANNOTATION,
                "{\"otherBytes\":5,\"filesystemBytes\":10,\"filesystemFreeBytes\":3,\"reportedAt\":\"yesterday\"}"), null);
        assertThat(meter.usage(n)).contains(new ServerDiskUsage("k8s-1", Map.of(), 5, "node:k8s-1", 10, 3, Map.of(), Optional.empty()));
    }

    @Test
    void aNodeWithoutAReadableReportHasNone() {
        NodeReportedMeter meter = new NodeReportedMeter(null);
        assertThat(meter.report((Node) null)).isEmpty();
        assertThat(meter.report(node("k8s-1", Map.of(), null, null))).isEmpty();
        assertThat(meter.report(node("k8s-1", Map.of(), Map.of("other", "x"), null))).isEmpty();
        assertThat(meter.report(node("k8s-1", Map.of(), Map.of(Names.DISK_REPORT_ANNOTATION, "{not json"), null))).isEmpty();
        assertThat(meter.usage(node("k8s-1", Map.of(), Map.of(Names.DISK_REPORT_ANNOTATION, "{not json"), null))).isEmpty();
    }
}
