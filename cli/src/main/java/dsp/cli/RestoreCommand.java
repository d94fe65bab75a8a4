package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.client.ApiClient;
import dsp.cli.client.CliFailure;
import dsp.cli.standalone.StandaloneBackup;
import dsp.cli.standalone.StandaloneServer;
import dsp.core.DomainException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** Puts a backup back: into an empty data dir (standalone) or an empty cluster (Kubernetes). */
public final class RestoreCommand implements Callable<Integer> {

    final CommandSpec spec = CommandModel.command(this, "restore", "Restore a backup FILE made by poolctl backup.",
            "Standalone, server running: --server URL sends FILE to the server, which must hold nothing yet (no volumes, VMs or",
            "templates beyond a fresh start's) and run with the backup's pools; same pools, servers, allocations, VMs and templates.",
            "Standalone, server stopped: into its data dir (--data-dir, default ./data), then start the server on it:",
            "same pools, servers, allocations, VMs and templates; VM disks from a --with-disks backup, fresh ones otherwise.",
            "Kubernetes: --kubeconfig FILE recreates the StoragePool, PoolVolume and PoolVirtualMachine objects and the configuration.",
            "A target that is not empty is refused unless --force (standalone: what was there is moved aside to",
            "<data-dir>/pre-restore-<time>/, never deleted).",
            "Progress shows on stderr: a bar on a terminal, plain lines otherwise.");

    private final PositionalParamSpec file = CommandModel.parameter(0, "FILE", Path.class)
            .description("a backup written by poolctl backup").build();

    private final OptionSpec dataDir = CommandModel.option("--data-dir", "dataDir", Path.class).defaultValue("./data")
            .description("standalone: the data dir to restore into (default: ${DEFAULT-VALUE})").build();

    private final OptionSpec kubeconfig = CommandModel.option("--kubeconfig", "kubeconfig", Path.class)
            .description("Kubernetes mode: restore the objects into this cluster").build();

    private final OptionSpec force = CommandModel.flag("--force",
            "restore over what is there (standalone: moved aside to <data-dir>/pre-restore-<time>/)").build();

    /** After this command's own options, as they were listed (help sorts them; completion does not). */
    private final ClientOptions options = new ClientOptions().addTo(spec.addPositional(file).addOption(dataDir).addOption(kubeconfig)
            .addOption(force));

    /** This command's model, finished with the standard help options. */
    CommandSpec model() {
        return spec.mixinStandardHelpOptions() ? spec : CommandModel.withStandardHelp(spec);
    }

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        Path file = this.file.getValue();
        Path dataDir = this.dataDir.getValue();
        Path kubeconfig = this.kubeconfig.getValue();
        boolean force = CommandModel.given(this.force);
        if (kubeconfig != null) {
            Progress.Local progress = Progress.local("restore", spec.commandLine().getErr(), Progress.terminal(), Progress.Unit.OBJECTS);
            JsonNode r = KubernetesBackup.restore(kubeconfig, file, force, progress);
            progress.done();
            out.println("restored into the cluster: " + r.path("storagepools").asInt() + " StoragePools, " + r.path("poolvolumes").asInt()
                    + " PoolVolumes, " + r.path("vms").asInt() + " PoolVirtualMachines, configuration " + r.path("config").asText());
            out.flush();
            return 0;
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--server")) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--data-dir")) {
                throw new CliFailure(CliFailure.USAGE, "--server restores into a running server, --data-dir into a stopped one's data dir: give one");
            }
            return intoRunningServer(out, file, force);
        }
        try {
            Progress.Local progress = Progress.local("restore", spec.commandLine().getErr(), Progress.terminal());
            StandaloneBackup.Restored r = StandaloneServer.restore(file, dataDir, force, Clock.systemUTC(), progress);
            progress.done();
            out.println("restored into " + dataDir + ": " + r.servers() + " servers, " + r.volumes() + " volumes, " + r.vms() + " VMs, "
                    + r.templates() + " templates, " + r.disks() + " VM disks"
                    + (r.recreated() > 0 ? "; " + r.recreated() + " volume(s) made again without their data (the backup did not hold it)" : ""));
            r.previous().ifPresent(p -> out.println("what was in " + dataDir + " before is in " + p));
            out.println("start it with: bin/poolctl standalone --data-dir " + dataDir);
            out.flush();
            return 0;
        } catch (DomainException e) {
            throw new CliFailure(e.code() == DomainException.Code.STORAGE_FAILED ? CliFailure.REFUSED : CliFailure.USAGE, e.getMessage());
        }
    }

    /** POST /api/v1/restore with FILE as the body, then the operation followed to its end. */
    private Integer intoRunningServer(java.io.PrintWriter out, Path file, boolean force) {
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new CliFailure(CliFailure.USAGE, "backup file " + file + " does not exist");
        }
        ApiClient client = options.client();
        JsonNode op = client.uploadAsync("/api/v1/restore" + (force ? "?force=true" : ""), file, "application/zip");
        JsonNode r = Progress.follow(client, op, spec.commandLine().getErr(), Progress.terminal());
        if (options.json()) {
            Output.json(spec, r);
            return 0;
        }
        out.println("restored into " + options.server() + ": " + r.path("servers").asInt() + " servers, " + r.path("volumes").asInt() + " volumes, "
                + r.path("vms").asInt() + " VMs, " + r.path("templates").asInt() + " templates, " + r.path("disks").asInt() + " VM disks"
                + (r.path("recreated").asInt() > 0 ? "; " + r.path("recreated").asInt() + " volume(s) made again without their data"
                        + " (the backup did not hold it)" : ""));
        if (r.hasNonNull("set_aside")) {
            out.println("what the server held before is in " + r.path("set_aside").asText() + " under its data dir");
        }
        out.flush();
        return 0;
    }
}
