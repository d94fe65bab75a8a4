package dsp.node;

import dsp.core.DomainException;
import dsp.core.vm.TemplateSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fetches an image by URL for a template import: http or https only, at most {@code maxBytes},
 * resumed where an earlier attempt stopped (HTTP Range on the partial file), and accepted only
 * when its SHA-256 is the one the operator gave. A wrong checksum or an oversize image deletes
 * the partial file; an interrupted transfer keeps it for the next attempt.
 */
public final class TemplateDownloader {

    private static final Pattern CONTENT_RANGE = Pattern.compile("^bytes (\\d+)-(\\d+)/(\\d+|\\*)$");

    /** Made at the first download: building an HttpClient builds the TLS context, seconds of every server's start-up (#10). */
    private final java.util.function.Supplier<HttpClient> http;
    private final long maxBytes;
    private final Duration timeout;

    public TemplateDownloader(long maxBytes, Duration timeout) {
        this(new java.util.function.Supplier<>() {
            private HttpClient client;

            @Override
            public synchronized HttpClient get() {
                if (client == null) {
                    client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                            .connectTimeout(Duration.ofSeconds(30)).build();
                }
                return client;
            }
        }, maxBytes, timeout);
    }

    TemplateDownloader(HttpClient http, long maxBytes, Duration timeout) {
        this(() -> http, maxBytes, timeout);
    }

    private TemplateDownloader(java.util.function.Supplier<HttpClient> http, long maxBytes, Duration timeout) {
        this.http = http;
        this.maxBytes = maxBytes;
        this.timeout = timeout;
    }

    /**
     * Makes {@code partial} the complete image, continuing from the bytes it already holds.
     *
     * @return the number of bytes fetched by this call (0 when the partial file was already complete)
     * @throws DomainException INVALID for a wrong checksum or an oversize image (partial deleted),
     *                         STORAGE_FAILED for a transfer that failed (partial kept, so a retry resumes)
     */
    public long download(TemplateSource source, Path partial) {
        URI url;
        try {
            url = new URI(source.url());
        } catch (java.net.URISyntaxException e) {
            throw DomainException.invalid("url '" + source.url() + "' is not a URL: " + e.getReason());
        }
        String sha256 = source.sha256();
        long have = size(partial);
        if (have > maxBytes) {
            discard(partial);
            have = 0;
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(timeout).GET();
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> response;
        try {
            response = http.get().send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot fetch " + url + ": " + describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw DomainException.storageFailed("fetching " + url + " was interrupted");
        }
        long fetched;
        try (InputStream body = response.body()) {
            int code = response.statusCode();
            boolean append;
            if (code == 416 && have > 0) {
                fetched = 0; // nothing past what we have: the partial file is complete
                append = true;
            } else if (code == 206 && have > 0) {
                long[] range = contentRange(response, url);
                if (range[0] != have) {
                    throw DomainException.storageFailed(url + " answered a range from byte " + range[0] + ", not " + have);
                }
                requireSize(range[1], url);
                fetched = copy(body, partial, true, have);
                append = true;
            } else if (code == 200) {
                long announced = response.headers().firstValueAsLong("Content-Length").orElse(-1);
                if (announced > maxBytes) {
                    discard(partial);
                    requireSize(announced, url);
                }
                fetched = copy(body, partial, false, 0); // the server ignored the range: start over
                append = false;
            } else {
                throw DomainException.storageFailed(url + " answered HTTP " + code);
            }
            if (!append && fetched == 0) {
                throw DomainException.invalid(url + " is empty");
            }
        } catch (IOException e) {
            throw DomainException.storageFailed("fetching " + url + " stopped after " + size(partial) + " bytes: " + describe(e)
                    + "; the next attempt resumes there");
        }
        String actual = sha256(partial);
        if (!actual.equals(sha256)) {
            discard(partial);
            throw DomainException.invalid("the image at " + url + " has SHA-256 " + actual + ", not " + sha256
                    + "; refused and deleted");
        }
        return fetched;
    }

    private long copy(InputStream body, Path partial, boolean append, long offset) throws IOException {
        long written = 0;
        byte[] buffer = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            int n;
            while ((n = body.read(buffer)) > 0) {
                if (offset + written + n > maxBytes) {
                    out.close();
                    discard(partial);
                    throw DomainException.invalid("the image is larger than the limit of " + maxBytes + " bytes; refused and deleted");
                }
                out.write(buffer, 0, n);
                written += n;
            }
        }
        return written;
    }

    private void requireSize(long total, URI url) {
        if (total > maxBytes) {
            throw DomainException.invalid("the image at " + url + " is " + total + " bytes, more than the limit of " + maxBytes
                    + " bytes; refused");
        }
    }

    /** {@code [first byte, total]} of a 206 answer. */
    private static long[] contentRange(HttpResponse<?> response, URI url) {
        Optional<String> header = response.headers().firstValue("Content-Range");
        Matcher m = header.map(h -> CONTENT_RANGE.matcher(h.trim())).filter(Matcher::matches).orElseThrow(() ->
                DomainException.storageFailed(url + " answered 206 without a usable Content-Range"));
        long total = m.group(3).equals("*") ? Long.parseLong(m.group(2)) + 1 : Long.parseLong(m.group(3));
        return new long[] {Long.parseLong(m.group(1)), total};
    }

    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot read " + file.getFileName() + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long size(Path f) {
        try {
            return Files.isRegularFile(f) ? Files.size(f) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void discard(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            // the next attempt truncates it
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT) : e.getMessage();
    }

}
