package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.client.ApiClient;
import dsp.cli.client.CliFailure;
import dsp.cli.client.JsonTrees;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** The guide's "Regular backups of critical data": the whole state in one file. */
public final class BackupCommand extends ApiCommand {

    private final PositionalParamSpec file = add(CommandModel.parameter(0, "FILE", Path.class).description("where to write the backup, e.g. pools-backup.zip"));

    private final OptionSpec withDisks = add(CommandModel.flag("--with-disks", "also the disks of stopped VMs (a running VM's disk is refused)"));

    private final OptionSpec kubeconfig = add(CommandModel.option("--kubeconfig", "kubeconfig", Path.class)
            .description("Kubernetes mode: back up the cluster's objects instead of a standalone server"));

    private final OptionSpec force = add(CommandModel.flag("--force", "overwrite FILE if it exists"));

    BackupCommand() {
        super("backup", "Back up a standalone server into FILE (a zip): its state (SQLite's online backup, taken while it serves),",
                "its configuration and its templates; --with-disks adds stopped VMs' disks, flattened. Shows progress.",
                "Kubernetes mode: poolctl backup FILE --kubeconfig FILE saves the StoragePool, PoolVolume and",
                "PoolVirtualMachine objects and the configuration.");
    }

    @Override
    public Integer call() {
        boolean json = options.json();
        Path file = this.file.getValue();
        Path kubeconfig = this.kubeconfig.getValue();
        boolean withDisks = CommandModel.given(this.withDisks);
        boolean force = CommandModel.given(this.force);
        if (Files.exists(file) && !force) {
            throw new CliFailure(CliFailure.USAGE, file + " exists; choose another name or add --force to overwrite it");
        }
        if (kubeconfig != null) {
            Progress.Local progress = Progress.local("backup", spec.commandLine().getErr(), Progress.terminal(), Progress.Unit.OBJECTS);
            JsonNode r = KubernetesBackup.backup(kubeconfig, file, progress);
            progress.done();
            report(json, r, file);
            return 0;
        }
        ApiClient client = options.client();
        JsonNode op = client.postAsync("/api/v1/backup", JsonTrees.nodes().objectNode().put("with_disks", withDisks));
        JsonNode result = Progress.follow(client, op, spec.commandLine().getErr(), Progress.terminal());
        client.download(result.path("download").asText(), file);
        client.delete(result.path("download").asText()); // the server keeps no copy once it is here
        report(json, result, file);
        return 0;
    }

    private void report(boolean json, JsonNode r, Path file) {
        if (json) {
            Output.json(spec, r);
        } else {
            say("backup written to " + file + ": " + r.path("servers").asInt() + " servers, " + r.path("volumes").asInt() + " volumes, "
                    + r.path("vms").asInt() + " VMs, " + r.path("templates").asInt() + " templates"
                    + (r.has("disks") ? ", " + r.path("disks").asInt() + " VM disks" : "") + " (" + sizeOf(file) + ")");
        }
    }

    private static String sizeOf(Path f) {
        try {
            long b = Files.size(f);
            return b >= 1_000_000_000L ? String.format(java.util.Locale.ROOT, "%.2f GB", b / 1e9) : String.format(java.util.Locale.ROOT, "%.1f MB", b / 1e6);
        } catch (java.io.IOException e) {
            return "size unknown";
        }
    }
}
