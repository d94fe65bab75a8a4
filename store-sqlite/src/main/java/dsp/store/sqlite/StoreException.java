package dsp.store.sqlite;

/** The database could not do what was asked; an operator problem, not a user's. */
public final class StoreException extends RuntimeException {

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
