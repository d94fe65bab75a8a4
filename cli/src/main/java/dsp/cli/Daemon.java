package dsp.cli;

/** Whether a command left a daemon running, so main must not exit when it returns. */
final class Daemon {

    private static volatile boolean serving;

    private Daemon() {
    }

    static void serving() {
        serving = true;
    }

    static boolean isServing() {
        return serving;
    }
}
