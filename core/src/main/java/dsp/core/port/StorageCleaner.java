package dsp.core.port;

import dsp.core.model.Allocation;
import java.util.List;
import java.util.function.Supplier;

/**
 * Finds what lies in a server's pool directories that no allocation references and moves it to
 * the pool's trash. Never deletes: what cleanup moves can be moved back.
 */
public interface StorageCleaner {

    /** One entry moved (or, in a dry run, that would be moved). */
    record Item(String server, String pool, String entry, long bytes, String trash) {
    }

    /**
     * @param referenced read <em>after</em> the directories are listed, so data published while
     *                   cleanup runs is always covered by its (earlier recorded) allocation
     * @return what was moved; empty when the work is handed to the server's own agent
     */
    List<Item> clean(String server, Supplier<List<Allocation>> referenced, boolean dryRun);
}
