package dsp.cli.client;

/** A command failed for a reason the user can act on: print one line, exit with the code. */
public final class CliFailure extends RuntimeException {

    /** The API refused the request (4xx/5xx). */
    public static final int REFUSED = 1;
    /** Bad command line or configuration. */
    public static final int USAGE = 2;
    /** The API could not be reached. */
    public static final int UNREACHABLE = 3;

    private final int exitCode;

    public CliFailure(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
