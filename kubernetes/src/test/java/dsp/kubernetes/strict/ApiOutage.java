package dsp.kubernetes.strict;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A TCP relay in front of the test API server that can stall like a real one: while paused,
 * open watches are cut at once (informers must re-list and re-watch), every other request on an
 * open or new connection hangs, and after {@code hangFor} the hung connections are reset, as a
 * client sees an API server that stopped answering. Resuming resets what was still hung (its
 * fate unknown to the client, as after a real outage) and relays again.
 */
public final class ApiOutage implements AutoCloseable {

    private final ServerSocket listener;
    private final int targetPort;
    private final Set<Relay> relays = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "api-outage-timer"));
    private final Object gate = new Object();
    private volatile boolean paused;
    private volatile Duration hangFor = Duration.ofSeconds(5);
    private volatile boolean closed;

    public ApiOutage(int targetPort) {
        this.targetPort = targetPort;
        try {
            listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        daemon(this::accept, "api-outage-accept").start();
    }

    public int port() {
        return listener.getLocalPort();
    }

    public boolean paused() {
        return paused;
    }

    /** Stops answering: watches are cut now, other requests hang and are reset after {@code hangFor}. */
    public void pause(Duration hangFor) {
        this.hangFor = hangFor;
        synchronized (gate) {
            paused = true;
        }
        for (Relay r : relays) {
            if (r.watching) {
                r.reset();
            } else {
                r.hangUntilReset();
            }
        }
    }

    public void resume() {
        synchronized (gate) {
            paused = false;
            for (Relay r : relays) {
                if (r.hung) {
                    r.reset();
                }
            }
            gate.notifyAll();
        }
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
                Relay r = new Relay(client, server);
                relays.add(r);
                if (paused) {
                    r.hangUntilReset();
                }
                daemon(() -> r.pump(client, server, true), "api-outage-up").start();
                daemon(() -> r.pump(server, client, false), "api-outage-down").start();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private final class Relay {
        final Socket client;
        final Socket server;
        volatile boolean watching;
        volatile boolean hung;

        Relay(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void hangUntilReset() {
            if (hung) {
                return;
            }
            hung = true;
            timer.schedule(() -> {
                if (hung) {
                    reset();
                }
            }, hangFor.toMillis(), TimeUnit.MILLISECONDS);
        }

        void pump(Socket from, Socket to, boolean upstream) {
            byte[] buf = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (upstream && !watching) {
                        String text = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                        watching = text.contains("watch=true") || text.contains("watch=1");
                    }
                    synchronized (gate) {
                        while (paused && !client.isClosed()) {
                            if (!hung) {
                                hangUntilReset();
                            }
                            gate.wait(200);
                        }
                    }
                    if (client.isClosed()) {
                        return;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // the other side went away: close both
            } finally {
                close();
            }
        }

        /** Connection reset, as a client sees a dead server. */
        void reset() {
            hung = false;
            try {
                client.setSoLinger(true, 0);
            } catch (IOException e) {
                // closing anyway
            }
            close();
        }

        void close() {
            relays.remove(this);
            try {
                client.close();
            } catch (IOException e) {
                // already gone
            }
            try {
                server.close();
            } catch (IOException e) {
                // already gone
            }
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void close() {
        closed = true;
        resume();
        try {
            listener.close();
        } catch (IOException e) {
            // closing
        }
        relays.forEach(Relay::close);
        timer.shutdownNow();
    }
}
