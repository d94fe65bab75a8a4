package dsp.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dsp.core.DomainException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.DoubleConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way this system runs {@code qemu-img}: an argument list (never a shell string), a
 * timeout, and stderr turned into a clear error. A held image lock (a running VM, qemu-nbd)
 * becomes a CONFLICT saying the image is busy; anything else is a storage failure.
 */
public final class QemuImg {

    private static final Logger LOG = LoggerFactory.getLogger(QemuImg.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String binary;
    private final Duration timeout;

    public QemuImg(String binary, Duration timeout) {
        this.binary = binary;
        this.timeout = timeout;
    }

    public static QemuImg onPath() {
        return new QemuImg("qemu-img", Duration.ofMinutes(10));
    }

    /** Whether the binary answers at all (so callers can say clearly that it is missing). */
    public boolean available() {
        try {
            run(List.of("--version"), Path.of("."));
            return true;
        } catch (DomainException e) {
            return false;
        }
    }

    /**
     * {@code qemu-img info --output=json}, letting qemu-img probe the format: only for an image
     * whose format is not known yet (an import). {@code forceShare} reads an image a VM holds (-U).
     */
    public JsonNode info(Path image, boolean forceShare) {
        return info(image, Optional.empty(), forceShare);
    }

    /**
     * {@code qemu-img info -f <format>}: never probe an image whose format we know, so a raw disk
     * whose guest wrote an image header is still read as raw.
     */
    public JsonNode info(Path image, String format, boolean forceShare) {
        return info(image, Optional.of(format), forceShare);
    }

    private JsonNode info(Path image, Optional<String> format, boolean forceShare) {
        List<String> args = new ArrayList<>(List.of("info", "--output=json"));
        format.ifPresent(f -> args.addAll(List.of("-f", f)));
        if (forceShare) {
            args.add("-U");
        }
        args.add(image.toString());
        String out = run(args, image);
        try {
            return JSON.readTree(out);
        } catch (IOException e) {
            throw DomainException.storageFailed("qemu-img info printed no JSON for " + image);
        }
    }

    /** Creates an image of exactly {@code bytes}, optionally as an overlay on {@code backing}. */
    public void create(Path image, String format, long bytes, Optional<Path> backing, String backingFormat) {
        List<String> args = new ArrayList<>(List.of("create", "-q", "-f", format));
        if (backing.isPresent()) {
            args.addAll(List.of("-b", backing.get().toAbsolutePath().toString(), "-F", backingFormat));
        }
        args.add(image.toString());
        args.add(Long.toString(bytes));
        run(args, image);
    }

    public void resize(Path image, String format, long bytes) {
        run(List.of("resize", "-q", "-f", format, image.toString(), Long.toString(bytes)), image);
    }

    /** Converts (sparse output); {@code compress} only for qcow2 output. */
    public void convert(Path source, String sourceFormat, Path target, String targetFormat, boolean compress) {
        convert(source, sourceFormat, target, targetFormat, compress, NO_PROGRESS);
    }

    /** The same, telling {@code percent} how far qemu-img got as it goes ({@code -p}), 0 to 100. */
    public void convert(Path source, String sourceFormat, Path target, String targetFormat, boolean compress, DoubleConsumer percent) {
        List<String> args = new ArrayList<>(List.of("convert", percent == NO_PROGRESS ? "-q" : "-p", "-f", sourceFormat, "-O", targetFormat));
        if (compress) {
            args.add("-c");
        }
        args.add(source.toString());
        args.add(target.toString());
        run(args, target, percent);
    }

    /**
     * Points a qcow2 overlay at another backing file holding the same guest data ({@code rebase -u}:
     * only the header changes), e.g. the target server's own copy of the template after a move.
     */
    public void rebaseOnto(Path image, Path backing, String backingFormat) {
        run(List.of("rebase", "-q", "-u", "-f", "qcow2", "-b", backing.toAbsolutePath().toString(), "-F", backingFormat,
                image.toString()), image);
    }

    /** Whether {@code qemu-img check} finds the image consistent (no corruption, no leaked clusters). */
    public boolean check(Path image, String format) {
        try {
            run(List.of("check", "-q", "-U", "-f", format, image.toString()), image);
            return true;
        } catch (DomainException inconsistent) {
            return false;
        }
    }

    /** Whether two images show the guest the same content ({@code qemu-img compare}). */
    public boolean sameContent(Path a, String formatA, Path b, String formatB) {
        return sameContent(a, formatA, b, formatB, NO_PROGRESS);
    }

    /** The same, telling {@code percent} how far the comparison got ({@code -p}), 0 to 100. */
    public boolean sameContent(Path a, String formatA, Path b, String formatB, DoubleConsumer percent) {
        try {
            run(List.of("compare", percent == NO_PROGRESS ? "-q" : "-p", "-U", "-f", formatA, "-F", formatB, a.toString(), b.toString()),
                    b, percent);
            return true;
        } catch (DomainException different) {
            return false;
        }
    }

    /** No progress wanted: qemu-img runs quiet ({@code -q}). */
    public static final DoubleConsumer NO_PROGRESS = p -> { };

    /** What {@code qemu-img -p} redraws: {@code "    (12.34/100%)"}. */
    private static final Pattern PERCENT = Pattern.compile("\\((\\d+(?:\\.\\d+)?)/100%\\)");

    /** True when a writer (a running VM) holds the image: {@code info} without -U cannot lock it. */
    public boolean inUse(Path image) {
        try {
            info(image, false);
            return false;
        } catch (DomainException e) {
            return e.code() == DomainException.Code.CONFLICT;
        }
    }

    String run(List<String> args, Path subject) {
        return run(args, subject, NO_PROGRESS);
    }

    private String run(List<String> args, Path subject, DoubleConsumer percent) {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary);
        cmd.addAll(args);
        ProcessRunner.Result r;
        try {
            r = ProcessRunner.run(cmd, timeout, line -> {
                Matcher m = PERCENT.matcher(line);
                if (m.find()) {
                    percent.accept(Double.parseDouble(m.group(1)));
                }
            });
        } catch (ProcessRunner.TimedOut e) {
            throw DomainException.storageFailed("qemu-img " + args.get(0) + " on " + subject + " timed out after " + timeout);
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot run " + binary + " (is qemu-utils installed?): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw DomainException.storageFailed("qemu-img " + args.get(0) + " interrupted");
        }
        String stderr = r.err().strip();
        if (r.exitCode() != 0) {
            String first = stderr.isEmpty() ? "exit code " + r.exitCode() : stderr.lines().findFirst().orElse("").replaceFirst("^qemu-img: ", "");
            LOG.debug("qemu-img {} failed on {}: {}", args, subject, stderr);
            if (stderr.contains("lock")) {
                throw DomainException.conflict("image " + subject.getFileName() + " is in use by another process (a running VM holds its lock): " + first);
            }
            throw DomainException.storageFailed("qemu-img " + args.get(0) + " failed on " + subject.getFileName() + ": " + first);
        }
        return r.out();
    }
}
