package dsp.core.model;

import dsp.core.DomainException;
import java.util.regex.Pattern;

/**
 * Names that end up in paths and Kubernetes objects. Volumes, VMs, pools and templates are
 * DNS-1123 labels, so nothing can escape a root. Servers are Kubernetes Nodes, whose names are
 * DNS-1123 subdomains ({@code ip-10-0-0-1.ec2.internal}): dot-separated labels, so a server name
 * is still one safe path component (no {@code /}, and no label may be {@code .} or {@code ..}).
 */
public final class Names {

    private static final Pattern DNS1123 = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    private static final Pattern SUBDOMAIN = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
    private static final int MAX = 63;
    private static final int MAX_SUBDOMAIN = 253;

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

    /** A server (Node) name: a DNS-1123 subdomain of labels joined by dots, at most 253 characters. */
    public static boolean isValidServer(String name) {
        if (name == null || name.length() > MAX_SUBDOMAIN || !SUBDOMAIN.matcher(name).matches()) {
            return false;
        }
        for (String label : name.split("\\.")) {
            if (label.length() > MAX) {
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
