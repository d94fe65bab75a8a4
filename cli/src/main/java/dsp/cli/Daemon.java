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

    /** Keeps the process alive (its workers are daemon threads) until it is told to stop. */
    static void awaitShutdown() {
        java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "stop"));
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
