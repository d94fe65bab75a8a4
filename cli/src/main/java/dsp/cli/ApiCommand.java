package dsp.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * A client command: talks to the API (--server, -o) and prints to the command line's streams. Its model
 * is built in code ({@link CommandModel}): a subclass adds its own options and parameters with
 * {@link #add} in its field initialisers and reads their values when it runs; {@link #model} is the
 * finished model.
 */
abstract class ApiCommand implements Callable<Integer> {

    final CommandSpec spec;

    final ClientOptions options;

    ApiCommand(String name, String... description) {
        spec = CommandModel.command(this, name, description);
        options = new ClientOptions().addTo(spec);
    }

    /** This command's model, finished with the standard help options: what its parent or poolctl adds. */
    final CommandSpec model() {
        return spec.mixinStandardHelpOptions() ? spec : CommandModel.withStandardHelp(spec);
    }

    /** Adds an option to this command. */
    final OptionSpec add(OptionSpec.Builder option) {
        OptionSpec built = option.build();
        spec.addOption(built);
        return built;
    }

    /** Adds a positional parameter to this command. */
    final PositionalParamSpec add(PositionalParamSpec.Builder parameter) {
        PositionalParamSpec built = parameter.build();
        spec.addPositional(built);
        return built;
    }

    /** Prints one line to the command's output. */
    void say(String line) {
        spec.commandLine().getOut().println(line);
        spec.commandLine().getOut().flush();
    }
}
