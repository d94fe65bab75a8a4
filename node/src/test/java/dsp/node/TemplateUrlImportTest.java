package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dsp.core.DomainException;
import dsp.core.model.PoolCatalog;
import dsp.core.vm.TemplateSource;
import dsp.testing.RequiredTool;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Templates imported by URL from a local HTTP server serving real images made with qemu-img:
 * resumed after an interrupted transfer, refused for a wrong checksum, an oversize, a backing file
 * or an external data file, and stored as a read-only qcow2 that reads the same as the download.
 */
class TemplateUrlImportTest {

    @TempDir
    Path dir;

    private final QemuImg qemu = QemuImg.onPath();
    private HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    /** Paths whose next answer stops after this many bytes (a dropped connection). */
    private final Map<String, Long> cutAfter = new ConcurrentHashMap<>();
    private final List<String> ranges = new CopyOnWriteArrayList<>();
    private final AtomicLong served = new AtomicLong();
    private FileTemplateLibrary library;

    @BeforeEach
    void start() throws IOException {
        RequiredTool.QEMU_IMG.require();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.start();
        Path root = dir.resolve("server");
        ServerRoots roots = ServerRoots.singleNode(root);
        roots.prepare("node-1", PoolCatalog.guideDefaults().pools());
        library = new FileTemplateLibrary(dir.resolve("templates"), qemu, roots, PoolCatalog.guideDefaults(), Optional.empty());
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    /** Serves bytes, honouring {@code Range: bytes=N-} with 206, as web servers do. */
    private void serve(HttpExchange x) throws IOException {
        byte[] body = files.get(x.getRequestURI().getPath());
        if (body == null) {
            x.sendResponseHeaders(404, -1);
            x.close();
            return;
        }
        String range = x.getRequestHeaders().getFirst("Range");
        int from = 0;
        if (range != null) {
            ranges.add(range);
            from = Integer.parseInt(range.replaceAll("^bytes=(\\d+)-$", "$1"));
            if (from >= body.length) {
                x.sendResponseHeaders(416, -1);
                x.close();
                return;
            }
            x.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
            x.sendResponseHeaders(206, body.length - from);
        } else {
            x.sendResponseHeaders(200, body.length);
        }
        Long cut = cutAfter.remove(x.getRequestURI().getPath());
        int end = cut == null ? body.length : (int) Math.min(body.length, from + cut);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body, from, end - from);
            served.addAndGet(end - from);
            if (cut != null) {
                out.flush();
                throw new IOException("connection dropped on purpose"); // the server closes it mid-body
            }
        }
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** A qcow2 holding 4 MiB of recognisable guest data, made with qemu-img. */
    private byte[] guestImage(Path work) throws IOException {
        Path raw = work.resolve("guest.raw");
        byte[] data = new byte[4 << 20];
        new Random(7).nextBytes(data);
        Files.write(raw, data);
        Path qcow2 = work.resolve("guest.qcow2");
        qemu.convert(raw, "raw", qcow2, "qcow2", false);
        return Files.readAllBytes(qcow2);
    }

    private String sha(byte[] bytes) throws IOException {
        Path f = Files.createTempFile(dir, "sha", ".bin");
        Files.write(f, bytes);
        return TemplateDownloader.sha256(f);
    }

