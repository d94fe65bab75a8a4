package dsp.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/** {@code poolctl standalone} as a process of its own, so a test can kill it with SIGKILL (no shutdown hooks run). */
final class StandaloneProcess implements AutoCloseable {

    private final Process process;
    final Http http;

    private StandaloneProcess(Process process, int port) {
        this.process = process;
        this.http = new Http("http://127.0.0.1:" + port);
    }

    /** Starts the server on a free port over {@code data} and waits until it answers /readyz. */
    static StandaloneProcess start(Path data, String... extra) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "dsp.cli.Poolctl", "standalone", "--demo", "--host", "127.0.0.1", "--port", String.valueOf(port), "--data-dir", data.toString()));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolveSibling(data.getFileName() + "-server.log").toFile()))
                .start();
        StandaloneProcess server = new StandaloneProcess(p, port);
        Awaitility.await("server ready").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!p.isAlive()) {
                throw new IllegalStateException("server process exited early; see " + data.getFileName() + "-server.log");
            }
            try {
                return server.http.get("/readyz").status() == 200;
            } catch (AssertionError notYet) {
                return false; // connection refused while starting
            }
        });
        return server;
    }

    /** SIGKILL, and wait until it is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    boolean alive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
