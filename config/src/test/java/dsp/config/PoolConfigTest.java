package dsp.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import dsp.core.model.PlacementPolicy;
import dsp.core.model.PoolCatalog;
import dsp.core.model.ReclaimPolicy;
import org.junit.jupiter.api.Test;

class PoolConfigTest {

    @Test
    void emptyConfigurationIsTheGuide() {
        assertThat(PoolConfig.parse("")).isEqualTo(PoolCatalog.guideDefaults());
        assertThat(PoolConfig.parse("# nothing\n")).isEqualTo(PoolCatalog.guideDefaults());
    }

    @Test
    void aThirdPoolIsOneMoreEntry() {
        PoolCatalog c = PoolConfig.parse("""
                reserve: 250G
                thresholds: {warning: 70, critical: 85}
                placement: bin-packing
                pools:
                  - name: k8s
                  - name: vm
                    share: 2T
                  - name: backup
                    share: 4000
                    path: /backup-storage-pool
                    reclaim-policy: Retain
                    overcommit: 1.5
                """);
        assertThat(c.pools()).hasSize(3);
        assertThat(c.reserveBytes()).isEqualTo(250_000_000_000L);
        assertThat(c.thresholds().warningPercent()).isEqualTo(70);
        assertThat(c.placement()).isEqualTo(PlacementPolicy.BIN_PACKING);
        assertThat(c.require("k8s")).isEqualTo(PoolCatalog.guideDefaults().require("k8s"));
        assertThat(c.require("vm").shareBytes()).isEqualTo(2_000_000_000_000L);
        assertThat(c.require("vm").storageClass()).isEqualTo("vm-pool-storage");
        assertThat(c.require("backup").shareBytes()).isEqualTo(4_000_000_000_000L);
        assertThat(c.require("backup").reclaimPolicy()).isEqualTo(ReclaimPolicy.RETAIN);
        assertThat(c.require("backup").overcommit()).isEqualTo(1.5);
    }

    @Test
    void serverTypesAndTheVmPoolAreConfiguration() {
        PoolConfig.Configuration c = PoolConfig.parseAll("""
                server-types:
                  - {name: small, cpu: 1, memory: 1, storage: 10}
                """);
        assertThat(c.vmPool()).isEqualTo("vm");
        assertThat(c.serverTypes()).containsExactly(new dsp.core.vm.ServerType("small", 1, 1, 10));
        assertThat(PoolConfig.parseAll("").serverTypes()).hasSize(14);
        assertThatThrownBy(() -> PoolConfig.parseAll("vm-pool: nope\n")).hasMessageContaining("vm-pool 'nope'");
        assertThatThrownBy(() -> PoolConfig.parseAll("server-types:\n  - {name: x, cpu: 0, memory: 1, storage: 1}\n"))
                .hasMessageContaining("positive");
    }

    @Test
    void mistakesAreClearErrors() {
        assertThatThrownBy(() -> PoolConfig.parse("pools:\n  - name: k8s\n    shares: 1T\n"))
                .isInstanceOf(DomainException.class).hasMessageContaining("unknown key 'shares'");
        assertThatThrownBy(() -> PoolConfig.parse("reserve: lots\n")).hasMessageContaining("'lots' is not a size");
        assertThatThrownBy(() -> PoolConfig.parse("pools: []\n")).hasMessageContaining("non-empty");
        assertThatThrownBy(() -> PoolConfig.parse("pools:\n  - name: a\n  - name: a\n")).hasMessageContaining("configured twice");
        assertThatThrownBy(() -> PoolConfig.parse("thresholds: {warning: 95, critical: 90}\n")).hasMessageContaining("warning <= critical");
        assertThatThrownBy(() -> PoolConfig.parse("pools:\n  - name: Bad\n")).hasMessageContaining("invalid");
        assertThatThrownBy(() -> PoolConfig.parse("a: [\n")).hasMessageContaining("not valid YAML");
    }
}
