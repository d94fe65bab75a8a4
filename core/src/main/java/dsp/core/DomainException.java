package dsp.core;

/**
 * A rule of the domain was broken by a request. The code tells adapters (HTTP, CLI) how to
 * answer; the message is written for the user and never carries a stack trace.
 */
public class DomainException extends RuntimeException {

    public enum Code {
        /** The request itself is malformed or out of range. */
        INVALID,
        /** The named thing does not exist. */
        NOT_FOUND,
        /** The request contradicts current state (e.g. removing a server that holds data). */
        CONFLICT,
        /** No server in the pool has room for the request. */
        INSUFFICIENT_CAPACITY,
        /** The storage underneath failed (a tool, a disk); the request itself was fine. */
        STORAGE_FAILED,
        /** The disk under the data or the state is full (ENOSPC); the request can succeed once space is freed. */
        NO_SPACE
    }

    private final Code code;

    public DomainException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public Code code() {
        return code;
    }

    public static DomainException invalid(String message) {
        return new DomainException(Code.INVALID, message);
    }

    public static DomainException notFound(String message) {
        return new DomainException(Code.NOT_FOUND, message);
    }

    public static DomainException conflict(String message) {
        return new DomainException(Code.CONFLICT, message);
    }

    public static DomainException storageFailed(String message) {
        return new DomainException(Code.STORAGE_FAILED, message);
    }

    public static DomainException noSpace(String message) {
        return new DomainException(Code.NO_SPACE, message);
    }

    public static DomainException insufficientCapacity(String message) {
        return new DomainException(Code.INSUFFICIENT_CAPACITY, message);
    }
}
