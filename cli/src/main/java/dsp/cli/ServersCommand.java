package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dsp.cli.client.JsonTrees;
import dsp.core.model.Names;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The server inventory: the standalone counterpart of {@code kubectl label node X pool=...}. */
@Command(name = "servers", mixinStandardHelpOptions = true, description = "List servers and put them in pools.",
        subcommands = {ServersCommand.List.class, ServersCommand.SetPool.class, ServersCommand.Remove.class, ServersCommand.Drain.class})
public final class ServersCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final java.util.List<Output.Column> COLUMNS = java.util.List.of(Output.col("NAME", "name"), Output.col("POOL", "pool"),
            new Output.Column("CAPACITY", n -> n.path("capacity_gb").asText() + " GB"),
            new Output.Column("USED", n -> n.path("used_capacity_gb").asText() + " GB"),
            new Output.Column("AVAILABLE", n -> n.path("available_capacity_gb").asText() + " GB"),
            Output.col("VOLS", "allocations"),
            new Output.Column("STRANDED", n -> n.path("stranded_allocations").asInt() > 0 ? n.path("stranded_allocations").asText() : "-"));

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List every server with its pool and figures.")
    static final class List extends ApiCommand {
        @Override
        public Integer call() throws Exception {
            boolean json = options.json();
            Output.many(spec, json, options.client().get("/api/v1/servers"), "servers", COLUMNS);
            return 0;
        }
    }

    @Command(name = "set-pool", mixinStandardHelpOptions = true,
            description = "Add a server to a pool or move it (like `kubectl label node NAME pool=POOL --overwrite`); "
                    + "POOL 'none' takes it out of its pool and keeps its data (like `pool-`).")
    static final class SetPool extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Parameters(index = "1", paramLabel = "POOL")
        String pool;
        @Option(names = "--capacity", description = "override the pool's per-server share, e.g. 2T or 2000G")
        String capacity;

        @Override
        public Integer call() throws Exception {
            boolean json = options.json();
            Names.requireServer(name);
            ObjectNode body = JsonTrees.nodes().objectNode();
            if (pool.equals("none") || pool.equals("-")) {
                body.putNull("pool");
            } else {
                body.put("pool", pool);
            }
            if (capacity != null) {
                body.put("capacity", capacity);
            }
            JsonNode server = options.client().put("/api/v1/servers/" + name, body);
            if (json) {
                Output.json(spec, server);
            } else {
                PrintWriter out = spec.commandLine().getOut();
                out.println(server.path("pool").isNull()
                        ? "server " + name + " is in no pool now (its data stays where it is)"
                        : "server " + name + " is in pool " + server.path("pool").asText() + " with " + server.path("capacity_gb").asText() + " GB");
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Forget a server that holds no allocations (refused while it holds any).")
    static final class Remove extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            Names.requireServer(name);
            options.client().delete("/api/v1/servers/" + name);
            say("server " + name + " removed");
            return 0;
        }
    }

    static final java.util.List<Output.Column> DRAIN_COLUMNS = java.util.List.of(Output.col("VOLUME", "name"), Output.col("POOL", "pool"),
            Output.col("FORMAT", "format"), new Output.Column("SIZE", n -> n.path("size_gb").asText() + " GB"),
            new Output.Column("VM", n -> n.path("vm").isNull() ? "-" : n.path("vm").asText()), Output.col("ACTION", "action"),
            new Output.Column("TARGET", n -> n.path("target").isNull() ? "-" : n.path("target").asText()),
            new Output.Column("REASON", n -> n.path("reason").isNull() ? "" : n.path("reason").asText()));

    @Command(name = "drain", mixinStandardHelpOptions = true,
            description = "Before a server leaves or changes pool: show what it holds and move the disks of stopped VMs to other "
                    + "servers of their pool (copied, checked with qemu-img compare, switched, then the original deleted); "
                    + "what cannot move is listed with the reason. Exits non-zero when something stays.")
    static final class Drain extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Option(names = "--dry-run", description = "show what would move and what would stay; change nothing")
        boolean dryRun;

        @Override
        public Integer call() {
            Names.requireServer(name);
            var client = options.client();
            String path = "/api/v1/servers/" + name + "/drain";
            JsonNode r = dryRun ? client.post(path + "?dry_run=true", JsonTrees.nodes().objectNode())
                    : Progress.follow(client, client.postAsync(path, JsonTrees.nodes().objectNode()), spec.commandLine().getErr(), Progress.terminal());
            if (options.json()) {
                Output.json(spec, r);
            } else {
                Output.table(spec, r.path("volumes"), DRAIN_COLUMNS);
                say(dryRun ? "server " + name + ": " + r.path("moved").asLong() + " volume(s) would move, " + r.path("not_moved").asLong()
                        + " would stay" : "server " + name + ": " + r.path("moved").asLong() + " volume(s) moved, "
                        + r.path("not_moved").asLong() + " not moved");
            }
            if (!dryRun && !r.path("drained").asBoolean()) {
                JsonNode first = null;
                for (JsonNode v : r.path("volumes")) {
                    if (!"moved".equals(v.path("action").asText()) && first == null) {
                        first = v;
                    }
                }
                throw new dsp.cli.client.CliFailure(dsp.cli.client.CliFailure.REFUSED, "server " + name + " still holds "
                        + r.path("not_moved").asLong() + " volume(s)" + (first == null ? "" : ", e.g. " + first.path("name").asText()
                        + ": " + first.path("reason").asText()));
            }
            return 0;
        }
    }
}
