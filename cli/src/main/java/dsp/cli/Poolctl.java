package dsp.cli;

import dsp.cli.client.CliFailure;
import dsp.core.DomainException;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code poolctl}: the daemons and the client commands of Dynamic Storage Pools. */
@Command(name = "poolctl", mixinStandardHelpOptions = true, version = "poolctl 0.1.0",
        description = "Dynamic Storage Pools: run the standalone server, inspect pools and manage servers.",
        subcommands = {StandaloneCommand.class, StatusCommand.class, HealthCommand.class, ServersCommand.class,
                VmsCommand.class, VolumesCommand.class, TemplatesCommand.class, CleanupCommand.class, ControllerCommand.class, AgentCommand.class,
                BackupCommand.class, RestoreCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:the API refused the request", "2:bad command line or configuration",
                "3:the API could not be reached"})
public final class Poolctl implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSX");
        System.setProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.org.flywaydb", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.io.javalin", "warn");
        int code = commandLine().execute(args);
        if (code != 0 || !Daemon.isServing()) {
            System.exit(code);
        }
        Daemon.awaitShutdown(); // daemons run on background threads until SIGTERM
    }

    /** The command line with one-line error reporting: no stack traces for users. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Poolctl());
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
