package dsp.core.port;

import dsp.core.model.Allocation;
import dsp.core.vm.Template;
import java.util.Optional;

/**
 * Copies a VM disk's data from its server to another one (a drain's move). Adapters: the node
 * storage engine of standalone mode, where every server's disk is on this machine.
 */
public interface VolumeCopier {

    /** Held while a volume's data is copied: no VM can open the image until it is closed. */
    interface Hold extends AutoCloseable {
        /**
         * Right before the move is decided: checks again that nothing started using the volume
         * while it was copied, and points what runs it at the copy's server, as one step; CONFLICT
         * (saying why) when something did, and the move is then abandoned with the original kept.
         * Nothing to do where the hold itself keeps every user out.
         */
        default void switchTo(Allocation copy) {
        }

        @Override
        void close();
    }

    /**
     * The server what runs the volume is bound to now (Kubernetes: the node its KubeVirt
     * VirtualMachine is pinned to), whether or not it runs; empty where nothing binds it (it then
     * follows the volume's record).
     */
    default Optional<String> boundTo(Allocation volume) {
        return Optional.empty();
    }

    /**
     * Binds what runs the volume to {@code place}'s server (same name: the same path there), only
     * while it does not run, in one step with that check; nothing to do when it is bound there
     * already (running or not) or nothing binds it. CONFLICT (saying why) when it runs bound
     * elsewhere: it then uses the data there.
     */
    default void bindTo(Allocation volume, Allocation place) {
    }

    /** True when a running VM (any writer) holds the image's lock. */
    boolean inUse(Allocation volume);

    /** Why the volume is in use ({@link #inUse}), as the drain reports it; empty when it is not. */
    default Optional<String> whyInUse(Allocation volume) {
        return inUse(volume) ? Optional.of("its image lock is held") : Optional.empty();
    }

    /**
     * Keeps every VM from opening the volume's image until the hold is closed, atomically with
     * checking that none has it open now; CONFLICT when one has.
     */
    Hold hold(Allocation volume);

    /**
     * Copies {@code source}'s data for {@code copy} (its server; same name, format and template)
     * under a temporary name there, and verifies that it shows the guest the same bytes
     * ({@code qemu-img compare}). On failure nothing of it is left. {@code template} is the image a
     * qcow2 overlay is based on, which the target gets its own copy of.
     */
    void copy(Allocation source, Allocation copy, Optional<Template> template);

    /** Puts a verified copy in its place, never replacing anything there (CONFLICT if the place is taken). */
    void publish(Allocation copy);

    /** Removes a verified copy that was not put in place. Gone already is fine. */
    void discard(Allocation copy);
}
