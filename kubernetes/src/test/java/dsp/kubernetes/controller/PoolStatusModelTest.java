package dsp.kubernetes.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.health.Health;
import dsp.core.health.PoolFigures;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.ReclaimPolicy;
import dsp.kubernetes.crd.StoragePool;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The StoragePool the scaling controller writes: spec from configuration, status and condition from the figures. */
class PoolStatusModelTest {

    private static final Instant THEN = Instant.parse("2026-11-26T01:00:00Z");
    private static final Instant NOW = Instant.parse("2026-11-26T02:00:00Z");
    static final PoolDefinition K8S = PoolCatalog.guideDefaults().find("k8s").orElseThrow();

    /** The guide's k8s pool of 5 servers: 7.5 TB, 2 TB allocated (26.67 %), 1.2 TB measured, healthy, nothing stranded. */
    static PoolFigures figures() {
        return new PoolFigures(K8S, 5, 7_500_000_000_000L, 2_000_000_000_000L, 5_500_000_000_000L, 26.67,
                1_200_000_000_000L, 16.0, 2_000_000_000_000L, 12, 0L, 0, Health.HEALTHY, Optional.empty());
    }

    static PoolFigures with(PoolFigures p, Health health, int stranded, long strandedBytes) {
        return new PoolFigures(p.pool(), p.servers(), p.capacity(), p.used(), p.available(), p.usagePercent(), p.measured(),
                p.measuredPercent(), p.ownAllocated(), p.volumes(), strandedBytes, stranded, health, p.measuredAt());
    }

    private static Clock at(Instant t) {
        return Clock.fixed(t, ZoneOffset.UTC);
    }

    @Test
    void aNewPoolCarriesItsConfiguration() {
        PoolDefinition vm = new PoolDefinition("vm", "vm-label", 1_500_000_000_000L, "vm-pool-storage", "/vm-storage-pool", ReclaimPolicy.RETAIN, 2.5);
        StoragePool sp = PoolStatusModel.freshPool(vm);
        assertThat(sp.getMetadata().getName()).isEqualTo("vm");
        assertThat(sp.getSpec().label).isEqualTo("vm-label");
        assertThat(sp.getSpec().share).isEqualTo("1.5TB");
        assertThat(sp.getSpec().storageClass).isEqualTo("vm-pool-storage");
        assertThat(sp.getSpec().path).isEqualTo("/vm-storage-pool");
        assertThat(sp.getSpec().reclaimPolicy).isEqualTo("Retain");
        assertThat(sp.getSpec().overcommit).isEqualTo(2.5);
        assertThat(sp.getStatus()).isNull();
        assertThat(PoolStatusModel.poolRef(vm).getMetadata().getName()).isEqualTo("vm");
        assertThat(PoolStatusModel.poolRef(vm).getSpec()).isNull();
    }

    @Test
    void theStatusCarriesTheFiguresInGbAndAHealthyCondition() {
        StoragePool sp = PoolStatusModel.withFigures(PoolStatusModel.freshPool(K8S), figures(), at(NOW));
        StoragePool.Status s = sp.getStatus();
        assertThat(s.servers).isEqualTo(5);
        assertThat(s.capacityGb).isEqualTo(7500.0);
        assertThat(s.allocatedGb).isEqualTo(2000.0);
        assertThat(s.usedGb).isEqualTo(1200.0);
        assertThat(s.availableGb).isEqualTo(5500.0);
        assertThat(s.usagePercentage).isEqualTo(26.67);
        assertThat(s.health).isEqualTo("healthy");
        assertThat(s.strandedVolumes).isZero();
        assertThat(s.observedAt).isEqualTo(NOW.toString());
        assertThat(s.conditions).singleElement().satisfies(c -> {
            assertThat(c.getType()).isEqualTo("Healthy");
            assertThat(c.getStatus()).isEqualTo("True");
            assertThat(c.getReason()).isEqualTo("BelowThresholds");
            assertThat(c.getMessage()).isEqualTo("5 server(s), 26.67% allocated");
            assertThat(c.getLastTransitionTime()).isEqualTo(NOW.toString());
        });
    }

