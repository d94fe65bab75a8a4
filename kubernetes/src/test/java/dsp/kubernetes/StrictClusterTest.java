package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dsp.kubernetes.TestCluster.Workload;
import dsp.kubernetes.crd.StoragePool;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The test API server refuses what a real kube-apiserver refuses; each rule of the harness, shown to bite. */
class StrictClusterTest {

    private TestCluster cluster;

    @BeforeEach
    void start() {
        cluster = new TestCluster().expectRefusals();
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private static int code(Runnable call) {
        try {
            call.run();
            return 200;
        } catch (KubernetesClientException e) {
            return e.getCode();
        }
    }

    @Test
    void rbacAllowsOnlyWhatDeployGrantsToEachServiceAccount() {
        cluster.addNode("n1", "k8s");
        KubernetesClient agent = cluster.clientAs(Workload.AGENT);
        KubernetesClient scaling = cluster.clientAs(Workload.SCALING);
        KubernetesClient monitor = cluster.clientAs(Workload.MONITOR);
        assertThat(code(() -> agent.nodes().withName("n1").get())).isEqualTo(200);       // get: granted
        assertThat(code(() -> agent.nodes().withName("n1").delete())).isEqualTo(403);    // delete: a verb it is not given
        assertThat(code(() -> agent.persistentVolumes().list())).isEqualTo(403);
        assertThat(code(() -> scaling.nodes().list())).isEqualTo(200);
        assertThat(code(() -> scaling.nodes().withName("n1").edit(n -> n))).isEqualTo(403);
        assertThat(code(() -> monitor.nodes().withName("n1").edit(n -> n))).isEqualTo(403);
        // resourceNames: the one ConfigMap, no other
        cluster.client.configMaps().inNamespace(Names.NAMESPACE).resource(new ConfigMapBuilder().withNewMetadata()
                .withName(Names.CONFIG_MAP).endMetadata().build()).create();
        cluster.client.configMaps().inNamespace(Names.NAMESPACE).resource(new ConfigMapBuilder().withNewMetadata()
                .withName("other").endMetadata().build()).create();
        assertThat(code(() -> monitor.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get())).isEqualTo(200);
        assertThat(code(() -> monitor.configMaps().inNamespace(Names.NAMESPACE).withName("other").get())).isEqualTo(403);
        // a Role grants in its namespace only
        assertThat(code(() -> monitor.configMaps().inNamespace("default").withName(Names.CONFIG_MAP).get())).isEqualTo(403);
        // subresources are resources of their own
        assertThat(code(() -> scaling.resources(StoragePool.class).withName("k8s").get())).isIn(200, 404);
        assertThat(cluster.refusals()).anyMatch(r -> r.contains("cannot delete resource \"nodes\""))
                .anyMatch(r -> r.contains("system:serviceaccount:dynamic-storage-pools:pool-storage-manager"));
        // a ServiceAccount no binding names gets nothing
        assertThat(code(() -> cluster.clientAs("nobody").nodes().list())).isEqualTo(403);
    }

    @Test
    void everyPermissionOfDeployIsRecordedWhenUsed() {
        cluster.addNode("n1", "k8s");
        int before = cluster.unusedPermissions().size();
        cluster.clientAs(Workload.AGENT).nodes().withName("n1").get();
        assertThat(cluster.unusedPermissions()).hasSize(before - 1)
                .noneMatch(g -> g.role().equals("ClusterRole/dynamic-storage-pools:pool-storage-manager") && g.resource().equals("nodes")
                        && g.verb().equals("get"));
    }

    private Event event(String namespace, String kind, String involvedNamespace, String reason) {
        return new EventBuilder().withNewMetadata().withName("e-" + System.nanoTime()).withNamespace(namespace).endMetadata()
                .withNewInvolvedObject().withKind(kind).withName("n1").withNamespace(involvedNamespace).endInvolvedObject()
                .withReason(reason).withMessage("something happened").withType("Normal").withNewSource().withComponent("test").endSource()
                .build();
    }

    @Test
    void eventsAreValidatedAsTheApiServerDoes() {
        KubernetesClient c = cluster.client;
        // a cluster-scoped object's Event outside default: 422, as ValidateEvent says
        assertThat(code(() -> c.v1().events().inNamespace(Names.NAMESPACE).resource(event(Names.NAMESPACE, "Node", null, "X")).create()))
                .isEqualTo(422);
        assertThat(code(() -> c.v1().events().inNamespace("default").resource(event("default", "Node", null, "X")).create())).isEqualTo(200);
        // involvedObject.namespace must be the Event's
        assertThat(code(() -> c.v1().events().inNamespace("default").resource(event("default", "PersistentVolumeClaim", "apps", "X")).create()))
                .isEqualTo(422);
        assertThat(code(() -> c.v1().events().inNamespace("apps").resource(event("apps", "PersistentVolumeClaim", "apps", "X")).create()))
                .isEqualTo(200);
        // what makes an Event readable: reason and type
        assertThat(code(() -> c.v1().events().inNamespace("default").resource(event("default", "Node", null, null)).create())).isEqualTo(422);
        Event wrongType = event("default", "Node", null, "X");
        wrongType.setType("Info");
        assertThat(code(() -> c.v1().events().inNamespace("default").resource(wrongType).create())).isEqualTo(422);
        assertThat(cluster.refusals()).anyMatch(r -> r.contains("must be in namespace default"));
    }

    private PersistentVolumeClaim claim(String name, String size) {
        return cluster.client.persistentVolumeClaims().inNamespace("default").resource(new PersistentVolumeClaimBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName("k8s-pool-storage")
                .withNewResources().addToRequests("storage", new Quantity(size)).endResources().endSpec()
                .withNewStatus().withPhase("Bound").endStatus().build()).create();
    }

    @Test
    void statusGoesThroughTheStatusSubresourceOnly() {
        PersistentVolumeClaim c = claim("c1", "1Gi");
        assertThat(c.getStatus() == null || c.getStatus().getPhase() == null).as("status sent on create is dropped").isTrue();
        var pvc = cluster.client.persistentVolumeClaims().inNamespace("default").withName("c1");
        pvc.edit(x -> {
            x.getMetadata().setLabels(Map.of("a", "b"));
            x.setStatus(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatusBuilder().withPhase("Bound").build());
            return x;
        });
        assertThat(pvc.get().getMetadata().getLabels()).containsEntry("a", "b");
        assertThat(pvc.get().getStatus() == null || pvc.get().getStatus().getPhase() == null).as("status sent on update is dropped").isTrue();
        pvc.editStatus(x -> {
            x.getMetadata().setLabels(Map.of("a", "changed"));
            x.setStatus(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatusBuilder().withPhase("Bound").build());
            return x;
        });
        assertThat(pvc.get().getStatus().getPhase()).isEqualTo("Bound");
        assertThat(pvc.get().getMetadata().getLabels()).as("metadata sent to /status is dropped").containsEntry("a", "b");

        StoragePool sp = new StoragePool();
        sp.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("k8s").build());
        sp.setStatus(new StoragePool.Status());
        sp.getStatus().servers = 3;
        assertThat(cluster.client.resources(StoragePool.class).resource(sp).create().getStatus()).as("CRD with subresources.status").isNull();
    }

