import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The standalone server at fleet scale (#10): run by bench/standalone-scale.sh as
 * {@code java -cp cli/target/poolctl.jar bench/StandaloneScale.java}. For each size (servers:allocations)
 * it starts {@code bin/poolctl standalone} on an empty data dir, fills it through the API (8 clients at
 * once), and measures RUNS times: GET status sequential p50/p99 and req/s under wrk (2 threads, 16
 * connections), POST /api/v1/volumes and PUT /api/v1/servers p50/p99 next to the durable floor (a 4 KB
 * write + fsync and a one-row SQLite commit, WAL, synchronous=FULL, as the server's database is opened,
 * on the same file system, in the same run), poolctl status wall time next to curl of the same
 * endpoint, then start-up to ready on the filled data dir and the server's RSS. Every figure is the
 * median of the runs with its min. Writes its section of BENCHMARKS.md unless SMOKE=1.
 */
public class StandaloneScale {

    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    static final boolean SMOKE = "1".equals(System.getenv("SMOKE"));
    static final int RUNS = Integer.parseInt(env("RUNS", SMOKE ? "1" : "3"));
    static final int SEQUENTIAL_GETS = Integer.parseInt(env("GETS", SMOKE ? "20" : "2000"));
    static final int WRITES = Integer.parseInt(env("WRITES", SMOKE ? "6" : "200"));
    static final int WRK_SECONDS = Integer.parseInt(env("WRK_SECONDS", SMOKE ? "1" : "10"));
    static final int CLI_RUNS = Integer.parseInt(env("CLI_RUNS", SMOKE ? "1" : "7"));
    /**
     * Creates (each deleted again, so the allocation count stays the size's) and relabels sent after the
     * right-after-start figures and before the measured runs: a server that has been up a while runs the
     * write path compiled by C2, which takes thousands of requests (server CPU per create fell from
     * ~6 ms to ~2 ms over the first 8,000 creates in a 500-create-block curve).
     */
    static final Pattern CREATED_ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
    static final int WARM_UP = Integer.parseInt(env("WARM_UP", SMOKE ? "4" : "3000"));
    static final int FILL_CLIENTS = 8;
    /** Volumes made through the API before the rest are inserted (the API makes ~50-100 a second on this machine). */
    static final int API_VOLUMES = Integer.parseInt(env("API_VOLUMES", "500"));
    static final Path ROOT = Path.of("").toAbsolutePath();

    record Size(int servers, int allocations) {
        String label() {
            return String.format(Locale.ROOT, "%,d / %,d", servers, allocations);
        }
    }

    /** The figures of one size: each list holds one value per run. */
    static final class Figures {
        final Size size;
        double apiSeconds;
        int apiWrites;
        double bulkSeconds;
        final List<Double> statusP50 = new ArrayList<>(), statusP99 = new ArrayList<>(), statusRps = new ArrayList<>();
        final List<Double> createP50 = new ArrayList<>(), createP99 = new ArrayList<>();
        final List<Double> relabelP50 = new ArrayList<>(), relabelP99 = new ArrayList<>();
        /** The first writes after the server started (one value: before any warm-up). */
        final List<Double> coldCreateP50 = new ArrayList<>(), coldRelabelP50 = new ArrayList<>();
        final List<Double> floorP50 = new ArrayList<>();
        final List<Double> cli = new ArrayList<>(), curl = new ArrayList<>(), jvmFloor = new ArrayList<>();
        final List<Double> startup = new ArrayList<>(), rssLoaded = new ArrayList<>(), rssStarted = new ArrayList<>();

        Figures(Size size) {
            this.size = size;
        }
    }

    public static void main(String[] args) throws Exception {
        List<Size> sizes = new ArrayList<>();
        for (String s : env("SIZES", SMOKE ? "4:40" : "50:2000,500:20000,5000:200000").split(",")) {
            String[] p = s.strip().split(":");
            sizes.add(new Size(Integer.parseInt(p[0]), Integer.parseInt(p[1])));
        }
        String machine = machine();
        System.out.println("[bench] " + machine);
        List<Figures> all = new ArrayList<>();
        for (Size size : sizes) {
            all.add(measure(size));
        }
        String table = report(all, machine);
        System.out.println(table.replace("\n", "\n[bench] "));
        if (!SMOKE) {
            section("standalone-scale", table);
        }
    }

    static Figures measure(Size size) throws Exception {
        Figures f = new Figures(size);
        Path work = Files.createTempDirectory(Path.of(env("TMPDIR", "/tmp")), "dsp-scale-");
        Path data = work.resolve("data");
        try {
            fill(data, work, size, f);
            Server server = Server.start(data, work.resolve("server.log"));
            try {
                coldWrites(server, size, f);
                warmUp(server, size);
                for (int run = 1; run <= RUNS; run++) {
                    log("%s run %d/%d", size.label(), run, RUNS);
                    sequentialStatus(server, f);
                    f.statusRps.add(wrk(server.url("/api/v1/pools/status")));
                    writes(server, size, run, f);
                    f.floorP50.add(durableFloor(work));
                    cliAgainstCurl(server, f);
                    f.rssLoaded.add(server.rssMb());
                }
            } finally {
                server.stop();
            }
            for (int run = 1; run <= RUNS; run++) {
                long start = System.nanoTime();
                Server again = Server.start(data, work.resolve("server-" + run + ".log"));
                try {
                    f.startup.add((again.readyAt - start) / 1e9);
                    get(again, "/api/v1/pools/status");
                    f.rssStarted.add(again.rssMb());
                    log("%s start-up %d: %.2f s, RSS %.0f MB", size.label(), run, f.startup.get(run - 1), f.rssStarted.get(run - 1));
                } finally {
                    again.stop();
                }
            }
        } finally {
            String keep = System.getenv("KEEP"); // a directory to keep each size's filled data dir in (to profile start-up)
            if (keep != null) {
                Path kept = Path.of(keep).resolve(size.servers + "-" + size.allocations);
                Files.createDirectories(kept.getParent());
                new ProcessBuilder("mv", data.toString(), kept.toString()).inheritIO().start().waitFor();
            }
            new ProcessBuilder("rm", "-rf", work.toString()).inheritIO().start().waitFor();
        }
        return f;
    }

    /**
     * Servers through the API (half k8s, half vm), and the first {@link #API_VOLUMES} volumes (1 GB directory
     * volumes in k8s), 8 clients at once; then, with the server stopped, the rest of the allocations as
     * the API writes them: rows in its database (one transaction) and a directory each.
     */
    static void fill(Path data, Path work, Size size, Figures f) throws Exception {
        long start = System.nanoTime();
        Server server = Server.start(data, work.resolve("fill.log"));
        int throughApi = Math.min(size.allocations, API_VOLUMES);
        ExecutorService clients = Executors.newFixedThreadPool(FILL_CLIENTS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < FILL_CLIENTS; c++) {
                int client = c;
                done.add(clients.submit(() -> {
                    for (int i = client; i < size.servers; i += FILL_CLIENTS) {
                        send(server, "PUT", "/api/v1/servers/" + serverName(i), "{\"pool\": \"" + (i % 2 == 0 ? "k8s" : "vm") + "\"}");
                    }
                    return null;
                }));
            }
            for (Future<?> d : done) {
                d.get();
            }
            done.clear();
            for (int c = 0; c < FILL_CLIENTS; c++) {
                int client = c;
                done.add(clients.submit(() -> {
                    for (int i = client; i < throughApi; i += FILL_CLIENTS) {
                        send(server, "POST", "/api/v1/volumes", "{\"name\": \"fill-" + i + "\", \"pool\": \"k8s\", \"size\": 1}");
                    }
                    return null;
                }));
            }
            for (Future<?> d : done) {
                d.get();
            }
        } finally {
            clients.shutdownNow();
            server.stop();
        }
        f.apiSeconds = (System.nanoTime() - start) / 1e9;
        f.apiWrites = size.servers + throughApi;
        long bulk = System.nanoTime();
        int k8sServers = (size.servers + 1) / 2;
        String now = Instant.now().toString();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("pools.db"))) {
            c.setAutoCommit(false);
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO allocations (id, name, pool, server, size_bytes, kind, "
                    + "created_at, format, template, owner, phase) VALUES (?, ?, 'k8s', ?, 1000000000, 'volume', ?, 'directory', NULL, NULL, 'Ready')")) {
                for (int i = throughApi; i < size.allocations; i++) {
                    String server1 = serverName(2 * (i % k8sServers));
                    String name = "fill-" + i;
                    insert.setString(1, java.util.UUID.randomUUID().toString());
                    insert.setString(2, name);
                    insert.setString(3, server1);
                    insert.setString(4, now);
                    insert.addBatch();
                    Files.createDirectory(data.resolve("servers").resolve(server1).resolve("k8s-storage-pool").resolve(name));
                    if (i % 10_000 == 0) {
                        insert.executeBatch();
                    }
                }
                insert.executeBatch();
            }
            c.commit();
        }
        f.bulkSeconds = (System.nanoTime() - bulk) / 1e9;
        log("%s filled: %,d writes through the API in %.1f s, %,d allocations inserted in %.1f s", size.label(), f.apiWrites,
                f.apiSeconds, size.allocations - throughApi, f.bulkSeconds);
    }

    static String serverName(int i) {
        return String.format(Locale.ROOT, "srv-%05d", i);
    }

    static void sequentialStatus(Server server, Figures f) throws Exception {
        for (int i = 0; i < Math.min(50, SEQUENTIAL_GETS); i++) {
            get(server, "/api/v1/pools/status"); // warm
        }
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < SEQUENTIAL_GETS; i++) {
            long t = System.nanoTime();
            get(server, "/api/v1/pools/status");
            ms.add((System.nanoTime() - t) / 1e6);
        }
        f.statusP50.add(percentile(ms, 50));
        f.statusP99.add(percentile(ms, 99));
    }

    /** WRITES creates, then WRITES relabels: a vm server to k8s and back, each a PUT. */
    static void writes(Server server, Size size, int run, Figures f) throws Exception {
        List<Double> creates = creates(server, "run" + run + "-", WRITES, false);
        List<Double> relabels = relabels(server, size, WRITES);
        f.createP50.add(percentile(creates, 50));
        f.createP99.add(percentile(creates, 99));
        f.relabelP50.add(percentile(relabels, 50));
        f.relabelP99.add(percentile(relabels, 99));
    }

    /** The same writes as a run, as the first requests of their kind the server sees after it started. */
    static void coldWrites(Server server, Size size, Figures f) throws Exception {
        f.coldCreateP50.add(percentile(creates(server, "cold-", WRITES, false), 50));
        f.coldRelabelP50.add(percentile(relabels(server, size, WRITES), 50));
    }

    /** WARM_UP creates, each deleted again, and a tenth as many relabels; nothing measured. */
    static void warmUp(Server server, Size size) throws Exception {
        long start = System.nanoTime();
        creates(server, "warm-up-", WARM_UP, true);
        relabels(server, size, Math.max(2, WARM_UP / 10));
        log("%s warm-up: %,d creates and deletes, %,d relabels in %.1f s", size.label(), WARM_UP, Math.max(2, WARM_UP / 10),
                (System.nanoTime() - start) / 1e9);
    }

    /** n sequential POSTs of a 1 GB k8s volume; each one's time, or none timed and each deleted again when warming up. */
    static List<Double> creates(Server server, String prefix, int n, boolean deleteEach) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            String created = send(server, "POST", "/api/v1/volumes", "{\"name\": \"" + prefix + i + "\", \"pool\": \"k8s\", \"size\": 1}");
            ms.add((System.nanoTime() - t) / 1e6);
            if (deleteEach) {
                Matcher id = CREATED_ID.matcher(created);
                if (!id.find()) {
                    throw new IllegalStateException("no id in " + created);
                }
                send(server, "DELETE", "/api/v1/volumes/" + id.group(1), "");
            }
        }
        return ms;
    }

    /** n sequential PUTs moving vm servers to k8s and back, in pairs. */
    static List<Double> relabels(Server server, Size size, int n) throws Exception {
        List<Double> ms = new ArrayList<>();
        int vmServers = size.servers / 2;
        for (int i = 0; i < n; i++) {
            String name = serverName(2 * ((i / 2) % vmServers) + 1);
            long t = System.nanoTime();
            send(server, "PUT", "/api/v1/servers/" + name, "{\"pool\": \"" + (i % 2 == 0 ? "k8s" : "vm") + "\"}");
            ms.add((System.nanoTime() - t) / 1e6);
        }
        return ms;
    }

    /** What any durable write costs here: a 4 KB write + fsync, and a one-row SQLite commit (WAL, synchronous=FULL). */
    static double durableFloor(Path work) throws Exception {
        Path db = work.resolve("floor.db");
        List<Double> ms = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             RandomAccessFile file = new RandomAccessFile(work.resolve("floor.bin").toFile(), "rw")) {
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA journal_mode=WAL");
                st.execute("PRAGMA synchronous=FULL");
                st.execute("CREATE TABLE IF NOT EXISTS floor (id INTEGER PRIMARY KEY, name TEXT, size INTEGER)");
            }
            c.setAutoCommit(false);
            FileChannel channel = file.getChannel();
            ByteBuffer block = ByteBuffer.allocate(4096);
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO floor (name, size) VALUES (?, ?)")) {
                for (int i = 0; i < WRITES; i++) {
                    long t = System.nanoTime();
                    block.clear();
                    channel.write(block, 0);
                    channel.force(true);
                    insert.setString(1, "floor-" + i);
                    insert.setLong(2, i);
                    insert.executeUpdate();
                    c.commit();
                    ms.add((System.nanoTime() - t) / 1e6);
                }
            }
        }
        return percentile(ms, 50);
    }

    /** Wall time of bin/poolctl status (a new JVM each time) and of curl, same endpoint; and of `java -version` with the client's flags. */
    static void cliAgainstCurl(Server server, Figures f) throws Exception {
        String base = server.url("");
        f.cli.add(medianWall(List.of(ROOT.resolve("bin/poolctl").toString(), "status", "--server", base)));
        f.curl.add(medianWall(List.of("curl", "-sf", "-o", "/dev/null", base + "/api/v1/pools/status")));
        f.jvmFloor.add(medianWall(List.of("java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-version")));
    }

    static double medianWall(List<String> command) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < CLI_RUNS; i++) {
            long t = System.nanoTime();
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed");
            }
            ms.add((System.nanoTime() - t) / 1e6);
        }
        return percentile(ms, 50);
    }

    static double wrk(String url) throws Exception {
        Process p = new ProcessBuilder("wrk", "-t2", "-c16", "-d" + WRK_SECONDS + "s", url).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        Matcher m = Pattern.compile("Requests/sec:\\s+([0-9.]+)").matcher(out);
        Matcher errors = Pattern.compile("Non-2xx or 3xx responses: (\\d+)").matcher(out);
        if (p.exitValue() != 0 || !m.find() || errors.find()) {
            throw new IllegalStateException("wrk failed:\n" + out);
        }
        return Double.parseDouble(m.group(1));
    }

    /** A standalone server run by bin/poolctl (its own heap settings), ready when /readyz answers 200. */
    static final class Server {
        final Process process;
        final int port;
        long readyAt;

        private Server(Process process, int port) {
            this.process = process;
            this.port = port;
        }

        static Server start(Path data, Path log) throws Exception {
            int port;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Process p = new ProcessBuilder(ROOT.resolve("bin/poolctl").toString(), "standalone", "--host", "127.0.0.1",
                    "--port", String.valueOf(port), "--data-dir", data.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Server server = new Server(p, port);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("the server stopped:\n" + Files.readString(log));
                }
                try {
                    if (HTTP.send(HttpRequest.newBuilder(URI.create(server.url("/readyz"))).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        server.readyAt = System.nanoTime();
                        return server;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(10);
            }
            p.destroyForcibly();
            throw new IllegalStateException("the server was not ready within 5 minutes:\n" + Files.readString(log));
        }

        String url(String path) {
            return "http://127.0.0.1:" + port + path;
        }

        double rssMb() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
            throw new IllegalStateException("no VmRSS for " + process.pid());
        }

        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    static void get(Server server, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.url(path))).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + ": " + r.statusCode() + " " + r.body());
        }
    }

    /** The answer's body; anything but a 2xx stops the benchmark. */
    static String send(Server server, String method, String path, String body) throws Exception {
        HttpRequest.BodyPublisher content = body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.url(path))).header("Content-Type", "application/json")
                .method(method, content).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    static double percentile(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** "median (min)" of one value per run. */
    static String mm(List<Double> runs, String format) {
        return String.format(Locale.ROOT, format, percentile(runs, 50)) + " (" + String.format(Locale.ROOT, format, Collections.min(runs)) + ")";
    }

    static String report(List<Figures> all, String machine) {
        StringBuilder t = new StringBuilder();
        t.append("## Standalone server at fleet scale (bench/standalone-scale.sh, #10)\n\n");
        t.append("Measured ").append(Instant.now().toString(), 0, 16).append("Z on ").append(machine).append(".\n");
        t.append("Each figure: median of ").append(RUNS).append(" runs (min in brackets). The server is `bin/poolctl standalone` "
                + "(its launcher's heap settings); the client, wrk and the server share the machine's cores over loopback.\n\n");
        t.append("| servers / allocations | fill | GET status p50 | p99 | req/s (wrk, 16 conn.) "
                + "| POST volumes p50 | p99 | PUT servers p50 | p99 | right after start: POST p50, PUT p50 | durable floor | create p50 / floor | start-up to ready | RSS loaded | RSS after start |\n");
        t.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Figures f : all) {
            double ratio = percentile(f.createP50, 50) / percentile(f.floorP50, 50);
            t.append("| ").append(f.size.label())
                    .append(String.format(Locale.ROOT, " | %,d via API in %.0f s (%.0f/s), rest inserted in %.0f s", f.apiWrites,
                            f.apiSeconds, f.apiWrites / f.apiSeconds, f.bulkSeconds))
                    .append(" | ").append(mm(f.statusP50, "%.2f ms")).append(" | ").append(mm(f.statusP99, "%.2f ms"))
                    .append(" | ").append(mm(f.statusRps, "%.0f"))
                    .append(" | ").append(mm(f.createP50, "%.2f ms")).append(" | ").append(mm(f.createP99, "%.2f ms"))
                    .append(" | ").append(mm(f.relabelP50, "%.2f ms")).append(" | ").append(mm(f.relabelP99, "%.2f ms"))
                    .append(" | ").append(mm(f.coldCreateP50, "%.2f ms")).append(", ").append(mm(f.coldRelabelP50, "%.2f ms"))
                    .append(" | ").append(mm(f.floorP50, "%.2f ms"))
                    .append(String.format(Locale.ROOT, " | %.1fx", ratio))
                    .append(" | ").append(mm(f.startup, "%.2f s"))
                    .append(" | ").append(mm(f.rssLoaded, "%.0f MB")).append(" | ").append(mm(f.rssStarted, "%.0f MB")).append(" |\n");
        }
        t.append("\n`poolctl status` (a new JVM each time, wall time including process start) against curl of the same endpoint, "
                + "and `java -version` with the client's JVM flags (the JVM's own start on this machine):\n\n");
        t.append("| servers / allocations | bin/poolctl status | curl | java -version |\n|---|---|---|---|\n");
        for (Figures f : all) {
            t.append("| ").append(f.size.label()).append(" | ").append(mm(f.cli, "%.0f ms")).append(" | ")
                    .append(mm(f.curl, "%.0f ms")).append(" | ").append(mm(f.jvmFloor, "%.0f ms")).append(" |\n");
        }
        t.append("\nTargets at 5,000 / 200,000 (issue #10): status p99 under 10 ms and at least 5,000 req/s; create p50 under 5 ms; "
                + "start-up under 5 s; RSS under 512 MB; `poolctl status` under 300 ms.\n");
        t.append("\nFill: every server by `PUT /api/v1/servers/{name}` (half k8s, half vm) and the first " + API_VOLUMES
                + " 1 GB directory volumes in k8s by `POST /api/v1/volumes`, 8 clients at once (each write a durable SQLite commit, "
                + "an audit record and a directory: the API fills at the rate shown, too slow for 200,000); then, with the server "
                + "stopped, the other allocations inserted into its database as the API writes them (one transaction) with a "
                + "directory each, spread round-robin over the k8s servers. The server then reads them once at start-up. The writes measured: POST a 1 GB volume "
                + "(sequential); PUT moves a vm server to k8s and back (sequential). \"Right after start\" is the first " + WRITES + " of each "
                + "after the measuring server started (one value; before them that server has answered only its readiness check). Then, unmeasured, "
                + String.format(Locale.ROOT, "%,d", WARM_UP) + " creates (each deleted again: the allocation count stays the size's) and "
                + Math.max(2, WARM_UP / 10) + " relabels, so the runs measure a server whose write path the JIT has compiled, "
                + "as it is once it has been up a while. Durable floor: a 4 KB write + fsync plus "
                + "a one-row SQLite commit (WAL, synchronous=FULL) on the same file system, p50 of the same number of writes.\n");
        return t.toString();
    }

    static String machine() throws IOException {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
        long memKb = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                .findFirst().map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).orElse(0L);
        String load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        return String.format(Locale.ROOT, "%d cores (nproc), %s, %.0f GB RAM, load average %s at the start",
                Runtime.getRuntime().availableProcessors(), cpu, memKb / 1024.0 / 1024.0, load);
    }

    /** Writes this benchmark's section of BENCHMARKS.md between its markers (as the Kubernetes benchmarks do). */
    static void section(String id, String markdown) throws IOException {
        Path file = ROOT.resolve("BENCHMARKS.md");
        String start = "<!-- " + id + ":start (written by make bench) -->";
        String end = "<!-- " + id + ":end -->";
        String text = Files.exists(file) ? Files.readString(file) : "# Benchmarks\n";
        String block = start + "\n" + markdown.strip() + "\n" + end;
        int a = text.indexOf(start);
        int b = text.indexOf(end);
        text = a >= 0 && b > a ? text.substring(0, a) + block + text.substring(b + end.length()) : text.stripTrailing() + "\n\n" + block + "\n";
        Files.writeString(file, text);
    }

    static void log(String format, Object... args) {
        System.out.printf("[bench] " + format + "%n", args);
    }

    static String env(String name, String otherwise) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? otherwise : v;
    }
}
