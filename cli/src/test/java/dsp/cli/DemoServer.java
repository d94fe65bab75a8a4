package dsp.cli;

import dsp.cli.standalone.StandaloneServer;
import dsp.config.PoolConfig;
import dsp.testing.RequiredTool;
import java.nio.file.Path;
import java.time.Clock;

/** A standalone server in this JVM as `make run` starts one (the demo servers and template), on a free loopback port. */
record DemoServer(StandaloneServer server, Http http) implements AutoCloseable {

    static DemoServer start(Path data) {
        RequiredTool.QEMU_IMG.require();
        StandaloneServer server = new StandaloneServer(PoolConfig.Configuration.guideDefaults(), data, Clock.systemUTC());
        server.seedDemoIfEmpty();
        server.ensureDemoTemplate();
        return new DemoServer(server, new Http("http://127.0.0.1:" + server.start("127.0.0.1", 0)));
    }

    @Override
    public void close() {
        server.close();
    }
}
