package dsp.kubernetes.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dsp.core.DomainException;
import dsp.core.model.Server;
import dsp.core.port.Authorizer.Access;
import dsp.core.port.Caller;
import dsp.core.port.StorageCleaner.Outcome;
import dsp.kubernetes.Names;
import dsp.kubernetes.RequestLog;
import dsp.kubernetes.TestCluster;
import dsp.kubernetes.controller.Events;
import dsp.kubernetes.Writes;
import dsp.kubernetes.crd.NodeCleanupRequest;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The small adapters between the core and the API server, each against the strict test cluster:
 * the one write primitive, Events, the RBAC question, and servers as labelled Nodes.
 */
class ClusterAdaptersTest {

    private final TestCluster cluster = new TestCluster();
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-25T10:15:30Z"), ZoneOffset.UTC);

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void theWritePrimitiveSaysWhatItDidAndLeavesOtherKeysAlone() {
        var client = cluster.client;
        assertThat(Writes.configMapKey(client, Names.NAMESPACE, "cm", "a", "1", Map.of("note", "x"))).isEqualTo(Writes.Result.CREATED);
        assertThat(Writes.configMapKey(client, Names.NAMESPACE, "cm", "a", "1", Map.of("note", "y"))).isEqualTo(Writes.Result.NOOP);
        assertThat(Writes.configMapKey(client, Names.NAMESPACE, "cm", "b", "2", Map.of("other", "z"))).isEqualTo(Writes.Result.PATCHED);
        assertThat(Writes.configMapKey(client, Names.NAMESPACE, "cm", "a", "3", Map.of())).isEqualTo(Writes.Result.PATCHED);
        ConfigMap cm = client.configMaps().inNamespace(Names.NAMESPACE).withName("cm").get();
        assertThat(cm.getData()).containsExactlyInAnyOrderEntriesOf(Map.of("a", "3", "b", "2"));
        assertThat(cm.getMetadata().getAnnotations()).containsEntry("note", "x").containsEntry("other", "z");
    }