    @Test
    void warningAndCriticalAreNotHealthy() {
        Condition warning = PoolStatusModel.withFigures(new StoragePool(), with(figures(), Health.WARNING, 0, 0), at(NOW)).getStatus().conditions.get(0);
        assertThat(List.of(warning.getStatus(), warning.getReason())).containsExactly("False", "Warning");
        Condition critical = PoolStatusModel.withFigures(new StoragePool(), with(figures(), Health.CRITICAL, 0, 0), at(NOW)).getStatus().conditions.get(0);
        assertThat(List.of(critical.getStatus(), critical.getReason())).containsExactly("False", "Critical");
    }

    @Test
    void theSameFiguresChangeNothing() {
        StoragePool sp = PoolStatusModel.withFigures(PoolStatusModel.freshPool(K8S), figures(), at(THEN));
        StoragePool.Status before = sp.getStatus();
        StoragePool again = PoolStatusModel.withFigures(sp, figures(), at(NOW));
        assertThat(again).isSameAs(sp);
        assertThat(again.getStatus()).isSameAs(before);
        assertThat(again.getStatus().observedAt).isEqualTo(THEN.toString());
    }

    @Test
    void newFiguresWithTheSameHealthKeepTheTransitionTime() {
        StoragePool sp = PoolStatusModel.withFigures(PoolStatusModel.freshPool(K8S), figures(), at(THEN));
        PoolFigures p = figures();
        PoolFigures sixServers = new PoolFigures(p.pool(), 6, p.capacity(), p.used(), p.available(), p.usagePercent(), p.measured(),
                p.measuredPercent(), p.ownAllocated(), p.volumes(), 0L, 0, Health.HEALTHY, p.measuredAt());
        StoragePool.Status s = PoolStatusModel.withFigures(sp, sixServers, at(NOW)).getStatus();
        assertThat(s.servers).isEqualTo(6);
        assertThat(s.observedAt).isEqualTo(NOW.toString());
        assertThat(s.conditions).singleElement().satisfies(c -> {
            assertThat(c.getMessage()).isEqualTo("6 server(s), 26.67% allocated");
            assertThat(c.getLastTransitionTime()).isEqualTo(THEN.toString());
        });
        StoragePool.Status warning = PoolStatusModel.withFigures(sp, with(figures(), Health.WARNING, 0, 0), at(NOW)).getStatus();
        assertThat(warning.conditions).singleElement().extracting(Condition::getLastTransitionTime).isEqualTo(NOW.toString());
    }

    static Stream<UnaryOperator<StoragePool.Status>> oneFigureDiffers() {
        return Stream.of(s -> { s.servers = 4; return s; }, s -> { s.capacityGb = 1.0; return s; }, s -> { s.allocatedGb = 1.0; return s; },
                s -> { s.usedGb = 1.0; return s; }, s -> { s.availableGb = 1.0; return s; }, s -> { s.usagePercentage = 1.0; return s; },
                s -> { s.health = "warning"; return s; }, s -> { s.strandedVolumes = 3; return s; });
    }

    @ParameterizedTest
    @MethodSource("oneFigureDiffers")
    void anyFigureThatDiffersIsWritten(UnaryOperator<StoragePool.Status> differ) {
        StoragePool sp = PoolStatusModel.withFigures(PoolStatusModel.freshPool(K8S), figures(), at(THEN));
        differ.apply(sp.getStatus());
        StoragePool.Status s = PoolStatusModel.withFigures(sp, figures(), at(NOW)).getStatus();
        assertThat(s.observedAt).isEqualTo(NOW.toString());
        assertThat(s.servers).isEqualTo(5);
        assertThat(s.health).isEqualTo("healthy");
    }
}
