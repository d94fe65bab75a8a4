package dsp.kubernetes.strict;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesResponseComposer;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.AttributeType;
import io.fabric8.mockwebserver.crud.CrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.Consumer;

/**
 * fabric8's CRUD mock with an indexed store. The mock finds objects by testing every stored object's
 * attribute set against the request's (each get, create, update, patch and delete): at 5,000 Nodes and
 * 200,000 PoolVolumes that is 205,000 tests per request, and the test API server's own time swamped
 * what the controllers' cold start measures. Here the store (the same map from attribute set to JSON, in
 * the same order) also indexes its keys by name and by resource, so a lookup tests only the objects
 * with the request's name (or, for a list, of its resource) with the mock's own matching: the same
 * answers in the same order, under the mock's own lock. Watches, and lists that find nothing (which
 * the mock may answer with API resources), are left to the mock.
 */
public class IndexedCrudDispatcher extends KubernetesCrudDispatcher {

    private final Store store = new Store();
    /** The view the mock's own code reads and writes through (it synchronizes on it). */
    private final Map<AttributeSet, String> guarded = Collections.synchronizedMap(store);
    /** The mock's lock: a write holds it for the whole request, a read to read. */
    private final ReadWriteLock lock;
    private final AtomicLong resourceVersion;
    private final Method processDelete;
    private final KubernetesResponseComposer lists = new KubernetesResponseComposer();
    private final AtomicLong examined = new AtomicLong();
    /** The mock's watch listener (package-private): what it watches, how it tells, what it does when opened. */
    private final Field watchQuery;
    private final Field watchOnOpen;
    private final Method watchSend;

    public IndexedCrudDispatcher() {
        try {
            Field map = CrudDispatcher.class.getDeclaredField("map");
            map.setAccessible(true);
            map.set(this, guarded);
            lock = (ReadWriteLock) field("lock").get(this);
            resourceVersion = (AtomicLong) field("resourceVersion").get(this);
            processDelete = KubernetesCrudDispatcher.class.getDeclaredMethod("processDelete", String.class, AttributeSet.class, AttributeSet.class);
            processDelete.setAccessible(true);
            Class<?> listener = Class.forName("io.fabric8.kubernetes.client.server.mock.WatchEventsListener");
            watchQuery = listener.getDeclaredField("attributeSet");
            watchQuery.setAccessible(true);
            watchOnOpen = listener.getDeclaredField("onOpenAction");
            watchOnOpen.setAccessible(true);
            watchSend = listener.getDeclaredMethod("sendWebSocketResponse", String.class, Watcher.Action.class);
            watchSend.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("fabric8's mock changed: its store can no longer be indexed here", e);
        }
    }

    private static Field field(String name) throws NoSuchFieldException {
        Field f = KubernetesCrudDispatcher.class.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }

    /** How many stored objects lookups have tested against a request so far (the index's point: not every one). */
    public long examined() {
        return examined.get();
    }

    @Override
    public Map.Entry<AttributeSet, String> findResource(AttributeSet query) {
        List<Map.Entry<AttributeSet, String>> found = matching(query);
        return found.isEmpty() ? null : found.get(0);
    }

