package dsp.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.function.Supplier;

/** Read-modify-write against the API server: on a 409 (someone wrote in between) read again and retry. */
public final class Conflicts {

    private static final int ATTEMPTS = 8;

    private Conflicts() {
    }

    public static <T> T retry(Supplier<T> write) {
        for (int attempt = 1; ; attempt++) {
            try {
                return write.get();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= ATTEMPTS) {
                    throw e;
                }
                try {
                    Thread.sleep(5L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    public static void retry(Runnable write) {
        retry(() -> {
            write.run();
            return null;
        });
    }
}
