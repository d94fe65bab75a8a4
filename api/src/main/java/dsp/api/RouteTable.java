package dsp.api;

import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.util.ArrayList;
import java.util.List;

/** The routes a server serves, in the order they were added; the contract test checks them against /openapi.yaml. */
public final class RouteTable {

    /** One route as registered. */
    public record Route(HandlerType method, String path, Handler handler) {

        /** Changes go through authentication, the write guard and the audit trail; reads do not. */
        public boolean changes() {
            return isChange(method);
        }

        static boolean isChange(HandlerType method) {
            return method != HandlerType.GET && method != HandlerType.HEAD && method != HandlerType.OPTIONS;
        }
    }

    private final List<Route> routes = new ArrayList<>();

    public RouteTable get(String path, Handler handler) {
        return add(HandlerType.GET, path, handler);
    }

    public RouteTable post(String path, Handler handler) {
        return add(HandlerType.POST, path, handler);
    }

    public RouteTable put(String path, Handler handler) {
        return add(HandlerType.PUT, path, handler);
    }

    public RouteTable delete(String path, Handler handler) {
        return add(HandlerType.DELETE, path, handler);
    }

    public RouteTable add(HandlerType method, String path, Handler handler) {
        routes.add(new Route(method, path, handler));
        return this;
    }

    public List<Route> routes() {
        return List.copyOf(routes);
    }
}
