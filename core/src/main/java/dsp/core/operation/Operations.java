package dsp.core.operation;

import dsp.core.DomainException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Long work (a multi-GB template import, a backup, a restore, a cleanup) run in the background as
 * an operation whose progress can be read while it runs, and whose result or error stays readable
 * afterwards. The last {@link #KEPT} finished operations are kept, in memory.
 */
public final class Operations {

    public static final int KEPT = 100;

    public enum State {
        RUNNING, SUCCEEDED, FAILED;

        public String display() {
            return name().toLowerCase();
        }
    }

    /** Where the work says how far it got; {@code total} 0 means not known yet. */
    public interface Progress {
        void progress(long done, long total, String step);

        Progress NONE = (done, total, step) -> { };
    }

    /** An operation as it stands. */
    public record Operation(String id, String kind, String target, State state, long done, long total, String step,
                            Instant startedAt, Optional<Instant> finishedAt, Optional<Object> result,
                            Optional<DomainException> error) {

        /** Percent done, when the total is known. */
        public Optional<Double> percent() {
            return total > 0 ? Optional.of(Math.min(100.0, 100.0 * done / total)) : Optional.empty();
        }
    }

    private final Clock clock;
    private final Executor executor;
    private final Supplier<String> ids;
    private final Map<String, Operation> operations = new LinkedHashMap<>();

    public Operations(Clock clock, Executor executor, Supplier<String> ids) {
        this.clock = clock;
        this.executor = executor;
        this.ids = ids;
    }

    /**
     * Starts {@code work} in the background and returns the operation at once. A DomainException
     * from the work becomes the operation's error; anything else a STORAGE_FAILED one.
     */
    public Operation start(String kind, String target, Function<Progress, Object> work) {
        String id = ids.get();
        Operation op = new Operation(id, kind, target, State.RUNNING, 0, 0, "starting", clock.instant(), Optional.empty(),
                Optional.empty(), Optional.empty());
        put(op);
        executor.execute(() -> {
            try {
                Object result = work.apply((done, total, step) -> update(id, o -> new Operation(o.id(), o.kind(), o.target(), o.state(),
                        done, total, step, o.startedAt(), o.finishedAt(), o.result(), o.error())));
                update(id, o -> new Operation(o.id(), o.kind(), o.target(), State.SUCCEEDED, o.total() > 0 ? o.total() : o.done(),
                        o.total(), "done", o.startedAt(), Optional.of(clock.instant()), Optional.ofNullable(result), Optional.empty()));
            } catch (DomainException e) {
                fail(id, e);
            } catch (RuntimeException e) {
                fail(id, DomainException.storageFailed(kind + " failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())));
            }
        });
        return get(id);
    }

    public synchronized Operation get(String id) {
        Operation op = operations.get(id);
        if (op == null) {
            throw DomainException.notFound("operation '" + id + "' does not exist (operations are kept in memory until the server stops)");
        }
        return op;
    }

    /** Newest first. */
    public synchronized List<Operation> list() {
        List<Operation> all = new ArrayList<>(operations.values());
        all.sort(Comparator.comparing(Operation::startedAt).reversed());
        return all;
    }

    private void fail(String id, DomainException e) {
        update(id, o -> new Operation(o.id(), o.kind(), o.target(), State.FAILED, o.done(), o.total(), o.step(), o.startedAt(),
                Optional.of(clock.instant()), Optional.empty(), Optional.of(e)));
    }

    private synchronized void update(String id, java.util.function.UnaryOperator<Operation> change) {
        Operation op = operations.get(id);
        if (op != null) {
            operations.put(id, change.apply(op));
        }
    }

    private synchronized void put(Operation op) {
        operations.put(op.id(), op);
        if (operations.size() > KEPT) {
            operations.values().stream().filter(o -> o.state() != State.RUNNING).findFirst()
                    .ifPresent(oldest -> operations.remove(oldest.id()));
        }
    }
}
