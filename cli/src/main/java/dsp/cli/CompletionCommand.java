package dsp.cli;

import dsp.cli.client.CliFailure;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Shell completion for every command and option: {@code source <(poolctl completion bash)}. */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a shell completion script for poolctl.",
                "bash: source <(bin/poolctl completion bash), or save it under /etc/bash_completion.d/poolctl.",
                "zsh: autoload -U bashcompinit && bashcompinit, then the same."})
public final class CompletionCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SHELL", defaultValue = "bash", description = "bash (also used by zsh through bashcompinit)")
    String shell;

    @Override
    public Integer call() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new CliFailure(CliFailure.USAGE, "completion is available for bash and zsh, not '" + shell + "'");
        }
        spec.commandLine().getOut().print(AutoComplete.bash("poolctl", spec.root().commandLine()));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
