package dsp.core.model;

import dsp.core.DomainException;
import java.util.regex.Pattern;

/** Names that end up in paths and Kubernetes objects: DNS-1123 labels, so nothing can escape a root. */
public final class Names {

    private static final Pattern DNS1123 = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    private static final int MAX = 63;

    private Names() {
    }

    public static boolean isValid(String name) {
        return name != null && name.length() <= MAX && DNS1123.matcher(name).matches();
    }

    /** Returns the name or throws a clear INVALID error naming what it is. */
    public static String require(String what, String name) {
        if (name == null || name.isEmpty()) {
            throw DomainException.invalid(what + " name is missing");
        }
        if (!isValid(name)) {
            throw DomainException.invalid(what + " name '" + printable(name) + "' is invalid: use at most "
                    + MAX + " lower-case letters, digits and '-', starting and ending with a letter or digit");
        }
        return name;
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
