package dsp.kubernetes.controller;

import dsp.core.health.Health;
import dsp.core.health.PoolFigures;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Quantity;
import dsp.kubernetes.crd.StoragePool;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/**
 * The StoragePool objects the scaling controller wants (no I/O): a new pool's spec from its
 * configuration, and its status from the pool's figures, with the {@code Healthy} condition that
 * changes its transition time only when its status does.
 */
final class PoolStatusModel {

    private PoolStatusModel() {
    }

    /** A StoragePool named as the pool, without spec or status: what an Event about the pool refers to. */
    static StoragePool poolRef(PoolDefinition d) {
        StoragePool sp = new StoragePool();
        sp.setMetadata(new ObjectMetaBuilder().withName(d.name()).build());
        return sp;
    }

    /** A new StoragePool with the pool's configuration as its spec. */
    static StoragePool freshPool(PoolDefinition d) {
        StoragePool sp = poolRef(d);
        StoragePool.Spec spec = new StoragePool.Spec();
        spec.label = d.label();
        spec.share = Quantity.humanize(d.shareBytes()).replace(" ", "");
        spec.storageClass = d.storageClass();
        spec.path = d.path();
        spec.reclaimPolicy = d.reclaimPolicy().display();
        spec.overcommit = d.overcommit();
        sp.setSpec(spec);
        return sp;
    }

    /**
     * The pool with these figures as its status; unchanged (so nothing is written) while the
     * figures are the same. When they change, {@code observedAt} is now and so is the condition's
     * transition time if its status changed.
     */
    static StoragePool withFigures(StoragePool sp, PoolFigures p, Clock clock) {
        StoragePool.Status desired = new StoragePool.Status();
        desired.servers = p.servers();
        desired.capacityGb = Quantity.toGb(p.capacity());
        desired.allocatedGb = Quantity.toGb(p.used());
        desired.usedGb = Quantity.toGb(p.measured());
        desired.availableGb = Quantity.toGb(p.available());
        desired.usagePercentage = p.usagePercent();
        desired.health = p.health().display();
        desired.strandedVolumes = p.strandedVolumes();
        StoragePool.Status current = sp.getStatus();
        if (current != null && sameFigures(current, desired)) {
            return sp;
        }
        Instant now = clock.instant();
        desired.observedAt = now.toString();
        desired.conditions = Conditions.transition(current == null ? null : current.conditions, new ConditionBuilder().withType("Healthy")
                .withStatus(p.health() == Health.HEALTHY ? "True" : "False")
                .withReason(p.health() == Health.HEALTHY ? "BelowThresholds" : p.health() == Health.CRITICAL ? "Critical" : "Warning")
                .withMessage(p.servers() + " server(s), " + p.usagePercent() + "% allocated").build(), now);
        sp.setStatus(desired);
        return sp;
    }

    private static boolean sameFigures(StoragePool.Status a, StoragePool.Status b) {
        return Objects.equals(a.servers, b.servers) && Objects.equals(a.capacityGb, b.capacityGb)
                && Objects.equals(a.allocatedGb, b.allocatedGb) && Objects.equals(a.usedGb, b.usedGb)
                && Objects.equals(a.availableGb, b.availableGb) && Objects.equals(a.usagePercentage, b.usagePercentage)
                && Objects.equals(a.health, b.health) && Objects.equals(a.strandedVolumes, b.strandedVolumes);
    }
}
