package dsp.kubernetes.strict;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the API server reads off a request before authorizing it (apiserver's RequestInfoFactory):
 * the verb (GET on a collection is list, {@code ?watch=true} is watch, DELETE on a collection is
 * deletecollection), group, namespace, resource, subresource and name.
 */
public record RequestInfo(boolean resourceRequest, String path, String verb, String apiGroup, String apiVersion,
                          String namespace, String resource, String subresource, String name, Map<String, String> query) {

    private static final Set<String> NAMESPACE_SUBRESOURCES = Set.of("status", "finalize");

    public static RequestInfo parse(String method, String rawPath) {
        String[] pathAndQuery = rawPath.split("\\?", 2);
        String path = pathAndQuery[0];
        Map<String, String> query = query(pathAndQuery.length > 1 ? pathAndQuery[1] : "");
        String httpVerb = method.toLowerCase();
        List<String> parts = Arrays.stream(path.replaceAll("^/+|/+$", "").split("/")).filter(s -> !s.isEmpty()).toList();
        RequestInfo nonResource = new RequestInfo(false, path, httpVerb, "", "", "", "", "", "", query);
        if (parts.size() < 3 || !(parts.get(0).equals("api") || parts.get(0).equals("apis"))) {
            return nonResource;
        }
        int i = 1;
        String group = "";
        if (parts.get(0).equals("apis")) {
            if (parts.size() < 4) {
                return nonResource;
            }
            group = parts.get(i++);
        }
        String version = parts.get(i++);
        List<String> rest = parts.subList(i, parts.size());
        String verb = switch (method.toUpperCase()) {
            case "POST" -> "create";
            case "GET", "HEAD" -> "get";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> "delete";
            default -> "";
        };
        if (rest.get(0).equals("watch") && rest.size() > 1) {
            verb = "watch";
            rest = rest.subList(1, rest.size());
        }
        String namespace = "";
        if (rest.get(0).equals("namespaces")) {
            if (rest.size() > 1) {
                namespace = rest.get(1);
                if (rest.size() > 2 && !NAMESPACE_SUBRESOURCES.contains(rest.get(2))) {
                    rest = rest.subList(2, rest.size());
                }
            }
        }
        String resource = rest.size() >= 1 ? rest.get(0) : "";
        String name = rest.size() >= 2 ? rest.get(1) : "";
        String subresource = rest.size() >= 3 ? rest.get(2) : "";
        if (name.isEmpty() && verb.equals("get")) {
            String watch = query.get("watch");
            verb = watch == null || watch.equalsIgnoreCase("false") || watch.equals("0") ? "list" : "watch";
        }
        if (name.isEmpty() && verb.equals("delete")) {
            verb = "deletecollection";
        }
        // list and watch of one object by fieldSelector=metadata.name=X carry that name (resourceNames rules apply)
        if (name.isEmpty() && (verb.equals("list") || verb.equals("watch"))) {
            String selector = query.getOrDefault("fieldSelector", "");
            if (selector.startsWith("metadata.name=") && !selector.contains(",")) {
                name = selector.substring("metadata.name=".length());
            }
        }
        return new RequestInfo(true, path, verb, group, version, namespace, resource, subresource, name, query);
    }

    private static Map<String, String> query(String q) {
        Map<String, String> out = new HashMap<>();
        for (String kv : q.split("&")) {
            if (kv.isEmpty()) {
                continue;
            }
            String[] p = kv.split("=", 2);
            out.put(URLDecoder.decode(p[0], StandardCharsets.UTF_8), p.length > 1 ? URLDecoder.decode(p[1], StandardCharsets.UTF_8) : "");
        }
        return out;
    }

    /** resource or resource/subresource, as RBAC rules name it. */
    public String combinedResource() {
        return subresource.isEmpty() ? resource : resource + "/" + subresource;
    }

    @Override
    public String toString() {
        if (!resourceRequest) {
            return verb + " " + path;
        }
        return verb + " " + (apiGroup.isEmpty() ? "" : apiGroup + "/") + combinedResource()
                + (name.isEmpty() ? "" : " " + name) + (namespace.isEmpty() ? " (cluster scope)" : " in namespace " + namespace);
    }
}
