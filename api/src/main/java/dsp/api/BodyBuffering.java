package dsp.api;

import dsp.json.Json;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reads every request body in full, asynchronously, before any handler runs: a client that
 * trickles its body holds a connection but no thread, and is answered 408 when the body does not
 * arrive within {@link HttpLimits#bodyTimeout()} (413 when it grows past the limit). A backup sent
 * to restore is the exception ({@link RequestGuard#isUpload}): its handler streams it to disk, after
 * the change is authenticated, with the connection's idle timeout bounding a client that stalls.
 */
final class BodyBuffering implements Filter {

    private static final String BODY = BodyBuffering.class.getName() + ".body";

    private final HttpLimits limits;

    BodyBuffering(HttpLimits limits) {
        this.limits = limits;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest http = (HttpServletRequest) request;
        if (http.getAttribute(BODY) instanceof byte[] body) {
            chain.doFilter(new Buffered(http, body), response);
            return;
        }
        boolean chunked = http.getHeader("Transfer-Encoding") != null;
        if (http.getDispatcherType() != DispatcherType.REQUEST || http.getContentLengthLong() <= 0 && !chunked
                || RequestGuard.isUpload(http.getMethod(), http.getRequestURI())) {
            chain.doFilter(request, response);
            return;
        }
        if (http.getContentLengthLong() > limits.maxBodyBytes()) {
            ((HttpServletResponse) response).setHeader("Connection", "close");
            fail((HttpServletResponse) response, 413, "request body is larger than " + limits.maxBodyBytes() / 1024 + " KiB");
            return;
        }
        AsyncContext async = http.startAsync();
        async.setTimeout(limits.bodyTimeout().toMillis());
        new Reader(http, (HttpServletResponse) response, async).start();
    }

    /** Collects the body as it arrives and dispatches the request once it is complete. */
    private final class Reader implements ReadListener, AsyncListener {
        private final HttpServletRequest request;
        private final HttpServletResponse response;
        private final AsyncContext async;
        private final ServletInputStream in;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private final AtomicBoolean finished = new AtomicBoolean();

        Reader(HttpServletRequest request, HttpServletResponse response, AsyncContext async) throws IOException {
            this.request = request;
            this.response = response;
            this.async = async;
            this.in = request.getInputStream();
        }

        void start() {
            async.addListener(this);
            in.setReadListener(this);
        }

        @Override
        public void onDataAvailable() throws IOException {
            byte[] chunk = new byte[8192];
            while (in.isReady() && !in.isFinished()) {
                int n = in.read(chunk);
                if (n < 0) {
                    break;
                }
                body.write(chunk, 0, n);
                if (body.size() > limits.maxBodyBytes()) {
                    finish(413, "request body is larger than " + limits.maxBodyBytes() / 1024 + " KiB");
                    return;
                }
            }
        }

        @Override
        public void onAllDataRead() {
            if (finished.compareAndSet(false, true)) {
                request.setAttribute(BODY, body.toByteArray());
                async.dispatch();
            }
        }

        @Override
        public void onError(Throwable t) {
            finish(408, "the request body did not arrive in time");
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            finish(408, "the request body did not arrive within " + limits.bodyTimeout().toSeconds() + " s");
        }

        @Override
        public void onComplete(AsyncEvent event) {
        }

        @Override
        public void onError(AsyncEvent event) {
            finish(408, "the request body did not arrive in time");
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
        }

        private void finish(int status, String message) {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            try {
                response.setHeader("Connection", "close");
                fail(response, status, message);
            } catch (IOException | IllegalStateException e) {
                // the client is gone; nothing to answer
            } finally {
                try {
                    async.complete();
                } catch (IllegalStateException alreadyDone) {
                    // completed by the container after an error
                }
            }
        }
    }

    private static void fail(HttpServletResponse response, int status, String message) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.getOutputStream().write(Json.MAPPER.writeValueAsString(
                dsp.api.body.ErrorBody.of(ErrorMapping.reason(status), message)).getBytes(StandardCharsets.UTF_8));
    }

    /** The request as handlers see it: the body already read. */
    private static final class Buffered extends HttpServletRequestWrapper {
        private final byte[] body;

        Buffered(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new IllegalStateException("the body is already read");
                }

                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }
            };
        }

        @Override
        public java.io.BufferedReader getReader() {
            return new java.io.BufferedReader(new java.io.InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }
    }
}
