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

/** Volumes (every allocation; VM disks included). */
@Command(name = "volumes", mixinStandardHelpOptions = true, description = "Create, list and delete volumes.",
        subcommands = {VolumesCommand.ListVolumes.class, VolumesCommand.Get.class, VolumesCommand.Create.class, VolumesCommand.Delete.class})
public final class VolumesCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final List<Output.Column> COLUMNS = List.of(Output.col("ID", "id"), Output.col("NAME", "name"), Output.col("POOL", "pool"),
            Output.col("NODE", "node"), new Output.Column("SIZE", n -> n.path("size_gb").asText() + " GB"),
            Output.col("FORMAT", "format"), Output.col("PHASE", "phase"), Output.col("OWNER", "owner"));

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List volumes.")
    static final class ListVolumes extends ApiCommand {
        @Option(names = "--pool")
        String pool;

        @Override
        public Integer call() {
            boolean json = options.json();
            String q = pool == null ? "" : "?pool=" + URLEncoder.encode(pool, StandardCharsets.UTF_8);
            Output.many(spec, json, options.client().get("/api/v1/volumes" + q), "volumes", COLUMNS);
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a volume (a directory unless --format).")
    static final class Create extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Option(names = "--pool", required = true)
        String pool;
        @Option(names = "--size", required = true, description = "e.g. 100Gi, 50G, 1.5T")
        String size;
        @Option(names = "--format", description = "directory (default), qcow2 or raw")
        String format;

        @Override
        public Integer call() {
            boolean json = options.json();
            ObjectNode body = JsonTrees.nodes().objectNode().put("name", name).put("pool", pool).put("size", size);
            if (format != null) {
                body.put("format", format);
            }
            Output.one(spec, json, options.client().post("/api/v1/volumes", body), COLUMNS);
            return 0;
        }
    }

    /** Names a volume by id or by name; the pool narrows a name found in several. */
    static final class VolumeRef {
        @Parameters(index = "0", paramLabel = "VOLUME", description = "the volume's id or name")
        String ref;
        @Option(names = "--pool", description = "the pool of a volume given by name")
        String pool;

        String id(ClientOptions options) {
            return Lookup.volume(options.client(), ref, java.util.Optional.ofNullable(pool)).path("id").asText();
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show one volume (by id or name) with the bytes it uses on disk.")
    static final class Get extends ApiCommand {
        @picocli.CommandLine.Mixin
        VolumeRef volume;

        static final List<Output.Column> DETAIL = new java.util.ArrayList<>(COLUMNS);

        static {
            DETAIL.add(new Output.Column("ON DISK", n -> n.path("measured_used_gb").asText("-") + " GB"));
        }

        @Override
        public Integer call() {
            boolean json = options.json();
            JsonNode v = options.client().get("/api/v1/volumes/" + Paths.segment(volume.id(options)));
            Output.one(spec, json, v, DETAIL);
            if (!json) {
                say("path: " + v.path("path").asText());
            }
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a volume (by id or name); in a Retain pool the first delete releases it, --purge removes its data.")
    static final class Delete extends ApiCommand {
        @picocli.CommandLine.Mixin
        VolumeRef volume;
        @Option(names = "--purge", description = "remove the data of a retained volume too")
        boolean purge;

        @Override
        public Integer call() {
            String id = volume.id(options);
            JsonNode r = options.client().delete("/api/v1/volumes/" + Paths.segment(id) + (purge ? "?purge=true" : ""));
            say("volume " + volume.ref + (volume.ref.equals(id) ? "" : " (" + id + ")") + " " + r.path("result").asText());
            return 0;
        }
    }
}
