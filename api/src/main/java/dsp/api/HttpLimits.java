package dsp.api;

import java.time.Duration;

/**
 * How much any one client may take of the server. Bodies are read without holding a thread (see
 * {@link BodyBuffering}), so a client that sends slowly holds only its connection, and only until
 * {@code bodyTimeout}; handlers run on a bounded pool.
 *
 * @param maxThreads      request threads (handlers may wait on qemu-img or the database)
 * @param maxConnections  open connections; beyond it Jetty stops accepting until some close
 * @param idleTimeout     a connection with nothing to read or write is closed after this
 * @param bodyTimeout     a whole request body must arrive within this
 * @param maxBodyBytes    larger bodies are a 413
 * @param maxHeaderBytes  larger request heads are a 431
 */
public record HttpLimits(int maxThreads, int maxConnections, Duration idleTimeout, Duration bodyTimeout,
                         int maxBodyBytes, int maxHeaderBytes) {

    public static HttpLimits defaults() {
        return new HttpLimits(48, 2000, Duration.ofSeconds(30), Duration.ofSeconds(10), Requests.MAX_BODY_BYTES, 8192);
    }
}
