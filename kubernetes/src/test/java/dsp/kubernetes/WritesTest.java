package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.kubernetes.Writes.Result;
import dsp.kubernetes.crd.StoragePool;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one write primitive on the strict cluster: each write says what it did, and an unchanged object is not written. */
class WritesTest {

    private final TestCluster cluster = new TestCluster();
    private final KubernetesClient client = cluster.client;

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void aConfigMapKeyIsCreatedThenLeftAloneThenPatched() {
        assertThat(Writes.configMapKey(client, Names.NAMESPACE, "figures", "k", "1", Map.of("by", "a"))).isEqualTo(Result.CREATED);
        String version = configMap().getMetadata().getResourceVersion();
        assertThat(Writes.configMapKey(client, Names.NAMESPACE, "figures", "k", "1", Map.of("by", "b"))).isEqualTo(Result.NOOP);
        assertThat(configMap().getMetadata().getResourceVersion()).as("nothing written").isEqualTo(version);
        assertThat(Writes.configMapKey(client, Names.NAMESPACE, "figures", "k", "2", Map.of("by", "b"))).isEqualTo(Result.PATCHED);
        assertThat(configMap().getData()).containsEntry("k", "2");
        assertThat(configMap().getMetadata().getAnnotations()).containsEntry("by", "b");
    }

    @Test
    void anEditThatChangesNothingWritesNothing() {
        cluster.addNode("k8s-1", "k8s");
        var node = client.nodes().withName("k8s-1");
        String version = node.get().getMetadata().getResourceVersion();
        assertThat(Writes.edit(client, node, n -> n)).isEqualTo(Result.NOOP);
        assertThat(Writes.edit(client, node, n -> {
            n.getMetadata().getLabels().put(Names.POOL_LABEL, "k8s"); // the label it already has
            return n;
        })).isEqualTo(Result.NOOP);
        assertThat(node.get().getMetadata().getResourceVersion()).isEqualTo(version);
        assertThat(Writes.edit(client, node, n -> {
            n.getMetadata().getLabels().put(Names.POOL_LABEL, "vm");
            return n;
        })).isEqualTo(Result.PATCHED);
        assertThat(node.get().getMetadata().getLabels()).containsEntry(Names.POOL_LABEL, "vm");
    }

    @Test
    void aWriteThatChangesNothingSendsNoRequestAndAChangeSendsOnePatch() {
        cluster.addNode("k8s-1", "k8s");
        try (RequestLog log = new RequestLog(client)) {
            var node = log.client.nodes().withName("k8s-1");
            assertThat(Writes.edit(log.client, node, n -> {
                n.getMetadata().getLabels().put(Names.POOL_LABEL, "k8s");
                return n;
            })).isEqualTo(Result.NOOP);
            assertThat(log.writes()).as("nothing to change: no write").isEmpty();

            List<Node> after = new ArrayList<>();
            assertThat(Writes.editExisting(log.client, node, n -> {
                n.getMetadata().getLabels().put(Names.POOL_LABEL, "vm");
                return n;
            }, after::add)).isEqualTo(Result.PATCHED);
            assertThat(log.writes()).containsExactly("PATCH /api/v1/nodes/k8s-1");
            assertThat(after).singleElement().satisfies(n -> {
                assertThat(n.getMetadata().getLabels()).containsEntry(Names.POOL_LABEL, "vm");
                assertThat(n.getMetadata().getResourceVersion()).isEqualTo(client.nodes().withName("k8s-1").get().getMetadata().getResourceVersion());
            });

            log.clear();
            after.clear();
            assertThat(Writes.editExisting(log.client, node, n -> n, after::add)).isEqualTo(Result.NOOP);
            assertThat(log.writes()).isEmpty();
            assertThat(after).as("the object as read").singleElement()
                    .satisfies(n -> assertThat(n.getMetadata().getLabels()).containsEntry(Names.POOL_LABEL, "vm"));
        }
    }

    @Test
    void anEditOfWhatMustBeThereIsANotFoundWhenItIsGone() {
        assertThatThrownBy(() -> Writes.editExisting(client, client.nodes().withName("gone"), n -> n))
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(404));
        assertThat(client.nodes().withName("gone").get()).isNull();
    }

    @Test
    void anObjectThatIsGoneIsNotWrittenNorMadeAgain() {
        var missing = client.nodes().withName("gone");
        assertThat(Writes.edit(client, missing, n -> {
            n.getMetadata().setLabels(Map.of("x", "y"));
            return n;
        })).isEqualTo(Result.NOOP);
        assertThat(missing.get()).isNull();
    }

    @Test
    void deleteSaysWhetherThereWasSomethingToDelete() {
        Writes.configMapKey(client, Names.NAMESPACE, "figures", "k", "1", Map.of());
        var cm = client.configMaps().inNamespace(Names.NAMESPACE).withName("figures");
        assertThat(Writes.delete(cm)).isEqualTo(Result.DELETED);
        assertThat(Writes.delete(cm)).isEqualTo(Result.NOOP);
    }

    @Test
    void aStatusIsWrittenThroughItsSubresource() {
        StoragePool fresh = new StoragePool();
        fresh.setMetadata(new ObjectMetaBuilder().withName("k8s").build());
        fresh.setSpec(new StoragePool.Spec());
        var pool = client.resources(StoragePool.class).withName("k8s");
        assertThat(Writes.createOrEdit(client, pool, fresh, p -> p)).isEqualTo(Result.CREATED);
        assertThat(Writes.createOrEdit(client, pool, fresh, p -> p)).isEqualTo(Result.NOOP);
        assertThat(Writes.editStatus(client, pool, p -> {
            p.setStatus(new StoragePool.Status());
            p.getStatus().servers = 2;
            return p;
        })).isEqualTo(Result.PATCHED);
        assertThat(pool.get().getStatus().servers).isEqualTo(2);
        assertThat(Writes.editStatus(client, pool, p -> {
            p.getStatus().servers = 2;
            return p;
        })).isEqualTo(Result.NOOP);
    }

    private ConfigMap configMap() {
        return client.configMaps().inNamespace(Names.NAMESPACE).withName("figures").get();
    }
}
