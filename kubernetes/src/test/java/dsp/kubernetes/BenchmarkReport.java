package dsp.kubernetes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes one benchmark's section of BENCHMARKS.md (at the repository root), between its own
 * markers, leaving every other section as it was; the section is appended the first time.
 */
final class BenchmarkReport {

    private BenchmarkReport() {
    }

    static void section(String id, String markdown) {
        Path file = Path.of("..", "BENCHMARKS.md");
        String start = "<!-- " + id + ":start (written by make bench) -->";
        String end = "<!-- " + id + ":end -->";
        try {
            String text = Files.exists(file) ? Files.readString(file) : "# Benchmarks\n";
            String block = start + "\n" + markdown.strip() + "\n" + end;
            int a = text.indexOf(start);
            int b = text.indexOf(end);
            text = a >= 0 && b > a ? text.substring(0, a) + block + text.substring(b + end.length())
                    : text.stripTrailing() + "\n\n" + block + "\n";
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file.toAbsolutePath(), e);
        }
    }
}
