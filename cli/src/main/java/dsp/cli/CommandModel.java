package dsp.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * picocli models written in code, for poolctl itself and the commands that talk to the API (#10, CLI start).
 * picocli builds a model from annotations by reading them through proxy classes generated at run time (one
 * per annotation type, never in the class-data-sharing archive) and by walking every command class's
 * methods down to {@code Object}'s; that was most of a client command's start. The models say what the
 * annotations said, to the letter: help, errors and exit codes are the same (a field's option is labelled
 * {@code <field>} as picocli labels it).
 */
final class CommandModel {

    /** The key picocli files its standard help options under (what {@link CommandSpec#mixinStandardHelpOptions()} looks for). */
    private static final String STANDARD_HELP = "mixinStandardHelpOptions";

    private CommandModel() {
    }

    /**
     * The model of a command run by {@code userObject} (a {@link Runnable} or {@link java.util.concurrent.Callable}),
     * without options yet: {@link #withStandardHelp} finishes it.
     */
    static CommandSpec command(Object userObject, String name, String... description) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(userObject).name(name);
        spec.usageMessage().description(description);
        return spec;
    }

    /** Adds each of {@code subcommands} under its own name. */
    static CommandSpec subcommands(CommandSpec parent, CommandSpec... subcommands) {
        for (CommandSpec sub : subcommands) {
            parent.addSubcommand(sub.name(), new CommandLine(sub));
        }
        return parent;
    }

    /** The help's exit code section, one {@code "code:meaning"} a line. */
    static CommandSpec exitCodes(CommandSpec spec, String... codeThenMeaning) {
        spec.usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(UsageMessageSpec.keyValuesMap(codeThenMeaning));
        return spec;
    }

    /** A boolean option without a value: {@code false} unless given. */
    static OptionSpec.Builder flag(String name, String description) {
        return OptionSpec.builder(name).type(boolean.class).initialValue(false).description(description);
    }

    /** An option with a value of {@code type}, labelled {@code <field>} in help and errors as picocli labels a field's option. */
    static OptionSpec.Builder option(String[] names, String field, Class<?> type) {
        return OptionSpec.builder(names).paramLabel("<" + field + ">").type(type);
    }

    static OptionSpec.Builder option(String name, String field, Class<?> type) {
        return option(new String[] {name}, field, type);
    }

    /** The positional parameter at {@code index}: one value of {@code type}, required, called {@code label} in help and errors. */
    static PositionalParamSpec.Builder parameter(int index, String label, Class<?> type) {
        return PositionalParamSpec.builder().index(String.valueOf(index)).arity("1").required(true).paramLabel(label).type(type);
    }

    /** Whether a {@link #flag} was given. */
    static boolean given(OptionSpec flag) {
        return Boolean.TRUE.equals(flag.getValue());
    }

    /**
     * Adds what {@code @Command(mixinStandardHelpOptions = true)} adds, built here: picocli's own
     * {@link CommandSpec#mixinStandardHelpOptions(boolean)} reads them from an annotated class. Added last,
     * after the command's own options, as picocli adds them (completion lists options in that order).
     */
    static CommandSpec withStandardHelp(CommandSpec spec) {
        CommandSpec help = CommandSpec.create()
                .addOption(OptionSpec.builder("-h", "--help").type(boolean.class).usageHelp(true)
                        .descriptionKey("mixinStandardHelpOptions.help").description("Show this help message and exit.").build())
                .addOption(OptionSpec.builder("-V", "--version").type(boolean.class).versionHelp(true)
                        .descriptionKey("mixinStandardHelpOptions.version").description("Print version information and exit.").build());
        return spec.addMixin(STANDARD_HELP, help);
    }
}
