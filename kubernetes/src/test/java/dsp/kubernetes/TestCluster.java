package dsp.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import dsp.kubernetes.strict.Admission;
import dsp.kubernetes.strict.ApiOutage;
import dsp.kubernetes.strict.IndexedCrudDispatcher;
import dsp.kubernetes.strict.RbacAuthorizer;
import dsp.kubernetes.strict.RbacAuthorizer.Grant;
import dsp.kubernetes.strict.RbacAuthorizer.User;
import dsp.kubernetes.strict.RequestInfo;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.zjsonpatch.JsonPatch;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The test API server: fabric8's mock in CRUD mode made as strict as a real kube-apiserver where
 * our code could tell the difference.
 * <ul>
 * <li>Authentication: every request needs a bearer token; {@link #client} is a cluster-admin
 * (group system:masters), {@link #clientAs} and {@link #token} give a ServiceAccount's identity.</li>
 * <li>RBAC from the Roles, ClusterRoles and bindings stored in the cluster (deploy/10-rbac.yaml is
 * applied up front): anything not granted is a 403 Status. Which permissions were used is
 * recorded ({@link #unusedPermissions}).</li>
 * <li>Admission: Events validated as the API server does; status sent with a PVC, PV, Node or a
 * CRD with a status subresource is dropped, and only status is taken through {@code /status};
 * an update with a stale resourceVersion is a 409; immutable fields of PVs, PVCs and
 * StorageClasses are a 422.</li>
 * <li>Outages: {@link #pause} and {@link #resume} (watches cut, requests hang then reset), and
 * watches from before an outage get 410 Gone so informers must re-list.</li>
 * <li>What kubectl needs: discovery, RFC 7386 merge patches that delete keys set to null.</li>
 * </ul>
 * A test fails at {@link #close} when any request was refused for lack of permission or as an
 * invalid write, unless it said it expects refusals ({@link #expectRefusals}).
 */
public final class TestCluster implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** How the mock writes a list (its header is ours too). */
    private static final io.fabric8.kubernetes.client.server.mock.KubernetesResponseComposer LISTS = new io.fabric8.kubernetes.client.server.mock.KubernetesResponseComposer();
    /** The mock logs every request at INFO: kept quiet (a strong reference, or the setting is collected). */
    private static final java.util.logging.Logger MOCK_LOG = quiet(java.util.logging.Logger.getLogger(MockWebServer.class.getName()));

    private static java.util.logging.Logger quiet(java.util.logging.Logger log) {
        log.setLevel(java.util.logging.Level.WARNING);
        return log;
    }
    public static final String ADMIN_TOKEN = "cluster-admin-token";
    private static final User ADMIN = new User("kubernetes-admin", List.of("system:masters", "system:authenticated"));
    /** Tokens the test API server's authenticator knows besides ServiceAccounts'. */
    public static final Map<String, String> TOKENS = Map.of("operator-token", "system:serviceaccount:ops:operator");

    /** The ServiceAccounts of deploy/10-rbac.yaml, one per workload. */
    public enum Workload {
        PROVISIONER("k8s-pool-provisioner"), SCALING("pool-scaling-controller"), MONITOR("dynamic-pool-monitor"),
        AGENT("pool-storage-manager"), CLEANUP("pool-cleanup");

        public final String serviceAccount;

        Workload(String serviceAccount) {
            this.serviceAccount = serviceAccount;
        }
    }

    public final KubernetesMockServer server;
    /** A cluster-admin, for fixtures and assertions. */
    public final KubernetesClient client;
    private final Dispatcher dispatcher;
    private final ApiOutage outage;
    private final Map<String, User> tokens = new ConcurrentHashMap<>();
    /** Tokens bound to a pod, by the node the pod runs on. */
    private final Map<String, String> podTokens = new ConcurrentHashMap<>();
    /** Tokens projected for an audience other than the API server's, which it does not accept (TokenReview with that audience does). */
    private final Map<String, String> audiences = new ConcurrentHashMap<>();
    /** The API server's own audience: what a token is for unless projected for another. */
    static final String API_AUDIENCE = "https://kubernetes.default.svc.cluster.local";
    private final List<KubernetesClient> clients = new CopyOnWriteArrayList<>();
    private final Set<Grant> used = ConcurrentHashMap.newKeySet();
    /** Permissions used by any cluster of this JVM: a module's whole test run, for {@code LeastPrivilegeTest}. */
    private static final Set<Grant> USED_IN_THIS_RUN = ConcurrentHashMap.newKeySet();
    private final List<String> refusals = new CopyOnWriteArrayList<>();
    private final AtomicLong rbacWrites = new AtomicLong();
    private volatile long compactedBefore = -1;
    private volatile boolean refusalsExpected;
    private volatile PolicyCache policy = new PolicyCache(-1, null);

    private record PolicyCache(long version, RbacAuthorizer.Policy policy) {
    }

    /** A list being served in pages: the list without its items, and the items as they were when its first page was asked. */
    private record ListSnapshot(String id, ObjectNode list, List<String> items) {
    }

    private final Map<String, ListSnapshot> listSnapshots = new ConcurrentHashMap<>();

    public TestCluster() {
        this(true);
    }

    /** @param prepared create our CRDs, namespaces and RBAC up front (false: an empty cluster, for the deploy script) */
    public TestCluster(boolean prepared) {
        dispatcher = new Dispatcher();
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, true);
        server.init(InetAddress.getLoopbackAddress(), 0);
        outage = new ApiOutage(server.getPort());
        tokens.put(ADMIN_TOKEN, ADMIN);
        TOKENS.forEach((token, user) -> tokens.put(token, new User(user, List.of("system:serviceaccounts", "system:authenticated"))));
        client = newClient(ADMIN_TOKEN, "default");
        for (HasMetadata o : Bootstrap.policy()) {
            client.resource(o).create(); // what every cluster has: discovery for everyone, cluster-admin for system:masters
        }
        if (!prepared) {
            return;
        }
        for (Path crd : crdFiles()) {
            try (InputStream in = new FileInputStream(crd.toFile())) {
                client.apiextensions().v1().customResourceDefinitions().load(in).create();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(Names.NAMESPACE).endMetadata().build()).create();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("default").endMetadata().build()).create();
        for (HasMetadata o : rbacManifests()) {
            client.resource(o).create();
        }
    }

    public static List<Path> crdFiles() {
        return deployFiles(Path.of("..", "deploy", "crds"));
    }

    private static List<Path> deployFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + dir.toAbsolutePath(), e);
        }
    }

    /** ServiceAccounts, Roles, ClusterRoles and their bindings in deploy/. */
    public static List<HasMetadata> rbacManifests() {
        List<HasMetadata> out = new ArrayList<>();
        for (Path f : deployFiles(Path.of("..", "deploy"))) {
            try (InputStream in = new FileInputStream(f.toFile())) {
                Object parsed = Serialization.unmarshal(in);
                List<?> items = parsed instanceof List<?> l ? l : List.of(parsed);
                for (Object o : items) {
                    if (o instanceof HasMetadata h && Set.of("ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
                            .contains(h.getKind())) {
                        out.add(h);
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    /** Every permission deploy/ grants, one per (role, rule, group, resource, verb, name). */
    public static Set<Grant> deployedPermissions() {
        Set<Grant> all = new LinkedHashSet<>();
        for (HasMetadata o : rbacManifests()) {
            if (o instanceof ClusterRole r && r.getRules() != null) {
                all.addAll(RbacAuthorizer.permissions("ClusterRole/" + r.getMetadata().getName(), r.getRules()));
            } else if (o instanceof Role r && r.getRules() != null) {
                all.addAll(RbacAuthorizer.permissions("Role/" + r.getMetadata().getNamespace() + "/" + r.getMetadata().getName(), r.getRules()));
            }
        }
        return all;
    }

    /** Permissions of deploy/ that no request to this cluster needed so far. */
    public Set<Grant> unusedPermissions() {
        Set<Grant> unused = deployedPermissions();
        unused.removeAll(used);
        return unused;
    }

    /** Permissions of deploy/ that no request to any cluster of this JVM needed so far. */
    public static Set<Grant> unusedInThisRun() {
        Set<Grant> unused = deployedPermissions();
        unused.removeAll(USED_IN_THIS_RUN);
        return unused;
    }

    /**
     * Writes the permissions this JVM's requests needed, one per line: the kubernetes module's run
     * leaves them for cli's LeastPrivilegeTest, whose HTTP scenarios need the rest.
     */
    public static void writeUsedInThisRun(java.nio.file.Path file) throws IOException {
        java.nio.file.Files.createDirectories(file.toAbsolutePath().getParent());
        java.nio.file.Files.write(file, USED_IN_THIS_RUN.stream().map(Grant::toString).sorted().toList());
    }

    /** Permissions of deploy/ that no request of this JVM, nor any of the run that wrote {@code earlierRun}, needed. */
    public static Set<Grant> unusedInThisRunAnd(java.nio.file.Path earlierRun) throws IOException {
        Set<String> before = new java.util.HashSet<>(java.nio.file.Files.readAllLines(earlierRun));
        Set<Grant> unused = unusedInThisRun();
        unused.removeIf(g -> before.contains(g.toString()));
        return unused;
    }

    /** Requests refused so far (403, 401, or an invalid Event or update), each with who asked what. */
    public List<String> refusals() {
        return List.copyOf(refusals);
    }

    /** This test provokes refusals on purpose: {@link #close} does not fail for them. */
    public TestCluster expectRefusals() {
        refusalsExpected = true;
        return this;
    }

    /** The URL clients use (through the outage relay). HTTPS, as kubectl sends no token over plain HTTP. */
    public String url() {
        return "https://127.0.0.1:" + outage.port();
    }

    /** A ServiceAccount's token in the system's namespace, as {@code kubectl create token} gives one. */
    public String token(String serviceAccount) {
        return token(Names.NAMESPACE, serviceAccount);
    }

    public String token(String namespace, String serviceAccount) {
        User user = User.serviceAccount(namespace, serviceAccount);
        for (Map.Entry<String, User> e : tokens.entrySet()) {
            if (e.getValue().equals(user) && !podTokens.containsKey(e.getKey())) {
                return e.getKey();
            }
        }
        String token = "sa-" + serviceAccount + "-" + UUID.randomUUID();
        tokens.put(token, user);
        return token;
    }

    /**
     * The token the kubelet mounts into a workload's pod on {@code node}: the ServiceAccount's
     * identity, and TokenReview says which node the pod runs on ({@code user.extra}, Kubernetes 1.30+).
     */
    public String podToken(Workload workload, String node) {
        String token = "pod-" + workload.serviceAccount + "-" + node + "-" + UUID.randomUUID();
        tokens.put(token, User.serviceAccount(Names.NAMESPACE, workload.serviceAccount));
        podTokens.put(token, node);
        return token;
    }

    /** A token projected into a workload's pod on {@code node} for {@code audience} (a projected serviceAccountToken volume). */
    public String podToken(Workload workload, String node, String audience) {
        String token = podToken(workload, node);
        audiences.put(token, audience);
        return token;
    }

    /** A client that shows {@code token} (e.g. one that should not get in). */
    public KubernetesClient clientWithToken(String token) {
        return newClient(token, Names.NAMESPACE);
    }

    /** A client of a workload's pod on {@code node} (an agent: its calls to peers carry this token). */
    public KubernetesClient clientAsPodOn(Workload workload, String node) {
        return newClient(podToken(workload, node), Names.NAMESPACE);
    }

    /** A client with a workload's own identity. */
    public KubernetesClient clientAs(Workload workload) {
        return clientAs(workload.serviceAccount);
    }

    public KubernetesClient clientAs(String serviceAccount) {
        return newClient(token(serviceAccount), Names.NAMESPACE);
    }

    private KubernetesClient newClient(String token, String namespace) {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(url()).withOauthToken(token).withNamespace(namespace)
                .withTrustCerts(true).withHttp2Disable(true).build();
        KubernetesClient c = new KubernetesClientBuilder().withConfig(config).build();
        clients.add(c);
        return c;
    }

    /**
     * The API server stops answering: open watches are cut, every request hangs, and hung
     * connections are reset after {@code hangFor}, until {@link #resume}. Watches started before
     * the outage are answered 410 Gone afterwards, so informers must list again.
     */
    public void pause(Duration hangFor) {
        compactedBefore = dispatcher.requestResourceVersion();
        outage.pause(hangFor);
    }

    public void resume() {
        outage.resume();
    }

    public Node addNode(String name, String pool) {
        NodeBuilder b = new NodeBuilder().withNewMetadata().withName(name).addToLabels(Names.HOSTNAME_LABEL, name).endMetadata();
        if (pool != null) {
            b.editMetadata().addToLabels(Names.POOL_LABEL, pool).endMetadata();
        }
        return client.nodes().resource(b.build()).create();
    }

    public void label(String node, String pool) {
        Conflicts.retry(() -> client.nodes().withName(node).edit(n -> {
            Map<String, String> labels = new HashMap<>(n.getMetadata().getLabels());
            if (pool == null) {
                labels.remove(Names.POOL_LABEL);
            } else {
                labels.put(Names.POOL_LABEL, pool);
            }
            n.getMetadata().setLabels(labels);
            return n;
        }));
    }

    /**
     * What an operator does with {@code kubectl create clusterrole --verb=... --resource=...} and a
     * ClusterRoleBinding: gives a user (not one of deploy/'s workloads) a cluster-wide permission.
     */
    public void grant(String user, String apiGroup, String resource, String... verbs) {
        String name = "test-grant-" + UUID.randomUUID().toString().substring(0, 8);
        client.rbac().clusterRoles().resource(new io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder().withNewMetadata().withName(name)
                .endMetadata().addNewRule().withApiGroups(apiGroup).withResources(resource).withVerbs(verbs).endRule().build()).create();
        client.rbac().clusterRoleBindings().resource(new io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder().withNewMetadata()
                .withName(name).endMetadata().withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", name)
                .addNewSubject().withApiGroup("rbac.authorization.k8s.io").withKind("User").withName(user).endSubject().build()).create();
    }

    /** Writes a cluster-admin kubeconfig pointing at this server, for kubectl. */
    public Path kubeconfig(Path dir) throws IOException {
        return kubeconfig(dir, "kubeconfig", ADMIN_TOKEN);
    }

    /** A kubeconfig with a workload's own identity, for `poolctl --kubeconfig`. */
    public Path kubeconfig(Path dir, Workload workload) throws IOException {
        return kubeconfig(dir, "kubeconfig-" + workload.serviceAccount, token(workload.serviceAccount));
    }

    private Path kubeconfig(Path dir, String file, String token) throws IOException {
        Path f = dir.resolve(file);
        Files.writeString(f, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster:
                    server: %s
                    insecure-skip-tls-verify: true
                contexts:
                - name: mock
                  context:
                    cluster: mock
                    user: tester
                    namespace: default
                current-context: mock
                users:
                - name: tester
                  user:
                    token: %s
                """.formatted(url(), token));
        return f;
    }

    /**
     * Puts objects straight into the store, as if created long ago, without a request each (200,000
     * creates through the API, each a round trip with its admission, are minutes of the benchmark's
     * set-up). For bulk fixtures of benchmarks; do it before anything watches. {@code collection}
     * is the path objects of that kind are created at, e.g. {@code /api/v1/nodes}.
     */
    public void preload(String collection, Stream<? extends io.fabric8.kubernetes.api.model.HasMetadata> objects) {
        String created = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        objects.forEach(o -> {
            o.getMetadata().setUid(java.util.UUID.randomUUID().toString());
            o.getMetadata().setResourceVersion(Long.toString(dispatcher.requestResourceVersion()));
            o.getMetadata().setCreationTimestamp(created);
            dispatcher.handleCreate(collection, client.getKubernetesSerialization().asJson(o));
        });
    }

    @Override
    public void close() {
        clients.forEach(KubernetesClient::close);
        outage.close();
        server.destroy();
        if (!refusalsExpected && !refusals.isEmpty()) {
            throw new AssertionError("the API server refused " + refusals.size() + " request(s), a real one would too:\n  "
                    + String.join("\n  ", refusals.subList(0, Math.min(20, refusals.size()))));
        }
    }

    private RbacAuthorizer.Policy policy(Dispatcher d) {
        long version = rbacWrites.get();
        PolicyCache cached = policy;
        if (cached.version() == version) {
            return cached.policy();
        }
        RbacAuthorizer.Policy p = new RbacAuthorizer.Policy(d.list("/apis/rbac.authorization.k8s.io/v1/clusterroles", ClusterRole.class),
                d.list("/apis/rbac.authorization.k8s.io/v1/roles", Role.class),
                d.list("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", ClusterRoleBinding.class),
                d.list("/apis/rbac.authorization.k8s.io/v1/rolebindings", RoleBinding.class));
        policy = new PolicyCache(version, p);
        return p;
    }

    /**
     * The CRUD dispatcher (its store indexed: a request costs the same at 200,000 objects as at 20) behind
     * authentication, RBAC and admission, plus discovery and proper merge patches.
     */
    private final class Dispatcher extends IndexedCrudDispatcher {

        <T> List<T> list(String path, Class<T> type) {
            MockResponse r = super.handleGet(path);
            List<T> out = new ArrayList<>();
            try {
                for (JsonNode item : JSON.readTree(r.getBody().getBytes()).path("items")) {
                    out.add(Serialization.unmarshal(item.toString(), type));
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return out;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            RequestInfo info = RequestInfo.parse(request.getMethod(), request.getPath());
            String auth = request.getHeader("Authorization");
            String bearer = auth != null && auth.startsWith("Bearer ") ? auth.substring("Bearer ".length()).trim() : null;
            User user = bearer == null || audiences.containsKey(bearer) ? null : tokens.get(bearer); // another audience's token: not for us
            if (user == null) {
                refusals.add("401 (no or unknown token) for " + info);
                return status(401, "Unauthorized", "Unauthorized", info);
            }
            // system:masters pass without RBAC, as kube-apiserver's privileged-group authorizer lets them
            RbacAuthorizer.Decision decision = user.groups().contains("system:masters")
                    ? new RbacAuthorizer.Decision(true, Set.of()) : RbacAuthorizer.authorize(policy(this), user, info);
            if (!decision.allowed()) {
                String message = (info.resource().isEmpty() ? "" : info.combinedResource() + (info.name().isEmpty() ? "" : " \"" + info.name() + "\"") + " is ")
                        + "forbidden: User \"" + user.name() + "\" cannot " + info.verb()
                        + (info.resourceRequest() ? " resource \"" + info.combinedResource() + "\" in API group \"" + info.apiGroup() + "\""
                        + (info.namespace().isEmpty() ? " at the cluster scope" : " in the namespace \"" + info.namespace() + "\"")
                        : " path \"" + info.path() + "\"");
                refusals.add("403 " + message);
                return status(403, "Forbidden", message, info);
            }
            used.addAll(decision.grants());
            USED_IN_THIS_RUN.addAll(decision.grants());
            try {
                return admit(request, info, user);
            } catch (IOException e) {
                return status(400, "BadRequest", "the body is not JSON: " + e.getMessage(), info);
            }
        }

        private MockResponse admit(RecordedRequest request, RequestInfo info, User user) throws IOException {
            String path = request.getPath().split("\\?")[0];
            HttpMethod method = request.method();
            if (method == HttpMethod.POST && path.equals("/apis/authentication.k8s.io/v1/tokenreviews")) {
                return tokenReview(request);
            }
            if (method == HttpMethod.POST && path.equals("/apis/authorization.k8s.io/v1/subjectaccessreviews")) {
                return subjectAccessReview(request);
            }
            if (method == HttpMethod.POST && info.apiGroup().isEmpty() && info.resource().equals("serviceaccounts")
                    && info.subresource().equals("token")) {
                return tokenRequest(request, info);
            }
            if (method == HttpMethod.GET) {
                String discovery = Discovery.document(path, outage.port());
                if (discovery != null) {
                    return json(200, discovery);
                }
                if (path.startsWith("/openapi")) {
                    return new MockResponse().setResponseCode(404).setBody("{}");
                }
                if (info.verb().equals("watch") && tooOld(info.query().get("resourceVersion"))) {
                    return expiredWatch(info);
                }
                if (ServerSideTables.wants(path, request.getHeader("Accept"))) {
                    MockResponse list = super.dispatch(request);
                    return list.code() != 200 ? list : new MockResponse().setResponseCode(200).addHeader("Content-Type", "application/json")
                            .setBody(ServerSideTables.table(path, list.getBody().readUtf8()));
                }
                if (info.verb().equals("list") && (info.query().containsKey("limit") || info.query().containsKey("continue"))) {
                    return page(request, info);
                }
            }
            if (info.apiGroup().equals("rbac.authorization.k8s.io") && method != HttpMethod.GET) {
                try {
                    return super.dispatch(request);
                } finally {
                    rbacWrites.incrementAndGet();
                }
            }
            if ((method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH) && info.resource().equals("events")
                    && info.subresource().isEmpty()) {
                MockResponse refused = validateEvent(request, info, path);
                if (refused != null) {
                    return refused;
                }
            }
            if (method == HttpMethod.PUT || method == HttpMethod.PATCH) {
                MockResponse refused = validateUpdate(request, info, path);
                if (refused != null) {
                    return refused;
                }
            }
            return super.dispatch(request);
        }

        /**
         * A list in pages, as the API server answers {@code ?limit=}: the first page takes the whole list
         * at once (its resourceVersion is the snapshot's) and {@code ?continue=} serves the rest of that
         * snapshot; a token that is unknown (or whose snapshot is done) is expired, 410.
         */
        private MockResponse page(RecordedRequest request, RequestInfo info) throws IOException {
            String token = info.query().getOrDefault("continue", "");
            long limit;
            try {
                limit = Long.parseLong(info.query().getOrDefault("limit", "0"));
            } catch (NumberFormatException e) {
                return status(400, "BadRequest", "limit must be a number", info);
            }
            ListSnapshot snapshot;
            int from;
            if (token.isEmpty()) {
                Listed listed = limit <= 0 ? null : listed(request.getPath());
                if (listed == null) {
                    return super.dispatch(request); // the whole list, or what the mock answers when it finds nothing
                }
                // the stored objects as they are (JSON), as a real API server serves pages from its watch cache: not
                // the whole list composed as one text and parsed back into a tree to be cut into pages
                ObjectNode list = (ObjectNode) JSON.readTree(LISTS.compose(List.of(), listed.resourceVersion()));
                list.remove("items");
                snapshot = new ListSnapshot(UUID.randomUUID().toString(), list, listed.items());
                from = 0;
            } else {
                String[] parts = token.split(":", 2);
                snapshot = parts.length == 2 ? listSnapshots.get(parts[0]) : null;
                if (snapshot == null) {
                    return status(410, "Expired", "The provided continue parameter is too old to display a consistent list result.", info);
                }
                from = Integer.parseInt(parts[1]);
            }
            int to = (int) Math.min(snapshot.items().size(), limit <= 0 ? Long.MAX_VALUE : from + limit);
            ObjectNode page = snapshot.list().deepCopy();
            ArrayNode items = page.putArray("items");
            for (int i = from; i < to; i++) {
                items.addRawValue(new RawValue(snapshot.items().get(i)));
            }
            ObjectNode metadata = page.with("metadata");
            if (to < snapshot.items().size()) {
                listSnapshots.put(snapshot.id(), snapshot);
                metadata.put("continue", snapshot.id() + ":" + to);
                metadata.put("remainingItemCount", snapshot.items().size() - to);
            } else {
                listSnapshots.remove(snapshot.id());
            }
            return json(200, JSON.writeValueAsString(page));
        }

        /** As the API server answers a watch from before its history: an ERROR event with a 410 Status, then the end of the watch. */
        private MockResponse expiredWatch(RequestInfo info) {
            String event = "{\"type\":\"ERROR\",\"object\":" + statusNode(410, "Expired", "too old resource version: "
                    + info.query().get("resourceVersion")) + "}";
            return new MockResponse().withWebSocketUpgrade(new io.fabric8.mockwebserver.http.WebSocketListener() {
                @Override
                public void onOpen(io.fabric8.mockwebserver.http.WebSocket socket, io.fabric8.mockwebserver.http.Response response) {
                    socket.send(event);
                    socket.close(1000, "expired");
                }
            });
        }

        private boolean tooOld(String resourceVersion) {
            if (resourceVersion == null || resourceVersion.isEmpty() || resourceVersion.equals("0")) {
                return false;
            }
            try {
                return Long.parseLong(resourceVersion) <= compactedBefore;
            } catch (NumberFormatException e) {
                return true;
            }
        }

        private MockResponse validateEvent(RecordedRequest request, RequestInfo info, String path) throws IOException {
            JsonNode event;
            if (request.method() == HttpMethod.PATCH) {
                JsonNode current = current(path);
                if (current == null) {
                    return null; // a 404 follows
                }
                event = patched(current, request);
            } else {
                event = JSON.readTree(request.getBody().getBytes());
            }
            String namespace = info.namespace().isEmpty() ? event.path("metadata").path("namespace").asText("") : info.namespace();
            List<Admission.Cause> causes = Admission.validateEvent(event, namespace, info.apiGroup().equals("events.k8s.io"));
            return causes.isEmpty() ? null : invalid("Event", event.path("metadata").path("name").asText(""), causes, info);
        }

        private MockResponse validateUpdate(RecordedRequest request, RequestInfo info, String path) throws IOException {
            boolean statusPath = info.subresource().equals("status");
            String objectPath = statusPath ? path.substring(0, path.length() - "/status".length()) : path;
            JsonNode current = current(objectPath);
            if (current == null) {
                return null; // a 404 follows
            }
            JsonNode updated = request.method() == HttpMethod.PUT ? JSON.readTree(request.getBody().getBytes()) : patched(current, request);
            if (request.method() == HttpMethod.PUT) {
                String sent = updated.path("metadata").path("resourceVersion").asText("");
                String now = current.path("metadata").path("resourceVersion").asText("");
                if (sent.isEmpty() && !builtIn(info)) {
                    return invalid(current.path("kind").asText(), info.name(), List.of(new Admission.Cause("metadata.resourceVersion",
                            "Invalid value: 0x0: must be specified for an update")), info);
                }
                if (!sent.isEmpty() && !sent.equals(now)) {
                    return status(409, "Conflict", "Operation cannot be fulfilled on " + info.resource() + " \"" + info.name()
                            + "\": the object has been modified; please apply your changes to the latest version and try again", info);
                }
            }
            if (statusPath) {
                return null;
            }
            List<Admission.Cause> causes = Admission.validateUpdate(info.apiGroup(), info.resource(), current, updated);
            return causes.isEmpty() ? null : invalid(current.path("kind").asText(), info.name(), causes, info);
        }

        private boolean builtIn(RequestInfo info) {
            return !info.apiGroup().contains(".") || info.apiGroup().endsWith(".k8s.io");
        }

        private JsonNode current(String objectPath) throws IOException {
            MockResponse r = super.handleGet(objectPath);
            return r.code() == 200 ? JSON.readTree(r.getBody().getBytes()) : null;
        }

        /** The object a PATCH would produce (JSON patch or merge patch), for validation before it is stored. */
        private JsonNode patched(JsonNode current, RecordedRequest request) throws IOException {
            JsonNode patch = JSON.readTree(request.getBody().getBytes());
            String type = request.getHeader("Content-Type");
            if (type != null && type.startsWith("application/json-patch+json")) {
                try {
                    return JsonPatch.apply(patch, current);
                } catch (RuntimeException e) {
                    return current; // the store's own handling answers the bad patch
                }
            }
            return merge(current, patch);
        }

        @Override
        public boolean isStatusSubresourceEnabledForResource(String path) {
            RequestInfo info = RequestInfo.parse("GET", path);
            return super.isStatusSubresourceEnabledForResource(path)
                    || (info.apiGroup().isEmpty() || !info.apiGroup().contains(".")) && Admission.BUILT_IN_STATUS.contains(info.resource());
        }

        /** What the API server's authenticator does: a known token is a user, anything else is not. */
        private MockResponse tokenReview(RecordedRequest request) throws IOException {
            ObjectNode review = (ObjectNode) JSON.readTree(request.getBody().getBytes());
            String token = review.path("spec").path("token").asText();
            // a token counts only for the audiences asked (none asked: the API server's own)
            String audience = audiences.getOrDefault(token, API_AUDIENCE);
            List<String> asked = new ArrayList<>();
            review.path("spec").path("audiences").forEach(a -> asked.add(a.asText()));
            User user = asked.isEmpty() ? (audience.equals(API_AUDIENCE) ? tokens.get(token) : null)
                    : asked.contains(audience) ? tokens.get(token) : null;
            ObjectNode status = review.putObject("status");
            status.put("authenticated", user != null);
            if (user != null) {
                status.putArray("audiences").add(audience);
                ObjectNode u = status.putObject("user");
                u.put("username", user.name());
                ArrayNode groups = u.putArray("groups");
                user.groups().forEach(groups::add);
                String node = podTokens.get(token);
                if (node != null) {
                    u.putObject("extra").putArray("authentication.kubernetes.io/node-name").add(node);
                }
            }
            return json(201, JSON.writeValueAsString(review));
        }

        /** What {@code kubectl create token <sa>} asks: a token for an existing ServiceAccount, which the authenticator then knows. */
        private MockResponse tokenRequest(RecordedRequest request, RequestInfo info) throws IOException {
            if (current("/api/v1/namespaces/" + info.namespace() + "/serviceaccounts/" + info.name()) == null) {
                return status(404, "NotFound", "serviceaccounts \"" + info.name() + "\" not found", info);
            }
            ObjectNode tokenRequest = (ObjectNode) JSON.readTree(request.getBody().getBytes());
            long seconds = tokenRequest.path("spec").path("expirationSeconds").asLong(3600);
            ObjectNode status = tokenRequest.putObject("status");
            status.put("token", token(info.namespace(), info.name()));
            status.put("expirationTimestamp", java.time.Instant.now().plusSeconds(seconds).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
            return json(201, JSON.writeValueAsString(tokenRequest));
        }

        /** RBAC's answer for another user, as the API server gives it to a delegating authorizer. */
        private MockResponse subjectAccessReview(RecordedRequest request) throws IOException {
            ObjectNode review = (ObjectNode) JSON.readTree(request.getBody().getBytes());
            JsonNode spec = review.path("spec");
            List<String> groups = new ArrayList<>();
            spec.path("groups").forEach(g -> groups.add(g.asText()));
            User subject = new User(spec.path("user").asText(), groups);
            JsonNode ra = spec.path("resourceAttributes");
            RequestInfo asked;
            if (ra.isMissingNode()) {
                JsonNode nra = spec.path("nonResourceAttributes");
                asked = new RequestInfo(false, nra.path("path").asText(), nra.path("verb").asText(), "", "", "", "", "", "", Map.of());
            } else {
                asked = new RequestInfo(true, "", ra.path("verb").asText(), ra.path("group").asText(""), ra.path("version").asText(""),
                        ra.path("namespace").asText(""), ra.path("resource").asText(""), ra.path("subresource").asText(""),
                        ra.path("name").asText(""), Map.of());
            }
            RbacAuthorizer.Decision d = RbacAuthorizer.authorize(policy(this), subject, asked);
            used.addAll(d.grants());
            USED_IN_THIS_RUN.addAll(d.grants());
            ObjectNode status = review.putObject("status");
            status.put("allowed", d.allowed());
            if (!d.allowed()) {
                status.put("reason", "no RBAC rule allows " + asked);
            }
            return json(201, JSON.writeValueAsString(review));
        }

        @Override
        public MockResponse handlePatch(RecordedRequest request) {
            String type = request.getHeader("Content-Type");
            if (type == null || !type.startsWith("application/merge-patch+json")) {
                return super.handlePatch(request);
            }
            String path = request.getPath().split("\\?")[0];
            boolean statusPath = path.endsWith("/status");
            MockResponse current = super.handleGet(statusPath ? path.substring(0, path.length() - "/status".length()) : path);
            if (current.code() != 200) {
                return current;
            }
            try {
                JsonNode target = JSON.readTree(current.getBody().getBytes());
                JsonNode merged = merge(target, JSON.readTree(request.getBody().getBytes()));
                RecordedRequest put = new RecordedRequest("HTTP/1.1", HttpMethod.PUT, path,
                        Headers.builder().add("Content-Type", "application/json").build(),
                        new Buffer().writeUtf8(JSON.writeValueAsString(merged)));
                return handleUpdate(put);
            } catch (IOException e) {
                return new MockResponse().setResponseCode(400).setBody("{\"message\":\"bad patch\"}");
            }
        }

        /** RFC 7386: null deletes, objects merge, anything else replaces. */
        private JsonNode merge(JsonNode target, JsonNode patch) {
            if (!patch.isObject()) {
                return patch;
            }
            ObjectNode out = target != null && target.isObject() ? ((ObjectNode) target).deepCopy() : JSON.createObjectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isNull()) {
                    out.remove(e.getKey());
                } else {
                    out.set(e.getKey(), merge(out.get(e.getKey()), e.getValue()));
                }
            }
            return out;
        }

        private MockResponse invalid(String kind, String name, List<Admission.Cause> causes, RequestInfo info) {
            String message = kind + " \"" + name + "\" is invalid: " + causes.stream().map(c -> c.field() + ": " + c.message())
                    .reduce((a, b) -> a + ", " + b).orElse("");
            refusals.add("422 " + message + " (" + info + ")");
            ObjectNode s = statusNode(422, "Invalid", message);
            ObjectNode details = s.putObject("details");
            details.put("name", name);
            details.put("kind", kind);
            ArrayNode list = details.putArray("causes");
            for (Admission.Cause c : causes) {
                list.addObject().put("reason", "FieldValueInvalid").put("message", c.message()).put("field", c.field());
            }
            return json(422, s.toString());
        }

        private MockResponse status(int code, String reason, String message, RequestInfo info) {
            ObjectNode s = statusNode(code, reason, message);
            if (!info.name().isEmpty() || !info.resource().isEmpty()) {
                s.putObject("details").put("name", info.name()).put("kind", info.resource());
            }
            return json(code, s.toString());
        }

        private ObjectNode statusNode(int code, String reason, String message) {
            ObjectNode s = JSON.createObjectNode();
            s.put("kind", "Status").put("apiVersion", "v1");
            s.putObject("metadata");
            s.put("status", "Failure").put("message", message).put("reason", reason).put("code", code);
            return s;
        }

        private MockResponse json(int code, String body) {
            return new MockResponse().setResponseCode(code).addHeader("Content-Type", "application/json").setBody(body);
        }
    }

    /** The default policy every cluster has (kube-apiserver's bootstrap roles), trimmed to what matters here. */
    private static final class Bootstrap {
        static List<HasMetadata> policy() {
            String yaml = """
                    apiVersion: rbac.authorization.k8s.io/v1
                    kind: ClusterRole
                    metadata: {name: cluster-admin}
                    rules:
                      - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
                      - {nonResourceURLs: ["*"], verbs: ["*"]}
                    ---
                    apiVersion: rbac.authorization.k8s.io/v1
                    kind: ClusterRoleBinding
                    metadata: {name: cluster-admin}
                    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
                    subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:masters"}]
                    ---
                    apiVersion: rbac.authorization.k8s.io/v1
                    kind: ClusterRole
                    metadata: {name: "system:discovery"}
                    rules:
                      - nonResourceURLs: [/api, /api/*, /apis, /apis/*, /healthz, /livez, /openapi, /openapi/*, /readyz, /version, /version/]
                        verbs: [get]
                    ---
                    apiVersion: rbac.authorization.k8s.io/v1
                    kind: ClusterRoleBinding
                    metadata: {name: "system:discovery"}
                    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:discovery"}
                    subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}]
                    ---
                    apiVersion: rbac.authorization.k8s.io/v1
                    kind: ClusterRole
                    metadata: {name: "system:basic-user"}
                    rules:
                      - {apiGroups: [authorization.k8s.io], resources: [selfsubjectaccessreviews, selfsubjectrulesreviews], verbs: [create]}
                    ---
                    apiVersion: rbac.authorization.k8s.io/v1
                    kind: ClusterRoleBinding
                    metadata: {name: "system:basic-user"}
                    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:basic-user"}
                    subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:authenticated"}]
                    """;
            Object parsed = Serialization.unmarshal(yaml);
            List<HasMetadata> out = new ArrayList<>();
            for (Object o : (List<?>) parsed) {
                out.add((HasMetadata) o);
            }
            return out;
        }
    }
}
