package dsp.api;

import io.javalin.http.Context;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Refuses what a browser could be tricked into sending. Every request must name this server in
 * {@code Host} (so a DNS-rebound name cannot reach a loopback API); a change must come from no
 * page or a page of this server ({@code Origin}, {@code Sec-Fetch-Site}); and a change with a
 * body must say it is {@code application/json}, which no HTML form can send.
 */
final class RequestGuard {

    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "::1");

    /** Empty means any Host is accepted (a wildcard bind with no names configured). */
    private final Set<String> allowedHosts;

    private RequestGuard(Set<String> allowedHosts) {
        this.allowedHosts = allowedHosts;
    }

    /**
     * @param bindHost the address the server listens on
     * @param names    further names clients use for this server (e.g. a Service's DNS name)
     */
    static RequestGuard forBind(String bindHost, Set<String> names) {
        Set<String> allowed = new TreeSet<>();
        names.forEach(n -> allowed.add(bare(n)));
        String bind = bare(bindHost);
        if (isLoopback(bind)) {
            allowed.addAll(LOOPBACK_NAMES);
            allowed.add(bind);
        } else if (!isWildcard(bind)) {
            allowed.add(bind);
        } else if (!names.isEmpty()) {
            allowed.addAll(LOOPBACK_NAMES);
        }
        return new RequestGuard(Set.copyOf(allowed));
    }

    void check(Context ctx) {
        String host = ctx.header("Host");
        if (!allowedHosts.isEmpty() && host != null && !allowedHosts.contains(bare(stripPort(host)))) {
            ErrorMapping.respond(ctx, 421, "misdirected", "this server does not answer to the host name '"
                    + ErrorMapping.printable(host) + "'; use one of " + allowedHosts + " (or start it with --allowed-host)");
            ctx.skipRemainingHandlers();
            return;
        }
        if (!RouteTable.Route.isChange(ctx.method())) {
            return;
        }
        String origin = ctx.header("Origin");
        String site = ctx.header("Sec-Fetch-Site");
        if (origin != null && !sameOrigin(origin, host) || site != null && !site.equals("same-origin") && !site.equals("none")) {
            ErrorMapping.respond(ctx, 403, "cross_origin", "changes are not accepted from another web site; "
                    + "use poolctl, curl or this server's own dashboard");
            ctx.skipRemainingHandlers();
        }
    }

    /** A change's body must be declared JSON, which no HTML form can send; true when it may go on. */
    static boolean bodyIsJson(Context ctx) {
        if (hasBody(ctx) && !isJson(ctx.header("Content-Type"))
                && !(isUpload(ctx.method().name(), ctx.path()) && isMedia(ctx.header("Content-Type"), "application/zip"))) {
            ErrorMapping.respond(ctx, 415, "unsupported_media_type",
                    "a request body must be JSON sent with the header Content-Type: application/json");
            return false;
        }
        return true;
    }

    private static boolean hasBody(Context ctx) {
        return ctx.req().getContentLengthLong() > 0 || ctx.header("Transfer-Encoding") != null;
    }

    static boolean isJson(String contentType) {
        return isMedia(contentType, "application/json");
    }

    private static boolean isMedia(String contentType, String media) {
        return contentType != null && contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT).equals(media);
    }

    /**
     * The one request whose body is a file (a backup to restore, {@code application/zip}, which no HTML form
     * can send either): streamed to disk by its handler once the change is authenticated, never held in memory.
     */
    static boolean isUpload(String method, String path) {
        return "POST".equalsIgnoreCase(method) && OpsRoutes.RESTORE.equals(path);
    }

    private static boolean sameOrigin(String origin, String host) {
        if (host == null) {
            return false;
        }
        try {
            URI u = URI.create(origin);
            if (!"http".equalsIgnoreCase(u.getScheme()) && !"https".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
                return false;
            }
            String authority = u.getPort() < 0 ? u.getHost() : u.getHost() + ":" + u.getPort();
            return authority.equalsIgnoreCase(host);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String stripPort(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? host : host.substring(0, end + 1);
        }
        int colon = host.indexOf(':');
        return colon >= 0 && host.indexOf(':', colon + 1) < 0 ? host.substring(0, colon) : host;
    }

    private static String bare(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.isEmpty();
    }

    private static boolean isLoopback(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        try {
            return host.matches("[0-9.]+|[0-9a-f:]+") && InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