    @Override
    public MockResponse handleGet(String path) {
        if (watch(path)) {
            return super.handleGet(path);
        }
        lock.readLock().lock();
        try {
            AttributeSet query = getKey(path);
            List<Map.Entry<AttributeSet, String>> found = matching(query);
            if (!query.containsKey(KubernetesAttributesExtractor.NAME) && found.isEmpty()) {
                return super.handleGet(path); // an empty list, or the mock's API resources for a CRD's path
            }
            return answer(query, found);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * A watch from a resourceVersion (not 0) starts after it, as a real API server's does: when it opens
     * it is told the objects changed since (as ADDED, as the mock tells them; an informer takes that as the
     * update it is), not every stored object. Deletions since are not told, neither here nor by the mock.
     */
    @Override
    public MockResponse handleWatch(String path) {
        MockResponse response = super.handleWatch(path);
        long since = watchedFrom(path);
        Object listener = response.getWebSocketListener();
        if (since > 0 && listener != null) {
            try {
                AttributeSet query = (AttributeSet) watchQuery.get(listener);
                Consumer<Object> changedSince = watch -> tellChangedSince(watch, query, since);
                watchOnOpen.set(listener, changedSince);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return response;
    }

    private void tellChangedSince(Object watch, AttributeSet query, long since) {
        lock.readLock().lock();
        try {
            List<String> changed = new ArrayList<>();
            synchronized (guarded) {
                for (Map.Entry<AttributeSet, Store.Stored> e : store.candidates(query)) {
                    if (e.getValue().version() > since && e.getKey().matches(query)) {
                        changed.add(e.getValue().json());
                    }
                }
            }
            for (String object : changed) {
                watchSend.invoke(watch, object, Watcher.Action.ADDED);
            }
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The resourceVersion a watch asks to start from; 0 when it asks for none (or 0: from any, with every object). */
    private static long watchedFrom(String path) {
        try {
            String query = new URI(path).getRawQuery();
            for (String parameter : query == null ? new String[0] : query.split("&")) {
                if (parameter.startsWith("resourceVersion=")) {
                    return Long.parseLong(parameter.substring("resourceVersion=".length()));
                }
            }
        } catch (URISyntaxException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    @Override
    public MockResponse handleDelete(String path) {
        lock.writeLock().lock();
        try {
            AttributeSet query = getKey(path);
            List<Map.Entry<AttributeSet, String>> found = matching(query);
            for (Map.Entry<AttributeSet, String> e : found) {
                processDelete.invoke(this, path, query, e.getKey()); // the mock's own: finalizers mark, the rest go
            }
            return answer(query, found);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** What a list found: the stored objects (JSON, as stored) in the store's order, and the resourceVersion it is at. */
    public record Listed(List<String> items, String resourceVersion) {
    }

    /**
     * What a list of this path finds, as {@link #handleGet} would answer it; null when the path names an object
     * or the list finds nothing (the mock answers those its own way).
     */
    public Listed listed(String path) {
        lock.readLock().lock();
        try {
            AttributeSet query = getKey(path);
            if (query.containsKey(KubernetesAttributesExtractor.NAME) || watch(path)) {
                return null;
            }
            List<Map.Entry<AttributeSet, String>> found = matching(query);
            return found.isEmpty() ? null : new Listed(found.stream().map(Map.Entry::getValue).toList(), String.valueOf(resourceVersion.get()));
        } finally {
            lock.readLock().unlock();
        }
    }

    /** As the mock answers: the first object found for a name (404 if none), else a List. */
    private MockResponse answer(AttributeSet query, List<Map.Entry<AttributeSet, String>> found) {
        if (query.containsKey(KubernetesAttributesExtractor.NAME)) {
            return found.isEmpty() ? new MockResponse().setResponseCode(HttpURLConnection.HTTP_NOT_FOUND)
                    : new MockResponse().setResponseCode(HttpURLConnection.HTTP_OK).setBody(found.get(0).getValue());
        }
        return new MockResponse().setResponseCode(HttpURLConnection.HTTP_OK)
                .setBody(lists.compose(found.stream().map(Map.Entry::getValue).toList(), String.valueOf(resourceVersion.get())));
    }

    /** The stored objects whose attributes satisfy the query's, in the store's order. */
    private List<Map.Entry<AttributeSet, String>> matching(AttributeSet query) {
        List<Map.Entry<AttributeSet, String>> found = new ArrayList<>();
        synchronized (guarded) {
            for (Map.Entry<AttributeSet, Store.Stored> e : store.candidates(query)) {
                examined.incrementAndGet();
                if (e.getKey().matches(query)) {
                    found.add(Map.entry(e.getKey(), e.getValue().json()));
                }
            }
        }
        return found;
    }

    /** As the mock tells a watch: {@code watch=true} in the query. */
    private static boolean watch(String path) {
        try {
            String query = new URI(path).getQuery();
            return query != null && query.contains("watch=true");
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /**
     * The store: attribute set to JSON in insertion order (as the mock's LinkedHashMap), its keys also
     * indexed by their name and their resource (plural) attribute, each index in the store's order.
     */
    static final class Store extends AbstractMap<AttributeSet, String> {

        /** Most selective first: a name is shared by few objects, a resource by many. */
        private static final List<String> INDEXED = List.of(KubernetesAttributesExtractor.NAME, KubernetesAttributesExtractor.PLURAL);

        private static final JsonFactory JSON = new JsonFactory();

        /** A stored object: its JSON and its metadata.resourceVersion, read when it is stored (Long.MAX_VALUE: none, or not a number). */
        record Stored(String json, long version) {
        }

        private final LinkedHashMap<AttributeSet, Stored> objects = new LinkedHashMap<>();
        /** The objects holding each indexed attribute, in the store's order (entries, not keys: a key's hash is its whole attribute map's, made anew on every lookup). */
        private final Map<Attribute, LinkedHashMap<AttributeSet, Stored>> byAttribute = new HashMap<>();

        /**
         * The objects that can satisfy the query, in the store's order: those holding its name (or resource)
         * attribute, which a stored key must hold to satisfy it; every object when it asks for neither.
         */
        Collection<Map.Entry<AttributeSet, Stored>> candidates(AttributeSet query) {
            for (String indexed : INDEXED) {
                Attribute wanted = query.getAttribute(indexed);
                if (wanted != null && wanted.getType() == AttributeType.WITH) {
                    LinkedHashMap<AttributeSet, Stored> holding = byAttribute.get(wanted);
                    return holding == null ? List.of() : holding.entrySet();
                }
            }
            return objects.entrySet();
        }

        /** metadata.resourceVersion of a stored object, read without parsing more of it than the way there. */
        static long resourceVersionOf(String json) {
            try (JsonParser p = JSON.createParser(json)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    return Long.MAX_VALUE;
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    if (field.equals("metadata") && value == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String name = p.currentName();
                            p.nextToken();
                            if (name.equals("resourceVersion")) {
                                return Long.parseLong(p.getValueAsString());
                            }
                            p.skipChildren();
                        }
                        return Long.MAX_VALUE;
                    }
                    p.skipChildren();
                }
                return Long.MAX_VALUE;
            } catch (java.io.IOException | NumberFormatException e) {
                return Long.MAX_VALUE;
            }
        }

        @Override
        public String get(Object key) {
            Stored stored = objects.get(key);
            return stored == null ? null : stored.json();
        }

        @Override
        public boolean containsKey(Object key) {
            return objects.containsKey(key);
        }

        @Override
        public int size() {
            return objects.size();
        }

        @Override
        public String put(AttributeSet key, String value) {
            Stored stored = new Stored(value, value == null ? Long.MAX_VALUE : resourceVersionOf(value));
            for (String indexed : INDEXED) {
                Attribute a = key.getAttribute(indexed);
                if (a != null) {
                    byAttribute.computeIfAbsent(a, x -> new LinkedHashMap<>()).put(key, stored); // a key stored again keeps its place
                }
            }
            Stored was = objects.put(key, stored);
            return was == null ? null : was.json();
        }

        @Override
        public String remove(Object key) {
            if (!(key instanceof AttributeSet k) || !objects.containsKey(k)) {
                return null;
            }
            for (String indexed : INDEXED) {
                Attribute a = k.getAttribute(indexed);
                Map<AttributeSet, Stored> holding = a == null ? null : byAttribute.get(a);
                if (holding != null) {
                    holding.remove(k);
                    if (holding.isEmpty()) {
                        byAttribute.remove(a);
                    }
                }
            }
            return objects.remove(k).json();
        }

        @Override
        public void clear() {
            objects.clear();
            byAttribute.clear();
        }

        /** Read-only: every change goes through put, remove or clear, which keep the indexes. */
        @Override
        public Set<Map.Entry<AttributeSet, String>> entrySet() {
            return new java.util.AbstractSet<>() {
                @Override
                public java.util.Iterator<Map.Entry<AttributeSet, String>> iterator() {
                    java.util.Iterator<Map.Entry<AttributeSet, Stored>> stored = objects.entrySet().iterator();
                    return new java.util.Iterator<>() {
                        @Override
                        public boolean hasNext() {
                            return stored.hasNext();
                        }

                        @Override
                        public Map.Entry<AttributeSet, String> next() {
                            Map.Entry<AttributeSet, Stored> e = stored.next();
                            return new AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue().json());
                        }
                    };
                }

                @Override
                public int size() {
                    return objects.size();
                }
            };
        }
    }
}
