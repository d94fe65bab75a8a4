package dsp.core.operation;

import dsp.core.DomainException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
    private final Executor checkedExecutor;
    private final Supplier<String> ids;
    private final Map<String, Operation> operations = new LinkedHashMap<>();
    /** Checked work whose checks failed before anyone saw its operation: it is never listed. */
    private final java.util.Set<String> abandoned = new java.util.HashSet<>();
    private volatile Recorder recorder = (kind, took, errorKind) -> { };

    public Operations(Clock clock, Executor executor, Supplier<String> ids) {
        this(clock, executor, executor, ids);
    }

    /**
     * @param executor        where long operations queue (imports, backups: a few at a time, so they do not thrash the disk)
     * @param checkedExecutor where checked work runs ({@link #startChecked}: a VM create), beside that queue rather than
     *                        behind it, as it would in the request that asked for it
     */
    public Operations(Clock clock, Executor executor, Executor checkedExecutor, Supplier<String> ids) {
        this.clock = clock;
        this.executor = executor;
        this.checkedExecutor = checkedExecutor;
        this.ids = ids;
    }

    /**
     * Where a finished operation is counted: its kind, how long it ran, the kind of its error.
     * The metrics' {@code OperationRecorder::record} fits (a port of its own would make core.port and
     * this package depend on each other).
     */
    public interface Recorder {
        void record(String kind, Duration took, Optional<String> errorKind);
    }

    /** Finished operations are counted and timed there, under their kind (e.g. {@code vm_create}). */
    public Operations recordTo(Recorder recorder) {
        this.recorder = recorder;
        return this;
    }

    /**
     * Starts {@code work} in the background and returns the operation at once. A DomainException
     * from the work becomes the operation's error; anything else a STORAGE_FAILED one.
     */
    public Operation start(String kind, String target, Function<Progress, Object> work) {
        Operation op = running(kind, target);
        put(op);
        executor.execute(() -> {
            try {
                succeed(op.id(), work.apply(progressOf(op.id())));
            } catch (RuntimeException e) {
                fail(op.id(), asDomain(kind, e));
            }
        });
        return get(op.id());
    }

    /** Work that calls {@code checked} once its checks pass (what remains is the long part) and reports its progress. */
    public interface CheckedWork {
        Object run(Runnable checked, Progress progress);
    }

    /**
     * Starts {@code work} in the background and returns once its checks pass, with the operation
     * for the long part. A check that fails is thrown here (the caller answers it at once, and no
     * failed operation is left behind); work still checking after {@code wait} is returned as it stands.
     */
    public Operation startChecked(String kind, String target, Duration wait, CheckedWork work) {
        Operation op = running(kind, target);
        CompletableFuture<Void> checked = new CompletableFuture<>();
        checkedExecutor.execute(() -> {
            Runnable pass = () -> {
                listUnlessAbandoned(op);
                checked.complete(null);
            };
            try {
                Object result = work.run(pass, progressOf(op.id()));
                pass.run(); // work with nothing to check
                succeed(op.id(), result);
            } catch (RuntimeException e) {
                if (abandonUnlessListed(op.id())) {
                    checked.completeExceptionally(e);
                } else {
                    fail(op.id(), asDomain(kind, e));
                }
            }
        });
        try {
            checked.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw asDomain(kind, e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause()));
        } catch (TimeoutException e) {
            if (!listUnlessAbandoned(op)) {
                return startCheckedFailure(kind, checked);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (!listUnlessAbandoned(op)) {
                return startCheckedFailure(kind, checked);
            }
        }
        return get(op.id());
    }

    /** The checks failed just as the wait ran out: the failure is there to throw. */
    private static Operation startCheckedFailure(String kind, CompletableFuture<Void> checked) {
        try {
            checked.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw asDomain(kind, e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause()));
        }
        throw new IllegalStateException(kind + ": checks neither passed nor failed");
    }

    private synchronized boolean abandonUnlessListed(String id) {
        if (operations.containsKey(id)) {
            return false;
        }
        abandoned.add(id);
        return true;
    }

    private synchronized boolean listUnlessAbandoned(Operation op) {
        if (abandoned.remove(op.id())) {
            return false;
        }
        if (!operations.containsKey(op.id())) {
            put(op);
        }
        return true;
    }

    private Operation running(String kind, String target) {
        return new Operation(ids.get(), kind, target, State.RUNNING, 0, 0, "starting", clock.instant(), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    private Progress progressOf(String id) {
        return (done, total, step) -> update(id, o -> new Operation(o.id(), o.kind(), o.target(), o.state(),
                done, total, step, o.startedAt(), o.finishedAt(), o.result(), o.error()));
    }

    private void succeed(String id, Object result) {
        update(id, o -> new Operation(o.id(), o.kind(), o.target(), State.SUCCEEDED, o.total() > 0 ? o.total() : o.done(),
                o.total(), "done", o.startedAt(), Optional.of(clock.instant()), Optional.ofNullable(result), Optional.empty()));
        finished(id);
    }

    private static DomainException asDomain(String kind, RuntimeException e) {
        return e instanceof DomainException d ? d
                : DomainException.storageFailed(kind + " failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }

    /** Counts a finished operation once: its kind, how long it ran, and the kind of error if it failed. */
    private void finished(String id) {
        Operation o;
        synchronized (this) {
            o = operations.get(id);
        }
        if (o != null && o.finishedAt().isPresent()) {
            recorder.record(o.kind(), Duration.between(o.startedAt(), o.finishedAt().get()),
                    o.error().map(e -> e.code().name().toLowerCase(java.util.Locale.ROOT)));
        }
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
        finished(id);
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
