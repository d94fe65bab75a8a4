package dsp.kubernetes.controller;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the controller's roles share about informers and what they close. */
final class Informers {

    private static final Logger LOG = LoggerFactory.getLogger(Informers.class);

    /** Objects per page when an informer lists (client-go's pager uses 500). */
    static final long LIST_PAGE = 500;

    private Informers() {
    }

    /** One action for any add, update (with the new object) or delete. */
    static <T> ResourceEventHandler<T> onAny(Consumer<Object> action) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                action.accept(obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                action.accept(newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                action.accept(obj);
            }
        };
    }

    /** Closes the last opened first; one that fails does not keep the others open. */
    static void closeAll(List<AutoCloseable> closing) {
        for (int i = closing.size() - 1; i >= 0; i--) {
            try {
                closing.get(i).close();
            } catch (Exception e) {
                LOG.debug("closing: {}", e.getMessage());
            }
        }
    }
}
