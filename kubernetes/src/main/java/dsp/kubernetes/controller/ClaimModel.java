package dsp.kubernetes.controller;

import dsp.core.DomainException;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.kubernetes.Names;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TopologySelectorLabelRequirement;
import io.fabric8.kubernetes.api.model.TopologySelectorTerm;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the provisioner decides about a claim from the claim, its class and the configured pools
 * alone (no I/O): whether it is ours, what it is refused for, the pool and bytes it asks for, and
 * the PV that serves it. {@link Provisioner} asks the caches and the fleet, and writes.
 */
final class ClaimModel {

    private ClaimModel() {
    }

    /** What to do with an unbound claim that names this provisioner, before the fleet is asked. */
    sealed interface Verdict {
    }

    /** Not this provisioner's (its class names another). */
    record Ignore() implements Verdict {
    }

    /** Refused with a {@code ProvisioningFailed} Event; the claim stays Pending. */
    record Refuse(String message) implements Verdict {
    }

    /** WaitForFirstConsumer and the scheduler has not chosen a node yet. */
    record WaitForNode() implements Verdict {
    }

    /** To be admitted in this pool, on this node (null: anywhere the class allows). */
    record Provision(PoolDefinition pool, String node) implements Verdict {
    }

    /** A live, unbound claim is this provisioner's to look at when its storage-provisioner annotation names it. */
    static boolean forUs(PersistentVolumeClaim claim) {
        return claim.getMetadata().getDeletionTimestamp() == null && namesUs(claim);
    }

    /** The storage-provisioner annotation (GA, else beta) names this provisioner. */
    static boolean namesUs(PersistentVolumeClaim claim) {
        Map<String, String> ann = claim.getMetadata().getAnnotations() == null ? Map.of() : claim.getMetadata().getAnnotations();
        return Names.PROVISIONER.equals(ann.getOrDefault(Names.STORAGE_PROVISIONER_ANN, ann.get(Names.BETA_STORAGE_PROVISIONER_ANN)));
    }

    /**
     * The claim (named {@code className}, whose class is {@code sc}, null when it does not exist):
     * in this order, a missing class, another provisioner's class, what a directory cannot be, a
     * class naming no pool, a node not chosen yet under WaitForFirstConsumer.
     */
    static Verdict verdict(PersistentVolumeClaim claim, String className, StorageClass sc, PoolCatalog catalog) {
        if (sc == null) {
            return new Refuse("storage class " + className + " does not exist; the claim is provisioned once it does");
        }
        if (!Names.PROVISIONER.equals(sc.getProvisioner())) {
            return new Ignore();
        }
        Optional<String> refusal = unsupported(claim);
        if (refusal.isPresent()) {
            return new Refuse(refusal.get());
        }
        Optional<PoolDefinition> pool = poolOf(sc, catalog);
        if (pool.isEmpty()) {
            return new Refuse("storage class " + sc.getMetadata().getName() + " names no configured pool (parameter pool="
                    + param(sc, "pool") + "); pools are " + catalog.pools().stream().map(PoolDefinition::name).toList());
        }
        String node = selectedNode(claim);
        if (node == null && "WaitForFirstConsumer".equals(sc.getVolumeBindingMode())) {
            return new WaitForNode();
        }
        return new Provision(pool.get(), node);
    }

    /** What a directory volume cannot be, in the words the claim's owner needs; empty when it can be served. */
    static Optional<String> unsupported(PersistentVolumeClaim claim) {
        var spec = claim.getSpec();
        if ("Block".equals(spec.getVolumeMode())) {
            return Optional.of(Names.PROVISIONER + " does not support block volume provisioning: its volumes are directories "
                    + "(volumeMode Filesystem)");
        }
        List<String> modes = spec.getAccessModes() == null ? List.of() : spec.getAccessModes();
        for (String mode : modes) {
            if ("ReadWriteOncePod".equals(mode)) {
                return Optional.of("access mode ReadWriteOncePod is not supported: Kubernetes enforces it for CSI volumes only and these "
                        + "are local volumes; ask for ReadWriteOnce");
            }
            if (!"ReadWriteOnce".equals(mode)) {
                return Optional.of("access mode " + mode + " is not supported: a local directory is reachable from its own node only "
                        + "and a new one is empty; ask for ReadWriteOnce");
            }
        }
        if (spec.getDataSource() != null || spec.getDataSourceRef() != null) {
            var source = spec.getDataSourceRef() != null ? spec.getDataSourceRef().getKind() + " " + spec.getDataSourceRef().getName()
                    : spec.getDataSource().getKind() + " " + spec.getDataSource().getName();
            return Optional.of("a volume from a data source (" + source + ") is not supported: a new volume is an empty directory; "
                    + "copy the data in after it is bound");
        }
        if (spec.getSelector() != null) {
            return Optional.of("claim selector is not supported: a new volume has no labels to select; remove spec.selector");
        }
        return Optional.empty();
    }

