package dsp.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A scrape in the Prometheus text format, read back into series, so a test can ask for one value by its labels. */
final class PrometheusText {

    record Series(String name, Map<String, String> labels, double value) {
    }

    private static final Pattern LINE = Pattern.compile("([a-zA-Z_:][\\w:]*)(?:\\{(.*)})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    private final String text;
    private final List<Series> series = new ArrayList<>();

    PrometheusText(String text) {
        this.text = text;
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            assertThat(m.matches()).as("a sample line: %s", line).isTrue();
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            series.add(new Series(m.group(1), labels, Double.parseDouble(m.group(3))));
        }
    }

    /** Every series of that name whose labels include these name/value pairs. */
    List<Series> all(String name, String... labels) {
        return series.stream().filter(s -> s.name().equals(name) && has(s, labels)).toList();
    }

    /** The one series of that name with these labels (among others). */
    double value(String name, String... labels) {
        List<Series> found = all(name, labels);
        assertThat(found).as("%s%s in\n%s", name, List.of(labels), text).hasSize(1);
        return found.get(0).value();
    }

    /** The HELP text of a metric family. */
    String help(String name) {
        return text.lines().filter(l -> l.startsWith("# HELP " + name + " ")).findFirst()
                .map(l -> l.substring(("# HELP " + name + " ").length())).orElseThrow(() -> new AssertionError("no HELP for " + name));
    }

    private static boolean has(Series s, String... labels) {
        for (int i = 0; i < labels.length; i += 2) {
            if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return text;
    }
}
