package dsp.core.vm;

import dsp.core.DomainException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where a template import comes from: an http or https URL (no credentials in it) and the SHA-256
 * the downloaded image must have, as 64 lower-case hex digits. Valid by construction.
 */
public record TemplateSource(URI url, String sha256) {

    private static final Pattern SHA256 = Pattern.compile("^[0-9a-f]{64}$");

    public TemplateSource {
        String scheme = url == null || url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null) {
            throw DomainException.invalid("url must be an http or https URL with a host");
        }
        if (url.getRawUserInfo() != null) {
            throw DomainException.invalid("url must not carry credentials");
        }
        if (sha256 == null || !SHA256.matcher(sha256).matches()) {
            throw DomainException.invalid("sha256 must be the image's SHA-256 as 64 hex digits");
        }
    }

    /** From what a user typed: checks the URL's syntax first and accepts upper-case hex. */
    public static TemplateSource parse(String url, String sha256) {
        if (url == null || url.isBlank()) {
            throw DomainException.invalid("url is required");
        }
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw DomainException.invalid("url '" + printable(url) + "' is not a URL");
        }
        return new TemplateSource(uri, sha256 == null ? null : sha256.trim().toLowerCase(Locale.ROOT));
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
