package dsp.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** A {@code poolctl} command run in this JVM, its exit code, output and errors captured as a terminal would show them. */
record PoolctlRun(int code, String out, String err) {

    static PoolctlRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Poolctl.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new PoolctlRun(cl.execute(args), out.toString(), err.toString());
    }
}
