package dsp.core.port;

import java.util.Optional;

/**
 * Whether an authenticated caller may make a change. Adapters: anyone who authenticated may
 * (standalone's shared token), and the caller's own RBAC in Kubernetes (SubjectAccessReview).
 */
@FunctionalInterface
public interface Authorizer {

    /** Anyone the authenticator accepted may change anything. */
    Authorizer AUTHENTICATED = (caller, access) -> Optional.empty();

    /**
     * A change in the system's own words: {@code verb} create, update or delete; {@code resource}
     * servers, vms, volumes, templates or cleanups; the namespace of a namespaced one (VMs) and
     * the name of the object, when there is one.
     */
    record Access(String verb, String resource, Optional<String> namespace, Optional<String> name) {

        public static Access of(String verb, String resource) {
            return new Access(verb, resource, Optional.empty(), Optional.empty());
        }

        public Access named(String n) {
            return new Access(verb, resource, namespace, Optional.of(n));
        }

        public Access in(String ns) {
            return new Access(verb, resource, Optional.of(ns), name);
        }
    }

    /** Empty when the caller may; otherwise why not, in one sentence the caller can act on. */
    Optional<String> refusal(Caller caller, Access access);
}