    @Test
    void aStaleResourceVersionIsAConflict() {
        Node n = cluster.addNode("n1", null);
        cluster.label("n1", "k8s");
        n.getMetadata().setLabels(Map.of("pool", "vm"));
        assertThat(code(() -> cluster.client.nodes().resource(n).update())).isEqualTo(409);
        PersistentVolumeClaim c = claim("c1", "1Gi");
        cluster.client.persistentVolumeClaims().inNamespace("default").withName("c1").edit(x -> {
            x.getMetadata().setLabels(Map.of("a", "b"));
            return x;
        });
        c.setStatus(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatusBuilder().withPhase("Lost").build());
        assertThat(code(() -> cluster.client.persistentVolumeClaims().inNamespace("default").resource(c).updateStatus())).isEqualTo(409);
    }

    @Test
    void immutableFieldsAreRefused() {
        claim("c1", "2Gi");
        var pvc = cluster.client.persistentVolumeClaims().inNamespace("default").withName("c1");
        assertThat(code(() -> pvc.edit(x -> {
            x.getSpec().setStorageClassName("other");
            return x;
        }))).isEqualTo(422);
        assertThat(code(() -> pvc.edit(x -> {
            x.getSpec().getResources().getRequests().put("storage", new Quantity("3Gi"));
            return x;
        }))).as("a claim grows only once bound").isEqualTo(422);
        pvc.editStatus(x -> {
            x.setStatus(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatusBuilder().withPhase("Bound").build());
            return x;
        });
        assertThat(code(() -> pvc.edit(x -> {
            x.getSpec().getResources().getRequests().put("storage", new Quantity("3Gi"));
            return x;
        }))).isEqualTo(200);
        assertThat(code(() -> pvc.edit(x -> {
            x.getSpec().getResources().getRequests().put("storage", new Quantity("1Gi"));
            return x;
        }))).as("never shrinks").isEqualTo(422);

        cluster.client.persistentVolumes().resource(new PersistentVolumeBuilder().withNewMetadata().withName("pv1").endMetadata()
                .withNewSpec().addToCapacity("storage", new Quantity("1Gi")).withAccessModes("ReadWriteOnce")
                .withNewLocal().withPath("/k8s-storage-pool/pv1").endLocal()
                .withNewNodeAffinity().withNewRequired().addNewNodeSelectorTerm().addNewMatchExpression().withKey(Names.HOSTNAME_LABEL)
                .withOperator("In").withValues("n1").endMatchExpression().endNodeSelectorTerm().endRequired().endNodeAffinity()
                .endSpec().build()).create();
        var pv = cluster.client.persistentVolumes().withName("pv1");
        assertThat(code(() -> pv.edit(x -> {
            x.getSpec().getCapacity().put("storage", new Quantity("2Gi"));
            return x;
        }))).as("capacity may change").isEqualTo(200);
        assertThat(code(() -> pv.edit(x -> {
            x.getSpec().getLocal().setPath("/elsewhere");
            return x;
        }))).isEqualTo(422);
        assertThat(code(() -> pv.edit(x -> {
            x.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms().get(0).getMatchExpressions().get(0).setValues(java.util.List.of("n2"));
            return x;
        }))).isEqualTo(422);

        cluster.client.storage().v1().storageClasses().resource(new StorageClassBuilder().withNewMetadata().withName("sc").endMetadata()
                .withProvisioner(Names.PROVISIONER).addToParameters("pool", "k8s").build()).create();
        assertThat(code(() -> cluster.client.storage().v1().storageClasses().withName("sc").edit(x -> {
            x.setParameters(Map.of("pool", "vm"));
            return x;
        }))).isEqualTo(422);
    }

