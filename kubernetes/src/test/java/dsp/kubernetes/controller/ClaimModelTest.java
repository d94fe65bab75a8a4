package dsp.kubernetes.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.kubernetes.Names;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TopologySelectorTerm;
import io.fabric8.kubernetes.api.model.TopologySelectorTermBuilder;
import io.fabric8.kubernetes.api.model.TypedLocalObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.TypedObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Which claims the provisioner acts on, what it refuses, and the PV it makes: no API server. */
class ClaimModelTest {

    static final PoolCatalog POOLS = PoolCatalog.guideDefaults();
    static final PoolDefinition K8S = POOLS.find("k8s").orElseThrow();

    /** A claim of 10Gi, ReadWriteOnce, Filesystem, class k8s-pool-storage, naming this provisioner. */
    static PersistentVolumeClaimBuilder claim() {
        return new PersistentVolumeClaimBuilder()
                .withNewMetadata().withNamespace("apps").withName("data").withUid("u-1").withResourceVersion("7")
                .addToAnnotations(Names.STORAGE_PROVISIONER_ANN, Names.PROVISIONER).endMetadata()
                .withNewSpec().withStorageClassName("k8s-pool-storage").withAccessModes("ReadWriteOnce").withVolumeMode("Filesystem")
                .withNewResources().addToRequests("storage", new Quantity("10Gi")).endResources().endSpec();
    }

    static PersistentVolumeClaim claim(UnaryOperator<PersistentVolumeClaimBuilder> edit) {
        return edit.apply(claim()).build();
    }

    /** The guide's class for pool k8s: this provisioner, WaitForFirstConsumer. */
    static StorageClassBuilder storageClass() {
        return new StorageClassBuilder().withNewMetadata().withName("k8s-pool-storage").endMetadata()
                .withProvisioner(Names.PROVISIONER).withVolumeBindingMode("WaitForFirstConsumer");
    }

    private static PersistentVolumeClaim annotated(Map<String, String> annotations) {
        return claim(c -> c.editMetadata().withAnnotations(annotations).endMetadata());
    }

    @Nested
    class WhichClaimsAreOurs {

        @Test
        void theStorageProvisionerAnnotationNamesUs() {
            assertThat(ClaimModel.namesUs(annotated(Map.of(Names.STORAGE_PROVISIONER_ANN, Names.PROVISIONER)))).isTrue();
            assertThat(ClaimModel.namesUs(annotated(Map.of(Names.BETA_STORAGE_PROVISIONER_ANN, Names.PROVISIONER)))).isTrue();
        }

        @Test
        void aClaimNamingAnotherProvisionerIsNotOurs() {
            assertThat(ClaimModel.namesUs(annotated(Map.of(Names.STORAGE_PROVISIONER_ANN, "ebs.csi.aws.com")))).isFalse();
            assertThat(ClaimModel.namesUs(annotated(Map.of(Names.BETA_STORAGE_PROVISIONER_ANN, "ebs.csi.aws.com")))).isFalse();
            assertThat(ClaimModel.forUs(annotated(Map.of(Names.STORAGE_PROVISIONER_ANN, "ebs.csi.aws.com")))).isFalse();
        }

        @Test
        void theGaAnnotationWinsOverTheBetaOne() {
            assertThat(ClaimModel.namesUs(annotated(Map.of(Names.STORAGE_PROVISIONER_ANN, "ebs.csi.aws.com",
                    Names.BETA_STORAGE_PROVISIONER_ANN, Names.PROVISIONER)))).isFalse();
            assertThat(ClaimModel.namesUs(annotated(Map.of(Names.STORAGE_PROVISIONER_ANN, Names.PROVISIONER,
                    Names.BETA_STORAGE_PROVISIONER_ANN, "ebs.csi.aws.com")))).isTrue();
        }

        @Test
        void aClaimWithoutAnnotationsIsNotOurs() {
            assertThat(ClaimModel.namesUs(claim(c -> c.editMetadata().withAnnotations(null).endMetadata()))).isFalse();
            assertThat(ClaimModel.namesUs(annotated(Map.of()))).isFalse();
        }

