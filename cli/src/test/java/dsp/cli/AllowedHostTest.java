package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.testing.RequiredTool;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code poolctl standalone --allowed-host NAME}: that name is served besides the bind address; any other Host is a 421. */
class AllowedHostTest {

    @TempDir
    Path data;

    @Test
    void aNameGivenWithAllowedHostIsServedAndOtherNamesAreRefused() throws Exception {
        RequiredTool.QEMU_IMG.require();
        try (StandaloneProcess server = StandaloneProcess.start(data, "--allowed-host", "Pools.Example.org")) {
            int port = Integer.parseInt(server.http.base().replaceAll(".*:", ""));
            assertThat(statusFor(port, "pools.example.org:" + port)).isEqualTo(200);
            assertThat(statusFor(port, "localhost:" + port)).as("the bind address's names stay allowed").isEqualTo(200);
            assertThat(statusFor(port, "rebound.example.org:" + port)).isEqualTo(421);
        }
    }

    /** Java's HttpClient will not send a Host of our choosing: one raw request. */
    private static int statusFor(int port, String host) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(("GET /api/v1/pools/status HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String head = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return Integer.parseInt(head.split(" ", 3)[1]);
        }
    }
}