    @Test
    void aPausedApiServerCutsWatchesHangsRequestsAndInformersListAgainAfterwards() {
        cluster.addNode("n1", null);
        SharedIndexInformer<Node> nodes = cluster.clientAs(Workload.SCALING).nodes().inform();
        KubernetesClient retrying = cluster.clientAs(Workload.AGENT);
        // one attempt, no client-side retries: the outage itself is what is measured
        KubernetesClient agent = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(retrying.getConfiguration()).withRequestRetryBackoffLimit(0).build()).build();
        cluster.pause(Duration.ofSeconds(1));
        long start = System.nanoTime();
        assertThatThrownBy(() -> agent.nodes().withName("n1").get()).isInstanceOf(KubernetesClientException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("it hung first").isGreaterThanOrEqualTo(Duration.ofMillis(900));
        cluster.resume();
        // the admin client's first request after the outage may go out on a connection the pause cut (HttpClosedException):
        // make the changes idempotently until they are through
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            if (cluster.client.nodes().withName("n2").get() == null) {
                cluster.addNode("n2", null);
            }
            cluster.client.nodes().withName("n1").delete();
            return true;
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.getStore().getByKey("n2") != null && nodes.getStore().getByKey("n1") == null);
        assertThat(agent.nodes().withName("n2").get()).isNotNull();
        nodes.close();
        agent.close();
    }

    /**
     * A watch from a list's resourceVersion is told what changed after it (an informer's watch after its
     * list), not every stored object again as the bare mock tells it; a watch from no resourceVersion is
     * told every object, as a real API server's is.
     */
    @Test
    void aWatchFromAResourceVersionIsToldOnlyWhatChangedAfterIt() {
        cluster.addNode("before", null);
        String listed = cluster.client.nodes().list().getMetadata().getResourceVersion();
        cluster.addNode("between", null); // changed after the list, before the watch: told when it opens
        List<String> fromList = new CopyOnWriteArrayList<>();
        List<String> fromNothing = new CopyOnWriteArrayList<>();
        try (Watch a = cluster.client.nodes().watch(new ListOptionsBuilder().withResourceVersion(listed).build(), telling(fromList))) {
            cluster.addNode("after", null);
            // the events of one watch are told in order: "before", were it told, would come before "after"
            await().atMost(Duration.ofSeconds(30)).until(() -> fromList.contains("ADDED after"));
            assertThat(fromList).containsExactlyInAnyOrder("ADDED between", "ADDED after");
            try (Watch b = cluster.client.nodes().watch(telling(fromNothing))) {
                await().atMost(Duration.ofSeconds(30)).until(() -> fromNothing.size() >= 3);
                assertThat(fromNothing).containsExactlyInAnyOrder("ADDED before", "ADDED between", "ADDED after");
            }
        }
    }

    private static Watcher<Node> telling(List<String> told) {
        return new Watcher<>() {
            @Override
            public void eventReceived(Action action, Node node) {
                told.add(action + " " + node.getMetadata().getName());
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        };
    }
}
