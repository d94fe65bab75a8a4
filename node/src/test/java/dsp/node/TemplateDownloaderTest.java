package dsp.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dsp.core.DomainException;
import dsp.core.vm.TemplateSource;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The download of an image by URL, against a local HTTP server whose answers each test sets: the size
 * limit at its exact boundary (announced, ranged or only seen while reading), resuming with Range, servers
 * that ignore or misanswer a range, and checksums computed here, independently of the downloader's.
 */
class TemplateDownloaderTest {

    private static final int LIMIT = 200_000;

    @TempDir
    Path dir;

    private HttpServer server;
    private final List<String> ranges = new CopyOnWriteArrayList<>();
    /** What the server sends: the image, and how it answers a Range request. */
    private volatile byte[] image = new byte[0];
    private volatile RangeAnswer rangeAnswer = RangeAnswer.HONOUR;
    private volatile boolean announceLength = true;
    /** Bytes sent past what the Content-Range says (a lying server). */
    private volatile int extra;

    enum RangeAnswer { HONOUR, IGNORE, WRONG_START, NO_CONTENT_RANGE, UNKNOWN_TOTAL }

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/image", this::serve);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void serve(HttpExchange x) throws IOException {
        String range = x.getRequestHeaders().getFirst("Range");
        ranges.add(String.valueOf(range));
        byte[] body = image;
        int status = 200;
        if (range != null && rangeAnswer != RangeAnswer.IGNORE) {
            int from = Integer.parseInt(range.replaceAll("^bytes=(\\d+)-$", "$1"));
            if (from >= body.length) {
                x.sendResponseHeaders(416, -1);
                x.close();
                return;
            }
            int start = rangeAnswer == RangeAnswer.WRONG_START ? from - 1 : from;
            String total = rangeAnswer == RangeAnswer.UNKNOWN_TOTAL ? "*" : String.valueOf(body.length);
            if (rangeAnswer != RangeAnswer.NO_CONTENT_RANGE) {
                x.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (body.length - 1) + "/" + total);
            }
            body = Arrays.copyOfRange(body, start, body.length + extra);
            status = 206;
        }
        x.sendResponseHeaders(status, announceLength ? body.length : 0);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    private TemplateDownloader downloader() {
        return new TemplateDownloader(LIMIT, Duration.ofSeconds(30));
    }

    private TemplateSource source(byte[] data) throws Exception {
        return new TemplateSource("http://127.0.0.1:" + server.getAddress().getPort() + "/image", sha256(data));
    }

    private static byte[] random(int size) {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return data;
    }

    @Test
    void anImageOfExactlyTheLimitIsFetchedWholeAndOneByteMoreIsRefusedAndDeleted() throws Exception {
        image = random(LIMIT);
        Path partial = dir.resolve("exact.partial");
        assertThat(downloader().download(source(image), partial)).isEqualTo(LIMIT);
        assertThat(Files.readAllBytes(partial)).isEqualTo(image);

        for (boolean announced : List.of(true, false)) {
            announceLength = announced;
            image = random(LIMIT + 1);
            Path over = dir.resolve("over-" + announced + ".partial");
            assertThatThrownBy(() -> downloader().download(source(image), over))
                    .isInstanceOfSatisfying(DomainException.class, e -> {
                        assertThat(e.code()).isEqualTo(DomainException.Code.INVALID);
                        assertThat(e.getMessage()).contains(String.valueOf(LIMIT));
                    });
            assertThat(over).as("announced " + announced).doesNotExist();
        }
    }

    @Test
    void aPartialFileIsResumedWithARangeAndOnlyTheRestIsFetched() throws Exception {
        image = random(LIMIT);
        Path partial = Files.write(dir.resolve("resume.partial"), Arrays.copyOf(image, 70_000));

        assertThat(downloader().download(source(image), partial)).isEqualTo(LIMIT - 70_000);

        assertThat(ranges).containsExactly("bytes=70000-");
        assertThat(Files.readAllBytes(partial)).isEqualTo(image);
    }

    @Test
    void aRangeWithAnUnknownTotalIsResumedToo() throws Exception {
        image = random(90_000);
        rangeAnswer = RangeAnswer.UNKNOWN_TOTAL;
        Path partial = Files.write(dir.resolve("star.partial"), Arrays.copyOf(image, 1));

        assertThat(downloader().download(source(image), partial)).isEqualTo(90_000 - 1);
        assertThat(Files.readAllBytes(partial)).isEqualTo(image);
    }

    @Test
    void aCompletePartialFileIsCheckedWithoutFetchingAgain() throws Exception {
        image = random(50_000);
        Path partial = Files.write(dir.resolve("complete.partial"), image);

        assertThat(downloader().download(source(image), partial)).isZero();
        assertThat(ranges).containsExactly("bytes=50000-");
        assertThat(Files.readAllBytes(partial)).isEqualTo(image);
    }

    @Test
    void aServerThatIgnoresTheRangeIsFetchedFromTheStart() throws Exception {
        image = random(60_000);
        rangeAnswer = RangeAnswer.IGNORE;
        Path partial = Files.write(dir.resolve("ignored.partial"), Arrays.copyOf(image, 20_000));

        assertThat(downloader().download(source(image), partial)).isEqualTo(60_000);
        assertThat(Files.readAllBytes(partial)).isEqualTo(image);
    }

    @Test
    void aPartialFileLargerThanTheLimitIsStartedAfreshWithoutARange() throws Exception {
        image = random(10_000);
        Path partial = Files.write(dir.resolve("big.partial"), new byte[LIMIT + 1]);

        assertThat(downloader().download(source(image), partial)).isEqualTo(10_000);
        assertThat(ranges).containsExactly("null");
        assertThat(Files.readAllBytes(partial)).isEqualTo(image);
    }

    @Test
    void aRangedAnswerThatGoesPastTheLimitIsRefusedAndDeleted() throws Exception {
        // the total the server announces is within the limit; what it sends is not
        image = random(LIMIT);
        extra = 10;
        Path partial = Files.write(dir.resolve("liar.partial"), Arrays.copyOf(image, 150_000));

        assertThatThrownBy(() -> downloader().download(source(image), partial))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(DomainException.Code.INVALID));
        assertThat(partial).doesNotExist();
    }

    @Test
    void aRangedAnswerWhoseTotalIsOverTheLimitIsRefused() throws Exception {
        image = random(LIMIT + 1);
        Path partial = Files.write(dir.resolve("total.partial"), Arrays.copyOf(image, 100));

        assertThatThrownBy(() -> downloader().download(source(image), partial))
                .isInstanceOfSatisfying(DomainException.class, e -> {
                    assertThat(e.code()).isEqualTo(DomainException.Code.INVALID);
                    assertThat(e.getMessage()).contains((LIMIT + 1) + " bytes");
                });
    }

    @Test
    void aRangeFromTheWrongByteOrWithoutContentRangeFailsAndKeepsThePartialFile() throws Exception {
        image = random(30_000);
        for (RangeAnswer answer : List.of(RangeAnswer.WRONG_START, RangeAnswer.NO_CONTENT_RANGE)) {
            rangeAnswer = answer;
            Path partial = Files.write(dir.resolve(answer + ".partial"), Arrays.copyOf(image, 1_000));
            assertThatThrownBy(() -> downloader().download(source(image), partial))
                    .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(DomainException.Code.STORAGE_FAILED));
            assertThat(Files.readAllBytes(partial)).as(answer.name()).isEqualTo(Arrays.copyOf(image, 1_000));
        }
    }

    @Test
    void anEmptyImageIsRefused() throws Exception {
        image = new byte[0];
        Path partial = dir.resolve("empty.partial");

        assertThatThrownBy(() -> downloader().download(source(image), partial))
                .isInstanceOfSatisfying(DomainException.class, e -> {
                    assertThat(e.code()).isEqualTo(DomainException.Code.INVALID);
                    assertThat(e.getMessage()).endsWith("is empty");
                });
    }

    @Test
    void aChecksumIsOfEveryByteAndAWrongOneDeletesTheImage() throws Exception {
        image = random(150_000);
        Path file = Files.write(dir.resolve("file"), image);
        assertThat(TemplateDownloader.sha256(file)).isEqualTo(sha256(image));

        Path partial = dir.resolve("wrong.partial");
        TemplateSource wrong = new TemplateSource(source(image).url(), sha256(new byte[] {1}));
        assertThatThrownBy(() -> downloader().download(wrong, partial))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(DomainException.Code.INVALID));
        assertThat(partial).doesNotExist();
    }

    @Test
    void aServerThatCannotBeReachedIsAFailureThatSaysWhy() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        TemplateSource source = new TemplateSource("http://127.0.0.1:" + closed + "/image", sha256(new byte[1]));

        assertThatThrownBy(() -> downloader().download(source, dir.resolve("unreachable.partial")))
                .isInstanceOfSatisfying(DomainException.class, e -> {
                    assertThat(e.code()).isEqualTo(DomainException.Code.STORAGE_FAILED);
                    assertThat(e.getMessage()).startsWith("cannot fetch http://127.0.0.1:" + closed + "/image: ")
                            .doesNotEndWith(": ").doesNotContain("null", "Exception");
                });
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
