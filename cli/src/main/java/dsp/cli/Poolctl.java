package dsp.cli;

import dsp.cli.client.CliFailure;
import dsp.core.DomainException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code poolctl}: the daemons and the client commands of Dynamic Storage Pools. Its model, and the
 * client commands', are built in code ({@link CommandModel}); the daemons' come from their annotations.
 */
public final class Poolctl implements Runnable {

    /**
     * The subcommands' names, in the order help lists them ({@link #subcommand} makes each). A command
     * line naming one of them gets only that one: making every model (the daemons' from their
     * annotations) was most of a client command's start-up.
     */
    static final List<String> SUBCOMMANDS = List.of("standalone", "status", "health", "servers", "vms", "volumes", "templates",
            "cleanup", "controller", "agent", "backup", "restore", "completion");

    static final String PICOCLI_CONVERTER_EXCLUDES = "picocli.converters.excludes";
    /** Types no option of ours has (CommandTreeTest checks): picocli looks their converters up by reflection. */
    static final String UNUSED_CONVERTERS = "java\\.(time|sql)\\..*";

    static {
        // skipping those look-ups saves initialising a dozen java.time classes at every start, a tenth of a client command's
        if (System.getProperty(PICOCLI_CONVERTER_EXCLUDES) == null) {
            System.setProperty(PICOCLI_CONVERTER_EXCLUDES, UNUSED_CONVERTERS);
        }
    }

    final CommandSpec spec = CommandModel.withStandardHelp(CommandModel.exitCodes(CommandModel.command(this, "poolctl",
            "Dynamic Storage Pools: run the standalone server, inspect pools and manage servers.").version("poolctl 0.1.0"),
            "0:success", "1:the API refused the request", "2:bad command line or configuration", "3:the API could not be reached"));

    public static void main(String[] args) {
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSX");
        System.setProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.org.flywaydb", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.io.javalin", "warn");
        int code = commandLineFor(args).execute(args);
        if (code != 0 || !Daemon.isServing()) {
            System.exit(code);
        }
        Daemon.awaitShutdown(); // daemons run on background threads until SIGTERM
    }

    /** The command line with every subcommand and one-line error reporting: no stack traces for users. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Poolctl().spec);
        SUBCOMMANDS.forEach(name -> cl.addSubcommand(name, subcommand(name)));
        return reportingErrors(cl.addSubcommand(new CommandLine.HelpCommand()));
    }

    /**
     * The command line {@code args} need: only the subcommand they name (so its help and errors
     * are the same as in the full one), or every one for help, completion, options and unknown names.
     */
    static CommandLine commandLineFor(String... args) {
        if (args.length == 0 || args[0].equals("completion") || !SUBCOMMANDS.contains(args[0])) {
            return commandLine();
        }
        return reportingErrors(new CommandLine(new Poolctl().spec).addSubcommand(args[0], subcommand(args[0])));
    }

    /**
     * The subcommand called {@code name} (one of {@link #SUBCOMMANDS}; each is called by its own name, ClientStartTest
     * checks): a client command's model, made now, or a daemon's annotated class, which picocli reads as it is added.
     */
    static Object subcommand(String name) {
        return switch (name) {
            case "standalone" -> StandaloneCommand.class;
            case "status" -> new StatusCommand().model();
            case "health" -> new HealthCommand().model();
            case "servers" -> new ServersCommand().model();
            case "vms" -> new VmsCommand().model();
            case "volumes" -> new VolumesCommand().model();
            case "templates" -> new TemplatesCommand().model();
            case "cleanup" -> new CleanupCommand().model();
            case "controller" -> ControllerCommand.class;
            case "agent" -> AgentCommand.class;
            case "backup" -> new BackupCommand().model();
            case "restore" -> new RestoreCommand().model();
            case "completion" -> CompletionCommand.class;
            default -> throw new IllegalArgumentException("no subcommand " + name);
        };
    }

    /** Set once the subcommands are there: picocli hands settings down only to the subcommands it already has. */
    private static CommandLine reportingErrors(CommandLine cl) {
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (ex instanceof CliFailure f) {
                err.println("poolctl: " + f.getMessage());
                return f.exitCode();
            }
            if (ex instanceof DomainException d) {
                err.println("poolctl: " + d.getMessage());
                return CliFailure.USAGE;
            }
            err.println("poolctl: " + ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage()));
            return CliFailure.REFUSED;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
