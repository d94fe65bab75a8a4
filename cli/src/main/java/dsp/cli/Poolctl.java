package dsp.cli;

import dsp.cli.client.CliFailure;
import dsp.core.DomainException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code poolctl}: the daemons and the client commands of Dynamic Storage Pools. */
@Command(name = "poolctl", mixinStandardHelpOptions = true, version = "poolctl 0.1.0",
        description = "Dynamic Storage Pools: run the standalone server, inspect pools and manage servers.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:the API refused the request", "2:bad command line or configuration",
                "3:the API could not be reached"})
public final class Poolctl implements Runnable {

    /**
     * The subcommands by name, in the order help lists them. A command line naming one of them gets
     * only that one: picocli reads the annotations of every command it is given, and reading all of
     * them (with the daemons' options) was most of a client command's start-up.
     */
    static final Map<String, Class<?>> SUBCOMMANDS = subcommands(
            "standalone", StandaloneCommand.class, "status", StatusCommand.class, "health", HealthCommand.class,
            "servers", ServersCommand.class, "vms", VmsCommand.class, "volumes", VolumesCommand.class,
            "templates", TemplatesCommand.class, "cleanup", CleanupCommand.class, "controller", ControllerCommand.class,
            "agent", AgentCommand.class, "backup", BackupCommand.class, "restore", RestoreCommand.class,
            "completion", CompletionCommand.class);

    static final String PICOCLI_CONVERTER_EXCLUDES = "picocli.converters.excludes";
    /** Types no option of ours has (CommandTreeTest checks): picocli looks their converters up by reflection. */
    static final String UNUSED_CONVERTERS = "java\\.(time|sql)\\..*";

    static {
        // skipping those look-ups saves initialising a dozen java.time classes at every start, a tenth of a client command's
        if (System.getProperty(PICOCLI_CONVERTER_EXCLUDES) == null) {
            System.setProperty(PICOCLI_CONVERTER_EXCLUDES, UNUSED_CONVERTERS);
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

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
        CommandLine cl = new CommandLine(new Poolctl());
        SUBCOMMANDS.values().forEach(cl::addSubcommand);
        return reportingErrors(cl.addSubcommand(new CommandLine.HelpCommand()));
    }

    /**
     * The command line {@code args} need: only the subcommand they name (so its help and errors
     * are the same as in the full one), or every one for help, completion, options and unknown names.
     */
    static CommandLine commandLineFor(String... args) {
        Class<?> named = args.length == 0 || args[0].equals("completion") ? null : SUBCOMMANDS.get(args[0]);
        if (named == null) {
            return commandLine();
        }
        return reportingErrors(new CommandLine(new Poolctl()).addSubcommand(named));
    }

    /** Names written out (each its command's {@code @Command} name): reading the annotations costs what is saved. */
    private static Map<String, Class<?>> subcommands(Object... nameThenClass) {
        Map<String, Class<?>> byName = new LinkedHashMap<>();
        for (int i = 0; i < nameThenClass.length; i += 2) {
            byName.put((String) nameThenClass[i], (Class<?>) nameThenClass[i + 1]);
        }
        return byName;
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
