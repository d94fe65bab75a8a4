package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.core.port.TemplateLibrary.UrlImport;
import dsp.core.vm.TemplateSource;
import dsp.kubernetes.adapter.NodeReportedMeter;
import dsp.kubernetes.adapter.ReportedTemplates;
import dsp.kubernetes.crd.NodeDiskReport;
import dsp.kubernetes.crd.PoolTemplate;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An import by URL is ready on a node only when placement can use it there: the agent's "Ready" in
 * the PoolTemplate status and the node's disk report (what placement reads) are two objects the
 * controller sees through two watches, in no fixed order.
 */
class ReportedTemplatesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TestCluster cluster = new TestCluster();
    private final SharedIndexInformer<Node> nodes = cluster.client.nodes().inform();

    @AfterEach
    void close() {
        nodes.close();
        cluster.close();
    }

    @Test
    void aNodeWhoseAgentSaysReadyIsReadyOnlyOnceItsReportListsTheTemplate() throws Exception {
        cluster.addNode("vm-1", "vm");
        ReportedTemplates templates = new ReportedTemplates(new NodeReportedMeter(nodes), cluster.client,
                () -> Set.of("vm-1"), Clock.systemUTC());
        templates.importFromUrl("ubuntu22", TemplateSource.parse("http://images.example/u.qcow2", "a".repeat(64)));
        PoolTemplate status = new PoolTemplate();
        status.setMetadata(new ObjectMetaBuilder().withName("ubuntu22").build());
        status.setStatus(new PoolTemplate.Status());
        status.getStatus().nodes = Map.of("vm-1", new PoolTemplate.NodeState("Ready", 1024L, "", "2026-01-01T00:00:00Z"));
        cluster.client.resources(PoolTemplate.class).resource(status).patchStatus();

        UrlImport before = templates.imports().get(0);
        assertThat(before.ready()).as("agent Ready, not yet in the node's report").isFalse();
        assertThat(before.servers()).containsEntry("vm-1", "Publishing");

        NodeDiskReport report = new NodeDiskReport(Map.of("vm", 0L), 0, 1L << 40, 1L << 39,
                List.of(new NodeDiskReport.TemplateInfo("ubuntu22", "qcow2", 10L << 30, 1024)), "2026-01-01T00:00:00Z");
        String json = JSON.writeValueAsString(report);
        Conflicts.retry(() -> cluster.client.nodes().withName("vm-1").edit(n -> {
            Map<String, String> a = n.getMetadata().getAnnotations() == null ? new HashMap<>() : new HashMap<>(n.getMetadata().getAnnotations());
            a.put(Names.DISK_REPORT_ANNOTATION, json);
            n.getMetadata().setAnnotations(a);
            return n;
        }));

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            UrlImport after = templates.imports().get(0);
            assertThat(after.ready()).isTrue();
            assertThat(after.servers()).containsEntry("vm-1", "Ready");
            assertThat(templates.findTemplate("ubuntu22")).isPresent();
        });
    }
}
