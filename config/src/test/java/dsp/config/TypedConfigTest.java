package dsp.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import dsp.core.model.PoolCatalog;
import dsp.core.vm.ServerType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The configuration is bound to records: wrong types, unknown and empty keys are one-line errors naming the key. */
class TypedConfigTest {

    @Test
    void aFractionIsNotAWholeNumberOfCpus() {
        assertThatThrownBy(() -> PoolConfig.parseAll("server-types:\n  - {name: small, cpu: 2.5, memory: 4, storage: 40}\n"))
                .isInstanceOf(DomainException.class)
                .hasMessage("line 2: server-types[0].cpu must be a whole number, not 2.5");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "'thresholds: {warning: \"75\"}'|line 1: thresholds.warning must be a number, not '75'",
            "'pools:\n  - name: k8s\n    overcommit: lots\n'|line 3: pools[0].overcommit must be a number, not 'lots'",
            "'pools:\n  - name: k8s\n    label: 1.10\n'|line 3: pools[0].label must be text (quote it if it looks like a number), not 1.10",
            "'pools: {name: k8s}'|line 1: pools must be a list, not a mapping",
            "'pools: [k8s]'|line 1: pools[0] must be a mapping, not 'k8s'",
            "'thresholds: [75, 90]'|line 1: thresholds must be a mapping, not a list",
            "'reserve: [300]'|line 1: reserve must be a size such as 1.5T or 300G, not a list",
            "'reserve: true'|line 1: reserve must be a size such as 1.5T or 300G, not true",
            "'vm-pool: 7'|line 1: vm-pool must be text (quote it if it looks like a number), not 7",
            "'server-types:\n  - {name: big, cpu: 99999999999, memory: 4, storage: 40}\n'|line 2: server-types[0].cpu is out of range",
            "'server-types:\n  - {name: big, cpu: \"2\", memory: 4, storage: 40}\n'|line 2: server-types[0].cpu must be a whole number, not '2'",
    })
    void aValueOfTheWrongTypeIsNamedWithWhatItMustBe(String yaml, String message) {
        assertThatThrownBy(() -> PoolConfig.parseAll(yaml)).isInstanceOf(DomainException.class).hasMessage(message);
    }

    @Test
    void anUnknownKeyIsNamedWithWhereItIsAndWhatIsKnown() {
        assertThatThrownBy(() -> PoolConfig.parse("pools:\n  - name: k8s\n    shares: 1T\n"))
                .hasMessage("unknown key 'shares' in pools[0]; known keys are "
                        + "[label, name, overcommit, path, reclaim-policy, share, storage-class]");
        assertThatThrownBy(() -> PoolConfig.parse("reserves: 300G\n"))
                .hasMessage("unknown key 'reserves' in the configuration; known keys are "
                        + "[placement, pools, reserve, server-types, thresholds, vm-pool]");
        assertThatThrownBy(() -> PoolConfig.parse("thresholds: {warning: 70, critcal: 95}\n"))
                .hasMessageStartingWith("unknown key 'critcal' in thresholds; known keys are [critical, warning]");
        assertThatThrownBy(() -> PoolConfig.parseAll("server-types:\n  - {name: a, cpus: 1, memory: 1, storage: 1}\n"))
                .hasMessageStartingWith("unknown key 'cpus' in server-types[0]");
    }

    @Test
    void anEmptyValueOrAKeyGivenTwiceIsAnError() {
        assertThatThrownBy(() -> PoolConfig.parse("pools:\n  - name: k8s\n    share:\n"))
                .hasMessage("line 3: pools[0].share is empty; give it a value or leave the key out");
        assertThatThrownBy(() -> PoolConfig.parse("reserve: 300G\nreserve: 200G\n"))
                .hasMessage("line 2: reserve is given twice");
        assertThatThrownBy(() -> PoolConfig.parse("pools:\n  - name: k8s\n    share: 1T\n    share: 2T\n"))
                .hasMessage("line 4: pools[0].share is given twice");
    }

    @Test
    void aSizeTheDomainRefusesSaysWhichKey() {
        assertThatThrownBy(() -> PoolConfig.parse("pools:\n  - name: k8s\n    share: 3 apples\n"))
                .hasMessage("line 3: pools[0].share: '3 apples' has an unknown unit 'apples'; "
                        + "use k, M, G, T, P (decimal) or Ki, Mi, Gi, Ti, Pi (binary)");
        assertThatThrownBy(() -> PoolConfig.parse("pools:\n  - label: k8s\n"))
                .hasMessage("every pool needs a 'name'");
    }

    @Test
    void everyValueIsBoundToItsField() {
        PoolConfig.Configuration c = PoolConfig.parseAll("""
                reserve: 250
                thresholds: {critical: 95}
                placement: bin-packing
                pools:
                  - name: fast
                    label: ssd
                    share: 1397Gi
                    storage-class: fast-storage
                    path: /fast
                    reclaim-policy: delete
                    overcommit: 2
                vm-pool: fast
                server-types:
                  - {name: tiny, cpu: 1, memory: 2, storage: 10}
                  - {name: huge, cpu: 64, memory: 512, storage: 2000}
                """);
        PoolCatalog catalog = c.catalog();
        assertThat(catalog.reserveBytes()).isEqualTo(250_000_000_000L);
        assertThat(catalog.thresholds().warningPercent()).isEqualTo(75);
        assertThat(catalog.thresholds().criticalPercent()).isEqualTo(95);
        assertThat(catalog.pools()).singleElement().satisfies(p -> {
            assertThat(p.name()).isEqualTo("fast");
            assertThat(p.label()).isEqualTo("ssd");
            assertThat(p.shareBytes()).isEqualTo(1397L * 1024 * 1024 * 1024);
            assertThat(p.storageClass()).isEqualTo("fast-storage");
            assertThat(p.path()).isEqualTo("/fast");
            assertThat(p.reclaimPolicy()).isEqualTo(dsp.core.model.ReclaimPolicy.DELETE);
            assertThat(p.overcommit()).isEqualTo(2.0);
        });
        assertThat(c.vmPool()).isEqualTo("fast");
        assertThat(c.serverTypes()).containsExactly(new ServerType("tiny", 1, 2, 10), new ServerType("huge", 64, 512, 2000));
    }

    @Test
    void aNewPoolWithoutSettingsGetsTheGenericDefaults() {
        PoolCatalog c = PoolConfig.parse("pools:\n  - name: backup\nvm-pool: backup\n");
        assertThat(c.require("backup").label()).isEqualTo("backup");
        assertThat(c.require("backup").shareBytes()).isEqualTo(PoolCatalog.GUIDE_SHARE);
        assertThat(c.require("backup").storageClass()).isNull();
        assertThat(c.require("backup").path()).isEqualTo("/backup-storage-pool");
        assertThat(c.require("backup").reclaimPolicy()).isEqualTo(dsp.core.model.ReclaimPolicy.RETAIN);
        assertThat(c.require("backup").overcommit()).isEqualTo(1.0);
    }

    @Test
    void theConfigurationsWeShipStillRead() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        String deployed = Files.readString(root.resolve("deploy/20-config.yaml"));
        String pools = deployed.substring(deployed.indexOf("pools.yaml: |") + "pools.yaml: |".length()).stripIndent();
        assertThat(PoolConfig.parseAll(pools).catalog()).isEqualTo(PoolCatalog.guideDefaults());

        String readme = Files.readString(root.resolve("README.md"));
        int section = readme.indexOf("### Configuration");
        int start = readme.indexOf("```yaml\n", section) + "```yaml\n".length();
        String example = readme.substring(start, readme.indexOf("```", start));
        PoolConfig.Configuration c = PoolConfig.parseAll(example);
        assertThat(c.catalog().pools()).extracting(p -> p.name()).containsExactly("k8s", "vm", "backup");
        assertThat(c.serverTypes()).extracting(ServerType::name).containsExactly("cx21");
        for (Path example2 : examples(root)) {
            assertThat(PoolConfig.load(example2).catalog().pools()).as(example2.toString()).isNotEmpty();
        }
    }

    /** Any example pools*.yaml the repository ships. */
    private static List<Path> examples(Path root) throws Exception {
        try (var files = Files.walk(root, 3)) {
            return files.filter(f -> f.getFileName().toString().matches("pools.*\\.ya?ml"))
                    .filter(f -> !f.toString().contains("/target/")).toList();
        }
    }

    @Test
    void aFileNamesItselfInTheError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("pools.yaml");
        Files.writeString(file, "server-types:\n  - {name: small, cpu: 1.5, memory: 4, storage: 40}\n");
        assertThatThrownBy(() -> PoolConfig.load(file))
                .hasMessage(file + ": line 2: server-types[0].cpu must be a whole number, not 1.5");
        assertThatThrownBy(() -> PoolConfig.load(dir.resolve("missing.yaml"))).hasMessageContaining("does not exist");
    }
}
