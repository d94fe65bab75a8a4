package dsp.kubernetes;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the DaemonSet controller and the scheduler do for daemon pods, in a test: a node runs one
 * pod of a DaemonSet when the pod template's nodeSelector and required node affinity match the
 * node's labels and its tolerations cover the node's NoSchedule/NoExecute taints (plus the
 * tolerations the DaemonSet controller adds itself); when a node stops matching (relabelled),
 * its pod is deleted, as the real controller does. "Running a pod" is a callback, e.g. a node
 * agent for that node.
 */
public final class FakeDaemonSetController implements AutoCloseable {

    /** Starts the pod's process for one node; closing it stops the pod. */
    @FunctionalInterface
    public interface PodRunner {
        AutoCloseable start(DaemonSet daemonSet, Node node) throws Exception;
    }

    /** Tolerations the DaemonSet controller adds to every daemon pod (pkg/controller/daemon/util). */
    private static final List<Toleration> DAEMON_TOLERATIONS = List.of(
            toleration("node.kubernetes.io/not-ready", "NoExecute"), toleration("node.kubernetes.io/unreachable", "NoExecute"),
            toleration("node.kubernetes.io/disk-pressure", "NoSchedule"), toleration("node.kubernetes.io/memory-pressure", "NoSchedule"),
            toleration("node.kubernetes.io/pid-pressure", "NoSchedule"), toleration("node.kubernetes.io/unschedulable", "NoSchedule"));

    private final PodRunner runner;
    private final SharedIndexInformer<Node> nodes;
    private final SharedIndexInformer<DaemonSet> daemonSets;
    /** node -> daemon set -> its pod there. */
    private final Map<String, Map<String, AutoCloseable>> pods = new TreeMap<>();
    private final List<String> history = new ArrayList<>();

    public FakeDaemonSetController(KubernetesClient client, String namespace, PodRunner runner) {
        this.runner = runner;
        this.nodes = client.nodes().inform(handler(), 0);
        this.daemonSets = client.apps().daemonSets().inNamespace(namespace).inform(handler(), 0);
        sync();
    }

    private <T> ResourceEventHandler<T> handler() {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                sync();
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                sync();
            }

