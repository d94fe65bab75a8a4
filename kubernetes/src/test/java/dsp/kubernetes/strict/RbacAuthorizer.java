package dsp.kubernetes.strict;

import io.fabric8.kubernetes.api.model.rbac.AggregationRule;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The RBAC authorizer as kube-apiserver runs it (plugin/pkg/auth/authorizer/rbac and
 * pkg/apis/rbac/v1 evaluation helpers): ClusterRoleBindings grant everywhere, RoleBindings only in
 * their namespace (to a Role of that namespace or a ClusterRole), a rule allows when verb, API
 * group, resource (or resource/subresource, or *&#47;subresource) and, if it lists any, resource
 * name all match. Nothing else is allowed. Also says which permissions granted each request, so a
 * test can prove that every permission in deploy/ is used.
 */
public final class RbacAuthorizer {

    /** An authenticated user: a ServiceAccount is {@code system:serviceaccount:<ns>:<name>}. */
    public record User(String name, List<String> groups) {
        public static User serviceAccount(String namespace, String name) {
            return new User("system:serviceaccount:" + namespace + ":" + name,
                    List.of("system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"));
        }
    }

    /**
     * One permission of one rule: the unit that must be used by some request. {@code role} is
     * {@code ClusterRole/<name>} or {@code Role/<namespace>/<name>}.
     */
    public record Grant(String role, int rule, String apiGroup, String resource, String verb, String resourceName) {
        @Override
        public String toString() {
            return role + " rule " + rule + ": " + verb + " " + (apiGroup.isEmpty() ? "" : apiGroup + "/") + resource
                    + (resourceName.isEmpty() ? "" : " named " + resourceName);
        }
    }

    public record Decision(boolean allowed, Set<Grant> grants) {
    }

    /** Everything RBAC reads from the store. */
    public record Policy(List<ClusterRole> clusterRoles, List<Role> roles, List<ClusterRoleBinding> clusterRoleBindings,
                         List<RoleBinding> roleBindings) {

        Optional<List<PolicyRule>> clusterRole(String name) {
            return clusterRoles.stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst().map(r -> rulesOf(r));
        }

        /** Aggregated ClusterRoles take the rules of every ClusterRole their selectors match, as the aggregation controller does. */
        private List<PolicyRule> rulesOf(ClusterRole r) {
            List<PolicyRule> rules = new ArrayList<>(r.getRules() == null ? List.of() : r.getRules());
            AggregationRule agg = r.getAggregationRule();
            if (agg != null && agg.getClusterRoleSelectors() != null) {
                for (var selector : agg.getClusterRoleSelectors()) {
                    Map<String, String> match = selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
                    for (ClusterRole other : clusterRoles) {
                        Map<String, String> labels = other.getMetadata().getLabels() == null ? Map.of() : other.getMetadata().getLabels();
                        if (other != r && !match.isEmpty() && labels.entrySet().containsAll(match.entrySet()) && other.getRules() != null) {
                            rules.addAll(other.getRules());
                        }
                    }
                }
            }
            return rules;
        }

        Optional<List<PolicyRule>> role(String namespace, String name) {
            return roles.stream().filter(r -> r.getMetadata().getName().equals(name) && namespace.equals(r.getMetadata().getNamespace()))
                    .findFirst().map(r -> r.getRules() == null ? List.of() : r.getRules());
        }
    }

    private RbacAuthorizer() {
    }

    public static Decision authorize(Policy policy, User user, RequestInfo request) {
        Set<Grant> grants = new LinkedHashSet<>();
        for (ClusterRoleBinding b : policy.clusterRoleBindings()) {
            if (appliesTo(b.getSubjects(), user, "")) {
                String role = "ClusterRole/" + b.getRoleRef().getName();
                policy.clusterRole(b.getRoleRef().getName()).ifPresent(rules -> visit(role, rules, request, grants));
            }
        }
        if (!request.namespace().isEmpty()) {
            for (RoleBinding b : policy.roleBindings()) {
                if (!request.namespace().equals(b.getMetadata().getNamespace()) || !appliesTo(b.getSubjects(), user, request.namespace())) {
                    continue;
                }
                RoleRef ref = b.getRoleRef();
                if ("ClusterRole".equals(ref.getKind())) {
                    policy.clusterRole(ref.getName()).ifPresent(rules -> visit("ClusterRole/" + ref.getName(), rules, request, grants));
                } else {
                    policy.role(request.namespace(), ref.getName())
                            .ifPresent(rules -> visit("Role/" + request.namespace() + "/" + ref.getName(), rules, request, grants));
                }
            }
        }
        return new Decision(!grants.isEmpty(), grants);
    }

    private static boolean appliesTo(List<Subject> subjects, User user, String bindingNamespace) {
        if (subjects == null) {
            return false;
        }
        for (Subject s : subjects) {
            switch (s.getKind()) {
                case "User" -> {
                    if (user.name().equals(s.getName())) {
                        return true;
                    }
                }
                case "Group" -> {
                    if (user.groups().contains(s.getName())) {
                        return true;
                    }
                }
                case "ServiceAccount" -> {
                    String ns = s.getNamespace() == null || s.getNamespace().isEmpty() ? bindingNamespace : s.getNamespace();
                    if (!ns.isEmpty() && user.name().equals("system:serviceaccount:" + ns + ":" + s.getName())) {
                        return true;
                    }
                }
                default -> {
                }
            }
        }
        return false;
    }

    private static void visit(String role, List<PolicyRule> rules, RequestInfo request, Set<Grant> grants) {
        for (int index = 0; index < rules.size(); index++) {
            int i = index;
            PolicyRule rule = rules.get(i);
            Optional<String> verb = first(rule.getVerbs(), v -> v.equals("*") || v.equals(request.verb()));
            if (verb.isEmpty()) {
                continue;
            }
            if (!request.resourceRequest()) {
                first(rule.getNonResourceURLs(), u -> u.equals("*") || u.equals(request.path())
                        || (u.endsWith("*") && request.path().startsWith(u.substring(0, u.length() - 1))))
                        .ifPresent(u -> grants.add(new Grant(role, i, "", u, verb.get(), "")));
                continue;
            }
            Optional<String> group = first(rule.getApiGroups(), g -> g.equals("*") || g.equals(request.apiGroup()));
            Optional<String> resource = first(rule.getResources(), r -> r.equals("*") || r.equals(request.combinedResource())
                    || (!request.subresource().isEmpty() && r.equals("*/" + request.subresource())));
            boolean anyName = rule.getResourceNames() == null || rule.getResourceNames().isEmpty();
            Optional<String> name = anyName ? Optional.of("") : first(rule.getResourceNames(), n -> n.equals(request.name()));
            if (group.isPresent() && resource.isPresent() && name.isPresent()) {
                grants.add(new Grant(role, i, group.get(), resource.get(), verb.get(), name.get()));
            }
        }
    }

    private static Optional<String> first(List<String> items, java.util.function.Predicate<String> p) {
        return items == null ? Optional.empty() : items.stream().filter(p).findFirst();
    }

    /** Every permission a role's rules give: the product of groups, resources, verbs and names of each rule. */
    public static Set<Grant> permissions(String role, List<PolicyRule> rules) {
        Set<Grant> out = new LinkedHashSet<>();
        for (int i = 0; i < rules.size(); i++) {
            PolicyRule r = rules.get(i);
            List<String> names = r.getResourceNames() == null || r.getResourceNames().isEmpty() ? List.of("") : r.getResourceNames();
            List<String> groups = r.getApiGroups() == null || r.getApiGroups().isEmpty() ? List.of("") : r.getApiGroups();
            List<String> resources = r.getResources() == null || r.getResources().isEmpty()
                    ? (r.getNonResourceURLs() == null ? List.of() : r.getNonResourceURLs()) : r.getResources();
            for (String g : groups) {
                for (String res : resources) {
                    for (String v : r.getVerbs()) {
                        for (String n : names) {
                            out.add(new Grant(role, i, g, res, v, n));
                        }
                    }
                }
            }
        }
        return out;
    }

    /** For messages: the roles a user is bound to. */
    public static String describe(Set<Grant> grants) {
        return grants.stream().map(Grant::toString).collect(Collectors.joining("; "));
    }
}