    @Test
    void aConfigMapWithoutDataOrAnnotationsGetsTheKey() {
        var client = cluster.client;
        client.configMaps().inNamespace(Names.NAMESPACE).resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withNewMetadata().withName("bare").withNamespace(Names.NAMESPACE).endMetadata().build()).create();
        assertThat(Writes.configMapKey(client, Names.NAMESPACE, "bare", "k", "v", Map.of("note", "x"))).isEqualTo(Writes.Result.PATCHED);
        ConfigMap cm = client.configMaps().inNamespace(Names.NAMESPACE).withName("bare").get();
        assertThat(cm.getData()).containsExactly(Map.entry("k", "v"));
        assertThat(cm.getMetadata().getAnnotations()).containsExactly(Map.entry("note", "x"));
    }

    @Test
    void anEventAboutANodeLivesInDefaultAndOneAboutAClaimInTheClaimsNamespace() {
        Node node = cluster.addNode("k8s-1", "k8s");
        cluster.client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata().withName("team-a")
                .endMetadata().build()).create();
        PersistentVolumeClaim claim = new PersistentVolumeClaimBuilder().withNewMetadata().withName("data").withNamespace("team-a")
                .withUid("uid-1").endMetadata().build();
        Events events = new Events(cluster.client, "pool-test", clock);
        events.warning(node, "DiskReportMissing", "no report yet");
        events.normal(claim, "Provisioned", "made");

        Event onNode = cluster.client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> "DiskReportMissing".equals(e.getReason())).findFirst().orElseThrow();
        assertThat(onNode.getType()).isEqualTo("Warning");
        assertThat(onNode.getMessage()).isEqualTo("no report yet");
        assertThat(onNode.getInvolvedObject().getName()).isEqualTo("k8s-1");
        assertThat(onNode.getInvolvedObject().getKind()).isEqualTo("Node");
        assertThat(onNode.getSource().getComponent()).isEqualTo("pool-test");
        assertThat(onNode.getFirstTimestamp()).isEqualTo("2026-11-25T10:15:30Z");
        assertThat(onNode.getCount()).isEqualTo(1);

        Event onClaim = cluster.client.v1().events().inNamespace("team-a").list().getItems().stream()
                .filter(e -> "Provisioned".equals(e.getReason())).findFirst().orElseThrow();
        assertThat(onClaim.getType()).isEqualTo("Normal");
        assertThat(onClaim.getInvolvedObject().getNamespace()).isEqualTo("team-a");
        assertThat(onClaim.getInvolvedObject().getUid()).isEqualTo("uid-1");
        assertThat(onClaim.getMetadata().getName()).startsWith("data.").isNotEqualTo(onNode.getMetadata().getName());
    }

    @Test
    void anEventTheApiRefusesIsOnlyLogged() {
        cluster.expectRefusals();
        Node node = cluster.addNode("k8s-1", "k8s");
        // the cleanup job's account may not create Events: the API server refuses, the caller goes on
        new Events(cluster.clientAs(TestCluster.Workload.CLEANUP), "pool-test", clock).warning(node, "Refused", "message");
        assertThat(cluster.refusals()).hasSize(1);
        assertThat(cluster.client.v1().events().inAnyNamespace().list().getItems()).extracting(Event::getReason).doesNotContain("Refused");
    }

    @Test
    void aChangeIsAskedAsTheCallersOwnRbacRequest() {
        SubjectAccessReviewAuthorizer authorizer = new SubjectAccessReviewAuthorizer(cluster.client);
        Caller operator = new Caller("system:serviceaccount:ops:operator", Set.of("system:authenticated"));
        Access relabel = Access.of("update", "servers").named("k8s-1");
        assertThat(authorizer.refusal(operator, relabel)).hasValueSatisfying(why -> assertThat(why)
                .isEqualTo("system:serviceaccount:ops:operator may not patch nodes k8s-1 (grant it with RBAC: a Role or ClusterRole and a binding)"));
        assertThat(authorizer.refusal(operator, Access.of("create", "vms").in("team-a").named("web"))).hasValueSatisfying(why ->
                assertThat(why).contains("create poolvirtualmachines.dynamicpools.io web in namespace team-a"));
        cluster.grant("system:serviceaccount:ops:operator", "", "nodes", "patch");
        assertThat(authorizer.refusal(operator, relabel)).isEmpty();
        assertThat(authorizer.refusal(operator, Access.of("create", "backups")))
                .contains("changes to backups are not allowed to anyone");
    }

    @Test
    void anApiServerThatCannotBeAskedRefuses() {
        cluster.expectRefusals();
        SubjectAccessReviewAuthorizer authorizer = new SubjectAccessReviewAuthorizer(
                cluster.clientAs(TestCluster.Workload.CLEANUP));
        Caller operator = new Caller("system:serviceaccount:ops:operator", Set.of());
        assertThat(authorizer.refusal(operator, Access.of("update", "servers").named("k8s-1"))).hasValueSatisfying(why ->
                assertThat(why).contains("cannot check whether system:serviceaccount:ops:operator may patch nodes k8s-1"));
    }

    @Test
    void serversAreTheLabelledNodesAndAreRelabelledLikeKubectlDoes() {
        cluster.addNode("k8s-2", "k8s");
        cluster.addNode("k8s-1", null);
        cluster.addNode("Bad_Name", "k8s");
        SharedIndexInformer<Node> nodes = cluster.client.nodes().inform();
        try {
            NodeLabelInventory inventory = new NodeLabelInventory(cluster.client, nodes);
            await().atMost(Duration.ofSeconds(30)).until(() -> inventory.listServers().size() == 2);
            assertThat(inventory.listServers()).extracting(Server::name).containsExactly("k8s-1", "k8s-2");
            assertThat(inventory.findServer("k8s-2")).hasValueSatisfying(s -> assertThat(s.pool()).contains("k8s"));
            assertThat(inventory.findServer("k8s-9")).isEmpty();

            inventory.saveServer(new Server("k8s-1", Optional.of("vm"), Optional.of(1_000_000_000_000L), Instant.EPOCH));
            Node labelled = cluster.client.nodes().withName("k8s-1").get();
            assertThat(labelled.getMetadata().getLabels()).containsEntry(Names.POOL_LABEL, "vm");
            assertThat(labelled.getMetadata().getAnnotations()).containsEntry(Names.SHARE_ANNOTATION, "1000000000000");
            inventory.saveServer(new Server("k8s-1", Optional.empty(), Optional.empty(), Instant.EPOCH));
            Node unlabelled = cluster.client.nodes().withName("k8s-1").get();
            assertThat(unlabelled.getMetadata().getLabels()).doesNotContainKey(Names.POOL_LABEL)
                    .containsEntry(Names.HOSTNAME_LABEL, "k8s-1");
            assertThat(unlabelled.getMetadata().getAnnotations()).doesNotContainKey(Names.SHARE_ANNOTATION);

            assertThatThrownBy(() -> inventory.saveServer(new Server("k8s-9", Optional.of("k8s"), Optional.empty(), Instant.EPOCH)))
                    .isInstanceOf(DomainException.class).hasMessageContaining("node 'k8s-9' does not exist");
            assertThatThrownBy(() -> inventory.deleteServer("k8s-1")).isInstanceOf(DomainException.class)
                    .hasMessageContaining("kubectl label node k8s-1 pool-");
        } finally {
            nodes.close();
        }
    }

    @Test
    void aRelabelToWhatTheNodeSaysSendsNoWriteAndAChangeSendsOne() {
        cluster.addNode("k8s-1", "k8s");
        try (RequestLog log = new RequestLog(cluster.client)) {
            NodeLabelInventory inventory = new NodeLabelInventory(log.client, log.client.nodes().runnableInformer(0));
            inventory.saveServer(new Server("k8s-1", Optional.of("k8s"), Optional.empty(), Instant.EPOCH));
            assertThat(log.writes()).as("the node is in that pool already").isEmpty();

            inventory.saveServer(new Server("k8s-1", Optional.of("vm"), Optional.of(5_000_000_000L), Instant.EPOCH));
            assertThat(log.writes()).containsExactly("PATCH /api/v1/nodes/k8s-1");
            assertThat(cluster.client.nodes().withName("k8s-1").get().getMetadata().getAnnotations())
                    .containsEntry(Names.SHARE_ANNOTATION, "5000000000");

            log.clear();
            inventory.saveServer(new Server("k8s-1", Optional.of("vm"), Optional.of(5_000_000_000L), Instant.EPOCH));
            assertThat(log.writes()).isEmpty();
        }
    }

    @Test
    void aCleanupRequestIsOneWriteOnItsNodeAskedAgainNoneAndOnAMissingNodeAFailure() {
        cluster.addNode("k8s-1", "k8s");
        try (RequestLog log = new RequestLog(cluster.clientAs(TestCluster.Workload.PROVISIONER))) {
            NodeCleanupRequests cleanup = new NodeCleanupRequests(log.client, log.client.nodes().runnableInformer(0), clock);
            assertThat(cleanup.clean("run-1", "k8s-1", List::of, true).state()).isEqualTo(Outcome.State.PENDING);
            assertThat(log.writes()).containsExactly("PATCH /api/v1/nodes/k8s-1");
            assertThat(NodeCleanupRequest.parse(cluster.client.nodes().withName("k8s-1").get().getMetadata().getAnnotations()
                    .get(NodeCleanupRequest.REQUESTED))).contains(new NodeCleanupRequest("run-1", true));

            log.clear();
            assertThat(cleanup.clean("run-1", "k8s-1", List::of, true).state()).isEqualTo(Outcome.State.PENDING);
            assertThat(log.writes()).as("the node has that request already").isEmpty();

            Outcome missing = cleanup.clean("run-1", "k8s-9", List::of, true);
            assertThat(missing.state()).isEqualTo(Outcome.State.FAILED);
            assertThat(missing.error()).contains("node k8s-9 no longer exists");
            assertThat(log.writes()).isEmpty();
        }
    }

    @Test
    void aRelabelTheApiRefusesIsAStorageFailure() {
        cluster.expectRefusals();
        cluster.addNode("k8s-1", null);
        cluster.grant("system:serviceaccount:" + Names.NAMESPACE + ":node-reader", "", "nodes", "get");
        SharedIndexInformer<Node> nodes = cluster.client.nodes().inform();
        try {
            // an account that may read Nodes but not patch them
            NodeLabelInventory inventory = new NodeLabelInventory(cluster.clientAs("node-reader"), nodes);
            assertThatThrownBy(() -> inventory.saveServer(new Server("k8s-1", Optional.of("k8s"), Optional.empty(), Instant.EPOCH)))
                    .isInstanceOf(DomainException.class).hasMessageContaining("cannot label node k8s-1");
        } finally {
            nodes.close();
        }
    }

    @Test
    void theMeterAnswersFromTheReportsOnTheNodes() {
        cluster.addNode("k8s-1", "k8s");
        cluster.addNode("k8s-2", "k8s");
        cluster.client.nodes().withName("k8s-1").edit(n -> {
            n.getMetadata().setAnnotations(Map.of(Names.DISK_REPORT_ANNOTATION,
                    "{\"poolBytes\":{\"k8s\":100},\"otherBytes\":200,\"filesystemBytes\":1000,\"filesystemFreeBytes\":700}"));
            return n;
        });
        SharedIndexInformer<Node> nodes = cluster.client.nodes().inform();
        try {
            NodeReportedMeter meter = new NodeReportedMeter(nodes);
            await().atMost(Duration.ofSeconds(30)).until(() -> meter.reports().size() == 1);
            assertThat(meter.reportsByNode()).containsOnlyKeys("k8s-1");
            assertThat(meter.report("k8s-1")).hasValueSatisfying(r -> assertThat(r.otherBytes()).isEqualTo(200));
            assertThat(meter.measure(java.util.List.of(new Server("k8s-1", Optional.of("k8s"), Optional.empty(), Instant.EPOCH),
                    new Server("k8s-2", Optional.of("k8s"), Optional.empty(), Instant.EPOCH))))
                    .extracting(u -> u.server()).containsExactly("k8s-1");
        } finally {
            nodes.close();
        }
    }
}
