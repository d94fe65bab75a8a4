package dsp.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Path segments for API URLs: whatever the user typed stays one segment. */
final class Paths {

    private Paths() {
    }

    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
