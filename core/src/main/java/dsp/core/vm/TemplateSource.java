package dsp.core.vm;

import dsp.core.DomainException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a template import comes from: an http or https URL with a host and no credentials, and
 * the SHA-256 the downloaded image must have, as 64 lower-case hex digits. Valid by construction
 * (checked as text: the core does no I/O; the downloader parses it).
 */
public record TemplateSource(String url, String sha256) {

    private static final Pattern SHA256 = Pattern.compile("^[0-9a-f]{64}$");
    /** scheme://authority[path...]: no spaces or control characters anywhere. */
    private static final Pattern URL = Pattern.compile("^(?i)(https?)://([^/?#\\s]+)([/?#]\\S*)?$");
    private static final Pattern HOST = Pattern.compile("^([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(:\\d{1,5})?$");

    public TemplateSource {
        if (url == null || url.isBlank()) {
            throw DomainException.invalid("url is required");
        }
        Matcher m = URL.matcher(url);
        if (!m.matches() || url.chars().anyMatch(Character::isISOControl)) {
            throw DomainException.invalid("url '" + printable(url) + "' must be an http or https URL with a host");
        }
        if (m.group(2).contains("@")) {
            throw DomainException.invalid("url must not carry credentials");
        }
        if (!HOST.matcher(m.group(2)).matches()) {
            throw DomainException.invalid("url '" + printable(url) + "' has no valid host");
        }
        if (sha256 == null || !SHA256.matcher(sha256).matches()) {
            throw DomainException.invalid("sha256 must be the image's SHA-256 as 64 hex digits");
        }
    }

    /** From what a user typed: trims both and accepts upper-case hex. */
    public static TemplateSource parse(String url, String sha256) {
        return new TemplateSource(url == null ? null : url.trim(), sha256 == null ? null : sha256.trim().toLowerCase(Locale.ROOT));
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