    /** The class's pool: its {@code pool} parameter, else the pool configured with this class's name. */
    static Optional<PoolDefinition> poolOf(StorageClass sc, PoolCatalog catalog) {
        String p = param(sc, "pool");
        if (p != null) {
            return catalog.find(p);
        }
        return catalog.pools().stream().filter(d -> sc.getMetadata().getName().equals(d.storageClass())).findFirst();
    }

    private static String param(StorageClass sc, String key) {
        return sc.getParameters() == null ? null : sc.getParameters().get(key);
    }

    /** The node the scheduler chose (WaitForFirstConsumer), or null. */
    static String selectedNode(PersistentVolumeClaim claim) {
        Map<String, String> ann = claim.getMetadata().getAnnotations();
        String node = ann == null ? null : ann.get(Names.SELECTED_NODE_ANN);
        return node == null || node.isEmpty() ? null : node;
    }

    /** The bytes the claim requests, rounded up; refused when it requests none or more than a long holds. */
    static long requestBytes(PersistentVolumeClaim claim) {
        Quantity q = claim.getSpec().getResources() == null || claim.getSpec().getResources().getRequests() == null
                ? null : claim.getSpec().getResources().getRequests().get("storage");
        if (q == null) {
            throw DomainException.invalid("claim requests no storage (spec.resources.requests.storage)");
        }
        try {
            return Quantity.getAmountInBytes(q).setScale(0, RoundingMode.UP).longValueExact();
        } catch (ArithmeticException e) {
            throw DomainException.invalid("claim requests " + q + ", more than any pool can hold");
        }
    }

    static List<TopologySelectorTerm> allowedTopologies(StorageClass sc) {
        return sc.getAllowedTopologies() == null ? List.of() : sc.getAllowedTopologies();
    }

    /** A node matches when one term's every requirement holds for its labels (terms are ORed, requirements ANDed). */
    static boolean matches(List<TopologySelectorTerm> terms, Node node) {
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        for (TopologySelectorTerm term : terms) {
            List<TopologySelectorLabelRequirement> reqs = term.getMatchLabelExpressions() == null ? List.of() : term.getMatchLabelExpressions();
            if (reqs.stream().allMatch(r -> r.getValues() != null && r.getValues().contains(labels.get(r.getKey())))) {
                return true;
            }
        }
        return false;
    }

    /** A PV this provisioner made (its provisioned-by annotation names it). */
    static boolean ours(PersistentVolume pv) {
        return pv.getMetadata().getAnnotations() != null && Names.PROVISIONER.equals(pv.getMetadata().getAnnotations().get(Names.PROVISIONED_BY_ANN));
    }

    /**
     * The PV of a claim's volume: a {@code local} volume at the pool's path on its node, required
     * node affinity to that node, capacity = the request, the class's reclaim policy and mount
     * options, provisioned-by and the provisioner's finalizer, bound to the claim by uid.
     */
    static PersistentVolume localVolume(PersistentVolumeClaim claim, StorageClass sc, PoolDefinition pool, String node, String name) {
        return new PersistentVolumeBuilder()
                .withNewMetadata().withName(name)
                .addToAnnotations(Names.PROVISIONED_BY_ANN, Names.PROVISIONER)
                .addToLabels(Names.POOL_NAME_LABEL, pool.name())
                .addToLabels(Names.NODE_LABEL, Names.nodeLabelValue(node))
                .addToFinalizers(Provisioner.PV_FINALIZER)
                .endMetadata()
                .withNewSpec()
                .addToCapacity("storage", claim.getSpec().getResources().getRequests().get("storage"))
                .withAccessModes(claim.getSpec().getAccessModes())
                .withVolumeMode("Filesystem")
                .withPersistentVolumeReclaimPolicy(sc.getReclaimPolicy() == null ? "Delete" : sc.getReclaimPolicy())
                .withStorageClassName(sc.getMetadata().getName())
                .withMountOptions(sc.getMountOptions())
                .withNewLocal().withPath(pool.path() + "/" + name).endLocal()
                .withNewNodeAffinity().withNewRequired().addNewNodeSelectorTerm().addNewMatchExpression()
                .withKey(Names.HOSTNAME_LABEL).withOperator("In").withValues(node)
                .endMatchExpression().endNodeSelectorTerm().endRequired().endNodeAffinity()
                .withClaimRef(new ObjectReferenceBuilder().withApiVersion("v1").withKind("PersistentVolumeClaim")
                        .withNamespace(claim.getMetadata().getNamespace()).withName(claim.getMetadata().getName())
                        .withUid(claim.getMetadata().getUid()).withResourceVersion(claim.getMetadata().getResourceVersion()).build())
                .endSpec().build();
    }
}