        @Test
        void aClaimBeingDeletedIsLeftAlone() {
            assertThat(ClaimModel.forUs(claim().build())).isTrue();
            assertThat(ClaimModel.forUs(claim(c -> c.editMetadata().withDeletionTimestamp("2026-11-26T15:00:00Z").endMetadata()))).isFalse();
        }

        @Test
        void aPvIsOursWhenProvisionedByUs() {
            assertThat(ClaimModel.ours(pv(Map.of(Names.PROVISIONED_BY_ANN, Names.PROVISIONER)))).isTrue();
            assertThat(ClaimModel.ours(pv(Map.of(Names.PROVISIONED_BY_ANN, "kubernetes.io/no-provisioner")))).isFalse();
            assertThat(ClaimModel.ours(pv(Map.of()))).isFalse();
            assertThat(ClaimModel.ours(pv(null))).isFalse();
        }

        private PersistentVolume pv(Map<String, String> annotations) {
            return new PersistentVolumeBuilder().withNewMetadata().withName("pvc-u-1").withAnnotations(annotations).endMetadata().build();
        }
    }

    @Nested
    class Verdicts {

        @Test
        void aMissingClassIsARefusalThatNamesIt() {
            assertThat(ClaimModel.verdict(claim().build(), "gold", null, POOLS))
                    .isEqualTo(new ClaimModel.Refuse("storage class gold does not exist; the claim is provisioned once it does"));
        }

        @Test
        void aClassOfAnotherProvisionerIsIgnored() {
            assertThat(ClaimModel.verdict(claim().build(), "k8s-pool-storage", storageClass().withProvisioner("ebs.csi.aws.com").build(), POOLS))
                    .isEqualTo(new ClaimModel.Ignore());
        }

        @Test
        void whatADirectoryCannotBeIsRefused() {
            assertThat(ClaimModel.verdict(claim(c -> c.editSpec().withVolumeMode("Block").endSpec()), "k8s-pool-storage",
                    storageClass().build(), POOLS)).isInstanceOf(ClaimModel.Refuse.class)
                    .extracting(v -> ((ClaimModel.Refuse) v).message()).asString().contains("block volume");
        }

        @Test
        void aClassNamingNoConfiguredPoolIsRefusedWithThePoolsThereAre() {
            StorageClass sc = storageClass().withParameters(Map.of("pool", "gold")).build();
            assertThat(ClaimModel.verdict(claim().build(), "k8s-pool-storage", sc, POOLS)).isEqualTo(new ClaimModel.Refuse(
                    "storage class k8s-pool-storage names no configured pool (parameter pool=gold); pools are [k8s, vm]"));
            StorageClass unnamed = storageClass().editMetadata().withName("other").endMetadata().build();
            assertThat(ClaimModel.verdict(claim().build(), "other", unnamed, POOLS)).isEqualTo(new ClaimModel.Refuse(
                    "storage class other names no configured pool (parameter pool=null); pools are [k8s, vm]"));
        }

        @Test
        void waitForFirstConsumerWaitsForTheSchedulersNode() {
            assertThat(ClaimModel.verdict(claim().build(), "k8s-pool-storage", storageClass().build(), POOLS))
                    .isEqualTo(new ClaimModel.WaitForNode());
            PersistentVolumeClaim blank = claim(c -> c.editMetadata().addToAnnotations(Names.SELECTED_NODE_ANN, "").endMetadata());
            assertThat(ClaimModel.verdict(blank, "k8s-pool-storage", storageClass().build(), POOLS)).isEqualTo(new ClaimModel.WaitForNode());
            PersistentVolumeClaim chosen = claim(c -> c.editMetadata().addToAnnotations(Names.SELECTED_NODE_ANN, "k8s-1").endMetadata());
            assertThat(ClaimModel.verdict(chosen, "k8s-pool-storage", storageClass().build(), POOLS))
                    .isEqualTo(new ClaimModel.Provision(K8S, "k8s-1"));
        }

