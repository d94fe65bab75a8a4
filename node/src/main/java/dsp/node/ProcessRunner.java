package dsp.node;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs an external tool (qemu-img, du) with a time limit that really holds: its output and errors
 * are drained on their own threads while this one waits, so a tool that hangs, or one that writes
 * more than a pipe holds, never blocks the caller past the limit. Standard input is empty.
 */
final class ProcessRunner {

    /** What the tool said and how it ended. */
    record Result(int exitCode, String out, String err) {
    }

    /** The tool did not finish within its limit; it has been killed. */
    static final class TimedOut extends IOException {
        TimedOut(String message) {
            super(message);
        }
    }

    /** Pipes are drained on daemon threads of their own, so a slow tool never blocks the common pool. */
    private static final ExecutorService DRAINERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "process-output");
        t.setDaemon(true);
        return t;
    });

    private ProcessRunner() {
    }

    static Result run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        return run(command, timeout, line -> { });
    }

    /**
     * The same, handing {@code outputLine} each line of standard output as it is written (a line
     * ends at a newline or a carriage return, as progress meters redraw with {@code \r}).
     */
    static Result run(List<String> command, Duration timeout, Consumer<String> outputLine) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        CompletableFuture<String> out = drain(p.getInputStream(), outputLine);
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(p);
                throw new TimedOut(command.get(0) + " did not finish within " + timeout);
            }
        } catch (InterruptedException e) {
            kill(p);
            throw e;
        }
        return new Result(p.exitValue(), out.join(), err.join());
    }

    /** The tool and whatever it started: nothing is left holding its output open. */
    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }, DRAINERS);
    }

    private static CompletableFuture<String> drain(InputStream in, Consumer<String> outputLine) {
        return CompletableFuture.supplyAsync(() -> {
            StringBuilder all = new StringBuilder();
            StringBuilder line = new StringBuilder();
            try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                char[] buffer = new char[4096];
                for (int n; (n = r.read(buffer)) >= 0; ) {
                    all.append(buffer, 0, n);
                    for (int i = 0; i < n; i++) {
                        char c = buffer[i];
                        if (c == '\n' || c == '\r') {
                            emit(line, outputLine);
                        } else {
                            line.append(c);
                        }
                    }
                }
                emit(line, outputLine);
            } catch (IOException e) {
                // the tool is gone: what it wrote so far is what there is
            }
            return all.toString();
        }, DRAINERS);
    }

    private static void emit(StringBuilder line, Consumer<String> outputLine) {
        if (!line.isEmpty()) {
            try {
                outputLine.accept(line.toString());
            } catch (RuntimeException e) {
                // a listener that fails must not stop the tool's output from being read
            }
            line.setLength(0);
        }
    }
}