    @Test
    void anInterruptedDownloadResumesWhereItStoppedAndTheTemplateReadsLikeTheImage() throws Exception {
        Path work = Files.createDirectories(dir.resolve("work"));
        byte[] image = guestImage(work);
        files.put("/ubuntu22.qcow2", image);
        cutAfter.put("/ubuntu22.qcow2", (long) image.length / 2);
        TemplateSource source = TemplateSource.parse(url("/ubuntu22.qcow2"), sha(image).toUpperCase());

        assertThatThrownBy(() -> library.importFromUrl("ubuntu22", source)).isInstanceOf(DomainException.class)
                .hasMessageContaining("the next attempt resumes there");
        Path partial = dir.resolve("templates").resolve(".partial-ubuntu22");
        long kept = Files.size(partial);
        assertThat(kept).isPositive().isLessThan(image.length);
        assertThat(library.findTemplate("ubuntu22")).isEmpty();
        served.set(0);

        var done = library.importFromUrl("ubuntu22", source);
        assertThat(done.ready()).isTrue();
        assertThat(ranges).as("resumed where the kept bytes end").containsExactly("bytes=" + kept + "-");
        assertThat(served.get()).as("only the missing part is fetched again").isEqualTo(image.length - kept);
        assertThat(partial).doesNotExist();

        var t = library.findTemplate("ubuntu22").orElseThrow();
        assertThat(t.format().display()).isEqualTo("qcow2");
        Path stored = library.fileOf(t);
        assertThat(Files.getPosixFilePermissions(stored)).as("read-only").doesNotContain(PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
        assertThat(qemu.sameContent(work.resolve("guest.raw"), "raw", stored, "qcow2")).isTrue();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void aWrongChecksumIsRefusedAndNothingIsKept() throws Exception {
        byte[] image = guestImage(Files.createDirectories(dir.resolve("work")));
        files.put("/img.qcow2", image);
        String wrong = "0".repeat(64);
        assertThatThrownBy(() -> library.importFromUrl("img", TemplateSource.parse(url("/img.qcow2"), wrong)))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(DomainException.Code.INVALID))
                .hasMessageContaining("has SHA-256 " + sha(image)).hasMessageContaining("not " + wrong);
        assertThat(library.listTemplates()).isEmpty();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void anImageLargerThanTheLimitIsRefusedWhetherOrNotTheServerSaysSo() throws Exception {
        byte[] image = guestImage(Files.createDirectories(dir.resolve("work")));
        files.put("/big.qcow2", image);
        library.withDownloader(new TemplateDownloader(image.length - 1, Duration.ofMinutes(1)));
        assertThatThrownBy(() -> library.importFromUrl("big", TemplateSource.parse(url("/big.qcow2"), sha(image))))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(DomainException.Code.INVALID))
                .hasMessageContaining("limit of " + (image.length - 1) + " bytes");
        assertThat(leftovers()).isEmpty();
        // resuming a partial download: the size is checked against the total the range answer gives
        cutAfter.put("/big.qcow2", 1024L);
        library.withDownloader(new TemplateDownloader(image.length, Duration.ofMinutes(1)));
        assertThatThrownBy(() -> library.importFromUrl("big", TemplateSource.parse(url("/big.qcow2"), sha(image))));
        library.withDownloader(new TemplateDownloader(image.length - 1, Duration.ofMinutes(1)));
        assertThatThrownBy(() -> library.importFromUrl("big", TemplateSource.parse(url("/big.qcow2"), sha(image))))
                .hasMessageContaining("limit of " + (image.length - 1) + " bytes");
        assertThat(library.listTemplates()).isEmpty();
    }

    @Test
    void imagesThatAreNotSelfContainedAreRefusedByTheLocalImportsRules() throws Exception {
        Path work = Files.createDirectories(dir.resolve("work"));
        Path base = work.resolve("base.qcow2");
        qemu.create(base, "qcow2", 1 << 20, Optional.empty(), "qcow2");
        Path overlay = work.resolve("overlay.qcow2");
        qemu.create(overlay, "qcow2", 1 << 20, Optional.of(base), "qcow2");
        files.put("/overlay.qcow2", Files.readAllBytes(overlay));
        assertThatThrownBy(() -> library.importFromUrl("overlay", TemplateSource.parse(url("/overlay.qcow2"), sha(files.get("/overlay.qcow2")))))
                .hasMessageContaining("has a backing file");

        Path external = work.resolve("external.qcow2");
        Process p = new ProcessBuilder(RequiredTool.QEMU_IMG.require().toString(), "create", "-q", "-f", "qcow2", "-o",
                "data_file=" + work.resolve("external.raw"), external.toString(), "1M").inheritIO().start();
        assertThat(p.waitFor()).isZero();
        files.put("/external.qcow2", Files.readAllBytes(external));
        assertThatThrownBy(() -> library.importFromUrl("external", TemplateSource.parse(url("/external.qcow2"), sha(files.get("/external.qcow2")))))
                .hasMessageContaining("external data file");
        assertThat(library.listTemplates()).isEmpty();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void onlyHttpAndHttpsUrlsWithAChecksumAreAccepted() {
        String sha = "a".repeat(64);
        for (String bad : List.of("file:///etc/passwd", "ftp://example.org/x.qcow2", "not a url", "http:///nohost", "https://user:pw@example.org/x")) {
            assertThatThrownBy(() -> TemplateSource.parse(bad, sha)).as(bad)
                    .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(DomainException.Code.INVALID));
        }
        assertThatThrownBy(() -> TemplateSource.parse("https://example.org/x.qcow2", "abc")).hasMessageContaining("64 hex digits");
        assertThat(TemplateSource.parse(" https://example.org:8443/x.qcow2?v=1 ", sha.toUpperCase()))
                .isEqualTo(new TemplateSource("https://example.org:8443/x.qcow2?v=1", sha));
    }

    /** Anything but finished templates in the library directory. */
    private List<String> leftovers() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("templates"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
        }
    }
}