            @Override
            public void onDelete(T obj, boolean unknown) {
                sync();
            }
        };
    }

    /** Brings the pods in line with the DaemonSets and the nodes. */
    public synchronized void sync() {
        if (nodes == null || daemonSets == null) {
            return; // still being built
        }
        Map<String, Set<String>> wanted = new HashMap<>();
        for (Node n : nodes.getStore().list()) {
            for (DaemonSet ds : daemonSets.getStore().list()) {
                if (shouldRun(ds.getSpec().getTemplate().getSpec(), n)) {
                    wanted.computeIfAbsent(n.getMetadata().getName(), k -> new TreeSet<>()).add(ds.getMetadata().getName());
                }
            }
        }
        for (var node : new ArrayList<>(pods.keySet())) {
            Map<String, AutoCloseable> running = pods.get(node);
            for (String ds : new ArrayList<>(running.keySet())) {
                if (!wanted.getOrDefault(node, Set.of()).contains(ds)) {
                    stop(node, ds, running.remove(ds));
                }
            }
        }
        for (var e : wanted.entrySet()) {
            for (String ds : e.getValue()) {
                Map<String, AutoCloseable> running = pods.computeIfAbsent(e.getKey(), k -> new TreeMap<>());
                if (!running.containsKey(ds)) {
                    try {
                        running.put(ds, runner.start(daemonSets.getStore().getByKey(ns(ds)), nodes.getStore().getByKey(e.getKey())));
                        history.add("start " + ds + " on " + e.getKey());
                    } catch (Exception ex) {
                        throw new IllegalStateException("pod of " + ds + " on " + e.getKey() + " did not start", ex);
                    }
                }
            }
        }
    }

    private String ns(String daemonSet) {
        return daemonSets.getStore().list().stream().filter(d -> d.getMetadata().getName().equals(daemonSet))
                .map(d -> d.getMetadata().getNamespace() + "/" + daemonSet).findFirst().orElseThrow();
    }

    private void stop(String node, String ds, AutoCloseable pod) {
        history.add("stop " + ds + " on " + node);
        try {
            pod.close();
        } catch (Exception e) {
            throw new IllegalStateException("pod of " + ds + " on " + node + " did not stop", e);
        }
    }

    /** The DaemonSets with a pod on each node right now. */
    public synchronized Map<String, Set<String>> running() {
        Map<String, Set<String>> out = new TreeMap<>();
        pods.forEach((node, p) -> {
            if (!p.isEmpty()) {
                out.put(node, new TreeSet<>(p.keySet()));
            }
        });
        return out;
    }

    public synchronized List<String> history() {
        return List.copyOf(history);
    }

    /** nodeSelector, required node affinity, taints and tolerations: the predicates a daemon pod must pass. */
    public static boolean shouldRun(PodSpec pod, Node node) {
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        if (pod.getNodeSelector() != null && !pod.getNodeSelector().entrySet().stream()
                .allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) {
            return false;
        }
        if (pod.getAffinity() != null && pod.getAffinity().getNodeAffinity() != null
                && pod.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() != null) {
            List<NodeSelectorTerm> terms = pod.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms();
            if (terms.stream().noneMatch(t -> matches(t, node.getMetadata().getName(), labels))) {
                return false;
            }
        }
        List<Toleration> tolerations = new ArrayList<>(DAEMON_TOLERATIONS);
        if (pod.getTolerations() != null) {
            tolerations.addAll(pod.getTolerations());
        }
        List<Taint> taints = node.getSpec() == null || node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints();
        return taints.stream().filter(t -> !"PreferNoSchedule".equals(t.getEffect()))
                .allMatch(t -> tolerations.stream().anyMatch(x -> tolerates(x, t)));
    }

    /** A term matches when all its expressions do (and an empty term matches nothing, as in the scheduler). */
    private static boolean matches(NodeSelectorTerm term, String name, Map<String, String> labels) {
        List<NodeSelectorRequirement> exprs = term.getMatchExpressions() == null ? List.of() : term.getMatchExpressions();
        List<NodeSelectorRequirement> fields = term.getMatchFields() == null ? List.of() : term.getMatchFields();
        if (exprs.isEmpty() && fields.isEmpty()) {
            return false;
        }
        return exprs.stream().allMatch(r -> matches(r, labels.get(r.getKey())))
                && fields.stream().allMatch(r -> r.getKey().equals("metadata.name") && matches(r, name));
    }

    private static boolean matches(NodeSelectorRequirement r, String value) {
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        return switch (r.getOperator()) {
            case "In" -> value != null && values.contains(value);
            case "NotIn" -> value == null || !values.contains(value);
            case "Exists" -> value != null;
            case "DoesNotExist" -> value == null;
            case "Gt" -> value != null && Long.parseLong(value) > Long.parseLong(values.get(0));
            case "Lt" -> value != null && Long.parseLong(value) < Long.parseLong(values.get(0));
            default -> throw new IllegalArgumentException("unknown node selector operator " + r.getOperator());
        };
    }

    private static boolean tolerates(Toleration x, Taint t) {
        if (x.getEffect() != null && !x.getEffect().isEmpty() && !x.getEffect().equals(t.getEffect())) {
            return false;
        }
        if ("Exists".equals(x.getOperator())) {
            return x.getKey() == null || x.getKey().isEmpty() || x.getKey().equals(t.getKey());
        }
        return t.getKey().equals(x.getKey()) && java.util.Objects.equals(nullToEmpty(x.getValue()), nullToEmpty(t.getValue()));
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private static Toleration toleration(String key, String effect) {
        Toleration t = new Toleration();
        t.setKey(key);
        t.setOperator("Exists");
        t.setEffect(effect);
        return t;
    }

    @Override
    public synchronized void close() {
        nodes.close();
        daemonSets.close();
        pods.forEach((node, p) -> p.forEach((ds, pod) -> stop(node, ds, pod)));
        pods.clear();
    }
}
