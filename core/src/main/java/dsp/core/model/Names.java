package dsp.core.model;

import dsp.core.DomainException;

/**
 * Names that end up in paths and Kubernetes objects. Volumes, VMs, pools and templates are
 * DNS-1123 labels, so nothing can escape a root. Servers are Kubernetes Nodes, whose names are
 * DNS-1123 subdomains ({@code ip-10-0-0-1.ec2.internal}): dot-separated labels, so a server name
 * is still one safe path component (no {@code /}, and no label may be {@code .} or {@code ..}).
 */
public final class Names {

    private static final int MAX = 63;
    private static final int MAX_SUBDOMAIN = 253;

    private Names() {
    }

    /**
     * A DNS-1123 label, {@code [a-z0-9]([-a-z0-9]*[a-z0-9])?}, of at most 63 characters. Checked by hand, not by a
     * regular expression: every allocation's name, pool and server are checked when it is built, 200,000 times at
     * a start-up at fleet scale (#10), and the matcher was most of that.
     */
    public static boolean isValid(String name) {
        return name != null && name.length() <= MAX && isLabel(name, 0, name.length());
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

    /** A server (Node) name: a DNS-1123 subdomain of labels joined by dots, at most 253 characters. */
    public static boolean isValidServer(String name) {
        if (name == null || name.length() > MAX_SUBDOMAIN) {
            return false;
        }
        int from = 0;
        while (true) {
            int dot = name.indexOf('.', from);
            int to = dot < 0 ? name.length() : dot;
            if (to - from > MAX || !isLabel(name, from, to)) {
                return false;
            }
            if (dot < 0) {
                return true;
            }
            from = dot + 1;
        }
    }

    /** Whether {@code s[from, to)} is one DNS-1123 label (any length but empty): a-z, 0-9 and '-', not at either end. */
    private static boolean isLabel(String s, int from, int to) {
        if (to <= from || s.charAt(from) == '-' || s.charAt(to - 1) == '-') {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '-') {
                return false;
            }
        }
        return true;
    }

    /** Returns the server name or throws a clear INVALID error (servers are Nodes: DNS subdomains). */
    public static String requireServer(String name) {
        if (name == null || name.isEmpty()) {
            throw DomainException.invalid("server name is missing");
        }
        if (!isValidServer(name)) {
            throw DomainException.invalid("server name '" + printable(name) + "' is invalid: use a Kubernetes node name, at most "
                    + MAX_SUBDOMAIN + " lower-case letters, digits, '-' and '.', each dot-separated part starting and ending"
                    + " with a letter or digit (e.g. ip-10-0-0-1.ec2.internal)");
        }
        return name;
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