        @Test
        void immediateBindingProvisionsWithoutANode() {
            StorageClass immediate = storageClass().withVolumeBindingMode("Immediate").build();
            assertThat(ClaimModel.verdict(claim().build(), "k8s-pool-storage", immediate, POOLS)).isEqualTo(new ClaimModel.Provision(K8S, null));
            StorageClass unset = storageClass().withVolumeBindingMode(null).build();
            assertThat(ClaimModel.verdict(claim().build(), "k8s-pool-storage", unset, POOLS)).isEqualTo(new ClaimModel.Provision(K8S, null));
        }

        @Test
        void theClassPicksItsPoolByParameterElseByName() {
            StorageClass byParameter = storageClass().editMetadata().withName("fast").endMetadata().withParameters(Map.of("pool", "vm")).build();
            assertThat(ClaimModel.poolOf(byParameter, POOLS)).contains(POOLS.find("vm").orElseThrow());
            assertThat(ClaimModel.poolOf(storageClass().build(), POOLS)).contains(K8S);
            assertThat(ClaimModel.poolOf(storageClass().withParameters(Map.of("other", "x")).build(), POOLS)).contains(K8S);
            assertThat(ClaimModel.poolOf(storageClass().editMetadata().withName("vm-pool-storage").endMetadata().build(), POOLS))
                    .contains(POOLS.find("vm").orElseThrow());
        }
    }

    @Nested
    class Refusals {

        @Test
        void aClaimADirectoryCanServeIsNotRefused() {
            assertThat(ClaimModel.unsupported(claim().build())).isEmpty();
            assertThat(ClaimModel.unsupported(claim(c -> c.editSpec().withAccessModes((List<String>) null).withVolumeMode(null).endSpec())))
                    .isEmpty();
        }

        @Test
        void blockVolumesAreRefused() {
            assertThat(ClaimModel.unsupported(claim(c -> c.editSpec().withVolumeMode("Block").endSpec()))).contains(Names.PROVISIONER
                    + " does not support block volume provisioning: its volumes are directories (volumeMode Filesystem)");
        }

        @Test
        void onlyReadWriteOnceIsServed() {
            assertThat(ClaimModel.unsupported(claim(c -> c.editSpec().withAccessModes("ReadWriteOncePod").endSpec()))).contains(
                    "access mode ReadWriteOncePod is not supported: Kubernetes enforces it for CSI volumes only and these are local volumes; "
                            + "ask for ReadWriteOnce");
            assertThat(ClaimModel.unsupported(claim(c -> c.editSpec().withAccessModes("ReadWriteOnce", "ReadWriteMany").endSpec()))).contains(
                    "access mode ReadWriteMany is not supported: a local directory is reachable from its own node only and a new one is empty; "
                            + "ask for ReadWriteOnce");
            assertThat(ClaimModel.unsupported(claim(c -> c.editSpec().withAccessModes("ReadOnlyMany").endSpec())))
                    .hasValueSatisfying(m -> assertThat(m).startsWith("access mode ReadOnlyMany is not supported"));
        }

        @Test
        void aDataSourceIsRefusedNamingIt() {
            assertThat(ClaimModel.unsupported(claim(c -> c.editSpec().withDataSource(new TypedLocalObjectReferenceBuilder()
                    .withKind("VolumeSnapshot").withName("snap-1").build()).endSpec()))).contains(
                    "a volume from a data source (VolumeSnapshot snap-1) is not supported: a new volume is an empty directory; "
                            + "copy the data in after it is bound");
            assertThat(ClaimModel.unsupported(claim(c -> c.editSpec().withDataSource(new TypedLocalObjectReferenceBuilder()
                    .withKind("PersistentVolumeClaim").withName("old").build()).withDataSourceRef(new TypedObjectReferenceBuilder()
                    .withKind("Populator").withName("p-1").build()).endSpec())))
                    .hasValueSatisfying(m -> assertThat(m).startsWith("a volume from a data source (Populator p-1) is not supported"));
            assertThat(ClaimModel.unsupported(claim(c -> c.editSpec().withDataSourceRef(new TypedObjectReferenceBuilder()
                    .withKind("Populator").withName("p-2").build()).endSpec())))
                    .hasValueSatisfying(m -> assertThat(m).startsWith("a volume from a data source (Populator p-2) is not supported"));
        }

