package dsp.kubernetes.agent;

import dsp.core.model.MoveRecords;
import dsp.kubernetes.Names;
import dsp.kubernetes.crd.PoolVolume;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Whether another PoolVolume of this node holds the same data as one being deleted. Only a
 * drain's records share a place: the copy with the volume once the volume switched to it, the
 * original with the volume while it still points at it. Deleting such a record must not delete
 * the data. A record of a move is checked against the API server itself (a watch may lag behind
 * the switch); any other volume only when this agent's view shows another at its place.
 */
final class SharedPlaces {

    private final KubernetesClient client;
    private final String node;
    private final Supplier<java.util.List<PoolVolume>> seen;

    SharedPlaces(KubernetesClient client, String node, Supplier<java.util.List<PoolVolume>> seen) {
        this.client = client;
        this.node = node;
        this.seen = seen;
    }

    boolean heldByAnother(PoolVolume v) {
        boolean moveRecord = v.getSpec() != null && (MoveRecords.COPY.equals(v.getSpec().kind) || MoveRecords.ORIGINAL.equals(v.getSpec().kind));
        if (!moveRecord && seen.get().stream().noneMatch(o -> samePlace(v, o))) {
            return false;
        }
        return client.resources(PoolVolume.class).withLabel(Names.NODE_LABEL, Names.nodeLabelValue(node)).list().getItems().stream()
                .anyMatch(o -> samePlace(v, o));
    }

    /** Another live PoolVolume on this node with the same pool and volume name. */
    private boolean samePlace(PoolVolume v, PoolVolume other) {
        return other.getSpec() != null && v.getSpec() != null
                && !other.getMetadata().getName().equals(v.getMetadata().getName())
                && other.getMetadata().getDeletionTimestamp() == null
                && node.equals(other.getSpec().node)
                && Objects.equals(other.getSpec().pool, v.getSpec().pool)
                && Objects.equals(other.getSpec().name, v.getSpec().name);
    }
}
