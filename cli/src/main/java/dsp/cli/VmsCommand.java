package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dsp.cli.client.JsonTrees;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** VMs through the API: the guide's POST /api/v1/vms and friends. */
@Command(name = "vms", mixinStandardHelpOptions = true, description = "Create, list, resize and delete VMs.",
        subcommands = {VmsCommand.Create.class, VmsCommand.ListVms.class, VmsCommand.Get.class, VmsCommand.Resize.class,
                VmsCommand.Delete.class})
public final class VmsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final List<Output.Column> COLUMNS = List.of(Output.col("ID", "id"), Output.col("NAME", "name"),
            Output.col("NAMESPACE", "namespace"), Output.col("NODE", "node"), Output.col("IMAGE", "image"),
            Output.col("CPU", "cpu"), Output.col("MEMORY", "memory"), new Output.Column("STORAGE", n -> n.path("storage").asText() + " GB"),
            Output.col("FORMAT", "disk_format"), Output.col("STATUS", "status"));

    static void show(CommandSpec spec, ClientOptions options, JsonNode vm) {
        Output.one(spec, options.json(), vm, COLUMNS);
        if (!options.json()) {
            spec.commandLine().getOut().println("disk: " + vm.path("disk_path").asText());
            spec.commandLine().getOut().flush();
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = {"Create a VM from a template (its disk is a qcow2 overlay).",
            "The first disk from a template on a server copies the template there first: progress shows on stderr."})
    static final class Create extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Option(names = "--image", required = true, description = "template name, e.g. ubuntu22")
        String image;
        @Option(names = "--server-type", description = "preset such as cx21 (fixes cpu and memory)")
        String serverType;
        @Option(names = "--cpu")
        Integer cpu;
        @Option(names = "--memory", description = "GB")
        Integer memory;
        @Option(names = "--storage", description = "disk size in GB")
        Double storage;
        @Option(names = "--namespace", defaultValue = "default")
        String namespace;
        @Option(names = "--disk-format", description = "qcow2 (default) or raw")
        String diskFormat;

        @Override
        public Integer call() {
            options.json();
            ObjectNode body = JsonTrees.nodes().objectNode();
            body.put("name", name);
            body.put("image", image);
            if (serverType != null) {
                body.put("server_type", serverType);
            }
            if (cpu != null) {
                body.put("cpu", cpu);
            }
            if (memory != null) {
                body.put("memory", memory);
            }
            if (storage != null) {
                body.put("storage", storage);
            }
            body.put("namespace", namespace);
            if (diskFormat != null) {
                body.put("disk_format", diskFormat);
            }
            // runs as an operation: the first disk from a template on a server copies the template there (gigabytes)
            var client = options.client();
            show(spec, options, Progress.follow(client, client.postAsync("/api/v1/vms", body), spec.commandLine().getErr(), Progress.terminal()));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List VMs.")
    static final class ListVms extends ApiCommand {
        @Option(names = "--namespace", description = "only this namespace")
        String namespace;

        @Override
        public Integer call() {
            boolean json = options.json();
            String q = namespace == null ? "" : "?namespace=" + URLEncoder.encode(namespace, StandardCharsets.UTF_8);
            Output.many(spec, json, options.client().get("/api/v1/vms" + q), "vms", COLUMNS);
            return 0;
        }
    }

    /** Names a VM by id or by name; the namespace narrows a name found in several. */
    static final class VmRef {
        @Parameters(index = "0", paramLabel = "VM", description = "the VM's id or name")
        String ref;
        @Option(names = {"-n", "--namespace"}, description = "the namespace of a VM given by name")
        String namespace;

        String id(ClientOptions options) {
            return Lookup.vm(options.client(), ref, java.util.Optional.ofNullable(namespace)).path("id").asText();
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show one VM, by id or name.")
    static final class Get extends ApiCommand {
        @picocli.CommandLine.Mixin
        VmRef vm;

        @Override
        public Integer call() {
            options.json();
            show(spec, options, options.client().get("/api/v1/vms/" + Paths.segment(vm.id(options))));
            return 0;
        }
    }

    @Command(name = "resize", mixinStandardHelpOptions = true, description = "Grow a VM's disk to NEW_SIZE_GB (grow only); the VM by id or name.")
    static final class Resize extends ApiCommand {
        @picocli.CommandLine.Mixin
        VmRef vm;
        @Parameters(index = "1", paramLabel = "NEW_SIZE_GB")
        double size;

        @Override
        public Integer call() {
            options.json();
            ObjectNode body = JsonTrees.nodes().objectNode().put("new_size_gb", size);
            show(spec, options, options.client().post("/api/v1/vms/" + Paths.segment(vm.id(options)) + "/resize", body));
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a VM (by id or name). The vm pool retains its disk (listed as a Released volume) unless --purge.")
    static final class Delete extends ApiCommand {
        @picocli.CommandLine.Mixin
        VmRef vm;
        @Option(names = "--purge", description = "also delete the disk")
        boolean purge;

        @Override
        public Integer call() {
            boolean json = options.json();
            String id = vm.id(options);
            JsonNode r = options.client().delete("/api/v1/vms/" + Paths.segment(id) + (purge ? "?purge=true" : ""));
            if (json) {
                Output.json(spec, r);
            } else {
                say("VM " + vm.ref + (vm.ref.equals(id) ? "" : " (" + id + ")") + " deleted; disk " + r.path("disk").path("result").asText()
                        + " (" + r.path("disk").path("path").asText() + ")");
            }
            return 0;
        }
    }
}