        @Test
        void aSelectorIsRefused() {
            assertThat(ClaimModel.unsupported(claim(c -> c.editSpec().withSelector(new LabelSelectorBuilder()
                    .addToMatchLabels("tier", "gold").build()).endSpec())))
                    .contains("claim selector is not supported: a new volume has no labels to select; remove spec.selector");
        }
    }

    @Nested
    class RequestedBytes {

        @Test
        void theRequestInBytesRoundedUp() {
            assertThat(ClaimModel.requestBytes(claim().build())).isEqualTo(10L * 1024 * 1024 * 1024);
            assertThat(ClaimModel.requestBytes(withRequest("1500m"))).isEqualTo(2);
            assertThat(ClaimModel.requestBytes(withRequest("1"))).isEqualTo(1);
        }

        @Test
        void aClaimRequestingNoStorageIsInvalid() {
            assertThatThrownBy(() -> ClaimModel.requestBytes(claim(c -> c.editSpec().withResources(null).endSpec())))
                    .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(DomainException.Code.INVALID))
                    .hasMessage("claim requests no storage (spec.resources.requests.storage)");
            assertThatThrownBy(() -> ClaimModel.requestBytes(claim(c -> c.editSpec().editResources().withRequests(null).endResources().endSpec())))
                    .hasMessage("claim requests no storage (spec.resources.requests.storage)");
            assertThatThrownBy(() -> ClaimModel.requestBytes(claim(c -> c.editSpec().editResources()
                    .withRequests(Map.of("cpu", new Quantity("1"))).endResources().endSpec())))
                    .hasMessage("claim requests no storage (spec.resources.requests.storage)");
        }

