package dsp.core.port;

import dsp.core.model.Allocation;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Finds what lies in a server's pool directories that no allocation references and moves it to
 * the pool's trash. Never deletes: what cleanup moves can be moved back.
 */
public interface StorageCleaner {

    /** One entry moved (or, in a dry run, that would be moved). */
    record Item(String server, String pool, String entry, long bytes, String trash) {
    }

    /** One server's part in a cleanup run: done with what it moved, still pending (its own agent cleans it), or failed. */
    record Outcome(String server, boolean dryRun, State state, List<Item> items, Optional<String> error) {

        public enum State { DONE, PENDING, FAILED }

        public static Outcome done(String server, boolean dryRun, List<Item> items) {
            return new Outcome(server, dryRun, State.DONE, List.copyOf(items), Optional.empty());
        }

        public static Outcome pending(String server, boolean dryRun) {
            return new Outcome(server, dryRun, State.PENDING, List.of(), Optional.empty());
        }

        public static Outcome failed(String server, boolean dryRun, String why) {
            return new Outcome(server, dryRun, State.FAILED, List.of(), Optional.of(why));
        }
    }

    /**
     * @param referenced read <em>after</em> the directories are listed, so data published while
     *                   cleanup runs is always covered by its (earlier recorded) allocation
     * @return what was moved
     */
    List<Item> clean(String server, Supplier<List<Allocation>> referenced, boolean dryRun);

    /**
     * Cleans one server as part of run {@code run}. A cleaner that works on this machine is done
     * when this returns; one that hands the work to the server's own agent answers pending and
     * tells the result later through {@link #outcome}.
     */
    default Outcome clean(String run, String server, Supplier<List<Allocation>> referenced, boolean dryRun) {
        return Outcome.done(server, dryRun, clean(server, referenced, dryRun));
    }

    /**
     * What a run would move from the server, sized, when this cleaner can tell at once (the dry run of
     * one that works on this machine); empty when only the server's own agent can tell, later.
     */
    default Optional<List<Item>> plan(String server, Supplier<List<Allocation>> referenced) {
        return Optional.of(clean(server, referenced, true));
    }

    /** Run {@code run} on the server as it stands now; empty when the server was not part of it (or the cleaner keeps no record). */
    default Optional<Outcome> outcome(String run, String server) {
        return Optional.empty();
    }
}
