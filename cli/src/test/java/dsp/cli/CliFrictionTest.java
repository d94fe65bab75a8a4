package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.cli.client.CliFailure;
import dsp.cli.standalone.StandaloneServer;
import dsp.config.PoolConfig;
import dsp.testing.RequiredTool;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** poolctl without friction: names instead of ids, completion, help for every command, an example configuration. */
class CliFrictionTest {

    @TempDir
    Path data;


    private static PoolctlRun poolctl(String... args) {
        return PoolctlRun.of(args);
    }

    @Test
    void vmsAndVolumesAreFoundByNameAndAnAmbiguousNameListsTheCandidates() {
        RequiredTool.QEMU_IMG.require();
        try (StandaloneServer server = new StandaloneServer(PoolConfig.Configuration.guideDefaults(), data, Clock.systemUTC(), true)) {
            server.seedDemoIfEmpty();
            server.ensureDemoTemplate();
            String url = "http://127.0.0.1:" + server.start("127.0.0.1", 0);
            assertThat(poolctl("vms", "create", "web", "--image", "ubuntu22", "--server-type", "cx11", "--server", url).code()).isZero();
            assertThat(poolctl("vms", "create", "web", "--image", "ubuntu22", "--server-type", "cx11", "--namespace", "shop",
                    "--server", url).code()).isZero();

            PoolctlRun ambiguous = poolctl("vms", "get", "web", "--server", url);
            assertThat(ambiguous.code()).isEqualTo(CliFailure.USAGE);
            assertThat(ambiguous.err().lines()).singleElement().asString()
                    .startsWith("poolctl: 'web' names 2 VMs: default/web (id vm-").contains("shop/web (id vm-")
                    .endsWith("say which with --namespace NAMESPACE or the id");

            PoolctlRun shop = poolctl("vms", "get", "web", "-n", "shop", "-o", "json", "--server", url);
            assertThat(shop.code()).as(shop.err()).isZero();
            String shopId = new com.fasterxml.jackson.databind.ObjectMapper().readTree(shop.out()).get("id").asText();
            assertThat(poolctl("vms", "get", shopId, "--server", url).out()).contains("shop").contains(shopId);

            PoolctlRun resized = poolctl("vms", "resize", "web", "30", "--namespace", "shop", "--server", url);
            assertThat(resized.code()).as(resized.err()).isZero();
            assertThat(resized.out()).contains("30 GB");
            PoolctlRun deleted = poolctl("vms", "delete", "web", "--namespace", "default", "--purge", "--server", url);
            assertThat(deleted.code()).as(deleted.err()).isZero();
            assertThat(deleted.out()).startsWith("VM web (vm-").contains("deleted; disk deleted");
            assertThat(poolctl("vms", "get", "web", "--server", url).code()).as("only shop/web is left").isZero();

            PoolctlRun missing = poolctl("vms", "delete", "nope", "--server", url);
            assertThat(missing.code()).isEqualTo(CliFailure.REFUSED);
            assertThat(missing.err()).isEqualTo("poolctl: no VM has the id or name 'nope' (poolctl vms list shows them)\n");

            assertThat(poolctl("volumes", "create", "data", "--pool", "k8s", "--size", "10G", "--server", url).code()).isZero();
            assertThat(poolctl("volumes", "create", "data", "--pool", "vm", "--size", "20G", "--server", url).code()).isZero();
            PoolctlRun two = poolctl("volumes", "delete", "data", "--server", url);
            assertThat(two.code()).isEqualTo(CliFailure.USAGE);
            assertThat(two.err()).contains("'data' names 2 volumes: data in pool ").contains("say which with --pool POOL or the id");
            PoolctlRun got = poolctl("volumes", "get", "data", "--pool", "vm", "--server", url);
            assertThat(got.code()).as(got.err()).isZero();
            assertThat(got.out()).contains("20 GB").contains("ON DISK").contains("path: ");
            PoolctlRun gone = poolctl("volumes", "delete", "data", "--pool", "k8s", "--server", url);
            assertThat(gone.code()).as(gone.err()).isZero();
            assertThat(gone.out()).startsWith("volume data (").endsWith("deleted\n");
            assertThat(poolctl("volumes", "get", "data", "--server", url).code()).as("one left: no longer ambiguous").isZero();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void bashCompletionKnowsEveryCommand() {
        PoolctlRun r = poolctl("completion", "bash");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("complete -F _complete_poolctl").contains("standalone").contains("templates")
                .contains("--namespace").contains("set-pool");
        assertThat(poolctl("completion", "fish").code()).isEqualTo(CliFailure.USAGE);
    }

    @Test
    void everyCommandHasHelpThatExplainsIt() {
        List<String> missing = new ArrayList<>();
        walk(Poolctl.commandLine(), List.of(), missing);
        assertThat(missing).as("commands without a description or whose --help fails").isEmpty();
        PoolctlRun top = poolctl("--help");
        assertThat(top.out()).contains("Exit codes:").contains("completion").contains("vms");
        assertThat(poolctl("help", "vms").out()).contains("Create, list, resize and delete VMs.");
    }

    private static void walk(CommandLine cl, List<String> path, List<String> missing) {
        for (var e : cl.getSubcommands().entrySet()) {
            List<String> here = new ArrayList<>(path);
            here.add(e.getKey());
            CommandLine sub = e.getValue();
            if (sub.getCommandSpec().usageMessage().description().length == 0) {
                missing.add(String.join(" ", here) + ": no description");
            }
            List<String> args = new ArrayList<>(here);
            args.add("--help");
            PoolctlRun help = poolctl(args.toArray(String[]::new));
            if (!e.getKey().equals("help") && (help.code() != 0 || !help.out().startsWith("Usage: poolctl " + String.join(" ", here)))) {
                missing.add(String.join(" ", here) + " --help: exit " + help.code() + " " + help.out().lines().findFirst().orElse(""));
            }
            walk(sub, here, missing);
        }
    }

    @Test
    void theExamplePoolsYamlIsAValidConfiguration() {
        var config = PoolConfig.load(Path.of("..", "examples", "pools.yaml"));
        assertThat(config.catalog().pools()).extracting(p -> p.name()).containsExactly("k8s", "vm", "backup");
        assertThat(config.catalog().require("backup").shareBytes()).isEqualTo(4_000_000_000_000L);
        assertThat(config.vmPool()).isEqualTo("vm");
        assertThat(config.catalog().thresholds().warningPercent()).isEqualTo(75);
    }
}