        @Test
        void aRequestBeyondALongIsInvalid() {
            assertThatThrownBy(() -> ClaimModel.requestBytes(withRequest("100Ei")))
                    .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(DomainException.Code.INVALID))
                    .hasMessage("claim requests 100Ei, more than any pool can hold");
        }

        private PersistentVolumeClaim withRequest(String q) {
            return claim(c -> c.editSpec().editResources().withRequests(Map.of("storage", new Quantity(q))).endResources().endSpec());
        }
    }

    @Nested
    class AllowedTopologies {

        private final TopologySelectorTerm zoneA = term("zone", "a");
        private final TopologySelectorTerm zoneBOnRack1 = new TopologySelectorTermBuilder()
                .addNewMatchLabelExpression().withKey("zone").withValues("b").endMatchLabelExpression()
                .addNewMatchLabelExpression().withKey("rack").withValues("1", "2").endMatchLabelExpression().build();

        private TopologySelectorTerm term(String key, String... values) {
            return new TopologySelectorTermBuilder().addNewMatchLabelExpression().withKey(key).withValues(values).endMatchLabelExpression().build();
        }

        private Node node(Map<String, String> labels) {
            return new NodeBuilder().withNewMetadata().withName("n").withLabels(labels).endMetadata().build();
        }

        @Test
        void termsAreOredAndTheirRequirementsAnded() {
            List<TopologySelectorTerm> terms = List.of(zoneA, zoneBOnRack1);
            assertThat(ClaimModel.matches(terms, node(Map.of("zone", "a")))).isTrue();
            assertThat(ClaimModel.matches(terms, node(Map.of("zone", "b", "rack", "2")))).isTrue();
            assertThat(ClaimModel.matches(terms, node(Map.of("zone", "b")))).isFalse();
            assertThat(ClaimModel.matches(terms, node(Map.of("zone", "b", "rack", "3")))).isFalse();
            assertThat(ClaimModel.matches(terms, node(Map.of("zone", "c", "rack", "1")))).isFalse();
        }

        @Test
        void aNodeWithoutLabelsOrARequirementWithoutValuesMatchesNothing() {
            assertThat(ClaimModel.matches(List.of(zoneA), node(null))).isFalse();
            TopologySelectorTerm noValues = new TopologySelectorTermBuilder().addNewMatchLabelExpression().withKey("zone").withValues((List<String>) null)
                    .endMatchLabelExpression().build();
            assertThat(ClaimModel.matches(List.of(noValues), node(Map.of("zone", "a")))).isFalse();
            assertThat(ClaimModel.matches(List.of(), node(Map.of("zone", "a")))).isFalse();
        }

        @Test
        void aTermWithoutRequirementsMatchesEveryNode() {
            TopologySelectorTerm empty = new TopologySelectorTermBuilder().withMatchLabelExpressions((List<io.fabric8.kubernetes.api.model.TopologySelectorLabelRequirement>) null).build();
            assertThat(ClaimModel.matches(List.of(empty), node(Map.of()))).isTrue();
        }

        @Test
        void aClassWithoutTopologiesAllowsAll() {
            assertThat(ClaimModel.allowedTopologies(storageClass().build())).isEmpty();
            assertThat(ClaimModel.allowedTopologies(storageClass().withAllowedTopologies(zoneA).build())).containsExactly(zoneA);
        }
    }

    @Nested
    class ThePersistentVolume {

        @Test
        void aLocalVolumeAtThePoolPathPinnedToItsNodeAndBoundToTheClaim() {
            PersistentVolumeClaim c = claim(b -> b.editSpec().withAccessModes("ReadWriteOnce").endSpec());
            StorageClass sc = storageClass().withReclaimPolicy("Retain").withMountOptions("noatime").build();
            PersistentVolume pv = ClaimModel.localVolume(c, sc, K8S, "k8s-1", "pvc-u-1");

            assertThat(pv.getMetadata().getName()).isEqualTo("pvc-u-1");
            assertThat(pv.getMetadata().getAnnotations()).containsExactly(Map.entry(Names.PROVISIONED_BY_ANN, Names.PROVISIONER));
            assertThat(pv.getMetadata().getLabels()).containsOnly(Map.entry(Names.POOL_NAME_LABEL, "k8s"),
                    Map.entry(Names.NODE_LABEL, Names.nodeLabelValue("k8s-1")));
            assertThat(pv.getMetadata().getFinalizers()).containsExactly(Provisioner.PV_FINALIZER);
            assertThat(pv.getSpec().getCapacity()).containsExactly(Map.entry("storage", new Quantity("10Gi")));
            assertThat(pv.getSpec().getAccessModes()).containsExactly("ReadWriteOnce");
            assertThat(pv.getSpec().getVolumeMode()).isEqualTo("Filesystem");
            assertThat(pv.getSpec().getPersistentVolumeReclaimPolicy()).isEqualTo("Retain");
            assertThat(pv.getSpec().getStorageClassName()).isEqualTo("k8s-pool-storage");
            assertThat(pv.getSpec().getMountOptions()).containsExactly("noatime");
            assertThat(pv.getSpec().getLocal().getPath()).isEqualTo("/k8s-storage-pool/pvc-u-1");
            var term = pv.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms();
            assertThat(term).singleElement().satisfies(t -> assertThat(t.getMatchExpressions()).singleElement().satisfies(e -> {
                assertThat(e.getKey()).isEqualTo(Names.HOSTNAME_LABEL);
                assertThat(e.getOperator()).isEqualTo("In");
                assertThat(e.getValues()).containsExactly("k8s-1");
            }));
            var ref = pv.getSpec().getClaimRef();
            assertThat(List.of(ref.getApiVersion(), ref.getKind(), ref.getNamespace(), ref.getName(), ref.getUid(), ref.getResourceVersion()))
                    .containsExactly("v1", "PersistentVolumeClaim", "apps", "data", "u-1", "7");
            assertThat(ClaimModel.ours(pv)).isTrue();
        }

        @Test
        void aClassWithoutReclaimPolicyDeletes() {
            PersistentVolume pv = ClaimModel.localVolume(claim().build(), storageClass().build(), K8S, "k8s-1", "pvc-u-1");
            assertThat(pv.getSpec().getPersistentVolumeReclaimPolicy()).isEqualTo("Delete");
            assertThat(pv.getSpec().getMountOptions()).isEmpty();
        }
    }
}
