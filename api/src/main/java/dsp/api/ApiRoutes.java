package dsp.api;

/** A group of routes that change for the same reason (one resource); {@link PoolApi} serves every group it is given. */
@FunctionalInterface
public interface ApiRoutes {

    void register(RouteTable table);
}
