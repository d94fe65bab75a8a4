package dsp.kubernetes;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TopologySelectorLabelRequirement;
import io.fabric8.kubernetes.api.model.TopologySelectorTerm;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import io.fabric8.kubernetes.api.model.storage.CSIStorageCapacity;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * kube-scheduler's VolumeBinding Filter for a pod with one unbound WaitForFirstConsumer claim,
 * over the objects in the cluster, as {@code pkg/scheduler/framework/plugins/volumebinding/binder.go}
 * does it (a model, so our tests see what the real scheduler would decide):
 * <ul>
 *   <li>{@code FindPodVolumes}: a claim that already carries {@code volume.kubernetes.io/selected-node}
 *       fits only that node ({@code ErrReasonBindConflict} elsewhere).</li>
 *   <li>{@code checkVolumeProvisions}: the claim's class must exist and name a provisioner (not
 *       {@code kubernetes.io/no-provisioner}); the node's labels must match the class's
 *       {@code allowedTopologies} ({@code v1helper.MatchTopologySelectorTerms}: no terms match every
 *       node, terms are ORed, expressions within a term ANDed, each is "label present with one of the
 *       values").</li>
 *   <li>{@code hasEnoughCapacity}: the CSIDriver is looked up <em>by the class's provisioner name</em>;
 *       none, or one without {@code storageCapacity: true}, means no capacity check. Otherwise some
 *       CSIStorageCapacity (any namespace) of that class must have {@code capacitySufficient}
 *       ({@code maximumVolumeSize} if set, else {@code capacity}, ≥ the request) and
 *       {@code nodeHasAccess} ({@code nodeTopology} as a label selector matching the node's labels;
 *       a missing topology matches no node), else {@code ErrReasonNotEnoughSpace}.</li>
 * </ul>
 * Not modelled: binding to existing unbound PVs ({@code findMatchingVolumes}; our classes only
 * provision) and CSI migration of in-tree volumes.
 */
final class VolumeBindingFilter {

    static final String BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
    static final String NOT_ENOUGH_SPACE = "node(s) did not have enough free storage";
    private static final String NO_PROVISIONER = "kubernetes.io/no-provisioner";

    private final Function<String, StorageClass> classes;
    private final Function<String, CSIDriver> drivers;
    private final Supplier<List<CSIStorageCapacity>> capacities;

    VolumeBindingFilter(Function<String, StorageClass> classes, Function<String, CSIDriver> drivers,
                        Supplier<List<CSIStorageCapacity>> capacities) {
        this.classes = classes;
        this.drivers = drivers;
        this.capacities = capacities;
    }

    /** Reads the API server on every question (what the scheduler's caches hold once they caught up). */
    static VolumeBindingFilter reading(KubernetesClient client) {
        var storage = client.storage().v1();
        return new VolumeBindingFilter(name -> storage.storageClasses().withName(name).get(),
                name -> storage.csiDrivers().withName(name).get(),
                () -> storage.csiStorageCapacities().inAnyNamespace().list().getItems());
    }

    /** Reads informer caches, as the scheduler's listers do (and so lags behind the API server as they do). */
    static VolumeBindingFilter listing(SharedIndexInformer<StorageClass> classes, SharedIndexInformer<CSIDriver> drivers,
                                       SharedIndexInformer<CSIStorageCapacity> capacities) {
        return new VolumeBindingFilter(name -> classes.getStore().getByKey(name), name -> drivers.getStore().getByKey(name),
                () -> capacities.getStore().list());
    }

    /** Empty when the claim can be provisioned for a pod on this node, else the scheduler's reason. */
    Optional<String> reject(PersistentVolumeClaim claim, Node node) {
        Map<String, String> ann = claim.getMetadata().getAnnotations();
        String selected = ann == null ? null : ann.get(Names.SELECTED_NODE_ANN);
        if (selected != null && !selected.equals(node.getMetadata().getName())) {
            return Optional.of(BIND_CONFLICT);
        }
        String className = claim.getSpec().getStorageClassName();
        if (className == null || className.isEmpty()) {
            throw new IllegalArgumentException("no class for claim " + claim.getMetadata().getName());
        }
        StorageClass sc = classes.apply(className);
        if (sc == null) {
            throw new IllegalArgumentException("failed to find storage class " + className);
        }
        String provisioner = sc.getProvisioner();
        if (provisioner == null || provisioner.isEmpty() || provisioner.equals(NO_PROVISIONER)) {
            return Optional.of(BIND_CONFLICT);
        }
        Map<String, String> labels = labels(node);
        if (!matchTopologySelectorTerms(sc.getAllowedTopologies(), labels)) {
            return Optional.of(BIND_CONFLICT);
        }
        return hasEnoughCapacity(provisioner, claim, sc, labels) ? Optional.empty() : Optional.of(NOT_ENOUGH_SPACE);
    }

    /** The nodes a pod with this claim may go to. */
    List<String> feasible(PersistentVolumeClaim claim, List<Node> nodes) {
        return nodes.stream().filter(n -> reject(claim, n).isEmpty()).map(n -> n.getMetadata().getName()).sorted().toList();
    }

    private boolean hasEnoughCapacity(String provisioner, PersistentVolumeClaim claim, StorageClass sc, Map<String, String> nodeLabels) {
        Quantity request = claim.getSpec().getResources() == null || claim.getSpec().getResources().getRequests() == null
                ? null : claim.getSpec().getResources().getRequests().get("storage");
        if (request == null) {
            return true;
        }
        CSIDriver driver = drivers.apply(provisioner);
        if (driver == null || driver.getSpec() == null || !Boolean.TRUE.equals(driver.getSpec().getStorageCapacity())) {
            return true;
        }
        BigDecimal size = value(request);
        for (CSIStorageCapacity c : capacities.get()) {
            if (sc.getMetadata().getName().equals(c.getStorageClassName()) && capacitySufficient(c, size)
                    && nodeHasAccess(c.getNodeTopology(), nodeLabels)) {
                return true;
            }
        }
        return false;
    }

    private static boolean capacitySufficient(CSIStorageCapacity c, BigDecimal size) {
        Quantity limit = c.getMaximumVolumeSize() != null ? c.getMaximumVolumeSize() : c.getCapacity();
        return limit != null && value(limit).compareTo(size) >= 0;
    }

    private static boolean nodeHasAccess(LabelSelector topology, Map<String, String> nodeLabels) {
        return topology != null && selectorMatches(topology, nodeLabels);
    }

    /** {@code metav1.LabelSelectorAsSelector(...).Matches}: an empty selector matches everything. */
    static boolean selectorMatches(LabelSelector s, Map<String, String> labels) {
        if (s.getMatchLabels() != null) {
            for (Map.Entry<String, String> e : s.getMatchLabels().entrySet()) {
                if (!e.getValue().equals(labels.get(e.getKey()))) {
                    return false;
                }
            }
        }
        if (s.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : s.getMatchExpressions()) {
                boolean has = labels.containsKey(r.getKey());
                boolean in = has && r.getValues() != null && r.getValues().contains(labels.get(r.getKey()));
                boolean ok = switch (r.getOperator()) {
                    case "In" -> in;
                    case "NotIn" -> !in;
                    case "Exists" -> has;
                    case "DoesNotExist" -> !has;
                    default -> false; // an invalid selector matches nothing
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    /** {@code v1helper.MatchTopologySelectorTerms}. */
    static boolean matchTopologySelectorTerms(List<TopologySelectorTerm> terms, Map<String, String> labels) {
        if (terms == null || terms.isEmpty()) {
            return true;
        }
        for (TopologySelectorTerm term : terms) {
            List<TopologySelectorLabelRequirement> exprs = term.getMatchLabelExpressions();
            if (exprs == null || exprs.isEmpty()) {
                continue; // an empty term selects nothing
            }
            boolean all = exprs.stream().allMatch(r -> labels.containsKey(r.getKey())
                    && r.getValues() != null && r.getValues().contains(labels.get(r.getKey())));
            if (all) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, String> labels(Node node) {
        return node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
    }

    /** {@code resource.Quantity.Value()}: bytes, rounded up. */
    private static BigDecimal value(Quantity q) {
        return Quantity.getAmountInBytes(q).setScale(0, RoundingMode.CEILING);
    }
}
